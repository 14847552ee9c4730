"""The public view of an Evaluation: the only data the public exports read.

Every exporter (xlsx, pdf, html, csv) takes its figures from ``public_report(ev)``, which copies the
approved values out of the Evaluation: codes, KPI name and unit, baseline / actual / target with their years,
progress, status.  Internal fields (担当課, 備考, 算定メモ, validation findings, the raw cells) are never copied,
so no exporter can leak them by accident.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core import values as V
from ..core.evaluate import Evaluation, Result, round_half_up
from ..core.scheme import UNRATED
from ..core.render import (FORMULA_LEADS, column_years, decimals_of, display_value, kpi_label, plain_number,
                           progress_display, summary_headers, summary_notes)

FORMULA_TEXT = {"ratio": "比率 (b)/(c)", "difference": "差分 (b-a)/(c-a)"}


@dataclass(frozen=True)
class PublicRow:
    goal_code: str
    goal_name: str
    policy_code: str
    measure_code: str
    kpi_id: str
    name: str                 # as entered
    label: str                # as printed (※ for difference-formula KPIs)
    unit: str
    baseline: float | None
    baseline_year: int | None
    actual: float | None
    actual_year: int | None
    target: float | None
    target_year: int | None
    cells: tuple[str, str, str]   # a, b, c as printed ("279,072", "11 (R1)", "－")
    progress: float | None        # exact fraction
    progress_percent: float | None   # one decimal, rounded half up (70.7)
    progress_text: str            # "70.7%" or "－"
    status: str                   # the scheme's label ("" when none)
    override: bool                # the status was set by hand
    formula: str                  # ratio / difference

    @property
    def status_text(self) -> str:
        """The status as printed: "－" when none, "（手入力）" after a status set by hand."""
        return (self.status or "－") + ("（手入力）" if self.override else "")


@dataclass
class PublicReport:
    municipality: str
    plan_name: str
    evaluation_year: int | None
    scheme_title: str
    classes: list[str]
    colors: dict[str, str]
    descriptions: dict[str, str]
    goals: list[tuple[str, str]]
    tallies: dict[str, dict[str, int]]
    headers: list[str]            # the KPI list's column headers, as printed
    rows: list[PublicRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def year_label(self) -> str:
        y = self.evaluation_year
        return f"{V.era_label(y)}（{y}年度）" if y else ""

    @property
    def title(self) -> str:
        parts = [self.municipality, self.plan_name, "KPI達成状況"]
        if self.evaluation_year:
            parts.append(f"{V.era_label(self.evaluation_year)}年度")
        return "　".join(p for p in parts if p)

    @property
    def subtitle(self) -> str:
        return "　".join(x for x in (self.municipality, self.plan_name,
                                     f"評価年度 {self.year_label}" if self.year_label else "",
                                     f"評価方式: {self.scheme_title}") if x)

    def goal_label(self, code: str) -> str:
        name = dict(self.goals).get(code, "")
        return f"{code} {name}".strip()

    def count_text(self, code: str, sep: str = "、") -> str:
        t = self.tallies.get(code, {})
        return sep.join(f"{c} {t.get(c, 0)}件" for c in self.classes)


def public_report(ev: Evaluation) -> PublicReport:
    """Copy the approved values out of the Evaluation (the same figures as 【KPI達成状況】)."""
    s = ev.settings
    by, ey, ty = column_years(ev)
    headers = summary_headers(ev, with_pace=False)
    descriptions = {c.get("label"): c.get("description", "") for c in ev.scheme.data.get("classes", [])}
    descriptions.setdefault(UNRATED, "入力の誤り・方向の未入力などで評価できなかった指標")
    rep = PublicReport(s.municipality or "", s.plan_name or "", ey, ev.scheme.title, list(ev.tally_columns),
                       dict(ev.scheme.colors), descriptions, list(ev.goals),
                       {k: dict(v) for k, v in ev.tallies.items()}, headers)
    rep.rows.extend(_row(r, by, ey, ty) for r in ev.results)
    rep.notes.extend(summary_notes(ev, internal=False))
    return rep


def _row(r: Result, by, ey, ty) -> PublicRow:
    k = r.kpi
    a = display_value(r.baseline, k.baseline, r.baseline_year, by, k.baseline_period_start)
    if r.baseline is None and k.cumulative and k.formula == "difference":
        a = display_value(None, k.baseline, None, by)
    b = display_value(r.actual, r.actual_entry, r.actual_year, ey)
    c = display_value(r.target, k.target, r.target_year, ty,
                      k.target_period_start if r.target_year == k.target_year else None)
    dec = max(decimals_of(x) for x in (r.baseline, r.actual, r.target))
    return PublicRow(
        goal_code=k.goal_code or "", goal_name=k.goal_name or "", policy_code=k.policy_code or "",
        measure_code=k.measure_code or "", kpi_id=k.kpi_id or "", name=k.name or "", label=kpi_label(r),
        unit=k.unit or "",
        baseline=plain_number(r.baseline), baseline_year=r.baseline_year, actual=plain_number(r.actual), actual_year=r.actual_year,
        target=plain_number(r.target), target_year=r.target_year,
        cells=tuple(_cell_text(v, dec) for v in (a, b, c)),
        progress=r.progress,
        progress_percent=None if r.progress is None else round_half_up(r.progress * 100, 1),
        progress_text=progress_display(r.progress),
        status=r.status or "", override=bool(r.override),
        formula=k.formula or "ratio")


def _cell_text(v, dec: int) -> str:
    """A value as the printed summary shows it (the number format #,##0.0 of the sheet)."""
    if isinstance(v, (int, float)):
        return f"{v:,.{dec}f}"
    return str(v)


# --- safety helpers shared by the exporters

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str, fallback: str = "Sheet") -> str:
    """A valid Excel sheet title: no []:*?/\\, no leading/trailing apostrophe, at most 31 characters."""
    t = _SHEET_BAD.sub("_", str(text or "")).strip().strip("'")
    return t[:31] or fallback


def inert(value):
    """A text cell that a spreadsheet program cannot run: prefix ' when it begins with = + - @ TAB CR LF."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value
