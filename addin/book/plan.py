"""The workbook follows the plan: add the next fiscal year's 実績値 column to an existing KPI workbook."""
from __future__ import annotations

from copy import copy
from dataclasses import dataclass
from pathlib import Path

from ..core import layout
from ..core.table import find_header, map_columns, read_settings
from ..core.values import era_label, fiscal_year
from ..errors import KpiError
from . import safety
from .columns import insert_columns
from .files import open_workbook, sheet_block


@dataclass
class AddedYear:
    year: int
    column: str             # letter of the new column
    header: str
    plan_end_changed: bool  # the settings sheet's plan end was moved to the new year
    backup: Path


def save(wb, path: Path) -> Path:
    """The one place this module writes a clerk's workbook: the same safe save recalc uses."""
    return safety.atomic_save(wb, path)


def add_year(path, year=None) -> AddedYear:
    """Insert the 実績値 column of ``year`` (default: the year after the last 実績値 column) right after the last
    yearly actual column, styled like it.  When the year lies after the plan's end, the settings sheet's plan end
    moves to it (a plan extended by a year), so the workbook still validates."""
    path = Path(path)
    safety.check_safe(path)
    wb = open_workbook(path)
    if layout.SHEET_KPI not in wb.sheetnames:
        raise KpiError(f"「{path.name}」にシート「{layout.SHEET_KPI}」がありません。kpi import で取り込んだブックか"
                       "テンプレートから作ったブックを指定してください。")
    ws = wb[layout.SHEET_KPI]
    block = sheet_block(ws)[0]
    header = find_header(block)
    if header is None:
        raise KpiError(f"シート「{layout.SHEET_KPI}」にKPIの表の見出し行（KPI名・単位・基準値…）が見つかりません。")
    cols, actual_cols = map_columns(block[header - 1])
    if year is not None:
        y = fiscal_year(year)
        if y is None:
            raise KpiError(f"--year「{year}」を年度として読み取れません。R7 や 2025 のように指定してください。")
    elif actual_cols:
        y = max(actual_cols) + 1
    else:
        raise KpiError("実績値の列がないため、追加する年度が決まりません。--year R7 のように指定してください。")
    if y in actual_cols:
        raise KpiError(f"{era_label(y)}の実績値の列は既にあります（{ws.cell(header, actual_cols[y]).coordinate}）。")
    before = [c for yy, c in actual_cols.items() if yy < y]
    if before:
        src = actual_cols[max(yy for yy in actual_cols if yy < y)]
        at = src + 1
    elif actual_cols:
        src = actual_cols[min(actual_cols)]
        at = src
    else:
        src = cols.get("baseline_year") or cols.get("baseline") or cols["name"]
        at = src + 1
    insert_columns(wb, ws, at, 1)
    if src >= at:
        src += 1
    for r in range(1, ws.max_row + 1):
        s, d = ws.cell(r, src), ws.cell(r, at)
        if s.has_style and r >= header:
            d._style = copy(s._style)
    text = layout.actual_header(y)
    ws.cell(header, at, text)
    changed = _extend_plan(wb, y)
    backup = save(wb, path)
    return AddedYear(y, ws.cell(header, at).column_letter, text, changed, backup)


def _extend_plan(wb, year: int) -> bool:
    if layout.SHEET_SETTINGS not in wb.sheetnames:
        return False
    ws = wb[layout.SHEET_SETTINGS]
    settings, _ = read_settings(sheet_block(ws)[0])
    cell = settings.cells.get("plan_end")
    if cell and settings.plan_end is not None and year > settings.plan_end:
        ws[cell] = era_label(year)
        return True
    if cell and settings.plan_start is not None and year < settings.plan_start:
        start = settings.cells.get("plan_start")
        if start:
            ws[start] = era_label(year)
            return True
    return False
