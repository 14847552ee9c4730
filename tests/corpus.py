"""Survival corpus: the Mine City sample plus ONE thing clerks really have, one workbook per feature.

Run as a script to write the corpus into a folder (``python tests/corpus.py OUT``), or import ``CASES`` /
``build`` from the tests.  Each case is built with openpyxl or XlsxWriter where they can make the feature, and by
injecting hand-written XML parts into the package where they cannot (threaded comments, slicers, pivot tables,
external links, custom views, printer settings, furigana, data tables, customUI, Excel's own namespaces...).
Builders never call the tool: the corpus is what the tool must survive, not what it produced.
"""
from __future__ import annotations

import io
import re
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT / "workbooks" / "samples" / "mine_r4.xlsx"
XLAM = ROOT / "addin" / "data" / "KPIAddin.xlam"
CUSTOM_UI = ROOT / "macros" / "customUI14.xml"
KPI_PART = "xl/worksheets/sheet2.xml"       # the KPI sheet in the sample (and in XlsxWriter books built here)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = R_NS
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], None]
    suffix: str = ".xlsx"
    render: bool = False   # one of the diverse subset opened in LibreOffice

    def filename(self) -> str:
        return self.name + self.suffix


# --------------------------------------------------------------------------------------------------------------
# helpers

def png(width=4, height=3, rgb=(200, 30, 30)) -> bytes:
    """A small valid PNG, made here so the corpus needs no image files."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@lru_cache(maxsize=1)
def mine_values() -> dict[str, list[list]]:
    from openpyxl import load_workbook
    wb = load_workbook(SAMPLE)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def inject(edit: Callable[[dict], None], base: Callable[[Path], None] | None = None):
    """A builder: the sample (or a base builder's output) with its parts edited by ``edit(parts)``."""
    def build(dest: Path):
        if base is None:
            parts = read_parts(SAMPLE)
        else:
            base(dest)
            parts = read_parts(dest)
        edit(parts)
        write_parts(dest, parts)
    return build


def sub(parts: dict, name: str, old: str, new: str, count: int = 1) -> None:
    text = parts[name].decode("utf-8")
    if old not in text:
        raise AssertionError(f"{old!r} not in {name}")
    parts[name] = text.replace(old, new, count).encode("utf-8")


def rsub(parts: dict, name: str, pattern: str, repl, count: int = 0) -> None:
    text = parts[name].decode("utf-8")
    new, n = re.subn(pattern, repl, text, count=count, flags=re.S)
    if not n:
        raise AssertionError(f"{pattern!r} not in {name}")
    parts[name] = new.encode("utf-8")


def set_cell(parts: dict, ref: str, cell_xml: str, name: str = KPI_PART) -> None:
    """Replace the cell ``ref`` (which must exist) of a sheet by ``cell_xml``."""
    rsub(parts, name, r'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % ref, lambda m: cell_xml, count=1)


def add_override(parts, part: str, ctype: str) -> None:
    sub(parts, "[Content_Types].xml", "</Types>", f'<Override PartName="/{part}" ContentType="{ctype}"/></Types>')


def add_default(parts, ext: str, ctype: str) -> None:
    if f'Extension="{ext}"' not in parts["[Content_Types].xml"].decode():
        sub(parts, "[Content_Types].xml", "</Types>", f'<Default Extension="{ext}" ContentType="{ctype}"/></Types>')


def add_rel(parts, rels: str, rid: str, rtype: str, target: str, external: bool = False) -> None:
    mode = ' TargetMode="External"' if external else ""
    rel = f'<Relationship Id="{rid}" Type="{rtype}" Target="{target}"{mode}/>'
    if rels not in parts:
        parts[rels] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                       f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rel}'
                       f'</Relationships>').encode()
    else:
        sub(parts, rels, "</Relationships>", rel + "</Relationships>")


def kpi_tail(parts, before: str, xml: str, name: str = KPI_PART) -> None:
    """Insert ``xml`` into the KPI sheet before the element ``before`` (e.g. '<mergeCells' or '</worksheet>')."""
    sub(parts, name, before, xml + before)


def kpi_cell_text(row: int, col: int) -> str:
    return mine_values()["KPI"][row - 1][col - 1]


# --------------------------------------------------------------------------------------------------------------
# XlsxWriter: the sample's values rewritten by another library (shared strings, spans, its own styles)

def xw(feature: Callable | None = None, *, options: dict | None = None, computed_headers: bool = True,
       vba: bool = False):
    def build(dest: Path):
        import xlsxwriter
        from addin.core import layout
        opts = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        opts.update(options or {})
        wb = xlsxwriter.Workbook(str(dest), opts)
        values = mine_values()
        header = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True})
        st, kp = wb.add_worksheet("設定"), wb.add_worksheet("KPI")
        for r, row in enumerate(values["設定"]):
            for c, v in enumerate(row):
                if v is not None:
                    st.write(r, c, v)
        computed = {c.header for c in layout.COMPUTED_COLUMNS}
        rows = values["KPI"]
        skip = set() if computed_headers else {c for c, v in enumerate(rows[3]) if v in computed}
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None and c not in skip:
                    kp.write(r, c, v, header if r == 3 else None)
        kp.set_column(0, 6, 9)
        kp.set_column(7, 7, 30)
        if vba:
            with zipfile.ZipFile(XLAM) as z:
                wb.add_vba_project(io.BytesIO(z.read("xl/vbaProject.bin")), is_stream=True)
        if feature:
            feature(wb, kp, st)
        wb.close()
    return build


def f_chart(wb, kp, st):
    ch = wb.add_chart({"type": "column"})
    ch.add_series({"name": "基準値", "categories": "=KPI!$H$5:$H$10", "values": "=KPI!$J$5:$J$10"})
    kp.insert_chart("AI5", ch)


def f_chartsheet(wb, kp, st):
    cs = wb.add_chartsheet("グラフ")
    ch = wb.add_chart({"type": "line"})
    ch.add_series({"values": "=KPI!$Q$5:$Q$20"})
    cs.set_chart(ch)


def f_image(wb, kp, st):
    kp.insert_image("AI2", "logo.png", {"image_data": io.BytesIO(png())})


def f_shape(wb, kp, st):
    kp.insert_textbox("AI8", "担当: 企画課\n入力締切 5/31", {"width": 200, "height": 60})


def f_notes(wb, kp, st):
    kp.write_comment("H5", "数値は観光統計より（企画課）", {"author": "企画課"})
    kp.write_comment("N6", "R4は速報値", {"author": "観光課", "visible": True})


def f_data_bars(wb, kp, st):
    kp.conditional_format("J5:J82", {"type": "data_bar", "bar_solid": True, "bar_color": "#63C384"})


def f_icon_set(wb, kp, st):
    kp.conditional_format("Q5:Q82", {"type": "icon_set", "icon_style": "3_arrows"})


def f_sparklines(wb, kp, st):
    for r in range(5, 12):
        kp.add_sparkline(f"Z{r}", {"range": f"KPI!L{r}:P{r}", "markers": True})


def f_table_sheet(wb, kp, st):
    ws = wb.add_worksheet("メモ")
    ws.add_table("A1:C4", {"data": [["R2", 1, 2], ["R3", 3, 4], ["R4", 5, 6]],
                           "columns": [{"header": "年度"}, {"header": "件数"}, {"header": "予算"}]})


def f_validation_other_sheet(wb, kp, st):
    kp.data_validation("Y5:Y82", {"validate": "list", "source": "=設定!$B$4:$B$5"})


def f_defined_names(wb, kp, st):
    wb.define_name("基準値範囲", "=KPI!$J$5:$J$82")
    wb.define_name("KPI!ローカル名", "=KPI!$H$5:$H$82")


def f_merged(wb, kp, st):
    kp.merge_range("AI1:AL2", "担当課メモ（結合セル）")


def f_outline(wb, kp, st):
    for r in range(5, 12):
        kp.set_row(r, None, None, {"level": 1})
    kp.set_column("C:G", 12, None, {"level": 1})


def f_protection(wb, kp, st):
    kp.protect("kpi", {"format_cells": True})
    kp.unprotect_range("J5:Q82", "入力欄")


def f_custom_properties(wb, kp, st):
    wb.set_custom_property("担当課", "企画課")
    wb.set_custom_property("版", 3)
    wb.set_properties({"title": "KPI管理", "author": "企画課", "keywords": "KPI"})


def f_cached_formulas(wb, kp, st):
    kp.write_formula("N5", "=381+1", None, 382)
    kp.write_formula("J6", "=SUM(1,2)", None, 3)
    kp.write_formula("Z5", '="メモ"&"1"', None, "メモ1")


def f_array_formulas(wb, kp, st):
    kp.write_array_formula("Z6:Z6", "{=SUM(J5:J6*1)}", None, 1)
    kp.write_dynamic_array_formula("Z7:Z7", "=LEN(\"abc\")", None, 3)


def f_rich_text(wb, kp, st):
    bold = wb.add_format({"bold": True, "font_color": "red"})
    kp.write_rich_string("H5", bold, "三洞", "入洞者数")
    kp.write_rich_string("Z5", "注: ", bold, "速報値", " を含む")


def f_dates(wb, kp, st):
    import datetime
    fmt = wb.add_format({"num_format": "yyyy/mm/dd"})
    kp.write_datetime("Z5", datetime.datetime(2023, 3, 31), fmt)
    kp.write_datetime("Z6", datetime.datetime(2023, 5, 1, 9, 30), wb.add_format({"num_format": "h:mm"}))


def f_percent_formats(wb, kp, st):
    """Rates typed as percentages: a custom 0.0% and the built-in 0% format on input cells."""
    kp.write_number("N16", 0.355, wb.add_format({"num_format": "0.0%"}))
    kp.write_number("Q16", 0.5, wb.add_format({"num_format": 9}))


def f_hidden_rows_cols(wb, kp, st):
    kp.set_row(80, None, None, {"hidden": True})
    kp.set_column("C:C", None, None, {"hidden": True})


def f_freeze(wb, kp, st):
    kp.freeze_panes(4, 8)
    kp.set_zoom(85)
    kp.set_tab_color("#FF9900")


def f_header_picture(wb, kp, st):
    kp.set_header("&L&G&C&\"游ゴシック\"KPI一覧", {"image_left": "logo.png", "image_data_left": io.BytesIO(png())})
    kp.set_footer("&C&P / &N")


def f_print(wb, kp, st):
    kp.set_landscape()
    kp.set_paper(9)
    kp.repeat_rows(3)
    kp.print_area("A1:AG82")
    kp.fit_to_pages(1, 0)
    kp.set_h_pagebreaks([30, 60])


def f_ignored_errors(wb, kp, st):
    kp.ignore_errors({"number_stored_as_text": "A5:I82", "eval_error": "Z5:Z10"})


def f_hyperlinks(wb, kp, st):
    kp.write_url("Z5", "https://www.city.mine.lg.jp/", string="美祢市")
    kp.write_url("Z6", "internal:設定!A1", string="設定へ")


def f_background(wb, kp, st):
    kp.set_background(io.BytesIO(png()))


def f_checkbox(wb, kp, st):
    kp.insert_checkbox("Z5", True)
    kp.insert_checkbox("Z6", False)


def f_embedded_image(wb, kp, st):
    kp.embed_image("Z5", "photo.png", {"image_data": io.BytesIO(png(8, 8, (20, 120, 200)))})


def f_button(wb, kp, st):
    kp.insert_button("AI3", {"macro": "KpiButton", "caption": "再計算"})


def f_clerk_conditional_formats(wb, kp, st):
    fmt = wb.add_format({"bg_color": "#C6EFCE"})
    kp.conditional_format("N5:N82", {"type": "cell", "criteria": ">", "value": 100, "format": fmt})
    kp.conditional_format("J5:J82", {"type": "3_color_scale"})


def f_autofilter(wb, kp, st):
    kp.autofilter("A4:AG82")
    kp.filter_column("B", "x == 1")


def f_sheet_view(wb, kp, st):
    kp.hide_gridlines(2)
    kp.set_first_sheet()
    kp.activate()
    st.hide()


def f_kpi_table(wb, kp, st):
    """The KPI range formatted as an Excel table (ListObject) that includes the computed columns."""
    values = mine_values()["KPI"]
    kp.add_table(3, 0, 81, 32, {"style": "Table Style Light 1",
                                "columns": [{"header": str(v)} for v in values[3]], "autofilter": True})


def f_other_sheet_after(wb, kp, st):
    ws = wb.add_worksheet("担当課一覧")
    ws.write_row(0, 0, ["担当課", "連絡先"])
    ws.write_row(1, 0, ["企画課", "内線 123"])
    ws.repeat_rows(0)
    ws.print_area("A1:B10")
    ws.activate()


# --------------------------------------------------------------------------------------------------------------
# openpyxl: the sample loaded and saved with one change

def opx(feature: Callable):
    def build(dest: Path):
        from openpyxl import load_workbook
        wb = load_workbook(SAMPLE)
        feature(wb)
        wb.save(dest)
    return build


def o_workbook_protection(wb):
    from openpyxl.workbook.protection import WorkbookProtection
    wb.security = WorkbookProtection(workbookPassword="kpi", lockStructure=True)


def o_very_hidden(wb):
    ws = wb.create_sheet("内部メモ")
    ws["A1"] = "非表示のメモ"
    ws.sheet_state = "veryHidden"


def o_far_cell(wb):
    wb["KPI"].cell(1048576, 1, " ")


def o_old_summary_in_middle(wb):
    """A summary sheet from an earlier run, placed between 設定 and KPI, and a clerk sheet after KPI."""
    ws = wb.create_sheet("KPI達成状況", 1)
    ws["A1"] = "前回の集計（古い）"
    ws.print_title_rows = "1:1"
    other = wb.create_sheet("参考資料")
    other["A1"] = "担当課からの資料"
    other.print_title_rows = "1:2"
    wb.active = 3


def o_tab_colours_and_names(wb):
    from openpyxl.workbook.defined_name import DefinedName
    wb["KPI"].sheet_properties.tabColor = "1072BA"
    wb.defined_names["目標値"] = DefinedName("目標値", attr_text="KPI!$Q$5:$Q$82")
    wb.defined_names["_kpi_old"] = DefinedName("_kpi_old", attr_text='"x"', hidden=True)


def o_booleans_and_errors(wb):
    ws = wb["KPI"]
    ws["Z5"] = True
    ws["Z6"] = "#DIV/0!"
    ws["Z6"].data_type = "e"


# --------------------------------------------------------------------------------------------------------------
# injected parts (what neither library writes)

def i_threaded_comments(parts):
    add_rel(parts, "xl/worksheets/_rels/sheet2.xml.rels", "rIdTc1",
            "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
            "../threadedComments/threadedComment1.xml")
    parts["xl/threadedComments/threadedComment1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
        'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<threadedComment ref="H5" dT="2024-05-01T09:00:00.00" personId="{11111111-2222-3333-4444-555555555555}" '
        'id="{AAAAAAAA-0000-0000-0000-000000000001}"><text>速報値で良いですか？</text></threadedComment>'
        '<threadedComment ref="H5" dT="2024-05-02T09:00:00.00" personId="{11111111-2222-3333-4444-555555555555}" '
        'id="{AAAAAAAA-0000-0000-0000-000000000002}" parentId="{AAAAAAAA-0000-0000-0000-000000000001}">'
        '<text>確定値に差し替えます</text></threadedComment></ThreadedComments>').encode()
    parts["xl/persons/person.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
        'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><person displayName="企画課 山田" '
        'id="{11111111-2222-3333-4444-555555555555}" userId="yamada" providerId="None"/></personList>').encode()
    add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdPs1",
            "http://schemas.microsoft.com/office/2017/10/relationships/person", "persons/person.xml")
    add_override(parts, "xl/threadedComments/threadedComment1.xml",
                 "application/vnd.ms-excel.threadedcomments+xml")
    add_override(parts, "xl/persons/person.xml", "application/vnd.ms-excel.person+xml")


def i_slicer(parts):
    """A table on a sheet of its own with a slicer on one of its columns (x14 slicer parts, x15 table cache)."""
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             f'<worksheet xmlns="{MAIN}" xmlns:r="{R_NS}" xmlns:x14="{X14}" '
             'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14">'
             '<dimension ref="A1:B3"/><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>課</t></is></c><c r="B1" t="inlineStr"><is><t>件数</t></is></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>企画課</t></is></c><c r="B2"><v>3</v></c></row>'
             '<row r="3"><c r="A3" t="inlineStr"><is><t>観光課</t></is></c><c r="B3"><v>5</v></c></row>'
             '</sheetData><tableParts count="1"><tablePart r:id="rId1"/></tableParts>'
             '<extLst><ext uri="{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}" '
             'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
             '<x14:slicerList><x14:slicer r:id="rId2"/></x14:slicerList></ext></extLst></worksheet>')
    parts["xl/worksheets/sheet3.xml"] = sheet.encode()
    parts["xl/tables/table1.xml"] = (
        f'<table xmlns="{MAIN}" id="1" name="担当表" displayName="担当表" ref="A1:B3"><autoFilter ref="A1:B3"/>'
        '<tableColumns count="2"><tableColumn id="1" name="課"/><tableColumn id="2" name="件数"/></tableColumns>'
        '<tableStyleInfo name="TableStyleLight1" showRowStripes="1"/></table>').encode()
    parts["xl/slicers/slicer1.xml"] = (
        f'<slicers xmlns="{X14}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'mc:Ignorable="x"><slicer name="課" cache="スライサー_課" caption="課" rowHeight="241300"/></slicers>').encode()
    parts["xl/slicerCaches/slicerCache1.xml"] = (
        f'<slicerCacheDefinition xmlns="{X14}" xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
        'name="スライサー_課" sourceName="課"><extLst><x:ext xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'uri="{2F2917AC-EB37-4324-AD4E-5DD8C200BD13}"><x15:tableSlicerCache tableId="1" column="1"/></x:ext>'
        '</extLst></slicerCacheDefinition>').encode()
    add_rel(parts, "xl/worksheets/_rels/sheet3.xml.rels", "rId1", REL + "/table", "../tables/table1.xml")
    add_rel(parts, "xl/worksheets/_rels/sheet3.xml.rels", "rId2",
            "http://schemas.microsoft.com/office/2007/relationships/slicer", "../slicers/slicer1.xml")
    add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdS3", REL + "/worksheet", "/xl/worksheets/sheet3.xml")
    add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdSc1",
            "http://schemas.microsoft.com/office/2007/relationships/slicerCache", "slicerCaches/slicerCache1.xml")
    sub(parts, "xl/workbook.xml", "</sheets>",
        f'<sheet xmlns:r="{R_NS}" name="担当" sheetId="3" r:id="rIdS3"/></sheets>')
    sub(parts, "xl/workbook.xml", "</workbook>",
        f'<extLst><ext uri="{{BBE1A952-AA13-448e-AADC-164F8A28A991}}" xmlns:x14="{X14}"><x14:slicerCaches>'
        f'<x14:slicerCache xmlns:r="{R_NS}" r:id="rIdSc1"/></x14:slicerCaches></ext></extLst></workbook>')
    sub(parts, "xl/workbook.xml", "<definedNames>",
        '<definedNames><definedName name="スライサー_課">#N/A</definedName>')
    add_override(parts, "xl/worksheets/sheet3.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")
    add_override(parts, "xl/tables/table1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml")
    add_override(parts, "xl/slicers/slicer1.xml", "application/vnd.ms-excel.slicer+xml")
    add_override(parts, "xl/slicerCaches/slicerCache1.xml", "application/vnd.ms-excel.slicerCache+xml")


def i_pivot(parts):
    """A pivot table (cache definition, records, table) on a sheet of its own, fed from the 設定 sheet."""
    parts["xl/worksheets/sheet3.xml"] = (
        f'<worksheet xmlns="{MAIN}" xmlns:r="{R_NS}"><dimension ref="A3:A5"/><sheetData>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>行ラベル</t></is></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>美祢市</t></is></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>総計</t></is></c></row></sheetData></worksheet>').encode()
    parts["xl/pivotCache/pivotCacheDefinition1.xml"] = (
        f'<pivotCacheDefinition xmlns="{MAIN}" xmlns:r="{R_NS}" r:id="rId1" refreshOnLoad="1" createdVersion="6" '
        'refreshedVersion="6" minRefreshableVersion="3" recordCount="1"><cacheSource type="worksheet">'
        '<worksheetSource ref="A4:B5" sheet="設定"/></cacheSource><cacheFields count="2">'
        '<cacheField name="自治体名" numFmtId="0"><sharedItems count="1"><s v="計画名"/></sharedItems></cacheField>'
        '<cacheField name="美祢市" numFmtId="0"><sharedItems/></cacheField></cacheFields></pivotCacheDefinition>').encode()
    parts["xl/pivotCache/pivotCacheRecords1.xml"] = (
        f'<pivotCacheRecords xmlns="{MAIN}" count="1"><r><x v="0"/><s v="第2期"/></r></pivotCacheRecords>').encode()
    parts["xl/pivotTables/pivotTable1.xml"] = (
        f'<pivotTableDefinition xmlns="{MAIN}" name="集計1" cacheId="1" applyNumberFormats="0" applyBorderFormats="0" '
        'applyFontFormats="0" applyPatternFormats="0" applyAlignmentFormats="0" applyWidthHeightFormats="1" '
        'dataCaption="値" updatedVersion="6" minRefreshableVersion="3" createdVersion="6" outline="1" outlineData="1">'
        '<location ref="A3:A5" firstHeaderRow="1" firstDataRow="1" firstDataCol="0"/><pivotFields count="2">'
        '<pivotField axis="axisRow" showAll="0"><items count="2"><item x="0"/><item t="default"/></items></pivotField>'
        '<pivotField showAll="0"/></pivotFields><rowFields count="1"><field x="0"/></rowFields>'
        '<rowItems count="2"><i><x/></i><i t="grand"><x/></i></rowItems><colItems count="1"><i/></colItems>'
        '<pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" showColHeaders="1"/></pivotTableDefinition>').encode()
    add_rel(parts, "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels", "rId1", REL + "/pivotCacheRecords",
            "pivotCacheRecords1.xml")
    add_rel(parts, "xl/pivotTables/_rels/pivotTable1.xml.rels", "rId1", REL + "/pivotCacheDefinition",
            "../pivotCache/pivotCacheDefinition1.xml")
    add_rel(parts, "xl/worksheets/_rels/sheet3.xml.rels", "rId1", REL + "/pivotTable", "../pivotTables/pivotTable1.xml")
    add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdS3", REL + "/worksheet", "worksheets/sheet3.xml")
    add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdPc1", REL + "/pivotCacheDefinition",
            "pivotCache/pivotCacheDefinition1.xml")
    sub(parts, "xl/workbook.xml", "</sheets>", f'<sheet xmlns:r="{R_NS}" name="集計" sheetId="3" r:id="rIdS3"/></sheets>')
    sub(parts, "xl/workbook.xml", "</workbook>",
        f'<pivotCaches><pivotCache xmlns:r="{R_NS}" cacheId="1" r:id="rIdPc1"/></pivotCaches></workbook>')
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml."
    add_override(parts, "xl/worksheets/sheet3.xml", ct + "worksheet+xml")
    add_override(parts, "xl/pivotCache/pivotCacheDefinition1.xml", ct + "pivotCacheDefinition+xml")
    add_override(parts, "xl/pivotCache/pivotCacheRecords1.xml", ct + "pivotCacheRecords+xml")
    add_override(parts, "xl/pivotTables/pivotTable1.xml", ct + "pivotTable+xml")


def i_external_link(parts):
    parts["xl/externalLinks/externalLink1.xml"] = (
        f'<externalLink xmlns="{MAIN}" xmlns:r="{R_NS}"><externalBook r:id="rId1"><sheetNames>'
        '<sheetName val="人口"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1">'
        '<v>23000</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>').encode()
    add_rel(parts, "xl/externalLinks/_rels/externalLink1.xml.rels", "rId1", REL + "/externalLinkPath",
            "file:///C:/統計/人口.xlsx", external=True)
    add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdX1", REL + "/externalLink", "externalLinks/externalLink1.xml")
    sub(parts, "xl/workbook.xml", "</sheets>",
        f'</sheets><externalReferences><externalReference xmlns:r="{R_NS}" r:id="rIdX1"/></externalReferences>')
    add_override(parts, "xl/externalLinks/externalLink1.xml",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml")
    set_cell(parts, "Z5", '<c r="Z5" s="12"><f>[1]人口!$A$1</f><v>23000</v></c>')


def i_custom_views(parts):
    sub(parts, "xl/workbook.xml", "</workbook>",
        '<customWorkbookViews><customWorkbookView name="印刷用" guid="{1A2B3C4D-0000-0000-0000-00000000ABCD}" '
        'windowWidth="1200" windowHeight="800" activeSheetId="2"/></customWorkbookViews></workbook>')
    kpi_tail(parts, "<mergeCells",
             '<customSheetViews><customSheetView guid="{1A2B3C4D-0000-0000-0000-00000000ABCD}" scale="80" '
             'hiddenColumns="1"><selection activeCell="H5" sqref="H5"/><pageMargins left="0.7" right="0.7" top="0.75" '
             'bottom="0.75" header="0.3" footer="0.3"/></customSheetView></customSheetViews>')


def i_protected_ranges(parts):
    kpi_tail(parts, "<autoFilter",
             '<protectedRanges><protectedRange sqref="J5:Q82" name="入力欄"/>'
             '<protectedRange sqref="Z5:Z82" name="備考" algorithmName="SHA-512" hashValue="AAAA" saltValue="BBBB" '
             'spinCount="100000"/></protectedRanges>')


def i_printer_settings(parts):
    parts["xl/printerSettings/printerSettings1.bin"] = bytes(range(256)) * 4
    add_default(parts, "bin", "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings")
    add_rel(parts, "xl/worksheets/_rels/sheet2.xml.rels", "rId1", REL + "/printerSettings",
            "../printerSettings/printerSettings1.bin")
    sub(parts, KPI_PART, '<pageSetup orientation="landscape"',
        f'<pageSetup xmlns:r="{R_NS}" r:id="rId1" orientation="landscape"')


def i_ignored_errors(parts):
    kpi_tail(parts, "</worksheet>",
             '<ignoredErrors><ignoredError sqref="A5:I82" numberStoredAsText="1"/>'
             '<ignoredError sqref="J5:Q82" formula="1"/></ignoredErrors>')


def i_x14_validation(parts):
    kpi_tail(parts, "</worksheet>",
             f'<extLst><ext uri="{{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}}" xmlns:x14="{X14}">'
             '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
             '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
             '<x14:formula1><xm:f>設定!$B$4:$B$5</xm:f></x14:formula1><xm:sqref>Y5:Y82</xm:sqref>'
             '</x14:dataValidation></x14:dataValidations></ext></extLst>')


def i_furigana(parts):
    name = kpi_cell_text(6, 8)
    set_cell(parts, "H6", f'<c r="H6" s="12" t="inlineStr"><is><t>{name}</t><rPh sb="0" eb="2"><t>アキヨシ</t></rPh>'
                          '<phoneticPr fontId="0" type="Hiragana"/></is></c>')
    sub(parts, KPI_PART, "</mergeCells>", '</mergeCells><phoneticPr fontId="0" type="Hiragana"/>')


def i_rich_inline(parts):
    set_cell(parts, "H5", '<c r="H5" s="12" t="inlineStr"><is><r><rPr><b/><sz val="10"/><color rgb="FFFF0000"/>'
                          '<rFont val="游ゴシック"/></rPr><t>三洞</t></r><r><rPr><sz val="10"/><rFont val="游ゴシック"/>'
                          '</rPr><t xml:space="preserve">入洞者数</t></r></is></c>')


def i_cached_formulas_calc_chain(parts):
    set_cell(parts, "N5", '<c r="N5" s="13"><f>381+1</f><v>382</v></c>')
    set_cell(parts, "Q5", '<c r="Q5" s="13"><f>SUM(500,40)</f><v>540</v></c>')
    parts["xl/calcChain.xml"] = f'<calcChain xmlns="{MAIN}"><c r="N5" i="2"/><c r="Q5"/></calcChain>'.encode()
    add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdCc", REL + "/calcChain", "calcChain.xml")
    add_override(parts, "xl/calcChain.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml")


def i_formula_in_owned_cell(parts):
    """A clerk typed a formula into the 検証 column (the tool's): the tool overwrites it and drops it from
    calcChain, keeping the clerk's formula in an input cell."""
    set_cell(parts, "N5", '<c r="N5" s="13"><f>381+1</f><v>382</v></c>')
    set_cell(parts, "AE5", '<c r="AE5" s="14" t="str"><f>"手入力"</f><v>手入力</v></c>')
    parts["xl/calcChain.xml"] = f'<calcChain xmlns="{MAIN}"><c r="AE5" i="2"/><c r="N5"/></calcChain>'.encode()
    add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdCc", REL + "/calcChain", "calcChain.xml")
    add_override(parts, "xl/calcChain.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml")


def i_formula_without_cache(parts):
    set_cell(parts, "N5", '<c r="N5" s="13"><f>381+1</f></c>')


def i_shared_formulas(parts):
    set_cell(parts, "Z5", '<c r="Z5" s="12"><f t="shared" ref="Z5:Z7" si="0">J5*2</f><v>998</v></c>')
    set_cell(parts, "Z6", '<c r="Z6" s="12"><f t="shared" si="0"/><v>0</v></c>')


def i_data_table(parts):
    set_cell(parts, "Z5", '<c r="Z5" s="12"><f t="dataTable" ref="Z5:Z6" dt2D="0" dtr="0" r1="J5"/><v>1</v></c>')
    set_cell(parts, "Z6", '<c r="Z6" s="12"><v>2</v></c>')


def i_error_cached(parts):
    set_cell(parts, "Z5", '<c r="Z5" s="12" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    set_cell(parts, "Z6", '<c r="Z6" s="12" t="b"><v>1</v></c>')


def i_escaped_text(parts):
    set_cell(parts, "Z5", '<c r="Z5" s="12" t="inlineStr"><is><t xml:space="preserve">改行_x000D_あり &amp; &lt;記号&gt;  </t></is></c>')


def _clerk_dxf(parts):
    sub(parts, "xl/styles.xml", "<tableStyles",
        '<dxfs count="1"><dxf><font><b/><color rgb="FF006100"/></font></dxf></dxfs><tableStyles')


def i_clerk_cf_same_range_same_block(parts):
    """A clerk's rule sharing the tool's range inside one conditionalFormatting element (as Excel groups them),
    next to a rule of an earlier run of the tool."""
    _clerk_dxf(parts)
    kpi_tail(parts, "<dataValidations",
             '<conditionalFormatting sqref="A5:AA82"><cfRule type="expression" dxfId="0" priority="1">'
             '<formula>AND(ISTEXT("kpi-addin-check"),FALSE)</formula></cfRule>'
             '<cfRule type="cellIs" dxfId="0" priority="2" operator="lessThan"><formula>0</formula></cfRule>'
             '</conditionalFormatting>')


def i_clerk_cf_same_range(parts):
    _clerk_dxf(parts)
    kpi_tail(parts, "<dataValidations",
             '<conditionalFormatting sqref="A5:AA82"><cfRule type="containsText" dxfId="0" priority="1" '
             'operator="containsText" text="未"><formula>NOT(ISERROR(SEARCH("未",A5)))</formula></cfRule>'
             '</conditionalFormatting>')


X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def i_excel_namespaces(parts):
    """The KPI sheet as Excel writes it: mc:Ignorable x14ac, row spans and dyDescent, an XML declaration."""
    rsub(parts, KPI_PART, r"^<worksheet xmlns=\"[^\"]+\">",
         f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet xmlns="{MAIN}" xmlns:r="{R_NS}" '
         f'xmlns:mc="{MC}" mc:Ignorable="x14ac xr" xmlns:x14ac="{X14AC}" '
         'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
         'xr:uid="{00000000-0001-0000-0000-000000000000}">', count=1)
    rsub(parts, KPI_PART, r"<row r=\"(\d+)\"", lambda m: f'<row r="{m.group(1)}" spans="1:33" x14ac:dyDescent="0.4"')


def i_prefixed_sheet(parts):
    """The KPI sheet with the main namespace under a prefix (as the Open XML SDK writes it)."""
    text = parts[KPI_PART].decode()
    text = re.sub(r"<(/?)([A-Za-z]\w*)", r"<\1x:\2", text)
    text = text.replace(f'<x:worksheet xmlns="{MAIN}"', f'<x:worksheet xmlns:x="{MAIN}"', 1)
    parts[KPI_PART] = text.encode()


def i_prefixed_workbook(parts):
    for name in ("xl/workbook.xml", "xl/styles.xml"):
        text = parts[name].decode()
        text = re.sub(r"<(/?)([A-Za-z]\w*)", r"<\1x:\2", text)
        text = re.sub(r'<x:(\w+) xmlns="' + re.escape(MAIN) + '"', r'<x:\1 xmlns:x="' + MAIN + '"', text, count=1)
        text = text.replace("<x:sheet xmlns:r=", "<x:sheet xmlns:r=")
        parts[name] = text.encode()


def i_no_cell_refs(parts):
    rsub(parts, KPI_PART, r'<c r="[A-Z]+\d+"', "<c")


def i_no_row_refs(parts):
    rsub(parts, KPI_PART, r'<c r="[A-Z]+\d+"', "<c")
    rsub(parts, KPI_PART, r'<row r="\d+"', "<row")


def i_app_titles(parts):
    parts["docProps/app.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
        'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Microsoft '
        'Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs><vt:vector size="2" '
        'baseType="variant"><vt:variant><vt:lpstr>ワークシート</vt:lpstr></vt:variant><vt:variant><vt:i4>2</vt:i4>'
        '</vt:variant></vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="2" baseType="lpstr"><vt:lpstr>設定'
        '</vt:lpstr><vt:lpstr>KPI</vt:lpstr></vt:vector></TitlesOfParts><Company>美祢市</Company><AppVersion>16.0300'
        '</AppVersion></Properties>').encode()


def i_custom_xml(parts):
    parts["customXml/item1.xml"] = b'<?xml version="1.0" encoding="UTF-8"?><kpi xmlns="urn:mine:kpi"><v>1</v></kpi>'
    parts["customXml/itemProps1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?><ds:datastoreItem ds:itemID="{6B2A1D0E-0000-0000-0000-'
        '000000000001}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs/>'
        '</ds:datastoreItem>').encode()
    add_rel(parts, "customXml/_rels/item1.xml.rels", "rId1", REL + "/customXmlProps", "itemProps1.xml")
    add_rel(parts, "xl/_rels/workbook.xml.rels", "rIdCx1", REL + "/customXml", "../customXml/item1.xml")
    add_override(parts, "customXml/itemProps1.xml", "application/vnd.openxmlformats-officedocument.customXmlProperties+xml")


def i_ole_object(parts):
    parts["xl/embeddings/oleObject1.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    add_default(parts, "bin", "application/vnd.openxmlformats-officedocument.oleObject")
    add_rel(parts, "xl/worksheets/_rels/sheet2.xml.rels", "rIdO1", REL + "/oleObject", "../embeddings/oleObject1.bin")
    kpi_tail(parts, "</worksheet>",
             f'<oleObjects><oleObject xmlns:r="{R_NS}" progId="Package" shapeId="1025" r:id="rIdO1"/></oleObjects>')


def i_web_extension(parts):
    parts["xl/webextensions/webextension1.xml"] = (
        '<we:webextension xmlns:we="http://schemas.microsoft.com/office/webextensions/webextension/2010/11" '
        'id="{00000000-0000-0000-0000-000000000042}"><we:reference id="wa104379638" version="1.0.0.0" '
        'store="ja-JP" storeType="OMEX"/><we:alternateReferences/><we:properties/><we:bindings/>'
        '<we:snapshot xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></we:webextension>'
    ).encode()
    add_override(parts, "xl/webextensions/webextension1.xml", "application/vnd.ms-office.webextension+xml")


def i_sheet_ext_x14ac_cols(parts):
    """Columns: a clerk's <col> covering the computed columns with its own style and outline."""
    rsub(parts, KPI_PART, r'<col width="9" customWidth="1" min="28" max="28"/>',
         '<col width="12" customWidth="1" style="14" outlineLevel="1" min="28" max="28"/>', count=1)


def i_custom_ui(parts):
    parts["customUI/customUI14.xml"] = CUSTOM_UI.read_bytes()
    add_rel(parts, "_rels/.rels", "rIdUi",
            "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility", "customUI/customUI14.xml")


def i_utf8_bom_crlf(parts):
    text = parts[KPI_PART].decode()
    parts[KPI_PART] = b"\xef\xbb\xbf" + ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + text).encode()


def i_single_quoted_attrs(parts):
    rsub(parts, KPI_PART, r'<c r="(Z\d+)" s="(\d+)"', lambda m: f"<c r='{m.group(1)}' s='{m.group(2)}'")


def i_comment_in_xml(parts):
    sub(parts, KPI_PART, "<sheetData>", "<sheetData><!-- 担当課メモ: 行5から -->")
    sub(parts, KPI_PART, "</worksheet>", "<!-- end --></worksheet>")


# --------------------------------------------------------------------------------------------------------------

CASES: list[Case] = [
    Case("plain_openpyxl", lambda d: d.write_bytes(SAMPLE.read_bytes()), render=True),
    Case("plain_xlsxwriter", xw()),
    Case("chart", xw(f_chart), render=True),
    Case("chartsheet", xw(f_chartsheet), render=True),
    Case("image", xw(f_image)),
    Case("shape_textbox", xw(f_shape)),
    Case("notes", xw(f_notes), render=True),
    Case("threaded_comments", inject(i_threaded_comments, xw(f_notes))),
    Case("data_bars_x14", xw(f_data_bars)),
    Case("icon_set", xw(f_icon_set)),
    Case("sparklines", xw(f_sparklines)),
    Case("slicer", inject(i_slicer)),
    Case("pivot_table", inject(i_pivot)),
    Case("table_other_sheet", xw(f_table_sheet)),
    Case("table_over_kpi", xw(f_kpi_table), render=True),
    Case("validation_other_sheet", xw(f_validation_other_sheet)),
    Case("validation_x14", inject(i_x14_validation)),
    Case("external_link", inject(i_external_link)),
    Case("defined_names", xw(f_defined_names)),
    Case("defined_names_openpyxl", opx(o_tab_colours_and_names)),
    Case("merged_cells", xw(f_merged)),
    Case("outline", xw(f_outline)),
    Case("sheet_protection_ranges", xw(f_protection)),
    Case("protected_ranges_hashed", inject(i_protected_ranges)),
    Case("workbook_protection", opx(o_workbook_protection)),
    Case("custom_properties", xw(f_custom_properties)),
    Case("custom_views", inject(i_custom_views)),
    Case("printer_settings", inject(i_printer_settings)),
    Case("print_setup", xw(f_print)),
    Case("ignored_errors", inject(i_ignored_errors)),
    Case("ignored_errors_xlsxwriter", xw(f_ignored_errors)),
    Case("xlsm_vba", xw(vba=True), suffix=".xlsm"),
    Case("xlsm_vba_custom_ui", inject(i_custom_ui, xw(vba=True)), suffix=".xlsm", render=True),
    Case("xlsm_button", xw(f_button, vba=True), suffix=".xlsm"),
    Case("cached_formulas_xlsxwriter", xw(f_cached_formulas)),
    Case("cached_formulas_calc_chain", inject(i_cached_formulas_calc_chain)),
    Case("formula_in_owned_cell", inject(i_formula_in_owned_cell)),
    Case("formula_without_cached_value", inject(i_formula_without_cache)),
    Case("shared_formulas", inject(i_shared_formulas)),
    Case("array_and_dynamic_formulas", xw(f_array_formulas)),
    Case("data_table", inject(i_data_table)),
    Case("error_and_boolean_cached", inject(i_error_cached)),
    Case("rich_text_shared", xw(f_rich_text)),
    Case("rich_text_inline", inject(i_rich_inline)),
    Case("furigana", inject(i_furigana)),
    Case("dates", xw(f_dates)),
    Case("date1904", xw(f_dates, options={"date_1904": True})),
    Case("percent_formats", xw(f_percent_formats)),
    Case("hidden_rows_cols", xw(f_hidden_rows_cols)),
    Case("freeze_zoom_tab", xw(f_freeze)),
    Case("header_footer_picture", xw(f_header_picture), render=True),
    Case("hyperlinks", xw(f_hyperlinks)),
    Case("background_picture", xw(f_background)),
    Case("checkboxes", xw(f_checkbox)),
    Case("picture_in_cell", xw(f_embedded_image)),
    Case("clerk_conditional_formats", xw(f_clerk_conditional_formats)),
    Case("clerk_cf_same_range", inject(i_clerk_cf_same_range)),
    Case("clerk_cf_same_range_same_block", inject(i_clerk_cf_same_range_same_block)),
    Case("autofilter_criteria", xw(f_autofilter)),
    Case("sheet_view_hidden_settings", xw(f_sheet_view)),
    Case("clerk_sheet_after_kpi", xw(f_other_sheet_after)),
    Case("old_summary_in_middle", opx(o_old_summary_in_middle), render=True),
    Case("very_hidden_sheet", opx(o_very_hidden)),
    Case("cell_in_last_row", opx(o_far_cell)),
    Case("booleans_and_errors", opx(o_booleans_and_errors)),
    Case("no_computed_headers", xw(computed_headers=False)),
    Case("excel_namespaces_spans", inject(i_excel_namespaces)),
    Case("prefixed_sheet", inject(i_prefixed_sheet)),
    Case("prefixed_workbook_styles", inject(i_prefixed_workbook)),
    Case("cells_without_refs", inject(i_no_cell_refs)),
    Case("rows_and_cells_without_refs", inject(i_no_row_refs)),
    Case("app_titles_of_parts", inject(i_app_titles)),
    Case("custom_xml", inject(i_custom_xml)),
    Case("ole_object", inject(i_ole_object)),
    Case("web_extension", inject(i_web_extension)),
    Case("styled_computed_col", inject(i_sheet_ext_x14ac_cols)),
    Case("escaped_text", inject(i_escaped_text)),
    Case("utf8_bom_crlf", inject(i_utf8_bom_crlf)),
    Case("single_quoted_attrs", inject(i_single_quoted_attrs)),
    Case("xml_comments", inject(i_comment_in_xml)),
]


def build(out: Path, names: list[str] | None = None) -> list[Path]:
    """Write the corpus (or the named cases) into ``out``; returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in CASES:
        if names and case.name not in names:
            continue
        dest = out / case.filename()
        case.build(dest)
        paths.append(dest)
    return paths


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for p in build(Path(sys.argv[1] if len(sys.argv) > 1 else "corpus"), sys.argv[2:] or None):
        print(p)
