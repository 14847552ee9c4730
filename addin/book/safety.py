"""Saving a clerk's workbook without loss: detect what openpyxl would drop, save atomically with a backup.

openpyxl rewrites the whole file; parts it does not understand are not written back.  Before writing we look
at the package (zip) and refuse when any such part is present, naming each in Japanese.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from ..errors import UnsafeWorkbookError, WorkbookError

# worksheet / workbook extensions (extLst ext uri) that openpyxl drops, with what the clerk would lose
EXT_URIS = {
    "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}": "スパークライン",
    "{78C0D931-6437-407d-A8EE-F0AAD7539E65}": "条件付き書式（データバー等の拡張）",
    "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}": "データの入力規則（他シート参照の拡張）",
    "{A8765BA9-456A-4dab-B4F3-ACF838C121DE}": "スライサー",
    "{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}": "スライサー",
    "{7E03D99C-DC04-49d9-9315-930204A7B6E9}": "タイムライン",
    "{D0CA8CA8-78FA-4b2d-A1C6-3C5F4D7B0A53}": "タイムライン",
    "{876F7934-8845-4945-9796-88D515C7AA90}": "ピボットテーブルの拡張",
    "{BBE1A952-AA13-448e-AADC-164F8A28A991}": "データモデル",
}

PART_RULES = [
    (re.compile(r"^xl/charts/chart\d+\.xml$"), "グラフ"),
    (re.compile(r"^xl/threadedComments/"), "スレッド形式のコメント"),
    (re.compile(r"^xl/vbaProject\.bin$"), "マクロ（VBA）"),
    (re.compile(r"^xl/slicers/"), "スライサー"),
    (re.compile(r"^xl/timelines/"), "タイムライン"),
    (re.compile(r"^xl/activeX/"), "ActiveXコントロール"),
    (re.compile(r"^xl/ctrlProps/"), "フォームコントロール"),
    (re.compile(r"^xl/embeddings/"), "埋め込みオブジェクト"),
    (re.compile(r"^xl/model/"), "データモデル"),
    (re.compile(r"^xl/queryTables/"), "クエリ（外部データ）"),
    (re.compile(r"^xl/connections\.xml$"), "外部データ接続"),
    (re.compile(r"^customXml/"), "カスタムXML"),
    (re.compile(r"^xl/webextensions/"), "Officeアドイン（作業ウィンドウ）"),
]


def _sheet_names(z: zipfile.ZipFile) -> dict[str, str]:
    """worksheet part path → sheet name."""
    try:
        wb = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', wb):
        t = targets.get(rid, "")
        t = t.lstrip("/")
        out[t if t.startswith("xl/") else "xl/" + t] = name
    return out


def losses(path: Path) -> list[str]:
    """What saving this workbook with openpyxl would lose, in Japanese; empty when saving is safe."""
    found: list[str] = []
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            sheets = _sheet_names(z)
            for n in names:
                for rx, what in PART_RULES:
                    if rx.match(n):
                        found.append(what)
            if str(path).lower().endswith((".xlsm", ".xltm")) and "xl/vbaProject.bin" in names:
                found.remove("マクロ（VBA）")  # kept with keep_vba for macro-enabled files
            for n in names:
                if re.match(r"^xl/drawings/drawing\d+\.xml$", n):
                    xml = z.read(n).decode("utf-8", "replace")
                    if re.search(r"<(?:\w+:)?sp[ >]", xml) or re.search(r"<(?:\w+:)?cxnSp[ >]", xml) \
                            or re.search(r"<(?:\w+:)?grpSp[ >]", xml):
                        found.append("図形・テキストボックス")
                    if re.search(r"<(?:\w+:)?pic[ >]", xml) and not _pillow():
                        found.append("画像")
            for n in names:
                if n.startswith("xl/worksheets/sheet") and n.endswith(".xml") or n == "xl/workbook.xml":
                    xml = z.read(n).decode("utf-8", "replace")
                    for uri in re.findall(r'<(?:\w+:)?ext [^>]*uri="([^"]+)"', xml):
                        what = EXT_URIS.get(uri)
                        if what:
                            where = sheets.get(n)
                            found.append(f"{what}（シート「{where}」）" if where else what)
    except zipfile.BadZipFile as e:
        raise WorkbookError(f"「{path}」はExcelブック（.xlsx）として読み込めません。ファイルが壊れていないか確認してください。") from e
    except FileNotFoundError as e:
        raise WorkbookError(f"ファイル「{path}」が見つかりません。") from e
    return sorted(set(found), key=found.index)


def _pillow() -> bool:
    try:
        import PIL  # noqa: F401
        return True
    except ImportError:
        return False


def check_safe(path: Path):
    """Raise UnsafeWorkbookError (nothing written) when saving would lose something."""
    lost = losses(path)
    if lost:
        raise UnsafeWorkbookError(path, lost)


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


def atomic_save(wb, path: Path, verify=None) -> Path:
    """Save ``wb`` over ``path``: write a temporary file beside it, check it, keep the old file as a backup,
    then move the new file into place in one step.  ``verify(tmp_path)`` may raise to abort.

    Returns the backup's path.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix="." + path.stem + ".", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        wb.save(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        if verify is not None:
            verify(tmp)
        bak = backup_path(path)
        if path.exists():
            shutil.copy2(path, bak)
        os.replace(tmp, path)
        return bak
    except PermissionError as e:
        raise WorkbookError(f"「{path}」に書き込めません。Excelで開いている場合は閉じてから実行してください。") from e
    finally:
        if tmp.exists():
            tmp.unlink()
