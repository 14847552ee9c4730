"""openpyxl adapter: read a KPI workbook file into core records, write the cells and sheets the tool owns.

Reads each sheet once (one pass over its cells); writes only computed columns of KPI rows, the owned sheets
(KPI達成状況, 検証結果) and the tool's own conditional-formatting highlights.
"""
from __future__ import annotations

import io
import zipfile
from copy import copy
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill

from ..core.cells import read_cell
from ..core.findings import ERROR
from ..core.render import STYLES, SheetPlan, written
from ..errors import WorkbookError
from ..ops import HIGHLIGHT_COLOURS
from . import styles as S

HIGHLIGHT_MARK = 'ISTEXT("kpi-addin-check")'  # formula that identifies the tool's own highlight rules


def open_workbook(path, data_only: bool = False, data: bytes | None = None):
    """Open an .xlsx for reading or updating; every failure becomes a WorkbookError in Japanese.

    The file (or ``data``, its bytes already read) passes ``guard`` first: format, zip bomb and DTD checks
    before any parsing."""
    from . import guard
    path = Path(path)
    if data is None:
        data = guard.read_bytes(path)
    guard.open_package(data, name=path).close()
    try:
        return load_workbook(io.BytesIO(data), data_only=data_only, rich_text=False,
                             keep_vba=path.suffix.lower() in (".xlsm", ".xltm"))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as e:
        raise WorkbookError(f"「{path.name}」をExcelブック（.xlsx）として読み込めません（{type(e).__name__}）。"
                            "ファイルが壊れていないか確認してください。") from e


def sheet_block(ws) -> tuple[list[list], set[tuple[int, int]], set[tuple[int, int]]]:
    """All values of a sheet from A1, in one pass; plus numeric cells shown as % and cells holding formulas.

    Each cell's raw facts (value, number format, error) go through core's ``read_cell``, the rule every
    adapter shares."""
    block: list[list] = []
    percent: set[tuple[int, int]] = set()
    formulas: set[tuple[int, int]] = set()
    for r, row in enumerate(ws.iter_rows(min_row=1, min_col=1), start=1):
        vals = []
        for c, cell in enumerate(row, start=1):
            v = cell.value
            if cell.data_type == "f" or isinstance(v, str) and v.startswith("="):
                formulas.add((r, c))
                vals.append(v)
                continue
            v, pct = read_cell(v, cell.number_format, v if cell.data_type == "e" else None)
            if pct:
                percent.add((r, c))
            vals.append(v)
        block.append(vals)
    return block, percent, formulas


def _resolve_formulas(path, sheet_name, block, formulas, percent, data=None):
    """Replace formulas in input cells by their cached results (the values Excel last computed)."""
    if not formulas:
        return block
    wb = open_workbook(path, data_only=True, data=data)
    ws = wb[sheet_name]
    out = [list(r) for r in block]
    for r, c in formulas:
        cell = ws.cell(r, c)
        v = cell.value
        if v is None:
            out[r - 1][c - 1] = _NoCachedValue(block[r - 1][c - 1])
            continue
        v, pct = read_cell(v, cell.number_format, v if cell.data_type == "e" else None)
        if pct:
            percent.add((r, c))
        out[r - 1][c - 1] = v
    return out


class _NoCachedValue(str):
    """A formula whose result was never saved: read as an Excel-error-like entry."""


def set_highlights(ws, rules):
    """Replace the tool's highlight rules (conditional formatting) by ``rules``; the clerk's rules are kept.

    Conditional formatting sits on top of the clerk's own formatting, so the cell's look is never changed.
    """
    cf = ws.conditional_formatting
    keep = [(rng, rs) for rng, rs in cf._cf_rules.items() if not any(_is_ours(r) for r in rs)]
    cf._cf_rules.clear()
    for rng, rs in keep:
        cf._cf_rules[rng] = rs
    for severity, sqref, formula in rules:
        bg, fg = HIGHLIGHT_COLOURS[severity]
        cf.add(sqref, FormulaRule(formula=[f"AND({HIGHLIGHT_MARK},{formula})"], stopIfTrue=severity == ERROR,
                                  fill=PatternFill("solid", start_color=bg, end_color=bg, bgColor=bg),
                                  font=Font(color=fg)))


def _is_ours(rule) -> bool:
    return any(HIGHLIGHT_MARK in (f or "") for f in (rule.formula or []))


def put(cell, value) -> None:
    """Write one generated cell by the one writing policy (``core.render.written``): text is stored as text
    (openpyxl would make a formula of a leading =), with Excel's quote prefix where typing it would not."""
    v, quote = written(value)
    cell.value = v
    if isinstance(v, str):
        cell.data_type = "s"
        if quote:
            cell.quotePrefix = True


def render_plan(wb, plan: SheetPlan, after: str | None = None):
    """Replace (or create) the sheet ``plan.name`` with the plan, at the same position it had."""
    index = None
    if plan.name in wb.sheetnames:
        index = wb.sheetnames.index(plan.name)
        del wb[plan.name]
    elif after and after in wb.sheetnames:
        index = wb.sheetnames.index(after) + 1
    ws = wb.create_sheet(plan.name, index)
    for r, row in enumerate(plan.rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                put(ws.cell(r, c), v)
    width = max(plan.width, 1)
    layered: dict[tuple, object] = {}  # (style before, plan style) → style after: built once, then copied
    for name, r1, c1, r2, c2 in plan.styles:
        st = STYLES[name]
        for r in range(r1, r2 + 1):
            for c in range(c1, min(c2, width) + 1):
                cell = ws.cell(r, c)
                key = (None if cell._style is None else tuple(cell._style), name)
                if key not in layered:
                    _merge_style(cell, st)
                    layered[key] = copy(cell._style)
                else:
                    cell._style = copy(layered[key])
    for fmt, r1, c1, r2, c2 in plan.number_formats:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                ws.cell(r, c).number_format = fmt
    for colour, cells in plan.fills.items():
        for r, c in cells:
            ws.cell(r, c).fill = S.fill(colour)
    for r1, c1, r2, c2 in plan.merges:
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    for c, w in plan.widths.items():
        ws.column_dimensions[get_column_letter(c)].width = w
    for r, h in plan.heights.items():
        ws.row_dimensions[r].height = h
    for r, c, sheet, cell in plan.links:
        ws.cell(r, c).hyperlink = f"#'{sheet}'!{cell}"
    if plan.print_title_rows:
        ws.print_title_rows = f"{plan.print_title_rows[0]}:{plan.print_title_rows[1]}"
    if plan.freeze:
        ws.freeze_panes = ws.cell(*plan.freeze)
    if plan.print_columns:
        ws.print_area = f"A1:{get_column_letter(plan.print_columns)}{max(len(plan.rows), 1)}"
    S.print_on_a4(ws, landscape=plan.landscape)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "&P / &N"
    ws.sheet_view.showGridLines = False
    return ws


def _merge_style(cell, st: dict):
    """Layer a style on the cell (later styles in the plan refine earlier ones)."""
    f = cell.font
    cell.font = Font(name=S.FONT_NAME, size=st.get("size", f.sz or 10), bold=st.get("bold", f.b),
                     color=st.get("color", f.color), italic=f.i)
    if st.get("fill"):
        cell.fill = S.fill(st["fill"])
    if st.get("border", True):
        cell.border = S.BORDER
    al = cell.alignment
    cell.alignment = Alignment(horizontal=st.get("align", al.horizontal), vertical="center",
                               wrap_text=st.get("wrap", al.wrap_text))


class FileBook:
    """The ``Book`` interface over an openpyxl workbook loaded from a file."""

    def __init__(self, path, data_only: bool = False, data: bytes | None = None):
        self.path = Path(path)
        self.data = data
        self.wb = open_workbook(self.path, data_only=data_only, data=data)
        self.data_only = data_only

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def read_block(self, sheet):
        block, percent, formulas = sheet_block(self.wb[sheet])
        if formulas and not self.data_only:
            block = _resolve_formulas(self.path, sheet, block, formulas, percent, self.data)
        return block, percent

    def write_columns(self, sheet, first_row, columns, headers, header_row, formats):
        ws = self.wb[sheet]
        for c, text in headers.items():
            h = ws.cell(header_row, c)
            put(h, text)
            h.font = S.font(bold=True)
            h.fill = S.fill("BFBFBF")
        for c, values in columns.items():
            for i, v in enumerate(values):
                cell = ws.cell(first_row + i, c)
                if cell.value != v:
                    put(cell, v)
                if c in formats and cell.number_format != formats[c]:
                    cell.number_format = formats[c]

    def replace_sheet(self, plan, after=None):
        render_plan(self.wb, plan, after)

    def set_highlights(self, sheet, cells_by_severity):
        set_highlights(self.wb[sheet], cells_by_severity)

    def hidden_rows(self, sheet):
        return {r for r, d in self.wb[sheet].row_dimensions.items() if d.hidden}

    def defined_names(self) -> dict[str, str]:
        return {name: dn.attr_text for name, dn in self.wb.defined_names.items() if dn.attr_text}

    def set_defined_names(self, names) -> None:
        set_defined_names(self.wb, names)


def set_defined_names(wb, names) -> None:
    """Hidden, workbook-scoped defined names (the tool's ownership markers); None deletes a name.  Names are
    compared without case, as Excel does."""
    from openpyxl.workbook.defined_name import DefinedName
    for name, ref in names.items():
        for old in [n for n in wb.defined_names if n.lower() == name.lower()]:
            del wb.defined_names[old]
        if ref is not None:
            wb.defined_names[name] = DefinedName(name, attr_text=ref, hidden=True)
