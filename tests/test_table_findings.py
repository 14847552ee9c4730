"""Messages about the table as a whole: once each, with the header row's cell — never one per KPI."""
from __future__ import annotations

from openpyxl import load_workbook

from addin.core import layout


def _edit(path, fn):
    wb = load_workbook(path)
    fn(wb[layout.SHEET_KPI])
    wb.save(path)


def _header_col(ws, text):
    return next(c.column for c in ws[layout.HEADER_ROW] if c.value == text)


def _findings(run, path):
    res = run("validate", path, "--json")
    return res, res.json()["findings"]


def test_missing_required_columns_are_one_finding_at_the_header_row(run, sample_copy):
    def rename(ws):
        ws.cell(layout.HEADER_ROW, _header_col(ws, "重点戦略")).value = "分類"
        ws.cell(layout.HEADER_ROW, _header_col(ws, "目標値")).value = "ゴール"
    _edit(sample_copy, rename)
    res, findings = _findings(run, sample_copy)
    assert res.exit_code == 1
    table = [f for f in findings if f["code"] == "required_columns"]
    assert len(table) == 1
    f = table[0]
    assert f["cell"] == f"A{layout.HEADER_ROW}" and f["sheet"] == layout.SHEET_KPI
    assert "重点戦略・目標値" in f["message"]
    assert "分類" in f["message"] and "ゴール" in f["message"]          # the headers found
    assert "基本目標" in f["message"] and "目標" in f["message"]          # names that would be understood
    assert not [x for x in findings if x["code"] in ("missing_goal", "missing_target")]


def test_header_row_not_found(run, sample_copy):
    def clear(ws):
        for c in ws[layout.HEADER_ROW]:
            c.value = None
    _edit(sample_copy, clear)
    res, findings = _findings(run, sample_copy)
    assert res.exit_code == 1
    assert [f["code"] for f in findings if f["sheet"] == layout.SHEET_KPI] == ["header_not_found"]
    assert any("kpi import" in f["message"] for f in findings if f["code"] == "header_not_found")


def test_empty_table(run, sample_copy):
    _edit(sample_copy, lambda ws: ws.delete_rows(layout.FIRST_DATA_ROW, ws.max_row))
    res, findings = _findings(run, sample_copy)
    kpi = [f for f in findings if f["sheet"] == layout.SHEET_KPI]
    assert [f["code"] for f in kpi] == ["empty_table"] and kpi[0]["cell"] == f"A{layout.HEADER_ROW}"
    assert kpi[0]["severity"] in ("情報", "info") and res.exit_code == 0      # a new template is not an error


def test_rows_without_any_kpi_name(run, sample_copy):
    def clear(ws):
        col = _header_col(ws, "KPI名")
        for r in range(layout.FIRST_DATA_ROW, ws.max_row + 1):
            ws.cell(r, col).value = None
    _edit(sample_copy, clear)
    res, findings = _findings(run, sample_copy)
    assert res.exit_code == 1
    assert [f["code"] for f in findings if f["code"] == "no_kpis"] == ["no_kpis"]


def test_year_column_outside_the_plan(run, sample_copy):
    def add(ws):
        ws.cell(layout.HEADER_ROW, ws.max_column + 1, "実績値 R9")
    _edit(sample_copy, add)
    res, findings = _findings(run, sample_copy)
    out = [f for f in findings if f["code"] == "year_outside_plan"]
    assert len(out) == 1 and "R9" in out[0]["message"] and "R2～R6" in out[0]["message"]
    assert res.exit_code == 0     # a warning: the other KPIs are evaluated as before


def test_recalc_on_a_sheet_without_a_header_row_reports_it_and_writes_no_column(run, sample_copy):
    def clear(ws):
        for c in ws[layout.HEADER_ROW]:
            c.value = None
    _edit(sample_copy, clear)
    res = run("recalc", sample_copy)
    assert res.exit_code == 1, res.stderr
    assert "見出し行が見つからない" in res.output and "予期しない" not in res.stderr
    ws = load_workbook(sample_copy)[layout.SHEET_KPI]
    assert all(c.value is None for c in ws[layout.HEADER_ROW])
