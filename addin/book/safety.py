"""Saving a clerk's workbook: the one function through which the tool replaces the file.

The new bytes come from addin.book.package (the original package patched, nothing of the clerk's re-serialised),
so there is nothing left to refuse for fear of loss.  Writing is atomic: a temporary file beside the workbook,
flushed to disk, then moved into place in one step, the previous file kept as the backup.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import WorkbookError


def save_bytes(path, original_bytes: bytes, new_bytes: bytes) -> Path:
    """Replace the workbook file ``path`` (read as ``original_bytes``) by ``new_bytes``: write a temporary file
    beside it, flush it to disk, keep the old file as the backup, then move the new file into place in one step.

    The one function through which the tool writes a clerk's workbook.  Returns the backup's path.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix="." + path.stem + ".", suffix=path.suffix, dir=path.parent)
    tmp = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(new_bytes)
            f.flush()
            os.fsync(f.fileno())
        bak = backup_path(path)
        bak.write_bytes(original_bytes)
        os.replace(tmp, path)
        return bak
    except PermissionError as e:
        raise WorkbookError(f"「{path}」に書き込めません。Excelで開いている場合は閉じてから実行してください。") from e
    finally:
        if tmp.exists():
            tmp.unlink()


def backup_path(path: Path) -> Path:
    return path.with_name(path.stem + ".bak" + path.suffix)

