"""The catalogue of findings: every problem the tool can report, with a stable code, a severity and a
Japanese message template.  Wording lives here only.

A finding is data first (``to_dict`` for JSON), text second (``message``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "エラー"     # cannot compute
WARNING = "警告"     # computed, but doubtful
INFO = "情報"

SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class FindingType:
    code: str
    severity: str
    title: str
    template: str  # str.format with the finding's params


_TYPES = [
    # entries the parser cannot read
    FindingType("unreadable", ERROR, "読み取れない値",
                "「{entry}」は数値として読み取れません。{field}には数値（例: 1,234、▲5、66.5%、11(R1)）"
                "または欠測の記号（—、未実施、集計中）を入力してください。"),
    FindingType("compound_value", ERROR, "複数の値",
                "「{entry}」には複数の値が含まれており、1つの数値として計算できません。指標を分けるか、"
                "評価に使う1つの値を入力し、内訳は備考に書いてください。"),
    FindingType("approximate_value", ERROR, "概数",
                "「{entry}」は概数のため計算できません。確定値を入力するか、確定していない場合は「集計中」と入力してください。"),
    FindingType("relative_target", ERROR, "数値でない目標・実績",
                "「{entry}」は他の値を基準にした表現のため計算できません。{field}には比べる先の数値（例: 全国平均の値）を"
                "入力し、説明は備考に書いてください。"),
    FindingType("excel_error", ERROR, "Excelのエラー値",
                "セルがエラー値「{entry}」になっています。数式を直すか、値を入力してください。"),
    FindingType("formula_no_value", ERROR, "数式の計算結果がない",
                "数式「{entry}」の計算結果が保存されていません。Excelで開いて保存し直すか、値を入力してください。"),
    FindingType("date_value", ERROR, "日付として入力",
                "{field}が日付（{entry}）として入力されています。セルの表示形式を「標準」にして数値を入力してください。"),
    FindingType("too_large", ERROR, "大きすぎる値",
                "「{entry}」は大きすぎて計算に使えません。単位（千円・万人など）を見直してください。"),
    FindingType("unit_mismatch", WARNING, "単位の不一致",
                "「{entry}」の単位「{suffix}」がKPIの単位「{unit}」と異なります。単位の列に合わせて数値だけを入力してください。"
                "（数値 {value} として計算しました）"),
    FindingType("unit_mismatch_error", ERROR, "単位の不一致",
                "「{entry}」の単位「{suffix}」はKPIの単位「{unit}」に換算できません。単位の列（{unit}）に合わせた数値だけを"
                "入力してください。"),
    FindingType("unit_converted", WARNING, "単位の換算",
                "「{entry}」をKPIの単位「{unit}」に換算して {value} として計算しました。{unit}単位の数値のつもりであれば、"
                "単位を付けずに数値だけを入力してください。"),
    FindingType("percent_not_unit", WARNING, "単位が%でない",
                "「{entry}」に%が付いていますが、KPIの単位は「{unit}」です。単位を「%」にするか、%を外してください。"),
    FindingType("percent_fraction", WARNING, "割合の桁",
                "単位が%のKPIに「{entry}」と入力されています。{percent}%の意味であれば {percent} と入力してください。"),
    FindingType("percent_range", WARNING, "%の範囲外",
                "単位が%のKPIで値 {value} は0～100の範囲外です。入力を確認してください。"),
    # missing parts of a row
    FindingType("missing_target", ERROR, "目標値がない",
                "目標値が入力されていないため進捗率を計算できません。目標値（例: 540、21以上、現状維持）を入力してください。"),
    FindingType("missing_actual", ERROR, "実績値がない",
                "評価年度（{year}）までの実績値が入力されていません。実績値または「集計中」などの記号を入力してください。"),
    FindingType("actual_marker", INFO, "実績が欠測",
                "実績値が「{entry}」のため進捗率は計算していません。"),
    FindingType("missing_baseline", WARNING, "基準値がない",
                "基準値が入力されていません。差分の算定式や基準値との比較（改善・悪化）ができません。"
                "基準値がない指標であれば「—」と入力してください。"),
    FindingType("missing_goal", ERROR, "重点戦略がない",
                "KPI「{name}」に重点戦略（レベル1の番号）が入力されていません。集計に使う番号を入力してください。"),
    FindingType("missing_name", ERROR, "KPI名がない",
                "この行には値がありますが、KPI名がありません。KPI名を入力してください。"),
    # years
    FindingType("stale_actual", WARNING, "古い年度の実績",
                "実績値「{entry}」は{entry_year}の値で、評価年度 {eval_year} より古いものです。"
                "最新の実績が把握できれば更新してください。"),
    FindingType("future_year", ERROR, "評価年度より後の年度",
                "「{entry}」の年度 {entry_year} が評価年度 {eval_year} より後です。年度を確認してください。"),
    FindingType("year_order", WARNING, "年度の前後関係",
                "{field}の年度 {year} が{other} {other_year} より{relation}です。"
                "年度の入力（H と R の取り違えなど）を確認してください。"),
    FindingType("bad_year", ERROR, "年度が読み取れない",
                "年度「{entry}」を読み取れません。R4、H30、2022、令和4年度のように入力してください。"),
    # formula and direction
    FindingType("target_equals_baseline", WARNING, "目標値が基準値と同じ",
                "算定式が差分 (b-a)/(c-a) ですが、目標値と基準値が同じ（{value}）ため進捗率を計算できません。"
                "算定式を比率にするか、方向を「維持」にしてください。"),
    FindingType("zero_target", WARNING, "目標値が0",
                "目標値が0のため、比率 (b)/(c) では進捗率を算定できません（進捗率は空欄、評価は基準値との比較で判定）。"
                "算定式を差分にするか、目標値を見直してください。"),
    FindingType("progress_undefined", INFO, "進捗率を算定できない",
                "{reason}進捗率は「－」とし、評価は基準値との比較で判定しています。算定式・目標値が正しいか確認してください。"),
    FindingType("direction_conflict", WARNING, "方向と目標の不一致",
                "方向は「{direction}」ですが、目標値（{target}）が基準値（{baseline}）より{wrong}です。方向か目標値を確認してください。"),
    FindingType("target_below_baseline", INFO, "増加目標だが目標値が基準値以下",
                "方向は「増加」ですが、目標値（{target}）が基準値（{baseline}）より小さい値です。人口減少などを見込んだ"
                "意図的な目標であれば問題ありません（評価は入力どおり増加として判定しています）。誤りであれば目標値か方向を直してください。"),
    # codes and duplicates
    FindingType("unknown_code", ERROR, "選択肢にない値",
                "{field}の「{entry}」は選択肢にありません。{choices} のいずれかを入力してください。"),
    FindingType("duplicate_id", ERROR, "KPI番号の重複",
                "KPI番号「{entry}」が{other}にもあります。番号は重複しないようにしてください。"),
    FindingType("duplicate_name", WARNING, "同じ施策内でKPI名が重複",
                "同じ具体的施策（{measure}）にKPI名「{entry}」が{other}にもあります。"),
    FindingType("unknown_override", ERROR, "評価(手入力)が評価方式にない",
                "評価(手入力)の「{entry}」は評価方式「{scheme}」の区分にありません。{choices} のいずれかを入力してください。"),
    FindingType("override_used", INFO, "手入力の評価",
                "評価は手入力の「{entry}」です（計算上の評価: {computed}）。"),
    FindingType("published_mismatch", WARNING, "公表値と計算値の不一致",
                "公表済の進捗率 {published} と計算した進捗率 {computed} が一致しません。公表資料の転記を確認してください。"),
    FindingType("settings_invalid", ERROR, "設定の誤り",
                "設定「{field}」の値「{entry}」が正しくありません。{hint}"),
    FindingType("no_kpis", ERROR, "KPIがない",
                "シート「{sheet}」にKPIの行が見つかりません。見出し行（KPI名・単位…）の下に入力してください。"),
    FindingType("missing_sheet", ERROR, "シートがない",
                "シート「{sheet}」が見つかりません。テンプレートのシート名のままにしてください。"),
    # the 施策 sheet (narratives of the evaluation report)
    FindingType("narrative_missing_text", WARNING, "施策の記述が未入力",
                "{level} {code}「{name}」の「{field}」が入力されていません（担当課: {department}）。"
                "報告書のこの欄が空になります。"),
    FindingType("narrative_missing_row", WARNING, "施策の行がない",
                "{level} {code}「{name}」の行がシート「施策」にありません。行を追加し、説明と記述を入力してください。"),
    FindingType("narrative_unknown_code", WARNING, "KPIシートにない施策",
                "{level}の番号「{entry}」はシート「KPI」にありません。番号を確認してください（報告書には出力しません）。"),
    FindingType("narrative_duplicate", ERROR, "施策の番号の重複",
                "{level}の番号「{entry}」が{other}にもあります。1つの行にまとめてください。"),
    FindingType("narrative_bad_level", ERROR, "施策の区分が不明",
                "区分の「{entry}」は読み取れません。{choices} のいずれかを入力してください。"),
    FindingType("narrative_no_code", ERROR, "施策の番号がない",
                "{level}の行に番号がありません。シート「KPI」と同じ番号（例: 1-1-1）を入力してください。"),
    FindingType("narrative_no_header", ERROR, "施策シートの見出しがない",
                "シート「{sheet}」に見出し行（{headers}）が見つかりません。テンプレートの見出しのままにしてください。"),
]
CATALOGUE: dict[str, FindingType] = {t.code: t for t in _TYPES}


@dataclass(frozen=True)
class Finding:
    """One problem at one place."""
    code: str
    sheet: str = ""
    cell: str = ""           # A1 address, e.g. "N12"
    entry: object = None     # the entry as typed
    kpi: str = ""            # KPI name, for the clerk's orientation
    row: int | None = None
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def type(self) -> FindingType:
        return CATALOGUE[self.code]

    @property
    def severity(self) -> str:
        return self.type.severity

    @property
    def message(self) -> str:
        """The Japanese message; a missing parameter never raises (the template is shown as is)."""
        try:
            return self.format_message()
        except (KeyError, IndexError, ValueError):
            return self.type.template

    def format_message(self) -> str:
        """The message, raising KeyError when the finding lacks a parameter its template needs (for tests)."""
        p = {"entry": short_entry(self.entry), "name": self.kpi}
        p.update(self.params)
        return self.type.template.format(**p)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.type.title,
            "sheet": self.sheet,
            "cell": self.cell,
            "kpi": self.kpi,
            "entry": None if self.entry is None else str(self.entry),
            "message": self.message,
        }

    def text(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"[{self.severity}] {where} {self.type.title}: {self.message}"


ENTRY_SHOWN = 60  # characters of an entry quoted in a message


def short_entry(entry) -> str:
    """An entry as quoted in a message: as typed, shortened when long, control characters removed."""
    if entry is None:
        return ""
    text = "".join(ch for ch in str(entry) if ch >= " " or ch in "\t")
    return text if len(text) <= ENTRY_SHOWN else text[:ENTRY_SHOWN] + f"…（{len(text)}文字）"


def sort_findings(findings) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.row or 0, SEVERITY_ORDER[f.severity], f.cell, f.code))
