"""Build the offline installer for a locked-down Windows PC (x64, no admin rights, no network).

    python macros/build_bundle.py --out DIR [--python 3.10 3.11 3.12 3.13]

Run on any machine that reaches the package index (Linux included).  Writes
``DIR/kpi-addin-bundle-<version>-win_amd64.zip`` holding

    kpi-addin-bundle/
      wheels/          every wheel ``kpi-addin[live]`` needs on Windows x64, for each Python version given
                       (binary wheels only: nothing is compiled on the clerk's PC)
      KPIAddin.xlam    the add-in (the same file as inside the package)
      install.cmd      per-user install from the wheels folder: no admin rights, no network
      SHA256SUMS       SHA-256 of every other file, to check the copy that reached the PC

``pip download --platform win_amd64`` run elsewhere evaluates environment markers for the machine it runs on,
so a requirement such as xlwings' ``pywin32; platform_system == "Windows"`` is silently left out.  The builder
therefore reads every wheel's METADATA, evaluates each Requires-Dist marker for Windows x64 and each Python
version (:func:`missing_requirements`), downloads what is missing, and repeats until every requirement of
every wheel is met by a wheel in the bundle; the same check runs on the finished set.
"""
from __future__ import annotations

import argparse
import email.parser
import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
PLATFORM = "win_amd64"
ROOT_REQUIREMENT = "kpi-addin[live]"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
BUNDLE_DIR = "kpi-addin-bundle"

INSTALL_CMD = r"""@echo off
rem KPI管理アドイン: オフラインインストール（このユーザーだけ・管理者権限不要・ネットワーク不要）
setlocal
cd /d "%~dp0"
set "PY=py -3"
where py >nul 2>nul || set "PY=python"
%PY% -c "import struct,sys; sys.exit(0 if struct.calcsize('P') == 8 and sys.version_info[:2] in {SUPPORTED} else 1)"
if errorlevel 1 (
  echo 64ビット版の Python {SUPPORTED_TEXT} が見つかりません。Python をインストールしてから、もう一度実行してください。
  goto failed
)
%PY% -m pip install --no-index --find-links wheels --user "kpi-addin[live]"
if errorlevel 1 goto failed
%PY% -m addin install-addin
if errorlevel 1 goto failed
%PY% -c "import addin.ribbon, xlwings; print('OK: xlwings', xlwings.__version__)"
if errorlevel 1 goto failed
echo.
echo インストールが完了しました。Excel を起動し、アドインを有効にしてください（macros/README.md の手順 3）。
pause
exit /b 0
:failed
echo.
echo インストールできませんでした。この画面の内容を情報システム担当者に送ってください。
pause
exit /b 1
"""


# ---------------------------------------------------------------------------------------------- check
def windows_environment(python: str) -> dict[str, str]:
    """Marker environment of CPython ``python`` (e.g. "3.11") on Windows x64."""
    full = f"{python}.0"
    return {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
            "platform_release": "10", "platform_version": "10.0.19045", "python_version": python,
            "python_full_version": full, "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "implementation_version": full}


def _tags(python: str) -> set:
    major, minor = (int(x) for x in python.split("."))
    abi = f"cp{major}{minor}"
    return (set(cpython_tags((major, minor), abis=[abi, "abi3", "none"], platforms=[PLATFORM]))
            | set(compatible_tags((major, minor), interpreter=abi, platforms=[PLATFORM])))


def read_wheels(folder: Path) -> list[dict]:
    """Name, version, tags and Requires-Dist of every wheel in ``folder``."""
    out = []
    for path in sorted(folder.glob("*.whl")):
        name, version, _, tags = parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as z:
            meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
            meta = email.parser.Parser().parsestr(z.read(meta_name).decode("utf-8"))
        out.append({"path": path, "name": name, "version": version, "tags": set(tags),
                    "requires": [Requirement(r) for r in meta.get_all("Requires-Dist") or []]})
    return out


def missing_requirements(folder: Path, pythons=PYTHONS, root: str = ROOT_REQUIREMENT) -> list[tuple[str, str]]:
    """Every (python version, requirement) that no wheel in ``folder`` satisfies on Windows x64, walking from
    ``root`` through each wheel's Requires-Dist with its markers evaluated for Windows (extras included)."""
    wheels = read_wheels(folder)
    missing = []
    for python in pythons:
        env, tags = windows_environment(python), _tags(python)
        usable = [w for w in wheels if w["tags"] & tags]
        todo = [(Requirement(root), "")]
        seen: set[tuple[str, str]] = set()
        while todo:
            req, extra = todo.pop()
            if req.marker is not None and not req.marker.evaluate(dict(env, extra=extra)):
                continue
            key = (canonicalize_name(req.name), ",".join(sorted(req.extras)))
            if key in seen:
                continue
            seen.add(key)
            found = [w for w in usable if w["name"] == canonicalize_name(req.name)
                     and req.specifier.contains(w["version"], prereleases=True)]
            if not found:
                missing.append((python, str(Requirement(f"{req.name}{req.specifier}"))))
                continue
            wheel = max(found, key=lambda w: w["version"])
            for sub in wheel["requires"]:
                extras = [""] + sorted(req.extras)
                if any(sub.marker is None or sub.marker.evaluate(dict(env, extra=e)) for e in extras):
                    todo.append((Requirement(f"{sub.name}{'[' + ','.join(sorted(sub.extras)) + ']' if sub.extras else ''}"
                                             f"{sub.specifier}"), ""))
    return sorted(set(missing))


# ---------------------------------------------------------------------------------------------- build
def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"], check=True)


def _download(requirements: list[str], python: str, wheels: Path) -> None:
    _pip("download", "--only-binary=:all:", "--platform", PLATFORM, "--implementation", "cp",
         "--python-version", python, "--find-links", str(wheels), "-d", str(wheels), *requirements)


def build_package_wheel(wheels: Path) -> Path:
    """Our own wheel (with the .xlam inside it as package data)."""
    before = set(wheels.glob("kpi_addin-*.whl"))
    _pip("wheel", "--no-deps", "-w", str(wheels), str(ROOT))
    built = sorted(set(wheels.glob("kpi_addin-*.whl")) - before) or sorted(wheels.glob("kpi_addin-*.whl"))
    return built[-1]


def collect_wheels(wheels: Path, pythons=PYTHONS) -> None:
    """Download the dependencies for every Python version, then what the Windows markers add, until the set
    is complete; raise when something cannot be found as a binary wheel."""
    ours = build_package_wheel(wheels)
    meta = next(w for w in read_wheels(wheels) if w["path"] == ours)
    for python in pythons:
        env = windows_environment(python)
        reqs = [f"{r.name}{r.specifier}" for r in meta["requires"]
                if r.marker is None or r.marker.evaluate(dict(env, extra="live"))]
        _download(reqs, python, wheels)
    for _ in range(5):
        missing = missing_requirements(wheels, pythons)
        if not missing:
            return
        for python in sorted({p for p, _ in missing}):
            _download([r for p, r in missing if p == python], python, wheels)
    missing = missing_requirements(wheels, pythons)
    if missing:
        raise SystemExit("missing for Windows x64: " + "; ".join(f"Python {p}: {r}" for p, r in missing))


def install_cmd(pythons=PYTHONS) -> bytes:
    """install.cmd in the code page cmd.exe reads batch files in on Japanese Windows (cp932), CRLF."""
    versions = "{" + ", ".join(f"({p.replace('.', ', ')})" for p in pythons) + "}"
    text = (INSTALL_CMD.replace("{SUPPORTED}", versions)
            .replace("{SUPPORTED_TEXT}", "・".join(pythons)))
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("cp932")


def sha256sums(files: dict[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())).encode()


def build(out: Path, pythons=PYTHONS, work: Path | None = None) -> Path:
    """Build the bundle zip in ``out`` and return its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    wheels = Path(work) if work else out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    collect_wheels(wheels, pythons)
    ours = next(w for w in read_wheels(wheels) if w["name"] == "kpi-addin")
    files: dict[str, bytes] = {f"wheels/{p.name}": p.read_bytes() for p in sorted(wheels.glob("*.whl"))}
    files["KPIAddin.xlam"] = (ROOT / "addin" / "data" / "KPIAddin.xlam").read_bytes()
    files["install.cmd"] = install_cmd(pythons)
    files["SHA256SUMS"] = sha256sums(files)
    target = out / f"kpi-addin-bundle-{ours['version']}-{PLATFORM}.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{BUNDLE_DIR}/{name}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[name])
    target.write_bytes(buf.getvalue())
    return target


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--python", nargs="+", default=list(PYTHONS), help="Python versions (default: 3.10 3.11 3.12 3.13)")
    args = p.parse_args(argv)
    target = build(Path(args.out), tuple(args.python))
    print(f"built {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
