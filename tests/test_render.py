"""The generated 【KPI達成状況】 as LibreOffice prints it: every KPI name, the tally, A4, nothing cut off."""
import pytest
from openpyxl import load_workbook

from addin.core import layout
from render import needs_soffice, page_sizes, pdf_text, squash, to_pdf, words_outside_page

A4 = (595.3, 841.9)


@pytest.fixture(scope="module")
def summary_pdf(tmp_path_factory):
    """Recalculate a copy of the sample, keep only the summary sheet, render it."""
    import shutil
    from addin.cli import main
    from conftest import SAMPLE
    d = tmp_path_factory.mktemp("render")
    book = d / "mine_r4.xlsx"
    shutil.copy(SAMPLE, book)
    assert main(["recalc", str(book)]) == 0
    wb = load_workbook(book)
    for name in wb.sheetnames:
        if name != layout.SHEET_SUMMARY:
            del wb[name]
    summary = d / "summary.xlsx"
    wb.save(summary)
    return to_pdf(summary, d)


@pytest.mark.render
@needs_soffice
def test_pdf_shows_every_kpi_name_and_the_tally(summary_pdf, source_rows):
    text = squash(pdf_text(summary_pdf))
    missing = [r["name"] for r in source_rows if squash(r["name"]).rstrip("※") not in text]
    assert missing == []
    import re
    assert re.search(r"合計\s+26\s+19\s+13\s+20\s+78", pdf_text(summary_pdf, layout=True))
    assert "【KPI達成状況】" in text


@pytest.mark.render
@needs_soffice
def test_pdf_pages_are_a4_and_nothing_is_wider_than_the_paper(summary_pdf):
    sizes = page_sizes(summary_pdf)
    assert sizes and all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in sizes)
    assert words_outside_page(summary_pdf) == []
