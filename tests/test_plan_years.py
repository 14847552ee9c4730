"""The template follows the plan: `kpi template --plan`, `kpi add-year`, and a protection that lets clerks insert
and delete their own columns and rows."""
from __future__ import annotations

import re
import shutil
import zipfile

import pytest
from openpyxl import load_workbook

from addin.core import layout, ownership
from render import needs_soffice, page_sizes, pdf_text, squash, to_pdf, words_outside_page

A4_LANDSCAPE = (841.9, 595.3)
INFO = ("情報", "info")   # the JSON severity of information (Japanese label now, an enum value after issue 9)


def _headers(path) -> list:
    return [c.value for c in load_workbook(path)[layout.SHEET_KPI][layout.HEADER_ROW]]


def _settings(path) -> dict:
    ws = load_workbook(path)[layout.SHEET_SETTINGS]
    return {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}


def _fill_one_kpi(path, year_values: dict[str, object]):
    """A clerk types one KPI into the template (so that validation has something to check)."""
    wb = load_workbook(path)
    ws = wb[layout.SHEET_KPI]
    head = {c.value: c.column for c in ws[layout.HEADER_ROW]}
    r = layout.FIRST_DATA_ROW
    for h, v in {"重点戦略": "1", "KPI名": "観光入込客数", "単位": "万人", "基準値": 50, "基準年度": "R1", "目標値": 60,
                 "目標年度": "R6", **year_values}.items():
        ws.cell(r, head[h], v)
    wb.save(path)


@pytest.mark.parametrize("plan, years", [("R2-R6", range(2, 7)), ("2025-2029", range(7, 12)), ("R8～R12", range(8, 13))])
def test_template_has_one_actual_column_per_year_of_the_plan(run, tmp_path, plan, years):
    out = tmp_path / "t.xlsx"
    res = run("template", out, "--plan", plan)
    assert res.exit_code == 0, res.stderr
    heads = _headers(out)
    assert [h for h in heads if str(h).startswith("実績値")] == [f"実績値 R{n}" for n in years]
    assert not [h for h in heads if str(h).startswith("目標値 R")]
    s = _settings(out)
    assert (s["計画期間（開始年度）"], s["計画期間（終了年度）"]) == (f"R{years[0]}", f"R{years[-1]}")


def test_yearly_targets_on_request(run, tmp_path):
    out = tmp_path / "t.xlsx"
    assert run("template", out, "--plan", "R2-R6", "--yearly-targets").exit_code == 0
    assert [h for h in _headers(out) if str(h).startswith("目標値 R")] == [f"目標値 R{n}" for n in range(2, 7)]


def test_a_plan_that_is_no_plan_is_refused(run, tmp_path):
    res = run("template", tmp_path / "t.xlsx", "--plan", "R6-R2")
    assert res.exit_code == 2 and "--plan" in res.stderr


def test_template_for_the_plan_validates_clean(run, tmp_path):
    out = tmp_path / "t.xlsx"
    assert run("template", out, "--plan", "R2-R6").exit_code == 0
    _fill_one_kpi(out, {"実績値 R2": 40, "実績値 R3": 45})
    res = run("validate", out, "--json")
    assert res.exit_code == 0, res.output
    assert [f for f in res.json()["findings"] if f["severity"] not in INFO] == []


def test_add_year_inserts_the_next_year_beside_the_last_actual_column(run, tmp_path):
    out = tmp_path / "t.xlsx"
    assert run("template", out, "--plan", "R2-R6").exit_code == 0
    _fill_one_kpi(out, {"実績値 R6": 58})
    before = _headers(out)
    res = run("add-year", out)
    assert res.exit_code == 0, res.stderr
    assert "実績値 R7" in res.output and "計画期間" in res.output
    heads = _headers(out)
    i = heads.index("実績値 R6")
    assert heads[i + 1] == "実績値 R7"
    assert heads[:i + 1] + heads[i + 2:] == before
    assert _settings(out)["計画期間（終了年度）"] == "R7"
    # the tool's markers moved with their columns; the clerk's cells did not change
    wb = load_workbook(out)
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    for key, c in ownership.marked_columns(names).items():
        assert heads[c - 1] == next(col.header for col in layout.COMPUTED_COLUMNS if col.key == key)
    ws = wb[layout.SHEET_KPI]
    assert ws.cell(layout.FIRST_DATA_ROW, heads.index("実績値 R6") + 1).value == 58
    assert ws.cell(layout.FIRST_DATA_ROW, i + 2).protection.locked is False       # clerks type into it
    # what refers to the columns moved with them, as in Excel: dropdowns, the band merges, the filter
    direction = ws.cell(layout.HEADER_ROW, heads.index("方向") + 1).column_letter
    dv = next(d for d in ws.data_validations.dataValidation if "増加" in (d.formula1 or ""))
    assert str(dv.sqref).startswith(f"{direction}{layout.FIRST_DATA_ROW}:")
    band = sorted(str(m) for m in ws.merged_cells.ranges)
    assert band[0].startswith("A3:") and ws.auto_filter.ref.endswith(ws.cell(1, len(heads)).column_letter + "304")
    assert list((out.parent / "KPIバックアップ").rglob("t_元のファイル_*"))   # the file before the tool wrote to it
    res = run("validate", out, "--json")
    assert res.exit_code == 0 and [f for f in res.json()["findings"] if f["severity"] not in INFO] == []
    assert run("recalc", out).exit_code == 0


def test_add_year_twice_and_an_explicit_year(run, tmp_path):
    out = tmp_path / "t.xlsx"
    assert run("template", out, "--plan", "R2-R3").exit_code == 0
    assert run("add-year", out).exit_code == 0
    assert run("add-year", out, "--year", "R5").exit_code == 0
    assert [h for h in _headers(out) if str(h).startswith("実績値")] == ["実績値 R2", "実績値 R3", "実績値 R4",
                                                                         "実績値 R5"]
    res = run("add-year", out, "--year", "R4")
    assert res.exit_code == 2 and "既にあります" in res.stderr


def test_add_year_on_the_mine_sample(run, sample_copy):
    assert run("add-year", sample_copy).exit_code == 0
    heads = _headers(sample_copy)
    assert heads[heads.index("実績値 R4") + 1] == "実績値 R5"
    res = run("evaluate", sample_copy)
    assert "26\t19\t13\t20" in res.output


def test_protection_lets_clerks_insert_and_delete_columns_and_rows(tmp_path, run):
    """Checked in the sheet XML itself: 0 means the action is allowed on the protected sheet."""
    out = tmp_path / "t.xlsx"
    assert run("template", out, "--plan", "R2-R6").exit_code == 0
    wb = load_workbook(out)
    index = wb.sheetnames.index(layout.SHEET_KPI) + 1
    with zipfile.ZipFile(out) as z:
        xml = z.read(f"xl/worksheets/sheet{index}.xml").decode()
    prot = re.search(r"<sheetProtection [^>]*/>", xml).group(0)
    assert 'sheet="1"' in prot
    for flag in ("insertColumns", "insertRows", "deleteColumns", "deleteRows"):
        assert f'{flag}="0"' in prot, flag
    ws = wb[layout.SHEET_KPI]
    heads = {c.value: c.column for c in ws[layout.HEADER_ROW]}
    assert ws.cell(layout.FIRST_DATA_ROW, heads["評価"]).protection.locked is True
    assert ws.cell(layout.FIRST_DATA_ROW, heads["KPI名"]).protection.locked is False


@pytest.fixture(scope="module")
def plan_books(tmp_path_factory):
    from addin.cli import main
    d = tmp_path_factory.mktemp("plan")
    made = d / "template_r2_r6.xlsx"
    assert main(["template", str(made), "--plan", "R2-R6"]) == 0
    added = d / "added_year.xlsx"
    shutil.copy(made, added)
    assert main(["add-year", str(added)]) == 0
    out = {}
    for p in (made, added):
        wb = load_workbook(p)
        for name in wb.sheetnames:
            if name != layout.SHEET_KPI:
                del wb[name]
        ws = wb[layout.SHEET_KPI]
        ws.print_area = f"A1:{ws.cell(layout.FIRST_DATA_ROW + 9, ws.max_column).coordinate}"
        only = d / f"{p.stem}_kpi.xlsx"
        wb.save(only)
        out[p.stem] = to_pdf(only, d)
    return out


@pytest.mark.render
@needs_soffice
@pytest.mark.parametrize("name, years", [("template_r2_r6", range(2, 7)), ("added_year", range(2, 8))])
def test_kpi_sheet_prints_on_a4_with_every_year_column(plan_books, name, years):
    pdf = plan_books[name]
    sizes = page_sizes(pdf)
    assert sizes and all(abs(w - A4_LANDSCAPE[0]) < 1 and abs(h - A4_LANDSCAPE[1]) < 1 for w, h in sizes)
    assert words_outside_page(pdf) == []
    text = squash(pdf_text(pdf))
    for n in years:
        assert squash(f"実績値 R{n}") in text


def test_untouched_template_for_the_plan_validates_clean(run, tmp_path):
    out = tmp_path / "t.xlsx"
    assert run("template", out, "--plan", "R2-R6").exit_code == 0
    res = run("validate", out, "--json")
    assert res.exit_code == 0
    assert [f["code"] for f in res.json()["findings"]] == ["empty_table"]        # information only
