"""The library's file operations (what the CLI calls): validate, evaluate, recalc a workbook file."""
from __future__ import annotations

from pathlib import Path

from .book import safety
from .book.files import FileBook, open_workbook, sheet_block
from .config import resolve_scheme
from .core import layout
from .core.evaluate import Evaluation
from .errors import WorkbookError
from . import ops
from .ops import Loaded


def evaluate_file(path, scheme: str | None = None) -> Evaluation:
    """Read-only: evaluate every KPI of the workbook file.  The file is never written."""
    # formulas are read as formulas first, so that one whose result was never saved is reported, not read as blank;
    # their saved results are read only when an input cell holds a formula
    book = FileBook(path)
    return ops.validate(book, lambda s: resolve_scheme(s, scheme, Path(path).parent), write=False).evaluation


validate_file = evaluate_file  # validation is the evaluation's findings; kept as a name the CLI reads well


def recalc_file(path, scheme: str | None = None) -> tuple[Loaded, Path]:
    """Validate, compute and write the computed columns, 【KPI達成状況】 and 検証結果 back into the file.

    Refuses (UnsafeWorkbookError, nothing written) a workbook openpyxl cannot save without loss.  Saves
    atomically with a backup beside the file, after checking that every cell the clerk owns reads back
    unchanged from the new file.  Returns what was evaluated and the backup's path.
    """
    path = Path(path)
    with safety.SaveTransaction(path) as tx:   # lock, owner-file and read-only checks; the bytes read once
        return _recalc_in(tx, path, scheme)


def _recalc_in(tx, path: Path, scheme) -> tuple[Loaded, Path]:
    from .book import guard
    guard.open_package(tx.original_bytes, name=path).close()
    safety.check_safe(path)
    book = FileBook(path, data=tx.original_bytes)
    before = _snapshot(book.wb)
    loaded = ops.recalc(book, lambda s: resolve_scheme(s, scheme, path.parent))
    owned_cols = set(loaded.written.get("columns", {}).values())
    owned_sheets = set(loaded.written.get("sheets", {}).values())
    header_row = loaded.geometry.get("header_row")

    def verify(tmp: Path):
        after = _snapshot(open_workbook(tmp))
        for sheet, block in before.items():
            if sheet in owned_sheets:
                continue
            new = after.get(sheet)
            if new is None:
                raise WorkbookError(f"保存の確認で、シート「{sheet}」が見つかりません。書き込みを中止しました（元のファイルは変更していません）。")
            for r, row in enumerate(block, start=1):
                for c, v in enumerate(row, start=1):
                    if sheet == layout.SHEET_KPI and (c in owned_cols or (r == header_row and v is None)):
                        continue
                    nv = new[r - 1][c - 1] if r - 1 < len(new) and c - 1 < len(new[r - 1]) else None
                    if nv != v:
                        raise WorkbookError(
                            f"保存の確認で、シート「{sheet}」のセルの内容が変わることがわかったため、書き込みを中止しました"
                            f"（行{r} 列{c}）。元のファイルは変更していません。")

    backup = safety.atomic_save(book.wb, path, verify=verify, tx=tx)
    return loaded, backup


def _snapshot(wb) -> dict[str, list[list]]:
    """Every value of every sheet (the sheets the tool replaces are skipped when comparing)."""
    return {ws.title: sheet_block(ws)[0] for ws in wb.worksheets}


def export_file(path, out_dir, formats=None, scheme: str | None = None):
    """The public report of a workbook file (read-only) into ``out_dir``: (evaluation, {format: path})."""
    from .export import default_basename
    path = Path(path)
    book = FileBook(path)
    loaded, written = ops.export(book, out_dir, formats, lambda ev: default_basename(ev, path),
                                 lambda s: resolve_scheme(s, scheme, path.parent))
    return loaded.evaluation, written
