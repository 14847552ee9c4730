"""Saving a clerk's workbook without loss.

Two things live here:
- ``losses``/``check_safe``: what an openpyxl round trip would drop (kept for the openpyxl save path);
- ``SaveTransaction``: the one way the tool replaces a workbook file.  It reads the file's bytes once at the
  start, and ``commit(new_bytes)`` replaces them only if nobody else touched the file meanwhile, with a backup
  kept first, the file's identity (permissions, owner, symlink, hard links) kept, and no broken or half-written
  file whatever happens (disk full, the process killed at any point).
"""
from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import re
import socket
import stat
import time
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


# --- the save transaction -------------------------------------------------------------------------------------

BACKUP_DIR = "KPIバックアップ"     # beside the workbook: KPIバックアップ/<file name>/
ORIGINAL_TAG = "元のファイル"      # <stem>_元のファイル_<time><suffix>: before the tool first wrote; never replaced
KEEP_VERSIONS = 5                 # later versions kept (the oldest beyond this are removed)
LOCK_WAIT_SECONDS = 5.0           # a second run on the same file waits this long for the first, then refuses
LOCK_MAX_AGE_SECONDS = 3600       # a lock older than this (or whose process is gone) is stale
_LOCK_SUFFIX = ".kpi-lock"        # .<name>.kpi-lock beside the workbook
_TMP_TAG = ".kpi-tmp-"            # .<name>.kpi-tmp-<pid>-<n> beside the workbook or in the backup folder
_NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable; best effort (the rename itself has happened either way)."""
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals the rename
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":   # os.kill(pid, 0) would terminate the process on Windows
        return _pid_alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else (or cannot tell: assume alive)
    return True


def _pid_alive_windows(pid: int) -> bool:
    import ctypes
    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(0x1000, False, pid)   # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.GetLastError() == 5                 # access denied: it exists
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259                          # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def owner_files(path: Path) -> list[Path]:
    """Files that say another program has the workbook open: Excel's owner file ``~$NAME`` (Excel drops the
    first two characters of long names) and LibreOffice's ``.~lock.NAME#``."""
    names = {"~$" + path.name, "~$" + path.name[2:], ".~lock." + path.name + "#"}
    return [path.with_name(n) for n in sorted(names) if path.with_name(n).exists()]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SaveTransaction:
    """Read a workbook file once, then replace it safely::

        with SaveTransaction(path) as tx:
            new = patch(tx.original_bytes)
            backup = tx.commit(new)

    On entering: refuses (WorkbookError) when Excel or LibreOffice has the file open (owner file), when the file
    or its folder is read-only, or when another run holds the lock for longer than ``LOCK_WAIT_SECONDS``;
    cleans up what a killed run left (temporary files, a stale lock, an interrupted in-place write); reads the
    bytes.  ``commit`` refuses when the file changed since (size, mtime, SHA-256), keeps the backup, then
    replaces the file.  The lock is released on leaving, whatever happened.
    """

    def __init__(self, path, keep: int | None = None, wait: float | None = None):
        self.named = Path(path)
        self.keep = KEEP_VERSIONS if keep is None else keep
        self.wait = LOCK_WAIT_SECONDS if wait is None else wait
        self.target = Path(os.path.realpath(self.named))   # write through a symlink: the link stays a link
        self.lock_path = self.target.with_name("." + self.target.name + _LOCK_SUFFIX)
        self.backup_dir = self.target.parent / BACKUP_DIR / self.target.name
        self._locked = False
        self._temps: list[Path] = []
        self.original_bytes: bytes = b""
        self._stat = None
        self._hash = ""

    # -- entering --------------------------------------------------------------------------------------------
    def __enter__(self) -> "SaveTransaction":
        from .guard import check_file
        check_file(self.named)
        self._refuse_if_open_elsewhere()
        self._refuse_if_read_only()
        self._acquire_lock()
        try:
            self._clean_leftovers()
            self.original_bytes, self._stat = self._read()
            self._hash = _digest(self.original_bytes)
        except BaseException:
            self._release_lock()
            raise
        return self

    def __exit__(self, *exc) -> bool:
        for t in self._temps:
            _unlink_quietly(t)
        self._release_lock()
        return False

    def _refuse_if_open_elsewhere(self) -> None:
        found = owner_files(self.target) + (owner_files(self.named) if self.named.parent != self.target.parent
                                            or self.named.name != self.target.name else [])
        if found:
            raise WorkbookError(
                f"「{self.named.name}」は Excel などで開かれているため、書き込みを中止しました（ファイルは変更していません）。"
                f"ブックを閉じてから実行してください（開いている印: 「{found[0].name}」）。"
                "だれも開いていないのにこの表示が出る場合は、Excel が異常終了して残ったファイルです。"
                f"「{found[0].name}」を削除してから実行してください。")

    def _refuse_if_read_only(self) -> None:
        st = self.target.stat()
        if not st.st_mode & 0o222 or not os.access(self.target, os.W_OK):
            raise WorkbookError(
                f"「{self.named.name}」は読み取り専用のため、書き込みを中止しました（ファイルは変更していません）。"
                "ファイルのプロパティで「読み取り専用」を外すか、書き込める場所にコピーしてから実行してください。")
        folder = self.target.parent
        fst = folder.stat()
        if not fst.st_mode & 0o222 or not os.access(folder, os.W_OK | os.X_OK):
            raise WorkbookError(
                f"「{self.named.name}」のあるフォルダー「{folder}」に書き込めないため、中止しました（ファイルは変更していません）。"
                "保存とバックアップにはフォルダーへの書き込みが必要です。書き込めるフォルダーにコピーしてから実行してください。")

    # -- the lock --------------------------------------------------------------------------------------------
    def _lock_record(self, **extra) -> bytes:
        rec = {"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()}
        rec.update(extra)
        return json.dumps(rec, ensure_ascii=False).encode("utf-8")

    def _acquire_lock(self) -> None:
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self._read_lock()
                if self._is_stale(holder):
                    self._recover(holder)
                    _unlink_quietly(self.lock_path)
                    continue
                if time.monotonic() >= deadline:
                    who = f"（プロセス {holder.get('pid')}、{holder.get('host')}）" if holder else ""
                    raise WorkbookError(
                        f"「{self.named.name}」は別の kpi の処理{who}が更新中のため、中止しました（ファイルは変更していません）。"
                        "その処理が終わってから、もう一度実行してください。")
                time.sleep(0.1)
                continue
            except OSError as e:
                raise _os_error(e, self.named) from e
            try:
                try:
                    _write_all(fd, self._lock_record())
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as e:
                _unlink_quietly(self.lock_path)
                raise _os_error(e, self.named) from e
            self._locked = True
            return

    def _read_lock(self) -> dict:
        try:
            return json.loads(self.lock_path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return {"gone": True}
        except (OSError, ValueError):
            return {}   # written halfway by a killed run: stale unless it is very recent

    def _is_stale(self, holder: dict) -> bool:
        if holder.get("gone"):
            return True
        if not holder:
            try:
                age = time.time() - self.lock_path.stat().st_mtime
            except FileNotFoundError:
                return True
            return age > 2.0
        if time.time() - float(holder.get("time", 0)) > LOCK_MAX_AGE_SECONDS:
            return True
        return holder.get("host") == socket.gethostname() and not _pid_alive(int(holder.get("pid", 0)))

    def _release_lock(self) -> None:
        if self._locked:
            _unlink_quietly(self.lock_path)
            self._locked = False

    def _recover(self, holder: dict) -> None:
        """A run killed while writing into a hard-linked file's inode left its journal in the lock: put the
        workbook back to the old content unless the new content was written completely."""
        journal = holder.get("in_place")
        if not journal:
            return
        data = self.target.read_bytes() if self.target.exists() else b""
        if _digest(data) in (journal["old"], journal["new"]):
            return
        backup = Path(journal["backup"])
        old = backup.read_bytes()
        if _digest(old) == journal["old"]:
            self._write_in_place(old)

    def _clean_leftovers(self) -> None:
        """Temporary files of killed runs (their process is gone) beside the workbook and in the backup folder."""
        for folder in (self.target.parent, self.backup_dir):
            if not folder.is_dir():
                continue
            for t in folder.glob("." + "*" + _TMP_TAG + "*"):
                m = re.search(re.escape(_TMP_TAG) + r"(\d+)-", t.name)
                if m and not _pid_alive(int(m.group(1))):
                    _unlink_quietly(t)

    # -- reading ---------------------------------------------------------------------------------------------
    def _read(self) -> tuple[bytes, os.stat_result]:
        try:
            with open(self.target, "rb") as f:
                st = os.fstat(f.fileno())
                return f.read(), st
        except OSError as e:
            raise _os_error(e, self.named) from e

    def _changed(self) -> bool:
        try:
            st = self.target.stat()
        except FileNotFoundError:
            return True
        if (st.st_size, st.st_mtime_ns) != (self._stat.st_size, self._stat.st_mtime_ns):
            return True
        return _digest(self.target.read_bytes()) != self._hash

    # -- committing ------------------------------------------------------------------------------------------
    def commit(self, new_bytes: bytes, verify=None) -> Path:
        """Replace the workbook by ``new_bytes``; returns the backup that holds the file as it was before.

        ``verify(temp_path)`` may raise to abort (the new content is then discarded, nothing is changed).
        """
        if not self._locked:
            raise RuntimeError("commit outside the transaction")
        tmp = None
        made_backup = None
        new_dirs = [d for d in (self.backup_dir, self.backup_dir.parent) if not d.exists()]
        try:
            tmp = self._temp_beside(self.target.parent, new_bytes, self._stat)
            if verify is not None:
                verify(tmp)
            self._refuse_if_open_elsewhere()
            if self._changed():
                raise WorkbookError(
                    f"「{self.named.name}」は処理の途中で別のプログラム（Excel など）によって変更されたため、"
                    "上書きせずに中止しました（変更はそのまま残っています）。もう一度実行してください。")
            backup, made_backup = self._keep_backup()
            if self._stat.st_nlink > 1:
                # other names (hard links) share this file: write into the same file so they all see the new
                # content; the backup is already on disk, and the lock carries a journal for recovery
                self._journal(backup, new_bytes)
                try:
                    self._write_in_place(new_bytes)
                except OSError:
                    self._write_in_place(self.original_bytes)   # e.g. disk full halfway: put the old back
                    raise
            else:
                os.replace(tmp, self.target)
                tmp = None
                made_backup = None
                _fsync_dir(self.target.parent)
            made_backup = new_dirs = None
            self._prune()
            return backup
        except OSError as e:
            raise _os_error(e, self.named) from e
        finally:
            if tmp is not None:
                _unlink_quietly(tmp)
            if made_backup is not None:   # the file was not replaced: this run's backup would only mislead
                _unlink_quietly(made_backup)
            for d in new_dirs or ():      # folders this run made and left empty
                try:
                    d.rmdir()
                except OSError:
                    pass

    def _temp_beside(self, folder: Path, data: bytes, like: os.stat_result, mtime_ns: int | None = None) -> Path:
        """A complete, flushed copy of ``data`` in ``folder`` with the file's permissions and owner."""
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
        for n in range(1000):
            tmp = folder / f".{self.target.name}{_TMP_TAG}{os.getpid()}-{n}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
            except FileExistsError:
                continue
            break
        else:
            raise WorkbookError(f"フォルダー「{folder}」に一時ファイルを作れません。")
        self._temps.append(tmp)
        try:
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        os.chmod(tmp, stat.S_IMODE(like.st_mode))
        if hasattr(os, "chown"):
            try:
                os.chown(tmp, like.st_uid, like.st_gid)
            except OSError:
                pass  # only the owner's own group is possible for an ordinary user; the mode is kept anyway
        if mtime_ns is not None:
            os.utime(tmp, ns=(like.st_atime_ns, mtime_ns))
        return tmp

    def _keep_backup(self) -> tuple[Path, Path | None]:
        """The file as it is now, kept before it is replaced.  The first backup of a workbook (before the tool
        ever wrote to it) is never replaced; later ones are timestamped versions.  Returns (backup, the file
        made by this run)."""
        stem, suffix = self.target.stem, self.target.suffix
        stamp = _dt.datetime.fromtimestamp(time.time()).strftime("%Y%m%d-%H%M%S")
        original = self.original_backup()
        base = f"{stem}_{ORIGINAL_TAG}_{stamp}" if original is None else f"{stem}_{stamp}"
        tmp = self._temp_beside(self.backup_dir, self.original_bytes, self._stat, mtime_ns=self._stat.st_mtime_ns)
        taken = [_version_key(p)[1] for p in self.backup_dir.glob(glob_escape(base) + "*")]
        for n in range(max(taken, default=0) + 1, 1000):   # after any same-second backup, so names sort by age
            dest = self.backup_dir / (base + ("" if n == 1 else f"_{n}") + suffix)
            try:
                os.link(tmp, dest)            # never replaces an existing backup
            except FileExistsError:
                continue
            except OSError:                   # a file system without hard links: check, then rename
                if dest.exists():
                    continue
                os.replace(tmp, dest)
            _unlink_quietly(tmp)
            _fsync_dir(self.backup_dir)
            return dest, dest
        raise WorkbookError(f"バックアップのフォルダー「{self.backup_dir}」に書き込めません。")

    def original_backup(self) -> Path | None:
        found = sorted(self.backup_dir.glob(f"{glob_escape(self.target.stem)}_{ORIGINAL_TAG}_*"))
        return found[0] if found else None

    def versions(self) -> list[Path]:
        """The timestamped backups (not the original), oldest first."""
        orig = self.original_backup()
        pat = re.compile(re.escape(self.target.stem) + r"_\d{8}-\d{6}(?:_\d+)?" + re.escape(self.target.suffix) + "$")
        found = [p for p in self.backup_dir.glob("*") if pat.match(p.name) and p != orig]
        return sorted(found, key=_version_key)

    def _prune(self) -> None:
        for old in self.versions()[:-self.keep] if self.keep > 0 else self.versions():
            _unlink_quietly(old)

    def _journal(self, backup: Path, new_bytes: bytes) -> None:
        rec = self._lock_record(in_place={"backup": str(backup), "old": self._hash, "new": _digest(new_bytes)})
        tmp = self.target.with_name(f".{self.target.name}{_TMP_TAG}{os.getpid()}-journal")
        self._temps.append(tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            try:
                _write_all(fd, rec)
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        os.replace(tmp, self.lock_path)

    def _write_in_place(self, data: bytes) -> None:
        fd = os.open(self.target, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        try:
            _write_all(fd, data)
            os.ftruncate(fd, len(data))
            os.fsync(fd)
        finally:
            os.close(fd)


def _version_key(p: Path):
    m = re.search(r"_(\d{8}-\d{6})(?:_(\d+))?\.[^.]*$", p.name)
    return (m.group(1), int(m.group(2) or 1)) if m else ("", 0)


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _unlink_quietly(p: Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def _os_error(e: OSError, path: Path) -> WorkbookError:
    """A file-system failure as the clerk should read it."""
    if isinstance(e, WorkbookError):
        return e
    if e.errno in _NO_SPACE:
        return WorkbookError(f"ディスクの空き容量が足りないため、「{path.name}」を保存できませんでした"
                             "（元のファイルは変更していません。途中のファイルは削除しました）。空き容量を増やしてから実行してください。")
    if isinstance(e, PermissionError):
        return WorkbookError(f"「{path.name}」に書き込めません（アクセスが拒否されました）。"
                             "Excel で開いている場合は閉じ、読み取り専用でないか確認してから実行してください。")
    return WorkbookError(f"「{path.name}」を保存できませんでした（{e.strerror or type(e).__name__}）。"
                         "元のファイルは変更していません。")


def save_bytes(path, original_bytes: bytes, new_bytes: bytes) -> Path:
    """Replace ``path`` by ``new_bytes`` if it still holds ``original_bytes``; returns the backup's path.
    A thin wrapper for callers that read the file themselves; prefer ``SaveTransaction`` around the whole run."""
    with SaveTransaction(path) as tx:
        if _digest(tx.original_bytes) != _digest(original_bytes):
            raise WorkbookError(
                f"「{Path(path).name}」は処理の途中で別のプログラム（Excel など）によって変更されたため、"
                "上書きせずに中止しました（変更はそのまま残っています）。もう一度実行してください。")
        return tx.commit(new_bytes)


def atomic_save(wb, path: Path, verify=None, tx: SaveTransaction | None = None) -> Path:
    """Save an openpyxl workbook over ``path`` through the save transaction (``tx`` when the caller opened one
    before reading, so that an edit made meanwhile is detected).  ``verify(tmp_path)`` may raise to abort.
    Returns the backup's path."""
    import io
    buf = io.BytesIO()
    try:
        wb.save(buf)    # openpyxl writes each sheet to a temporary file first: the disk may be full there too
    except OSError as e:
        raise _os_error(e, Path(path)) from e
    if tx is not None:
        return tx.commit(buf.getvalue(), verify=verify)
    with SaveTransaction(path) as own:
        return own.commit(buf.getvalue(), verify=verify)
