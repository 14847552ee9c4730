"""Hidden KPI rows (issue 10): a KPI whose row the clerk hid is evaluated, tallied and published like any
other, and every command says so with a warning naming the row (README: 非表示の行).  Read by both adapters:
openpyxl (the command line) and xlwings (the ribbon, on the stand-in of Excel's COM in tests/fake_excel.py, which
hides the rows the file hides and answers SpecialCells/Areas as Excel does)."""
from __future__ import annotations


import pytest
from openpyxl import load_workbook

import fake_excel
from addin import ribbon
from addin.core import layout
from addin.core.findings import WARNING
from conftest import SAMPLE


@pytest.fixture
def hidden_sample(tmp_path):
    """The sample with one KPI row hidden by hand and two more inside a collapsed outline group."""
    path = tmp_path / "hidden.xlsx"
    wb = load_workbook(SAMPLE)
    ws = wb[layout.SHEET_KPI]
    first = layout.FIRST_DATA_ROW
    ws.row_dimensions[first + 2].hidden = True
    ws.row_dimensions.group(first + 10, first + 11, hidden=True, outline_level=1)
    wb.save(path)
    head = {ws.cell(layout.HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1)}
    names = {r: ws.cell(r, head["KPI名"]).value for r in (first + 2, first + 10, first + 11)}
    return path, names


def test_validate_warns_for_each_hidden_kpi_row_and_only_those(run, hidden_sample):
    path, names = hidden_sample
    r = run("validate", path, "--json")
    hidden = [f for f in r.json()["findings"] if f["code"] == "hidden_row"]
    rows = {int("".join(ch for ch in f["cell"] if ch.isdigit())): f for f in hidden}
    assert sorted(rows) == sorted(names)
    assert all(f["severity"] == WARNING and f["severity_label"] == "警告" and names[r] in f["message"]
               and "非表示" in f["message"]
               for r, f in rows.items())
    assert not [f for f in run("validate", SAMPLE, "--json").json()["findings"] if f["code"] == "hidden_row"]


def test_hidden_kpis_are_still_tallied_and_published(run, hidden_sample, tmp_path):
    path, names = hidden_sample
    rep = run("evaluate", path, "--json").json()
    assert len(rep["kpis"]) == 78
    r = run("recalc", path)
    assert r.exit_code == 0 and "26\t19\t13\t20" in r.output and "非表示の行" in r.output
    wb = load_workbook(path)
    summary = {c.value for row in wb[layout.SHEET_SUMMARY].iter_rows() for c in row}
    findings = [row for row in wb[layout.SHEET_FINDINGS].iter_rows(values_only=True) if "hidden_row" in row]
    assert all(n in summary or n + "※" in summary for n in names.values())
    assert len(findings) == 3
    out = tmp_path / "public"
    assert run("export", path, "--out", out, "--format", "csv").exit_code == 0
    (csv,) = [p for p in out.glob("*.csv") if not p.name.endswith("_項目定義.csv")]  # the data, not its dictionary
    assert all(n in csv.read_text(encoding="utf-8-sig") for n in names.values())


def _press(monkeypatch, path, button):
    excel = fake_excel.Excel()
    book = fake_excel.open_in_excel(path, excel)
    with fake_excel.attached(monkeypatch):
        assert ribbon.main([button, str(excel.app.Hwnd), book.FullName]) == ribbon.EXIT_OK
    return book, excel, excel.app.alerts[-1][0]


def test_the_ribbon_warns_for_hidden_rows_too(monkeypatch, hidden_sample):
    path, names = hidden_sample
    book, excel, message = _press(monkeypatch, path, "kpi_validate")
    assert "警告" in message
    listed = [v for (r, c), v in book.sheet(layout.SHEET_FINDINGS).values().items() if v == "hidden_row"]
    assert len(listed) == 3
    findings = book.sheet(layout.SHEET_FINDINGS).values()
    assert {v for v in findings.values() if v in names.values()} == set(names.values())
    assert excel.calls.count("Range.SpecialCells") == 1 and excel.calls.count("Range.Areas") == 1  # per sheet


@pytest.mark.parametrize("hide", ["none", "all"])
def test_the_ribbon_on_a_sheet_with_no_hidden_row_or_only_hidden_rows(monkeypatch, tmp_path, hide):
    """No hidden row: no warning.  Every row hidden (Excel's SpecialCells then raises "No cells were found."):
    every KPI is warned about, and the button still completes."""
    path = tmp_path / "book.xlsx"
    wb = load_workbook(SAMPLE)
    ws = wb[layout.SHEET_KPI]
    if hide == "all":
        for r in range(1, ws.max_row + 1):
            ws.row_dimensions[r].hidden = True
    wb.save(path)
    book, excel, message = _press(monkeypatch, path, "kpi_validate")
    listed = [v for v in book.sheet(layout.SHEET_FINDINGS).values().values() if v == "hidden_row"]
    assert len(listed) == {"none": 0, "all": 78}[hide], message
