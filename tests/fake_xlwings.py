"""A stand-in for the part of the xlwings object model the add-in uses, recording every call.

It holds a workbook in memory (loaded from an .xlsx with openpyxl, values as Excel returns them: numbers as
floats) and behaves like Excel for the calls the adapter makes, so the ribbon's actions can run here on Linux.
Every method call and property access on the API counts once in ``Recorder.calls``.
"""
from __future__ import annotations

import contextlib
import re
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string


class Recorder:
    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, what: str):
        self.calls.append(what)


def _excel_value(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    return v


def _addr(a) -> tuple[int, int]:
    if isinstance(a, tuple):
        return a
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", a)
    return int(m.group(2)), column_index_from_string(m.group(1))


class FakeFormatCondition:
    def __init__(self, rec, formula):
        self.rec = rec
        self.Formula1 = formula
        self.Interior = type("Interior", (), {})()
        self.Font = type("Font", (), {})()
        self.StopIfTrue = False
        self.deleted = False

    def Delete(self):
        self.rec("FormatCondition.Delete")
        self.deleted = True


class FakeFormatConditions:
    def __init__(self, sheet, rng=None):
        self.sheet, self.rng = sheet, rng

    @property
    def Count(self):
        self.sheet.rec("FormatConditions.Count")
        return len(self._live())

    def _live(self):
        return [fc for fc in self.sheet.conditions if not fc.deleted]

    def Item(self, i):
        self.sheet.rec("FormatConditions.Item")
        return self._live()[i - 1]

    def Add(self, Type, Formula1):
        self.sheet.rec("FormatConditions.Add")
        fc = FakeFormatCondition(self.sheet.rec, Formula1)
        fc.range = self.rng
        self.sheet.conditions.append(fc)
        return fc


class FakeName:
    def __init__(self, names, name, refers_to):
        self.names, self.name, self.refers_to = names, name, refers_to
        self.api = type("NameApi", (), {"Visible": True})()

    def delete(self):
        self.names.rec("Name.delete")
        self.names.items.remove(self)


class FakeNames:
    """Book.names: workbook-scoped names as ``name``, a sheet's own as ``Sheet!name`` (as Excel lists them)."""

    def __init__(self, rec, wb):
        self.rec = rec
        self.items = [FakeName(self, n, "=" + d.attr_text) for n, d in wb.defined_names.items()]
        for ws in wb.worksheets:
            self.items += [FakeName(self, f"{ws.title}!{n}", "=" + d.attr_text) for n, d in ws.defined_names.items()]

    def __iter__(self):
        self.rec("Names.__iter__")
        return iter(list(self.items))

    def __getitem__(self, name):
        self.rec("Names.__getitem__")
        return next(n for n in self.items if n.name.lower() == name.lower())

    def add(self, name, refers_to):
        self.rec("Names.add")
        self.items = [n for n in self.items if n.name.lower() != name.lower()]
        n = FakeName(self, name, refers_to)
        self.items.append(n)
        return n


class FakeSheetApi:
    def __init__(self, sheet):
        self.sheet = sheet

    @property
    def ProtectContents(self):
        self.sheet.rec("Sheet.api.ProtectContents")
        return self.sheet.protected

    def Unprotect(self, Password=None):
        self.sheet.rec("Sheet.api.Unprotect")
        if self.sheet.password and Password != self.sheet.password:
            raise RuntimeError("The password you supplied is not correct.")  # what Excel's COM raises
        self.sheet.protected = False

    def Protect(self, **kw):
        self.sheet.rec("Sheet.api.Protect")
        self.sheet.protected = True

    @property
    def Cells(self):
        self.sheet.rec("Sheet.api.Cells")
        return type("Cells", (), {"FormatConditions": FakeFormatConditions(self.sheet)})()


class FakeRange:
    def __init__(self, sheet, first, last=None, options=None):
        self.sheet = sheet
        if isinstance(first, str) and ":" in first:
            first, last = first.split(":")
        self.first = _addr(first)
        self.last = _addr(last) if last is not None else self.first
        self.opts = options or {}

    @property
    def row(self):
        return self.first[0]

    @property
    def column(self):
        return self.first[1]

    def options(self, **kw):
        self.sheet.rec("Range.options")
        return FakeRange(self.sheet, self.first, self.last, dict(self.opts, **kw))

    @property
    def value(self):
        self.sheet.rec("Range.value.get")
        (r1, c1), (r2, c2) = self.first, self.last
        block = [[self.sheet.cells.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        if self.opts.get("ndim") == 2:
            return block
        return block[0][0] if len(block) == 1 and len(block[0]) == 1 else block

    @value.setter
    def value(self, v):
        self.sheet.rec("Range.value.set")
        self.sheet.assert_writable()
        r1, c1 = self.first
        if isinstance(v, list) and self.opts.get("transpose"):
            for i, x in enumerate(v):
                self.sheet.set(r1 + i, c1, x)
        elif isinstance(v, list):
            for i, row in enumerate(v):
                for j, x in enumerate(row if isinstance(row, list) else [row]):
                    self.sheet.set(r1 + i, c1 + j, x)
        else:
            self.sheet.set(r1, c1, v)

    @property
    def number_format(self):
        self.sheet.rec("Range.number_format.get")
        (r1, c1), (r2, c2) = self.first, self.last
        fmts = {self.sheet.formats.get((r, c), "General") for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        return fmts.pop() if len(fmts) == 1 else None

    @number_format.setter
    def number_format(self, fmt):
        self.sheet.rec("Range.number_format.set")
        (r1, c1), (r2, c2) = self.first, self.last
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                self.sheet.formats[(r, c)] = fmt

    @property
    def last_cell(self):
        self.sheet.rec("Range.last_cell")
        return FakeRange(self.sheet, self.last)

    @property
    def api(self):
        self.sheet.rec("Range.api")
        return type("RangeApi", (), {"FormatConditions": FakeFormatConditions(self.sheet, self)})()


class FakeSheet:
    def __init__(self, book, name, cells, formats, protected=False):
        self.book, self._name = book, name
        self.cells, self.formats = cells, formats
        self.protected = protected
        self.password = None
        self.conditions: list[FakeFormatCondition] = []
        self.rec = book.rec

    def assert_writable(self):
        if self.protected:
            raise RuntimeError(f"sheet {self._name} is protected (Excel would refuse the write)")

    def set(self, r, c, v):
        if v is None:
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = _excel_value(v)

    @property
    def name(self):
        self.rec("Sheet.name.get")
        return self._name

    @name.setter
    def name(self, v):
        self.rec("Sheet.name.set")
        self._name = v

    @property
    def used_range(self):
        self.rec("Sheet.used_range")
        rows = max((r for r, _ in self.cells), default=1)
        cols = max((c for _, c in self.cells), default=1)
        return FakeRange(self, (1, 1), (rows, cols))

    def range(self, a, b=None):
        self.rec("Sheet.range")
        return FakeRange(self, a, b)

    @property
    def api(self):
        self.rec("Sheet.api")
        return FakeSheetApi(self)

    def delete(self):
        self.rec("Sheet.delete")
        self.book._sheets.remove(self)

    def copy(self, before=None, after=None, name=None):
        self.rec("Sheet.copy")
        target = (after or before).book
        new = FakeSheet(target, name or self._name, dict(self.cells), dict(self.formats))
        idx = target._sheets.index(after) + 1 if after is not None else target._sheets.index(before)
        target._sheets.insert(idx, new)
        return new

    def values(self) -> dict[tuple[int, int], object]:
        return dict(self.cells)


class FakeSheets(list):
    pass


class FakeBook:
    def __init__(self, app, path: Path, rec: Recorder):
        self.app, self.rec = app, rec
        self.fullname = str(path)
        wb = load_workbook(path)
        self._sheets = []
        for ws in wb.worksheets:
            cells, formats = {}, {}
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        cells[(cell.row, cell.column)] = _excel_value(cell.value)
                    if cell.number_format != "General":
                        formats[(cell.row, cell.column)] = cell.number_format
            self._sheets.append(FakeSheet(self, ws.title, cells, formats, protected=bool(ws.protection.sheet)))
        self.names = FakeNames(rec, wb)
        self.pdfs: list[str] = []

    @property
    def sheets(self):
        self.rec("Book.sheets")
        return FakeSheets(self._sheets)

    def sheet(self, name) -> FakeSheet:
        return next(s for s in self._sheets if s._name == name)

    def close(self):
        self.rec("Book.close")

    def to_pdf(self, path):
        self.rec("Book.to_pdf")
        self.pdfs.append(path)
        Path(path).write_bytes(b"%PDF-1.4\n% written by the Excel stand-in\n")


class FakeBooks:
    def __init__(self, app):
        self.app = app

    def open(self, path):
        self.app.rec("Books.open")
        return FakeBook(self.app, Path(path), self.app.rec)


class FakeApp:
    def __init__(self, rec: Recorder):
        self.rec = rec
        self.books = FakeBooks(self)
        self.alerts: list[tuple[str, str]] = []
        self.property_changes: list[dict] = []

    @contextlib.contextmanager
    def properties(self, **kw):
        self.rec("App.properties")
        self.property_changes.append(kw)
        yield self

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.rec("App.alert")
        self.alerts.append((prompt, mode))


def open_book(path: Path) -> tuple[FakeBook, Recorder]:
    rec = Recorder()
    app = FakeApp(rec)
    return FakeBook(app, Path(path), rec), rec
