"""Evaluations as data (JSON, described by schema/evaluation.schema.json) and as short text."""
from __future__ import annotations

from . import values as V
from .evaluate import Evaluation, round_half_up
from .findings import SEVERITY_ORDER, sort_findings
from .render import kpi_label, plain_number


def evaluation_report(ev: Evaluation, source: str = "") -> dict:
    s = ev.settings
    kpis = []
    for r in ev.results:
        k = r.kpi
        kpis.append({
            "row": k.row,
            "id": k.kpi_id or None,
            "name": k.name,
            "label": kpi_label(r),
            "goal": k.goal_code,
            "policy": k.policy_code or None,
            "measure": k.measure_code or None,
            "unit": k.unit,
            "baseline": plain_number(r.baseline),
            "baseline_year": r.baseline_year,
            "actual": plain_number(r.actual),
            "actual_year": r.actual_year,
            "target": plain_number(r.target),
            "target_year": r.target_year,
            "direction": r.direction,
            "direction_stated": r.direction_stated,
            "formula": k.formula,
            "formula_used": r.formula_used,
            "achieved": bool(r.facts and r.facts.achieved),
            "versus_baseline": r.facts.versus_baseline if r.facts else None,
            "progress": r.progress,
            "progress_percent": None if r.progress is None else round_half_up(r.progress * 100, 1),
            "status": r.status or None,
            "computed_status": r.computed_status or None,
            "override": r.override,
            "reason": r.reason or None,
            "pace": r.pace,
        })
    return {
        "source": str(source),
        "municipality": s.municipality,
        "plan_name": s.plan_name,
        "evaluation_year": s.evaluation_year,
        "evaluation_year_label": V.era_label(s.evaluation_year),
        "scheme": {"name": ev.scheme.name, "title": ev.scheme.title, "classes": ev.scheme.classes},
        "tally_columns": ev.tally_columns,
        "goals": [{"id": g, "name": n} for g, n in ev.goals],
        "kpis": kpis,
        "tallies": ev.tallies,
        "findings": [f.to_dict() for f in sort_findings(ev.findings)],
        "valid": not ev.errors,
    }


def validation_report(ev: Evaluation, source: str = "") -> dict:
    counts = {sev.value: 0 for sev in SEVERITY_ORDER}
    for f in ev.findings:
        counts[f.severity.value] += 1
    return {"source": str(source), "valid": not ev.errors, "counts": counts, "kpi_count": len(ev.results),
            "findings": [f.to_dict() for f in sort_findings(ev.findings)]}


def tally_text(ev: Evaluation) -> str:
    classes = ev.tally_columns
    lines = ["重点戦略\t" + "\t".join(classes) + "\t計"]
    t = ev.tallies
    for g, name in ev.goals:
        lines.append(f"{g}\t" + "\t".join(str(t[g].get(c, 0)) for c in classes) + f"\t{sum(t[g].values())}")
    lines.append("合計\t" + "\t".join(str(t["total"].get(c, 0)) for c in classes) + f"\t{sum(t['total'].values())}")
    return "\n".join(lines)
