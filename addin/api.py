"""The library's file operations (what the CLI calls): validate, evaluate, recalc a workbook file."""
from __future__ import annotations

from pathlib import Path

from .book import safety
from .book.package import PackageBook, read_package
from .config import resolve_scheme
from .core import layout
from .core.evaluate import Evaluation
from .errors import WorkbookError
from . import ops
from .ops import Loaded


def evaluate_file(path, scheme: str | None = None) -> Evaluation:
    """Read-only: evaluate every KPI of the workbook file.  The file is never written."""
    book = PackageBook(read_package(path), Path(path).name)
    return ops.validate(book, lambda s: resolve_scheme(s, scheme, Path(path).parent), write=False).evaluation


validate_file = evaluate_file  # validation is the evaluation's findings; kept as a name the CLI reads well


def recalc_file(path, scheme: str | None = None) -> tuple[Loaded, Path]:
    """Validate, compute and write the computed columns, 【KPI達成状況】 and 検証結果 back into the file.

    The file is read once; the new file is the original package patched (every part and cell the tool does not
    own is kept as it was), checked by reading the clerk's cells back, and saved through ``safety.save_bytes``
    with a backup.  Returns what was evaluated and the backup's path.
    """
    path = Path(path)
    with safety.SaveTransaction(path) as tx:   # lock, owner-file and read-only checks; the bytes read once
        return _recalc_in(tx, path, scheme)


def _recalc_in(tx, path: Path, scheme) -> tuple[Loaded, Path]:
    original = tx.original_bytes
    book = PackageBook(original, path.name)   # guard.open_package refuses hostile files before parsing
    loaded = ops.recalc(book, lambda s: resolve_scheme(s, scheme, path.parent))
    new = book.to_bytes()
    _verify(book, new, loaded)
    return loaded, tx.commit(new)


def _verify(book: PackageBook, new: bytes, loaded: Loaded) -> None:
    """Every sheet the clerk owns reads back the same from the new package (the tool's own cells excepted)."""
    after = PackageBook(new, book.label)
    owned_cols = set(loaded.written.get("columns", {}).values())
    owned_sheets = set(loaded.written.get("sheets", {}).values())
    header_row = loaded.geometry.get("header_row")
    for sheet in book.sheet_names():
        if sheet in owned_sheets:
            continue
        if sheet not in after.sheet_names():
            raise WorkbookError(f"保存の確認で、シート「{sheet}」が見つかりません。書き込みを中止しました（元のファイルは変更していません）。")
        s_old = book._sheet(sheet)
        if s_old.part is None or sheet != layout.SHEET_KPI:
            continue  # copied byte for byte
        old_block, new_block = book.read_block(sheet)[0], after.read_block(sheet)[0]
        for r in range(1, max(len(old_block), len(new_block)) + 1):
            old_row = old_block[r - 1] if r <= len(old_block) else []
            new_row = new_block[r - 1] if r <= len(new_block) else []
            for c in range(1, max(len(old_row), len(new_row)) + 1):
                v = old_row[c - 1] if c <= len(old_row) else None
                if c in owned_cols or (r == header_row and v is None):
                    continue
                nv = new_row[c - 1] if c <= len(new_row) else None
                if nv != v:
                    raise WorkbookError(
                        f"保存の確認で、シート「{sheet}」のセルの内容が変わることがわかったため、書き込みを中止しました"
                        f"（行{r} 列{c}）。元のファイルは変更していません。")


def export_file(path, out_dir, formats=None, scheme: str | None = None):
    """The public report of a workbook file (read-only) into ``out_dir``: (evaluation, {format: path})."""
    from .export import default_basename
    path = Path(path)
    book = PackageBook(read_package(path), path.name)
    loaded, written = ops.export(book, out_dir, formats, lambda ev: default_basename(ev, path),
                                 lambda s: resolve_scheme(s, scheme, path.parent))
    return loaded.evaluation, written
