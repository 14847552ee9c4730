"""xlwings side of kpi merge: the accepted answers written into the workbook open in Excel (the ribbon's
［回答の取り込み］).  The clerk saves it with Excel, as after ［再計算］.  Same decisions as the command line
(addin.collect.merge_book); only the writing differs from addin.book.collect.write_answers.

The number of Excel calls does not depend on the number of KPIs or answers: per written column, one read of
the formulas and one of the values of the rows the answers span, and one write of that span (every other
cell of the span written back as it was: formulas as formulas, texts as texts); number formats in one call
per format (a multi-area range, split only when its address passes Excel's 255 characters).
"""
from __future__ import annotations

from ..core.model import col_letter
from . import LiveBook

ADDRESS_LIMIT = 255   # Excel's limit for the address given to Worksheet.Range


def owned_sheet(live: LiveBook, marker: str) -> str | None:
    """The sheet marked as the tool's own by the hidden defined name ``marker`` (→ '<sheet>'!$A$1)."""
    refers = live.defined_names().get(marker) or ""
    sheet = refers.split("!")[0]
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet if sheet in live.sheet_names() else None


def marker_ref(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'!$A$1"


def write_answers_live(live: LiveBook, cells: dict, formats: dict, sheets=()):
    """Write the accepted answers (``cells``: (sheet, row, col) → value) and their number formats into the
    open workbook, then the tool's own sheets (``sheets``: (SheetPlan, marker, after)), each marked by its
    hidden defined name.  Refused before anything is touched when a sheet cannot be written; a sheet protected
    without a password is unprotected for the write and protected again with the clerk's settings."""
    written = tuple(dict.fromkeys([s for s, _, _ in cells] + [s for s, _, _ in formats]))
    live.begin_write(written + tuple(plan.name for plan, _, _ in sheets), cells_in=written)
    try:
        for sheet in written:
            sht = live.sheets[sheet]
            by_col: dict[int, dict[int, object]] = {}
            for (s, r, c), v in cells.items():
                if s == sheet:
                    by_col.setdefault(c, {})[r] = v
            for c, answers in sorted(by_col.items()):
                _write_span(sht, c, answers)
            by_fmt: dict[str, list[tuple[int, int]]] = {}
            for (s, r, c), fmt in formats.items():
                if s == sheet:
                    by_fmt.setdefault(fmt, []).append((r, c))
            for fmt, where in by_fmt.items():
                for address in multi_area_addresses(where):
                    sht.api.Range(address).NumberFormat = fmt
        for plan, marker, after in sheets:
            live.replace_sheet(plan, after=after)
            live.set_defined_names({marker: marker_ref(plan.name)})
    finally:
        live.end_write()


def _write_span(sht, col: int, answers: dict[int, object]) -> None:
    """The rows ``min..max`` of ``answers`` in column ``col`` in one write: the answers, and every other cell
    as it was (read as formulas and as values in one call each)."""
    r1, r2 = min(answers), max(answers)
    rng = sht.range((r1, col), (r2, col)).api
    formulas, values = _column(rng.Formula), _column(rng.Value)
    out = []
    for i, r in enumerate(range(r1, r2 + 1)):
        if r in answers:
            out.append(_typed_as_is(answers[r]))
        else:
            out.append(_as_it_was(formulas[i], values[i]))
    rng.Value = tuple((v,) for v in out)


def _column(x) -> list:
    """One column of a COM read (a single cell comes as a scalar)."""
    if not isinstance(x, tuple):
        return [x]
    return [row[0] if isinstance(row, tuple) else row for row in x]


def _typed_as_is(v):
    """An answer as the department typed it: a text stays text (Excel would read 〝1,234〟 or 〝=A1〟 assigned
    to Value as a number or a formula; the apostrophe makes it text and is not part of the value)."""
    if isinstance(v, str):
        return "'" + v if v else None
    return v


def _as_it_was(formula, value):
    """A cell the merge does not change, written back so that it stays what it was."""
    if isinstance(formula, str) and formula.startswith("=") and formula != value:
        return formula                      # a formula stays a formula
    if isinstance(value, str):
        return "'" + value if value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return formula                      # an error value (an int from COM): its text, e.g. #N/A
    return value


def multi_area_addresses(cells: list[tuple[int, int]]) -> list[str]:
    """"E5,E7:E9,G5" addresses covering ``cells`` (row, col), each within Excel's 255 characters."""
    runs: list[str] = []
    for c in sorted({c for _, c in cells}):
        rows = sorted({r for r, cc in cells if cc == c})
        start = prev = rows[0]
        for r in rows[1:] + [None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            a = f"{col_letter(c)}{start}"
            runs.append(a if start == prev else f"{a}:{col_letter(c)}{prev}")
            if r is not None:
                start = prev = r
    out, cur = [], ""
    for run in runs:
        if cur and len(cur) + 1 + len(run) > ADDRESS_LIMIT:
            out.append(cur)
            cur = ""
        cur = f"{cur},{run}" if cur else run
    if cur:
        out.append(cur)
    return out
