"""The ribbon's actions as the VBA launcher starts them (``addin.ribbon.main([button, hwnd, workbook])``),
through xlwings' own Windows engine and value conversion, on a stand-in of Excel's COM objects
(tests/fake_excel.py) that counts every call into Excel.

The results must equal the command line's, the number of Excel calls must not grow with the number of KPIs
(% cells included), and every refusal must come before anything is touched.
"""
import shutil

import pytest
from openpyxl import load_workbook

import fake_excel
from addin import ribbon
from addin.book.template import MINE_SETTINGS, SAMPLE_SOURCE, build_workbook
from addin.core import layout
from conftest import SAMPLE

BUTTONS = list(ribbon.ACTIONS)


@pytest.fixture
def press(monkeypatch):
    """Press a ribbon button on a workbook open in (the stand-in of) Excel; returns (workbook, excel, message).

    ``prepare(workbook)`` may change the open workbook first (protection, shared, ...)."""
    def _press(path, button, prepare=None, excel=None):
        excel = excel or fake_excel.Excel()
        wb = fake_excel.open_in_excel(path, excel)
        if prepare:
            prepare(wb)
        with fake_excel.attached(monkeypatch):
            code = ribbon.main([button, str(excel.app.Hwnd), wb.FullName])
        assert code == ribbon.EXIT_OK
        return wb, excel, excel.app.alerts[-1][0]
    return _press


def big_sample(tmp_path, times: int, percent_cells: bool = True):
    """The Mine sample's 78 KPIs repeated ``times`` times (ids kept unique).  With ``percent_cells`` every
    KPI whose unit is % has its figures typed as Excel percentages (0.665 shown as 66.5%), so the value columns
    mix % and plain number formats, as real sheets do."""
    import csv
    from addin.book.template import _typed
    from addin.core.values import is_percent_unit, parse_entry
    rows = []
    with open(SAMPLE_SOURCE, encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    for t in range(times):
        for rec in records:
            row = {k: _typed(v) for k, v in rec.items() if k not in ("actual_R4", "report_progress")}
            for k in ("goal_code", "policy_code", "measure_code", "baseline_year", "target_year"):
                row[k] = rec[k]
            row["kpi_id"] = f"{rec['kpi_id']}-{t}"
            row["actual_2022"] = _typed(rec["actual_R4"])
            rows.append(row)
    path = tmp_path / f"mine_x{times}{'_pct' if percent_cells else ''}.xlsx"
    wb = build_workbook(MINE_SETTINGS, rows, data_rows=len(rows) + 20)
    if percent_cells:
        ws = wb[layout.SHEET_KPI]
        header = [c.value for c in ws[layout.HEADER_ROW]]
        unit_col = header.index("単位") + 1
        value_cols = [i + 1 for i, h in enumerate(header) if h and (str(h).startswith(("基準値", "実績値", "目標値"))
                                                                   or h in ("策定時", "目標"))]
        for r in range(layout.HEADER_ROW + 1, ws.max_row + 1):
            if not is_percent_unit(ws.cell(r, unit_col).value):
                continue
            for c in value_cols:
                cell = ws.cell(r, c)
                e = parse_entry(cell.value, "%")
                if e.kind == "number" and e.year is None and isinstance(cell.value, (int, float, str)):
                    cell.value = e.value / 100
                    cell.number_format = "0.0%"
    wb.save(path)
    return path


def cli_result(tmp_path, source):
    from addin.cli import main
    copy = tmp_path / "cli.xlsx"
    shutil.copy(source, copy)
    assert main(["recalc", str(copy)]) in (0, 1)
    return fake_excel.open_in_excel(copy)


# ---------------------------------------------------------------------------------------------- results
@pytest.mark.parametrize("percent_cells", [False, True], ids=["numbers", "percent-cells"])
def test_recalc_button_gives_the_same_workbook_as_the_cli(press, tmp_path, percent_cells):
    source = big_sample(tmp_path, 1, percent_cells)
    book, excel, message = press(source, "kpi_recalc")
    assert "再計算" in message and "目標達成 26" in message, message
    cli = cli_result(tmp_path, source)
    for sheet in (layout.SHEET_KPI, layout.SHEET_SUMMARY, layout.SHEET_FINDINGS):
        live, expected = book.sheet(sheet).values(), cli.sheet(sheet).values()
        assert live == (pytest.approx(expected) if sheet == layout.SHEET_KPI else expected), sheet
    names = [s._name for s in book.sheets]
    assert names.index(layout.SHEET_SUMMARY) == names.index(layout.SHEET_KPI) + 1
    assert names.index(layout.SHEET_FINDINGS) == names.index(layout.SHEET_SUMMARY) + 1
    assert not [n for n in names if n.startswith("kpi-new-")]
    assert book.sheet(layout.SHEET_KPI).protected  # protection put back after writing
    rules = [fc for fc in book.sheet(layout.SHEET_KPI).conditions if not fc.deleted]
    assert len(rules) == 2 and all("kpi-addin-check" in fc.Formula1 for fc in rules)


def test_recalc_runs_with_screen_updating_off_and_puts_everything_back(press):
    book, excel, _ = press(SAMPLE, "kpi_recalc")
    sets = [c for c in excel.calls if c.startswith("Application.") and c.endswith("=")]
    for prop in ("ScreenUpdating", "Calculation", "EnableEvents", "StatusBar"):
        assert f"Application.{prop}=" in sets, prop
    app = excel.app
    assert (app.ScreenUpdating, app.Calculation, app.EnableEvents, app.StatusBar) == (True, -4105, True, False)


def test_validate_button_lists_findings_and_changes_no_typed_value(press):
    before = fake_excel.open_in_excel(SAMPLE).sheet(layout.SHEET_KPI).values()
    book, excel, message = press(SAMPLE, "kpi_validate")
    assert "警告" in message
    after = book.sheet(layout.SHEET_KPI).values()
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    check_col = next(c for (r, c), v in after.items() if r == layout.HEADER_ROW and v == "検証")
    assert changed and all(c == check_col for _, c in changed)
    findings = book.sheet(layout.SHEET_FINDINGS).values()
    assert any(v == "N9" for v in findings.values())  # 11(R1), stale
    assert layout.SHEET_SUMMARY not in [s._name for s in book.sheets]  # validate does not recalculate


def test_export_button_writes_the_public_files_beside_the_workbook(press, tmp_path):
    src = tmp_path / "mine_r4.xlsx"
    shutil.copy(SAMPLE, src)
    book, excel, message = press(src, "kpi_export")
    out = tmp_path / "mine_r4_公表用"
    assert "出力しました" in message, message
    assert {p.suffix for p in out.iterdir()} >= {".xlsx", ".html", ".csv", ".pdf"}
    assert excel.calls.count("Workbook.ExportAsFixedFormat") == 1


@pytest.mark.parametrize("dialog", ["chosen", "cancelled", "no-dialog"])
def test_export_of_an_unsaved_workbook_goes_where_the_clerk_chooses(press, tmp_path, dialog, monkeypatch):
    """Never Python's working directory: the folder chosen in Excel's dialog, nothing when cancelled, and the
    clerk's Documents folder when Excel cannot show the dialog."""
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    for d in (cwd, home / "Documents", tmp_path / "chosen"):
        d.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("USERPROFILE", str(home))
    excel = fake_excel.Excel()
    excel.app.__dict__["chosen_folder"] = {"chosen": tmp_path / "chosen", "cancelled": None}.get(dialog)
    if dialog == "no-dialog":
        monkeypatch.setattr(fake_excel.Application, "FileDialog", lambda self, kind: (_ for _ in ()).throw(
            fake_excel.com_error(fake_excel.DISP_E_EXCEPTION, "Exception occurred.")))
    wb = fake_excel.open_in_excel(SAMPLE, excel)
    wb.__dict__["path"] = None  # as if typed into a new book and never saved: Path is ""
    wb.__dict__["_name"] = "Book1"
    with fake_excel.attached(monkeypatch):
        assert ribbon.main(["kpi_export", str(excel.app.Hwnd), "Book1"]) == 0
    message = excel.app.alerts[-1][0]
    where = {"chosen": tmp_path / "chosen", "cancelled": None, "no-dialog": home / "Documents"}[dialog]
    if where is None:
        assert "中止しました" in message and not list((tmp_path / "chosen").iterdir())
    else:
        made = list(where.glob("Book1_公表用/*"))
        assert "出力しました" in message and {p.suffix for p in made} >= {".xlsx", ".pdf"}, message
    assert not list(cwd.iterdir())  # nothing in the working directory


# ---------------------------------------------------------------------------------------------- calls
@pytest.mark.parametrize("button", BUTTONS)
def test_number_of_excel_calls_does_not_grow_with_the_number_of_kpis(press, tmp_path, button):
    counts = {}
    for times in (1, 10):
        _, excel, message = press(big_sample(tmp_path, times), button)
        assert "予期しない" not in message, message
        counts[78 * times] = len(excel.calls)
    assert counts[78] == counts[780], counts


def test_number_of_excel_calls_is_the_same_at_7800_kpis(press, tmp_path):
    """Validate reads every cell and its format and writes a column and a sheet: the same calls at 7,800."""
    counts = {}
    for times in (1, 100):
        _, excel, message = press(big_sample(tmp_path, times), "kpi_validate")
        assert "予期しない" not in message, message
        counts[78 * times] = len(excel.calls)
    assert counts[78] == counts[7800], counts


def test_formats_come_from_one_xml_spreadsheet_read(press, tmp_path):
    _, excel, _ = press(big_sample(tmp_path, 1), "kpi_validate")
    assert excel.calls.count("Range.Value(11)") == 1
    assert "Range.NumberFormat" not in excel.calls  # no per-column or per-cell format reads


def test_without_the_xml_read_formats_come_from_one_read_per_value_column(press, tmp_path, monkeypatch):
    def refuse(self, *args):
        raise fake_excel.com_error(fake_excel.DISP_E_EXCEPTION, "Exception occurred.")
    monkeypatch.setattr(fake_excel.OleObject, "Invoke", refuse)
    counts = []
    for times in (1, 10):
        _, excel, message = press(big_sample(tmp_path, times, percent_cells=False), "kpi_validate")
        assert "予期しない" not in message and "Range.Value(11)" not in excel.calls, message
        counts.append(len(excel.calls))
    assert counts[0] == counts[1] and excel.calls.count("Range.NumberFormat") >= 3


# ---------------------------------------------------------------------------------------------- refusals
def _snapshot(wb):
    return {s._name: (dict(s.cells), dict(s.formats), s.protected) for s in wb.sheets}


def _protect_with_password(wb):
    wb.sheet(layout.SHEET_KPI).Protect(Password="secret", AllowFormattingCells=True)


def _share(wb):
    wb.__dict__["MultiUserEditing"] = True


def _protect_structure(wb):
    wb.__dict__["ProtectStructure"] = True


def _read_only(wb):
    wb.__dict__["ReadOnly"] = True


@pytest.mark.parametrize("prepare, expected", [
    (_protect_with_password, ["パスワードで保護", "シート保護の解除", "何も変更していません"]),
    (_share, ["共有ブック", "共有を解除"]),
    (_protect_structure, ["ブックの構成が保護", "ブックの保護"]),
    (_read_only, ["読み取り専用", "名前を付けて保存"]),
], ids=["password", "shared", "structure", "read-only"])
@pytest.mark.parametrize("button", ["kpi_validate", "kpi_recalc"])
def test_a_workbook_that_cannot_be_written_is_refused_before_anything_is_touched(press, prepare, expected, button):
    ref = fake_excel.open_in_excel(SAMPLE)
    prepare(ref)
    before = _snapshot(ref)
    book, excel, message = press(SAMPLE, button, prepare)
    assert all(e in message for e in expected), message
    assert excel.app.alerts[-1][2] & 48  # shown as a warning
    assert _snapshot(book) == before
    assert not [a for a in excel.app.alerts if a[0] == "password prompt"]  # Excel never asked for a password


def test_protection_is_restored_with_the_clerks_own_settings(press):
    flags = {"AllowFormattingCells": False, "AllowSorting": True, "AllowFiltering": True,
             "AllowInsertingRows": False, "AllowDeletingRows": False, "AllowFormattingColumns": True}

    def protect(wb):
        ws = wb.sheet(layout.SHEET_KPI)
        ws.Unprotect()
        ws.Protect(DrawingObjects=False, Scenarios=True, **flags)
        ws.__dict__["EnableSelection"] = 1  # xlUnlockedCells
        ws.protect_calls.clear()

    book, excel, message = press(SAMPLE, "kpi_recalc", protect)
    ws = book.sheet(layout.SHEET_KPI)
    assert ws.protected and ws.EnableSelection == 1
    last = ws.protect_calls[-1]
    assert last["DrawingObjects"] is False and last["Scenarios"] is True and last["Password"] is None
    assert {k: last[k] for k in flags} == flags
    assert all(last[k] is False for k in fake_excel.PROTECT_FLAGS if k not in flags)


def test_a_failed_sheet_copy_keeps_the_old_sheet(press, tmp_path, monkeypatch):
    src = tmp_path / "book.xlsx"
    shutil.copy(SAMPLE, src)
    excel = fake_excel.Excel()
    book, _, _ = press(src, "kpi_recalc", excel=excel)
    old = book.sheet(layout.SHEET_SUMMARY).values()
    excel.fail_copy = True
    with fake_excel.attached(monkeypatch):
        ribbon.main(["kpi_recalc", str(excel.app.Hwnd), book.FullName])
    assert "予期しない問題" in excel.app.alerts[-1][0]
    assert book.sheet(layout.SHEET_SUMMARY).values() == old
    assert [s._name for s in book.sheets].count(layout.SHEET_SUMMARY) == 1
    assert not [s._name for s in book.sheets if s._name.startswith("kpi-new-")]
    assert book.sheet(layout.SHEET_KPI).protected  # protection put back even when the operation failed


# ---------------------------------------------------------------------------------------------- misc
def test_unexpected_errors_never_show_a_traceback(press, monkeypatch, tmp_path):
    def boom(book):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setitem(ribbon.ACTIONS, "kpi_recalc", boom)
    monkeypatch.setattr(ribbon, "LOG", tmp_path / "KPIAddin.log")
    book, excel, message = press(SAMPLE, "kpi_recalc")
    assert "Traceback" not in message and "予期しない問題" in message
    assert "ZeroDivisionError" in (tmp_path / "KPIAddin.log").read_text(encoding="utf-8")


def test_workbook_without_kpi_sheet_is_refused_politely(press, tmp_path):
    from openpyxl import Workbook
    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    book, excel, message = press(path, "kpi_recalc")
    assert "シート「KPI」がありません" in message


@pytest.mark.parametrize("argv, code", [
    (["kpi_recalc"], ribbon.EXIT_USAGE),
    (["kpi_recalc", "999999", "nothing.xlsx"], ribbon.EXIT_NO_EXCEL),
])
def test_launcher_arguments_that_do_not_lead_to_a_workbook_give_an_exit_code(monkeypatch, tmp_path, argv, code):
    monkeypatch.setattr(ribbon, "LOG", tmp_path / "KPIAddin.log")
    with fake_excel.attached(monkeypatch):
        assert ribbon.main(argv) == code


def test_no_sheet_the_addin_creates_ends_in_py():
    assert not [n for n in layout.OWNED_SHEETS + (layout.SHEET_SETTINGS, layout.SHEET_KPI)
                if n.lower().endswith(".py")]


def test_xlwings_version_is_pinned_to_the_addin_build():
    import xlwings
    assert ribbon.XLWINGS_VERSION == xlwings.__version__


def test_export_with_input_errors_runs_as_the_policy_says_and_says_so(press, tmp_path):
    """ops.EXPORT runs with errors (the KPIs concerned show 「－」): the ribbon and the command line agree."""
    from addin import ops
    from addin.cli import main
    from test_parity import tricky
    src = tricky(tmp_path / "book.xlsx")
    assert ops.EXPORT.runs_with_errors
    _, _, message = press(src, "kpi_export")
    assert "出力しました" in message and "注意: 入力にエラーが" in message, message
    assert main(["export", str(src), "--out", str(tmp_path / "cli"), "--format", "csv"]) == 1
