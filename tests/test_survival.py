"""Survival corpus: `kpi recalc` on the sample plus one feature clerks have must lose nothing.

For every workbook of tests/corpus.py, through the command line:
- exit 0 or 1 (never a refusal, never a traceback);
- every part the tool does not own is byte-identical (uncompressed);
- in the KPI sheet every cell outside the tool's columns is the same XML element (value, formula, cached value,
  style index, rich text, phonetic runs), and every other element of the sheet is unchanged except the tool's
  own conditional formats (a clerk's rule is kept even when its range equals the tool's);
- workbook.xml, styles.xml, rels and content types only gain entries (styles appended, never changed);
- a second run gives the same owned content and still keeps everything of the clerk's.
A diverse subset is opened in LibreOffice (converted to PDF); the parts the tool writes are checked against the
element order of the SpreadsheetML schema.
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from addin.book.package import MAIN_NS, PackageBook, _ref
from addin.core import layout
from corpus import CASES, SAMPLE
from render import needs_soffice, to_pdf

M = "{%s}" % MAIN_NS
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"
COMPUTED_HEADERS = {c.header for c in layout.COMPUTED_COLUMNS}
STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs")


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus")


def _build(case, corpus_dir) -> Path:
    original = corpus_dir / case.filename()
    if not original.exists():
        case.build(original)
    return original


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _xml(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _c14n(el) -> bytes:
    return etree.tostring(el, method="c14n")


def _owned_parts(path) -> tuple[set[str], str]:
    """Parts the tool may write (workbook, its rels, content types, styles, calcChain, the KPI sheet and the
    generated sheets with their rels), and the KPI sheet's part."""
    book = PackageBook(Path(path).read_bytes())
    owned = {book.wb_part, "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
             book._related(book.wb_rels, "/styles"), book._related(book.wb_rels, "/calcChain")}
    kpi = None
    for s in book.sheets:
        if s.name in layout.OWNED_SHEETS:
            owned |= {s.part, s.part.replace("worksheets/", "worksheets/_rels/") + ".rels"}
        if s.name == layout.SHEET_KPI:
            kpi = s.part
    return owned | {kpi}, kpi


def _cells(sheet: bytes) -> dict[tuple[int, int], bytes]:
    """(row, col) → canonical XML of each <c> without its ``r`` attribute (cells may omit it)."""
    out, r, c = {}, 0, 0
    for row in _xml(sheet).iter(M + "row"):
        r = int(row.get("r") or r + 1)
        c = 0
        for cell in row.iter(M + "c"):
            ref = cell.get("r")
            r, c = _ref(ref) if ref else (r, c + 1)
            copy = etree.fromstring(_c14n(cell))
            copy.attrib.pop("r", None)
            out[(r, c)] = _c14n(copy)
    return out


def _owned_columns(path) -> set[int]:
    book = PackageBook(Path(path).read_bytes())
    block, _ = book.read_block(layout.SHEET_KPI)
    header = block[layout.HEADER_ROW - 1] if len(block) >= layout.HEADER_ROW else []
    return {c for c, v in enumerate(header, start=1) if v in COMPUTED_HEADERS}


def _tail_elements(sheet: bytes) -> list[bytes]:
    """Every top-level element of a sheet except sheetData, dimension and the tool's conditional formats;
    a clerk's cfRule inside a shared conditionalFormatting element is kept as its own entry."""
    out = []
    for el in _xml(sheet):
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in ("sheetData", "dimension"):
            continue
        if local == "conditionalFormatting":
            for rule in el:
                text = "".join(rule.itertext())
                if 'ISTEXT("kpi-addin-check")' not in text:
                    out.append(el.get("sqref").encode() + _c14n(rule))
            continue
        out.append(_c14n(el))
    return out


def _check_survival(original: Path, result: Path):
    before, after = _parts(original), _parts(result)
    owned, kpi = _owned_parts(result)
    # 1. parts the tool does not own: byte-identical, same order
    for name, data in before.items():
        if name in owned:
            continue
        assert name in after, f"part {name} lost"
        assert after[name] == data, f"part {name} changed"
    assert [n for n in after if n in before] == list(before), "entry order changed"
    # 2. the KPI sheet: every cell outside the tool's columns identical
    cols = _owned_columns(result)
    old_cells, new_cells = _cells(before[kpi]), _cells(after[kpi])
    for (r, c), xml in old_cells.items():
        if c in cols:
            continue
        assert new_cells.get((r, c)) == xml, f"KPI cell row {r} col {c} changed"
    for (r, c) in new_cells:
        assert (r, c) in old_cells or c in cols or r == layout.HEADER_ROW, f"new cell row {r} col {c}"
    old_tail, new_tail = _tail_elements(before[kpi]), _tail_elements(after[kpi])
    for el in old_tail:
        assert el in new_tail, f"KPI sheet element lost: {el[:120]!r}"
    assert len(new_tail) == len(old_tail)
    # 3. workbook.xml: other top-level elements unchanged, every sheet and defined name kept
    old_wb, new_wb = _xml(before["xl/workbook.xml"]), _xml(after["xl/workbook.xml"])
    skip = {"sheets", "definedNames", "bookViews"}
    assert [_c14n(e) for e in old_wb if etree.QName(e).localname not in skip] == \
        [_c14n(e) for e in new_wb if etree.QName(e).localname not in skip]
    old_sheets = [_c14n(e) for e in old_wb.iter(M + "sheet")]
    new_sheets = [_c14n(e) for e in new_wb.iter(M + "sheet")]
    assert all(s in new_sheets for s in old_sheets if not any(n.encode() in s for n in layout.OWNED_SHEETS))
    assert _active_sheet(old_wb) == _active_sheet(new_wb), "another sheet became the active one"
    names_old, names_new = _names(old_wb), _names(new_wb)
    for key in names_old:
        if key[1] in layout.OWNED_SHEETS:
            continue
        assert key in names_new, f"defined name lost or moved to another sheet: {key}"
    # 4. styles: every original entry kept at its index
    old_st, new_st = _xml(before["xl/styles.xml"]), _xml(after["xl/styles.xml"])
    for kind in STYLE_LISTS:
        o, n = old_st.find(M + kind), new_st.find(M + kind)
        if o is None:
            continue
        assert [_c14n(e) for e in o] == [_c14n(e) for e in n][:len(o)], f"styles {kind} changed"
    assert [_c14n(e) for e in old_st if etree.QName(e).localname not in STYLE_LISTS] == \
        [_c14n(e) for e in new_st if etree.QName(e).localname not in STYLE_LISTS]
    # 5. rels and content types: only additions (calcChain may go when the tool overwrote its formula cells)
    for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        new_items = {_c14n(e) for e in _xml(after[name])}
        for e in _xml(before[name]):
            assert _c14n(e) in new_items or b"calcChain" in _c14n(e), f"{name}: {_c14n(e)!r} lost"


def _active_sheet(wb) -> str:
    view = wb.find(f"{M}bookViews/{M}workbookView")
    tab = int(view.get("activeTab") or 0) if view is not None else 0
    return [e.get("name") for e in wb.iter(M + "sheet")][tab]


def _names(wb) -> set[tuple]:
    """Defined names as (name, the sheet they belong to, text, hidden)."""
    sheets = [e.get("name") for e in wb.iter(M + "sheet")]
    out = set()
    for e in wb.iter(M + "definedName"):
        lid = e.get("localSheetId")
        out.add((e.get("name"), sheets[int(lid)] if lid is not None else None, e.text, e.get("hidden")))
    return out


def _owned_snapshot(path) -> tuple:
    book = PackageBook(Path(path).read_bytes())
    kpi = book.read_block(layout.SHEET_KPI)[0]
    cols = _owned_columns(path)
    owned = [[row[c - 1] for c in sorted(cols) if c <= len(row)] for row in kpi]
    sheets = {s: book.read_block(s)[0] for s in layout.OWNED_SHEETS}
    return owned, sheets, book.sheet_names()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_recalc_keeps_everything_the_tool_does_not_own(case, corpus_dir, run, tmp_path):
    original = _build(case, corpus_dir)
    work = tmp_path / original.name
    shutil.copy(original, work)
    r = run("recalc", work)
    assert r.exit_code in (0, 1), r.stderr
    assert "Traceback" not in r.stderr + r.output
    _check_survival(original, work)
    first = _owned_snapshot(work)
    assert set(layout.OWNED_SHEETS) <= set(first[2])
    r = run("recalc", work)
    assert r.exit_code in (0, 1), r.stderr
    _check_survival(original, work)
    assert _owned_snapshot(work) == first
    _check_order(work)


def test_corpus_is_large_and_covers_what_the_issue_lists():
    names = {c.name for c in CASES}
    assert len(CASES) >= 60
    for feature in ("chart", "chartsheet", "image", "shape_textbox", "notes", "threaded_comments", "data_bars_x14",
                    "validation_x14", "sparklines", "slicer", "pivot_table", "table_over_kpi", "external_link",
                    "defined_names", "merged_cells", "outline", "workbook_protection", "protected_ranges_hashed",
                    "custom_properties", "custom_views", "printer_settings", "ignored_errors",
                    "xlsm_vba_custom_ui", "cached_formulas_calc_chain", "array_and_dynamic_formulas", "data_table",
                    "rich_text_inline", "furigana", "dates", "header_footer_picture", "picture_in_cell",
                    "clerk_cf_same_range_same_block", "hidden_rows_cols", "freeze_zoom_tab", "cell_in_last_row"):
        assert feature in names


RENDER = [c for c in CASES if c.render]


@needs_soffice
@pytest.mark.render
@pytest.mark.parametrize("case", RENDER, ids=[c.name for c in RENDER])
def test_recalculated_workbook_opens_in_libreoffice(case, corpus_dir, run, tmp_path):
    work = tmp_path / case.filename()
    shutil.copy(_build(case, corpus_dir), work)
    assert run("recalc", work).exit_code in (0, 1)
    pdf = to_pdf(work, tmp_path)
    assert pdf.exists() and pdf.stat().st_size > 1000


# ----------------------------------------------------------------------------------------------------------------
# the Open XML schema check (openxml-audit: the Open XML SDK's schema and semantic rules, the same data the
# project's customUI XSD is built from): recalc adds no error to what the clerk's file already had

SCHEMA = RENDER + [c for c in CASES if c.name in (
    "prefixed_sheet", "prefixed_workbook_styles", "excel_namespaces_spans", "no_computed_headers",
    "clerk_cf_same_range_same_block", "validation_x14", "formula_in_owned_cell", "cached_formulas_calc_chain",
    "rows_and_cells_without_refs", "slicer", "pivot_table")]


def _schema_errors(validator, path) -> set[tuple[str, str, str]]:
    return {(e.part_uri, e.path, e.description) for e in validator.validate(path).errors
            if e.severity.name == "ERROR"}


@pytest.mark.parametrize("case", SCHEMA, ids=[c.name for c in SCHEMA])
def test_recalculated_workbook_adds_no_schema_error(case, corpus_dir, run, tmp_path):
    audit = pytest.importorskip("openxml_audit", reason="pip install openxml-audit (extra: test)")
    validator = audit.OpenXmlValidator()
    original = _build(case, corpus_dir)
    work = tmp_path / case.filename()
    shutil.copy(original, work)
    assert run("recalc", work).exit_code in (0, 1)
    assert _schema_errors(validator, work) - _schema_errors(validator, original) == set()


def _spoiled(result: Path, tmp_path: Path, part: str, old: bytes, new: bytes) -> Path:
    parts = _parts(result)
    assert old in parts[part]
    parts[part] = parts[part].replace(old, new, 1)
    out = tmp_path / ("spoiled-" + result.name)
    with zipfile.ZipFile(out, "w") as z:
        for n, d in parts.items():
            z.writestr(n, d)
    return out


@pytest.mark.parametrize("case, part, old, new", [
    ("rich_text_inline", "xl/worksheets/sheet2.xml", b"<r><rPr><b/>", b"<r><rPr>"),
    ("furigana", "xl/worksheets/sheet2.xml", "アキヨシ".encode(), b"x"),
    ("clerk_cf_same_range_same_block", "xl/worksheets/sheet2.xml", b'operator="lessThan"', b'operator="greaterThan"'),
    ("cached_formulas_calc_chain", "xl/worksheets/sheet2.xml", b"<v>382</v>", b""),
    ("printer_settings", "xl/printerSettings/printerSettings1.bin", bytes(range(8)), bytes(8)),
    ("defined_names_openpyxl", "xl/workbook.xml", "目標値".encode(), "目標".encode()),
    ("custom_views", "xl/workbook.xml", b"<customWorkbookViews>", b"<customWorkbookViews><!-- -->"),
], ids=lambda x: x if isinstance(x, str) and not x.startswith("xl/") else None)
def test_the_survival_check_catches_a_loss(case, part, old, new, corpus_dir, run, tmp_path):
    """The check above can fail: the same loss planted in a good result is caught."""
    work = tmp_path / BY_NAME[case].filename()
    shutil.copy(_build(BY_NAME[case], corpus_dir), work)
    assert run("recalc", work).exit_code in (0, 1)
    _check_survival(_build(BY_NAME[case], corpus_dir), work)
    with pytest.raises(AssertionError):
        _check_survival(_build(BY_NAME[case], corpus_dir), _spoiled(work, tmp_path, part, old, new))


BY_NAME = {c.name: c for c in CASES}


# ----------------------------------------------------------------------------------------------------------------
# element order of the parts the tool writes (CT_Worksheet, CT_Workbook, CT_Stylesheet, CT_Row, CT_Cell)

SHEET_ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
               "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
               "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
               "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
               "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
               "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
               "extLst")
WORKBOOK_ORDER = ("fileVersion", "fileSharing", "workbookPr", "appProtection", "workbookProtection", "bookViews",
                  "sheets", "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                  "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                  "fileRecoveryPr", "webPublishObjects", "extLst")
STYLES_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                "tableStyles", "colors", "extLst")


def _in_order(root, order) -> None:
    ranks = [order.index(etree.QName(e).localname) for e in root
             if isinstance(e.tag, str) and etree.QName(e).localname in order]
    assert ranks == sorted(ranks), [etree.QName(e).localname for e in root if isinstance(e.tag, str)]
    unknown = [etree.QName(e).localname for e in root if isinstance(e.tag, str)
               and etree.QName(e).localname not in order and etree.QName(e).localname != "AlternateContent"]
    assert not unknown


def _check_order(path):
    parts = _parts(path)
    book = PackageBook(Path(path).read_bytes())
    _in_order(_xml(parts[book.wb_part]), WORKBOOK_ORDER)
    _in_order(_xml(parts["xl/styles.xml"]), STYLES_ORDER)
    for s in book.sheets:
        if s.name in layout.OWNED_SHEETS + (layout.SHEET_KPI,):
            root = _xml(parts[s.part])
            _in_order(root, SHEET_ORDER)
            rows = [int(r.get("r")) for r in root.iter(M + "row") if r.get("r")]
            assert rows == sorted(rows) and len(rows) == len(set(rows))
            for row in root.iter(M + "row"):
                refs = [c.get("r") for c in row.iter(M + "c") if c.get("r")]
                cols = [_ref(x)[1] for x in refs]
                assert cols == sorted(cols) and len(cols) == len(set(cols)), row.get("r")
                for c in row.iter(M + "c"):
                    kids = [etree.QName(k).localname for k in c]
                    assert kids in ([], ["v"], ["f"], ["f", "v"], ["is"], ["f", "v", "extLst"], ["v", "extLst"]), kids


def test_an_unchanged_sample_is_byte_identical_outside_the_tool_parts(run, tmp_path):
    """The plain sample: the 設定 sheet, theme and docProps come through as the very same bytes."""
    work = tmp_path / "mine.xlsx"
    shutil.copy(SAMPLE, work)
    assert run("recalc", work).exit_code == 0
    before, after = _parts(SAMPLE), _parts(work)
    for name in ("xl/worksheets/sheet1.xml", "xl/theme/theme1.xml", "docProps/app.xml", "docProps/core.xml",
                 "_rels/.rels"):
        assert after[name] == before[name]
