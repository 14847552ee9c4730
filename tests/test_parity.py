"""Both adapters hand core the same raw facts, so the command line (openpyxl) and the ribbon (Excel through
xlwings, here on the COM stand-in of tests/fake_excel.py) evaluate the same workbook identically — also for
cells where the two libraries hand over different Python values: Excel errors (openpyxl: text, COM: ints, and
#SPILL!/#CALC! unknown to xlwings), currency and accounting cells (COM: Decimal), empty strings, dates, and
columns that mix % and plain number formats.
"""
import datetime as dt
import shutil
from decimal import Decimal

import pytest
from openpyxl import load_workbook

import fake_excel
from addin.core import layout
from addin.core.cells import ExcelError, com_error_code, com_error_name, is_percent_format, read_cell
from addin.core.report import evaluation_report
from conftest import SAMPLE, WORKBOOKS

COLS = {"unit": 9, "baseline": 10, "actual_2022": 14, "target": 17}
R = layout.HEADER_ROW + 1  # first KPI row


def _set(ws, row, key, value, fmt=None, error=False):
    cell = ws.cell(row, COLS[key])
    cell.value = value
    if error:
        cell.data_type = "e"
    if fmt:
        cell.number_format = fmt


def tricky(path):
    """The Mine sample with the cells the two libraries hand over differently."""
    wb = load_workbook(SAMPLE)
    ws = wb[layout.SHEET_KPI]
    for i, err in enumerate(("#SPILL!", "#CALC!", "#DIV/0!", "#N/A")):
        _set(ws, R + i, "actual_2022", err, error=True)
    _set(ws, R + 4, "baseline", 1_250_000, '"¥"#,##0')                                        # currency
    _set(ws, R + 4, "actual_2022", 1_312_500.5, '_ ¥* #,##0_ ;_ ¥* \\-#,##0_ ;_ ¥* "-"_ ;_ @_ ')  # accounting
    _set(ws, R + 4, "target", 1_400_000, '"¥"#,##0')
    _set(ws, R + 4, "unit", "円")
    _set(ws, R + 5, "actual_2022", 0.665, "0.0%")           # % cell among plain numbers (unit %)
    _set(ws, R + 6, "actual_2022", 66.5, '0.0"%"')           # a literal % sign: not a percentage
    _set(ws, R + 6, "unit", "%")
    _set(ws, R + 7, "actual_2022", "")                       # empty string
    _set(ws, R + 8, "actual_2022", dt.datetime(2022, 4, 1), "yyyy/m/d")  # a date typed by mistake
    _set(ws, R + 9, "target", 0.5, "Percent")
    _set(ws, R + 9, "unit", "%")
    ws.protection.sheet = False
    wb.save(path)
    return path


def hidden(path):
    """The Mine sample with a KPI row hidden by hand and two in a collapsed outline group (warned about by both
    adapters: openpyxl reads the row dimensions, Excel answers SpecialCells(xlCellTypeVisible))."""
    wb = load_workbook(SAMPLE)
    ws = wb[layout.SHEET_KPI]
    ws.row_dimensions[R + 3].hidden = True
    ws.row_dimensions.group(R + 20, R + 21, hidden=True, outline_level=1)
    wb.save(path)
    return path


def live_report(path, monkeypatch):
    from addin import ops
    from addin.live import LiveBook, attach
    excel = fake_excel.Excel()
    wb = fake_excel.open_in_excel(path, excel)
    with fake_excel.attached(monkeypatch):
        book = attach(excel.app.Hwnd, wb.FullName)
        ev = ops.validate(LiveBook(book), write=False).evaluation
    return evaluation_report(ev, path.name)


def file_report(path):
    from addin.api import evaluate_file
    return evaluation_report(evaluate_file(path), path.name)


@pytest.mark.parametrize("make", [
    pytest.param(tricky, id="errors-currency-mixed-formats-empty-strings-dates"),
    pytest.param(lambda p: shutil.copy(SAMPLE, p) and p, id="mine-sample"),
    pytest.param(hidden, id="hidden-rows"),
    pytest.param(lambda p: shutil.copy(WORKBOOKS / "samples" / "sample_city_r6.xlsx", p) and p, id="sample-city"),
])
def test_both_adapters_evaluate_the_same_workbook_identically(tmp_path, monkeypatch, make):
    path = tmp_path / "book.xlsx"
    make(path)
    live = live_report(path, monkeypatch)
    assert live == file_report(path)
    hidden_rows = sorted(int(f["cell"][1:]) for f in live["findings"] if f["code"] == "hidden_row")
    assert hidden_rows == ([R + 3, R + 20, R + 21] if make is hidden else [])


def test_the_tricky_cells_are_read_as_what_they_show(tmp_path, monkeypatch):
    """Not only equal, but right: errors are errors (not −732,640% progress, not blank), currency is a number."""
    path = tricky(tmp_path / "book.xlsx")
    report = live_report(path, monkeypatch)
    findings = report["findings"]
    cells = {(f.get("cell"), f.get("code")) for f in findings}
    col = "N"  # 実績値 R4
    for i in range(4):
        assert (f"{col}{R + i}", "excel_error") in cells, (i, sorted(c for c in cells if c[0].startswith(col)))
    assert not [c for c in cells if c[0] in (f"J{R + 4}", f"N{R + 4}")], "currency cells read as numbers"
    assert (f"{col}{R + 8}", "date_value") in cells
    for k in report["kpis"]:
        assert k.get("progress") is None or abs(k["progress"]) < 100, k  # no −732,640% from an error code


@pytest.mark.parametrize("fmt, percent", [
    ("0%", True), ("0.0%", True), ("Percent", True), ("#,##0.0%;[Red]-#,##0.0%", True),
    ('0.0"%"', False), ("0.0\\%", False), ("General", False), (None, False), ("[$%-411]0", False),
])
def test_percent_format_rule(fmt, percent):
    assert is_percent_format(fmt) is percent


@pytest.mark.parametrize("raw, fmt, error, expected", [
    (Decimal("1312500.5"), '"¥"#,##0', None, (1312500.5, False)),
    ("", None, None, (None, False)),
    (0.35, "0%", None, (0.35, True)),
    (None, None, "#SPILL!", (ExcelError("#SPILL!"), False)),
    (dt.datetime(2022, 4, 1, tzinfo=dt.timezone.utc), "yyyy/m/d", None, (dt.datetime(2022, 4, 1), False)),
    (True, "0%", None, (True, False)),
])
def test_read_cell(raw, fmt, error, expected):
    value, pct = read_cell(raw, fmt, error)
    assert (value, pct) == expected and type(value) is type(expected[0])


@pytest.mark.parametrize("name", ["#DIV/0!", "#N/A", "#SPILL!", "#CALC!", "#VALUE!", "#REF!", "#NAME?"])
def test_com_error_codes_round_trip(name):
    code = com_error_code(name)
    assert code < 0 and com_error_name(code) == name
    assert com_error_code("#DIV/0!") == -2146826281  # what Excel's COM really returns for #DIV/0!


def test_com_error_name_is_none_for_non_ints():
    assert com_error_name(1.0) is None and com_error_name(True) is None and com_error_name("x") is None
