"""Package adapter: the ``Book`` interface over the original bytes of an .xlsx/.xlsm, written by patching.

A clerk's workbook is not ours to re-serialise.  Reading parses the sheets straight from the package (lxml
iterparse, cost follows the cells present, not the ``dimension``).  Writing records the edits and then builds
new package bytes in which every part the tool does not own is copied unchanged (same entry names, same order,
same uncompressed bytes):

- the KPI sheet's XML changes only in the tool's own cells (computed columns, headers it adds) and in the tool's
  own conditional-format rules (recognised by ``HIGHLIGHT_MARK``); every other byte of the part is spliced through;
- the generated sheets (KPI達成状況, 検証結果) are rendered by the openpyxl renderer into a scratch workbook and
  transplanted as whole parts, their style indices remapped onto entries APPENDED to the original styles.xml;
- workbook.xml, its rels, [Content_Types].xml and calcChain.xml get the minimal edits this needs.

Text is written as inline strings, so sharedStrings.xml is never touched.  XML is parsed with a parser that
resolves no entities and loads nothing from the network.
"""
from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from ..core.findings import ERROR
from ..core.model import a1
from ..errors import WorkbookError
from ..core.cells import is_percent_format
from .files import HIGHLIGHT_MARK, _NoCachedValue

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = REL_NS + "/officeDocument"
WORKSHEET_REL = REL_NS + "/worksheet"
CALC_CHAIN_REL = REL_NS + "/calcChain"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

_M = "{%s}" % MAIN_NS
_C, _ROW, _V, _F, _IS, _T, _R, _RPH = (_M + x for x in ("c", "row", "v", "f", "is", "t", "r", "rPh"))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def parse_xml(data: bytes):
    """Parse a (small) part safely: no entity expansion, no network, no huge trees."""
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        raise WorkbookError(f"ブックの中のXMLが壊れています（{e.msg}）。Excelで開いて保存し直してください。") from e


def open_package(data: bytes, label: str | None = None) -> zipfile.ZipFile:
    """The ONE place a workbook package is opened: guard.open_package refuses hostile and odd files (zip bombs,
    DTDs, encrypted, .xls/.ods/CSV) before anything is parsed."""
    from .guard import open_package as guarded
    return guarded(data, name=label)


# ---------------------------------------------------------------------------------------------------------------
# A tiny tokenizer for splicing: top-level children of an element, with their exact byte (character) spans.

_TOKEN = re.compile(
    r"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<!DOCTYPE[^>]*>"
    r"|<(/?)(?:([A-Za-z_][\w.\-]*):)?([A-Za-z_][\w.\-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>", re.S)


@dataclass
class _El:
    local: str
    start: int
    end: int
    inner: tuple[int, int] | None  # content span, None when self-closing


def _children(text: str, start: int, end: int) -> list[_El]:
    """Top-level elements in text[start:end] (a parent's content)."""
    out, depth, cur = [], 0, None
    for m in _TOKEN.finditer(text, start, end):
        local = m.group(3)
        if local is None:
            continue
        if m.group(1):
            depth -= 1
            if depth == 0:
                out.append(_El(cur[0], cur[1], m.end(), (cur[2], m.start())))
        elif m.group(5):
            if depth == 0:
                out.append(_El(local, m.start(), m.end(), None))
        else:
            if depth == 0:
                cur = (local, m.start(), m.end())
            depth += 1
    return out


def _root(text: str) -> tuple[str, int, int]:
    """(prefix with colon or '', content start, content end) of the document element."""
    for m in _TOKEN.finditer(text):
        if m.group(3) is not None:
            prefix = (m.group(2) + ":") if m.group(2) else ""
            return prefix, m.end(), text.rfind("</")
    raise WorkbookError("ブックの中のXMLが空です。")


def _attr(tag: str, name: str) -> str | None:
    m = re.search(r"\s%s\s*=\s*(?:\"([^\"]*)\"|'([^']*)')" % re.escape(name), tag)
    if not m:
        return None
    return _unescape(m.group(1) if m.group(1) is not None else m.group(2))


def _set_attr(tag: str, name: str, value: str | None) -> str:
    """The start tag with attribute ``name`` set (or removed when value is None)."""
    rx = re.compile(r"\s%s\s*=\s*(?:\"[^\"]*\"|'[^']*')" % re.escape(name))
    if value is None:
        return rx.sub("", tag, count=1)
    new = f' {name}="{_esc_attr(value)}"'
    if rx.search(tag):
        return rx.sub(lambda m: new, tag, count=1)
    cut = len(tag) - (2 if tag.endswith("/>") else 1)
    return tag[:cut].rstrip() + new + tag[cut:]


def _start_tag(text: str, pos: int) -> str:
    return _TOKEN.match(text, pos).group(0)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esc_attr(s: str) -> str:
    return _esc(s).replace('"', "&quot;")


def _unescape(s: str) -> str:
    def ent(m):
        e = m.group(1)
        if e.startswith("#x"):
            return chr(int(e[2:], 16))
        if e.startswith("#"):
            return chr(int(e[1:]))
        return {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}.get(e, m.group(0))
    return re.sub(r"&(#x[0-9A-Fa-f]+|#\d+|\w+);", ent, s)


_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPED_X = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _text_xml(s: str) -> str:
    """Cell text as SpreadsheetML stores it: ``_xHHHH_`` for characters XML cannot carry."""
    s = _ESCAPED_X.sub(r"_x005F_\1", s)
    s = _ILLEGAL.sub(lambda m: "_x%04X_" % ord(m.group(0)), s)
    return _esc(s)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


_COLUMNS: dict[str, int] = {}
_R_ATTR = re.compile(r"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})""")
_S_ATTR = re.compile(r"""\ss\s*=\s*["'](\d+)""")


def _ref(ref: str) -> tuple[int, int]:
    """(row, column) of an A1 reference such as ``AB12`` or ``$AB$12``."""
    m = _REF.match(ref)
    letters = m.group(1)
    c = _COLUMNS.get(letters)
    if c is None:
        c = _COLUMNS[letters] = _col_index(letters)
    return int(m.group(2)), c


def _part_path(base: str, target: str) -> str:
    """Resolve a relationship target against the part that holds the relationship."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = []
    for p in (str(PurePosixPath(base).parent) + "/" + target).split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
        else:
            parts.append(p)
    return "/".join(parts)


def _rels_path(part: str) -> str:
    p = PurePosixPath(part)
    return str(p.parent / "_rels" / (p.name + ".rels"))


def _rels(z: zipfile.ZipFile, part: str) -> list[dict]:
    name = _rels_path(part)
    if name not in z.namelist():
        return []
    root = parse_xml(z.read(name))
    return [dict(el.attrib) for el in root if etree.QName(el).localname == "Relationship"]


def _decode(data: bytes) -> tuple[str, str]:
    """Text of a part and its encoding (UTF-8 unless the part says otherwise)."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    return data.decode("utf-8"), "utf-8"


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


# ---------------------------------------------------------------------------------------------------------------
# styles.xml: read what the reader needs, append what the writer needs (existing entries never change)

_STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                "tableStyles", "colors", "extLst")


def _key(el) -> tuple:
    """A comparable form of a style element (namespace-free), to find an equal entry instead of appending.
    A font's children count in any order (Excel reads them so; see _FONT_ORDER)."""
    local = etree.QName(el).localname
    kids = [_key(c) for c in el if isinstance(c.tag, str)]
    if local == "font":
        kids.sort()
    return (local, tuple(sorted((etree.QName(k).localname, v) for k, v in el.attrib.items())),
            (el.text or "").strip(), tuple(kids))


# CT_Font / CT_RPrElt: the schema's sequence (openpyxl writes fonts in another order; Excel reads either,
# the Open XML validator does not).  Fonts the tool appends are written in this order.
_FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
               "name", "rFont", "family", "charset", "scheme")


def _xml_of(el, prefix: str) -> str:
    """Serialise a style element with the target part's prefix for the main namespace."""
    local = etree.QName(el).localname
    tag = prefix + local
    attrs = "".join(f' {etree.QName(k).localname}="{_esc_attr(v)}"' for k, v in el.attrib.items())
    children = [c for c in el if isinstance(c.tag, str)]
    if local == "font":
        children.sort(key=lambda c: _FONT_ORDER.index(etree.QName(c).localname)
                      if etree.QName(c).localname in _FONT_ORDER else len(_FONT_ORDER))
    kids = "".join(_xml_of(c, prefix) for c in children)
    text = _esc(el.text) if el.text and el.text.strip() else ""
    return f"<{tag}{attrs}>{text}{kids}</{tag}>" if kids or text else f"<{tag}{attrs}/>"


def _el(xml: str):
    """An element in the main namespace from a snippet written without one."""
    return etree.fromstring(f'<w xmlns="{MAIN_NS}">{xml}</w>', _parser())[0]


class Styles:
    """styles.xml of the workbook: number-format facts for reading, find-or-append for writing."""

    def __init__(self, data: bytes | None):
        self.data = data
        self.text, self.encoding = _decode(data) if data else ("", "utf-8")
        self.root = parse_xml(data) if data else etree.Element(_M + "styleSheet")
        self.prefix = _root(self.text)[0] if data else ""
        self.lists: dict[str, list] = {}
        for name in ("fonts", "fills", "borders", "cellXfs", "dxfs"):
            box = self.root.find(_M + name)
            self.lists[name] = [c for c in box if isinstance(c.tag, str)] if box is not None else []
        self.keys = {k: [_key(e) for e in v] for k, v in self.lists.items()}
        self.custom = {int(e.get("numFmtId")): e.get("formatCode", "")
                       for e in self.root.iterfind(f"{_M}numFmts/{_M}numFmt") if e.get("numFmtId", "").isdigit()}
        self.added: dict[str, list[str]] = {k: [] for k in ("numFmts", "fonts", "fills", "borders", "cellXfs",
                                                           "dxfs")}

    # reading ------------------------------------------------------------------------------------------------
    def format_code(self, num_fmt_id: int) -> str | None:
        return self.custom[num_fmt_id] if num_fmt_id in self.custom else BUILTIN_FORMATS.get(num_fmt_id)

    def cell_facts(self) -> tuple[set[int], set[int], set[int]]:
        """Indices of cellXfs shown as percent, as dates, as durations."""
        percent, dates, deltas = set(), set(), set()
        for i, xf in enumerate(self.lists["cellXfs"]):
            try:
                fid = int(xf.get("numFmtId") or 0)
            except ValueError:
                fid = 0
            code = self.format_code(fid)
            if fid in (9, 10) or (code and is_percent_format(code)):
                percent.add(i)
            if code and is_date_format(code):
                dates.add(i)
            if code and is_timedelta_format(code):
                deltas.add(i)
        return percent, dates, deltas

    # writing ------------------------------------------------------------------------------------------------
    def add(self, kind: str, el) -> int:
        """Index of an entry equal to ``el`` in list ``kind``, appending it when there is none."""
        k = _key(el)
        keys = self.keys[kind]
        for i, existing in enumerate(keys):
            if existing == k:
                return i
        keys.append(k)
        self.lists[kind].append(el)
        self.added[kind].append(_xml_of(el, self.prefix))
        return len(keys) - 1

    def numfmt(self, code: str) -> int:
        for fid, c in BUILTIN_FORMATS.items():
            if c == code:
                return fid
        for fid, c in self.custom.items():
            if c == code:
                return fid
        fid = max([163] + list(self.custom)) + 1
        self.custom[fid] = code
        self.added["numFmts"].append(f'<{self.prefix}numFmt numFmtId="{fid}" formatCode="{_esc_attr(code)}"/>')
        return fid

    def xf(self, base: int, **changes) -> int:
        """A cellXfs entry like ``base`` with some attributes changed (found or appended)."""
        xfs = self.lists["cellXfs"]
        src = xfs[base] if 0 <= base < len(xfs) else _el('<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>')
        el = etree.fromstring(etree.tostring(src), _parser())
        for k, v in changes.items():
            el.set(k, str(v))
        return self.add("cellXfs", el)

    def to_bytes(self) -> bytes | None:
        """The new styles.xml, or None when nothing was appended."""
        if not any(self.added.values()):
            return None
        text = self.text
        prefix, start, end = _root(text)
        kids = _children(text, start, end)
        edits = []  # (start, end, replacement)
        for kind, items in self.added.items():
            if not items:
                continue
            el = next((k for k in kids if k.local == kind), None)
            count = len(self.custom) if kind == "numFmts" else len(self.keys[kind])
            if el is None:
                rank = _STYLE_ORDER.index(kind)
                after = [k for k in kids if k.local in _STYLE_ORDER and _STYLE_ORDER.index(k.local) > rank]
                at = after[0].start if after else end
                edits.append((at, at, f'<{prefix}{kind} count="{count}">' + "".join(items) + f"</{prefix}{kind}>"))
                continue
            tag = _start_tag(text, el.start)
            new_tag = _set_attr(tag, "count", str(count)) if _attr(tag, "count") is not None else tag
            if el.inner is None:
                new_tag = new_tag[:-2].rstrip() + ">"
                edits.append((el.start, el.end, new_tag + "".join(items) + f"</{prefix}{kind}>"))
            else:
                edits.append((el.start, el.start + len(tag), new_tag))
                edits.append((el.inner[1], el.inner[1], "".join(items)))
        return _encode(_splice(text, edits), self.encoding)


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for s, e, rep in sorted(edits, key=lambda x: (x[0], x[1])):
        out.append(text[pos:s])
        out.append(rep)
        pos = max(pos, e)
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------------

def _plain_text(el) -> str | None:
    """Plain text of a string item (rich text runs joined, phonetic runs left out), as openpyxl reads it."""
    parts = []
    t = el.find(_T)
    if t is not None and t.text is not None:
        parts.append(t.text)
    for r in el.iterfind(_R):
        rt = r.find(_T)
        if rt is not None and rt.text is not None:
            parts.append(rt.text)
    return "".join(parts)


def _cast_number(v: str):
    return float(v) if ("." in v or "E" in v or "e" in v) else int(v)


@dataclass
class _SheetEdits:
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    headers: dict[tuple[int, int], str] = field(default_factory=dict)
    formats: dict[int, str] = field(default_factory=dict)
    highlights: list[tuple[str, str, str]] | None = None


@dataclass
class _Sheet:
    name: str
    sheet_id: str
    rid: str
    part: str | None
    tag: str          # the <sheet .../> element's text in workbook.xml


_ROW_TAG = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(r"\sr\s*=\s*\"(\d+)\"")
_ROW_HIDDEN = re.compile(r"\shidden\s*=\s*\"(?:1|true)\"")


class PackageBook:
    """The ``Book`` interface over the original bytes of a workbook; ``to_bytes()`` gives the patched package."""

    def __init__(self, data: bytes, label: str = "ブック"):
        self.data = data
        self.label = label
        self.zip = open_package(data, label)
        self.names = self.zip.namelist()
        self.wb_part = self._workbook_part()
        self.wb_text, self.wb_encoding = _decode(self._read(self.wb_part))
        root = parse_xml(self._read(self.wb_part))
        ns = etree.QName(root).namespace
        if ns == STRICT_NS:
            raise WorkbookError(f"「{label}」は「Strict Open XML」形式です。Excelで通常の「Excelブック（.xlsx）」"
                                "形式で保存し直してください。")
        if ns != MAIN_NS:
            raise WorkbookError(f"「{label}」をExcelブック（.xlsx）として読み込めません（ブック本体の形式が違います）。")
        pr = root.find(_M + "workbookPr")
        self.epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") \
            else CALENDAR_WINDOWS_1900
        self.wb_rels = _rels(self.zip, self.wb_part)
        targets = {r.get("Id"): _part_path(self.wb_part, r.get("Target", "")) for r in self.wb_rels
                   if r.get("TargetMode") != "External"}
        prefix, start, end = _root(self.wb_text)
        self.wb_prefix = prefix
        kids = _children(self.wb_text, start, end)
        self._wb_kids = kids
        sheets_el = next((k for k in kids if k.local == "sheets"), None)
        self.sheets: list[_Sheet] = []
        if sheets_el is not None and sheets_el.inner:
            for k in _children(self.wb_text, *sheets_el.inner):
                tag = self.wb_text[k.start:k.end]
                rid = next((v for a, v in re.findall(r"\s([\w.\-]+:id)\s*=\s*\"([^\"]*)\"", tag)), None)
                self.sheets.append(_Sheet(_attr(tag, "name") or "", _attr(tag, "sheetId") or "0", rid or "",
                                          targets.get(rid), tag))
        self._styles: Styles | None = None
        self._facts = None
        self._shared: list[str] | None = None
        self._blocks: dict[str, tuple[list[list], set]] = {}
        self._regex_cache: dict[str, tuple] = {}
        self._style_cache: dict[tuple, int | None] = {}
        self._edits: dict[str, _SheetEdits] = {}
        self._plans: list[tuple[object, str | None]] = []
        self._names: dict[str, str | None] = {}

    # package access ---------------------------------------------------------------------------------------
    def _read(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except KeyError as e:
            raise WorkbookError(f"「{self.label}」の中に必要な部品（{name}）がありません。ファイルが壊れています。") from e

    def _workbook_part(self) -> str:
        if "_rels/.rels" in self.names:
            for r in _rels(self.zip, ""):
                if r.get("Type") == OFFICE_DOC:
                    return _part_path("", r.get("Target", ""))
        if "xl/workbook.xml" in self.names:
            return "xl/workbook.xml"
        raise WorkbookError(f"「{self.label}」をExcelブック（.xlsx）として読み込めません（ブック本体がありません）。")

    @property
    def styles(self) -> Styles:
        if self._styles is None:
            part = self._related(self.wb_rels, "/styles")
            self._styles_part = part
            self._styles = Styles(self._read(part) if part else None)
        return self._styles

    def _related(self, rels, suffix) -> str | None:
        for r in rels:
            if r.get("Type", "").endswith(suffix) and r.get("TargetMode") != "External":
                return _part_path(self.wb_part, r.get("Target", ""))
        return None

    def _shared_strings(self) -> list[str]:
        if self._shared is None:
            part = self._related(self.wb_rels, "/sharedStrings")
            out: list[str] = []
            if part and part in self.names:
                for _, el in etree.iterparse(io.BytesIO(self._read(part)), events=("end",), tag=_M + "si",
                                             resolve_entities=False, no_network=True, huge_tree=False):
                    out.append((_plain_text(el) or "").replace("x005F_", ""))
                    el.clear()
            self._shared = out
        return self._shared

    def _sheet(self, name: str) -> _Sheet:
        for s in self.sheets:
            if s.name == name:
                if s.part is None or s.part not in self.names:
                    raise WorkbookError(f"「{self.label}」のシート「{name}」の中身がありません。ファイルが壊れています。")
                return s
        raise WorkbookError(f"シート「{name}」が見つかりません。")

    # Book protocol: reading ---------------------------------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def read_block(self, sheet):
        """All values from A1 to the last row and column holding something (whitespace-only text at the end
        counts as nothing), and the numeric cells shown as %.  Formulas give their cached results."""
        if sheet not in self._blocks:  # the package never changes under us: each sheet is parsed once
            self._blocks[sheet] = self._read_block(self._read(self._sheet(sheet).part))
        return self._blocks[sheet]

    def hidden_rows(self, sheet) -> set[int]:
        """Rows the clerk hid (``<row hidden="1">``): one pass over the row start tags, so the cost follows the
        rows present in the file, not the sheet's dimension."""
        text, _ = _decode(self._read(self._sheet(sheet).part))
        out: set[int] = set()
        n = 0
        for tag in _ROW_TAG.finditer(text):
            attrs = tag.group(1)
            m = _ROW_NUMBER.search(attrs)
            n = int(m.group(1)) if m else n + 1
            if _ROW_HIDDEN.search(attrs):
                out.add(n)
        return out

    def _read_block(self, data: bytes):
        if self._facts is None:
            self._facts = self.styles.cell_facts()
        pct_styles, date_styles, delta_styles = self._facts
        shared = None
        rows: dict[int, dict[int, object]] = {}
        percent: set[tuple[int, int]] = set()
        r, c = 0, 0
        row_no, in_row = 0, False  # the last row finished; whether a cell of the current row was seen
        try:
            for _, el in etree.iterparse(io.BytesIO(data), events=("end",), tag=(_ROW, _C),
                                         resolve_entities=False, no_network=True, huge_tree=False):
                if el.tag == _ROW:
                    rr = el.get("r")
                    row_no = int(rr) if rr else (r if in_row else row_no + 1)
                    in_row = False
                    el.clear()
                    while el.getprevious() is not None:
                        del el.getparent()[0]
                    continue
                ref = el.get("r")
                if ref:
                    r, c = _ref(ref)
                else:
                    if not in_row:  # the first cell of a row, and it has no reference: count from the row
                        r, c = int(el.getparent().get("r") or row_no + 1), 0
                    c += 1
                in_row = True
                t = el.get("t", "n")
                s = int(el.get("s") or 0)
                f = el.find(_F)
                if t == "inlineStr":
                    node = el.find(_IS)
                    value = _plain_text(node) if node is not None else None
                else:
                    v = el.findtext(_V) or None
                    value = None
                    if v is not None:
                        if t == "n":
                            value = _cast_number(v)
                            if s in date_styles:
                                try:
                                    value = from_excel(value, self.epoch, timedelta=s in delta_styles)
                                except (OverflowError, ValueError):
                                    value = "#VALUE!"
                        elif t == "s":
                            if shared is None:
                                shared = self._shared_strings()
                            try:
                                value = shared[int(v)]
                            except (IndexError, ValueError) as e:
                                raise WorkbookError(f"「{self.label}」の文字列の表が壊れています（{ref or ''}）。"
                                                    "Excelで開いて保存し直してください。") from e
                        elif t == "b":
                            value = bool(int(v))
                        elif t == "d":
                            value = from_ISO8601(v)
                        else:  # str, e
                            value = v
                if f is not None:
                    if value is None:
                        value = _NoCachedValue("=" + (f.text or ""))
                elif value is not None and isinstance(value, (int, float)) and s in pct_styles:
                    percent.add((r, c))
                if value is not None:
                    rows.setdefault(r, {})[c] = value
                el.clear()
        except etree.XMLSyntaxError as e:
            raise WorkbookError(f"「{self.label}」のシートのXMLが壊れています（{e.msg}）。"
                                "Excelで開いて保存し直してください。") from e
        return _block(rows), percent

    # Book protocol: writing (recorded, applied by to_bytes) -------------------------------------------------
    def write_columns(self, sheet, first_row, columns, headers, header_row, formats):
        ed = self._edits.setdefault(sheet, _SheetEdits())
        for c, values in columns.items():
            for i, v in enumerate(values):
                ed.cells[(first_row + i, c)] = v
        for c, text in headers.items():
            ed.headers[(header_row, c)] = text
        ed.formats.update(formats)

    def replace_sheet(self, plan, after=None):
        self._plans = [(p, a) for p, a in self._plans if p.name != plan.name] + [(plan, after)]

    def set_highlights(self, sheet, rules):
        self._edits.setdefault(sheet, _SheetEdits()).highlights = list(rules)

    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped defined names → refers-to text (pending changes included)."""
        out = {}
        for el in self._defined_name_elements():
            tag = _start_tag(self.wb_text, el.start)
            if _attr(tag, "localSheetId") is None and el.inner:
                out[_attr(tag, "name")] = _unescape(self.wb_text[el.inner[0]:el.inner[1]])
        for name, text in self._names.items():
            out = {k: v for k, v in out.items() if k.lower() != name.lower()}
            if text is not None:
                out[name] = text
        return out

    def set_defined_names(self, names: dict[str, str | None]) -> None:
        """Add or replace workbook-scoped names (hidden); None deletes."""
        self._names.update(names)

    def _defined_name_elements(self) -> list[_El]:
        dn = next((k for k in self._wb_kids if k.local == "definedNames"), None)
        if dn is None or dn.inner is None:
            return []
        return [k for k in _children(self.wb_text, *dn.inner) if k.local == "definedName"]

    # building the new package ---------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The patched package: unchanged parts copied, the tool's own edits spliced in."""
        parts: dict[str, bytes] = {}
        removed: set[str] = set()
        calc_drop: dict[str, set | None] = {}  # sheetId → cell refs whose formulas go (None: every cell)
        for sheet, ed in self._edits.items():
            s = self._sheet(sheet)
            new, dropped = self._patch_sheet(self._read(s.part), ed)
            parts[s.part] = new
            if dropped:
                calc_drop.setdefault(s.sheet_id, set()).update(dropped)
        wb = _WorkbookEdit(self)
        if self._plans:
            self._transplant(parts, removed, wb, calc_drop)
        for name, text in self._names.items():
            wb.set_global_name(name, text)
        self._drop_calc_chain(calc_drop, parts, removed, wb)
        if self._styles is not None:
            st = self._styles.to_bytes()
            if st is not None:
                parts[self._styles_part] = st
        parts.update(wb.parts())
        return _write_zip(self.zip, parts, removed)

    # the KPI sheet ------------------------------------------------------------------------------------------
    def _patch_sheet(self, data: bytes, ed: _SheetEdits) -> tuple[bytes, set[str]]:
        text, encoding = _decode(data)
        p, start, end = _root(text)
        sd = re.compile(r"<%ssheetData\b[^>]*?(/?)>" % re.escape(p)).search(text, start, end)
        if sd is None:
            raise WorkbookError("シートにセルの領域（sheetData）がありません。ファイルが壊れています。")
        if sd.group(1):
            sd_inner = (sd.end(), sd.end())
            sd_end = sd.end()
        else:
            close = text.find(f"</{p}sheetData>", sd.end())
            sd_inner, sd_end = (sd.end(), close), close + len(f"</{p}sheetData>")
        edits: list[tuple[int, int, str]] = []
        if sd.group(1):
            edits.append((sd.start(), sd.end(), sd.group(0)[:-2].rstrip() + ">"))
        by_row: dict[int, dict[int, tuple[object, str]]] = {}
        for (r, c), v in ed.cells.items():
            by_row.setdefault(r, {})[c] = (v, "value")
        for (r, c), v in ed.headers.items():
            by_row.setdefault(r, {})[c] = (v, "header")
        dropped: set[str] = set()
        rx_row = re.compile(r"<%srow\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(?:/>|>(.*?)</%srow>)"
                            % (re.escape(p), re.escape(p)), re.S)
        r = 0
        pending = sorted(by_row)  # rows to write, in order: one pass over the sheet's rows
        i = 0
        for m in rx_row.finditer(text, sd_inner[0], sd_inner[1]):
            r_attr = _attr(m.group(0)[:m.group(0).find(">") + 1], "r")
            r = int(r_attr) if r_attr else r + 1
            while i < len(pending) and pending[i] < r:
                edits.append((m.start(), m.start(), self._new_row(p, pending[i], by_row[pending[i]], ed, dropped)))
                i += 1
            if i < len(pending) and pending[i] == r:
                edits.append((m.start(), m.end(), self._patch_row(p, m, r, by_row[r], ed, dropped)))
                i += 1
        for nr in pending[i:]:
            edits.append((sd_inner[1], sd_inner[1], self._new_row(p, nr, by_row[nr], ed, dropped)))
        # dimension: grows only when the tool's cells lie outside it
        written = [(r, c) for r, cols in by_row.items() for c, (v, _) in cols.items() if v is not None]
        dim = re.compile(r"<%sdimension\b[^>]*>" % re.escape(p)).search(text, start, sd.start())
        if dim is not None and written:
            ref = _attr(dim.group(0), "ref") or "A1"
            lo, _, hi = ref.partition(":")
            hi = hi or lo
            try:
                (r1, c1), (r2, c2) = _ref(lo), _ref(hi)
                nr2 = max([r2] + [w[0] for w in written])
                nc2 = max([c2] + [w[1] for w in written])
                if (nr2, nc2) != (r2, c2):
                    edits.append((dim.start(), dim.end(), _set_attr(dim.group(0), "ref", f"{a1(r1, c1)}:{a1(nr2, nc2)}")))
            except (AttributeError, ValueError):
                pass
        if ed.highlights is not None:
            edits.extend(self._highlight_edits(text, p, sd_end, end, ed.highlights))
        return _encode(_splice(text, edits), encoding), dropped

    def _cell_regexes(self, p):
        if p not in self._regex_cache:
            self._regex_cache[p] = (
                re.compile(r"<%sc\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(?:/>|>(.*?)</%sc>)" % (re.escape(p), re.escape(p)),
                           re.S),
                re.compile(r"<%sf\b" % re.escape(p)))
        return self._regex_cache[p]

    def _cell_xml(self, p, r, c, value, kind, old_style: int | None, fmt: str | None) -> str:
        key = (kind, old_style, fmt)
        if key not in self._style_cache:
            self._style_cache[key] = self._owned_style(kind, old_style, fmt)
        s = self._style_cache[key]
        ref = a1(r, c)
        sa = f' s="{s}"' if s else ""
        if value is None:
            return f'<{p}c r="{ref}"{sa}/>' if sa else ""
        if isinstance(value, bool):
            return f'<{p}c r="{ref}"{sa} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
        if isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                return f'<{p}c r="{ref}"{sa}/>' if sa else ""
            return f'<{p}c r="{ref}"{sa}><{p}v>{value!r}</{p}v></{p}c>'
        text = str(value)
        space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
        return f'<{p}c r="{ref}"{sa} t="inlineStr"><{p}is><{p}t{space}>{_text_xml(text)}</{p}t></{p}is></{p}c>'

    def _owned_style(self, kind, old_style: int | None, fmt: str | None) -> int | None:
        """The style index of a cell the tool writes: its own look kept, the header look or the column's number
        format applied (an equal entry is reused, otherwise one is appended)."""
        st = self.styles
        s = old_style
        if kind == "header":
            font = st.add("fonts", _el('<font><b val="1"/><sz val="10"/><name val="游ゴシック"/></font>'))
            fill = st.add("fills", _el('<fill><patternFill patternType="solid"><fgColor rgb="00BFBFBF"/>'
                                       '<bgColor rgb="00BFBFBF"/></patternFill></fill>'))
            s = st.xf(old_style or 0, fontId=font, fillId=fill, applyFont=1, applyFill=1)
        elif fmt is not None:
            base = old_style or 0
            xfs = st.lists["cellXfs"]
            cur = st.format_code(int(xfs[base].get("numFmtId") or 0)) if base < len(xfs) else None
            if cur != fmt:
                s = st.xf(base, numFmtId=st.numfmt(fmt), applyNumberFormat=1)
        return s

    def _new_row(self, p, r, cols, ed, dropped) -> str:
        cells = "".join(self._cell_xml(p, r, c, v, kind, None, ed.formats.get(c) if kind == "value" else None)
                        for c, (v, kind) in sorted(cols.items()))
        return f'<{p}row r="{r}">{cells}</{p}row>' if cells else ""

    def _patch_row(self, p, m, r, cols, ed, dropped) -> str:
        whole = m.group(0)
        head = whole[:whole.find(">") + 1]
        if m.group(2) is None:  # <row .../>
            head = head[:-2].rstrip() + ">"
            inner = ""
        else:
            inner = m.group(2)
        rx_c, rx_f = self._cell_regexes(p)
        edits = []
        c = 0
        todo = dict(cols)
        first_todo = min(todo)
        for cm in rx_c.finditer(inner):
            ref = _R_ATTR.search(cm.group(1))
            c = _ref(ref.group(1) + "1")[1] if ref else c + 1
            if c < first_todo:
                continue
            for nc in sorted(k for k in todo if k < c):
                v, kind = todo.pop(nc)
                edits.append((cm.start(), cm.start(),
                              self._cell_xml(p, r, nc, v, kind, None, ed.formats.get(nc) if kind == "value" else None)))
            if c in todo:
                v, kind = todo.pop(c)
                s = _S_ATTR.search(cm.group(1))
                if cm.group(2) and rx_f.search(cm.group(2)):
                    dropped.add(a1(r, c))
                edits.append((cm.start(), cm.end(), self._cell_xml(
                    p, r, c, v, kind, int(s.group(1)) if s else None,
                    ed.formats.get(c) if kind == "value" else None)))
            if not todo:
                break
            first_todo = min(todo)
        if todo:
            ext = re.search(r"<%sextLst\b" % re.escape(p), inner)
            at = ext.start() if ext else len(inner)
            for nc in sorted(todo):
                v, kind = todo[nc]
                edits.append((at, at, self._cell_xml(p, r, nc, v, kind, None,
                                                     ed.formats.get(nc) if kind == "value" else None)))
        spans = _attr(head, "spans")
        if spans and re.fullmatch(r"\d+:\d+", spans):
            lo, hi = (int(x) for x in spans.split(":"))
            nlo, nhi = min([lo] + list(cols)), max([hi] + list(cols))
            if (nlo, nhi) != (lo, hi):
                head = _set_attr(head, "spans", f"{nlo}:{nhi}")
        return head + _splice(inner, edits) + f"</{p}row>"

    def _highlight_edits(self, text, p, tail_start, end, rules) -> list[tuple[int, int, str]]:
        """Replace the tool's own conditional-format rules (marked) by ``rules``; the clerk's are kept."""
        from ..ops import HIGHLIGHT_COLOURS
        kids = _children(text, tail_start, end)
        edits = []
        cfs = [k for k in kids if k.local == "conditionalFormatting"]
        for k in cfs:
            rules_in = [x for x in _children(text, *k.inner) if x.local == "cfRule"] if k.inner else []
            ours = [x for x in rules_in if HIGHLIGHT_MARK in _unescape(text[x.start:x.end])]
            if not ours:
                continue
            if len(ours) == len(rules_in):
                edits.append((k.start, k.end, ""))
            else:
                edits.extend((x.start, x.end, "") for x in ours)
        ours_spans = [(s, e) for s, e, _ in edits]
        prios = [int(x) for x in re.findall(r'\spriority="(\d+)"', text[tail_start:end])]
        for s, e in ours_spans:
            for x in re.findall(r'\spriority="(\d+)"', text[s:e]):
                prios.remove(int(x))
        prio = max(prios, default=0)
        by_range: dict[str, list[str]] = {}
        for severity, sqref, formula in rules:
            bg, fg = HIGHLIGHT_COLOURS[severity]
            dxf = self.styles.add("dxfs", _el(
                f'<dxf><font><color rgb="00{fg}"/></font><fill><patternFill patternType="solid">'
                f'<fgColor rgb="00{bg}"/><bgColor rgb="00{bg}"/></patternFill></fill></dxf>'))
            prio += 1
            stop = ' stopIfTrue="1"' if severity == ERROR else ""
            by_range.setdefault(sqref, []).append(
                f'<{p}cfRule type="expression" dxfId="{dxf}" priority="{prio}"{stop}>'
                f'<{p}formula>{_esc(f"AND({HIGHLIGHT_MARK},{formula})")}</{p}formula></{p}cfRule>')
        new = "".join(f'<{p}conditionalFormatting sqref="{_esc_attr(r)}">{"".join(x)}</{p}conditionalFormatting>'
                      for r, x in by_range.items())
        if new:
            at = _insert_at(kids, "conditionalFormatting", _SHEET_ORDER, end)
            edits.append((at, at, new))
        return edits

    # the generated sheets -----------------------------------------------------------------------------------
    def _transplant(self, parts, removed, wb: "_WorkbookEdit", calc_drop):
        from openpyxl import Workbook

        from .files import render_plan
        scratch = Workbook()
        first = scratch.active
        for plan, _ in self._plans:
            render_plan(scratch, plan)
        scratch.remove(first)
        buf = io.BytesIO()
        scratch.save(buf)
        sz = zipfile.ZipFile(buf)
        src = PackageBook(buf.getvalue(), "scratch")
        src_styles = src.styles
        xf_map: dict[int, int] = {}
        src_names = src._all_defined_names()
        src_order = src.sheet_names()
        for plan, after in self._plans:
            s_src = src._sheet(plan.name)
            xml = sz.read(s_src.part).decode("utf-8")
            links = {r["Id"]: r.get("Target", "") for r in _rels(sz, s_src.part)}
            xml = self._remap_sheet(xml, src_styles, xf_map, links)
            existing = next((s for s in self.sheets if s.name == plan.name), None)
            if existing is not None and existing.part and existing.part.startswith("xl/") and \
                    any(r.get("Id") == existing.rid and r.get("Type") == WORKSHEET_REL for r in self.wb_rels):
                parts[existing.part] = xml.encode("utf-8")
                rels = _rels_path(existing.part)
                if rels in self.names:
                    removed.add(rels)
                calc_drop[existing.sheet_id] = None
                pos = wb.position(plan.name)
            else:
                if existing is not None:  # a chart sheet or dialog with our name: the clerk's, not replaced
                    raise WorkbookError(f"シート「{plan.name}」はワークシートではありません（グラフシートなど）。"
                                        "名前を変えてから、もう一度実行してください。")
                part = wb.new_part()
                parts[part] = xml.encode("utf-8")
                pos = wb.add_sheet(plan.name, part, after)
            wb.replace_local_names(pos, {n: t for n, lid, t in src_names if lid == src_order.index(plan.name)})

    def _all_defined_names(self) -> list[tuple[str, int | None, str]]:
        """Every defined name as (name, localSheetId or None, refers-to text)."""
        out = []
        for el in self._defined_name_elements():
            tag = _start_tag(self.wb_text, el.start)
            lid = _attr(tag, "localSheetId")
            out.append((_attr(tag, "name"), int(lid) if lid is not None and lid.isdigit() else None,
                        _unescape(self.wb_text[el.inner[0]:el.inner[1]]) if el.inner else ""))
        return out

    def _remap_sheet(self, xml: str, src_styles: Styles, xf_map: dict[int, int], links: dict[str, str]) -> str:
        st = self.styles

        def target_xf(i: int) -> int:
            if i not in xf_map:
                xf = etree.fromstring(etree.tostring(src_styles.lists["cellXfs"][i]), _parser())
                for attr, kind in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
                    idx = int(xf.get(attr) or 0)
                    xf.set(attr, str(st.add(kind, src_styles.lists[kind][idx])))
                fid = int(xf.get("numFmtId") or 0)
                if fid >= 164:
                    xf.set("numFmtId", str(st.numfmt(src_styles.custom[fid])))
                xf.set("xfId", "0")
                xf_map[i] = st.add("cellXfs", xf)
            return xf_map[i]

        def cell(m):
            return m.group(1) + str(target_xf(int(m.group(2)))) + m.group(3)
        xml = re.sub(r'(<(?:c|row)\b[^>]*?\ss=")(\d+)(")', cell, xml)
        xml = re.sub(r'(<col\b[^>]*?\sstyle=")(\d+)(")', cell, xml)

        def link(m):
            tag = m.group(0)
            rid = _attr(tag, "r:id")
            target = links.get(rid, "")
            ref = _attr(tag, "ref")
            if target.startswith("#"):
                return f'<hyperlink ref="{_esc_attr(ref)}" location="{_esc_attr(target[1:])}"/>'
            return ""
        xml = re.sub(r"<hyperlink\b[^>]*/>", link, xml)
        xml = xml.replace(' tabSelected="1"', "")  # only the clerk's active sheet is selected
        return xml.replace("<hyperlinks></hyperlinks>", "")

    def _drop_calc_chain(self, calc_drop, parts, removed, wb):
        part = self._related(self.wb_rels, "/calcChain")
        if not calc_drop or not part or part not in self.names:
            return
        text, enc = _decode(self._read(part))
        p, start, end = _root(text)
        keep_any, edits, sheet = False, [], None
        for k in _children(text, start, end):
            tag = text[k.start:k.end]
            i = _attr(tag, "i")
            sheet = i if i is not None else sheet
            if sheet in calc_drop and (calc_drop[sheet] is None or _attr(tag, "r") in calc_drop[sheet]):
                edits.append((k.start, k.end, ""))
            else:
                if i is None and edits and edits[-1][1] == k.start:  # its sheet came from a removed entry
                    tag2 = _set_attr(_start_tag(text, k.start), "i", sheet)
                    edits.append((k.start, k.start + len(_start_tag(text, k.start)), tag2))
                keep_any = True
        if not edits:
            return
        if keep_any:
            parts[part] = _encode(_splice(text, edits), enc)
        else:
            removed.add(part)
            wb.drop_part(part, CALC_CHAIN_REL)


_SHEET_ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
                "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
                "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
                "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
                "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
                "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                "tableParts", "extLst")
_WORKBOOK_ORDER = ("fileVersion", "fileSharing", "workbookPr", "appProtection", "workbookProtection", "bookViews",
                   "sheets", "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                   "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                   "fileRecoveryPr", "webPublishObjects", "extLst")


def _insert_at(kids: list[_El], name: str, order: tuple[str, ...], end: int) -> int:
    """Where an element ``name`` goes among ``kids`` by the schema's order: after the last of its kind or
    of any element before it, before the first element that must follow it."""
    rank = order.index(name)
    for k in kids:
        local = k.local
        if local == "AlternateContent":
            continue  # a wrapped element (controls, oleObjects): everything we insert goes before those anyway
        if local in order and order.index(local) > rank:
            return k.start
    alt = [k for k in kids if k.local == "AlternateContent"]
    return alt[0].start if alt else end


def _block(rows: dict[int, dict[int, object]]) -> list[list]:
    """A rectangular block from sparse cells, trimmed after the last row/column holding something."""
    def blank(v):
        return v is None or (isinstance(v, str) and not v.strip())
    last_r = max((r for r, cols in rows.items() if any(not blank(v) for v in cols.values())), default=0)
    width = max((c for r, cols in rows.items() if r <= last_r for c, v in cols.items() if v is not None), default=0)
    empty = [None] * width  # shared by every empty row: readers never mutate a block
    out = []
    for r in range(1, last_r + 1):
        cols = rows.get(r)
        if not cols:
            out.append(empty)
            continue
        row = [None] * width
        for c, v in cols.items():
            if c <= width:
                row[c - 1] = v
        out.append(row)
    return out


@dataclass
class _Name:
    name: str
    local: int | None
    text: str | None = None          # new refers-to text (None: keep the original element)
    original: str | None = None      # the element as it was in workbook.xml
    shifted: bool = False
    hidden: bool = False


class _WorkbookEdit:
    """The edits to workbook.xml, its rels and [Content_Types].xml that adding sheets and names needs."""

    def __init__(self, book: PackageBook):
        self.book = book
        self.order = [s.name for s in book.sheets]
        self.sheet_tags = {s.name: s.tag for s in book.sheets}
        self.names: list[_Name] = []
        for el in book._defined_name_elements():
            tag = _start_tag(book.wb_text, el.start)
            lid = _attr(tag, "localSheetId")
            self.names.append(_Name(_attr(tag, "name") or "", int(lid) if lid is not None and lid.isdigit() else None,
                                    original=book.wb_text[el.start:el.end]))
        self.new_parts: set[str] = set()
        self.new_rels: list[str] = []
        self.new_types: list[str] = []
        self.dropped_rels: set[str] = set()
        self.dropped_types: set[str] = set()
        self.changed = False
        self.shift_from: list[int] = []
        rids = [r.get("Id", "") for r in book.wb_rels]
        self.next_rid = 1 + max([int(x[3:]) for x in rids if re.fullmatch(r"rId\d+", x)] + [0])
        self.next_sheet_id = 1 + max([int(s.sheet_id) for s in book.sheets if s.sheet_id.isdigit()] + [0])

    def position(self, name: str) -> int:
        return self.order.index(name)

    def new_part(self) -> str:
        used = set(self.book.names) | self.new_parts
        n = 1
        while f"xl/worksheets/sheet{n}.xml" in used:
            n += 1
        self.new_parts.add(f"xl/worksheets/sheet{n}.xml")
        return f"xl/worksheets/sheet{n}.xml"

    def add_sheet(self, name: str, part: str, after: str | None) -> int:
        """Insert a sheet after ``after`` (or last); sheet-local names and tab indices behind it shift."""
        pos = self.order.index(after) + 1 if after in self.order else len(self.order)
        rid = f"rId{self.next_rid}"
        self.next_rid += 1
        sid = self.next_sheet_id
        self.next_sheet_id += 1
        rp = self._r_prefix()
        self.sheet_tags[name] = (f'<{self.book.wb_prefix}sheet xmlns:{rp}="{REL_NS}" name="{_esc_attr(name)}" '
                                 f'sheetId="{sid}" {rp}:id="{rid}"/>')
        self.order.insert(pos, name)
        for n in self.names:
            if n.local is not None and n.local >= pos:
                n.local += 1
                n.shifted = True
        self.shift_from.append(pos)
        target = _relative(self.book.wb_part, part)
        self.new_rels.append(f'<Relationship Id="{rid}" Type="{WORKSHEET_REL}" Target="{target}"/>')
        self.new_types.append(f'<Override PartName="/{part}" ContentType="{WORKSHEET_CT}"/>')
        self.changed = True
        return pos

    def _r_prefix(self) -> str:
        for tag in self.sheet_tags.values():
            m = re.search(r"\s([\w.\-]+):id\s*=", tag)
            if m:
                return m.group(1)
        return "r"

    def replace_local_names(self, pos: int, names: dict[str, str]):
        """The generated sheet's own names (print titles), replacing those it had."""
        for name, text in names.items():
            self.names = [n for n in self.names if not (n.name == name and n.local == pos)]
            self.names.append(_Name(name, pos, text))
        self.changed = True

    def set_global_name(self, name: str, text: str | None):
        self.names = [n for n in self.names if not (n.local is None and n.name.lower() == name.lower())]
        if text is not None:
            self.names.append(_Name(name, None, text, hidden=True))
        self.changed = True

    def drop_part(self, part: str, rel_type: str):
        self.dropped_rels.add(rel_type)
        self.dropped_types.add("/" + part)
        self.changed = True

    def _names_xml(self, p: str) -> list[str]:
        out = []
        for n in self.names:
            if n.text is None and not n.shifted:
                out.append(n.original)
            elif n.text is None:
                tag = _start_tag(n.original, 0)
                out.append(_set_attr(tag, "localSheetId", str(n.local)) + n.original[len(tag):])
            else:
                attrs = f' name="{_esc_attr(n.name)}"'
                if n.local is not None:
                    attrs += f' localSheetId="{n.local}"'
                if n.hidden:
                    attrs += ' hidden="1"'
                out.append(f"<{p}definedName{attrs}>{_esc(n.text)}</{p}definedName>")
        return out

    def parts(self) -> dict[str, bytes]:
        if not self.changed:
            return {}
        b = self.book
        text, p, kids = b.wb_text, b.wb_prefix, b._wb_kids
        edits = []
        sheets_el = next((k for k in kids if k.local == "sheets"), None)
        if sheets_el is not None and [s.name for s in b.sheets] != self.order:
            inner = "".join(self.sheet_tags[n] for n in self.order)
            if sheets_el.inner is None:
                edits.append((sheets_el.start, sheets_el.end, f"<{p}sheets>{inner}</{p}sheets>"))
            else:
                edits.append((sheets_el.inner[0], sheets_el.inner[1], inner))
        dn_xml = self._names_xml(p)
        dn = next((k for k in kids if k.local == "definedNames"), None)
        if dn is not None:
            if dn_xml:
                tag = _start_tag(text, dn.start)
                if dn.inner is None:
                    tag = tag[:-2].rstrip() + ">"
                new = tag + "".join(dn_xml) + f"</{p}definedNames>"
                if new != text[dn.start:dn.end]:
                    edits.append((dn.start, dn.end, new))
            else:
                edits.append((dn.start, dn.end, ""))
        elif dn_xml:
            at = _insert_at(kids, "definedNames", _WORKBOOK_ORDER, _root(text)[2])
            edits.append((at, at, f"<{p}definedNames>{''.join(dn_xml)}</{p}definedNames>"))
        # bookViews: the active and first visible tab follow the sheets they pointed at
        bv = next((k for k in kids if k.local == "bookViews"), None)
        if bv is not None and bv.inner and self.shift_from:
            for v in _children(text, *bv.inner):
                tag = _start_tag(text, v.start)
                new = tag
                for a in ("activeTab", "firstSheet"):
                    val = _attr(tag, a)
                    if val and val.isdigit():
                        i = int(val)
                        for pos in self.shift_from:
                            if i >= pos:
                                i += 1
                        if i != int(val):
                            new = _set_attr(new, a, str(i))
                if new != tag:
                    edits.append((v.start, v.start + len(tag), new))
        out = {}
        if edits:
            out[b.wb_part] = _encode(_splice(text, edits), b.wb_encoding)
        if self.new_rels or self.dropped_rels:
            name = _rels_path(b.wb_part)
            out[name] = _edit_list(b._read(name), "Relationship", self.new_rels,
                                   lambda tag: _attr(tag, "Type") in self.dropped_rels)
        if self.new_types or self.dropped_types:
            out["[Content_Types].xml"] = _edit_list(b._read("[Content_Types].xml"), "Override", self.new_types,
                                                    lambda tag: _attr(tag, "PartName") in self.dropped_types)
        return out


def _edit_list(data: bytes, local: str, add: list[str], drop) -> bytes:
    text, enc = _decode(data)
    p, start, end = _root(text)
    edits = [(k.start, k.end, "") for k in _children(text, start, end)
             if k.local == local and drop(text[k.start:k.end])]
    if p:
        add = [a.replace(f"<{local} ", f"<{p}{local} ") for a in add]
    edits.append((end, end, "".join(add)))
    return _encode(_splice(text, edits), enc)


def _relative(base: str, part: str) -> str:
    base_dir = str(PurePosixPath(base).parent)
    if part.startswith(base_dir + "/"):
        return part[len(base_dir) + 1:]
    return "/" + part


def _write_zip(src: zipfile.ZipFile, parts: dict[str, bytes], removed: set[str]) -> bytes:
    """Every entry in its original order; changed parts replaced, new parts appended."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        seen = set()
        for info in src.infolist():
            if info.filename in removed or info.filename in seen:
                continue
            seen.add(info.filename)
            zi = zipfile.ZipInfo(info.filename, info.date_time)
            zi.compress_type = info.compress_type if info.compress_type in (zipfile.ZIP_STORED,
                                                                              zipfile.ZIP_DEFLATED) \
                else zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            zi.create_system = info.create_system
            if info.is_dir():
                out.writestr(zi, b"")
                continue
            out.writestr(zi, parts[info.filename] if info.filename in parts else src.read(info.filename))
        for name, data in parts.items():
            if name not in seen:
                zi = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(zi, data)
    return buf.getvalue()


def read_package(path) -> bytes:
    """The bytes of a workbook file, read once, with the failures a clerk can meet as Japanese messages."""
    from .guard import read_bytes
    return read_bytes(path)


