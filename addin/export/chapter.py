"""The evaluation report's chapter (II. 戦略の評価) as data: what ``kpi report`` writes as Word, PDF and HTML.

Per 重点戦略 its tally block, per 戦略方針 its heading and text, per 具体的施策 its description, its KPI table
(KPI名 / 単位 / 策定時 (a) / 実績値 (b) / 目標 (c) / 進捗率 / 評価, with the ※ note) and the four texts of the
departments (現状・取組内容, 評価, 課題, 方向性), in plan order (the order of the KPI sheet).

The figures are the public report's rows (``public.public_report``), which copy the Evaluation that also writes
【KPI達成状況】: the chapter and the summary cannot disagree.  The texts come from the 施策 sheet.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core import narrative as N
from ..core import values as V
from ..core.evaluate import Evaluation
from ..core.render import DIFFERENCE_NOTE
from .public import PublicReport, PublicRow, public_report

TEXT_LABELS = (("current", "現状・取組内容"), ("evaluation", "評価"), ("issues", "課題"), ("direction", "方向性"))
TABLE_COLUMNS = 7          # KPI名 単位 (a) (b) (c) 進捗率 評価


@dataclass
class SeriesRow:
    """One KPI's actuals year by year (as printed) and its status one evaluation year earlier."""
    texts: list[str]                  # per year of Chapter.series_years: "382", "－", "集計中"
    numbers: list[float | None]       # the same as numbers, for the small chart
    previous_status: str              # the scheme's label for the previous year ("－" when none)
    status: str

    @property
    def change(self) -> str:
        """未達成↓ → 改善↑ (or the status alone when it did not change)."""
        return self.status if self.previous_status == self.status else f"{self.previous_status} → {self.status}"

    @property
    def sparkline(self) -> str:
        """The series as a text chart (▁▂▃▄▅▆▇█, blank for a year without a number): readable in Word and PDF."""
        nums = [x for x in self.numbers if x is not None]
        if len(nums) < 2:
            return ""
        lo, hi = min(nums), max(nums)
        bars = "▁▂▃▄▅▆▇█"
        return "".join(" " if x is None else bars[0 if hi == lo else round((x - lo) / (hi - lo) * 7)]
                       for x in self.numbers)


@dataclass
class MeasureSection:
    code: str
    name: str
    description: list[str]
    rows: list[PublicRow]
    texts: list[tuple[str, list[str]]]          # (label, paragraphs), the four texts in report order
    note: str = ""                              # the ※ note when a KPI of the table uses (b-a)/(c-a)
    series: list[SeriesRow] = field(default_factory=list)   # parallel to rows, when several years are held

    @property
    def heading(self) -> str:
        return f"具体的施策 {self.code}　{self.name}".strip() if self.code else (self.name or "具体的施策")


@dataclass
class PolicySection:
    code: str
    name: str
    paragraphs: list[str]
    measures: list[MeasureSection] = field(default_factory=list)

    @property
    def number(self) -> str:
        """【戦略方針1】: the last part of 1-1, as the report numbers them inside their goal."""
        return self.code.split("-")[-1] if self.code else ""

    @property
    def heading(self) -> str:
        """【戦略方針1】name; empty for a plan without this level (its measures sit directly under the goal)."""
        return f"【戦略方針{self.number}】{self.name}" if self.code else self.name


@dataclass
class GoalSection:
    code: str
    name: str
    tally: dict[str, int]
    policies: list[PolicySection] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"重点戦略{self.code}　{self.name}".strip()

    @property
    def tally_label(self) -> str:
        return f"重点戦略{self.code}：KPI達成状況"

    @property
    def measures(self) -> list[MeasureSection]:
        return [m for p in self.policies for m in p.measures]


@dataclass
class Chapter:
    report: PublicReport
    goals: list[GoalSection]
    headers: list[str]                 # the KPI table's headers (the summary's, cut to TABLE_COLUMNS)
    classes: list[str]
    series_years: list[int] = field(default_factory=list)   # empty when the workbook holds one year only

    @property
    def series_headers(self) -> list[str]:
        """KPI名, R2 … R6, 推移, 評価（前年度 → 今年度）"""
        year = self.report.evaluation_year
        return (["KPI名"] + [V.era_label(y) for y in self.series_years] + ["推移"]
                + [f"評価（{V.era_label(year - 1)} → {V.era_label(year)}）" if year else "評価"])

    @property
    def title(self) -> str:
        return "　".join(x for x in (self.report.plan_name, "評価報告書") if x)

    @property
    def subtitle(self) -> str:
        year = self.report.evaluation_year
        parts = [self.report.municipality,
                 f"{V.era_label(year)}年度実績の評価（{year}年度）" if year else ""]
        return "　".join(p for p in parts if p)

    @property
    def rows(self) -> list[PublicRow]:
        return [r for g in self.goals for m in g.measures for r in m.rows]


def build_chapter(ev: Evaluation, narratives: N.Narratives | None = None,
                  report: PublicReport | None = None) -> Chapter:
    """Group the public rows by goal → policy → measure in plan order and attach the 施策 sheet's texts."""
    rep = report or public_report(ev)
    narratives = narratives or N.Narratives()
    years = series_years(ev)
    series = year_series(ev, years) if years else {}
    names: dict[tuple[str, str], str] = {}
    for r in ev.results:
        names.setdefault(("p", r.kpi.policy_code or ""), r.kpi.policy_name or "")
        names.setdefault(("m", r.kpi.measure_code or ""), r.kpi.measure_name or "")
    goals: list[GoalSection] = []
    by_goal: dict[str, GoalSection] = {}
    for code, name in ev.goals:
        g = GoalSection(code, name, {c: rep.tallies.get(code, {}).get(c, 0) for c in rep.classes})
        goals.append(g)
        by_goal[code] = g
    for i, row in enumerate(rep.rows):
        g = by_goal.get(row.goal_code)
        if g is None:
            continue
        policy = next((p for p in g.policies if p.code == row.policy_code), None)
        if policy is None:
            item = narratives.policy(row.policy_code) if row.policy_code else None
            policy = PolicySection(row.policy_code, (item.name if item and item.name else "")
                                   or names.get(("p", row.policy_code), ""),
                                   item.paragraphs("description") if item else [])
            g.policies.append(policy)
        measure = next((m for m in policy.measures if m.code == row.measure_code), None)
        if measure is None:
            item = narratives.measure(row.measure_code) if row.measure_code else None
            measure = MeasureSection(
                row.measure_code, (item.name if item and item.name else "") or names.get(("m", row.measure_code), ""),
                item.paragraphs("description") if item else [], [],
                [(label, item.paragraphs(key) if item else []) for key, label in TEXT_LABELS]
                if narratives.present else [])          # a workbook without a 施策 sheet: tables only
            policy.measures.append(measure)
        measure.rows.append(row)
        if i in series:
            measure.series.append(series[i])
        if row.formula == "difference":
            measure.note = DIFFERENCE_NOTE
    headers = list(rep.headers[:TABLE_COLUMNS])
    return Chapter(rep, goals, headers, list(rep.classes), years)


def series_years(ev: Evaluation) -> list[int]:
    """The fiscal years with actuals up to the evaluation year, when there are at least two of them."""
    year = ev.settings.evaluation_year
    years = sorted({y for r in ev.results for y, e in r.kpi.actuals.items()
                    if not e.is_blank and (year is None or y <= year)})
    return years if len(years) >= 2 else []


def year_series(ev: Evaluation, years: list[int]) -> dict[int, SeriesRow]:
    """Per result (by position): the yearly actuals and the status the engine gives with the evaluation year
    moved back one year (the previous evaluation), so the change 未達成↓ → 改善↑ is computed, not typed."""
    import dataclasses

    from ..core.evaluate import evaluate
    from ..core.render import DASH, DASH_LIKE, decimals_of
    year = ev.settings.evaluation_year
    previous = {}
    if year:
        before = evaluate([r.kpi for r in ev.results], dataclasses.replace(ev.settings, evaluation_year=year - 1),
                          ev.scheme, [])
        previous = {i: r.status for i, r in enumerate(before.results)}
    out = {}
    for i, r in enumerate(ev.results):
        texts, numbers = [], []
        entries = [r.kpi.actuals.get(y) for y in years]
        # one number of decimals per KPI, as its table prints (42.2 / 41.0)
        dec = max(decimals_of(x) for x in [e.value for e in entries if e is not None and e.is_number]
                  + [r.baseline, r.actual, r.target])
        for e in entries:
            if e is not None and e.is_number:
                texts.append(f"{e.value:,.{dec}f}")
                numbers.append(e.value)
            else:
                marker = (e.marker if e is not None else None) or ""
                texts.append(DASH if not marker or set(marker) <= DASH_LIKE else marker)
                numbers.append(None)
        out[i] = SeriesRow(texts, numbers, previous.get(i) or DASH, r.status or DASH)
    return out


def load_chapter(path, scheme: str | None = None) -> tuple[Chapter, Evaluation, list]:
    """Read a KPI workbook file (read-only) and build its chapter; also the evaluation and its findings."""
    from ..book.files import FileBook
    from ..config import resolve_scheme
    from ..ops import load_and_evaluate
    loaded = load_and_evaluate(FileBook(path), resolve_scheme=lambda s: resolve_scheme(s, scheme, Path(path).parent))
    ev = loaded.evaluation
    return build_chapter(ev, loaded.narratives), ev, ev.findings
