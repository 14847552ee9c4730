"""Checks of the committed Excel add-in addin/data/KPIAddin.xlam (no Excel needed).

Needs: lxml, oletools (olevba), and for the rebuild check xlwings==0.37.8 and
pyopenvba.
"""
from __future__ import annotations

import importlib.util
import posixpath
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
MACROS = ROOT / "macros"
XLAM = ROOT / "addin" / "data" / "KPIAddin.xlam"
XSD = MACROS / "schema" / "customui14.xsd"
RIBBON_BAS = MACROS / "RibbonMyAddin.bas"
CUSTOMUI_SRC = MACROS / "customUI14.xml"

CUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SS_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CUSTOMUI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA_REL_TYPE = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
PROJECT_NAME = "KPIAddin"
EXPECTED_IDS = {"kpi_validate", "kpi_recalc", "kpi_export", "kpi_split", "kpi_merge", "kpi_report"}


# ------------------------------------------------------------------ helpers
def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def vba_modules(path: Path) -> dict[str, str]:
    """Module name -> source as olevba reads it back (Attribute lines kept)."""
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        return {
            vba_filename.rsplit(".", 1)[0]: code
            for _f, _stream, vba_filename, code in parser.extract_macros()
        }
    finally:
        parser.close()


def body(code: str) -> str:
    """VBA source without Attribute lines, LF line ends, no trailing blanks."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [line for line in lines if not line.startswith("Attribute VB_")]
    return "\n".join(lines).strip("\n")


def customui_part_name(parts: dict[str, bytes]) -> str:
    rels = etree.fromstring(parts["_rels/.rels"])
    targets = [r.get("Target").lstrip("/") for r in rels.iter(f"{{{REL_NS}}}Relationship")
               if r.get("Type") == CUSTOMUI_REL_TYPE]
    assert len(targets) == 1, "exactly one customUI (2009/07) relationship expected"
    return targets[0]


def buttons(customui: bytes) -> list[etree._Element]:
    return list(etree.fromstring(customui).iter(f"{{{CUI_NS}}}button"))


@pytest.fixture(scope="module")
def parts() -> dict[str, bytes]:
    assert XLAM.is_file(), f"{XLAM} missing: run python macros/build_xlam.py"
    return read_parts(XLAM)


@pytest.fixture(scope="module")
def customui(parts) -> bytes:
    return parts[customui_part_name(parts)]


@pytest.fixture(scope="module")
def modules() -> dict[str, str]:
    return vba_modules(XLAM)


# ------------------------------------------------------------------ ribbon
def test_customui_is_our_source(customui):
    assert customui == CUSTOMUI_SRC.read_bytes()


def test_customui_validates_against_xsd(customui):
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.fromstring(customui)
    assert doc.tag == f"{{{CUI_NS}}}customUI"
    assert schema.validate(doc), str(schema.error_log)


def test_xsd_rejects_broken_ribbon():
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    bad = etree.fromstring(
        f'<customUI xmlns="{CUI_NS}"><ribbon><tabs><tab id="t" label="x"><group id="g">'
        '<button id="b" size="huge" onAction="KpiButton"/></group></tab></tabs></ribbon></customUI>'
    )
    assert not schema.validate(bad)


def test_tab_and_buttons(customui):
    root = etree.fromstring(customui)
    tabs = list(root.iter(f"{{{CUI_NS}}}tab"))
    assert [(t.get("id"), t.get("label")) for t in tabs] == [("kpiTab", "KPI管理")]
    labels = {b.get("id"): b.get("label") for b in buttons(customui)}
    assert labels == {"kpi_validate": "検証", "kpi_recalc": "再計算", "kpi_export": "公表用出力",
                      "kpi_split": "照会ファイル作成", "kpi_merge": "回答の取り込み", "kpi_report": "報告書"}
    for b in buttons(customui):
        assert b.get("size") == "large"
        assert b.get("imageMso")
        assert b.get("screentip") and b.get("supertip")
        assert b.get("onAction") == "KpiButton"


def test_control_ids_unique(customui):
    ids = [e.get("id") for e in etree.fromstring(customui).iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids)), ids


def test_button_ids_match_ribbon_actions(customui):
    from addin.ribbon import ACTIONS  # written by the ribbon module's owner

    ids = {b.get("id") for b in buttons(customui)}
    assert ids == EXPECTED_IDS
    assert ids == set(ACTIONS), f"customUI ids {sorted(ids)} != ACTIONS {sorted(ACTIONS)}"


def test_every_onaction_is_a_ribbon_sub(customui, modules):
    code = "\n".join(body(src) for src in modules.values())
    callbacks = {e.get("onAction") for e in etree.fromstring(customui).iter() if e.get("onAction")}
    assert callbacks
    for callback in callbacks:
        name = callback.split(".")[-1]
        pattern = rf"(?im)^\s*(Public\s+)?Sub\s+{re.escape(name)}\s*\(\s*control\s+As\s+IRibbonControl\s*\)"
        assert re.search(pattern, code), f"no Sub {name}(control As IRibbonControl) in the VBA"


# ------------------------------------------------------------------ VBA
def test_vba_source_is_ascii(modules):
    for name, src in modules.items():
        bad = [c for c in src if ord(c) > 127]
        assert not bad, f"non-ASCII characters in VBA module {name}: {bad[:5]}"
    assert all(ord(c) < 128 for c in RIBBON_BAS.read_text(encoding="utf-8"))


def test_ribbon_module_is_exactly_ours(modules):
    assert body(modules["RibbonMyAddin"]) == body(RIBBON_BAS.read_text(encoding="ascii"))


def code_lines(src: str) -> list[str]:
    """VBA lines without comments (a ' outside a string starts one)."""
    out = []
    for line in body(src).split("\n"):
        in_str, cut = False, len(line)
        for i, ch in enumerate(line):
            if ch == '"':
                in_str = not in_str
            elif ch == "'" and not in_str:
                cut = i
                break
        if line[:cut].strip():
            out.append(line[:cut].rstrip())
    return out


def decoded_texts(src: str) -> dict[str, str]:
    """Function name → the Japanese text it builds from U(...) code points."""
    texts, name = {}, None
    for line in code_lines(src):
        m = re.match(r"\s*Private Function (\w+)\(\) As String", line)
        if m:
            name = m.group(1)
            texts[name] = ""
        elif name and "vbCrLf" in line and "U(" not in line:
            texts[name] += "\n"
        elif name and (m := re.search(r"U\(([\d, ]+)\)", line)):
            texts[name] += "".join(chr(int(x)) for x in m.group(1).split(","))
        if line.strip() == "End Function":
            name = None
    return texts


def test_launcher_has_an_error_handler_and_japanese_messages(modules):
    src = modules["RibbonMyAddin"]
    code = "\n".join(code_lines(src))
    sub = code[code.index("Public Sub KpiButton"):code.index("End Sub")]
    assert "On Error GoTo Failed" in sub and "\nFailed:" in sub
    texts = decoded_texts(src)
    assert texts["AddinTitle"] == "KPI管理"
    assert "保護ビュー" in texts["ProtectedViewMessage"] and "編集を有効にする" in texts["ProtectedViewMessage"]
    assert "読み取り専用" in texts["ReadOnlyMessage"]
    blocked = texts["BlockedMessage"]
    assert "子プロセスの作成をブロック" in blocked and "d4f940ab-401b-4efc-aadc-ad5f3c50688a" in blocked
    assert "情報システム担当者" in blocked and "除外" in blocked
    assert "kpi install-addin" in texts["NoConfMessage"]
    assert "Python を起動しています" in texts["StartingStatus"]
    assert "Application.StatusBar = StartingStatus()" in sub and "Application.StatusBar = False" in sub
    assert "ActiveProtectedViewWindow" in sub and "ActiveWorkbook.ReadOnly" in sub


def test_launcher_reads_no_configuration_from_any_workbook(modules):
    code = "\n".join("\n".join(code_lines(src)) for src in modules.values())
    assert "RunPython" not in code and not re.search(r"\bxlwings\.", code, re.I)
    assert not re.search(r"\.(Sheets|Worksheets|Range|Cells|Names|CustomDocumentProperties)\b", code)
    assert "PYTHONPATH" not in code and "ActiveWorkbook.Path" not in code
    # the interpreter: only the per-user conf written by kpi install-addin
    assert 'Private Const CONF_FILE As String = "\\.KPIAddin\\KPIAddin.conf"' in code
    assert 'path = Environ("USERPROFILE") & CONF_FILE' in code
    assert re.search(r'cmd = Quoted\(python\) & " -I -B -c " & Quoted\(BOOTSTRAP\)', code)


def test_launcher_exit_codes_match_the_python_side(modules):
    from addin import ribbon
    code = "\n".join(code_lines(modules["RibbonMyAddin"]))
    fn = code[code.index("Private Function ExitCodeMessage"):]
    fn = fn[:fn.index("End Function")]
    cases = dict(re.findall(r"Case (\d+)\s*\n\s*ExitCodeMessage = (\w+)", fn))
    assert cases == {"1": "NoPackageMessage", str(ribbon.EXIT_NO_XLWINGS): "NoXlwingsMessage",
                     str(ribbon.EXIT_NO_EXCEL): "NoExcelMessage"}


def _bootstrap(modules) -> str:
    return re.search(r'Private Const BOOTSTRAP As String = "([^"]+)"', modules["RibbonMyAddin"]).group(1)


def test_bootstrap_ignores_code_planted_beside_the_workbook_and_in_pythonpath(modules, tmp_path):
    """A workbook folder (the current directory) and PYTHONPATH holding an ``addin`` package: with -I the
    planted package never runs; without -I it would (proving the plant works)."""
    import os
    import subprocess
    import sys
    planted = tmp_path / "addin"
    planted.mkdir()
    marker = tmp_path / "planted-code-ran"
    (planted / "__init__.py").write_text("")
    (planted / "ribbon.py").write_text(f"open({str(marker)!r}, 'w').close()\ndef main():\n    return 0\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    args = ["kpi_recalc", "1", "book.xlsx"]
    subprocess.run([sys.executable, "-B", "-c", _bootstrap(modules), *args], cwd=tmp_path, env=env,
                   capture_output=True, timeout=120)
    assert marker.exists(), "the plant must work without isolation"
    marker.unlink()
    subprocess.run([sys.executable, "-I", "-B", "-c", _bootstrap(modules), *args], cwd=tmp_path, env=env,
                   capture_output=True, timeout=120)
    assert not marker.exists()
    assert not list(tmp_path.rglob("__pycache__")), "-B: no .pyc written"


def test_vba_project_name():
    import olefile

    with zipfile.ZipFile(XLAM) as z:
        ole = olefile.OleFileIO(z.read("xl/vbaProject.bin"))
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert re.search(rf'(?m)^Name="{PROJECT_NAME}"\r?$', project), project


def test_nothing_depends_on_xlwings_pro(modules):
    ribbon = body(modules["RibbonMyAddin"])
    assert "xlwings.pro" not in ribbon.lower() and "LICENSE_KEY" not in ribbon


# ------------------------------------------------------------------ package
def content_type_of(part: str, ct_xml: bytes) -> str | None:
    root = etree.fromstring(ct_xml)
    for o in root.iter(f"{{{CT_NS}}}Override"):
        if o.get("PartName").lstrip("/").lower() == part.lower():
            return o.get("ContentType")
    ext = part.rsplit(".", 1)[-1].lower()
    for d in root.iter(f"{{{CT_NS}}}Default"):
        if d.get("Extension").lower() == ext:
            return d.get("ContentType")
    return None


def test_content_types_and_relationships(parts):
    ct = parts["[Content_Types].xml"]
    # every part has a content type
    for name in parts:
        if name != "[Content_Types].xml":
            assert content_type_of(name, ct), f"no content type for {name}"
    # every Override names an existing part
    for o in etree.fromstring(ct).iter(f"{{{CT_NS}}}Override"):
        assert o.get("PartName").lstrip("/") in parts, o.get("PartName")
    # every internal relationship target exists
    for name in [n for n in parts if n.endswith(".rels")]:
        source_dir = posixpath.dirname(posixpath.dirname(name))  # folder of the source part
        for rel in etree.fromstring(parts[name]).iter(f"{{{REL_NS}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target")
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(source_dir, target))
            assert resolved in parts, f"{name}: {target} -> {resolved} missing"
    assert content_type_of("xl/workbook.xml", ct) == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert content_type_of("xl/vbaProject.bin", ct) == "application/vnd.ms-office.vbaProject"
    cui = customui_part_name(parts)
    assert cui == "customUI/customUI14.xml"
    assert content_type_of(cui, ct) in ("application/xml", "text/xml")
    # no stale 2006 customUI part or relationship
    assert "customUI/customUI.xml" not in parts
    wb_rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    assert [r.get("Target") for r in wb_rels.iter(f"{{{REL_NS}}}Relationship")
            if r.get("Type") == VBA_REL_TYPE] == ["vbaProject.bin"]


def test_sheets_and_code_names(parts, modules):
    wb = etree.fromstring(parts["xl/workbook.xml"])
    names = [s.get("name") for s in wb.iter(f"{{{SS_NS}}}sheet")]
    assert names == [PROJECT_NAME]
    assert b"Interpreter_Win" not in parts["xl/sharedStrings.xml"]
    assert not [n for n in names if n.lower().endswith(".py")]
    assert wb.find(f"{{{SS_NS}}}workbookPr").get("codeName") in modules
    sheet = etree.fromstring(parts["xl/worksheets/sheet1.xml"])
    assert sheet.find(f"{{{SS_NS}}}sheetPr").get("codeName") in modules
    assert b"felix" not in parts["xl/workbook.xml"].lower()


def test_zip_is_deterministic():
    with zipfile.ZipFile(XLAM) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert z.namelist()[0] == "[Content_Types].xml"


# ------------------------------------------------------------------ rebuild
def _load_builder():
    spec = importlib.util.spec_from_file_location("build_xlam", MACROS / "build_xlam.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rebuild_is_byte_identical_to_the_committed_file(tmp_path, parts, modules):
    pytest.importorskip("pyopenvba")
    xlwings = pytest.importorskip("xlwings")
    if xlwings.__version__ != "0.37.8":
        pytest.skip(f"xlwings {xlwings.__version__} installed, the add-in is built from 0.37.8")
    out = _load_builder().build(tmp_path / "KPIAddin.xlam")
    rebuilt = read_parts(out)
    with zipfile.ZipFile(out) as a, zipfile.ZipFile(XLAM) as b:
        assert a.namelist() == b.namelist()
    assert rebuilt[customui_part_name(rebuilt)] == parts[customui_part_name(parts)]
    assert vba_modules(out) == modules
    for name in parts:
        assert rebuilt[name] == parts[name], f"{name} differs: rebuild and commit addin/data/KPIAddin.xlam"
    assert out.read_bytes() == XLAM.read_bytes()


# ------------------------------------------------------------------ install
def test_install_and_uninstall(tmp_path):
    from addin.install import AddinInstallError, install_addin, read_conf, uninstall_addin

    home = tmp_path / "home"
    exe = r"C:\Program Files\Python311\python.exe"
    installed = install_addin(python_exe=exe, home=home, xlam=XLAM)
    conf = home / ".KPIAddin" / "KPIAddin.conf"
    assert installed == home / "AppData" / "Roaming" / "Microsoft" / "AddIns" / "KPIAddin.xlam"
    assert installed.read_bytes() == XLAM.read_bytes()
    assert conf.read_bytes() == b'"INTERPRETER_WIN","C:\\Program Files\\Python311\\python.exe"\r\n'

    # a re-install updates the interpreter and keeps the other entries
    conf.write_bytes(conf.read_bytes() + b'"SHOW CONSOLE","True"\r\n')
    install_addin(python_exe=r"D:\py\python.exe", home=home, xlam=XLAM)
    assert read_conf(conf) == {"SHOW CONSOLE": "True", "INTERPRETER_WIN": r"D:\py\python.exe"}

    removed = uninstall_addin(home=home)
    assert set(removed) == {installed, conf}
    assert not installed.exists() and not conf.exists() and not conf.parent.exists()
    with pytest.raises(AddinInstallError, match="インストールされていません"):
        uninstall_addin(home=home)


def test_install_defaults_to_running_python(tmp_path):
    import sys

    from addin.install import install_addin, read_conf

    install_addin(home=tmp_path, xlam=XLAM)
    assert read_conf(tmp_path / ".KPIAddin" / "KPIAddin.conf") == {"INTERPRETER_WIN": sys.executable}


def test_install_missing_xlam_is_reported_in_japanese(tmp_path):
    from addin.install import AddinInstallError, install_addin

    with pytest.raises(AddinInstallError, match="アドインのファイルがありません"):
        install_addin(python_exe="python.exe", home=tmp_path, xlam=tmp_path / "nope.xlam")


def test_kpi_install_addin_installs_the_addin_shipped_in_the_package(tmp_path, monkeypatch, capsys):
    """What IT types: ``kpi install-addin``; the .xlam comes from the package itself (addin/data)."""
    from addin.cli import main
    from addin.install import find_xlam
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData" / "Roaming"))
    monkeypatch.delenv("KPI_ADDIN_XLAM", raising=False)
    assert find_xlam() == XLAM.resolve()
    assert main(["install-addin", "--python", r"C:\Users\clerk\AppData\Local\Programs\Python\Python311\python.exe"]) == 0
    installed = tmp_path / "AppData" / "Roaming" / "Microsoft" / "AddIns" / "KPIAddin.xlam"
    assert installed.read_bytes() == XLAM.read_bytes()
    assert (tmp_path / ".KPIAddin" / "KPIAddin.conf").read_bytes().startswith(b'"INTERPRETER_WIN","C:\\Users')
    assert "KPI管理アドインをインストールしました" in capsys.readouterr().out
