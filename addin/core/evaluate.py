"""Progress (進捗率), status and tallies for a set of KPI records.

Formulas (../shared/DOMAIN.md):
- ratio: actual / target (Mine City's default (b)/(c)); for lower-is-better KPIs target / actual.
- difference: (actual - baseline) / (target - baseline) (Mine City's ※ KPIs, (b-a)/(c-a)); a cumulative KPI
  without a baseline counts from 0, for the progress and for the comparison with the baseline.
- 以上 targets are achieved when actual >= target; 現状維持 when the actual is not worse than the baseline.
Progress is kept exact; rounding is for display only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from . import values as V
from .findings import ERROR, Finding
from .layout import SHEET_KPI
from .model import Kpi, Settings
from .pace import pace as pace_of
from .scheme import EPS, Facts, Scheme, get_scheme


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
    def tallies(self) -> dict[str, dict[str, int]]:
        """Counts per goal code and ``total``, each mapping every class label (in scheme order) to a count."""
        t = {code: {c: 0 for c in self.scheme.classes} for code, _ in self.goals}
        t["total"] = {c: 0 for c in self.scheme.classes}
        for r in self.results:
            if not r.status or not r.kpi.goal_code:
                continue
            t.setdefault(r.kpi.goal_code, {c: 0 for c in self.scheme.classes})
            for key in (r.kpi.goal_code, "total"):
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
        "value": _fmt(entry.value)}))


def _fmt(x) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.10g}"


def evaluate_one(k: Kpi, eval_year: int | None, scheme: Scheme, sheet: str = SHEET_KPI,
                 settings: Settings | None = None) -> Result:
    res = Result(kpi=k)
    F = lambda code, key="", entry=None, **p: res.findings.append(  # noqa: E731
        Finding(code, sheet, k.cells.get(key, ""), entry, k.name, row=k.row, params=p))

    if not k.goal_code:
        F("missing_goal", "goal_code")
    if k.raw.get("_bad_codes"):
        res.computed = False  # an unknown 方向/算定式/... : computing with a guessed rule would mislead

    # --- entries
    _entry_findings(res, "baseline", k.baseline, "基準値", sheet)
    _entry_findings(res, "target", k.target, "目標値", sheet)
    years = sorted(y for y in k.actuals if eval_year is None or y <= eval_year)
    for y in years:
        _entry_findings(res, f"actual_{y}", k.actuals[y], f"実績値（{V.era_label(y)}）", sheet)

    base_e, target_e = k.baseline, k.target
    res.baseline_year = (base_e.year if base_e and base_e.year else None) or k.baseline_year
    res.target_year = (target_e.year if target_e and target_e.year else None) or k.target_year
    # a target per year (目標値 R4 columns): the evaluation year's own target, when the plan sets one
    for y in sorted(k.targets):
        if eval_year is None or y <= eval_year:
            _entry_findings(res, f"target_{y}", k.targets[y], f"目標値（{V.era_label(y)}）", sheet)
    year_target_e = k.targets.get(eval_year) if eval_year is not None else None
    final_target_e, final_target_year = target_e, res.target_year
    if year_target_e is not None and not year_target_e.is_blank:
        target_e = year_target_e
        res.target_year = eval_year
    res.baseline = base_e.value if base_e and base_e.kind == V.NUMBER else None
    if base_e is not None and base_e.is_blank and k.kind != "qualitative":
        F("missing_baseline", "baseline")
    _year_order_findings(res, eval_year, F)

    # --- the actual: latest year up to the evaluation year, or the sum over the period for flows
    filled = [y for y in years if not k.actuals[y].is_blank]
    aggregation = k.aggregation
    if target_e is not None and target_e.kind == V.SUM_OVER and aggregation == "latest":
        aggregation = "sum"
    carried_out = True
    if filled:
        y = filled[-1]
        e = k.actuals[y]
        res.actual_entry = e
        res.actual_year = e.year or y
        # stale: the latest actual is from a year before the evaluation year (its own year, e.g. 11(R1), or its
        # column's when the evaluation year's column is still empty)
        if eval_year and res.actual_year < eval_year:
            F("stale_actual", f"actual_{y}", e.raw, entry_year=_year_text(res.actual_year),
              eval_year=_year_text(eval_year))
        if e.year and eval_year and e.year > eval_year:
            F("future_year", f"actual_{y}", e.raw, entry_year=_year_text(e.year), eval_year=_year_text(eval_year))
            res.computed = False
        if aggregation == "sum":
            nums = [k.actuals[x].value for x in filled if k.actuals[x].is_number]
            if settings and settings.plan_start:
                nums = [k.actuals[x].value for x in filled
                        if k.actuals[x].is_number and x >= settings.plan_start]
            res.actual = sum(nums) if nums else None
        elif e.kind in (V.NUMBER, V.DONE):
            res.actual = e.value
        elif e.kind == V.MISSING:
            carried_out = e.marker not in V.NOT_DONE_MARKERS
            F("actual_marker", f"actual_{y}", e.raw)
    elif k.kind != "qualitative" and not k.status_override:
        F("missing_actual", f"actual_{years[-1]}" if years else "name", year=_year_text(eval_year))

    # percent sanity
    if V.is_percent_unit(k.unit):
        for key, e in [("baseline", base_e), ("target", target_e)] + [(f"actual_{y}", k.actuals[y]) for y in years]:
            if e is None or e.value is None or e.kind != V.NUMBER:
                continue
            if not (0 <= e.value <= 100) and not k.unit.startswith("▲"):
                F("percent_range", key, e.raw, value=_fmt(e.value))
            elif not isinstance(e.raw, bool) and 0 < e.value < 1 and not e.percent_sign:
                others = [x.value for x in [base_e, target_e] if x is not None and x.value is not None]
                if others and all(o >= 1 for o in others if o is not e.value):
                    F("percent_fraction", key, e.raw, percent=_fmt(e.value * 100))

    # --- target
    if target_e is None or target_e.is_blank:
        if k.kind != "qualitative" and not k.status_override:
            F("missing_target", "target")
        target_value = None
    else:
        target_value = target_e.value
    res.target = target_value

    # direction against the target (warning only: the clerk states the direction)
    if (k.direction in ("up", "down") and res.baseline is not None and target_value is not None
            and target_e.kind == V.NUMBER):
        if k.direction == "down" and target_value > res.baseline:
            F("direction_conflict", "direction", k.raw.get("direction"), direction="減少",
              target=_fmt(target_value), baseline=_fmt(res.baseline), wrong="大きい値")
        elif k.direction == "up" and target_value < res.baseline - EPS:
            # DOMAIN "Traps": 放課後子ども教室 5,004 → 5,000 is still higher-is-better.  The clerk's stated 増加 is
            # trusted (a note only); a direction left blank (増加 by default) is worth a warning.
            if _has_text(k.raw.get("direction")):
                F("target_below_baseline", "target", target_e.raw, target=_fmt(target_value),
                  baseline=_fmt(res.baseline))
            else:
                F("direction_conflict", "direction", k.raw.get("direction"), direction="増加（未入力のため既定）",
                  target=_fmt(target_value), baseline=_fmt(res.baseline), wrong="小さい値")

    # --- progress
    direction = k.direction
    if target_e is not None and target_e.kind == V.KEEP:
        direction = "keep" if direction == "up" and k.raw.get("direction") in (None, "") else direction
    base_for_diff = res.baseline
    if base_for_diff is None and k.cumulative and (base_e is None or base_e.kind == V.MISSING):
        base_for_diff = 0.0   # cumulative KPI with no baseline counts from 0
    achieved = False
    actual = res.actual
    if res.computed and actual is not None:
        if target_e is not None and target_e.kind == V.KEEP or k.direction == "keep" and target_value is None:
            if base_for_diff is None:
                res.reason = "現状維持の目標ですが、基準値がないため判定できません。"
            else:
                achieved = _not_worse(actual, base_for_diff, "up" if direction == "keep" else direction)
                res.progress = 1.0 if achieved else (actual / base_for_diff if base_for_diff else None)
                res.reason = "現状維持の目標: 基準値以上で達成"
        elif target_e is not None and target_e.kind == V.DONE:
            achieved = res.actual_entry is not None and res.actual_entry.kind == V.DONE
            res.progress = 1.0 if achieved else 0.0
        elif target_value is not None:
            if k.formula == "difference":
                if base_for_diff is None:
                    res.reason = "基準値がないため、差分 (b-a)/(c-a) で算定できません。"
                elif abs(target_value - base_for_diff) < EPS:
                    res.reason = "目標値が基準値と同じため、差分 (b-a)/(c-a) では算定できません。"
                    F("target_equals_baseline", "target", target_e.raw, value=_fmt(target_value))
                else:
                    res.progress = (actual - base_for_diff) / (target_value - base_for_diff)
            else:
                if direction == "down":
                    if abs(actual) < EPS:
                        res.reason = "実績値が0のため、減少目標の比率 (c)/(b) で算定できません。"
                    else:
                        res.progress = target_value / actual
                        res.reason = "減少が望ましい指標: (c)/(b) で算定"
                elif abs(target_value) < EPS:
                    res.reason = "目標値が0のため、比率 (b)/(c) では算定できません。"
                    F("zero_target", "target", target_e.raw)
                else:
                    res.progress = actual / target_value
            if target_e.kind == V.AT_LEAST:
                achieved = actual >= target_value - EPS
            elif target_e.kind == V.AT_MOST:
                achieved = actual <= target_value + EPS
            else:
                achieved = res.progress is not None and res.progress >= 1 - EPS
    elif res.computed and actual is None and res.actual_entry is not None and res.actual_entry.kind == V.MISSING:
        res.reason = f"実績値が「{res.actual_entry.marker}」のため算定できません。"
    elif res.computed and actual is None and res.actual_entry is not None:
        res.reason = "実績値を読み取れないため算定できません。"
    elif res.computed and actual is None and not filled:
        res.reason = "実績値がありません。"

    if any(f.severity == ERROR and f.cell and f.code not in ("missing_goal",) for f in res.findings):
        # an entry the tool could not read in a cell used for the computation
        used = {k.cells.get("target"), k.cells.get("baseline")}
        if res.actual_entry is not None:
            used.add(k.cells.get(f"actual_{res.actual_year if res.actual_year in k.actuals else filled[-1]}"))
        if filled:
            used.add(k.cells.get(f"actual_{filled[-1]}"))
        if any(f.severity == ERROR and f.cell in used for f in res.findings):
            res.computed = False
            res.progress = None
            achieved = False
            res.reason = "入力に誤りがあるため算定していません（検証結果を参照）。"

    if res.progress is None and not res.reason and res.computed and actual is not None:
        res.reason = "進捗率を算定できません。"
    specific = {"zero_target", "target_equals_baseline"}
    if (res.progress is None and res.reason and res.computed and actual is not None
            and not any(f.code in specific for f in res.findings)):
        F("progress_undefined", "progress", reason=res.reason)

    # --- comparison with the baseline, in the KPI's direction
    versus = None
    if actual is not None and base_for_diff is not None and res.computed:
        d = "down" if direction == "down" else "up"
        if abs(actual - base_for_diff) < EPS:
            versus = "same"
        else:
            versus = "better" if (actual > base_for_diff) == (d == "up") else "worse"
    has_baseline = res.baseline is not None or (k.cumulative and base_for_diff is not None)
    res.facts = Facts(progress=res.progress, achieved=achieved, measurable=actual is not None and res.computed,
                      has_baseline=has_baseline, versus_baseline=versus, carried_out=carried_out)
    if res.computed or k.status_override:
        res.computed_status = scheme.classify(res.facts) if res.computed else ""
        res.status = res.computed_status
    if k.status_override:
        if k.status_override in scheme.classes:
            res.override = True
            res.status = k.status_override
            F("override_used", "status_override", k.status_override,
              computed=res.computed_status or "（算定なし）")
        else:
            F("unknown_override", "status_override", k.status_override, scheme=scheme.name,
              choices="・".join(scheme.classes))

    # pace (見込み) towards the final target: beside the status, never changing it
    if res.computed and k.kind != "qualitative" and direction != "keep" and final_target_e is not None \
            and final_target_e.is_number and final_target_e.kind != V.KEEP:
        flow = aggregation == "sum"
        yt = year_target_e.value if year_target_e is not None and year_target_e.is_number else None
        final_achieved = achieved if target_e is final_target_e else False
        res.pace = pace_of(actual=actual, target=final_target_e.value, target_year=final_target_year,
                           eval_year=eval_year, baseline=base_for_diff, baseline_year=res.baseline_year,
                           flow=flow, first_year=(settings.plan_start if settings else None) or min(k.actuals, default=None),
                           year_target=yt, achieved=final_achieved, unit=k.unit,
                           thresholds=settings.pace_thresholds if settings else (1.0, 0.8))

    # cross-check against a figure already published
    if k.published_progress is not None and res.progress is not None:
        if round_half_up(k.published_progress * 100, 1) != round_half_up(res.progress * 100, 1):
            F("published_mismatch", "published_progress", k.raw.get("published_progress"),
              published=f"{round_half_up(k.published_progress * 100, 1):.1f}%",
              computed=f"{round_half_up(res.progress * 100, 1):.1f}%")
    return res


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
