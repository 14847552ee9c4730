"""xlwings adapter: the ``Book`` interface over the workbook open in Excel.

Thin on purpose: every reading rule lives in ``addin.core.cells`` (the same function the openpyxl adapter
calls), every operation in ``addin.ops``.  The number of Excel calls does not depend on the number of KPIs:

- a sheet's values come in one ``Range.Value`` read through xlwings' own conversion (so errors, currency
  Decimals, dates and empty strings arrive as Excel hands them over), and the number formats of the value
  columns in one ``Range.Value(xlRangeValueXMLSpreadsheet)`` read (styles and their number formats);
- each computed column is written with one call, and its number format with one more;
- a generated sheet arrives by one sheet copy from a file rendered by the openpyxl renderer, copied in under a
  temporary name first: the old sheet is deleted and the new one renamed only after the copy succeeded.

Before anything is written, :meth:`LiveBook.begin_write` refuses (with what to do) a workbook opened
read-only, a shared workbook, a protected workbook structure and a sheet protected with a password — the
tool never makes Excel prompt for a password.  A sheet protected without a password is unprotected for the
write and protected again with the clerk's own settings, read before unprotecting.
"""
from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from ..core import layout
from ..core.cells import com_error_name, read_rows
from ..core.findings import ERROR
from ..core.render import written
from ..core.table import find_header, map_columns
from ..errors import KpiError

XL_EXPRESSION = 2
XL_RANGE_VALUE_XML_SPREADSHEET = 11
DISPATCH_PROPERTYGET = 2
XL_CELL_TYPE_VISIBLE = 12
MARK = "kpi-addin-check"
TEMP_PREFIX = "kpi-new-"
_NUMERIC_KEYS = ("baseline", "target", "published_progress")
_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
PROTECT_FLAGS = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows", "AllowInsertingColumns",
                 "AllowInsertingRows", "AllowInsertingHyperlinks", "AllowDeletingColumns", "AllowDeletingRows",
                 "AllowSorting", "AllowFiltering", "AllowUsingPivotTables")


def _bgr(hex_rgb: str) -> int:
    """Excel's Color property is BGR."""
    r, g, b = int(hex_rgb[0:2], 16), int(hex_rgb[2:4], 16), int(hex_rgb[4:6], 16)
    return r + (g << 8) + (b << 16)


def excel_value(value):
    """A generated cell as Excel's Value receives it, by the one writing policy (``core.render.written``):
    a text Excel would read as a formula, number or date gets the leading apostrophe (the quote prefix)."""
    v, quote = written(value)
    return "'" + v if quote else v


class LiveBook:
    """The open workbook in Excel, through xlwings (``book``: an ``xlwings.Book``)."""

    def __init__(self, book):
        self.book = book
        self.api = book.api
        self.sheets = {s.name: s for s in book.sheets}
        self._protection: dict[str, dict] = {}
        self.number_formats: dict[str, dict[tuple[int, int], str]] = {}  # sheet → the formats read_block read

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    # ------------------------------------------------------------------------------------------ reading
    def read_block(self, sheet):
        sht = self.sheets[sheet]
        last = sht.used_range.last_cell
        nrows, ncols = last.row, last.column
        values = sht.range((1, 1), (nrows, ncols)).options(ndim=2, empty=None, err_to_str=True).value
        formats = self._value_formats(sht, values) if sheet == layout.SHEET_KPI else {}
        self.number_formats[sheet] = formats
        return read_rows(values, lambda r, c: formats.get((r, c)), _error_of)

    def _value_formats(self, sht, values) -> dict[tuple[int, int], str]:
        """Number formats of the cells of the value columns (baseline, target, actuals, yearly targets), from
        one XML-spreadsheet read of the block spanning them."""
        header = find_header(values)
        if header is None or header >= len(values):
            return {}
        target_cols: dict[int, int] = {}
        cols, actual_cols = map_columns(values[header - 1], target_cols)
        value_cols = ([cols[k] for k in _NUMERIC_KEYS if k in cols] + list(actual_cols.values())
                      + list(target_cols.values()))
        if not value_cols:
            return {}
        c1, c2, r1, r2 = min(value_cols), max(value_cols), header + 1, len(values)
        rng = sht.range((r1, c1), (r2, c2)).api
        try:
            ole = rng._oleobj_
            ids = ole.GetIDsOfNames("Value")
            dispid = ids[0] if isinstance(ids, (tuple, list)) else ids
            xml = ole.Invoke(dispid, 0, DISPATCH_PROPERTYGET, True, XL_RANGE_VALUE_XML_SPREADSHEET)
            return parse_xml_formats(xml, r1, c1)
        except Exception:  # an Excel without the XML spreadsheet read: one NumberFormat per value column
            out = {}
            for c in value_cols:
                fmt = sht.range((r1, c), (r2, c)).number_format
                if fmt:  # None when the column mixes formats: read as not-% (said in the README)
                    out.update({(r, c): fmt for r in range(r1, r2 + 1)})
            return out

    # ------------------------------------------------------------------------------------------ writing
    def begin_write(self, sheets: tuple[str, ...], cells_in: tuple[str, ...] = (layout.SHEET_KPI,)) -> None:
        """Refuse before touching anything when the operation could not write these sheets; unprotect the
        sheets whose cells are written (``cells_in``: the KPI sheet; no password) after reading the clerk's
        protection settings.  The other ``sheets`` are generated (deleted and copied in again)."""
        api = self.api
        if api.ReadOnly:
            raise KpiError("このブックは読み取り専用で開かれているため、書き込めません。"
                           "［ファイル］→［名前を付けて保存］で保存し直したブックで実行してください。")
        if api.MultiUserEditing:
            raise KpiError("このブックは共有ブック（以前の共有機能）のため、シートを作り直せません。"
                           "［校閲］→［ブックの共有］（共有の解除）で共有を解除してから実行してください。")
        generated = [s for s in sheets if s not in cells_in]
        if generated and api.ProtectStructure:
            raise KpiError("ブックの構成が保護されているため、シート「" + "」「".join(generated) + "」を作り直せません。"
                           "［校閲］→［ブックの保護］で保護を解除してから実行してください。")
        for name in [s for s in cells_in if s in sheets and s in self.sheets]:
            ws = self.sheets[name].api
            if ws.ProtectContents:
                state = {"DrawingObjects": ws.ProtectDrawingObjects, "Scenarios": ws.ProtectScenarios,
                         "UserInterfaceOnly": ws.ProtectionMode}
                prot = ws.Protection
                state.update({f: getattr(prot, f) for f in PROTECT_FLAGS})
                selection = ws.EnableSelection
                try:
                    ws.Unprotect(Password="")  # an explicit empty password: Excel never prompts
                except Exception as e:
                    self.end_write()  # sheets unprotected before this one are protected again
                    raise KpiError(f"シート「{name}」はパスワードで保護されているため書き込めません（何も変更していません）。"
                                   "［校閲］→［シート保護の解除］で保護を外してから、もう一度実行してください。") from e
                self._protection[name] = {"flags": state, "selection": selection}

    def end_write(self) -> None:
        """Protect again what begin_write unprotected, with the clerk's own settings."""
        for name, saved in self._protection.items():
            ws = self.sheets[name].api
            ws.Protect(Contents=True, **saved["flags"])
            ws.EnableSelection = saved["selection"]
        self._protection.clear()

    def write_columns(self, sheet, first_row, columns, headers, header_row, formats):
        sht = self.sheets[sheet]
        for c, text in headers.items():
            sht.range((header_row, c)).value = excel_value(text)
        for c, values in columns.items():
            if not values:
                continue
            sht.range((first_row, c)).options(transpose=True).value = [excel_value(v) for v in values]
            if c in formats:
                sht.range((first_row, c), (first_row + len(values) - 1, c)).number_format = formats[c]

    def replace_sheet(self, plan, after=None):
        """Render the plan with the openpyxl renderer, copy it in under a temporary name, and only then delete
        the old sheet and give the new one its name: a failed copy leaves the old sheet as it was."""
        from openpyxl import Workbook

        from ..book.files import render_plan
        wb = Workbook()
        render_plan(wb, plan)
        del wb[wb.sheetnames[0]]
        temp_name = (TEMP_PREFIX + plan.name)[:31]
        wb[plan.name].title = temp_name
        fd, tmp = tempfile.mkstemp(suffix=".xlsx", prefix="kpi-sheet-")
        os.close(fd)
        try:
            wb.save(tmp)
            app = self.api.Application
            src = app.Workbooks.Open(tmp)
            try:
                anchor = self.sheets.get(after) if after else None
                anchor_api = anchor.api if anchor is not None else self.api.Worksheets(self.api.Worksheets.Count)
                src.Worksheets(1).Copy(After=anchor_api)
                new = self.api.Worksheets(anchor_api.Index + 1)
            finally:
                src.Close(SaveChanges=False)
            old = self.sheets.pop(plan.name, None)
            if old is not None:
                alerts = app.DisplayAlerts
                app.DisplayAlerts = False
                try:
                    old.api.Delete()
                finally:
                    app.DisplayAlerts = alerts
            new.Name = plan.name
            self.sheets[plan.name] = self.book.sheets[plan.name]
        finally:
            Path(tmp).unlink(missing_ok=True)

    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped defined names → what they refer to (``'KPI'!$X$4``, without the "="): one call per
        name, whatever the number of KPIs."""
        names = self.api.Names
        out = {}
        for i in range(1, names.Count + 1):
            item = names.Item(i)
            name = item.Name
            if "!" not in name:  # a sheet-scoped name is listed as 'Sheet'!name
                ref = item.RefersTo or ""
                out[name] = ref[1:] if ref.startswith("=") else ref
        return out

    def set_defined_names(self, names: dict[str, str | None]) -> None:
        """Set hidden, workbook-scoped defined names (the tool's markers); None deletes the name."""
        existing = {n.lower() for n in self.defined_names()}
        api_names = self.api.Names
        for name, ref in names.items():
            if name.lower() in existing:
                api_names.Item(name).Delete()
            if ref is not None:
                api_names.Add(Name=name, RefersTo="=" + ref, Visible=False)

    def hidden_rows(self, sheet):
        """Rows hidden in the used range: the visible cells of column A (one call) and their areas (one call
        per run of visible rows), so the cost follows the number of hidden blocks, not of KPIs."""
        used = self.sheets[sheet].api.UsedRange
        first, count = used.Row, used.Rows.Count
        every = set(range(first, first + count))
        try:
            visible = used.Columns(1).SpecialCells(XL_CELL_TYPE_VISIBLE)
        except Exception:
            # Excel raises "No cells were found." when every row is hidden; any other failure is not a sheet
            # of hidden rows (taking it for one would warn about every KPI), so it is raised
            if used.EntireRow.Hidden is True:
                return every
            raise
        areas = visible.Areas
        shown: set[int] = set()
        for i in range(1, areas.Count + 1):
            area = areas.Item(i)
            shown.update(range(area.Row, area.Row + area.Rows.Count))
        return every - shown

    def set_highlights(self, sheet, rules):
        from ..ops import HIGHLIGHT_COLOURS
        sht = self.sheets[sheet]
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
            fc.StopIfTrue = severity == ERROR


def _error_of(r, c, value):
    """An int from Excel's COM is an error value (numbers arrive as floats); xlwings names the classic
    errors itself (err_to_str), the newer ones (#SPILL!, #CALC!) stay ints."""
    if isinstance(value, str) and value.startswith("#") and value in _XLWINGS_ERRORS:
        return value
    return com_error_name(value)


_XLWINGS_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})


def parse_xml_formats(xml: str, row0: int, col0: int) -> dict[tuple[int, int], str]:
    """(row, col) → number format of every cell in an XML Spreadsheet 2003 text (Range.Value(11)) whose
    top-left cell is at (row0, col0).  Cells without a style of their own take their row's, then their
    column's, then the Default style's format."""
    root = ET.fromstring(xml)
    styles = {}
    for st in root.iter(f"{_SS}Style"):
        nf = st.find(f"{_SS}NumberFormat")
        styles[st.get(f"{_SS}ID")] = nf.get(f"{_SS}Format") if nf is not None else None
    default = styles.get("Default")
    table = root.find(f"{_SS}Worksheet/{_SS}Table")
    out: dict[tuple[int, int], str] = {}
    if table is None:
        return out
    col_styles, c = {}, 0
    for col in table.findall(f"{_SS}Column"):
        c = int(col.get(f"{_SS}Index", c + 1))
        span = int(col.get(f"{_SS}Span", 0))
        for k in range(c, c + span + 1):
            col_styles[k] = col.get(f"{_SS}StyleID")
        c += span
    r = 0
    for row in table.findall(f"{_SS}Row"):
        r = int(row.get(f"{_SS}Index", r + 1))
        row_style = row.get(f"{_SS}StyleID")
        c = 0
        for cell in row.findall(f"{_SS}Cell"):
            c = int(cell.get(f"{_SS}Index", c + 1))
            sid = cell.get(f"{_SS}StyleID") or row_style or col_styles.get(c)
            fmt = styles.get(sid, default) if sid else default
            if fmt:
                out[(row0 + r - 1, col0 + c - 1)] = fmt
            c += int(cell.get(f"{_SS}MergeAcross", 0))
        r += int(row.get(f"{_SS}Span", 0))
    return out


def attach(hwnd: int | str, fullname: str):
    """The workbook ``fullname`` in the Excel whose main window is ``hwnd`` (as the VBA launcher passes
    them), through xlwings."""
    import xlwings as xw
    from xlwings import _xlwindows
    app = xw.App(impl=_xlwindows.App(xl=int(hwnd)))
    for book in app.books:
        # the COM FullName itself: xlwings' Book.fullname would read a config sheet of the workbook for URLs
        if book.api.FullName.lower() == fullname.lower():
            return book
    raise KpiError("対象のブックが Excel で見つかりません。ブックを開き直してから、もう一度ボタンを押してください。")

