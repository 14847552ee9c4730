"""xlwings side of kpi merge: the accepted answers written into the workbook open in Excel (the ribbon's
［回答の取り込み］).  The clerk saves it with Excel, as after ［再計算］.  Same decisions as the command line
(addin.collect.merge_book); only the writing differs from addin.book.collect.write_answers.
"""
from __future__ import annotations

from . import LiveBook, _unprotected


def owned_sheet(book, marker: str) -> str | None:
    """The sheet marked as the tool's own by the hidden defined name ``marker`` (→ '<sheet>'!$A$1)."""
    try:
        refers = book.api.Names.Item(marker).RefersTo or ""
    except Exception:  # no such name
        return None
    sheet = refers.lstrip("=").split("!")[0].strip("'").replace("''", "'")
    return sheet if sheet in [s.name for s in book.sheets] else None


def mark_owned(book, marker: str, sheet: str):
    ref = "='" + sheet.replace("'", "''") + "'!$A$1"
    try:
        book.api.Names.Item(marker).Delete()
    except Exception:  # not there yet
        pass
    book.api.Names.Add(Name=marker, RefersTo=ref, Visible=False)


def write_answers_live(live: LiveBook, cells: dict, formats: dict, sheets=()):
    """Write the answers cell by cell (only the accepted ones: a handful per department), lifting the sheet
    protection while writing as the other buttons do, then the tool's own sheets."""
    by_sheet: dict[str, list] = {}
    for (sheet, r, c), v in cells.items():
        by_sheet.setdefault(sheet, []).append((r, c, v))
    for (sheet, r, c) in formats:
        by_sheet.setdefault(sheet, [])
    for sheet, items in by_sheet.items():
        sht = live.sheets[sheet]
        with _unprotected(sht):
            for r, c, v in items:
                # an answer is text, never a formula: Excel takes a leading apostrophe as "text"
                sht.range((r, c)).value = "'" + v if isinstance(v, str) and v.startswith(("=", "+", "-", "@")) \
                    and not _numeric(v) else v
            for (s, r, c), fmt in formats.items():
                if s == sheet:
                    sht.range((r, c)).number_format = fmt
    for plan, marker, after in sheets:
        live.replace_sheet(plan, after=after)
        mark_owned(live.book, marker, plan.name)


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False
