"""xlwings adapter: the ``Book`` interface over the workbook open in Excel.

Thin on purpose: every rule lives in addin.core and addin.ops.  Each table is read with one bulk call, each
computed column written with one call, and a generated sheet arrives by one sheet copy from a file rendered
by the openpyxl renderer, so the number of Excel calls does not grow with the number of KPIs.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..core.table import find_header, map_columns
from ..errors import KpiError
from ..core.values import is_percent_unit

# Excel constants (no win32com import needed)
XL_EXPRESSION = 2
MARK = "kpi-addin-check"
_NUMERIC_KEYS = ("baseline", "target", "published_progress")


def _bgr(hex_rgb: str) -> int:
    """Excel's Color property is BGR."""
    r, g, b = int(hex_rgb[0:2], 16), int(hex_rgb[2:4], 16), int(hex_rgb[4:6], 16)
    return r + (g << 8) + (b << 16)


class LiveBook:
    """The open workbook in Excel, through xlwings."""

    def __init__(self, book):
        self.book = book
        self.sheets = {s.name: s for s in book.sheets}

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def read_block(self, sheet):
        sht = self.sheets[sheet]
        last = sht.used_range.last_cell
        nrows, ncols = last.row, last.column
        block = sht.range((1, 1), (nrows, ncols)).options(ndim=2, empty=None).value
        block = [list(r) for r in block]
        return block, self._percent_cells(sht, block)

    def _percent_cells(self, sht, block) -> set[tuple[int, int]]:
        """Numeric cells shown as %: one number-format read per value column (not per cell)."""
        header = find_header(block)
        if header is None:
            return set()
        target_cols: dict[int, int] = {}
        cols, actual_cols = map_columns(block[header - 1], target_cols)
        value_cols = ([cols[k] for k in _NUMERIC_KEYS if k in cols] + list(actual_cols.values())
                      + list(target_cols.values()))
        last = len(block)
        out: set[tuple[int, int]] = set()
        if last <= header:
            return out
        for c in value_cols:
            fmt = sht.range((header + 1, c), (last, c)).number_format
            numeric = [r for r in range(header + 1, last + 1)
                       if isinstance(block[r - 1][c - 1], (int, float)) and not isinstance(block[r - 1][c - 1], bool)]
            if fmt and "%" in fmt:
                out.update((r, c) for r in numeric)
            elif fmt is None:
                # mixed formats in the column: the one ambiguous case is a fraction (0.35) in a KPI whose unit
                # is %, which may be 35% typed with a percent format; only those cells are asked one by one
                unit_col = cols.get("unit")
                for r in numeric:
                    v = block[r - 1][c - 1]
                    unit = block[r - 1][unit_col - 1] if unit_col else None
                    if (0 < abs(v) <= 1.5 and is_percent_unit(unit if isinstance(unit, str) else None)
                            and "%" in (sht.range((r, c)).number_format or "")):
                        out.add((r, c))
        return out

    def write_columns(self, sheet, first_row, columns, headers, header_row, formats):
        sht = self.sheets[sheet]
        with _unprotected(sht):
            for c, text in headers.items():
                sht.range((header_row, c)).value = text
            for c, values in columns.items():
                if not values:
                    continue
                sht.range((first_row, c)).options(transpose=True).value = values
                if c in formats:
                    sht.range((first_row, c), (first_row + len(values) - 1, c)).number_format = formats[c]

    def replace_sheet(self, plan, after=None):
        """Render the plan to a file with the openpyxl renderer, then copy that sheet in (one copy)."""
        from openpyxl import Workbook

        from ..book.files import render_plan
        wb = Workbook()
        render_plan(wb, plan)
        del wb[wb.sheetnames[0]]
        fd, tmp = tempfile.mkstemp(suffix=".xlsx", prefix="kpi-sheet-")
        os.close(fd)
        try:
            wb.save(tmp)
            app = self.book.app
            src = app.books.open(tmp)
            try:
                anchor = self.sheets.get(after) if after else None
                old = self.sheets.pop(plan.name, None)
                if old is not None:
                    with app.properties(display_alerts=False):
                        old.delete()
                new = src.sheets[0].copy(after=anchor) if anchor is not None else src.sheets[0].copy(
                    after=self.book.sheets[-1])
                new.name = plan.name
                self.sheets[plan.name] = new
            finally:
                src.close()
        finally:
            Path(tmp).unlink(missing_ok=True)

    def set_highlights(self, sheet, rules):
        from ..ops import HIGHLIGHT_COLOURS
        sht = self.sheets[sheet]
        with _unprotected(sht):
            fcs = sht.api.Cells.FormatConditions
            for i in range(fcs.Count, 0, -1):
                fc = fcs.Item(i)
                try:
                    if MARK in (fc.Formula1 or ""):
                        fc.Delete()
                except Exception:  # colour scales and data bars have no Formula1
                    continue
            for severity, rng, formula in rules:
                bg, fg = HIGHLIGHT_COLOURS[severity]
                fc = sht.range(rng).api.FormatConditions.Add(
                    Type=XL_EXPRESSION, Formula1=f'=AND(ISTEXT("{MARK}"),{formula})')
                fc.Interior.Color = _bgr(bg)
                fc.Font.Color = _bgr(fg)
                fc.StopIfTrue = severity == "エラー"

    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped names (Excel lists a sheet's own names as ``Sheet!name``), refers-to without ``=``."""
        out = {}
        for n in self.book.names:
            name = n.name
            if "!" not in name:
                out[name] = (n.refers_to or "").lstrip("=")
        return out

    def set_defined_names(self, names) -> None:
        """Add or replace hidden workbook-scoped names (None deletes): one add and one Visible per name."""
        existing = {n.lower() for n in self.defined_names()}
        for name, text in names.items():
            if text is None:
                if name.lower() in existing:
                    self.book.names[name].delete()
                continue
            n = self.book.names.add(name, "=" + text)
            n.api.Visible = False


class _unprotected:
    """Lift the KPI sheet's protection while the tool writes its own cells, then put it back as it was."""

    def __init__(self, sht):
        self.sht = sht
        self.was = False

    def __enter__(self):
        try:
            self.was = bool(self.sht.api.ProtectContents)
        except Exception:  # macOS / no protection API: write as is
            self.was = False
        if self.was:
            try:
                self.sht.api.Unprotect()
            except Exception as e:  # a password the clerk set: the tool does not guess it
                raise KpiError(f"シート「{self.sht.name}」はパスワードで保護されているため書き込めません。"
                               "［校閲］→［シート保護の解除］で保護を外してから、もう一度実行してください。") from e
        return self

    def __exit__(self, *exc):
        if self.was:
            self.sht.api.Protect(Contents=True, UserInterfaceOnly=False, AllowFormattingCells=True,
                                 AllowFormattingColumns=True, AllowFormattingRows=True, AllowInsertingRows=True,
                                 AllowDeletingRows=True, AllowSorting=True, AllowFiltering=True,
                                 AllowInsertingHyperlinks=True)
        return False

