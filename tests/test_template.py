"""The committed template and samples are exactly what the code in the repository produces.

Regenerate after a deliberate change with:  python -m addin.book.template
"""
import zipfile

import pytest
from openpyxl import load_workbook

from addin.book.template import TARGETS, write_all
from addin.core import layout
from xlsx_compare import diff_parts


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("regen")
    return {p.name: p for p in write_all(out)}


@pytest.mark.parametrize("name", list(TARGETS))
def test_committed_workbook_equals_generated(name, regenerated):
    committed = TARGETS[name][1]
    problems = diff_parts(committed, regenerated[committed.name])
    assert problems == [], f"{committed} is stale; run python -m addin.book.template ({problems})"


@pytest.mark.parametrize("name", list(TARGETS))
def test_plain_xlsx_without_macros(name):
    with zipfile.ZipFile(TARGETS[name][1]) as z:
        assert not [n for n in z.namelist() if "vbaProject" in n]
        ct = z.read("[Content_Types].xml").decode()
        assert "macroEnabled" not in ct


def test_template_input_cells_unlocked_computed_locked_and_dropdowns():
    wb = load_workbook(TARGETS["template"][1])
    assert wb.sheetnames[:2] == [layout.SHEET_SETTINGS, layout.SHEET_KPI]
    ws = wb[layout.SHEET_KPI]
    headers = {ws.cell(layout.HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1)}
    assert ws.protection.sheet
    for col in layout.INPUT_COLUMNS:
        c = headers[col.header]
        assert ws.cell(layout.FIRST_DATA_ROW, c).protection.locked is False, col.header
    for col in layout.COMPUTED_COLUMNS:
        c = headers[col.header]
        cell = ws.cell(layout.FIRST_DATA_ROW, c)
        assert cell.protection.locked is True and cell.fill.fgColor.rgb.endswith("E7E6E6"), col.header
    # every coded column has a dropdown list
    lists = {next(iter(dv.sqref.ranges)).min_col: dv.formula1 for dv in ws.data_validations.dataValidation
             if dv.type == "list"}
    for col in layout.INPUT_COLUMNS:
        if col.choices:
            assert headers[col.header] in lists, col.header
    # one actual column per fiscal year of the plan period
    assert [h for h in headers if isinstance(h, str) and h.startswith("実績値")] == \
        ["実績値 R7", "実績値 R8", "実績値 R9", "実績値 R10", "実績値 R11"]
