"""The ribbon's actions through the xlwings adapter, against a stand-in that records every xlwings call.

The results must equal the command line's, and the number of calls must not grow with the number of KPIs.
"""
import shutil

import pytest
import xlwings

import fake_xlwings
from addin import ribbon
from addin.book.template import MINE_SETTINGS, SAMPLE_SOURCE, build_workbook
from addin.core import layout
from conftest import SAMPLE

BUTTONS = list(ribbon.ACTIONS)


@pytest.fixture
def press(monkeypatch):
    """Press a ribbon button on a workbook 'open in Excel': dispatch finds it with xw.Book.caller()."""
    def _press(path, button):
        book, rec = fake_xlwings.open_book(path)
        monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: book))
        message = ribbon.dispatch(button)
        return book, rec, message
    return _press


def big_sample(tmp_path, times: int):
    """The Mine sample's 78 KPIs repeated ``times`` times (ids kept unique)."""
    import csv
    from addin.book.template import _typed
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
    path = tmp_path / f"mine_x{times}.xlsx"
    build_workbook(MINE_SETTINGS, rows, data_rows=len(rows) + 20).save(path)
    return path


def cli_result(tmp_path, source):
    from addin.cli import main
    copy = tmp_path / "cli.xlsx"
    shutil.copy(source, copy)
    assert main(["recalc", str(copy)]) in (0, 1)
    return fake_xlwings.FakeBook(fake_xlwings.FakeApp(fake_xlwings.Recorder()), copy, fake_xlwings.Recorder())


def test_recalc_button_gives_the_same_workbook_as_the_cli(press, tmp_path):
    book, rec, message = press(SAMPLE, "kpi_recalc")
    assert "再計算" in message and "目標達成 26" in message
    cli = cli_result(tmp_path, SAMPLE)
    for sheet in (layout.SHEET_KPI, layout.SHEET_SUMMARY, layout.SHEET_FINDINGS):
        live, expected = book.sheet(sheet).values(), cli.sheet(sheet).values()
        assert live == pytest.approx(expected) if sheet == layout.SHEET_KPI else live == expected, sheet
    names = [s._name for s in book._sheets]
    assert names.index(layout.SHEET_SUMMARY) == names.index(layout.SHEET_KPI) + 1
    assert book.sheet(layout.SHEET_KPI).protected  # protection put back after writing
    # the tool's two highlight rules, installed once
    rules = [fc for fc in book.sheet(layout.SHEET_KPI).conditions if not fc.deleted]
    assert len(rules) == 2 and all("kpi-addin-check" in fc.Formula1 for fc in rules)


def test_recalc_runs_with_screen_updating_off_and_manual_calculation(press):
    book, rec, _ = press(SAMPLE, "kpi_recalc")
    assert dict(screen_updating=False, calculation="manual", enable_events=False) in book.app.property_changes


def test_validate_button_lists_findings_and_changes_no_typed_value(press):
    before = fake_xlwings.open_book(SAMPLE)[0].sheet(layout.SHEET_KPI).values()
    book, rec, message = press(SAMPLE, "kpi_validate")
    assert "警告" in message
    after = book.sheet(layout.SHEET_KPI).values()
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    check_col = next(c for (r, c), v in after.items() if r == layout.HEADER_ROW and v == "検証")
    assert changed and all(c == check_col for _, c in changed)
    findings = book.sheet(layout.SHEET_FINDINGS).values()
    assert any(v == "N9" for v in findings.values())  # 11(R1), stale


def test_export_button_writes_the_public_files_beside_the_workbook(press, tmp_path):
    src = tmp_path / "mine_r4.xlsx"
    shutil.copy(SAMPLE, src)
    book, rec, message = press(src, "kpi_export")
    out = tmp_path / "mine_r4_公表用"
    assert "出力しました" in message, message
    files = {p.suffix for p in out.iterdir()}
    assert {".xlsx", ".html", ".csv", ".pdf"} <= files
    assert rec.calls.count("Book.to_pdf") == 1


@pytest.mark.parametrize("button", BUTTONS)
def test_number_of_excel_calls_does_not_grow_with_the_number_of_kpis(press, tmp_path, button):
    small, big = big_sample(tmp_path, 1), big_sample(tmp_path, 10)
    counts = []
    for path in (small, big):
        _, rec, message = press(path, button)
        assert "予期しない" not in message, message
        counts.append(len(rec.calls))
    assert counts[0] == counts[1], f"78 KPIs: {counts[0]} calls, 780 KPIs: {counts[1]} calls"


def test_unexpected_errors_never_show_a_traceback(press, monkeypatch, tmp_path):
    def boom(book):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setitem(ribbon.ACTIONS, "kpi_recalc", boom)
    monkeypatch.setattr(ribbon, "LOG", tmp_path / "KPIAddin.log")
    book, rec, message = press(SAMPLE, "kpi_recalc")
    assert "Traceback" not in message and "予期しない問題" in message
    assert book.app.alerts[-1][1] == "critical"


def test_workbook_without_kpi_sheet_is_refused_politely(press, tmp_path):
    from openpyxl import Workbook
    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    book, rec, message = press(path, "kpi_recalc")
    assert "シート「KPI」がありません" in message


def test_password_protected_kpi_sheet_is_refused_with_what_to_do(monkeypatch):
    book, rec = fake_xlwings.open_book(SAMPLE)
    book.sheet(layout.SHEET_KPI).password = "secret"
    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: book))
    message = ribbon.dispatch("kpi_recalc")
    assert "パスワードで保護" in message and "シート保護の解除" in message
    assert book.app.alerts[-1][1] == "critical"


def test_no_sheet_the_addin_creates_ends_in_py():
    assert not [n for n in layout.OWNED_SHEETS + (layout.SHEET_SETTINGS, layout.SHEET_KPI)
                if n.lower().endswith(".py")]


def test_xlwings_version_is_pinned_to_the_addin_build():
    assert ribbon.XLWINGS_VERSION == xlwings.__version__
