"""`kpi recalc` on a copy of the sample: owned cells written, every clerk's cell untouched, idempotent, safe."""
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference

from addin.core import layout
from conftest import SAMPLE
from xlsx_compare import sheet_values


def owned_columns(ws) -> set[int]:
    computed = {c.header for c in layout.COMPUTED_COLUMNS}
    return {c for c in range(1, ws.max_column + 1) if ws.cell(layout.HEADER_ROW, c).value in computed}


def test_recalc_writes_summary_and_keeps_every_input_cell(run, sample_copy):
    before = load_workbook(SAMPLE)
    r = run("recalc", sample_copy)
    assert r.exit_code == 0, r.stderr
    assert "26\t19\t13\t20" in r.output
    after = load_workbook(sample_copy)
    assert layout.SHEET_SUMMARY in after.sheetnames and layout.SHEET_FINDINGS in after.sheetnames
    for ws in before.worksheets:
        new = after[ws.title]
        owned = owned_columns(ws) if ws.title == layout.SHEET_KPI else set()
        for row in ws.iter_rows():
            for cell in row:
                if cell.column in owned:
                    continue
                n = new.cell(cell.row, cell.column)
                assert (n.value, n.number_format) == (cell.value, cell.number_format), f"{ws.title}!{cell.coordinate}"
    # the backup beside the file is the original
    backup = next((sample_copy.parent / "KPIバックアップ" / "mine_r4.xlsx").glob("mine_r4_元のファイル_*.xlsx"))
    assert sheet_values(backup) == sheet_values(SAMPLE)


def test_recalc_writes_progress_and_status_into_the_kpi_sheet(run, sample_copy):
    assert run("recalc", sample_copy).exit_code == 0
    ws = load_workbook(sample_copy)[layout.SHEET_KPI]
    head = {ws.cell(layout.HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1)}
    row = layout.FIRST_DATA_ROW  # 三洞入洞者数 382 / 540
    assert ws.cell(row, head["KPI名"]).value == "三洞入洞者数"
    assert ws.cell(row, head["進捗率"]).value == pytest.approx(382 / 540)
    assert ws.cell(row, head["進捗率"]).number_format == "0.0%"
    assert ws.cell(row, head["評価"]).value == "未達成↓"


def test_summary_sheet_lists_every_kpi_and_the_tally(run, sample_copy, source_rows):
    assert run("recalc", sample_copy).exit_code == 0
    ws = load_workbook(sample_copy)[layout.SHEET_SUMMARY]
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    texts = [v for v in values if isinstance(v, str)]
    for src in source_rows:
        assert any(t.rstrip("※") == src["name"].rstrip("※") for t in texts), src["name"]
    total = next(row for row in ws.iter_rows(values_only=True) if row[0] == "合計")
    assert total[1:6] == (26, 19, 13, 20, 78)
    assert ws.print_title_rows and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth) == 1


def test_recalc_twice_gives_the_same_content(run, sample_copy, tmp_path):
    assert run("recalc", sample_copy).exit_code == 0
    first = sheet_values(sample_copy)
    assert run("recalc", sample_copy).exit_code == 0
    assert sheet_values(sample_copy) == first


def test_regenerating_replaces_only_the_owned_sheets(run, sample_copy):
    wb = load_workbook(sample_copy)
    ws = wb.create_sheet("メモ")
    ws["A1"] = "担当者の覚え書き"
    wb.save(sample_copy)
    assert run("recalc", sample_copy).exit_code == 0
    assert run("recalc", sample_copy).exit_code == 0
    wb = load_workbook(sample_copy)
    assert wb.sheetnames.count(layout.SHEET_SUMMARY) == 1
    assert wb["メモ"]["A1"].value == "担当者の覚え書き"


def _with_chart(path):
    wb = load_workbook(path)
    ws = wb[layout.SHEET_KPI]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=13, min_row=5, max_row=10))
    ws.add_chart(chart, "AD5")
    wb.save(path)


def _with_macro_part(path):
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0not really")
    shutil.move(tmp, path)


def _with_threaded_comment(path):
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("xl/threadedComments/threadedComment1.xml", "<ThreadedComments/>")
    shutil.move(tmp, path)


@pytest.mark.parametrize("spoil, part", [
    (_with_chart, "xl/charts/chart1.xml"),
    (_with_macro_part, "xl/vbaProject.bin"),
    (_with_threaded_comment, "xl/threadedComments/threadedComment1.xml"),
])
def test_parts_openpyxl_would_drop_are_kept_byte_for_byte(run, sample_copy, spoil, part):
    spoil(sample_copy)
    with zipfile.ZipFile(sample_copy) as z:
        before = z.read(part)
    r = run("recalc", sample_copy)
    assert r.exit_code == 0, r.stderr
    with zipfile.ZipFile(sample_copy) as z:
        assert z.read(part) == before
        assert layout.SHEET_SUMMARY in load_workbook(sample_copy).sheetnames


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "見つかりません"),
    (lambda p: p.write_bytes(b"not a workbook"), "読み込めません"),
])
def test_cannot_run_exit_code_2_with_a_clear_message(run, tmp_path, make, message):
    path = tmp_path / "x.xlsx"
    make(path)
    for cmd in ("recalc", "evaluate", "validate"):
        r = run(cmd, path)
        assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_entries_with_errors_exit_1_and_the_rest_is_computed(run, sample_copy):
    wb = load_workbook(sample_copy)
    ws = wb[layout.SHEET_KPI]
    head = {ws.cell(layout.HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1)}
    ws.cell(layout.FIRST_DATA_ROW, head["実績値 R4"]).value = "abc"
    wb.save(sample_copy)
    r = run("recalc", sample_copy)
    assert r.exit_code == 1
    rep = run("evaluate", sample_copy, "--json")
    assert rep.exit_code == 1
    kpis = rep.json()["kpis"]
    # the KPI with the error stays in the tally, as 評価対象外, and the summary says so
    assert kpis[0]["progress"] is None and kpis[0]["status"] == "評価対象外"
    assert sum(1 for k in kpis if k["status"] not in (None, "評価対象外")) == 77
    assert rep.json()["tallies"]["total"]["評価対象外"] == 1 and sum(rep.json()["tallies"]["total"].values()) == 78


def test_recalc_on_a_sheet_in_a_citys_own_layout_writes_nothing_and_points_to_import(run, tmp_path):
    """A clerk runs recalc on the city's own table (no KPI sheet): no empty summary is written into it; exit 2 with
    the way forward (kpi import), the file byte-identical and no backup or lock left."""
    src = Path(__file__).resolve().parents[1] / "workbooks" / "samples" / "import" / "mine_layout.xlsx"
    path = tmp_path / "own.xlsx"
    shutil.copy(src, path)
    before = path.read_bytes()
    r = run("recalc", path)
    assert r.exit_code == 2 and "kpi import" in r.stderr and "Traceback" not in r.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["own.xlsx"]
