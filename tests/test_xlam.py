"""Checks of the committed Excel add-in macros/KPIAddin.xlam (no Excel needed).

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
XLAM = MACROS / "KPIAddin.xlam"
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
EXPECTED_IDS = {"kpi_validate", "kpi_recalc", "kpi_export", "kpi_report"}


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
    assert labels == {"kpi_validate": "検証", "kpi_recalc": "再計算", "kpi_export": "公表用出力", "kpi_report": "報告書"}
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


def test_ribbon_callback_calls_python_dispatch(modules):
    src = body(modules["RibbonMyAddin"])
    assert "If ActiveWorkbook Is Nothing Then" in src
    assert "RunPython \"import addin.ribbon as r; r.dispatch('\" & control.Id & \"')\"" in src


def test_template_modules_kept(modules):
    assert set(modules) == {"ThisWorkbook", "Sheet2", "Dictionary", "RibbonMyAddin", "xlwings"}
    xlw = modules["xlwings"]
    assert "'Version: 0.37.8" in xlw
    assert f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"' in xlw


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
    assert names == [f"_{PROJECT_NAME}.conf"]
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


def test_rebuild_matches_committed(tmp_path, parts, modules):
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
        if name != "xl/vbaProject.bin":
            assert rebuilt[name] == parts[name], f"{name} differs: rebuild and commit macros/KPIAddin.xlam"


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
