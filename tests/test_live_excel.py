"""The ribbon's actions in a real Excel (Windows or macOS with Excel installed); skipped elsewhere.

Run on a workstation with Excel:  python -m pytest -m live
"""
import shutil
import sys

import pytest

from addin.core import layout
from conftest import SAMPLE


def _excel_available() -> bool:
    if sys.platform not in ("win32", "darwin"):
        return False
    try:
        import xlwings as xw
        xw.App(visible=False, add_book=False).quit()
        return True
    except Exception:  # xlwings without an engine, or Excel not installed
        return False


pytestmark = [pytest.mark.live,
              pytest.mark.skipif(not _excel_available(), reason="Excel が必要です（Windows / macOS で xlwings が Excel を起動できること）")]


@pytest.fixture
def excel_book(tmp_path):
    import xlwings as xw
    path = tmp_path / "mine_r4.xlsx"
    shutil.copy(SAMPLE, path)
    app = xw.App(visible=False, add_book=False)
    book = app.books.open(str(path))
    yield book
    book.close()
    app.quit()


def test_recalc_in_excel_reproduces_the_published_tally(excel_book):
    from addin import ribbon
    message = ribbon.dispatch("kpi_recalc", book=excel_book)
    assert "目標達成 26" in message and "未達成↓ 20" in message
    names = [s.name for s in excel_book.sheets]
    assert layout.SHEET_SUMMARY in names and layout.SHEET_FINDINGS in names
    summary = excel_book.sheets[layout.SHEET_SUMMARY]
    values = summary.used_range.value
    total = next(r for r in values if r and r[0] == "合計")
    assert [int(x) for x in total[1:6]] == [26, 19, 13, 20, 78]


def test_validate_in_excel_changes_no_typed_value(excel_book):
    from addin import ribbon
    kpi = excel_book.sheets[layout.SHEET_KPI]
    before = kpi.range("A1:AA90").value
    ribbon.dispatch("kpi_validate", book=excel_book)
    assert kpi.range("A1:AA90").value == before
