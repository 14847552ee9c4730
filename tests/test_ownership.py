"""Ownership is marked, not guessed: a clerk column headed 評価 / 進捗率 / 検証 and a clerk sheet named
KPI達成状況 are never written by `kpi recalc`; the tool's columns are found by their markers (defined names)."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill

from addin.book.columns import insert_columns
from addin.core import layout, ownership

CLERK_VALUES = ["○", "△", "×", 0.5, None, "済"]


def _header_cols(ws) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for c in range(1, ws.max_column + 1):
        out.setdefault(ws.cell(layout.HEADER_ROW, c).value, []).append(c)
    return out


def _column(ws, c):
    """Values and styles of a column, to compare byte for byte."""
    return [(ws.cell(r, c).value, ws.cell(r, c).number_format, ws.cell(r, c).font.b, ws.cell(r, c).fill.fgColor.rgb,
             ws.cell(r, c).border.left.style, ws.cell(r, c).protection.locked)
            for r in range(1, ws.max_row + 1)]


def _add_clerk_column(ws, c, header):
    ws.cell(layout.HEADER_ROW, c, header).font = Font(bold=True, color="FF0000")
    for i, v in enumerate(CLERK_VALUES):
        cell = ws.cell(layout.FIRST_DATA_ROW + i, c, v)
        cell.fill = PatternFill("solid", start_color="FFFF00", end_color="FFFF00")
        cell.number_format = "@" if isinstance(v, str) else "0.00"


def _marked(path) -> dict[str, int]:
    wb = load_workbook(path)
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    return ownership.marked_columns(names)


@pytest.mark.parametrize("header", ["評価", "進捗率", "検証"])
@pytest.mark.parametrize("where", ["inserted_before_tool_columns", "appended_after", "unmarked_old_workbook"])
def test_recalc_leaves_a_clerk_column_with_a_tool_header_unchanged(run, sample_copy, header, where):
    wb = load_workbook(sample_copy)
    ws = wb[layout.SHEET_KPI]
    notes = _header_cols(ws)["備考"][0]
    if where == "inserted_before_tool_columns":
        insert_columns(wb, ws, notes + 1)            # as Excel inserts: the markers move with the tool's columns
        clerk = notes + 1
    else:
        clerk = ws.max_column + 2
    if where == "unmarked_old_workbook":             # a workbook written before markers existed
        for name in list(wb.defined_names):
            del wb.defined_names[name]
    _add_clerk_column(ws, clerk, header)
    wb.save(sample_copy)
    before = _column(load_workbook(sample_copy)[layout.SHEET_KPI], clerk)

    res = run("recalc", sample_copy)
    assert res.exit_code == 0, res.stderr
    assert "26\t19\t13\t20" in res.output
    ws = load_workbook(sample_copy)[layout.SHEET_KPI]
    assert _column(ws, clerk) == before
    marked = _marked(sample_copy)
    assert clerk not in marked.values()
    assert set(marked) == {c.key for c in layout.COMPUTED_COLUMNS}
    row = layout.FIRST_DATA_ROW                      # 三洞入洞者数 382 / 540: written into the tool's columns
    assert ws.cell(row, marked["status"]).value == "未達成↓"
    assert ws.cell(row, marked["progress"]).value == pytest.approx(382 / 540)
    # twice: the markers are found again, nothing moves
    assert run("recalc", sample_copy).exit_code == 0
    ws = load_workbook(sample_copy)[layout.SHEET_KPI]
    assert _column(ws, clerk) == before and _marked(sample_copy) == marked


def test_a_table_without_the_tool_columns_gets_them_beside_the_clerk_column(run, sample_copy):
    """Not made from the template (no band, no markers): the tool adds its columns at the right end, and the
    one whose header a clerk column already uses says （自動）."""
    wb = load_workbook(sample_copy)
    ws = wb[layout.SHEET_KPI]
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    cols = _header_cols(ws)
    first_tool = min(cols[c.header][0] for c in layout.COMPUTED_COLUMNS)
    for m in list(ws.merged_cells.ranges):          # no template band
        ws.unmerge_cells(str(m))
    ws.delete_cols(first_tool, len(layout.COMPUTED_COLUMNS))
    for c in range(1, ws.max_column + 1):
        ws.cell(3, c).value = None
    clerk = first_tool
    _add_clerk_column(ws, clerk, "評価")
    wb.save(sample_copy)
    before = _column(load_workbook(sample_copy)[layout.SHEET_KPI], clerk)
    assert run("recalc", sample_copy).exit_code == 0
    ws = load_workbook(sample_copy)[layout.SHEET_KPI]
    assert _column(ws, clerk) == before
    heads = _header_cols(ws)
    assert heads["評価（自動）"] and heads["進捗率"][0] > clerk
    assert _marked(sample_copy)["status"] == heads["評価（自動）"][0]


@pytest.mark.parametrize("sheet, kind", [(layout.SHEET_SUMMARY, "summary"), (layout.SHEET_FINDINGS, "findings")])
def test_a_clerk_sheet_with_the_tool_sheet_name_is_never_replaced(run, sample_copy, sheet, kind):
    wb = load_workbook(sample_copy)
    ws = wb.create_sheet(sheet)
    ws["A1"] = "担当課が作った集計（手作業）"
    ws["B3"] = 42
    wb.save(sample_copy)
    res = run("recalc", sample_copy)
    assert res.exit_code == 0, res.stderr
    wb = load_workbook(sample_copy)
    assert wb[sheet]["A1"].value == "担当課が作った集計（手作業）" and wb[sheet]["B3"].value == 42
    own = sheet + ownership.OWN_SUFFIX
    assert own in wb.sheetnames
    assert wb.defined_names[ownership.SHEET_MARKERS[kind]].attr_text == ownership.cell_ref(own, 1, 1)
    n = len(wb.sheetnames)
    assert run("recalc", sample_copy).exit_code == 0         # the marked sheet is reused, no third copy
    assert len(load_workbook(sample_copy).sheetnames) == n


def test_sheets_written_before_markers_existed_are_taken_over(run, sample_copy):
    """Migration: an unmarked KPI達成状況 that starts as the tool writes it is the tool's (replaced, then marked)."""
    assert run("recalc", sample_copy).exit_code == 0
    wb = load_workbook(sample_copy)
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    wb.save(sample_copy)
    assert run("recalc", sample_copy).exit_code == 0
    wb = load_workbook(sample_copy)
    assert layout.SHEET_SUMMARY + ownership.OWN_SUFFIX not in wb.sheetnames
    assert wb.defined_names[ownership.SHEET_MARKERS["summary"]].attr_text == ownership.cell_ref(
        layout.SHEET_SUMMARY, 1, 1)


def test_markers_are_hidden_defined_names_on_the_template(tmp_path, run):
    out = tmp_path / "t.xlsx"
    assert run("template", out).exit_code == 0
    wb = load_workbook(out)
    heads = {v: c for c, v in enumerate((c.value for c in wb[layout.SHEET_KPI][layout.HEADER_ROW]), start=1)}
    for col in layout.COMPUTED_COLUMNS:
        dn = wb.defined_names[ownership.column_marker(col.key)]
        assert dn.hidden
        assert dn.attr_text == ownership.cell_ref(layout.SHEET_KPI, heads[col.header], layout.HEADER_ROW)


@pytest.mark.parametrize("ref, expected", [
    ("'KPI'!$X$4", ("KPI", 24, 4)), ("KPI!$AB$12", ("KPI", 28, 12)), ("='KPI達成状況'!$A$1", ("KPI達成状況", 1, 1)),
    ("'it''s'!$A$1", ("it's", 1, 1)), ("#REF!", None), ("'KPI'!#REF!", None), ("", None)])
def test_marker_references_are_parsed(ref, expected):
    assert ownership.parse_ref(ref) == expected


def _press(monkeypatch, path, button):
    """Press a ribbon button as the VBA launcher does, on ``path`` open in the stand-in of Excel's COM
    (tests/fake_excel.py); returns the open workbook and the alert shown."""
    import fake_excel
    from addin import ribbon
    excel = fake_excel.Excel()
    book = fake_excel.open_in_excel(path, excel)
    with fake_excel.attached(monkeypatch):
        assert ribbon.main([button, str(excel.app.Hwnd), book.FullName]) == ribbon.EXIT_OK
    return book, excel.app.alerts[-1][0]


def test_ribbon_recalc_respects_the_markers_too(monkeypatch, sample_copy):
    """The live adapter (Excel, through xlwings on the COM stand-in) reads and sets the same markers."""
    wb = load_workbook(sample_copy)
    ws = wb[layout.SHEET_KPI]
    clerk = ws.max_column + 1
    _add_clerk_column(ws, clerk, "評価")
    wb.create_sheet(layout.SHEET_SUMMARY)["A1"] = "担当課の集計"
    wb.save(sample_copy)
    import fake_excel
    before = {k: v for k, v in fake_excel.open_in_excel(sample_copy).sheet(layout.SHEET_KPI).values().items()
              if k[1] == clerk}
    assert len(before) == 1 + sum(v is not None for v in CLERK_VALUES)   # the clerk's column is really there
    book, message = _press(monkeypatch, sample_copy, "kpi_recalc")
    assert "目標達成 26" in message, message
    after = {k: v for k, v in book.sheet(layout.SHEET_KPI).values().items() if k[1] == clerk}
    assert after == before
    assert book.sheet(layout.SHEET_SUMMARY).values() == {(1, 1): "担当課の集計"}
    own = layout.SHEET_SUMMARY + ownership.OWN_SUFFIX
    assert f"シート「{own}」" in message
    assert any(v == "【KPI達成状況】" for v in book.sheet(own).values().values())
    names = {n.Name: (n.RefersTo, n.Visible) for n in book.names}
    assert names[ownership.SHEET_MARKERS["summary"]] == ("=" + ownership.cell_ref(own, 1, 1), False)
    assert all(not visible for name, (_, visible) in names.items() if name.startswith("_kpi_"))
    # the tool's columns are marked where the tool wrote them, none on the clerk's column
    marked = ownership.marked_columns({n: ref[1:] for n, (ref, _) in names.items()})
    assert marked and clerk not in marked.values()


def test_ribbon_validate_keeps_a_clerk_sheet_named_like_the_findings_sheet(monkeypatch, sample_copy):
    wb = load_workbook(sample_copy)
    wb.create_sheet(layout.SHEET_FINDINGS)["A1"] = "担当課のメモ"
    wb.save(sample_copy)
    book, message = _press(monkeypatch, sample_copy, "kpi_validate")
    own = layout.SHEET_FINDINGS + ownership.OWN_SUFFIX
    assert f"シート「{own}」" in message, message
    assert book.sheet(layout.SHEET_FINDINGS).values() == {(1, 1): "担当課のメモ"}
    assert any(v == "N9" for v in book.sheet(own).values().values())   # the findings went to the tool's sheet


def test_cli_recalc_names_the_sheet_it_wrote(run, sample_copy):
    wb = load_workbook(sample_copy)
    wb.create_sheet(layout.SHEET_SUMMARY)["A1"] = "担当課の集計"
    wb.save(sample_copy)
    res = run("recalc", sample_copy)
    assert f"シート「{layout.SHEET_SUMMARY}{ownership.OWN_SUFFIX}」「{layout.SHEET_FINDINGS}」" in res.output
