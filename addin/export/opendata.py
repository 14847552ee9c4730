"""CSV for open data: UTF-8 with BOM (Excel in Japan opens it correctly), one row per KPI.

Columns (header row in Japanese):
  重点戦略, 重点戦略名, 戦略方針, 具体的施策, KPI番号, KPI名, 単位,
  基準値, 基準年度, 実績値, 実績年度, 目標値, 目標年度, 進捗率(%), 評価, 評価の方法, 算定式
* values are plain numbers (no thousands separators, no units); blank when there is no number
* years are fiscal years in the Western calendar (2018 for H30)
* 進捗率(%) is the progress as a percent number rounded half up to one decimal, as printed (70.7 = 70.7%)
* 評価の方法: 算定 (computed by the scheme) or 手入力 (set by hand by the department)
* text cells beginning with = + - @ TAB CR LF are prefixed with ' so no spreadsheet program runs them
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..core.evaluate import Evaluation
from .public import FORMULA_TEXT, PublicReport, inert, public_report

COLUMNS = ("重点戦略", "重点戦略名", "戦略方針", "具体的施策", "KPI番号", "KPI名", "単位",
           "基準値", "基準年度", "実績値", "実績年度", "目標値", "目標年度", "進捗率(%)", "評価", "評価の方法", "算定式")


def rows(rep: PublicReport):
    yield COLUMNS
    for r in rep.rows:
        yield tuple(inert(v) for v in (
            r.goal_code, r.goal_name, r.policy_code, r.measure_code, r.kpi_id, r.name, r.unit,
            r.baseline, r.baseline_year, r.actual, r.actual_year, r.target, r.target_year,
            r.progress_percent, r.status, "手入力" if r.override else "算定", FORMULA_TEXT.get(r.formula, r.formula)))


def export_csv(ev: Evaluation, path: Path) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        for row in rows(public_report(ev)):
            w.writerow(["" if v is None else v for v in row])
    return path
