"""KPI records and settings as read from a workbook: plain data, no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field

from .values import Entry


def col_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    s = ""
    while col:
        col, r = divmod(col - 1, 26)
        s = chr(65 + r) + s
    return s


def a1(row: int, col: int) -> str:
    return f"{col_letter(col)}{row}"


@dataclass
class Kpi:
    """One KPI row.  Entries keep the raw cell values; ``cells`` maps field keys to A1 addresses."""
    row: int
    name: str
    goal_code: str = ""
    goal_name: str = ""
    policy_code: str = ""
    policy_name: str = ""
    measure_code: str = ""
    measure_name: str = ""
    kpi_id: str = ""
    unit: str = ""
    baseline: Entry | None = None
    baseline_year: int | None = None
    baseline_period_start: int | None = None  # baseline for a period (R3～R7): first year; baseline_year is the last
    actuals: dict[int, Entry] = field(default_factory=dict)   # fiscal year → entry
    target: Entry | None = None
    target_year: int | None = None
    target_period_start: int | None = None    # target for a period (R8～R12): first year; target_year is the last
    targets: dict[int, Entry] = field(default_factory=dict)   # fiscal year → the plan's target for that year
    direction: str = "up"            # up / down / keep
    formula: str = "ratio"           # ratio / difference
    cumulative: bool = False
    aggregation: str = "latest"      # latest / sum / as_entered
    kind: str = "quantitative"       # quantitative / qualitative
    status_override: str = ""
    department: str = ""
    notes: str = ""
    published_progress: float | None = None
    cells: dict[str, str] = field(default_factory=dict)
    raw: dict[str, object] = field(default_factory=dict)   # every input cell as typed, by field key

    @property
    def label(self) -> str:
        """Name as printed, with Mine City's ※ mark for difference-formula KPIs."""
        return self.name


@dataclass
class Settings:
    municipality: str = ""
    plan_name: str = ""
    plan_start: int | None = None
    plan_end: int | None = None
    evaluation_year: int | None = None
    baseline_label: str = "策定時"
    scheme: str = "four-class"
    letter_thresholds: tuple[float, ...] = (1.0, 0.8, 0.5)
    pace_thresholds: tuple[float, ...] = (1.0, 0.8)
    municipality_code: str = ""      # 全国地方公共団体コード (6 digits), for open data
    cells: dict[str, str] = field(default_factory=dict)
