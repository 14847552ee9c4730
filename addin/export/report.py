"""``kpi report``: the evaluation report's chapter as Word (.docx), PDF and HTML, from one ``Chapter``.

The PDF is the Word document printed by LibreOffice (tagged PDF, language Japanese), so the two never differ.
Files are named after the municipality, the report and the year, never after the internal workbook.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from ..core import values as V
from ..errors import KpiError
from .chapter import Chapter

REPORT_FORMATS = ("docx", "pdf", "html")
LABELS = {"docx": "Word文書", "pdf": "PDF", "html": "ウェブページ（HTML）"}


def parse_report_formats(text: str | Iterable[str] | None) -> tuple[str, ...]:
    from . import format_list
    return tuple(format_list(text, REPORT_FORMATS, REPORT_FORMATS))


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def public_basename(municipality: str, what: str, year: int | None) -> str:
    """A public file name from public facts only (美祢市_評価報告書_R4), never the internal workbook's name."""
    parts = [municipality, what, V.era_label(year) if year else ""]
    name = "_".join(_UNSAFE.sub("", p).strip() for p in parts if p and _UNSAFE.sub("", p).strip())
    return name[:120] or what


def report_basename(chapter: Chapter) -> str:
    return public_basename(chapter.report.municipality, "評価報告書", chapter.report.evaluation_year)


def write_report(chapter: Chapter, out_dir, formats=REPORT_FORMATS, basename: str | None = None) -> dict[str, Path]:
    """Write the chapter in each format into ``out_dir``; return {format: path}.  Files replace older ones
    atomically; a missing program (LibreOffice for the PDF, python-docx) is reported before anything is written."""
    from . import docx as D
    from .chapter_html import write_chapter_html
    from .pdf import check as check_pdf, xlsx_to_pdf
    names = parse_report_formats(formats)
    if "docx" in names or "pdf" in names:
        D.check()
    if "pdf" in names:
        check_pdf()
    from . import output_folder
    out = output_folder(out_dir)
    base = basename or report_basename(chapter)
    tmp = Path(tempfile.mkdtemp(prefix=".kpi-report-", dir=out))
    written: dict[str, Path] = {}
    try:
        parts: dict[str, Path] = {}
        if "docx" in names or "pdf" in names:
            parts["docx"] = D.write_docx(chapter, tmp / f"{base}.docx")
        if "pdf" in names:
            parts["pdf"] = xlsx_to_pdf(parts["docx"], tmp)
        if "html" in names:
            parts["html"] = write_chapter_html(chapter, tmp / f"{base}.html")
        for n in names:
            target = out / f"{base}.{n}"
            try:
                os.replace(parts[n], target)
            except OSError as e:
                raise KpiError(f"「{target}」に書き込めません。ファイルを開いている場合は閉じてから、"
                               f"もう一度実行してください（{e.strerror or type(e).__name__}）。") from e
            written[n] = target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written
