"""What the tool owns in a clerk's workbook, decided by markers the tool set itself — never by header text.

Markers are hidden, workbook-scoped defined names (``Book.defined_names`` / ``set_defined_names``):

- ``_kpi_col_<key>`` → ``'KPI'!$X$4``: the header cell of the computed column ``key`` (progress, status, reason,
  check, pace, pace_need).  Excel moves a defined name when columns are inserted or deleted before it, so the
  marker follows its column; a clerk cannot create one by typing a header.
- ``_kpi_sheet_summary`` / ``_kpi_sheet_findings`` → ``'<sheet>'!$A$1``: the generated sheets (the marker follows
  a renamed sheet).

A column headed 評価, 進捗率, 検証 … without a marker is the clerk's: it is read as an ordinary column and never
written.  The tool then adds its own column at the right end of the table (its header gets ``（自動）`` when the
clerk already uses the same header) and marks it.

Migration of workbooks written before markers existed (old template files, samples): an unmarked column is
adopted only when it is part of the template's own computed band — the band row above the header starts the run
with the template's text 「自動計算（再計算で上書き）」 and the run's headers are the tool's headers in the
template's order.  A sheet named KPI達成状況 / 検証結果 without a marker is adopted only when its first cells are
the ones the tool writes (【KPI達成状況】 / 検証結果 with the findings header row); otherwise it is the clerk's and
the tool writes its sheet under another name (``KPI達成状況（自動）``).
"""
from __future__ import annotations

import re

from . import layout
from .model import col_letter

COLUMN_MARKER = "_kpi_col_"
SHEET_MARKERS = {"summary": "_kpi_sheet_summary", "findings": "_kpi_sheet_findings"}
BAND_COMPUTED_TEXT = "自動計算（再計算で上書き）"
OWN_SUFFIX = "（自動）"

_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)$")


def column_marker(key: str) -> str:
    return COLUMN_MARKER + key


def quote_sheet(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def cell_ref(sheet: str, col: int, row: int) -> str:
    """An absolute reference as a defined name holds it: 'KPI'!$X$4."""
    return f"{quote_sheet(sheet)}!${col_letter(col)}${row}"


def parse_ref(ref: str) -> tuple[str, int, int] | None:
    """(sheet, column, row) of an absolute single-cell reference; None for #REF! or anything else."""
    m = _REF.match((ref or "").strip())
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") if m.group(1) is not None else m.group(2)
    col = 0
    for ch in m.group(3):
        col = col * 26 + ord(ch) - 64
    return sheet, col, int(m.group(4))


def marked_columns(names: dict[str, str], sheet: str = layout.SHEET_KPI) -> dict[str, int]:
    """Computed key → column of the tool's marked columns on ``sheet``."""
    out = {}
    for col in layout.COMPUTED_COLUMNS:
        ref = parse_ref(names.get(column_marker(col.key), ""))
        if ref and ref[0] == sheet:
            out[col.key] = ref[1]
    return out


def adopt_template_columns(block, header_row: int, taken: set[int]) -> dict[str, int]:
    """Migration: the computed columns of an unmarked workbook made from the template (see module docstring)."""
    if header_row < 2 or header_row - 1 > len(block):
        return {}
    band = block[header_row - 2]
    header = block[header_row - 1]
    start = next((c for c, v in enumerate(band, start=1)
                  if layout.normalise_header(v) == layout.normalise_header(BAND_COMPUTED_TEXT)), None)
    if start is None:
        return {}
    out: dict[str, int] = {}
    expected = list(layout.COMPUTED_COLUMNS)
    c = start
    while expected and c <= len(header):
        col = expected[0]
        if layout.normalise_header(header[c - 1]) != layout.normalise_header(col.header) or c in taken:
            break
        out[col.key] = c
        expected.pop(0)
        c += 1
    return out


def own_header(col: layout.Column, header_row_values) -> str:
    """Header of a column the tool adds: its own text, with （自動） when a clerk column already uses it."""
    used = {layout.normalise_header(v) for v in header_row_values}
    return col.header + OWN_SUFFIX if layout.normalise_header(col.header) in used else col.header


def sheet_is_tools(kind: str, block) -> bool:
    """Migration: an unmarked sheet with the tool's sheet name is the tool's only when it starts as the tool
    writes it."""
    def cell(r, c):
        return block[r - 1][c - 1] if r - 1 < len(block) and c - 1 < len(block[r - 1]) else None
    if kind == "summary":
        return cell(1, 1) == "【KPI達成状況】"
    from .render import FINDINGS_HEADERS
    return cell(1, 1) == "検証結果" and [cell(3, c) for c in range(1, len(FINDINGS_HEADERS) + 1)] == list(
        FINDINGS_HEADERS)


def free_sheet_name(default: str, existing) -> str:
    """A sheet name for the tool's sheet that no clerk sheet uses: KPI達成状況（自動）, …（自動2）."""
    name, n = default + OWN_SUFFIX, 2
    while name in existing:
        name, n = f"{default}（自動{n}）", n + 1
    return name
