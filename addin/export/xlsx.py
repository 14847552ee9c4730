"""The public workbook: built new from the Evaluation (never a copy of the internal workbook).

Sheet 1 【KPI達成状況】 is the same plan the tool writes into the internal workbook (core.render.summary_plan,
rendered by book.files.render_plan), values only; sheet 2 グラフ holds the tally per goal and a stacked bar
chart of it.  Document properties: title and subject (the municipality) only.
"""
from __future__ import annotations

import colorsys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabel, DataLabelList
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.packaging.core import DocumentProperties
from openpyxl.utils import get_column_letter

from ..book.files import render_plan
from ..book.styles import print_on_a4
from ..core.evaluate import Evaluation
from ..core.render import SheetPlan, row_height, summary_plan
from .public import PublicReport, public_report, sheet_title

NAME_WIDTH = 50            # most KPI names on one line; longer ones wrap (row heights set)
CHART_SHEET = "グラフ"


def _luminance(rgb) -> float:
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in rgb]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def chart_color(hex_colour: str) -> str:
    """A darker shade of a status colour (the sheet fills are pale): white labels on it reach 4.5:1 and the
    bar against the white page at least 3:1 (WCAG 2.1 1.4.3 / 1.4.11)."""
    try:
        r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except (ValueError, TypeError):
        return "595959"
    h, _, s = colorsys.rgb_to_hls(r, g, b)
    s = min(1.0, s * 1.4) if s > 0.05 else 0.0
    light = 0.40
    rgb = colorsys.hls_to_rgb(h, light, s)
    while 1.05 / (_luminance(rgb) + 0.05) < 4.6 and light > 0.05:
        light -= 0.02
        rgb = colorsys.hls_to_rgb(h, light, s)
    return "".join(f"{round(x * 255):02X}" for x in rgb)


# Colour universal design (カラーユニバーサルデザイン推奨配色セット, CUD v4): told apart by readers with any
# colour vision; each colour with the label colour that reaches 4.5:1 on it.  Classes take them in order.
CUD_PALETTE = (("005AFF", "FFFFFF"),   # blue
               ("4DC4FF", "000000"),   # sky blue
               ("C8C8CB", "000000"),   # light grey
               ("F6AA00", "000000"),   # orange
               ("FF4B00", "000000"),   # red
               ("03AF7A", "000000"),   # green
               ("990099", "FFFFFF"),   # purple
               ("804000", "FFFFFF"))   # brown


def chart_palette(classes) -> dict[str, tuple[str, str]]:
    """class → (bar colour, label colour) from the CUD palette, in the scheme's order."""
    return {c: CUD_PALETTE[i % len(CUD_PALETTE)] for i, c in enumerate(classes)}


CHART_ALT_TEXT = "重点戦略ごとの評価の件数の横棒グラフ。"


PUBLIC_LIST_COLUMNS = 7   # KPI名 単位 (a) (b) (c) 進捗率 評価: the published 【KPI達成状況】


def public_plan(ev: Evaluation, report: PublicReport | None = None) -> SheetPlan:
    """The summary plan cut to the published columns: the KPI list keeps its first 7 columns (management
    columns such as 見込み stay internal), the notes are the public ones (no reference to internal sheets),
    most KPI names fit on one line."""
    rep = report or public_report(ev)
    plan = summary_plan(ev)
    plan.name = sheet_title(plan.name, "KPI達成状況")
    header_row = plan.print_title_rows[0] if plan.print_title_rows else len(plan.rows) + 1
    width = max(PUBLIC_LIST_COLUMNS, len(rep.classes) + 2)          # the tally may be wider than the list
    note_rows = {r for st, r, *_ in plan.styles if st in ("note", "note_wrapped")}
    keep = [r for r in range(1, len(plan.rows) + 1) if r not in note_rows]
    while keep and not plan.rows[keep[-1] - 1]:
        keep.pop()
    renumber = {old: new for new, old in enumerate(keep, start=1)}

    def cols(r: int) -> int:
        return PUBLIC_LIST_COLUMNS if r >= header_row else width

    def clip(items):
        out = []
        for item in items:
            *head, r1, c1, r2, c2 = item
            if r1 not in renumber or r2 not in renumber or c1 > cols(r1):
                continue
            out.append((*head, renumber[r1], c1, renumber[r2], min(c2, cols(r1))))
        return out

    rows = [list(plan.rows[r - 1][:cols(r)]) for r in keep]
    plan.styles = clip(plan.styles)
    plan.number_formats = clip(plan.number_formats)
    plan.merges = clip(plan.merges)
    plan.fills = {colour: [(renumber[r], c) for r, c in cells if r in renumber and c <= cols(r)]
                  for colour, cells in plan.fills.items()}
    plan.links = []
    plan.rows = rows
    header_row = renumber.get(header_row, 0)
    plan.print_title_rows = (header_row, header_row) if header_row else None
    plan.add([])
    for n in rep.notes:
        plan.add([n], "note")
    plan.widths = {c: w for c, w in plan.widths.items() if c <= width}
    plan.widths.update({1: NAME_WIDTH, 3: 11.5, 4: 11.5, 5: 11.5, 6: 9, 7: 9})
    plan.heights = {}
    if header_row:
        plan.heights[header_row] = 28     # the headers wrap to two lines in the narrower columns
    for r, row in enumerate(plan.rows, start=1):
        if not (len(row) > 1 and isinstance(row[0], str) and row[1] is not None):
            continue          # titles, notes, goal headings (merged across the width)
        if r < header_row:    # the tally: long goal names wrap instead of being cut by the counts
            plan.styles.append(("text", r, 1, r, 1))
        h = row_height(row[0], NAME_WIDTH)
        if h and r != header_row:
            plan.heights[r] = h
    return plan


def build_workbook(ev: Evaluation, report: PublicReport | None = None) -> Workbook:
    rep = report or public_report(ev)
    wb = Workbook()
    default = wb.active
    render_plan(wb, public_plan(ev, rep))
    wb.remove(default)
    _chart_sheet(wb, rep)
    _values_only(wb)
    wb.active = 0
    # document properties: a fresh set holding the title and the municipality only (openpyxl's default
    # creator "openpyxl" is dropped; no lastModifiedBy, no company, no custom properties)
    wb.properties = DocumentProperties(creator=None, title=rep.title, subject=rep.municipality or None)
    wb.properties.lastModifiedBy = None
    return wb


def _values_only(wb):
    """Every cell of the public workbook by the one writing policy (``book.files.put``): a KPI or goal named
    ``=HYPERLINK(...)`` stays text."""
    from ..book.files import put
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    put(cell, cell.value)


def _chart_sheet(wb, rep: PublicReport):
    from ..book import styles as S
    ws = wb.create_sheet(sheet_title(CHART_SHEET))
    classes = rep.classes
    ncols = len(classes) + 2
    ws.cell(1, 1, "重点戦略ごとのKPI達成状況（件数）").font = S.font(bold=True, size=14)
    ws.cell(2, 1, rep.subtitle).font = S.font(size=10)
    head = ["重点戦略"] + classes + ["計"]
    for c, v in enumerate(head, start=1):
        cell = ws.cell(4, c, v)
        S.apply_style(cell, {"bold": True, "fill": "D9E1F2", "align": "center", "wrap": True})
    rows = [(rep.goal_label(code), rep.tallies.get(code, {})) for code, _ in rep.goals]
    for i, (label, t) in enumerate(rows, start=5):
        S.apply_style(ws.cell(i, 1, label), {"wrap": True})
        for c, cls in enumerate(classes, start=2):
            S.apply_style(ws.cell(i, c, t.get(cls, 0)), {"align": "center"})
        S.apply_style(ws.cell(i, ncols, sum(t.get(c, 0) for c in classes)), {"align": "center"})
    last = 4 + len(rows)
    total = rep.tallies.get("total", {})
    S.apply_style(ws.cell(last + 1, 1, "合計"), {"bold": True, "fill": "FFF2CC"})
    for c, cls in enumerate(classes, start=2):
        S.apply_style(ws.cell(last + 1, c, total.get(cls, 0)), {"bold": True, "fill": "FFF2CC", "align": "center"})
    S.apply_style(ws.cell(last + 1, ncols, sum(total.get(c, 0) for c in classes)),
                  {"bold": True, "fill": "FFF2CC", "align": "center"})
    ws.column_dimensions["A"].width = 62
    for c in range(2, ncols + 1):
        ws.column_dimensions[get_column_letter(c)].width = 11

    if rows:
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.gapWidth = 60
        chart.title = "重点戦略ごとの評価の件数"
        chart.y_axis.title = "KPIの件数"
        chart.y_axis.majorGridlines = None
        chart.x_axis.scaling.orientation = "maxMin"   # goal 1 at the top, as in the table
        chart.y_axis.crosses = "max"                  # ... and the value axis stays at the bottom
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.legend.position = "b"
        data = Reference(ws, min_col=2, max_col=1 + len(classes), min_row=4, max_row=last)
        cats = Reference(ws, min_col=1, min_row=5, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        palette = chart_palette(classes)
        for s, cls in zip(chart.series, classes):
            colour, label_colour = palette[cls]
            s.graphicalProperties = GraphicalProperties(solidFill=colour)
            s.graphicalProperties.line.solidFill = "FFFFFF"
            s.dLbls = DataLabelList(showVal=True, showSerName=False, showCatName=False, showLegendKey=False,
                                    numFmt="0;;;")
            # no label on an empty (0) segment: the number format hides it in Excel, LibreOffice needs the
            # point's label switched off
            s.dLbls.dLbl = [DataLabel(idx=i, showVal=False, showSerName=False, showCatName=False, showLegendKey=False,
                                      showPercent=False) for i, (_, t) in enumerate(rows) if not t.get(cls, 0)]
            s.dLbls.txPr = RichText(p=[Paragraph(pPr=ParagraphProperties(
                defRPr=CharacterProperties(sz=1000, b=True, solidFill=label_colour, latin=_font(), ea=_font())),
                endParaRPr=CharacterProperties())])
        chart.txPr = RichText(p=[Paragraph(pPr=ParagraphProperties(
            defRPr=CharacterProperties(sz=1000, latin=_font(), ea=_font())), endParaRPr=CharacterProperties())])
        chart.height = 4 + 1.5 * len(rows)
        chart.width = 26
        ws.add_chart(chart, f"A{last + 3}")

    ws.sheet_view.showGridLines = False
    print_on_a4(ws, landscape=True, pages_tall=1)   # table and chart on one page
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "&P / &N"
    return ws


def _font():
    from openpyxl.drawing.text import Font as TextFont
    from ..book.styles import FONT_NAME
    return TextFont(typeface=FONT_NAME)


def chart_alt_text(rep: PublicReport) -> str:
    """The chart's alternative text (the drawing's descr): what it shows and its figures."""
    return CHART_ALT_TEXT + "。".join(f"{rep.goal_label(code)}: {rep.count_text(code)}" for code, _ in rep.goals)


def _set_alt_text(path: Path, text: str) -> None:
    """openpyxl writes the chart's drawing without a description: add descr (Excel's 代替テキスト) to it."""
    import html
    import shutil
    import zipfile
    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/drawings/drawing") and info.filename.endswith(".xml"):
                xml = data.decode("utf-8")
                xml = xml.replace('name="Chart 1"/>', f'name="Chart 1" descr="{html.escape(text, quote=True)}"/>', 1)
                data = xml.encode("utf-8")
            dst.writestr(info, data)
    shutil.move(str(tmp), str(path))


def export_xlsx(ev: Evaluation, path: Path) -> Path:
    rep = public_report(ev)
    wb = build_workbook(ev, rep)
    wb.save(path)
    _set_alt_text(path, chart_alt_text(rep))
    return path
