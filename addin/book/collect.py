"""openpyxl side of collecting the figures: write a department's workbook, read a returned one, and write the
accepted answers into the master file.

``write_answers`` is the ONE place where the merge writes the master file.  Today it loads the workbook with
openpyxl and saves through ``safety.atomic_save`` (refusing workbooks openpyxl would damage, verifying that
every other cell reads back unchanged); switching to the package patcher means changing this function only.
"""
from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from ..core import collect as C
from ..core import layout
from ..core.findings import Finding
from ..core.render import row_height
from ..errors import WorkbookError
from . import safety
from . import styles as S
from .files import FileBook, open_workbook, render_plan, sheet_block

CHUNK = 30000   # characters per identity cell (Excel's limit is 32,767)


# ---------------------------------------------------------------------------------------------- split
def write_department_file(df: C.DepartmentFile, path: Path) -> Path:
    """The department's plain .xlsx: 記入方法, the tables (inputs yellow and unlocked, everything else locked,
    sheet protection without a password), 設定, and the very hidden identity sheet."""
    wb = Workbook()
    wb.properties.creator = ""
    wb.properties.lastModifiedBy = ""
    wb.properties.title = f"照会 {df.department}"
    _instructions(wb.active, df)
    for t in df.tables:
        _table_sheet(wb.create_sheet(t["sheet"]), t, df)
    _settings(wb.create_sheet(layout.SHEET_SETTINGS), df)
    ident = wb.create_sheet(C.SHEET_IDENTITY)
    text = json.dumps(df.identity, ensure_ascii=False, default=str)
    ident.cell(1, 1, C.FORMAT)
    for i in range(0, len(text), CHUNK):
        ident.cell(2 + i // CHUNK, 1, text[i:i + CHUNK]).data_type = "s"
    ident.sheet_state = "veryHidden"
    ident.protection.sheet = True
    wb.active = 0
    wb.save(path)
    return path


def _protect(ws):
    """Sheet protection WITHOUT a password: it guides (only the yellow cells take input) and never locks the
    clerk out; the merge does not trust it (every other cell is compared with what was sent)."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False   # False = allowed: widen columns, set row heights
    ws.protection.formatRows = False


def _instructions(ws, df: C.DepartmentFile):
    ws.title = C.SHEET_INSTRUCTIONS
    width = 76   # fits A4 portrait at 100%
    ws.column_dimensions["A"].width = width
    for r, (style, text) in enumerate(df.instructions, start=1):
        c = ws.cell(r, 1, text)
        c.font = S.font(bold=style in ("title", "heading"), size=14 if style == "title" else 10)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        if style == "input":
            c.fill = S.fill(C.INPUT_FILL)
        # rows sized for their wrapped text (not every spreadsheet program fits rows when opening a file)
        h = row_height(text, width * (10 / 14 if style == "title" else 1), 20 if style == "title" else 13.5)
        if h:
            ws.row_dimensions[r].height = h
    ws.sheet_view.showGridLines = False
    S.print_on_a4(ws)
    _protect(ws)


def _table_sheet(ws, t: dict, df: C.DepartmentFile):
    hr = t["header_row"]
    ws.cell(1, 1, f"{df.department}　{t['title']}").font = S.font(bold=True, size=14)
    ws.cell(2, 1, t["note"]).font = S.font(size=9)
    pct = t["percent"]
    for c, h in enumerate(t["headers"], start=1):
        cell = ws.cell(hr, c, h)
        cell.font = S.font(bold=True)
        cell.fill = S.fill(C.INPUT_FILL if c in t["inputs"] else "D9E1F2")
        cell.border = S.BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        col = layout.column_for_header(h)
        width = t.get("widths", {}).get(c) or (col.width if col else 10)
        ws.column_dimensions[get_column_letter(c)].width = width
    widths = {c: ws.column_dimensions[get_column_letter(c)].width for c in range(1, len(t["headers"]) + 1)}
    wrapped = {c for c, h in enumerate(t["headers"], start=1)
               if c in t["inputs"] or (layout.column_for_header(h) and layout.column_for_header(h).key == "name")}
    for i, values in enumerate(t["rows"]):
        r = hr + 1 + i
        for c, v in enumerate(values, start=1):
            cell = ws.cell(r, c, v)
            if isinstance(v, str) and v.startswith("="):
                cell.data_type = "s"   # text as sent, never a formula
            cell.border = S.BORDER
            cell.font = S.font()
            cell.alignment = Alignment(vertical="center", wrap_text=c in wrapped)
            if (r, c) in pct:
                cell.number_format = "0.0%"
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cell.number_format = "#,##0" if isinstance(v, int) else "#,##0.0#####"
            if c in t["inputs"]:
                cell.fill = S.fill(C.INPUT_FILL)
                cell.protection = S.UNLOCKED
            else:
                cell.protection = S.LOCKED
        # wrapped texts get the height they need (not every spreadsheet program fits rows when opening a file)
        heights = [row_height(str(values[c - 1]), widths[c]) for c in wrapped if values[c - 1] is not None]
        if any(heights):
            ws.row_dimensions[r].height = max(h for h in heights if h)
    ws.row_dimensions[hr].height = 30
    if t["rows"]:
        ws.freeze_panes = ws.cell(hr + 1, t.get("freeze_col", 1))
    S.print_on_a4(ws, landscape=True, title_row=hr)
    _protect(ws)


def _settings(ws, df: C.DepartmentFile):
    ws.cell(1, 1, "設定（照会元のKPI管理ブックのもの。変更しないでください）").font = S.font(bold=True)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 50
    for r, (label, value) in enumerate(df.settings_rows, start=3):
        ws.cell(r, 1, label).font = S.font(bold=True)
        ws.cell(r, 2, value).font = S.font()
    _protect(ws)


# ---------------------------------------------------------------------------------------------- merge
def read_reply(path: Path, validate) -> C.Reply:
    """A returned department file: its identity, the values of its tables, the number formats of its input cells
    and the validator's findings (``validate(FileBook)`` → findings, the same validator as kpi validate)."""
    path = Path(path)
    book = FileBook(path)
    wb = book.wb
    identity = None
    if C.SHEET_IDENTITY in wb.sheetnames:
        ws = wb[C.SHEET_IDENTITY]
        if ws.cell(1, 1).value == C.FORMAT:
            text = "".join(str(ws.cell(r, 1).value or "") for r in range(2, ws.max_row + 1))
            try:
                identity = json.loads(text)
                identity["format"] = C.FORMAT
            except ValueError:
                identity = None
    blocks, percent, formats = {}, {}, {}
    for t in (identity or {}).get("tables", []):
        if t["sheet"] in wb.sheetnames:
            blocks[t["sheet"]], percent[t["sheet"]] = book.read_block(t["sheet"])
            ws = wb[t["sheet"]]
            for r in t["rows"]:
                for c in t["inputs"]:
                    formats[(t["sheet"], r["row"], c)] = ws.cell(r["row"], c).number_format
    findings = validate(book) if identity else []
    return C.Reply(str(path), path.name, identity, blocks, percent, formats, findings)


def owned_sheet(wb, marker: str) -> str | None:
    """The sheet the tool marked as its own with the hidden defined name ``marker`` (→ '<sheet>'!$A$1)."""
    dn = wb.defined_names.get(marker)
    if dn is None:
        return None
    text = dn.attr_text or ""
    sheet = text.split("!")[0].strip("'").replace("''", "'")
    return sheet if sheet in wb.sheetnames else None


def mark_owned(wb, marker: str, sheet: str):
    ref = "'" + sheet.replace("'", "''") + "'!$A$1"
    if marker in wb.defined_names:
        del wb.defined_names[marker]
    wb.defined_names[marker] = DefinedName(marker, attr_text=ref, hidden=True)


def write_answers(path: Path, cells: dict[tuple[str, int, int], object],
                  formats: dict[tuple[str, int, int], str] | None = None, sheets=()) -> Path:
    """Write the accepted answers into the master file: ``cells`` (sheet, row, col) → value, the number format
    where the answer's meaning needs it (% or not), and the tool's own sheets (SheetPlans, each marked as ours).
    Nothing else changes: the save is atomic with a backup, and is refused for workbooks openpyxl would damage.

    Returns the backup's path.  The one function to switch when the master is written by the package patcher.
    """
    path = Path(path)
    safety.check_safe(path)
    wb = open_workbook(path)
    before = {ws.title: sheet_block(ws)[0] for ws in wb.worksheets}
    for (sheet, r, c), v in cells.items():
        cell = wb[sheet].cell(r, c)
        cell.value = v
        if isinstance(v, str) and v.startswith("="):
            cell.data_type = "s"   # an answer is text, never a formula
    for (sheet, r, c), fmt in (formats or {}).items():
        wb[sheet].cell(r, c).number_format = fmt
    owned = set()
    for plan, marker, after in sheets:
        render_plan(wb, plan, after=after)
        mark_owned(wb, marker, plan.name)
        owned.add(plan.name)

    def verify(tmp: Path):
        after_wb = open_workbook(tmp)
        for sheet, block in before.items():
            if sheet in owned:
                continue
            new = sheet_block(after_wb[sheet])[0] if sheet in after_wb.sheetnames else None
            if new is None:
                raise WorkbookError(f"保存の確認で、シート「{sheet}」が見つかりません。書き込みを中止しました（元のファイルは変更していません）。")
            for r in range(1, max(len(block), len(new)) + 1):
                old_row = block[r - 1] if r <= len(block) else []
                new_row = new[r - 1] if r <= len(new) else []
                for c in range(1, max(len(old_row), len(new_row)) + 1):
                    want = cells.get((sheet, r, c), old_row[c - 1] if c <= len(old_row) else None)
                    got = new_row[c - 1] if c <= len(new_row) else None
                    if want != got:
                        raise WorkbookError(
                            f"保存の確認で、シート「{sheet}」のセル（行{r} 列{c}）の内容が変わることがわかったため、"
                            "書き込みを中止しました。元のファイルは変更していません。")

    return safety.atomic_save(wb, path, verify=verify)


def located(f: Finding) -> dict:
    """A finding as JSON, with the file split from Excel's [file]sheet notation."""
    d = f.to_dict()
    if d["sheet"].startswith("["):
        file, _, sheet = d["sheet"][1:].partition("]")
        d.update(file=file, sheet=sheet)
    else:
        d["file"] = None
    return d
