"""CSV for open data: UTF-8 with BOM (Excel in Japan opens it correctly), one row per KPI, with a data
dictionary (項目定義) beside it describing every column.

Following the 推奨データセット conventions: the municipality is identified by its 全国地方公共団体コード (6 digits)
and name on every row, so files of many cities can be stacked.
* values are plain numbers (no thousands separators, no units); blank when there is no number
* years are fiscal years in the Western calendar (2018 for H30)
* 進捗率(%) is the progress as a percent number rounded half up to one decimal, as printed (70.7 = 70.7%)
* codes are written with "_" instead of "-" (1_1_1): spreadsheet programs read 1-1 or 1-1-1 as a date
* KPI名 without the ※ mark of the printed tables (the column 算定式 says which KPIs use (b-a)/(c-a))
* text cells beginning with = + - @ TAB CR LF are prefixed with ' so no spreadsheet program runs them
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..core.evaluate import Evaluation
from .public import FORMULA_TEXT, PublicReport, inert, public_report

DIRECTION_TEXT = {"up": "増加", "down": "減少", "keep": "維持"}

# (column, type, description): the data dictionary, and the CSV's header row in this order
DICTIONARY: tuple[tuple[str, str, str], ...] = (
    ("全国地方公共団体コード", "文字列(6桁)", "総務省の全国地方公共団体コード（検査数字を含む6桁）"),
    ("自治体名", "文字列", "計画を策定した地方公共団体の名称"),
    ("計画名", "文字列", "総合戦略の名称"),
    ("評価年度", "整数(西暦年度)", "実績を評価した年度（例: 2022 = 令和4年度）"),
    ("重点戦略", "文字列", "レベル1（重点戦略・基本目標）の番号"),
    ("重点戦略名", "文字列", "レベル1の名称"),
    ("戦略方針", "文字列", "レベル2（戦略方針・基本的方向）の番号。区切りは「_」（例: 1_2）"),
    ("戦略方針名", "文字列", "レベル2の名称"),
    ("具体的施策", "文字列", "レベル3（具体的施策）の番号。区切りは「_」（例: 1_2_1）"),
    ("具体的施策名", "文字列", "レベル3の名称"),
    ("KPI番号", "文字列", "KPIの番号（区切りは「_」）"),
    ("KPI名", "文字列", "重要業績評価指標の名称（印刷物の※印は付けない）"),
    ("単位", "文字列", "KPIの単位"),
    ("基準値", "数値", "策定時（基準年度）の値。値がない場合は空欄"),
    ("基準年度", "整数(西暦年度)", "基準値の年度"),
    ("実績値", "数値", "評価に用いた実績値。値がない場合は空欄"),
    ("実績年度", "整数(西暦年度)", "実績値の年度（評価年度より古い場合がある）"),
    ("目標値", "数値", "総合戦略で定めた目標値"),
    ("目標年度", "整数(西暦年度)", "目標値の年度"),
    ("方向", "文字列", "望ましい方向: 増加 / 減少 / 維持"),
    ("算定式", "文字列", "進捗率の算定式: 比率 (b)/(c) または 差分 (b-a)/(c-a)（a 基準値、b 実績値、c 目標値）"),
    ("進捗率(%)", "数値", "進捗率（%）。小数第2位を四捨五入。算定できない場合は空欄"),
    ("評価", "文字列", "評価の区分（評価方式の区分名）"),
    ("評価コード", "整数", "評価の区分の番号（評価方式の区分の順に 1, 2, …。{classes}）。評価がない場合は空欄"),
    ("評価の方法", "文字列", "算定（評価方式による計算）または 手入力（担当課の判断）"),
)
COLUMNS = tuple(c for c, _, _ in DICTIONARY)


def safe_code(code: str) -> str:
    """1-1-1 → 1_1_1: a code a spreadsheet program will not turn into a date."""
    return (code or "").replace("-", "_").replace("/", "_")


def plain_name(label: str) -> str:
    return (label or "").rstrip("※").rstrip()


def rows(rep: PublicReport, ev: Evaluation):
    yield COLUMNS
    s = ev.settings
    code = (s.municipality_code or "").strip()
    classes = list(rep.classes)
    policy_names = {r.kpi.policy_code: r.kpi.policy_name for r in ev.results}
    measure_names = {r.kpi.measure_code: r.kpi.measure_name for r in ev.results}
    for r, res in zip(rep.rows, ev.results):
        yield tuple(inert(v) for v in (
            code, rep.municipality, rep.plan_name, rep.evaluation_year,
            safe_code(r.goal_code), r.goal_name, safe_code(r.policy_code), policy_names.get(r.policy_code) or "",
            safe_code(r.measure_code), measure_names.get(r.measure_code) or "", safe_code(r.kpi_id),
            plain_name(r.name), r.unit,
            r.baseline, r.baseline_year, r.actual, r.actual_year, r.target, r.target_year,
            DIRECTION_TEXT.get(res.kpi.direction, res.kpi.direction),
            FORMULA_TEXT.get(r.formula, r.formula),
            r.progress_percent, r.status, classes.index(r.status) + 1 if r.status in classes else None,
            "手入力" if r.override else "算定"))


def export_csv(ev: Evaluation, path: Path) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        for row in rows(public_report(ev), ev):
            w.writerow(["" if v is None else v for v in row])
    return path


def export_dictionary(ev: Evaluation, path: Path) -> Path:
    """項目定義: one row per column of the CSV (項目名, 型, 説明), same encoding."""
    classes = "、".join(f"{i} {c}" for i, c in enumerate(ev.scheme.classes, start=1))
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(("項目名", "型", "説明"))
        for name, kind, text in DICTIONARY:
            w.writerow((name, kind, text.replace("{classes}", classes)))
    return path
