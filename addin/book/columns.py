"""Insert columns into an openpyxl worksheet the way Excel does: what refers to the columns moves with them.

openpyxl's ``insert_cols`` moves only the cells.  Excel also moves defined names (the tool's markers), merged
ranges, column widths, data validations, conditional formats, the auto-filter and the frozen pane; so does this.
"""
from __future__ import annotations

import re

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

from ..core.ownership import cell_ref, parse_ref

_CELL = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _shift_ref(ref: str, idx: int, n: int) -> str:
    """A1 references in ``ref`` with columns at or after ``idx`` moved right by ``n``."""
    def move(m):
        c = _col_index(m.group(2))
        if c >= idx:
            c += n
        return f"{m.group(1)}{get_column_letter(c)}{m.group(3)}{m.group(4)}"
    return _CELL.sub(move, ref)


def insert_columns(wb, ws, idx: int, n: int = 1) -> None:
    """Insert ``n`` empty columns before column ``idx`` of ``ws``, moving everything that refers to the columns."""
    widths = {c: ws.column_dimensions[get_column_letter(c)].width for c in range(1, ws.max_column + 1)
              if get_column_letter(c) in ws.column_dimensions}
    merged = [CellRange(str(m)) for m in ws.merged_cells.ranges]
    for m in merged:
        ws.unmerge_cells(str(m))
    ws.insert_cols(idx, n)
    for m in merged:
        if m.min_col >= idx:
            m.shift(col_shift=n)
        elif m.max_col >= idx:          # a merge across the insertion point widens, as in Excel
            m.expand(right=n)
        ws.merge_cells(m.coord)
    for c in sorted(widths, reverse=True):
        if c >= idx:
            ws.column_dimensions[get_column_letter(c + n)].width = widths[c]
    for c in range(idx, idx + n):
        ws.column_dimensions[get_column_letter(c)].width = widths.get(idx - 1 if idx > 1 else idx)
    for dv in ws.data_validations.dataValidation:
        dv.sqref = type(dv.sqref)(_shift_ref(str(dv.sqref), idx, n))
    cf = ws.conditional_formatting
    rules = list(cf._cf_rules.items())
    cf._cf_rules.clear()
    for rng, rs in rules:
        for rule in rs:
            cf.add(_shift_ref(str(rng.sqref), idx, n), rule)
    if ws.auto_filter.ref:
        ws.auto_filter.ref = _shift_ref(ws.auto_filter.ref, idx, n)
    if ws.freeze_panes:
        ws.freeze_panes = _shift_ref(ws.freeze_panes, idx, n)
    for name, dn in list(wb.defined_names.items()):
        ref = parse_ref(dn.attr_text or "")
        if ref and ref[0] == ws.title and ref[1] >= idx:
            dn.attr_text = cell_ref(ws.title, ref[1] + n, ref[2])
