"""The evaluation report's chapter as a Word document (.docx), where the planning section assembles the report.

Real Word structure, so the clerk can keep editing it: heading styles (見出し 1 重点戦略, 見出し 2 戦略方針,
見出し 3 具体的施策) that Word's navigation pane and table of contents use; real tables whose header row repeats
on every page (w:tblHeader); A4 portrait; one Japanese font with a real bold (BIZ UDPゴシック: shipped with
Windows 10 and later, and installed on Linux by fonts-morisawa-bizud-gothic) set for Latin and East Asian text;
document language Japanese.
"""
from __future__ import annotations

from pathlib import Path

from ..core.evaluate import Evaluation
from ..errors import MissingDependencyError
from .chapter import Chapter, GoalSection, MeasureSection, build_chapter

FONT = "BIZ UDPゴシック"
LANG = "ja-JP"
HEADER_FILL = "D9E1F2"
LABEL_FILL = "F2F2F2"
TEXT_LABEL_WIDTH_MM = 28


def check() -> None:
    try:
        import docx  # noqa: F401
    except ImportError as e:
        raise MissingDependencyError("Word文書（.docx）の作成に必要な python-docx",
                                     'python -m pip install "python-docx>=1.1"') from e


def _set_fonts(rpr_parent, size_pt: float | None = None, bold: bool | None = None, color: str | None = None):
    """Font of a style or run: the same face for ascii, hAnsi, eastAsia and cs, Japanese language."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor
    font = rpr_parent.font
    font.name = FONT
    if size_pt:
        font.size = Pt(size_pt)
    if bold is not None:
        font.bold = bold
    if color:
        font.color.rgb = RGBColor.from_string(color)
    rpr = rpr_parent.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:val"), LANG)
    lang.set(qn("w:eastAsia"), LANG)


def _document_defaults(doc):
    """Default run properties of the document (docDefaults): font and language, for text without a style."""
    from docx.oxml.ns import qn
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults"))
    rpr = rpr_default.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for k in list(fonts.attrib):
        del fonts.attrib[k]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:val"), LANG)
    lang.set(qn("w:eastAsia"), LANG)
    lang.set(qn("w:bidi"), "ar-SA")


def _styles(doc):
    from docx.shared import Pt
    _document_defaults(doc)
    normal = doc.styles["Normal"]
    _set_fonts(normal, 10.5)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.25
    for name, size in (("Title", 18), ("Heading 1", 15), ("Heading 2", 13), ("Heading 3", 11.5)):
        st = doc.styles[name]
        _set_fonts(st, size, bold=True, color="1A1A1A")
        st.paragraph_format.space_before = Pt(14 if name == "Heading 1" else 10)
        st.paragraph_format.space_after = Pt(6)
        st.paragraph_format.keep_with_next = True
        st.font.italic = False
    for name in ("Caption",):
        _set_fonts(doc.styles[name], 9, bold=False, color="404040")


def _page(doc):
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm
    s = doc.sections[0]
    s.orientation = WD_ORIENT.PORTRAIT
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.left_margin = s.right_margin = Mm(20)
    s.top_margin = s.bottom_margin = Mm(20)
    return s


def _footer_page_number(section):
    """Page number centred in the footer (a PAGE field), as printed reports have."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)
    _set_fonts(run, 9)


def _shade(cell, fill: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _repeat_header(row):
    """Mark a table row as header row: Word repeats it on every page and tags it as header cells."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _no_split(row):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _cell_text(cell, text: str, bold: bool = False, align=None, size: float = 9.5):
    from docx.shared import Pt
    p = cell.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = 1.1
    if align is not None:
        p.alignment = align
    run = p.add_run(text)
    _set_fonts(run, size, bold=bold)
    return p


def _widths(table, mm: list[float]):
    from docx.shared import Mm
    table.autofit = False
    for col, w in zip(table.columns, mm):      # w:gridCol: what LibreOffice and Word lay out by
        col.width = Mm(w)
    for row in table.rows:
        for cell, w in zip(row.cells, mm):
            cell.width = Mm(w)


def _tally_table(doc, chapter: Chapter, goal: GoalSection):
    """重点戦略1：KPI達成状況 | 目標達成 | 改善↑ | － | 未達成↓ over the counts (the published block)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    classes = chapter.classes
    t = doc.add_table(rows=2, cols=len(classes) + 1)
    t.style = "Table Grid"
    head, counts = t.rows
    _repeat_header(head)
    _cell_text(head.cells[0], goal.tally_label, bold=True)
    _shade(head.cells[0], HEADER_FILL)
    for i, c in enumerate(classes, start=1):
        _cell_text(head.cells[i], c, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _shade(head.cells[i], chapter.report.colors.get(c, HEADER_FILL))
        _cell_text(counts.cells[i], str(goal.tally.get(c, 0)), align=WD_ALIGN_PARAGRAPH.CENTER, size=11)
    _cell_text(counts.cells[0], f"計 {sum(goal.tally.get(c, 0) for c in classes)}件", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _widths(t, [50] + [120 / len(classes)] * len(classes))
    return t


def _kpi_table(doc, chapter: Chapter, m: MeasureSection):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    headers = chapter.headers
    t = doc.add_table(rows=1 + len(m.rows), cols=len(headers))
    t.style = "Table Grid"
    head = t.rows[0]
    _repeat_header(head)
    for cell, h in zip(head.cells, headers):
        # 策定時 / (H30)(a): the year on its own line rather than cut anywhere by the narrow column
        _cell_text(cell, h.replace(" (", "\n(", 1), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=8.5)
        _shade(cell, HEADER_FILL)
    right, center = WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.CENTER
    for row, r in zip(t.rows[1:], m.rows):
        _no_split(row)
        values = [r.label, r.unit, *r.cells, r.progress_text, r.status_text][:len(headers)]
        aligns = [None, center, right, right, right, right, center]
        for cell, v, al in zip(row.cells, values, aligns):
            _cell_text(cell, v, align=al)
        if len(headers) > 6 and r.status:
            _shade(row.cells[6], chapter.report.colors.get(r.status, "FFFFFF"))
    _widths(t, [46, 11, 24, 24, 24, 19, 22][:len(headers)])
    return t


def _series_table(doc, chapter: Chapter, m: MeasureSection):
    """Years side by side: each KPI's actuals per year, a text chart of them, and the status change from the
    previous evaluation year (computed with the evaluation year moved back)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    headers = chapter.series_headers
    t = doc.add_table(rows=1 + len(m.rows), cols=len(headers))
    t.style = "Table Grid"
    _repeat_header(t.rows[0])
    for cell, h in zip(t.rows[0].cells, headers):
        _cell_text(cell, h, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=8.5)
        _shade(cell, HEADER_FILL)
    right, center = WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.CENTER
    for row, r, sr in zip(t.rows[1:], m.rows, m.series):
        _no_split(row)
        cells = row.cells
        _cell_text(cells[0], r.label)
        for cell, text in zip(cells[1:], sr.texts):
            _cell_text(cell, text, align=right)
        _cell_text(cells[-2], sr.sparkline, align=center)
        _cell_text(cells[-1], sr.change, align=center)
    n = len(chapter.series_years)
    year_w = max((170 - 50 - 20 - 32) / max(n, 1), 10)
    _widths(t, [50] + [year_w] * n + [20, 32])
    return t


def _texts_table(doc, m: MeasureSection):
    """The four texts of the departments, label beside text, as the report prints them."""
    from docx.shared import Mm, Pt
    t = doc.add_table(rows=len(m.texts), cols=2)
    t.style = "Table Grid"
    for row, (label, paras) in zip(t.rows, m.texts):
        _cell_text(row.cells[0], label, bold=True)
        _shade(row.cells[0], LABEL_FILL)
        cell = row.cells[1]
        for i, text in enumerate(paras or ["（未記入）"]):
            p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            p.paragraph_format.space_after = Pt(2)
            p.paragraph_format.line_spacing = 1.2
            _set_fonts(p.add_run(text), 9.5)
    _widths(t, [TEXT_LABEL_WIDTH_MM, 170 - TEXT_LABEL_WIDTH_MM])
    for row in t.rows:
        row.cells[0].width = Mm(TEXT_LABEL_WIDTH_MM)
    return t


def _summary(doc, chapter: Chapter):
    """【KPI達成状況】 at the end of the chapter, as the report prints it: the tally of every goal with the total,
    then every KPI under its goal.  Same rows as the measure tables above (one Chapter), so they cannot differ."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    rep = chapter.report
    classes = chapter.classes
    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_heading("【KPI達成状況】", level=1)
    lines = [(f"重点戦略{g.code}", g.tally) for g in chapter.goals] + [("合計", rep.tallies.get("total", {}))]
    t = doc.add_table(rows=1 + len(lines), cols=len(classes) + 2)
    t.style = "Table Grid"
    _repeat_header(t.rows[0])
    for cell, h in zip(t.rows[0].cells, ["重点戦略：KPI達成状況"] + classes + ["計"]):
        _cell_text(cell, h, bold=True, align=center)
        _shade(cell, HEADER_FILL)
    for row, (label, tally) in zip(t.rows[1:], lines):
        total = label == "合計"
        _cell_text(row.cells[0], label, bold=total)
        for cell, c in zip(row.cells[1:], classes):
            _cell_text(cell, str(tally.get(c, 0)), bold=total, align=center)
        _cell_text(row.cells[-1], str(sum(tally.get(c, 0) for c in classes)), bold=total, align=center)
    _widths(t, [50] + [100 / (len(classes) + 1)] * (len(classes) + 1))
    doc.add_paragraph()
    headers = chapter.headers
    rows = chapter.rows
    t = doc.add_table(rows=1 + len(chapter.goals) + len(rows), cols=len(headers))
    t.style = "Table Grid"
    _repeat_header(t.rows[0])
    for cell, h in zip(t.rows[0].cells, headers):
        _cell_text(cell, h.replace(" (", "\n(", 1), bold=True, align=center, size=8.5)
        _shade(cell, HEADER_FILL)
    i = 1
    aligns = [None, center, right, right, right, right, center]
    for g in chapter.goals:
        head = t.rows[i]
        merged = head.cells[0].merge(head.cells[-1])
        _cell_text(merged, g.heading + "　" + "　".join(f"{c} {g.tally.get(c, 0)}" for c in classes), bold=True)
        _shade(merged, LABEL_FILL)
        i += 1
        for r in (x for m in g.measures for x in m.rows):
            row = t.rows[i]
            _no_split(row)
            values = [r.label, r.unit, *r.cells, r.progress_text, r.status_text][:len(headers)]
            for cell, v, al in zip(row.cells, values, aligns):
                _cell_text(cell, v, align=al, size=9)
            if len(headers) > 6 and r.status:
                _shade(row.cells[6], rep.colors.get(r.status, "FFFFFF"))
            i += 1
    _widths(t, [46, 11, 24, 24, 24, 19, 22][:len(headers)])


def _note(doc, text: str):
    from docx.shared import Pt
    p = doc.add_paragraph(style="Caption")
    p.paragraph_format.space_before = Pt(2)
    _set_fonts(p.add_run(text), 9)


def build_docx(chapter: Chapter):
    """The chapter as a python-docx Document."""
    check()
    from docx import Document
    doc = Document()
    _styles(doc)
    section = _page(doc)
    _footer_page_number(section)
    rep = chapter.report
    props = doc.core_properties
    props.title = chapter.title
    props.subject = rep.municipality
    props.author = ""
    props.last_modified_by = ""
    props.comments = ""
    props.language = LANG
    doc.add_paragraph(chapter.title, style="Title")
    _set_fonts(doc.paragraphs[-1].runs[0], 18, bold=True)
    doc.add_paragraph(chapter.subtitle)
    doc.add_paragraph("各表の数値は【KPI達成状況】と同じ計算結果です（評価方式: " + rep.scheme_title + "）。")
    for goal in chapter.goals:
        doc.add_heading(goal.heading, level=1)
        _tally_table(doc, chapter, goal)
        for policy in goal.policies:
            if policy.heading:
                doc.add_heading(policy.heading, level=2)
            for text in policy.paragraphs:
                doc.add_paragraph(text)
            for m in policy.measures:
                doc.add_heading(m.heading, level=3 if policy.heading else 2)   # no level skipped
                for text in m.description:
                    doc.add_paragraph(text)
                _kpi_table(doc, chapter, m)
                if m.note:
                    _note(doc, m.note)
                if m.series:
                    p = doc.add_paragraph()
                    p.paragraph_format.keep_with_next = True
                    _set_fonts(p.add_run("年度別の実績と評価の推移"), 9.5, bold=True)
                    _series_table(doc, chapter, m)
                if m.texts:
                    doc.add_paragraph()
                    _texts_table(doc, m)
    _summary(doc, chapter)
    for n in (n for n in rep.notes if n):
        _note(doc, n)
    return doc


def export_docx(ev: Evaluation, path: Path, narratives=None) -> Path:
    build_docx(build_chapter(ev, narratives)).save(path)
    return path


def write_docx(chapter: Chapter, path: Path) -> Path:
    build_docx(chapter).save(path)
    return path
