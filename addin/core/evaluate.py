"""Progress (進捗率), status and tallies for a set of KPI records.

The rule (../shared/DOMAIN.md "Progress" and "Sign and direction"; schema/README.md says the same in Japanese):

Direction (方向).  What the clerk states wins.  A blank is filled, and 算定メモ says so: from the target's wording
(以上 → 増加, 以下 → 減少, 現状維持 / ``1.73を維持`` → 維持), else 増加 when the target is above the baseline (or
there is no baseline).  A blank with the target BELOW the baseline cannot be decided (a 減少 KPI, or an 増加 KPI
whose target allows for a decline?): an エラー on the 方向 cell, no status, counted as 評価対象外.

Progress.  a = baseline, b = actual, c = target; s = +1 when higher is better, -1 when lower is better.
- ratio b/c (Mine's default (b)/(c)) only where it means "share of the target reached": higher is better, c > 0 and
  a not negative.  Elsewhere (lower is better, a negative baseline, a target of 0 or below) the difference is used
  and said: a warning when the clerk stated 比率 (formula_replaced), a note when the formula was blank.
- difference (b-a)/(c-a) (Mine's ※ KPIs); a cumulative KPI without a baseline counts from 0.  It needs the target
  on the better side of the baseline (s·(c-a) > 0): with c = a, or c on the worse side, there is no progress figure.
- lower is better without any baseline: c/b; nothing else is divided.
- 以上 / 以下: reached when b ≥ c / b ≤ c.  維持: reached when b is not worse than the baseline (or the value of
  ``1.73を維持``) in the KPI's direction; progress 100% then.  実施: reached when the actual says 実施.
Whatever the formula, a progress of 100% or more is the same as reaching the target in the KPI's direction.  Where no
progress figure exists, the target is judged reached on the figures themselves, except a target equal to the
baseline (no target to reach: Mine's 複合化施設数 0 → 0 is printed －; state 維持 for a target to keep a level).

Status.  The scheme's rules decide, under two invariants enforced for every scheme (``Scheme.classify``): a KPI that
reached its target counts as at least 100% (the top class unless the scheme asks for more, e.g. A ≥ 110%); a KPI
that ended worse than its baseline without reaching the target is neither the top class nor an improvement class.
A KPI that cannot be evaluated at all (an input error in a cell the computation uses, an undecidable direction) is
counted as 評価対象外; every KPI of the sheet is in the tally.

The actual.  The latest filled year up to the evaluation year; summed over the plan period for a period-total target
(``5年間に50件``) unless the clerk stated 実績の集計 or 累計 = ○ (then the latest figure, and a conflict is a finding).

Progress is kept exact; rounding (half up, one decimal) is for display only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from . import layout
from . import values as V
from .findings import ERROR, INFO, Finding
from .layout import SHEET_KPI
from .model import Kpi, Settings
from .pace import pace as pace_of
from .scheme import EPS, UNRATED, Facts, Scheme, get_scheme


@dataclass
class Result:
    kpi: Kpi
    progress: float | None = None
    reason: str = ""                 # why progress is undefined, or how it was computed when unusual
    status: str = ""                 # label shown (the override when there is one)
    computed_status: str = ""        # what the scheme says
    override: bool = False
    actual: float | None = None
    actual_year: int | None = None
    actual_entry: V.Entry | None = None
    baseline: float | None = None
    baseline_year: int | None = None
    target: float | None = None
    target_year: int | None = None
    facts: Facts | None = None
    direction: str | None = None     # up / down / keep as used (stated, or inferred: see direction_stated)
    direction_stated: bool = False
    formula_used: str | None = None  # ratio / difference / inverse_ratio, where a progress was computed
    computed: bool = True            # False when an error in the row stopped the computation
    findings: list[Finding] = field(default_factory=list)
    pace: dict | None = None

    @property
    def goal(self) -> str:
        return self.kpi.goal_code


@dataclass
class Evaluation:
    settings: Settings
    scheme: Scheme
    results: list[Result]
    findings: list[Finding]          # every finding: settings, table and per-KPI
    goals: list[tuple[str, str]]     # (code, name) in order of first appearance

    @property
    def tally_columns(self) -> list[str]:
        """The columns of every tally: the scheme's classes, and 評価対象外 when some KPI could not be evaluated
        (an input error, an undecidable direction), so that every KPI of the sheet is counted somewhere."""
        extra = [UNRATED] if any(r.status == UNRATED for r in self.results) and UNRATED not in self.scheme.classes \
            else []
        return list(self.scheme.classes) + extra

    @property
    def tallies(self) -> dict[str, dict[str, int]]:
        """Counts per goal code and ``total``, each mapping every tally column (in order) to a count.
        A KPI without a goal code is counted in ``total`` only (its row carries a finding)."""
        cols = self.tally_columns
        t = {code: {c: 0 for c in cols} for code, _ in self.goals}
        t["total"] = {c: 0 for c in cols}
        for r in self.results:
            keys = (r.kpi.goal_code, "total") if r.kpi.goal_code else ("total",)
            for key in keys:
                t[key][r.status] = t[key].get(r.status, 0) + 1
        return t

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]


def evaluate(kpis: list[Kpi], settings: Settings, scheme: Scheme | None = None,
             findings: list[Finding] | None = None, sheet: str = SHEET_KPI) -> Evaluation:
    """Evaluate every KPI; a problem in one row never stops the others."""
    scheme = scheme or get_scheme(settings.scheme or "four-class", settings.letter_thresholds)
    eval_year = settings.evaluation_year or _latest_year(kpis)
    results = [evaluate_one(k, eval_year, scheme, sheet, settings) for k in kpis]
    _check_duplicates(kpis, results, sheet)
    all_findings = list(findings or [])
    for r in results:
        all_findings.extend(r.findings)
    goals: list[tuple[str, str]] = []
    for k in kpis:
        if k.goal_code and k.goal_code not in [g for g, _ in goals]:
            goals.append((k.goal_code, k.goal_name))
    if settings.evaluation_year is None:
        settings.evaluation_year = eval_year
    return Evaluation(settings, scheme, results, all_findings, goals)


def _latest_year(kpis) -> int | None:
    years = [y for k in kpis for y, e in k.actuals.items() if not e.is_blank]
    return max(years) if years else None


# two numbers separated by something that is not a digit (平日 0.99 休日 0.97).  Same matches as the former
# r"\d[\d,.]*\D+\d" (a , or . after a digit is itself a non-digit) but linear: that one backtracked over every
# digit run, 9 s for a 32,767-digit cell.
_MULTI_NUM = re.compile(r"\d\D+\d")


def _entry_findings(res: Result, key: str, entry: V.Entry, field_label: str, sheet: str):
    k = res.kpi
    if entry is None or entry.problem is None:
        return
    code = entry.problem
    text = unicodedata.normalize("NFKC", str(entry.raw)) if entry.raw is not None else ""
    if code == "unreadable":
        if text.startswith(("約", "概ね", "およそ")) or text.endswith(("程度", "前後", "超")):
            code = "approximate_value"
        elif _MULTI_NUM.search(text) or ":" in text:
            code = "compound_value"
    if code == "unit_mismatch" and entry.value is None:
        code = "unit_mismatch_error"
    res.findings.append(Finding(code, sheet, k.cells.get(key, ""), entry.raw, k.name, row=k.row, params={
        "field": field_label, "unit": k.unit or "（空欄）", "suffix": entry.detail,
        "value": _fmt(entry.value),
        "suggestion": entry.suggestion if code == entry.problem and entry.suggestion else V.suggest(entry.raw, k.unit, code)}))


def _fmt(x) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.10g}"


# --- the rules, one small pure function each --------------------------------------------------------------
#
# Sign and direction (../shared/DOMAIN.md "Sign and direction"): the ratio b/c means "how much of the target is
# reached" only when the figures are not negative, the target is above zero and higher is better.  Everywhere
# else the difference (b-a)/(c-a) is used and 算定メモ says so.  Whatever the formula:
# - reaching the target in the KPI's direction is the top class (Scheme.classify);
# - ending worse than the baseline is never the top class nor an improvement (Scheme.classify);
# - what cannot be computed is said (算定メモ and a finding), and every KPI is in the tally (評価対象外 at worst).

SENSE = {"up": 1, "down": -1, "keep": 1}
DIRECTION_LABEL = {"up": "増加", "down": "減少", "keep": "維持"}


@dataclass
class Direction:
    """Which way is better for one KPI, and whether the clerk said so."""
    value: str | None                # up / down / keep; None when it cannot be decided
    stated: bool
    sense: int = 1                   # +1 higher is better, -1 lower is better
    why: str = ""                    # how an inferred direction was inferred (for 算定メモ)


def decide_direction(k: Kpi, baseline: float | None, target_e: V.Entry | None) -> Direction:
    """The stated 方向 wins; a blank is filled from the target's wording or from target vs baseline, and a blank
    with the target below the baseline cannot be decided (increase with a planned decline, or lower is better?)."""
    if _has_text(k.raw.get("direction")):
        sense = -1 if k.direction == "down" else 1
        if k.direction == "keep" and target_e is not None and target_e.kind == V.AT_MOST:
            sense = -1
        return Direction(k.direction, True, sense)
    kind = target_e.kind if target_e is not None else None
    if kind == V.AT_LEAST:
        return Direction("up", False, 1, "目標が「以上」のため")
    if kind == V.AT_MOST:
        return Direction("down", False, -1, "目標が「以下」のため")
    if kind == V.KEEP:
        return Direction("keep", False, 1, "目標が「維持」のため（基準値以上で達成）")
    target = target_e.value if target_e is not None and target_e.kind in (V.NUMBER, V.SUM_OVER) else None
    if baseline is not None and target is not None and kind == V.NUMBER:
        if target < baseline - EPS:
            return Direction(None, False)
        if target > baseline + EPS:
            return Direction("up", False, 1, "目標値が基準値より大きいため")
    return Direction("up", False, 1, "既定により")


def decide_aggregation(k: Kpi, target_e: V.Entry | None) -> tuple[str, str, str]:
    """How yearly actuals make the figure: (aggregation, memo, conflict).  A period-total target (``5年間に50件``)
    suggests summing, but a stated 実績の集計 or 累計 = ○ (the figure is already a running total) wins."""
    stated = _has_text(k.raw.get("aggregation"))
    if target_e is None or target_e.kind != V.SUM_OVER:
        return k.aggregation, "", ""
    if stated and k.aggregation != "sum":
        label = {v: t for t, v in layout.AGGREGATIONS.items()}.get(k.aggregation, k.aggregation)
        return k.aggregation, "", f"実績の集計が「{label}」"
    if k.cumulative and not stated:
        return "latest", "累計値のため、最新年度の値を期間の合計として評価。", ""
    if not stated:
        return "sum", "目標が期間の合計のため、各年度の実績値を合計して評価。", ""
    return "sum", "", ""


@dataclass
class Actual:
    value: float | None = None
    year: int | None = None
    entry: V.Entry | None = None
    column_year: int | None = None   # the year column it was read from
    carried_out: bool = True
    marker: str = ""                 # the missing marker typed (集計中, 未実施 ...)


def select_actual(k: Kpi, years: list[int], aggregation: str, plan_start: int | None) -> Actual:
    """The latest filled year up to the evaluation year, or the sum over the plan period for flows."""
    filled = [y for y in years if not k.actuals[y].is_blank]
    if not filled:
        return Actual()
    y = filled[-1]
    e = k.actuals[y]
    out = Actual(entry=e, year=e.year or y, column_year=y)
    if aggregation == "sum":
        nums = [k.actuals[x].value for x in filled if k.actuals[x].is_number and (not plan_start or x >= plan_start)]
        out.value = sum(nums) if nums else None
    elif e.kind in (V.NUMBER, V.DONE):
        out.value = e.value
    elif e.kind == V.MISSING:
        out.marker = str(e.marker or "")
        out.carried_out = e.marker not in V.NOT_DONE_MARKERS
    return out


@dataclass
class Progress:
    value: float | None = None
    formula: str | None = None       # ratio / difference / inverse_ratio: what was used
    memo: str = ""                   # for 算定メモ
    finding: str = ""                # a finding code that explains an unusual choice or an undefined progress
    params: dict = field(default_factory=dict)


def ratio_meaningful(sense: int, baseline: float | None, target: float) -> bool:
    """b/c reads as "share of the target reached" only for higher-is-better KPIs with a positive target and a
    baseline that is not negative (DOMAIN "Sign and direction").  A negative actual alone keeps the ratio: with a
    positive target b/c still orders every actual rightly (it is simply below zero)."""
    return sense > 0 and target > EPS and (baseline is None or baseline >= -EPS)


def difference(actual: float, base: float, target: float) -> float:
    """Mine City ※: (b-a)/(c-a)."""
    return (actual - base) / (target - base)


def compute_progress(formula: str, formula_stated: bool, sense: int, direction_label: str,
                     baseline: float | None, base_for_diff: float | None, actual: float, target: float) -> Progress:
    """進捗率 of a numeric target, by the stated formula where it is meaningful; see the module's rule."""
    if formula == "difference" and formula_stated:
        if base_for_diff is None:
            return Progress(memo="基準値がないため、差分 (b-a)/(c-a) で算定できません。", finding="progress_undefined")
        if abs(target - base_for_diff) < EPS:
            return Progress(memo="目標値が基準値と同じため、差分 (b-a)/(c-a) では算定できません。",
                            finding="target_equals_baseline", params={"value": _fmt(target)})
        if sense * (target - base_for_diff) < 0:
            return Progress(memo="目標値が基準値より悪い側にあるため、差分では算定できません（達成は目標値との比較で判定）。",
                            finding="target_wrong_side",
                            params={"target": _fmt(target), "baseline": _fmt(base_for_diff),
                                    "direction": direction_label})
        return Progress(difference(actual, base_for_diff, target), "difference")
    if ratio_meaningful(sense, baseline, target):
        return Progress(actual / target, "ratio")
    why = "小さいほど良い指標のため、" if sense < 0 else "目標値が0以下か基準値が負の値のため、"
    if base_for_diff is not None and sense * (target - base_for_diff) > EPS:
        return Progress(difference(actual, base_for_diff, target), "difference",
                        memo=f"{why}差分 (b-a)/(c-a) で算定。",
                        finding="formula_replaced" if formula_stated else "formula_inferred", params={"why": why})
    if sense < 0 and actual > EPS and target > EPS and base_for_diff is None:
        return Progress(target / actual, "inverse_ratio",
                        memo="小さいほど良い指標で基準値がないため、(c)/(b) で算定。")
    if sense > 0 and abs(target) < EPS:
        return Progress(memo="目標値が0のため、比率 (b)/(c) では算定できません。", finding="zero_target")
    if base_for_diff is not None and abs(target - base_for_diff) < EPS:
        return Progress(memo=f"{why}差分で算定すべきところ、目標値が基準値と同じため算定できません。",
                        finding="target_equals_baseline", params={"value": _fmt(target)})
    return Progress(memo=f"{why}比率 (b)/(c) は使えず、基準値がない（または目標値が基準値より悪い側にある）ため"
                         "差分 (b-a)/(c-a) でも算定できません。", finding="progress_undefined")


def keep_progress(sense: int, reference: float, actual: float) -> tuple[float | None, bool]:
    """現状維持 / ``1.73を維持``: achieved when the actual is not worse than the reference; the progress is 100%
    then, else the share of the reference kept (only where that share means something)."""
    achieved = sense * (actual - reference) >= -EPS
    if achieved:
        return 1.0, True
    if reference > EPS and actual >= -EPS:
        return (actual / reference if sense > 0 else reference / actual if actual > EPS else None), False
    return None, False


def compare_with_baseline(actual: float | None, base: float | None, sense: int) -> str | None:
    """better / same / worse in the KPI's direction; None when there is nothing to compare."""
    if actual is None or base is None:
        return None
    if abs(actual - base) < EPS:
        return "same"
    return "better" if sense * (actual - base) > 0 else "worse"


def _entry_checks(res: Result, eval_year, years, sheet) -> None:
    """Findings on the entries themselves (unreadable, approximate, units ...)."""
    k = res.kpi
    _entry_findings(res, "baseline", k.baseline, "基準値", sheet)
    _entry_findings(res, "target", k.target, "目標値", sheet)
    for y in years:
        _entry_findings(res, f"actual_{y}", k.actuals[y], f"実績値（{V.era_label(y)}）", sheet)
    for y in sorted(k.targets):
        if eval_year is None or y <= eval_year:
            _entry_findings(res, f"target_{y}", k.targets[y], f"目標値（{V.era_label(y)}）", sheet)


def _percent_checks(k: Kpi, entries, F) -> None:
    """A % KPI: values beyond 100 (negative rates such as 社会移動率 −0.35% are legitimate), and fractions
    typed where percents are meant (0.35 for 35%)."""
    if not V.is_percent_unit(k.unit):
        return
    for key, e in entries:
        if e is None or e.value is None or e.kind != V.NUMBER:
            continue
        if e.value > 100 and not k.unit.startswith("▲"):
            F("percent_range", key, e.raw, value=_fmt(e.value))
        elif not isinstance(e.raw, bool) and 0 < e.value < 1 and not e.percent_sign:
            others = [x.value for _, x in entries[:2] if x is not None and x.value is not None]
            if others and all(o >= 1 for o in others if o is not e.value):
                F("percent_fraction", key, e.raw, percent=_fmt(e.value * 100))


@dataclass
class Targets:
    current: V.Entry | None          # the target the status is judged against (the year's own, else the final)
    final: V.Entry | None
    final_year: int | None
    year: V.Entry | None             # the plan's target for the evaluation year (目標値 R4 columns), if any


def select_targets(res: Result, eval_year: int | None) -> Targets:
    """The evaluation year's own target where the plan sets one (目標値 R4), else the final target."""
    k = res.kpi
    res.baseline_year = (k.baseline.year if k.baseline and k.baseline.year else None) or k.baseline_year
    res.target_year = (k.target.year if k.target and k.target.year else None) or k.target_year
    res.baseline = k.baseline.value if k.baseline and k.baseline.kind == V.NUMBER else None
    t = Targets(k.target, k.target, res.target_year, k.targets.get(eval_year) if eval_year is not None else None)
    if t.year is not None and not t.year.is_blank:
        t.current = t.year
        res.target_year = eval_year
    res.target = None if t.current is None or t.current.is_blank else t.current.value
    return t


def _actual_findings(res: Result, act: Actual, years, eval_year, decided: bool, F) -> None:
    """Stale (the latest actual is from a year before the evaluation year: its own year, e.g. 11(R1), or its
    column's when the evaluation year's column is still empty), future, missing, or a missing marker."""
    if act.entry is None:
        if not decided:
            F("missing_actual", f"actual_{years[-1]}" if years else "name",
              year=_year_text(eval_year) or "未設定：設定シートの評価年度を入力してください")
        return
    key = f"actual_{act.column_year}"
    if eval_year and act.year < eval_year:
        F("stale_actual", key, act.entry.raw, entry_year=_year_text(act.year), eval_year=_year_text(eval_year))
    if act.entry.year and eval_year and act.entry.year > eval_year:
        F("future_year", key, act.entry.raw, entry_year=_year_text(act.entry.year), eval_year=_year_text(eval_year))
        res.computed = False
    if act.marker:
        F("actual_marker", key, act.entry.raw)


def _direction_step(res: Result, target_e, decided: bool, memos: list[str], F) -> Direction:
    k = res.kpi
    d = decide_direction(k, res.baseline, target_e)
    res.direction, res.direction_stated = d.value, d.stated
    if d.value is None:
        F("direction_needed", "direction", k.raw.get("direction"), target=_fmt(res.target),
          baseline=_fmt(res.baseline))
        res.computed = False
    elif not d.stated and d.why and target_e is not None and not target_e.is_blank and not decided:
        memos.append(f"方向は空欄のため「{DIRECTION_LABEL[d.value]}」とみなした（{d.why.rstrip('ため')}）。")
        F("direction_inferred", "direction", None, why=d.why, direction=DIRECTION_LABEL[d.value])
    _direction_findings(res, d, target_e, res.target, F)
    return d


def _reason(res: Result, act: Actual, d: Direction, memos: list[str]) -> str:
    """算定メモ: how the figure was made when it is unusual, or why there is none."""
    if not res.computed:
        return res.reason or ("方向が空欄で目標値が基準値より小さいため、方向が入力されるまで評価しません。"
                              if d.value is None else "入力に誤りがあるため算定していません（検証結果を参照）。")
    why = res.reason
    if res.actual is None and not why:
        why = ("実績値がありません。" if act.entry is None else f"実績値が「{act.marker}」のため算定できません。"
               if act.entry.kind == V.MISSING else "実績値を読み取れないため算定できません。")
    elif res.actual is not None and res.progress is None and not why:
        why = "進捗率を算定できません。"
    return "".join(m for m in memos if m) + why


def _pace_step(res: Result, t: Targets, d: Direction, achieved: bool, aggregation: str, base_for_diff,
               eval_year, settings: Settings | None):
    """見込み towards the final target: beside the status, never changing it."""
    k = res.kpi
    if not res.computed or k.kind == "qualitative" or d.value in (None, "keep") or t.final is None \
            or not t.final.is_number or t.final.kind == V.KEEP:
        return None
    yt = t.year.value if t.year is not None and t.year.is_number else None
    return pace_of(actual=res.actual, target=t.final.value, target_year=t.final_year, eval_year=eval_year,
                   baseline=base_for_diff, baseline_year=res.baseline_year, flow=aggregation == "sum",
                   first_year=(settings.plan_start if settings else None) or min(k.actuals, default=None),
                   year_target=yt, achieved=achieved if t.current is t.final else None, unit=k.unit, sense=d.sense,
                   thresholds=settings.pace_thresholds if settings else (1.0, 0.8))


def evaluate_one(k: Kpi, eval_year: int | None, scheme: Scheme, sheet: str = SHEET_KPI,
                 settings: Settings | None = None) -> Result:
    """One KPI: entries checked, the actual selected, progress computed, status classified, pace beside it."""
    res = Result(kpi=k)
    memos: list[str] = []
    F = lambda code, key="", entry=None, **p: res.findings.append(  # noqa: E731
        Finding(code, sheet, k.cells.get(key, ""), entry, k.name, row=k.row, params=p))
    decided = bool(k.status_override) or k.kind == "qualitative"   # the clerk sets the status by hand

    if not k.goal_code:
        F("missing_goal", "goal_code")
    if k.raw.get("_bad_codes"):
        res.computed = False  # an unknown 方向/算定式/... : computing with a guessed rule would mislead
    years = sorted(y for y in k.actuals if eval_year is None or y <= eval_year)
    _entry_checks(res, eval_year, years, sheet)
    t = select_targets(res, eval_year)
    if k.baseline is not None and k.baseline.is_blank and not decided:
        F("missing_baseline", "baseline")
    if (t.current is None or t.current.is_blank) and not decided:
        F("missing_target", "target")
    _year_order_findings(res, eval_year, F)

    aggregation, memo, conflict = decide_aggregation(k, t.current)
    memos.append(memo)
    if conflict:
        F("aggregation_conflict", "aggregation", k.raw.get("aggregation") or k.raw.get("cumulative"),
          target=str(t.current.raw), stated=conflict)
    act = select_actual(k, years, aggregation, settings.plan_start if settings else None)
    res.actual, res.actual_entry, res.actual_year = act.value, act.entry, act.year
    _actual_findings(res, act, years, eval_year, decided, F)
    _percent_checks(k, [("baseline", k.baseline), ("target", t.current)]
                    + [(f"actual_{y}", k.actuals[y]) for y in years], F)
    d = _direction_step(res, t.current, decided, memos, F)

    base_for_diff = res.baseline
    if base_for_diff is None and k.cumulative and (k.baseline is None or k.baseline.kind == V.MISSING):
        base_for_diff = 0.0   # a cumulative KPI with no baseline counts from 0 (Mine City's ※ KPIs)
    achieved = False
    if res.computed and res.actual is not None and d.value is not None and t.current is not None:
        achieved = _progress_and_achievement(res, k, d, t.current, res.target, base_for_diff, res.actual, memos, F)
    if _error_in_used_cells(res, act):
        res.computed, res.progress, achieved, memos = False, None, False, []
        res.reason = "入力に誤りがあるため算定していません（検証結果を参照）。"
    res.reason = _reason(res, act, d, memos)

    versus = compare_with_baseline(res.actual, base_for_diff, d.sense) if res.computed else None
    res.facts = Facts(progress=res.progress, achieved=achieved,
                      measurable=res.actual is not None and res.computed,
                      has_baseline=res.baseline is not None or (k.cumulative and base_for_diff is not None),
                      versus_baseline=versus, carried_out=act.carried_out)
    res.computed_status = scheme.classify(res.facts) if res.computed else UNRATED
    res.status = res.computed_status
    _apply_override(res, k, scheme, F)
    if res.override or k.kind == "qualitative":
        # the clerk decided this KPI's status: its unreadable cells are for information, not errors
        res.findings = [replace(f, level=INFO) if f.severity != INFO and f.code in CLERK_DECIDED_CODES else f
                        for f in res.findings]
    res.pace = _pace_step(res, t, d, achieved, aggregation, base_for_diff, eval_year, settings)
    _published_check(res, F)
    return res


def _published_check(res: Result, F) -> None:
    """A figure already published that disagrees with the computed one (Mine's 223.3% vs 233.3%)."""
    k = res.kpi
    if k.published_progress is None or res.progress is None:
        return
    published, computed = round_half_up(k.published_progress * 100, 1), round_half_up(res.progress * 100, 1)
    if published != computed:
        F("published_mismatch", "published_progress", k.raw.get("published_progress"),
          published=f"{published:.1f}%", computed=f"{computed:.1f}%")


# findings about entries that do not matter once the clerk has set the status by hand (評価(手入力), 定性)
CLERK_DECIDED_CODES = frozenset(V.PROBLEM_CODES | {
    "missing_target", "missing_actual", "missing_baseline", "zero_target", "target_equals_baseline",
    "progress_undefined", "percent_range", "percent_fraction", "direction_needed", "direction_conflict",
    "target_wrong_side", "formula_replaced", "stale_actual"})


def _direction_findings(res: Result, d: Direction, target_e, target_value, F) -> None:
    """A stated direction that the target contradicts (the clerk's word is kept, the doubt is said)."""
    k = res.kpi
    if target_e is None or target_value is None or not d.stated:
        return
    if target_e.kind in (V.AT_LEAST, V.AT_MOST) and d.value in ("up", "down"):
        want = "up" if target_e.kind == V.AT_LEAST else "down"
        if d.value != want:
            F("direction_kind_conflict", "direction", target_e.raw, direction=DIRECTION_LABEL[d.value],
              kind="以上" if want == "up" else "以下")
        return
    if d.value not in ("up", "down") or res.baseline is None or target_e.kind != V.NUMBER:
        return
    if d.value == "down" and target_value > res.baseline + EPS:
        F("direction_conflict", "direction", k.raw.get("direction"), direction="減少",
          target=_fmt(target_value), baseline=_fmt(res.baseline), wrong="大きい値")
    elif d.value == "up" and target_value < res.baseline - EPS:
        # DOMAIN "Traps": 放課後子ども教室 5,004 → 5,000 is still higher-is-better; the stated 増加 is kept
        F("target_below_baseline", "target", target_e.raw, target=_fmt(target_value), baseline=_fmt(res.baseline))


def _progress_and_achievement(res, k, d: Direction, target_e, target_value, base_for_diff, actual, memos, F) -> bool:
    """Set res.progress (and the memo) for the target's kind; return whether the target is reached."""
    if target_e.kind == V.KEEP:
        reference = target_value if target_value is not None else base_for_diff
        if reference is None:
            res.reason = "現状維持の目標ですが、基準値がないため判定できません。"
            return False
        res.progress, achieved = keep_progress(d.sense, reference, actual)
        what = f"{_fmt(reference)}" if target_value is not None else "基準値"
        memos.append(f"維持の目標: {what}{'以下' if d.sense < 0 else '以上'}で達成。")
        return achieved
    if target_e.kind == V.DONE:
        achieved = res.actual_entry is not None and res.actual_entry.kind == V.DONE
        res.progress = 1.0 if achieved else 0.0
        return achieved
    if target_value is None:
        return False
    sense = {V.AT_LEAST: 1, V.AT_MOST: -1}.get(target_e.kind, d.sense)
    p = compute_progress(k.formula, _has_text(k.raw.get("formula")), sense, DIRECTION_LABEL.get(d.value, ""),
                         res.baseline, base_for_diff, actual, target_value)
    res.progress, res.formula_used = p.value, p.formula
    memos.append(p.memo if p.value is not None else "")
    if p.value is None:
        res.reason = p.memo
    if p.finding and p.finding != "progress_undefined":
        F(p.finding, "formula" if p.finding.startswith("formula") else "target",
          k.raw.get("formula") if p.finding.startswith("formula") else target_e.raw, **p.params)
    elif p.finding == "progress_undefined":
        F("progress_undefined", "progress", reason=p.memo)
    if target_e.kind in (V.AT_LEAST, V.AT_MOST):
        return sense * (actual - target_value) >= -EPS
    if p.value is not None:
        return p.value >= 1 - EPS   # the same as reaching the target in the KPI's direction, for every formula used
    # no progress figure: reached is judged on the target itself, except a target equal to the baseline, which is
    # no target to reach (Mine's 複合化施設数 0 → 0 is printed －); a target meant as "keep" is stated as 維持
    if base_for_diff is not None and abs(target_value - base_for_diff) < EPS:
        return False
    return sense * (actual - target_value) >= -EPS


def _error_in_used_cells(res: Result, act: Actual) -> bool:
    """An error in a cell the computation uses (baseline, target, the selected actual) stops the computation."""
    k = res.kpi
    used = {k.cells.get("target"), k.cells.get("baseline")}
    if act.column_year is not None:
        used.add(k.cells.get(f"actual_{act.column_year}"))
    return any(f.severity == ERROR and f.cell and f.cell in used and f.code != "missing_goal" for f in res.findings)


def _apply_override(res: Result, k: Kpi, scheme: Scheme, F) -> None:
    if not k.status_override:
        return
    if k.status_override in scheme.classes:
        res.override = True
        res.status = k.status_override
        F("override_used", "status_override", k.status_override,
          computed=res.computed_status if res.computed else "（算定なし）")
    else:
        F("unknown_override", "status_override", k.status_override, scheme=scheme.name,
          choices="・".join(scheme.classes))


def _has_text(v) -> bool:
    return v is not None and str(v).strip() != ""


def _year_order_findings(res: Result, eval_year: int | None, F) -> None:
    """Years that contradict each other.  A target year after the evaluation year is normal (plans look ahead),
    and so is an interim target for an earlier year (Mine's ``3 (R3)``); a target set for a year before the
    baseline's, or a baseline from after the evaluation year, is a typing slip (H and R mixed up)."""
    k = res.kpi

    def where(key, entry):  # the year typed into the value, else the year column
        return (key, entry.raw) if entry is not None and entry.year else (f"{key}_year", k.raw.get(f"{key}_year"))

    if res.baseline_year and res.target_year and res.target_year < res.baseline_year:
        key, raw = where("target", k.target)
        F("year_order", key, raw, field="目標値", year=_year_text(res.target_year), other="基準値の年度",
          other_year=_year_text(res.baseline_year), relation="前")
    if res.baseline_year and eval_year and res.baseline_year > eval_year:
        key, raw = where("baseline", k.baseline)
        F("year_order", key, raw, field="基準値", year=_year_text(res.baseline_year), other="評価年度",
          other_year=_year_text(eval_year), relation="後")


def _not_worse(actual, base, direction) -> bool:
    return actual <= base + EPS if direction == "down" else actual >= base - EPS


def _year_text(y) -> str:
    return "" if y is None else f"{V.era_label(y)}（{y}年度）"


def round_half_up(x: float, digits: int = 1) -> float:
    """Round half up as printed reports do (70.65 → 70.7), on the decimal text, for display only."""
    from decimal import ROUND_HALF_UP, Decimal
    q = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP))


def _check_duplicates(kpis, results, sheet):
    seen_id: dict[str, Kpi] = {}
    seen_name: dict[tuple, Kpi] = {}
    for k, r in zip(kpis, results):
        if k.kpi_id:
            if k.kpi_id in seen_id:
                r.findings.append(Finding("duplicate_id", sheet, k.cells.get("kpi_id", ""), k.kpi_id, k.name,
                                          row=k.row, params={"other": seen_id[k.kpi_id].cells.get("kpi_id")}))
            else:
                seen_id[k.kpi_id] = k
        key = (k.goal_code, k.policy_code, k.measure_code, k.name)
        if key in seen_name:
            r.findings.append(Finding("duplicate_name", sheet, k.cells.get("name", ""), k.name, k.name, row=k.row,
                                      params={"other": seen_name[key].cells.get("name"),
                                              "measure": k.measure_code or "（空欄）"}))
        else:
            seen_name[key] = k
