"""The offline installer (macros/build_bundle.py): built here for one Python version (the script's default is
3.10–3.13), needs the network to the package index.  Checks that every wheel is a Windows x64 binary or pure
wheel, that every requirement of every wheel — markers evaluated for Windows — is in the bundle (pywin32, which
``pip download`` on Linux leaves out, included), that install.cmd installs per user from the bundle only, and
that SHA256SUMS matches.
"""
import hashlib
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "3.11"


def _builder():
    spec = importlib.util.spec_from_file_location("build_bundle", ROOT / "macros" / "build_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle")
    builder = _builder()
    path = builder.build(out, (PYTHON,))
    with zipfile.ZipFile(path) as z:
        files = {n.split("/", 1)[1]: z.read(n) for n in z.namelist()}
    return builder, out, path, files


def test_every_wheel_is_binary_for_windows_x64(bundle):
    _, _, path, files = bundle
    assert path.name.endswith("-win_amd64.zip")
    wheels = [n for n in files if n.startswith("wheels/")]
    assert wheels and all(n.endswith(".whl") for n in wheels), wheels  # no sdist: nothing to compile
    for n in wheels:
        tag = n.rsplit("-", 1)[1].removesuffix(".whl")
        assert tag in ("any", "win_amd64"), n


def test_every_requirement_is_in_the_bundle_with_windows_markers(bundle, tmp_path):
    builder, _, _, files = bundle
    folder = tmp_path / "wheels"
    folder.mkdir()
    for n, data in files.items():
        if n.startswith("wheels/"):
            (folder / n.split("/", 1)[1]).write_bytes(data)
    assert builder.missing_requirements(folder, (PYTHON,)) == []
    names = {n.split("/", 1)[1].split("-")[0].lower() for n in files if n.startswith("wheels/")}
    assert {"kpi_addin", "xlwings", "pywin32", "openpyxl", "jsonschema"} <= names
    assert "pandas" not in names and "numpy" not in names  # not needed at run time
    # the check does find what pip download on Linux leaves out
    pywin32 = next(folder.glob("pywin32-*.whl"))
    pywin32.unlink()
    missing = builder.missing_requirements(folder, (PYTHON,))
    assert missing and all(p == PYTHON and r.startswith("pywin32") for p, r in missing), missing


def test_the_package_wheel_carries_the_addin_and_finds_it_wherever_installed(bundle, tmp_path):
    _, _, _, files = bundle
    ours = next(n for n in files if n.startswith("wheels/kpi_addin-"))
    whl = tmp_path / ours.split("/", 1)[1]
    whl.write_bytes(files[ours])
    with zipfile.ZipFile(whl) as z:
        assert z.read("addin/data/KPIAddin.xlam") == files["KPIAddin.xlam"]
        meta = next(z.read(n) for n in z.namelist() if n.endswith("METADATA")).decode()
    pandas = [line for line in meta.splitlines() if line.startswith("Requires-Dist: pandas")]
    assert pandas and all('extra == "test"' in line for line in pandas)  # a test dependency only
    assert (ROOT / "addin" / "data" / "KPIAddin.xlam").read_bytes() == files["KPIAddin.xlam"]
    # installed somewhere else entirely (as pip --user does), the add-in is found inside the package
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(target),
                    str(whl)], check=True)
    found = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]);"
                            "from addin.install import find_xlam; print(find_xlam())", str(target)],
                           check=True, capture_output=True, text=True).stdout.strip()
    assert Path(found) == target / "addin" / "data" / "KPIAddin.xlam"


def test_install_cmd_installs_per_user_without_network(bundle):
    _, _, _, files = bundle
    text = files["install.cmd"].decode("cp932")
    assert "\r\n" in text
    assert '-m pip install --no-index --find-links wheels --user "kpi-addin[live]"' in text
    assert "-m addin install-addin" in text
    assert "runas" not in text.lower() and "http" not in text.lower()
    assert "calcsize('P') == 8" in text  # 64-bit Python only


def test_sha256sums_cover_every_file(bundle):
    _, _, _, files = bundle
    sums = dict(reversed(line.split("  ", 1)) for line in files["SHA256SUMS"].decode().splitlines())
    assert set(sums) == set(files) - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name


def test_nothing_in_the_package_imports_pandas_or_numpy():
    """pandas (and with it numpy) is a test dependency only: a clerk's PC never needs it."""
    import ast
    for path in (ROOT / "addin").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.split(".")[0] in ("pandas", "numpy")], path
