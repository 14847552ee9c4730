"""Excel's COM object model as pywin32 hands it to xlwings, for running the ribbon on Linux.

The stand-in sits BELOW xlwings: it provides the modules xlwings' Windows engine imports (``pywintypes``,
``pythoncom``, ``win32com.client``, ``win32api`` ...) and COM objects (Application, Workbooks, Workbook,
Worksheets, Worksheet, Range, FormatConditions) that answer the way Excel's COM does, so xlwings' own code
(``xlwings._xlwindows`` and its value conversion) runs unchanged on top of it:

- ``Range.Value`` returns a tuple of row tuples; an error cell is an int (VT_ERROR: -2146826281 for #DIV/0!,
  also #SPILL!/#CALC!, which xlwings 0.37.8 does not know); a cell with a currency or accounting format is a
  ``decimal.Decimal`` (VT_CY, 4 decimals); a date is a time-zone-aware ``pywintypes.TimeType``; an empty
  string stays ``""``; numbers are floats;
- ``Range.Value(11)`` (xlRangeValueXMLSpreadsheet, reached through ``_oleobj_.Invoke``) returns the range as an
  XML Spreadsheet 2003 document with its styles' number formats;
- ``Unprotect()`` without a password on a password-protected sheet records the password prompt Excel would
  show (and fails as if the clerk cancelled it); writing into a protected sheet fails;
- ``Sheets.Copy`` names a copy ``name (2)`` when the name is taken, and can be made to fail;
- ``Workbook.Names`` holds the defined names (read from the file; ``Add(Name, RefersTo, Visible)``, ``Item`` by
  name or 1-based index, ``Count``, iteration, ``Name.Delete``); a deleted sheet turns the references to it into
  ``#REF!``, a renamed one renames them;
- ``Range.Formula`` gives a formula cell's formula and a constant as its text; a string assigned to
  ``Range.Value`` is taken as typed: ``=...`` is a formula, a leading apostrophe makes the rest text, a number,
  percentage, date (1/2, 2024/7/10) or TRUE/FALSE typed as text becomes that value;
  ``Range("E5,E7:E9")`` is a multi-area range, its ``Areas`` the areas in order;
- rows hidden in the file (by hand or in a collapsed outline group) are hidden: ``Range.Rows``/``Columns`` are
  ranges (``Count``, ``Item(i)``), ``EntireRow.Hidden`` is True, False or None (mixed) and can be set,
  ``SpecialCells(xlCellTypeVisible)`` gives the visible cells as one area per run of visible rows and raises
  "No cells were found." when there are none (on a single cell it looks at the whole used range, as Excel does).

Every COM member touched (property get or set, method) counts once in ``Excel.calls``: that is the number of
round trips to Excel.  What Excel would compute (formulas) the stand-in cannot: a formula cell holds its cached
result from the file.
"""
from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import importlib
import re
import sys
import types
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from addin.core.cells import com_error_code

DISP_E_UNKNOWNNAME = -2147352570
DISP_E_EXCEPTION = -2147352567
DISPID_VALUE = 6  # Range.Value in Excel's type library
XL_CELL_TYPE_VISIBLE = 12
MAX_ROW, MAX_COL = 1048576, 16384


# ---------------------------------------------------------------------------------------------- pywin32
class com_error(Exception):  # noqa: N801 - the pywintypes name
    def __init__(self, hresult, message="", excepinfo=None, argerr=None):
        super().__init__(hresult, message, excepinfo, argerr)
        self.hresult = hresult


def _excel_error(text: str) -> com_error:
    """How Excel's COM reports a refused call: DISP_E_EXCEPTION with Excel's message in the excepinfo."""
    return com_error(DISP_E_EXCEPTION, "Exception occurred.", (0, "Microsoft Excel", text, None, 0, -2146827284),
                     None)


class TimeType(dt.datetime):
    """pywintypes.TimeType: what pywin32 returns for VT_DATE (a datetime with a UTC time zone)."""


class CDispatch:
    """Base of every stand-in COM object (pywin32's dynamic dispatch class)."""


def install_modules() -> types.ModuleType:
    """Put the pywin32 stand-ins into sys.modules and import xlwings' Windows engine on top of them."""
    if "xlwings._xlwindows" in sys.modules:
        return sys.modules["xlwings._xlwindows"]

    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    module("pywintypes", com_error=com_error, error=com_error, TimeType=TimeType, IID=lambda s: s)
    module("pythoncom", com_error=com_error, ole_error=com_error, CoInitialize=lambda: None,
           DISPATCH_PROPERTYGET=2, DISPATCH_METHOD=1, __file__="pythoncom.dll")
    module("win32api", MessageBox=_message_box)
    module("win32con", MB_OK=0, MB_OKCANCEL=1, MB_YESNOCANCEL=3, MB_YESNO=4, MB_ICONWARNING=48,
           MB_ICONINFORMATION=64)
    module("win32gui", FindWindowEx=lambda *a: 0)
    module("win32process", GetWindowThreadProcessId=lambda h: (0, 0))
    module("win32timezone", TimeZoneInfo=type("TimeZoneInfo", (), {"utc": staticmethod(lambda: dt.timezone.utc)}))
    win32com = module("win32com")
    client = module("win32com.client", CDispatch=CDispatch, CoClassBaseClass=type("CoClassBaseClass", (), {}),
                    DispatchBaseClass=type("DispatchBaseClass", (), {}), Dispatch=lambda *a: None,
                    DispatchEx=lambda *a: None)
    win32com.client = client

    class _Dll:
        def __getattr__(self, name):
            return _Dll()

        def __call__(self, *a, **kw):
            return 0

    saved = {k: getattr(ctypes, k, None) for k in ("windll", "oledll", "PyDLL")}
    ctypes.windll, ctypes.oledll, ctypes.PyDLL = _Dll(), _Dll(), lambda *a, **kw: _Dll()
    try:
        xlwindows = importlib.import_module("xlwings._xlwindows")
    finally:
        for k, v in saved.items():
            if v is None:
                delattr(ctypes, k)
            else:
                setattr(ctypes, k, v)
    xlwindows.N_COM_ATTEMPTS = 1  # a missing member fails at once instead of being retried forever
    return xlwindows


APPS: dict[int, "Application"] = {}


def _message_box(hwnd, text, title, style):
    APPS[hwnd].alerts.append((text, title, style))
    return 1


# ---------------------------------------------------------------------------------------------- formats
CURRENCY_MARKS = ("¥", "￥", "$", "€", "£", "[$")


def _is_currency(fmt: str | None) -> bool:
    """Excel hands a number over as VT_CY (Decimal) when its format is a currency or accounting one."""
    return bool(fmt) and any(m in fmt for m in CURRENCY_MARKS)


def _is_date(fmt: str | None) -> bool:
    if not fmt:
        return False
    plain = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", fmt)
    return bool(re.search(r"[ymdhs]|yyyy|ge", plain, re.I)) and "0" not in plain and "#" not in plain


def _xml_format_name(fmt: str) -> str:
    """Excel's XML spreadsheet writes a few built-in formats by name."""
    return {"0.00%": "Percent", "0.00": "Fixed", "#,##0.00": "Standard", "0.00E+00": "Scientific"}.get(fmt, fmt)


# ---------------------------------------------------------------------------------------------- objects
class Com(CDispatch):
    """Counts every COM member touched (names starting with a capital letter, as Excel's members do)."""

    _excel: "Excel"

    def __getattribute__(self, name):
        if "A" <= name[0] <= "Z":
            object.__getattribute__(self, "_excel").calls.append(f"{_com_type(self)}.{name}")
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        if name[:1].isupper():
            self._excel.calls.append(f"{_com_type(self)}.{name}=")
        object.__setattr__(self, name, value)

    @property
    def _oleobj_(self):
        return OleObject(self)


def _com_type(obj) -> str:
    """The Excel type an object stands for (a multi-area range and a range's Rows are Ranges in Excel)."""
    cls = type(obj)
    return cls.__dict__.get("COM_TYPE") or getattr(cls, "COM_TYPE", None) or cls.__name__


class OleObject:
    """The raw IDispatch (``_oleobj_``): GetIDsOfNames and Invoke, as pywin32's PyIDispatch."""

    def __init__(self, obj):
        self.obj = obj

    def GetIDsOfNames(self, *names):
        name = names[-1]
        if name == "Value" and isinstance(self.obj, Range):
            return DISPID_VALUE
        if hasattr(type(self.obj), name):
            return 1000
        raise com_error(DISP_E_UNKNOWNNAME, "Unknown name.")

    def Invoke(self, dispid, lcid, flags, result_wanted, *args):
        if dispid == DISPID_VALUE and isinstance(self.obj, Range):
            self.obj._excel.calls.append("Range.Value(11)" if args == (11,) else "Range.Value()")
            return self.obj._xml_spreadsheet() if args == (11,) else self.obj._com_values()
        raise com_error(DISP_E_UNKNOWNNAME, "Unknown name.")


class Excel:
    """One Excel process: the application, its call log, and its files."""

    def __init__(self):
        self.calls: list[str] = []
        self.app = Application(self)


class Application(Com):
    def __init__(self, excel: Excel):
        object.__setattr__(self, "_excel", excel)
        object.__setattr__(self, "Hwnd", 1000 + len(APPS))
        object.__setattr__(self, "books", [])
        object.__setattr__(self, "alerts", [])
        object.__setattr__(self, "chosen_folder", None)
        object.__setattr__(self, "pdfs", [])
        APPS[self.Hwnd] = self
        for k, v in dict(ScreenUpdating=True, Calculation=-4105, EnableEvents=True, DisplayAlerts=True,
                         StatusBar=False, Version="16.0", Interactive=True, Cursor=-4143).items():
            object.__setattr__(self, k, v)

    @property
    def Application(self):
        return self

    @property
    def Workbooks(self):
        return Workbooks(self)

    @property
    def ActiveWorkbook(self):
        return self.books[0] if self.books else None

    def FileDialog(self, kind):
        return FileDialog(self, kind)


class FileDialog(Com):
    def __init__(self, app, kind):
        object.__setattr__(self, "_excel", app._excel)
        object.__setattr__(self, "app", app)
        object.__setattr__(self, "Title", "")

    def Show(self):
        return -1 if self.app.chosen_folder else 0

    def SelectedItems(self, i):
        return str(self.app.chosen_folder)


class Workbooks(Com):
    def __init__(self, app):
        object.__setattr__(self, "_excel", app._excel)
        object.__setattr__(self, "app", app)

    @property
    def Count(self):
        return len(self.app.books)

    def __iter__(self):
        return iter(list(self.app.books))

    def __call__(self, key):
        if isinstance(key, int):
            return self.app.books[key - 1]
        for b in self.app.books:
            if b._name.lower() == str(key).lower():
                return b
        raise _excel_error("Subscript out of range")

    Item = __call__

    def Open(self, fullname, *args, **kw):
        return Workbook.load(self.app, Path(fullname))


class Workbook(Com):
    @classmethod
    def load(cls, app, path: Path | None, name=None):
        wb = cls.__new__(cls)
        for k, v in dict(_excel=app._excel, app=app, path=path, _name=name or (path.name if path else "Book1"),
                         sheets=[], names=[], ReadOnly=False, MultiUserEditing=False, ProtectStructure=False,
                         Saved=True).items():
            object.__setattr__(wb, k, v)
        if path is not None:
            formulas = load_workbook(path, read_only=True)
            cached = None
            protections, hidden = _sheet_xml_facts(path)
            for ws in formulas.worksheets:
                sheet = Worksheet.new(wb, ws.title)
                for r, row in enumerate(ws.iter_rows(), start=1):
                    for c, cell in enumerate(row, start=1):
                        v = cell.value
                        if cell.data_type == "f":
                            sheet.formulas[(r, c)] = str(v)
                            cached = cached or load_workbook(path, read_only=True, data_only=True)
                            hit = cached[ws.title].cell(r, c)
                            v = ErrorValue(hit.value) if hit.data_type == "e" else hit.value
                        elif cell.data_type == "e":
                            v = ErrorValue(v)
                        if v is not None:
                            sheet.cells[(r, c)] = v
                        fmt = getattr(cell, "number_format", "General")
                        if fmt != "General":
                            sheet.formats[(r, c)] = fmt
                sheet._set_protection(protections.get(ws.title))
                sheet.hidden_rows.update(hidden.get(ws.title, ()))
                wb.sheets.append(sheet)
            for name, dn in formulas.defined_names.items():
                if dn.attr_text and dn.localSheetId is None:
                    wb.names.append(Name.new(wb, name, "=" + dn.attr_text, not dn.hidden))
            formulas.close()
            if cached is not None:
                cached.close()
        app.books.append(wb)
        return wb

    @property
    def Name(self):
        return self._name

    @property
    def FullName(self):
        return str(self.path) if self.path else self._name

    @property
    def Path(self):
        return str(self.path.parent) if self.path else ""

    @property
    def Application(self):
        return self.app

    @property
    def Worksheets(self):
        return Worksheets(self)

    Sheets = Worksheets

    @property
    def Names(self):
        return Names(self)

    def Close(self, SaveChanges=None):
        self.app.books.remove(self)

    def ExportAsFixedFormat(self, Type=0, Filename=None, **kw):
        Path(Filename).write_bytes(b"%PDF-1.4\n% written by the Excel stand-in\n")
        self.app.pdfs.append(Filename)

    def sheet(self, name) -> "Worksheet":
        return next(s for s in self.sheets if s._name == name)


class Worksheets(Com):
    def __init__(self, book):
        object.__setattr__(self, "_excel", book._excel)
        object.__setattr__(self, "book", book)

    @property
    def Count(self):
        return len(self.book.sheets)

    def __iter__(self):
        return iter(list(self.book.sheets))

    def __call__(self, key):
        if isinstance(key, int):
            return self.book.sheets[key - 1]
        for s in self.book.sheets:
            if s._name.lower() == str(key).lower():
                return s
        raise _excel_error("Subscript out of range")

    Item = __call__


class Names(Com):
    """Workbook.Names: the workbook's defined names."""

    def __init__(self, book):
        object.__setattr__(self, "_excel", book._excel)
        object.__setattr__(self, "book", book)

    @property
    def Count(self):
        return len(self.book.names)

    def __iter__(self):
        return iter(list(self.book.names))

    def __call__(self, key):
        if isinstance(key, int):
            if 1 <= key <= len(self.book.names):
                return self.book.names[key - 1]
        else:
            for n in self.book.names:
                if n._name.lower() == str(key).lower():
                    return n
        raise _excel_error("Unable to get the Item property of the Names class")

    Item = __call__

    def Add(self, Name=None, RefersTo=None, Visible=True, **kw):
        if not Name or not re.fullmatch(r"[A-Za-z_\\][\w.]*", Name) or not str(RefersTo or "").startswith("="):
            raise _excel_error("The syntax of this name isn't correct.")
        for n in self.book.names:
            if n._name.lower() == Name.lower():  # Excel redefines an existing name
                self.book.names.remove(n)
        new = globals()["Name"].new(self.book, Name, RefersTo, bool(Visible))
        self.book.names.append(new)
        self.book.names.sort(key=lambda n: n._name.lower())  # Excel keeps them sorted
        return new


class Name(Com):
    @classmethod
    def new(cls, book, name, refers_to, visible):
        n = cls.__new__(cls)
        for k, v in dict(_excel=book._excel, book=book, _name=name, RefersTo=refers_to, Visible=visible).items():
            object.__setattr__(n, k, v)
        return n

    @property
    def Name(self):
        return self._name

    def Delete(self):
        self.book.names.remove(self)


def _sheet_ref(name: str) -> str:
    return "'" + name.replace("'", "''") + "'!" if re.search(r"[^\w.]", name) or name[:1].isdigit() else name + "!"


def _rename_in_names(book, old: str, new: str | None):
    """Excel follows a renamed sheet in the defined names; a deleted sheet leaves #REF!."""
    for n in book.names:
        for ref in (_sheet_ref(old), "'" + old.replace("'", "''") + "'!", old + "!"):
            if ref in n.RefersTo:
                object.__setattr__(n, "RefersTo", n.RefersTo.replace(ref, _sheet_ref(new) if new else "#REF!"))
                break


PROTECT_FLAGS = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows", "AllowInsertingColumns",
                 "AllowInsertingRows", "AllowInsertingHyperlinks", "AllowDeletingColumns", "AllowDeletingRows",
                 "AllowSorting", "AllowFiltering", "AllowUsingPivotTables")


class Protection(Com):
    def __init__(self, sheet):
        object.__setattr__(self, "_excel", sheet._excel)
        for f in PROTECT_FLAGS:
            object.__setattr__(self, f, sheet.protection_flags.get(f, False))


class Worksheet(Com):
    def _set_protection(self, attrs: dict | None):
        """Sheet protection as the file's <sheetProtection> element sets it (openpyxl's attributes say what is
        locked, "1"; Excel's Allow* flags say what is allowed)."""
        if not attrs or attrs.get("sheet") not in ("1", "true"):
            return
        object.__setattr__(self, "protected", True)
        object.__setattr__(self, "password", "set" if attrs.get("password") or attrs.get("hashValue") else None)
        locked = {"AllowFormattingCells": "formatCells", "AllowFormattingColumns": "formatColumns",
                  "AllowFormattingRows": "formatRows", "AllowInsertingColumns": "insertColumns",
                  "AllowInsertingRows": "insertRows", "AllowInsertingHyperlinks": "insertHyperlinks",
                  "AllowDeletingColumns": "deleteColumns", "AllowDeletingRows": "deleteRows",
                  "AllowSorting": "sort", "AllowFiltering": "autoFilter", "AllowUsingPivotTables": "pivotTables"}
        object.__setattr__(self, "protection_flags",
                           {k: attrs.get(a, "1") in ("0", "false") for k, a in locked.items()})

    @classmethod
    def new(cls, book, name):
        sheet = cls.__new__(cls)
        for k, v in dict(_excel=book._excel, book=book, _name=name, cells={}, formats={}, formulas={}, conditions=[],
                         hidden_rows=set(),
                         protected=False, password=None, protection_flags={}, protect_calls=[],
                         EnableSelection=0, ProtectDrawingObjects=False, ProtectScenarios=False,
                         ProtectionMode=False).items():
            object.__setattr__(sheet, k, v)
        return sheet

    # --- the COM members
    @property
    def Name(self):
        return self._name

    @Name.setter
    def Name(self, value):
        if any(s is not self and s._name.lower() == value.lower() for s in self.book.sheets):
            raise _excel_error("That name is already taken. Try a different one.")
        _rename_in_names(self.book, self._name, value)
        object.__setattr__(self, "_name", value)

    @property
    def Index(self):
        return self.book.sheets.index(self) + 1

    @property
    def Parent(self):
        return self.book

    @property
    def ProtectContents(self):
        return self.protected

    @property
    def Protection(self):
        return Protection(self)

    def Unprotect(self, Password=None):
        if not self.protected:
            return
        if self.password is not None:
            if Password is None:
                self.book.app.alerts.append(("password prompt", self._name, None))  # Excel would ask
                raise _excel_error("The password you supplied is not correct.")
            if Password != self.password:
                raise _excel_error("The password you supplied is not correct.")
        object.__setattr__(self, "protected", False)

    def Protect(self, Password=None, DrawingObjects=True, Contents=True, Scenarios=True, UserInterfaceOnly=False,
                **allow):
        object.__setattr__(self, "protected", bool(Contents))
        object.__setattr__(self, "password", Password or None)
        object.__setattr__(self, "ProtectDrawingObjects", DrawingObjects)
        object.__setattr__(self, "ProtectScenarios", Scenarios)
        object.__setattr__(self, "ProtectionMode", UserInterfaceOnly)
        object.__setattr__(self, "protection_flags", {k: bool(v) for k, v in allow.items()})
        self.protect_calls.append(dict(allow, Password=Password, DrawingObjects=DrawingObjects, Contents=Contents,
                                       Scenarios=Scenarios, UserInterfaceOnly=UserInterfaceOnly))

    @property
    def UsedRange(self):
        return self._used()

    def _used(self):
        keys = list(self.cells) + list(self.formats)
        if not keys:
            return Range(self, (1, 1), (1, 1))
        return Range(self, (min(r for r, _ in keys), min(c for _, c in keys)),
                     (max(r for r, _ in keys), max(c for _, c in keys)))

    @property
    def Cells(self):
        """All cells; called with (row, col) it is one cell (the Range's default member, Item)."""
        return Range(self, (1, 1), (MAX_ROW, MAX_COL))

    def Range(self, a, b=None):
        if b is not None:
            a, b = _corner(a), _corner(b, last=True)
            return Range(self, (min(a[0], b[0]), min(a[1], b[1])), (max(a[0], b[0]), max(a[1], b[1])))
        if "," in str(a):
            if len(str(a)) > 255:
                raise _excel_error("Method 'Range' of object '_Worksheet' failed")
            return MultiRange(self, [self.Range(part) for part in str(a).split(",")])
        first, _, last = str(a).replace("$", "").partition(":")
        return Range(self, _addr(first), _addr(last or first))

    def Delete(self):
        if self.book.ProtectStructure:
            raise _excel_error("Workbook is protected and cannot be changed.")
        if self.book.app.DisplayAlerts:
            self.book.app.alerts.append(("delete prompt", self._name, None))
        _rename_in_names(self.book, self._name, None)
        self.book.sheets.remove(self)

    def Copy(self, Before=None, After=None):
        Before, After = _unwrap(Before), _unwrap(After)
        target_book = (After or Before).book
        if target_book.ProtectStructure:
            raise _excel_error("Workbook is protected and cannot be changed.")
        if getattr(self._excel, "fail_copy", False):
            raise _excel_error("Copy method of Worksheet class failed")
        name, n = self._name, 2
        while any(s._name.lower() == name.lower() for s in target_book.sheets):
            name, n = f"{self._name} ({n})", n + 1
        new = Worksheet.new(target_book, name)
        new.cells.update(self.cells)
        new.formats.update(self.formats)
        new.formulas.update(self.formulas)
        new.hidden_rows.update(self.hidden_rows)
        idx = target_book.sheets.index(After) + 1 if After is not None else target_book.sheets.index(Before)
        target_book.sheets.insert(idx, new)

    def values(self) -> dict:
        return dict(self.cells)


def _sheet_xml_facts(path: Path) -> tuple[dict[str, dict], dict[str, set[int]]]:
    """Sheet title → attributes of its <sheetProtection> element, and sheet title → its hidden rows
    (``<row r="7" hidden="1">``: hidden by hand or inside a collapsed outline group), read from the package."""
    import zipfile
    out, hidden = {}, {}
    with zipfile.ZipFile(path) as z:
        wbxml = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        targets = dict(re.findall(r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
        targets.update({k: v for v, k in re.findall(r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
        for name, rid in re.findall(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', wbxml):
            part = targets[rid].lstrip("/")
            part = part if part.startswith("xl/") else "xl/" + part
            from html import unescape
            xml = z.read(part).decode("utf-8")
            m = re.search(r"<sheetProtection\b([^>]*)/?>", xml)
            if m:
                out[unescape(name)] = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            rows = set()
            for attrs in re.findall(r"<row\b([^>]*)>", xml):
                a = dict(re.findall(r'(\w+)="([^"]*)"', attrs))
                if a.get("hidden") in ("1", "true") and "r" in a:
                    rows.add(int(a["r"]))
            hidden[unescape(name)] = rows
    return out, hidden


class ErrorValue(str):
    """An error cell (#DIV/0!, #SPILL! ...)."""


def _addr(a: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", a)
    return int(m.group(2)), column_index_from_string(m.group(1))


def _unwrap(x):
    """The stand-in object behind xlwings' COMRetryObjectWrapper."""
    while x is not None and not isinstance(x, Com) and hasattr(x, "_inner"):
        x = x._inner
    return x


def _corner(x, last=False):
    x = _unwrap(x)
    if isinstance(x, Range):
        return x.last if last else x.first
    first, _, end = str(x).replace("$", "").partition(":")
    return _addr(end or first) if last else _addr(first)


class Conditions(Com):
    def __init__(self, sheet, rng):
        object.__setattr__(self, "_excel", sheet._excel)
        object.__setattr__(self, "sheet", sheet)
        object.__setattr__(self, "rng", rng)

    def _live(self):
        return [fc for fc in self.sheet.conditions if not fc.deleted]

    @property
    def Count(self):
        return len(self._live())

    def Item(self, i):
        return self._live()[i - 1]

    def Add(self, Type, Operator=None, Formula1=None, Formula2=None):
        self.sheet.assert_writable()
        fc = FormatCondition(self.sheet, Formula1, self.rng)
        self.sheet.conditions.append(fc)
        return fc


class Styled(Com):
    def __init__(self, excel):
        object.__setattr__(self, "_excel", excel)
        object.__setattr__(self, "Color", 0)


class FormatCondition(Com):
    def __init__(self, sheet, formula, rng):
        for k, v in dict(_excel=sheet._excel, sheet=sheet, Formula1=formula, range=rng, deleted=False,
                         Interior=Styled(sheet._excel), Font=Styled(sheet._excel), StopIfTrue=False).items():
            object.__setattr__(self, k, v)

    def Delete(self):
        self.sheet.assert_writable()
        object.__setattr__(self, "deleted", True)


def _assert_writable(sheet):
    if sheet.protected:
        raise _excel_error("The cell or chart you're trying to change is on a protected sheet.")


Worksheet.assert_writable = _assert_writable


class Range(Com):
    def __init__(self, sheet, first, last):
        object.__setattr__(self, "_excel", sheet._excel)
        object.__setattr__(self, "sheet", sheet)
        object.__setattr__(self, "first", first)
        object.__setattr__(self, "last", last)

    def _coords(self):
        (r1, c1), (r2, c2) = self.first, self.last
        return [[(r, c) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]

    @property
    def Row(self):
        return self.first[0]

    @property
    def Column(self):
        return self.first[1]

    @property
    def Worksheet(self):
        return self.sheet

    @property
    def Rows(self):
        return Lines(self, "rows")

    @property
    def Columns(self):
        return Lines(self, "columns")

    @property
    def EntireRow(self):
        return self._entire_row()

    def _entire_row(self):
        return Range(self.sheet, (self.first[0], 1), (self.last[0], MAX_COL))

    @property
    def Hidden(self):
        """True when every row of the range is hidden, False when none is, None when mixed (Excel's Null); the
        range must be entire rows (columns are never hidden in the stand-in)."""
        if (self.first[1], self.last[1]) == (1, MAX_COL):
            states = {r in self.sheet.hidden_rows for r in range(self.first[0], self.last[0] + 1)}
            return states.pop() if len(states) == 1 else None
        if (self.first[0], self.last[0]) == (1, MAX_ROW):
            return False
        raise _excel_error("Unable to get the Hidden property of the Range class")

    @Hidden.setter
    def Hidden(self, hide):
        self._set_hidden(hide)

    def _set_hidden(self, hide):
        if (self.first[1], self.last[1]) != (1, MAX_COL):
            raise _excel_error("Unable to set the Hidden property of the Range class")
        rows = set(range(self.first[0], self.last[0] + 1))
        if hide:
            self.sheet.hidden_rows.update(rows)
        else:
            self.sheet.hidden_rows.difference_update(rows)

    @property
    def Areas(self):
        return Areas(self._excel, [self])

    def SpecialCells(self, Type, Value=None):
        """Only xlCellTypeVisible (12): the visible cells, one area per run of visible rows."""
        if Type != XL_CELL_TYPE_VISIBLE:
            raise NotImplementedError(f"SpecialCells({Type}) is not modelled by the stand-in")
        # Excel: SpecialCells on a single cell works on the sheet's used range
        rng = self.sheet._used() if self.first == self.last else self
        (r1, c1), (r2, c2) = rng.first, rng.last
        areas, start = [], None
        for r in range(r1, r2 + 2):
            shown = r <= r2 and r not in self.sheet.hidden_rows
            if shown and start is None:
                start = r
            elif not shown and start is not None:
                areas.append(Range(self.sheet, (start, c1), (r - 1, c2)))
                start = None
        if not areas:
            raise _excel_error("No cells were found.")
        return areas[0] if len(areas) == 1 else MultiRange(self.sheet, areas)

    @property
    def Count(self):
        return (self.last[0] - self.first[0] + 1) * (self.last[1] - self.first[1] + 1)

    @property
    def Address(self):
        return self._address()

    def _address(self):
        (r1, c1), (r2, c2) = self.first, self.last
        return f"${get_column_letter(c1)}${r1}:${get_column_letter(c2)}${r2}"

    def Resize(self, rows=None, cols=None):
        r, c = self.first
        return Range(self.sheet, (r, c), (r + (rows or 1) - 1, c + (cols or 1) - 1))

    @property
    def Cells(self):
        return self

    def __call__(self, r, c=1):
        self._excel.calls.append("Range.Item")
        return Range(self.sheet, (self.first[0] + r - 1, self.first[1] + c - 1),
                     (self.first[0] + r - 1, self.first[1] + c - 1))

    Item = __call__

    @property
    def FormatConditions(self):
        return Conditions(self.sheet, self)

    # --- values as COM hands them over
    def _com_values(self):
        cells, formats = self.sheet.cells, self.sheet.formats
        rows = tuple(tuple(_com_value(cells.get(rc), formats.get(rc)) for rc in row) for row in self._coords())
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows

    @property
    def Value(self):
        return self._com_values()

    @Value.setter
    def Value(self, data):
        self.sheet.assert_writable()
        coords = self._coords()
        if not isinstance(data, (list, tuple)):
            data = [[data] * len(coords[0]) for _ in coords]
        for row_c, row_v in zip(coords, data):
            row_v = row_v if isinstance(row_v, (list, tuple)) else [row_v]
            for (r, c), v in zip(row_c, row_v):
                formula = self.sheet.formulas.pop((r, c), None)
                if isinstance(v, str):
                    v = self._typed(r, c, v, formula)
                if v is None or v == "":
                    self.sheet.cells.pop((r, c), None)
                elif isinstance(v, dt.datetime):
                    self.sheet.cells[(r, c)] = dt.datetime(v.year, v.month, v.day, v.hour, v.minute, v.second)
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    self.sheet.cells[(r, c)] = float(v)
                else:
                    self.sheet.cells[(r, c)] = v

    def _typed(self, r, c, text: str, old=None):
        """A string assigned to Value is taken as if typed into the cell (Excel's COM does so); ``old``: the
        cell's formula before."""
        if text.startswith("'"):
            return text[1:]
        if text.startswith("=") and len(text) > 1:
            self.sheet.formulas[(r, c)] = text
            # the stand-in cannot calculate: an unchanged formula keeps its result, a new one has none yet
            return self.sheet.cells.get((r, c)) if old == text else None
        if self.sheet.formats.get((r, c)) == "@":
            return text
        t = text.strip()
        if t.upper() in ("TRUE", "FALSE"):
            return t.upper() == "TRUE"
        if t in _ERRORS:
            return ErrorValue(t)
        m = re.fullmatch(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d*\.?\d+(?:[eE][+-]?\d+)?)(%?)", t)
        if m:
            number = float(m.group(1) + m.group(2).replace(",", ""))
            return number / 100 if m.group(3) else number
        m = re.fullmatch(r"(?:(\d{4})[/-])?(\d{1,2})[/-](\d{1,2})", t)  # a date as a Japanese Excel reads it
        if m:
            with contextlib.suppress(ValueError):
                return dt.datetime(int(m.group(1) or dt.date.today().year), int(m.group(2)), int(m.group(3)))
        return text

    @property
    def Formula(self):
        """A formula cell's formula, a constant as its text (as in the formula bar), "" for an empty cell."""
        f, cells = self.sheet.formulas, self.sheet.cells
        rows = tuple(tuple(f.get(rc) or _formula_text(cells.get(rc)) for rc in row) for row in self._coords())
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows

    @property
    def NumberFormat(self):
        fmts = {self.sheet.formats.get(rc, "General") for row in self._coords() for rc in row}
        return fmts.pop() if len(fmts) == 1 else None

    @NumberFormat.setter
    def NumberFormat(self, fmt):
        self.sheet.assert_writable()
        for row in self._coords():
            for rc in row:
                self.sheet.formats[rc] = fmt

    def _xml_spreadsheet(self) -> str:
        """The range as Excel's XML Spreadsheet 2003 (Range.Value(xlRangeValueXMLSpreadsheet))."""
        styles: dict[str, str] = {}
        cells, formats = self.sheet.cells, self.sheet.formats
        rows_xml = []
        prev_r = 0
        for i, row in enumerate(self._coords(), start=1):
            cells_xml, prev_c = [], 0
            for j, (r, c) in enumerate(row, start=1):
                v, fmt = cells.get((r, c)), formats.get((r, c))
                if v is None and fmt is None:
                    continue
                attrs = "" if j == prev_c + 1 else f' ss:Index="{j}"'
                if fmt is not None:
                    sid = styles.setdefault(fmt, f"s{62 + len(styles)}")
                    attrs += f' ss:StyleID="{sid}"'
                data = ""
                if v is not None:
                    kind, text = _xml_data(v, fmt)
                    data = f'<Data ss:Type="{kind}">{escape(text)}</Data>'
                cells_xml.append(f"<Cell{attrs}>{data}</Cell>")
                prev_c = j
            if cells_xml:
                idx = "" if i == prev_r + 1 else f' ss:Index="{i}"'
                rows_xml.append(f"<Row{idx}>{''.join(cells_xml)}</Row>")
                prev_r = i
        style_xml = "".join(f'<Style ss:ID="{sid}"><NumberFormat ss:Format="{escape(_xml_format_name(f), {chr(34): "&quot;"})}"/></Style>'
                            for f, sid in styles.items())
        return ('<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n'
                '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                'xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel" '
                'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" xmlns:html="http://www.w3.org/TR/REC-html40">'
                '<Styles><Style ss:ID="Default" ss:Name="Normal"><Alignment ss:Vertical="Center"/>'
                f'<NumberFormat/></Style>{style_xml}</Styles>'
                f'<Worksheet ss:Name="{escape(self.sheet._name)}"><Table>{"".join(rows_xml)}</Table></Worksheet>'
                '</Workbook>')


_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!")


def _formula_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, dt.datetime):  # the formula bar shows the serial number's date; Formula the serial
        return repr((v - dt.datetime(1899, 12, 30)).total_seconds() / 86400).removesuffix(".0")
    if isinstance(v, dt.date):
        return str((v - dt.date(1899, 12, 30)).days)
    if isinstance(v, (int, float)):
        return repr(float(v)).removesuffix(".0")
    return str(v)


class MultiRange(Com):
    """A multi-area range (``Range("E5,E7:E9")``, or the visible cells from SpecialCells): a format applies to
    every area; Row, Column, Rows and Columns are those of the first area, as in Excel."""

    COM_TYPE = "Range"

    def __init__(self, sheet, areas):
        object.__setattr__(self, "_excel", sheet._excel)
        object.__setattr__(self, "sheet", sheet)
        object.__setattr__(self, "areas", areas)

    @property
    def Count(self):
        return sum(a.Count for a in self.areas)

    @property
    def Areas(self):
        return Areas(self._excel, self.areas)

    @property
    def Row(self):
        return self.areas[0].first[0]

    @property
    def Column(self):
        return self.areas[0].first[1]

    @property
    def Rows(self):
        return Lines(self.areas[0], "rows")

    @property
    def Columns(self):
        return Lines(self.areas[0], "columns")

    @property
    def Address(self):
        return ",".join(a._address() for a in self.areas)

    @property
    def NumberFormat(self):
        fmts = {a.NumberFormat for a in self.areas}
        return fmts.pop() if len(fmts) == 1 else None

    @NumberFormat.setter
    def NumberFormat(self, fmt):
        self.sheet.assert_writable()
        for a in self.areas:
            for row in a._coords():
                for rc in row:
                    self.sheet.formats[rc] = fmt


def _com_value(v, fmt):
    """One cell's value as pywin32 returns it from Range.Value."""
    if v is None:
        return None
    if isinstance(v, ErrorValue):
        return com_error_code(str(v))
    if isinstance(v, (bool, str)):
        return v
    if isinstance(v, dt.datetime):
        return TimeType(v.year, v.month, v.day, v.hour, v.minute, v.second, tzinfo=dt.timezone.utc)
    if isinstance(v, dt.date):
        return TimeType(v.year, v.month, v.day, tzinfo=dt.timezone.utc)
    if isinstance(v, (int, float)):
        if _is_currency(fmt):
            return Decimal(str(round(float(v), 4)))
        return float(v)
    return v


def _xml_data(v, fmt):
    if isinstance(v, ErrorValue):
        return "Error", str(v)
    if isinstance(v, bool):
        return "Boolean", "1" if v else "0"
    if isinstance(v, (dt.datetime, dt.date)):
        return "DateTime", v.strftime("%Y-%m-%dT%H:%M:%S.000")
    if isinstance(v, (int, float)):
        return "Number", repr(float(v)).removesuffix(".0")
    return "String", str(v)


class Areas(Com):
    """Range.Areas: the areas of a range, in order (``Count``, ``Item(i)``, 1-based)."""

    def __init__(self, excel, areas):
        object.__setattr__(self, "_excel", excel)
        object.__setattr__(self, "areas", list(areas))

    @property
    def Count(self):
        return len(self.areas)

    def __call__(self, i):
        if not 1 <= i <= len(self.areas):
            raise _excel_error("The index into the specified collection is out of bounds.")
        return self.areas[i - 1]

    Item = __call__

    def __iter__(self):
        return iter(list(self.areas))


class Lines(Com):
    """Range.Rows / Range.Columns: the range seen as rows (or columns); ``Item(i)`` is its i-th row (column),
    ``Hidden`` that of the entire rows."""

    COM_TYPE = "Range"

    def __init__(self, rng, kind):
        object.__setattr__(self, "_excel", rng._excel)
        object.__setattr__(self, "rng", rng)
        object.__setattr__(self, "kind", kind)

    @property
    def Count(self):
        (r1, c1), (r2, c2) = self.rng.first, self.rng.last
        return r2 - r1 + 1 if self.kind == "rows" else c2 - c1 + 1

    @property
    def Row(self):
        return self.rng.first[0]

    @property
    def Column(self):
        return self.rng.first[1]

    def __call__(self, i):
        (r1, c1), (r2, c2) = self.rng.first, self.rng.last
        if self.kind == "rows":
            return Range(self.rng.sheet, (r1 + i - 1, c1), (r1 + i - 1, c2))
        return Range(self.rng.sheet, (r1, c1 + i - 1), (r2, c1 + i - 1))

    Item = __call__

    @property
    def Hidden(self):
        return self.rng._entire_row().Hidden if self.kind == "rows" else False

    @Hidden.setter
    def Hidden(self, hide):
        if self.kind != "rows":
            raise NotImplementedError("hidden columns are not modelled by the stand-in")
        self.rng._entire_row()._set_hidden(hide)


# ---------------------------------------------------------------------------------------------- entry
def open_in_excel(path: Path | None, excel: Excel | None = None) -> Workbook:
    """A workbook 'open in Excel' (path None: a new unsaved Book1)."""
    excel = excel or Excel()
    return Workbook.load(excel.app, Path(path) if path else None)


@contextlib.contextmanager
def attached(monkeypatch):
    """xlwings' Windows engine on the stand-in: ``xlwings._xlwindows`` imported over the fake pywin32, and its
    hwnd lookup answering with the stand-in Application of that hwnd."""
    xlwindows = install_modules()
    monkeypatch.setattr(xlwindows, "get_xl_app_from_hwnd",
                        lambda hwnd: xlwindows.COMRetryObjectWrapper(APPS[int(hwnd)]))
    yield xlwindows
