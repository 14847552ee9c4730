"""Pace (見込み): is a KPI on course to reach its target by the target year?

On a straight path from the baseline (in its year) to the target (in its year), the KPI should stand at
``expected`` in the evaluation year; the pace is the progress made over the progress expected:

    stock:  (actual − baseline) / (expected − baseline),  expected = baseline + (target − baseline) × elapsed share
    flow:   actual sum / (target × years elapsed / years of the period)      (``5年間に50件``)

A target set by the plan for the evaluation year itself (目標値 R4) replaces the straight path.  The pace is
classified with the settings' 見込みの閾値 (default 100,80: 順調 ≥ 100%, やや遅れ ≥ 80%, 遅れ below) and
says what is still needed per remaining year, in the KPI's own unit (年+38人).  It never changes the
scheme's status: it is shown beside it.  Pure functions, no I/O.
"""
from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

ON_TRACK, SLIGHTLY_BEHIND, BEHIND = "順調", "やや遅れ", "遅れ"
LABELS = (ON_TRACK, SLIGHTLY_BEHIND, BEHIND)
DEFAULT_THRESHOLDS = (1.0, 0.8)
EPS = 1e-9


def classify(ratio: float, thresholds=DEFAULT_THRESHOLDS) -> str:
    """順調 / やや遅れ / 遅れ for a pace ratio (fractions: 1.0 = exactly on the straight path)."""
    on, slight = thresholds
    if ratio >= on - EPS:
        return ON_TRACK
    if ratio >= slight - EPS:
        return SLIGHTLY_BEHIND
    return BEHIND


def expected_stock(baseline: float, baseline_year: int, target: float, target_year: int, year: int) -> float:
    """Where a stock should stand in ``year`` on the straight path from baseline to target."""
    if target_year <= baseline_year:
        return target
    share = min(max(year - baseline_year, 0), target_year - baseline_year) / (target_year - baseline_year)
    return baseline + (target - baseline) * share


def expected_flow(target_total: float, first_year: int, target_year: int, year: int) -> float:
    """How much of a period total (``5年間に50件``) should have been done by the end of ``year``."""
    years = target_year - first_year + 1
    if years <= 0:
        return target_total
    done = min(max(year - first_year + 1, 0), years)
    return target_total * done / years


def decimals(*xs) -> int:
    """Decimals the figures were written with (at most 3): the precision of what is needed."""
    d = 0
    for x in xs:
        if x is None or float(x).is_integer():
            continue
        d = max(d, min(len(f"{float(x):.10f}".split(".")[1].rstrip("0")), 3))  # repr(1e-07) has no "."
    return d


def round_up_magnitude(x: float, digits: int) -> float:
    """Round away from zero at ``digits`` decimals: what is needed is never understated (37.7 → 38)."""
    q = Decimal(1).scaleb(-digits)
    mode = ROUND_CEILING if x >= 0 else ROUND_FLOOR
    return float(Decimal(repr(x)).quantize(q, rounding=mode))


def amount_text(x: float, digits: int, unit: str = "", signed: bool = True) -> str:
    """38 → ``+38人``, −0.1 → ``▲0.1%`` (the sign style of municipal reports)."""
    mag = f"{abs(x):,.{digits}f}"
    sign = ("+" if x > 0 else "▲" if x < 0 else "±") if signed else ("▲" if x < 0 else "")
    return f"{sign}{mag}{unit}"


def pace(*, actual: float | None, target: float | None, target_year: int | None, eval_year: int | None,
         baseline: float | None = None, baseline_year: int | None = None, flow: bool = False,
         first_year: int | None = None, year_target: float | None = None, achieved: bool | None = None,
         unit: str = "", sense: int = 1, thresholds=DEFAULT_THRESHOLDS) -> dict | None:
    """The pace of one KPI, or None when it does not apply (no target year, no actual, no numeric target).

    ``flow``: the actual is a sum of yearly amounts since ``first_year`` and the target a period total.
    ``year_target``: the plan's own target for the evaluation year, used instead of the straight path.
    ``achieved``: the engine's verdict on the final target (None: judge it here, in the KPI's direction
    ``sense``, +1 higher is better).  Only an achieved KPI is ever 達成済み.
    Returns a dict (JSON-ready): status, ratio, expected, expected_year, remaining_years, needed,
    needed_per_year, text, reason.
    """
    if actual is None or target is None or target_year is None or eval_year is None:
        return None
    out = {"status": None, "ratio": None, "expected": None, "expected_year": eval_year,
           "remaining_years": target_year - eval_year, "needed": None, "needed_per_year": None,
           "text": "", "reason": None}
    d = decimals(actual, target, baseline, year_target)
    if flow:
        start = first_year if first_year is not None else baseline_year
        if start is None:
            out["reason"] = "計画期間の開始年度がないため、見込みを算定できません。"
            return out
        expected = year_target if year_target is not None else expected_flow(target, start, target_year, eval_year)
        gained, should = actual, expected
    else:
        if baseline is None or baseline_year is None:
            out["reason"] = "基準値または基準年度がないため、見込みを算定できません。"
            return out
        expected = year_target if year_target is not None else expected_stock(
            baseline, baseline_year, target, target_year, eval_year)
        gained, should = actual - baseline, expected - baseline
    out["expected"] = expected
    needed = target - actual
    if achieved is None:
        achieved = (actual - target >= -EPS) if flow else sense * (actual - target) >= -EPS
    if achieved:
        out.update(status=ON_TRACK, needed=0, needed_per_year=0, text="達成済み")
        if abs(should) > EPS:
            out["ratio"] = gained / should
        return out
    out["needed"] = needed
    sign = 1 if flow else sense
    if abs(should) < EPS or sign * should < 0:
        # no change expected yet (the evaluation year is the baseline year, or the year's target is the
        # baseline), or the plan expects a change for the worse (a 増加 KPI whose target allows for a decline):
        # a ratio of changes would reward falling further, so compare with the expected position only
        out["status"] = ON_TRACK if (actual - expected) * sign >= -EPS else BEHIND
        out["reason"] = ("評価年度までに見込まれる変化がないため、見込みの位置との比較のみで判定しました。"
                         if abs(should) < EPS else
                         "目標値が基準値より低い（悪い側の）目標のため、見込みの位置との比較のみで判定しました。")
    else:
        out["ratio"] = gained / should
        out["status"] = classify(out["ratio"], thresholds)
    n = target_year - eval_year
    if n > 0:
        per_year = round_up_magnitude(needed / n, d)
        out["needed_per_year"] = per_year
        out["text"] = f"年{amount_text(per_year, d, unit, signed=not flow)}（あと{n}年）"
    else:
        total = round_up_magnitude(needed, d)
        head = "目標年度" if n == 0 else "目標年度を経過"
        out["text"] = f"{head}: あと{amount_text(total, d, unit, signed=not flow)}"
    return out
