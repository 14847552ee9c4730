"""How one cell is read, whichever library fetched it: the rules every adapter shares.

An adapter (openpyxl file, Excel through xlwings, the package-bytes reader) hands over three raw facts per
cell — the value as its library returned it, the cell's number format, and the name of the Excel error the
cell shows (or None) — and :func:`read_cell` turns them into what the rest of core reads.  Writing the rules
once is what makes the ribbon and the command line give the same result on the same file:

- an Excel error (``#DIV/0!``, ``#SPILL!``, ``#CALC!`` ...) is an error whatever the library made of it
  (openpyxl: the text ``#DIV/0!``; Excel through COM: an int such as -2146826281; see :func:`com_error_name`);
- a currency or accounting cell is a number (Excel's COM hands it over as ``decimal.Decimal``);
- an empty string (``=""``, a pasted blank) is a blank cell;
- a date (``datetime``, also COM's time-zone-aware one) is a naive ``datetime``;
- a whole number is an ``int`` (COM hands every number over as a float, openpyxl whole numbers as ints);
- a number is "shown as %" when its number format has a % outside quotes, escapes and brackets
  (``0.0%``, Excel's named ``Percent``), not for ``0.0"%"`` or ``0\\%``.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal

# Excel's error values by their xlErr number (CVErr); COM hands them over as HRESULT 0x800A0000 + number.
XL_ERRORS = {
    2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?", 2036: "#NUM!",
    2042: "#N/A", 2043: "#GETTING_DATA", 2045: "#SPILL!", 2046: "#CONNECT!", 2047: "#BLOCKED!",
    2048: "#UNKNOWN!", 2049: "#FIELD!", 2050: "#CALC!",
}
_COM_ERROR_BASE = 0x800A0000


def com_error_code(name: str) -> int:
    """The int COM (pywin32) returns for an Excel error value, e.g. ``#DIV/0!`` → -2146826281."""
    number = next(n for n, e in XL_ERRORS.items() if e == name)
    return (_COM_ERROR_BASE + number) - (1 << 32)


def com_error_name(code: int) -> str | None:
    """The Excel error an int from COM stands for (pywin32 returns VT_ERROR as an int), else None.

    Numbers never arrive as ints through COM (Excel's numbers are doubles), so any other int is an error
    Excel added later; it is read as ``#UNKNOWN!`` rather than as a figure.
    """
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    unsigned = code & 0xFFFFFFFF
    if unsigned & 0xFFFF0000 == _COM_ERROR_BASE:
        return XL_ERRORS.get(unsigned & 0xFFFF, "#UNKNOWN!")
    return "#UNKNOWN!"


class ExcelError(str):
    """The text of an Excel error value shown by a cell (``#DIV/0!``); core's parser reports it."""


def is_percent_format(number_format: str | None) -> bool:
    """True when a number format shows the value as a percentage (Excel multiplies by 100 for a % that is
    not quoted, escaped or inside brackets).  ``Percent`` is the name Excel's XML spreadsheet gives to 0.00%."""
    if not number_format:
        return False
    if number_format.strip() == "Percent":
        return True
    i, n = 0, len(number_format)
    while i < n:
        ch = number_format[i]
        if ch == '"':
            end = number_format.find('"', i + 1)
            i = n if end < 0 else end + 1
            continue
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            end = number_format.find("]", i + 1)
            i = n if end < 0 else end + 1
            continue
        if ch == "%":
            return True
        i += 1
    return False


def read_cell(value, number_format: str | None = None, error: str | None = None) -> tuple[object, bool]:
    """One cell's raw facts → (the value core reads, whether it is a number shown as %)."""
    if error:
        return ExcelError(error), False
    if isinstance(value, Decimal):
        value = float(value)
    elif isinstance(value, str) and value == "":
        return None, False
    elif isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                             value.microsecond)
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        value = int(value)  # Excel holds doubles only; 40 reads as 40 whichever library fetched it
    return value, numeric and is_percent_format(number_format)


def read_rows(rows, number_format=lambda r, c: None, error=lambda r, c, v: None):
    """A whole sheet's raw facts → (block of values from A1, set of (row, col) numbers shown as %).

    ``rows``: the values row by row from A1; ``number_format(r, c)`` and ``error(r, c, value)`` give the
    other two facts of a cell (1-based).  Used by adapters that read a sheet in one call.
    """
    block: list[list] = []
    percent: set[tuple[int, int]] = set()
    for r, row in enumerate(rows, start=1):
        out = []
        for c, v in enumerate(row, start=1):
            value, pct = read_cell(v, number_format(r, c) if v is not None else None, error(r, c, v))
            if pct:
                percent.add((r, c))
            out.append(value)
        block.append(out)
    return block, percent
