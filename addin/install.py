"""Install / uninstall the KPIAddin Excel add-in for the current Windows user.

``kpi install-addin`` calls :func:`install_addin`, which

1. writes the user configuration of the add-in,
   ``%USERPROFILE%\\.KPIAddin\\KPIAddin.conf``, in the format the xlwings VBA
   reads it (one ``"KEY","VALUE"`` pair per line, as VBA's ``Write #`` writes
   them, in the ANSI code page), with ``INTERPRETER_WIN`` set to the Python
   interpreter (default: the one running this code), and
2. copies ``KPIAddin.xlam`` into the user's add-in folder
   (``%APPDATA%\\Microsoft\\AddIns``), where Excel lists it under
   ファイル → オプション → アドイン → 設定.

Everything takes ``home=`` so it can be exercised on Linux against a temporary
directory: then the conf goes to ``home/.KPIAddin/KPIAddin.conf`` and the
add-in to ``home/AppData/Roaming/Microsoft/AddIns``.

Messages (exceptions and :func:`describe_install`) are in Japanese, for the
clerks and the IT section.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .errors import KpiError

PROJECT_NAME = "KPIAddin"
XLAM_NAME = f"{PROJECT_NAME}.xlam"
CONF_NAME = f"{PROJECT_NAME}.conf"
INTERPRETER_KEY = "INTERPRETER_WIN"

__all__ = [
    "AddinInstallError",
    "install_addin",
    "uninstall_addin",
    "conf_path",
    "addins_dir",
    "find_xlam",
    "read_conf",
    "describe_install",
]


class AddinInstallError(KpiError):
    """Raised with a Japanese message when the add-in cannot be (un)installed."""


# ------------------------------------------------------------------ paths
def _home(home: Path | None) -> Path:
    if home is not None:
        return Path(home)
    profile = os.environ.get("USERPROFILE")
    return Path(profile) if profile else Path.home()


def conf_path(home: Path | None = None) -> Path:
    """``%USERPROFILE%\\.KPIAddin\\KPIAddin.conf`` (the xlwings VBA's
    ``GetConfigFilePath()`` for ``PROJECT_NAME = "KPIAddin"``)."""
    return _home(home) / f".{PROJECT_NAME}" / CONF_NAME


def addins_dir(home: Path | None = None) -> Path:
    """The user's Excel add-in folder, ``%APPDATA%\\Microsoft\\AddIns``."""
    if home is None and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "Microsoft" / "AddIns"
    return _home(home) / "AppData" / "Roaming" / "Microsoft" / "AddIns"


def find_xlam() -> Path:
    """The built ``KPIAddin.xlam`` shipped inside the package (``addin/data/KPIAddin.xlam``).

    It travels with the package, so it is found after any kind of install (``--user`` included, where pip
    puts data files elsewhere).  ``KPI_ADDIN_XLAM`` overrides it (an IT section's own signed build).
    """
    from importlib import resources
    env = os.environ.get("KPI_ADDIN_XLAM")
    candidates = [Path(env)] if env else []
    candidates.append(Path(str(resources.files("addin").joinpath("data", XLAM_NAME))))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise AddinInstallError(
        f"アドインのファイル {XLAM_NAME} が見つかりません。"
        "パッケージを入れ直すか、環境変数 KPI_ADDIN_XLAM にファイルの場所を指定してください。探した場所: "
        + "、".join(str(c) for c in candidates)
    )


# ------------------------------------------------------------------ conf file
def _ansi_encoding() -> str:
    # VBA's "Open ... For Input" reads the file in the ANSI code page
    # (cp932 on Japanese Windows).
    return "mbcs" if sys.platform.startswith("win") else "cp932"


def _parse_conf_line(line: str) -> tuple[str, str] | None:
    """``"KEY","VALUE"`` -> (KEY, VALUE); anything else -> None."""
    line = line.strip()
    if not line.startswith('"'):
        return None
    end = line.find('"', 1)
    if end < 0:
        return None
    key = line[1:end]
    rest = line[end + 1:].lstrip()
    if not rest.startswith(","):
        return None
    value = rest[1:].strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1]
    return key, value


def read_conf(path: Path) -> dict[str, str]:
    """The entries of an xlwings ``.conf`` file, keys as written."""
    entries: dict[str, str] = {}
    if not path.is_file():
        return entries
    text = path.read_bytes().decode(_ansi_encoding(), errors="replace")
    for line in text.splitlines():
        parsed = _parse_conf_line(line)
        if parsed:
            entries[parsed[0]] = parsed[1]
    return entries


def _write_conf(path: Path, entries: dict[str, str]) -> None:
    lines = []
    for key, value in entries.items():
        if '"' in key or '"' in value or "\n" in value or "\r" in value:
            raise AddinInstallError(
                f"設定値に使えない文字（\" または改行）が含まれています: {key}={value}"
            )
        lines.append(f'"{key}","{value}"\r\n')
    try:
        data = "".join(lines).encode(_ansi_encoding())
    except UnicodeEncodeError as exc:
        raise AddinInstallError(
            "Python のパスに、Excel の VBA が読めない文字が含まれています。"
            f"英数字だけのフォルダーに Python を入れ直してください: {exc.object[exc.start:exc.end]!r}"
        ) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# ------------------------------------------------------------------ install
def install_addin(
    python_exe: str | None = None,
    home: Path | None = None,
    *,
    xlam: Path | None = None,
) -> Path:
    """Install the add-in for one user and return the installed ``.xlam`` path.

    ``python_exe``: the interpreter the add-in runs (default ``sys.executable``);
    written as ``INTERPRETER_WIN`` into ``<home>/.KPIAddin/KPIAddin.conf``.
    Other entries already in that file are kept.
    ``home``: the user's profile folder (default ``%USERPROFILE%``).
    ``xlam``: the add-in file to copy (default :func:`find_xlam`).
    """
    interpreter = str(python_exe) if python_exe else sys.executable
    if not interpreter:
        raise AddinInstallError("Python の実行ファイルが分かりません。python_exe を指定してください。")
    source = Path(xlam) if xlam is not None else find_xlam()
    if not source.is_file():
        raise AddinInstallError(f"アドインのファイルがありません: {source}")

    conf = conf_path(home)
    entries = read_conf(conf)
    for key in [k for k in entries if k.upper() == INTERPRETER_KEY]:
        del entries[key]
    entries[INTERPRETER_KEY] = interpreter
    try:
        _write_conf(conf, entries)
    except OSError as exc:
        raise AddinInstallError(f"設定ファイルを書き込めませんでした: {conf}（{exc}）") from exc

    target_dir = addins_dir(home)
    target = target_dir / XLAM_NAME
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    except PermissionError as exc:
        raise AddinInstallError(
            f"アドインをコピーできませんでした: {target}。"
            "Excel でアドインが開いている場合は Excel をすべて閉じてから、もう一度実行してください。"
        ) from exc
    except OSError as exc:
        raise AddinInstallError(f"アドインをコピーできませんでした: {target}（{exc}）") from exc
    return target


def uninstall_addin(home: Path | None = None, *, keep_conf: bool = False) -> list[Path]:
    """Remove the installed add-in (and its conf unless ``keep_conf``).

    Returns the removed files; raises :class:`AddinInstallError` when nothing
    was installed.
    """
    removed: list[Path] = []
    target = addins_dir(home) / XLAM_NAME
    conf = conf_path(home)
    try:
        if target.is_file():
            target.unlink()
            removed.append(target)
        if not keep_conf and conf.is_file():
            conf.unlink()
            removed.append(conf)
            try:
                conf.parent.rmdir()  # only if empty
            except OSError:
                pass
    except PermissionError as exc:
        raise AddinInstallError(
            f"ファイルを削除できませんでした: {exc.filename}。"
            "Excel をすべて閉じてから、もう一度実行してください。"
        ) from exc
    if not removed:
        raise AddinInstallError(f"アドインはインストールされていません（{target} がありません）。")
    return removed


def describe_install(installed: Path, home: Path | None = None) -> str:
    """A Japanese summary of an installation, for ``kpi install-addin`` to print."""
    conf = conf_path(home)
    interpreter = read_conf(conf).get(INTERPRETER_KEY, "")
    return (
        "KPI管理アドインをインストールしました。\n"
        f"  アドイン: {installed}\n"
        f"  設定ファイル: {conf}\n"
        f"  Python: {interpreter}\n"
        "Excel を起動し、ファイル → オプション → アドイン → 管理「Excel アドイン」→ 設定 で "
        "「KPI管理アドイン (KPIAddin)」にチェックを入れてください。"
        "リボンに「KPI管理」タブが表示されます。"
    )
