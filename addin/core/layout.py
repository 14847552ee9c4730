"""The shape of the workbook: sheet names, the KPI table's columns, the settings sheet's keys.

Template builder, readers (openpyxl and xlwings) and writers all take the layout from here, so a column is
named in one place.  Columns are found by their header text, so a clerk may reorder or insert columns.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .values import fiscal_year

SHEET_SETTINGS = "設定"
SHEET_KPI = "KPI"
SHEET_SUMMARY = "KPI達成状況"
SHEET_FINDINGS = "検証結果"

# sheets the tool writes as a whole; everything else belongs to the clerk
OWNED_SHEETS = (SHEET_SUMMARY, SHEET_FINDINGS)

HEADER_ROW = 4          # in the template: row 1 title, row 2 notes, row 3 input/computed band, row 4 headers
FIRST_DATA_ROW = 5


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float = 10
    computed: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    help: str = ""


DIRECTIONS = {"増加": "up", "減少": "down", "維持": "keep"}
FORMULAS = {"比率": "ratio", "差分": "difference"}
AGGREGATIONS = {"最新年度": "latest", "期間合計": "sum", "入力値": "as_entered"}
KPI_KINDS = {"数値": "quantitative", "定性": "qualitative"}
YES = ("○", "〇", "◯", "はい", "累計", "1", "TRUE", "True", "true", "Y", "y", "yes")

INPUT_COLUMNS: tuple[Column, ...] = (
    Column("kpi_id", "KPI番号", 11, aliases=("番号", "No", "No."), help="任意の一意な番号"),
    Column("goal_code", "重点戦略", 8, required=True, aliases=("基本目標", "政策分野", "分野"),
           help="レベル1の番号（例: 1）"),
    Column("goal_name", "重点戦略名", 24, aliases=("基本目標名", "分野名")),
    Column("policy_code", "戦略方針", 8, aliases=("基本的方向", "主な施策")),
    Column("policy_name", "戦略方針名", 20, aliases=("基本的方向名",)),
    Column("measure_code", "具体的施策", 9, aliases=("施策",)),
    Column("measure_name", "具体的施策名", 22, aliases=("施策名",)),
    Column("name", "KPI名", 34, required=True, aliases=("KPI 名", "指標名", "項目", "重要業績評価指標")),
    Column("unit", "単位", 7),
    Column("baseline", "基準値", 10, aliases=("策定時", "現状値", "現況値")),
    Column("baseline_year", "基準年度", 8, aliases=("策定時年度", "基準値年度")),
    # yearly actual columns (実績値 R2 ...) are inserted here, one per fiscal year
    Column("target", "目標値", 10, aliases=("目標",)),
    Column("target_year", "目標年度", 8, aliases=("目標値年度",)),
    Column("direction", "方向", 7, choices=tuple(DIRECTIONS), help="増加 / 減少 / 維持"),
    Column("formula", "算定式", 7, choices=tuple(FORMULAS), help="比率 (b)/(c) / 差分 (b-a)/(c-a)"),
    Column("cumulative", "累計", 5, choices=("○",), help="累計値のKPIは ○"),
    Column("aggregation", "実績の集計", 9, choices=tuple(AGGREGATIONS), help="最新年度 / 期間合計 / 入力値"),
    Column("kind", "種別", 6, choices=tuple(KPI_KINDS), help="数値 / 定性"),
    Column("status_override", "評価(手入力)", 9, aliases=("手動評価",), help="計算結果に代えて手で付ける評価"),
    Column("department", "担当課", 12),
    Column("notes", "備考", 18),
    Column("published_progress", "公表済進捗率", 9, aliases=("公表進捗率",),
           help="公表済みの進捗率（照合用、任意）"),
)

COMPUTED_COLUMNS: tuple[Column, ...] = (
    Column("progress", "進捗率", 9, computed=True),
    Column("status", "評価", 9, computed=True),
    Column("reason", "算定メモ", 30, computed=True),
    Column("check", "検証", 14, computed=True),
    # pace (見込み) on the straight path from baseline to target; beside the status, never changing it
    Column("pace", "見込み", 9, computed=True),
    Column("pace_need", "残り年数の必要量", 18, computed=True),
)

def is_computed(key: str) -> bool:
    return any(c.key == key for c in COMPUTED_COLUMNS)


ACTUAL_HEADER = "実績値"
TARGET_HEADER = "目標値"
_ACTUAL_WORD = re.compile(r"実績値?")
_TARGET_WORD = re.compile(r"目標値?")
_HEADER_SEPARATORS = " /・:;_-|"


def actual_header(year: int) -> str:
    from .values import era_label
    return f"{ACTUAL_HEADER} {era_label(year)}"


def target_header(year: int) -> str:
    """Header of a yearly target column (a target per year where the plan sets one): 目標値 R3."""
    from .values import era_label
    return f"{TARGET_HEADER} {era_label(year)}"


def _year_of_header(text: object, word: re.Pattern, other: re.Pattern, bare: bool) -> int | None:
    """The fiscal year named by a yearly column header once the word (実績値 / 目標値) is taken out; a header that
    names the other word is not this kind of column.  ``bare``: a year alone (令和2年度, 2026 (R8)) counts."""
    if not isinstance(text, str):
        return None
    t = unicodedata.normalize("NFKC", text).strip()
    if not t or len(t) > 40 or other.search(t) or (not bare and not word.search(t)):
        return None
    rest = word.sub(" ", t).strip(_HEADER_SEPARATORS)
    while len(rest) >= 2 and rest[0] in "([【" and rest[-1] in ")]】":
        rest = rest[1:-1].strip(_HEADER_SEPARATORS)
    return fiscal_year(rest)


def actual_year_of_header(text: object) -> int | None:
    """The fiscal year of a yearly actual column header, as municipalities print them: 実績値 R2, 実績 2021,
    R3実績, 実績値(R4), R2/実績値, 実績値 R2, and a year alone (令和2年度, 2026 (R8)): yearly columns hold actuals."""
    return _year_of_header(text, _ACTUAL_WORD, _TARGET_WORD, bare=True)


def target_year_of_header(text: object) -> int | None:
    """The fiscal year of a yearly target column header: 目標値 R3, 目標 2022, R4目標, 目標値(R5), 目標値 R8,
    2026 (R8) 目標."""
    return _year_of_header(text, _TARGET_WORD, _ACTUAL_WORD, bare=False)


def normalise_header(text: object) -> str:
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", t)


def column_for_header(text: object) -> Column | None:
    h = normalise_header(text)
    if not h:
        return None
    for col in INPUT_COLUMNS + COMPUTED_COLUMNS:
        if h == normalise_header(col.header) or h in (normalise_header(a) for a in col.aliases):
            return col
    return None


# settings sheet: label in column A, value in column B
SETTINGS_KEYS: tuple[tuple[str, str, str], ...] = (
    ("municipality", "自治体名", ""),
    ("plan_name", "計画名", ""),
    ("plan_start", "計画期間（開始年度）", "例: R2 または 2020"),
    ("plan_end", "計画期間（終了年度）", "例: R6 または 2024"),
    ("evaluation_year", "評価年度", "実績を評価する年度。これより後の年度の列は評価に使いません"),
    ("baseline_label", "基準値の呼び方", "帳票の列名（例: 策定時）"),
    ("scheme", "評価方式", "four-class（4区分）/ three-mark（○△×）/ letter（A～D）/ 独自のJSONファイル名"),
    ("letter_thresholds", "評価方式の閾値", "letter の場合: 例 100,80,50（%）"),
    ("pace_thresholds", "見込みの閾値", "順調/やや遅れ/遅れ の境目（%）: 例 100,80"),
    ("municipality_code", "全国地方公共団体コード", "6桁（例: 352152）。オープンデータのCSVに出力します"),
)
SETTINGS_LABELS = {label: key for key, label, _ in SETTINGS_KEYS}
