"""The save transaction, through `kpi recalc` (issue 10): backups that keep the original, refusal when Excel has
the file open, when it changed during the run, when it is read-only or locked by another run; the file's
identity (permissions, symlink, hard links); and faults: disk full and kill -9 at every file-system call.
"""
from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from addin.book import safety
from addin.book.safety import BACKUP_DIR, ORIGINAL_TAG, SaveTransaction
from addin.core import layout
from conftest import ROOT, SAMPLE

HARNESS = Path(__file__).parent / "fault_harness.py"
ENV = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + str(Path(__file__).parent))


def backup_folder(path: Path) -> Path:
    return path.parent / BACKUP_DIR / path.name


def original_backup(path: Path) -> Path | None:
    found = list(backup_folder(path).glob(f"{path.stem}_{ORIGINAL_TAG}_*{path.suffix}"))
    assert len(found) <= 1
    return found[0] if found else None


def leftovers(folder: Path) -> list[str]:
    """Temporary files and locks anywhere under the folder."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if ".kpi-tmp-" in p.name or p.name.endswith((".kpi-lock", ".kpi-lock.new")))


def is_recalculated(data: bytes) -> bool:
    return layout.SHEET_SUMMARY in load_workbook(io.BytesIO(data), read_only=True).sheetnames


# --- backups ------------------------------------------------------------------------------------------------

def test_first_run_keeps_the_original_and_names_the_exact_backup(run, sample_copy):
    before = sample_copy.read_bytes()
    r = run("recalc", sample_copy)
    assert r.exit_code == 0, r.stderr
    bak = original_backup(sample_copy)
    assert bak is not None and bak.read_bytes() == before
    assert f"「{bak}」" in r.output
    assert is_recalculated(sample_copy.read_bytes())
    assert leftovers(sample_copy.parent) == []


def test_later_runs_never_replace_the_original_and_keep_the_last_versions(run, sample_copy):
    before = sample_copy.read_bytes()
    assert run("recalc", sample_copy).exit_code == 0
    first_output = sample_copy.read_bytes()
    r = run("recalc", sample_copy)
    assert r.exit_code == 0
    assert original_backup(sample_copy).read_bytes() == before
    versions = [p for p in backup_folder(sample_copy).iterdir() if p != original_backup(sample_copy)]
    assert [p.read_bytes() for p in versions] == [first_output]
    assert f"「{versions[0]}」" in r.output
    # many more saves: the original stays, only the last KEEP_VERSIONS versions remain, each the file before a save
    contents = [f"version {i}".encode() for i in range(safety.KEEP_VERSIONS + 3)]
    expected = []
    for c in contents:
        with SaveTransaction(sample_copy) as tx:
            expected.append(tx.original_bytes)
            tx.commit(c)
    with SaveTransaction(sample_copy) as tx:
        kept = tx.versions()
    assert original_backup(sample_copy).read_bytes() == before
    assert [p.read_bytes() for p in kept] == expected[-safety.KEEP_VERSIONS:]
    assert sample_copy.read_bytes() == contents[-1]


# --- refusals: nothing written, nothing left behind ---------------------------------------------------------

def _owner_file(name):
    def make(path: Path):
        path.with_name(name).write_bytes(b"\x07clerk")
    return make


def _edit_during_run(monkeypatch, path: Path):
    """The clerk saves the workbook in Excel while the tool computes."""
    import addin.ops
    real = addin.ops._write

    def edit_then_write(book, loaded, op):
        wb = load_workbook(path)
        wb[layout.SHEET_KPI]["A1"] = "担当課が保存した変更"
        wb.save(path)
        return real(book, loaded, op)
    monkeypatch.setattr(addin.ops, "_write", edit_then_write)


@pytest.mark.parametrize("spoil, message", [
    (_owner_file("~$mine_r4.xlsx"), "開かれている"),          # Excel's owner file
    (_owner_file("~$ne_r4.xlsx"), "開かれている"),            # Excel's owner file of a long name
    (_owner_file(".~lock.mine_r4.xlsx#"), "開かれている"),    # LibreOffice's lock
    (lambda p: p.chmod(0o444), "読み取り専用"),
    (lambda p: p.parent.chmod(0o555), "フォルダー"),
    ("edit", "変更された"),
])
def test_refusals_leave_the_file_and_the_folder_as_they_were(run, sample_copy, monkeypatch, spoil, message):
    if spoil == "edit":
        _edit_during_run(monkeypatch, sample_copy)
    else:
        spoil(sample_copy)
    names = sorted(p.name for p in sample_copy.parent.iterdir())
    try:
        before = sample_copy.read_bytes()
        r = run("recalc", sample_copy)
        after = sample_copy.read_bytes()
    finally:
        sample_copy.parent.chmod(0o755)
        sample_copy.chmod(0o644)
    assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
    if spoil == "edit":
        assert load_workbook(io.BytesIO(after))[layout.SHEET_KPI]["A1"].value == "担当課が保存した変更"
        assert not is_recalculated(after)
    else:
        assert after == before
    assert sorted(p.name for p in sample_copy.parent.iterdir()) == names   # no lock, temp or backup left


def test_a_second_run_waits_for_the_lock_then_refuses(run, sample_copy, monkeypatch):
    monkeypatch.setattr(safety, "LOCK_WAIT_SECONDS", 0.3)
    lock = sample_copy.with_name("." + sample_copy.name + ".kpi-lock")
    lock.write_bytes(SaveTransaction(sample_copy)._lock_record())   # held by a live process (this one)
    before = sample_copy.read_bytes()
    r = run("recalc", sample_copy)
    assert r.exit_code == 2 and "更新中" in r.stderr
    assert sample_copy.read_bytes() == before and lock.exists()


def test_a_stale_lock_of_a_killed_run_is_taken_over(run, sample_copy):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = sample_copy.with_name("." + sample_copy.name + ".kpi-lock")
    lock.write_text('{"pid": %s, "host": "%s", "time": 0}' % (dead.stdout.strip(), os.uname().nodename))
    lock.write_text(lock.read_text().replace('"time": 0', '"time": %d' % int(os.path.getmtime(lock))))
    assert run("recalc", sample_copy).exit_code == 0
    assert leftovers(sample_copy.parent) == []


def test_two_concurrent_runs_serialise_and_keep_the_original(tmp_path):
    for i in range(3):
        path = tmp_path / f"run{i}" / "mine_r4.xlsx"
        path.parent.mkdir()
        shutil.copy(SAMPLE, path)
        procs = [subprocess.Popen([sys.executable, "-m", "addin", "recalc", str(path)], env=ENV,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
        assert [code for *_, code in results] == [0, 0], [err.decode() for _, err, _ in results]
        assert original_backup(path).read_bytes() == SAMPLE.read_bytes()
        versions = [p for p in backup_folder(path).iterdir() if p != original_backup(path)]
        assert len(versions) == 1 and is_recalculated(versions[0].read_bytes())   # the first run's output
        assert is_recalculated(path.read_bytes()) and leftovers(path.parent) == []


# --- the file's identity ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o640, 0o664, 0o600])
def test_permissions_are_kept(run, sample_copy, mode):
    sample_copy.chmod(mode)
    assert run("recalc", sample_copy).exit_code == 0
    assert stat.S_IMODE(sample_copy.stat().st_mode) == mode
    assert stat.S_IMODE(original_backup(sample_copy).stat().st_mode) == mode


def test_a_symlink_stays_a_link_and_its_target_is_written(run, tmp_path):
    real = tmp_path / "shared" / "mine_r4.xlsx"
    real.parent.mkdir()
    shutil.copy(SAMPLE, real)
    link = tmp_path / "kpi.xlsx"
    link.symlink_to(real)
    r = run("recalc", link)
    assert r.exit_code == 0, r.stderr
    assert link.is_symlink() and link.resolve() == real
    assert is_recalculated(real.read_bytes())
    assert original_backup(real).read_bytes() == SAMPLE.read_bytes()


def test_hard_links_all_see_the_new_content(run, sample_copy):
    other = sample_copy.with_name("同じブック.xlsx")
    os.link(sample_copy, other)
    inode = sample_copy.stat().st_ino
    assert run("recalc", sample_copy).exit_code == 0
    assert sample_copy.stat().st_ino == inode == other.stat().st_ino and sample_copy.stat().st_nlink == 2
    assert is_recalculated(other.read_bytes())
    assert original_backup(sample_copy).read_bytes() == SAMPLE.read_bytes()
    assert leftovers(sample_copy.parent) == []


# --- faults: every file-system call of a run, one at a time -------------------------------------------------

def _harness(mode: str, n: int, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HARNESS), mode, str(n), "recalc", str(path)], env=ENV,
                          capture_output=True, text=True, timeout=120)


def _fresh(tmp_path: Path, name: str, hard_link: bool) -> Path:
    path = tmp_path / name / "mine_r4.xlsx"
    path.parent.mkdir()
    shutil.copy(SAMPLE, path)
    if hard_link:
        os.link(path, path.with_name("link.xlsx"))
    return path


def _calls(tmp_path, hard_link) -> tuple[int, int]:
    r = _harness("count", 0, _fresh(tmp_path, "count", hard_link))
    assert r.returncode == 0, r.stderr
    words = r.stderr.split()
    return int(words[words.index("calls") + 1]), int(words[words.index("writes") + 1])


@pytest.mark.parametrize("hard_link", [False, True], ids=["file", "hard-linked"])
def test_kill_9_at_any_point_leaves_the_old_or_the_new_file(tmp_path, hard_link):
    original = SAMPLE.read_bytes()
    calls, _ = _calls(tmp_path, hard_link)
    assert calls >= 10
    for n in range(1, calls + 1):
        path = _fresh(tmp_path, f"kill{n}", hard_link)
        r = _harness("kill", n, path)
        assert r.returncode == -9, (n, r.stderr)
        with SaveTransaction(path):   # the next run: cleans up and, for a hard-linked file, repairs
            pass
        data = path.read_bytes()
        assert data == original or is_recalculated(data), n
        if data != original:
            assert original_backup(path).read_bytes() == original, n
        if hard_link:
            assert path.with_name("link.xlsx").read_bytes() == data
        assert leftovers(path.parent) == [], n


@pytest.mark.parametrize("hard_link", [False, True], ids=["file", "hard-linked"])
def test_disk_full_at_any_write_is_a_clear_message_and_leaves_nothing_behind(tmp_path, hard_link):
    original = SAMPLE.read_bytes()
    _, writes = _calls(tmp_path, hard_link)
    for n in range(1, writes + 1):
        path = _fresh(tmp_path, f"full{n}", hard_link)
        names = sorted(p.name for p in path.parent.iterdir())
        r = _harness("enospc", n, path)
        assert r.returncode == 2 and "空き容量" in r.stderr and "Traceback" not in r.stderr, (n, r.stderr)
        assert path.read_bytes() == original, n
        assert sorted(p.name for p in path.parent.iterdir()) == names, n   # no temp, lock or partial backup
