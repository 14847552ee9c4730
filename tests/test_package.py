"""The package adapter (addin.book.package): reading equals the openpyxl reader, cost follows the cells present,
defined names (the contract with the ownership markers) in all three adapters, styles only appended."""
from __future__ import annotations

import io
import shutil
import time
import zipfile

import pytest
from openpyxl import load_workbook

import fake_excel
from addin.book.files import FileBook
from addin.book.package import PackageBook
from addin.core.cells import is_percent_format as _shows_percent  # the one % rule (core), used by the package reader
from addin.core import layout
from addin.live import LiveBook
from conftest import SAMPLE, WORKBOOKS
from corpus import CASES

# cases whose cells exercise the reader (string kinds, formulas, errors, dates, namespaces, implicit references)
READ_CASES = ["plain_xlsxwriter", "rich_text_shared", "rich_text_inline", "furigana", "dates", "date1904",
              "cached_formulas_xlsxwriter", "cached_formulas_calc_chain", "formula_without_cached_value",
              "shared_formulas", "array_and_dynamic_formulas", "data_table", "error_and_boolean_cached",
              "booleans_and_errors", "escaped_text", "prefixed_sheet", "excel_namespaces_spans",
              "cells_without_refs", "rows_and_cells_without_refs", "percent_formats", "external_link",
              "picture_in_cell", "checkboxes", "utf8_bom_crlf", "single_quoted_attrs", "xml_comments",
              "no_computed_headers", "old_summary_in_middle", "chartsheet"]
# (cell_in_last_row is left out here: openpyxl itself takes minutes to expand a million rows; the package reader's
# cost on it is checked by test_a_space_in_the_last_row_costs_nothing and test_recalc_of_the_far_cell_workbook_is_quick)
BY_NAME = {c.name: c for c in CASES}


def _trimmed(block, percent):
    """openpyxl's dense block cut like the package reader's: after the last row holding something (blank text
    counts as nothing) and the last column holding a value."""
    def blank(v):
        return v is None or (isinstance(v, str) and not v.strip())
    last = max((r for r, row in enumerate(block, start=1) if any(not blank(v) for v in row)), default=0)
    width = max((c for row in block[:last] for c, v in enumerate(row, start=1) if v is not None), default=0)
    rows = [list(row[:width]) + [None] * (width - len(row[:width])) for row in block[:last]]
    return rows, {(r, c) for r, c in percent if r <= last and c <= width}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("read-corpus")


@pytest.mark.parametrize("source", [SAMPLE, WORKBOOKS / "samples" / "sample_city_r6.xlsx"] + READ_CASES,
                         ids=lambda s: getattr(s, "name", s))
def test_read_block_equals_the_openpyxl_reader(source, corpus_dir):
    if isinstance(source, str):
        path = corpus_dir / BY_NAME[source].filename()
        if not path.exists():
            BY_NAME[source].build(path)
    else:
        path = source
    package = PackageBook(path.read_bytes())
    files = FileBook(path)
    worksheets = {ws.title for ws in files.wb.worksheets}
    for sheet in package.sheet_names():
        if sheet not in worksheets:  # chart sheets hold no cells
            continue
        block, percent = package.read_block(sheet)
        expected, expected_percent = _trimmed(*files.read_block(sheet))
        assert block == expected, sheet
        assert percent == expected_percent, sheet


@pytest.mark.parametrize("code, shown", [("0%", True), ("0.0%", True), ('0.0"%"', False), (r"0\%", False),
                                         ('#,##0"件";[Red]-0%', True), ("General", False)])
def test_percent_means_a_percent_sign_outside_quotes(code, shown):
    assert _shows_percent(code) is shown


def _far_cell_package(text: str) -> bytes:
    """The sample with one cell typed in the very last row of the KPI sheet, dimension reaching it."""
    parts = {}
    with zipfile.ZipFile(SAMPLE) as z:
        for n in z.namelist():
            parts[n] = z.read(n)
    xml = parts["xl/worksheets/sheet2.xml"].decode()
    xml = xml.replace('<dimension ref="A1:AG102"/>', '<dimension ref="A1:XFD1048576"/>')
    xml = xml.replace("</sheetData>", f'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>{text}</t></is></c>'
                                      "</row></sheetData>")
    parts["xl/worksheets/sheet2.xml"] = xml.encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in parts.items():
            z.writestr(n, d)
    return buf.getvalue()


def test_a_space_in_the_last_row_costs_nothing():
    """One space typed in row 1,048,576 (dimension A1:XFD1048576) does not make a million rows."""
    book = PackageBook(_far_cell_package(" "))
    block, _ = book.read_block(layout.SHEET_KPI)
    assert len(block) == len(PackageBook(SAMPLE.read_bytes()).read_block(layout.SHEET_KPI)[0])


def test_a_real_entry_in_the_last_row_shares_one_empty_row():
    """A real entry down there is kept, but the empty rows above it are one shared list (memory stays small)."""
    block, _ = PackageBook(_far_cell_package("メモ")).read_block(layout.SHEET_KPI)
    assert len(block) == 1_048_576 and block[-1][0] == "メモ"
    assert len({id(row) for row in block}) < 200


def test_recalc_of_the_far_cell_workbook_is_quick(run, tmp_path):
    path = tmp_path / "far.xlsx"
    path.write_bytes(_far_cell_package(" "))
    started = time.perf_counter()
    assert run("recalc", path).exit_code in (0, 1)
    assert time.perf_counter() - started < 60  # was 6 minutes and 7.6 GB through openpyxl


# ----------------------------------------------------------------------------------------------------------------
# defined names: the same contract in the three adapters

def _package(path, monkeypatch=None):
    book = PackageBook(path.read_bytes())

    def reopen():
        path.write_bytes(book.to_bytes())
        return PackageBook(path.read_bytes())
    return book, reopen


def _file(path, monkeypatch=None):
    book = FileBook(path)

    def reopen():
        book.wb.save(path)
        return FileBook(path)
    return book, reopen


def _live(path, monkeypatch):
    """The workbook open in (the stand-in of) Excel, through xlwings' own Windows engine; names live in it."""
    from addin.live import attach
    excel = fake_excel.Excel()
    wb = fake_excel.open_in_excel(path, excel)
    fake_excel.attached(monkeypatch).__enter__()   # undone by monkeypatch at the end of the test
    book = LiveBook(attach(excel.app.Hwnd, wb.FullName))
    return book, lambda: book


@pytest.mark.parametrize("adapter", [_package, _file, _live], ids=["package", "openpyxl", "xlwings"])
def test_defined_names_are_read_added_replaced_and_deleted(adapter, tmp_path, corpus_dir, monkeypatch):
    src = corpus_dir / "defined_names_openpyxl.xlsx"
    if not src.exists():
        BY_NAME["defined_names_openpyxl"].build(src)
    path = tmp_path / "names.xlsx"
    shutil.copy(src, path)
    book, reopen = adapter(path, monkeypatch)
    names = book.defined_names()
    assert names["目標値"] == "KPI!$Q$5:$Q$82" and names["_kpi_old"] == '"x"'
    assert not any(n.startswith("_xlnm") for n in names)  # the KPI sheet's own print titles are not workbook-scoped
    book.set_defined_names({"_kpi_owner": '"kpi-addin 1"', "_kpi_old": None, "_KPI_OWNER": '"kpi-addin 2"'})
    after = reopen().defined_names()
    assert after["_KPI_OWNER"] == '"kpi-addin 2"' and "_kpi_owner" not in after and "_kpi_old" not in after
    assert after["目標値"] == "KPI!$Q$5:$Q$82"


def test_names_set_through_the_package_are_hidden_and_keep_the_sheet_names(tmp_path):
    path = tmp_path / "names.xlsx"
    shutil.copy(SAMPLE, path)
    book = PackageBook(path.read_bytes())
    book.set_defined_names({"_kpi_owner": '"kpi-addin"'})
    path.write_bytes(book.to_bytes())
    wb = load_workbook(path)
    assert wb.defined_names["_kpi_owner"].hidden
    assert wb["KPI"].print_title_rows == "$4:$4"


def test_live_names_are_set_with_a_constant_number_of_calls_per_name(monkeypatch):
    book, _ = _live(SAMPLE, monkeypatch)
    calls = fake_excel.APPS[book.book.app.hwnd]._excel.calls
    before = len(calls)
    book.set_defined_names({"_kpi_a": "1", "_kpi_b": "2"})
    assert calls[before:].count("Names.Add") == 2
    names = book.defined_names()
    assert names["_kpi_a"] == "1" and names["_kpi_b"] == "2"
    wb = fake_excel.APPS[book.book.app.hwnd].books[0]
    assert all(not n.Visible for n in wb.names if n.Name.startswith("_kpi_"))


# ----------------------------------------------------------------------------------------------------------------

def test_styles_are_appended_once_and_reused_on_the_next_run(run, tmp_path):
    path = tmp_path / "mine.xlsx"
    shutil.copy(SAMPLE, path)
    assert run("recalc", path).exit_code == 0
    with zipfile.ZipFile(path) as z:
        first = z.read("xl/styles.xml")
    assert run("recalc", path).exit_code == 0
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/styles.xml") == first
    with zipfile.ZipFile(SAMPLE) as z:
        original = z.read("xl/styles.xml")
    assert len(first) > len(original)


def test_the_error_highlight_stops_the_warning_one(run, tmp_path):
    """The tool's two rules in the patched KPI sheet: the エラー rule has stopIfTrue, the 警告 rule has not (a cell
    listed under both shows as an error)."""
    import re
    path = tmp_path / "mine.xlsx"
    shutil.copy(SAMPLE, path)
    assert run("recalc", path).exit_code == 0
    book = PackageBook(path.read_bytes())
    xml = book._read(book._sheet(layout.SHEET_KPI).part).decode("utf-8")
    ours = [r for r in re.findall(r"<cfRule\b[^>]*>.*?</cfRule>", xml, re.S) if "kpi-addin-check" in r]
    assert len(ours) == 2
    error = next(r for r in ours if "LEFT(" in r)
    assert 'stopIfTrue="1"' in error and all('stopIfTrue' not in r for r in ours if r is not error)
