"""Build addin/data/KPIAddin.xlam (shipped inside the package) reproducibly on any OS (no Excel needed).

    python macros/build_xlam.py [OUT_PATH]

Starting point: ``xlwings/quickstart_addin_ribbon.xlam`` shipped inside the
xlwings package (BSD 3-clause, version pinned to 0.37.8), used as a ready-made
add-in container (workbook, VBA project, ribbon relationship).  From it we

* remove the VBA modules ``xlwings`` and ``Dictionary``: the add-in does not use
  xlwings' RunPython, which takes the interpreter, PYTHONPATH and conda settings
  from a sheet of the active workbook and puts the workbook's folder on sys.path,
* replace the source of ``RibbonMyAddin`` with ``macros/RibbonMyAddin.bas``, our
  own launcher (interpreter from the per-user conf only, ``python -I -B``),
* keep the document modules ``ThisWorkbook`` and ``Sheet2`` (empty),
* rename the VBA project (``MyAddin`` -> ``KPIAddin``),
* empty the template's xlwings configuration sheet and name it ``KPIAddin``,
* replace the ribbon part by ``macros/customUI14.xml`` (customUI 2009/07),
* write every part in a fixed order with fixed zip timestamps, so two builds
  produce identical bytes.

VBA streams are edited with pyopenvba (MIT, pure Python).
"""
from __future__ import annotations

import io
import re
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROJECT_NAME = "KPIAddin"
TEMPLATE_PROJECT_NAME = "MyAddin"
RIBBON_MODULE = "RibbonMyAddin"
RIBBON_SOURCE = HERE / "RibbonMyAddin.bas"
CUSTOMUI_SOURCE = HERE / "customUI14.xml"
SHEET_NAME = PROJECT_NAME
REMOVED_MODULES = ("xlwings", "Dictionary")
XLWINGS_VERSION = "0.37.8"

CUSTOMUI_PART = "customUI/customUI14.xml"
CUSTOMUI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CUSTOMUI_REL_TYPE_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"

#: Fixed timestamp of every zip entry (the zip format's earliest date).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: Fixed document dates in docProps/core.xml.
DOC_DATE = "2024-04-01T00:00:00Z"

#: Part order of the built package: content types first, as Office writes it.
PART_ORDER = [
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/worksheets/sheet1.xml",
    "xl/theme/theme1.xml",
    "xl/styles.xml",
    "xl/sharedStrings.xml",
    "xl/vbaProject.bin",
    CUSTOMUI_PART,
    "docProps/core.xml",
    "docProps/app.xml",
]


# ---------------------------------------------------------------- template
def template_bytes() -> bytes:
    """The xlwings ribbon add-in template, read from the installed package."""
    from importlib import resources

    import xlwings

    if xlwings.__version__ != XLWINGS_VERSION:
        raise RuntimeError(
            f"xlwings {XLWINGS_VERSION} is required to build the add-in "
            f"(installed: {xlwings.__version__}); the VBA of the template must "
            "match the Python side."
        )
    return resources.files("xlwings").joinpath("quickstart_addin_ribbon.xlam").read_bytes()


def read_vba_source(path: Path) -> str:
    """A .bas file as VBA stores it: ASCII, CRLF line ends."""
    text = path.read_text(encoding="ascii")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return "\r\n".join(lines) + "\r\n"


# ---------------------------------------------------------------- VBA
def _replace_dir_project_name(dir_raw: bytes, name: str, code_page_enc: str) -> bytes:
    """Set the PROJECTNAME (0x0004) record of a decompressed dir stream."""
    pos = 0
    while pos + 6 <= len(dir_raw):
        rid, size = struct.unpack_from("<HI", dir_raw, pos)
        if rid == 0x0004:
            payload = name.encode(code_page_enc)
            return dir_raw[:pos] + struct.pack("<HI", rid, len(payload)) + payload + dir_raw[pos + 6 + size:]
        if rid == 0x0009:  # PROJECTVERSION: Reserved(4)=4, then 6 bytes
            size = 6
        pos += 6 + size
    raise ValueError("dir stream has no PROJECTNAME record")


def _rename_project(vba_bin: bytes, name: str) -> bytes:
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import compress, decompress

    cfb = CFB.from_bytes(vba_bin)
    project = cfb.get_stream("PROJECT").decode("cp1252")
    new_project, n = re.subn(r'(?m)^Name="[^"\r\n]*"', f'Name="{name}"', project)
    if n != 1:
        raise ValueError("PROJECT stream has no Name= line")
    cfb.write_stream("PROJECT", new_project.encode("cp1252"))
    dir_raw = decompress(cfb.get_stream_in_storage("VBA", "dir"))
    cfb.write_stream_in_storage("VBA", "dir", compress(_replace_dir_project_name(dir_raw, name, "cp1252")))
    return cfb.to_bytes()


def build_vba_project(template: bytes) -> bytes:
    """vbaProject.bin of the add-in: template modules, our ribbon module."""
    from pyopenvba import ExcelFile

    ribbon_src = read_vba_source(RIBBON_SOURCE)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "template.xlam"
        out = Path(tmp) / "edited.xlam"
        src.write_bytes(template)
        with ExcelFile(src) as wb:
            project = wb.vba_project()
            for name in REMOVED_MODULES:
                project.delete_module(name)
            wb.set_module(RIBBON_MODULE, ribbon_src)
            problems = wb.validate()
            if problems:
                raise ValueError("pyopenvba validation: " + "; ".join(problems))
            wb.save(out)
        with zipfile.ZipFile(out) as z:
            vba_bin = z.read("xl/vbaProject.bin")
    return _rename_project(vba_bin, PROJECT_NAME)


# ---------------------------------------------------------------- XML parts
def _content_types(xml: str) -> str:
    override = ('<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.ms-excel.addin.macroEnabled.main+xml" />')
    if override not in xml:
        raise ValueError("unexpected [Content_Types].xml in template")
    # customUI parts are served by <Default Extension="xml" ContentType="application/xml"/>,
    # which is what Office itself writes for them.
    if '<Default Extension="xml" ContentType="application/xml" />' not in xml:
        raise ValueError("template lost its xml Default content type")
    return xml


def _root_rels(xml: str) -> str:
    new, n = re.subn(
        r'<Relationship Id="(rId\d+)" Type="http://schemas\.microsoft\.com/office/200[67]/relationships/ui/extensibility" Target="[^"]*" />',
        rf'<Relationship Id="\1" Type="{CUSTOMUI_REL_TYPE}" Target="{CUSTOMUI_PART}" />',
        xml,
    )
    if n != 1:
        raise ValueError("template _rels/.rels has no customUI relationship")
    return new


def _workbook(xml: str) -> str:
    if 'name="_myaddin.conf"' not in xml or 'codeName="ThisWorkbook"' not in xml:
        raise ValueError("unexpected xl/workbook.xml in template")
    xml = xml.replace('name="_myaddin.conf"', f'name="{SHEET_NAME}"')
    # Drop the absolute path of the template author's machine.
    xml = re.sub(r"<mc:AlternateContent .*?</mc:AlternateContent>", "", xml, flags=re.S)
    return xml


def _sheet(xml: str) -> str:
    """The template's xlwings configuration sheet, emptied (nothing in the add-in reads a sheet)."""
    new, n = re.subn(r"<sheetData>.*</sheetData>", "<sheetData />", xml, flags=re.S)
    if n != 1:
        raise ValueError("unexpected xl/worksheets/sheet1.xml in template")
    return re.sub(r'<dimension ref="[^"]*" />', '<dimension ref="A1" />', new)


def _shared_strings(xml: str) -> str:
    new, n = re.subn(r'count="\d+" uniqueCount="\d+">.*</sst>', 'count="0" uniqueCount="0"></sst>', xml, flags=re.S)
    if n != 1:
        raise ValueError("unexpected xl/sharedStrings.xml in template")
    return new


def _core(xml: str) -> str:
    from xml.sax.saxutils import escape

    def sub(tag: str, value: str, text: str) -> str:
        new, n = re.subn(rf"<{tag} ?/>|<{tag}>[^<]*</{tag}>", f"<{tag}>{escape(value)}</{tag}>", text)
        if n != 1:
            raise ValueError(f"docProps/core.xml has no {tag}")
        return new

    xml = sub("dc:title", "KPI管理アドイン (KPIAddin)", xml)
    xml = sub("dc:description", "地方創生総合戦略のKPI進捗管理（検証・再計算・公表用出力）。xlwings 0.37.8 が必要です。", xml)
    xml = sub("dc:creator", PROJECT_NAME, xml)
    xml = sub("cp:lastModifiedBy", PROJECT_NAME, xml)
    xml = re.sub(r"(<dcterms:created [^>]*>)[^<]*(</dcterms:created>)", rf"\g<1>{DOC_DATE}\g<2>", xml)
    xml = re.sub(r"(<dcterms:modified [^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{DOC_DATE}\g<2>", xml)
    return xml


def build_parts(template: bytes | None = None) -> dict[str, bytes]:
    """Every part of the add-in package, by name, in PART_ORDER."""
    template = template_bytes() if template is None else template
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    expected = set(PART_ORDER) - {CUSTOMUI_PART} | {"customUI/customUI.xml"}
    if set(parts) != expected:
        raise ValueError(f"unexpected template parts: {sorted(set(parts) ^ expected)}")

    def text(name: str) -> str:
        return parts[name].decode("utf-8")

    del parts["customUI/customUI.xml"]
    parts["[Content_Types].xml"] = _content_types(text("[Content_Types].xml")).encode("utf-8")
    parts["_rels/.rels"] = _root_rels(text("_rels/.rels")).encode("utf-8")
    parts["xl/workbook.xml"] = _workbook(text("xl/workbook.xml")).encode("utf-8")
    parts["docProps/core.xml"] = _core(text("docProps/core.xml")).encode("utf-8")
    parts["xl/worksheets/sheet1.xml"] = _sheet(text("xl/worksheets/sheet1.xml")).encode("utf-8")
    parts["xl/sharedStrings.xml"] = _shared_strings(text("xl/sharedStrings.xml")).encode("utf-8")
    parts[CUSTOMUI_PART] = CUSTOMUI_SOURCE.read_bytes()
    parts["xl/vbaProject.bin"] = build_vba_project(template)
    return {name: parts[name] for name in PART_ORDER}


def write_package(parts: dict[str, bytes], out_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in PART_ORDER:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            z.writestr(info, parts[name], compresslevel=6)
    out_path.write_bytes(buf.getvalue())


def build(out_path: str | Path = HERE.parent / "addin" / "data" / f"{PROJECT_NAME}.xlam") -> Path:
    """Build the add-in at ``out_path`` and return that path."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_package(build_parts(), out)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = build(argv[0]) if argv else build()
    print(f"built {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
