"""The catalogue of findings: every problem the tool can report, with a stable code, a severity and a
Japanese message template.  Wording lives here only.

A finding is data first (``to_dict`` for JSON), text second (``message``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    """How serious a finding is.  The value is the identifier (JSON, config); ``label`` (also what ``str()``
    and f-strings give) is the Japanese word the clerk sees."""
    ERROR = "error"       # cannot compute
    WARNING = "warning"   # computed, but doubtful
    INFO = "info"         # for the clerk's information (an inference made, a figure set by hand)

    @property
    def label(self) -> str:
        return _SEVERITY_LABELS[self]

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    def __str__(self) -> str:
        return self.label

    def __format__(self, spec) -> str:
        return format(self.label, spec)

    __hash__ = str.__hash__   # Severity.ERROR and "error" are the same dict key, as they compare equal


_SEVERITY_LABELS = {Severity.ERROR: "エラー", Severity.WARNING: "警告", Severity.INFO: "情報"}
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

SEVERITY_ORDER = {s: s.rank for s in Severity}


@dataclass(frozen=True)
class FindingType:
    code: str
    severity: Severity
    title: str
    template: str  # str.format with the finding's params


_TYPES = [
    # entries the parser cannot read
    # {suggestion}: what the parser would read instead, for this entry (values.suggest)
    FindingType("unreadable", ERROR, "読み取れない値",
                "「{entry}」は{field}の値として読み取れません。{suggestion}"),
    FindingType("compound_value", ERROR, "複数の値",
                "「{entry}」には複数の値が含まれており、1つの数値として計算できません。{suggestion}"),
    FindingType("approximate_value", ERROR, "概数",
                "「{entry}」は概数のため計算できません。{suggestion}"),
    FindingType("relative_target", ERROR, "数値でない目標・実績",
                "「{entry}」は他の値を基準にした表現のため計算できません。{suggestion}説明は備考に書いてください。"),
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
    FindingType("hidden_row", WARNING, "非表示の行",
                "KPI「{name}」の行は非表示になっていますが、計算・集計し、【KPI達成状況】と公表資料に含めています。"
                "公表しない指標であれば行を削除し、含める場合は行を再表示してください（再表示するとこの警告は消えます）。"),
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
    FindingType("direction_needed", ERROR, "方向の指定が必要",
                "方向が空欄で、目標値（{target}）が基準値（{baseline}）より小さいため、増加・減少のどちらが望ましい指標か"
                "判断できません。方向に「減少」（小さいほど良い指標）か「増加」（人口減少を見込んだ目標など）を入力してください。"
                "方向が入力されるまで、この指標は評価せず「評価対象外」に数えます。"),
    FindingType("direction_inferred", INFO, "方向を推定",
                "方向が空欄のため、{why}「{direction}」とみなして評価しました。違う場合は方向を入力してください。"),
    FindingType("direction_kind_conflict", WARNING, "方向と目標の種類の不一致",
                "方向は「{direction}」ですが、目標値「{entry}」は「{kind}」の目標です。方向か目標値を確認してください"
                "（達成の判定は目標値の「{kind}」に従いました）。"),
    FindingType("formula_replaced", WARNING, "比率では算定できない指標",
                "算定式は比率 (b)/(c) ですが、{why}比率では進捗を正しく表せません（悪化しても進捗率が上がる・符号が逆になる）。"
                "差分 (b-a)/(c-a) で算定しました。これでよければ算定式を「差分」にしてください。"),
    FindingType("formula_inferred", INFO, "差分で算定",
                "算定式が空欄で、{why}比率 (b)/(c) は使えないため、差分 (b-a)/(c-a) で算定しました。"),
    FindingType("target_wrong_side", WARNING, "目標値が基準値より悪い側",
                "目標値（{target}）が基準値（{baseline}）より方向「{direction}」に反する側にあるため、差分 (b-a)/(c-a) では"
                "進捗率を計算できません（悪化するほど進捗率が上がるため）。進捗率は空欄とし、達成は実績値と目標値の比較で"
                "判定しました。目標値と方向を確認するか、算定式を「比率」にしてください。"),
    FindingType("aggregation_conflict", WARNING, "実績の集計と目標の不一致",
                "目標値「{target}」は期間の合計ですが、{stated}と指定されているため、指定どおり最新年度の値で評価しました。"
                "各年度の実績を合計して評価する場合は、実績の集計を「期間合計」にし、累計を空欄にしてください。"),
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
    # the table as a whole (one finding each, not one per KPI)
    FindingType("header_not_found", ERROR, "見出し行が見つからない",
                "シート「{sheet}」の先頭{rows}行に、KPIの表の見出し行（KPI名と、単位・基準値・目標値などの列名が並ぶ行）が"
                "見つかりません。見出しには次の名前が使えます: {understood}。"
                "自治体独自の様式の表は kpi import で取り込めます。"),
    FindingType("required_columns", ERROR, "必要な列がない",
                "KPIの表（見出し行 {row}行目）に {missing} の列がありません。見出し行にある列: {found}。"
                "次の名前の見出しであれば読み取れます: {understood}。"),
    FindingType("empty_table", INFO, "KPIの行がまだない",
                "KPIの表（見出し {row}行目）の下にKPIの行がまだありません。見出し行の下に1行1指標で入力してください。"),
    FindingType("year_outside_plan", WARNING, "計画期間外の年度の列",
                "{kind}の列「{entry}」の年度 {year} は計画期間（{start}～{end}）の外です。設定シートの計画期間か"
                "列の見出しを確認してください。"),
    FindingType("missing_sheet", ERROR, "シートがない",
                "シート「{sheet}」が見つかりません。テンプレートのシート名のままにしてください。"),
    # collecting the figures from the departments (kpi split / kpi merge): nothing of a refused row is written
    FindingType("collect_no_department", WARNING, "担当課がない",
                "担当課が空欄のKPIが{count}件あり、どの照会ファイルにも入れていません（{rows}）。担当課を入力して"
                "もう一度作成してください。"),
    FindingType("collect_measure_no_department", WARNING, "施策の担当課が決まらない",
                "シート「施策」の具体的施策{count}件は担当課が決まらないため、どの照会ファイルにも入れていません（{rows}）。"
                "シート「施策」の「担当課」の列に担当課を入力してもう一度作成してください。"),
    FindingType("collect_not_a_reply", ERROR, "照会ファイルではない",
                "このファイルには照会の情報（非表示シート）がありません。kpi split で作成した照会ファイルに"
                "入力して返してもらってください。"),
    FindingType("collect_other_year", ERROR, "別の年度の照会ファイル",
                "このファイルは{file_year}の照会ファイルです（このブックの評価年度は{year}）。今年度の照会ファイルで"
                "回答してもらってください。何も取り込んでいません。"),
    FindingType("collect_other_master", ERROR, "別のブックの照会ファイル",
                "このファイルは別のKPI管理ブック（{file_master}）から作成されたものです（このブック: {master}）。"
                "何も取り込んでいません。"),
    FindingType("collect_duplicate_file", ERROR, "同じ担当課の回答が複数",
                "{department}の回答ファイルが複数指定されました（{files}）。どれを取り込むか確かめて、1つだけを"
                "指定してください。この担当課の回答は何も取り込んでいません。"),
    FindingType("collect_frame_changed", ERROR, "見出しが変更された",
                "見出し（{cells}）が照会時から変更されています。列の追加・削除・見出しの変更をすると正しく"
                "取り込めないため、このファイルは何も取り込んでいません。照会ファイルを作り直して送ってください。"),
    FindingType("collect_locked_changed", ERROR, "入力欄以外が変更された",
                "入力欄（黄色のセル）以外のセルが照会時から変更されています（「{sent}」→「{entry}」）。"
                "この行は取り込んでいません。変更が必要な場合は企画担当課へ連絡してもらってください。"),
    FindingType("collect_kpi_missing", ERROR, "KPIがマスターにない",
                "KPI「{name}」（{key}）が、このブックにありません（照会後に削除または名称・番号が変更された）。"
                "この行は取り込んでいません。"),
    FindingType("collect_master_changed", ERROR, "照会後にマスターの行が変更された",
                "このブックのKPI「{name}」の行（{cells}）が照会後に変更されたため、回答を取り込んでいません。"
                "回答の値を確かめて手で入力するか、照会ファイルを作り直してください。"),
    FindingType("collect_master_input_changed", ERROR, "照会後にマスターの入力欄が変更された",
                "このブックのセル{cells}は照会後に別の値（「{entry}」）に変わっています（前回の取り込みか直接入力）。"
                "回答「{answer}」は取り込んでいません。どちらが正しいか確かめて手で直してください。"),
    FindingType("collect_rejected_entry", ERROR, "回答にエラーがある",
                "この行の回答にエラーがあるため取り込んでいません（上の指摘を直して再提出してもらってください）。"),
    FindingType("collect_unanswered", INFO, "未回答",
                "KPI「{name}」の実績値が未回答です。"),
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
    # the catalogue's severity, lowered for rows whose status the clerk decided (評価(手入力), 種別 定性)
    level: Severity | None = field(default=None, compare=False)

    @property
    def type(self) -> FindingType:
        return CATALOGUE[self.code]

    @property
    def severity(self) -> Severity:
        return self.level or self.type.severity

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
            "severity": self.severity.value,
            "severity_label": self.severity.label,
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
