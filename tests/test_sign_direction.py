"""Progress and status for every sign and direction (issue 9, ../shared/DOMAIN.md "Sign and direction").

The invariants, for every scheme:
- reaching the target in the KPI's direction is the top class;
- ending worse than the baseline without reaching the target is never the top class nor an improvement;
- a progress that cannot be computed is said (算定メモ and a finding); every KPI is in the tally.
They are checked three ways: named cases from the seeds and the issue (pinned figures), a property test over
integers of every sign (core, hypothesis), and a workbook with one row per case through ``kpi evaluate --json``.
"""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.book.template import build_workbook
from addin.core.evaluate import evaluate, round_half_up
from addin.core.model import Kpi, Settings
from addin.core.scheme import UNRATED, get_scheme
from addin.core.values import parse_entry

SCHEMES = {name: get_scheme(name) for name in ("four-class", "three-mark", "letter")}
DIRECTIONS = {"増加": "up", "減少": "down", None: "up"}
FORMULAS = {"比率": "ratio", "差分": "difference", None: "ratio"}


def kpi(a, b, c, direction="増加", formula=None, unit="", cumulative=False, aggregation=None, actuals=None,
        status_override="", kind="quantitative"):
    """A KPI row as the table reader makes it: entries parsed from what a clerk types, stated cells in ``raw``."""
    raw = {"direction": direction, "formula": formula, "aggregation": aggregation}
    years = actuals or {2022: b}
    return Kpi(row=5, name="指標", goal_code="1", unit=unit, baseline=parse_entry(a, unit), baseline_year=2018,
               actuals={y: parse_entry(v, unit) for y, v in years.items()}, target=parse_entry(c, unit),
               target_year=2024, direction=DIRECTIONS.get(direction, {"維持": "keep"}.get(direction, "up")),
               formula=FORMULAS[formula], cumulative=cumulative,
               aggregation={"最新年度": "latest", "期間合計": "sum", None: "latest"}[aggregation],
               kind=kind, status_override=status_override, raw=raw,
               cells={"direction": "S5", "formula": "T5", "target": "Q5", "baseline": "K5", "aggregation": "V5",
                      **{f"actual_{y}": f"N{5}" for y in years}})


def run_core(k, scheme="four-class", year=2022):
    ev = evaluate([k], Settings(evaluation_year=year, plan_start=2020), SCHEMES[scheme])
    return ev.results[0], ev


def codes(res):
    return {f.code for f in res.findings}


# ---- named cases: the figures of the issue and the seeds, pinned ---------------------------------------------

@pytest.mark.parametrize("a, b, c, direction, formula, four, three, progress", [
    # 社会移動率 −0.35% → −0.18% (higher is better): past the target / worse than the baseline
    ("-0.35%", "-0.10%", "-0.18%", "増加", None, "目標達成", "○", (-0.10 + 0.35) / (-0.18 + 0.35)),
    ("-0.35%", "-0.41%", "-0.18%", "増加", None, "未達成↓", "△", (-0.41 + 0.35) / (-0.18 + 0.35)),
    ("-0.35%", "-0.41%", "-0.18%", "増加", "比率", "未達成↓", "△", (-0.41 + 0.35) / (-0.18 + 0.35)),
    # 純移動数 −266 → −200; 美郷 ▲90 → ▲45
    ("-266", "-230", "-200", "増加", None, "改善↑", "△", 36 / 66),
    ("▲90", "▲60", "▲45", "増加", None, "改善↑", "△", 30 / 45),
    ("▲90", "▲40", "▲45", "増加", None, "目標達成", "○", 50 / 45),
    ("▲90", "▲95", "▲45", "増加", None, "未達成↓", "△", -5 / 45),
    # 平均初婚年齢 28.3 → 25 (lower is better), actual 28.9: worse, never ○
    ("28.3", "28.9", "25", "減少", "比率", "未達成↓", "△", (28.9 - 28.3) / (25 - 28.3)),
    ("28.3", "26.0", "25", "減少", None, "改善↑", "△", (26.0 - 28.3) / (25 - 28.3)),
    ("28.3", "24.8", "25", "減少", "差分", "目標達成", "○", (24.8 - 28.3) / (25 - 28.3)),
    # 要介護認定率 18.7 → 18.5, 18.4 (DOMAIN: 150%)
    ("18.7", "18.4", "18.5", "減少", "差分", "目標達成", "○", 1.5),
    # a plain increase KPI keeps Mine's ratio (b)/(c): 三洞入洞者数 499 → 540, 382
    ("499", "382", "540", "増加", "比率", "未達成↓", "△", 382 / 540),
    # 地域子育て支援拠点 1,522 → 1,500 (stated 増加, target below the baseline): below both
    ("1,522", "1,169", "1,500", "増加", "比率", "未達成↓", "△", 1169 / 1500),
])
def test_named_cases(a, b, c, direction, formula, four, three, progress):
    res, _ = run_core(kpi(a, b, c, direction, formula, unit="%" if "%" in a else ""))
    assert res.progress == pytest.approx(progress)
    assert res.status == four
    assert run_core(kpi(a, b, c, direction, formula, unit="%" if "%" in a else ""), "three-mark")[0].status == three


def test_lower_is_better_with_the_ratio_says_why_it_used_the_difference():
    res, _ = run_core(kpi("28.3", "28.9", "25", "減少", "比率"))
    assert "formula_replaced" in codes(res) and res.formula_used == "difference"
    assert "差分 (b-a)/(c-a)" in res.reason and round_half_up(res.progress * 100, 1) == -18.2
    # with the formula left blank the same figure is an inference: a note, not a warning
    res, _ = run_core(kpi("28.3", "28.9", "25", "減少", None))
    assert "formula_inferred" in codes(res) and "formula_replaced" not in codes(res)


def test_blank_direction_with_the_target_below_the_baseline_is_not_guessed():
    # 平均初婚年齢 30.0 → 28, 方向 blank, actual 29.5: no status until the clerk states the direction
    res, ev = run_core(kpi("30.0", "29.5", "28", None))
    assert res.status == UNRATED and res.progress is None
    f = next(f for f in res.findings if f.code == "direction_needed")
    assert f.severity.value == "error" and f.cell == "S5"
    assert ev.tallies["total"] == {"目標達成": 0, "改善↑": 0, "－": 0, "未達成↓": 0, UNRATED: 1}
    assert UNRATED in ev.tally_columns


def test_blank_direction_inferred_from_the_numbers_is_said():
    res, _ = run_core(kpi("10", "12", "20", None))
    assert res.direction == "up" and not res.direction_stated
    assert "direction_inferred" in codes(res) and "増加" in res.reason


@pytest.mark.parametrize("target, kind_word", [("21以上", "以上"), ("5以下", "以下")])
def test_at_least_and_at_most_imply_the_direction(target, kind_word):
    res, _ = run_core(kpi("10", "21" if kind_word == "以上" else "5", target, None))
    assert res.status == "目標達成" and res.direction == ("up" if kind_word == "以上" else "down")


@pytest.mark.parametrize("a, b, c, direction, achieved", [
    ("1.73", "1.75", "1.73を維持", None, True),     # 合計特殊出生率 1.73 を維持
    ("1.73", "1.70", "1.73を維持", None, False),
    ("1.73", "1.70", "現状維持", "維持", False),
    ("12", "12", "現状維持", None, True),
    ("3.2", "3.0", "現状維持", "減少", True),      # keep it from rising
])
def test_keep_targets(a, b, c, direction, achieved):
    assert parse_entry(c).kind == "keep"
    res, _ = run_core(kpi(a, b, c, direction))
    assert res.facts.achieved is achieved
    assert (res.status == "目標達成") is achieved
    if not achieved:
        assert res.status == "未達成↓"


def test_stated_aggregation_beats_a_period_target():
    # 5年間に50区画 with 実績の集計 = 最新年度: the clerk said the figure is a stock; the conflict is a finding
    k = kpi("0", None, "5年間に50区画", "増加", aggregation="最新年度", actuals={2020: 10, 2021: 20, 2022: 30})
    res, _ = run_core(k)
    assert res.actual == 30 and "aggregation_conflict" in codes(res)
    # 累計 = ○ means the same: the latest figure is the running total
    k = kpi("0", None, "5年間に50区画", "増加", cumulative=True, actuals={2020: 10, 2021: 20, 2022: 30})
    assert run_core(k)[0].actual == 30
    # nothing stated: the period target makes the yearly figures a sum, and 算定メモ says so
    res, _ = run_core(kpi("0", None, "5年間に50区画", "増加", actuals={2020: 10, 2021: 20, 2022: 30}))
    assert res.actual == 60 and "合計" in res.reason


@pytest.mark.parametrize("target", ["abc", None])
def test_a_kpi_that_cannot_be_read_is_still_counted(target):
    ks = [kpi("10", "12", "20"), kpi("10", "12", target)]
    ev = evaluate(ks, Settings(evaluation_year=2022), SCHEMES["four-class"])
    assert sum(ev.tallies["total"].values()) == 2 and ev.tallies["total"][UNRATED] == 1
    assert sum(ev.tallies["1"].values()) == 2


def test_a_manual_status_makes_unreadable_cells_information():
    res, _ = run_core(kpi("10", "平日 0.99 休日 0.97", "20", status_override="改善↑"))
    assert res.status == "改善↑" and res.override
    assert {f.severity.value for f in res.findings} == {"info"}


def test_a_missed_target_below_the_baseline_is_never_achieved_in_pace():
    # Mine's 地域子育て支援拠点 1,522 (H30) → 1,500 (R6), 1,169 in R4: missed, behind
    k = kpi("1,522", "1,169", "1,500", "増加", "比率")
    res, _ = run_core(k)
    assert res.pace["text"] != "達成済み" and res.pace["status"] == "遅れ"


def test_eighty_percent_threshold_of_three_mark():
    assert run_core(kpi("0", "80", "100", "増加", "比率"), "three-mark")[0].status == "○"
    assert run_core(kpi("0", "79.9", "100", "増加", "比率"), "three-mark")[0].status == "△"


def test_round_half_up_for_display_only():
    assert round_half_up(70.65, 1) == 70.7 and round_half_up(0.05, 1) == 0.1 and round_half_up(-18.25, 1) == -18.3


# ---- the property: integers of every sign, both directions, every formula, three schemes --------------------

def reaches(a, b, c, s, formula) -> bool:
    """The target is reached in the KPI's direction.  A target equal to the baseline is no target to reach, unless
    the ratio b/c applies (higher is better, a positive target: 6 → 6 bus companies, 6 reached is 100%)."""
    return s * (b - c) >= 0 and (c != a or (s > 0 and c > 0 and formula != "差分"))


def check_invariants(res, ev, a, b, c, direction, scheme_name, formula=None):
    """The invariants for one evaluated KPI; returns nothing, asserts."""
    scheme = SCHEMES[scheme_name]
    assert sum(ev.tallies["total"].values()) == 1                       # counted, always
    if res.status == UNRATED:
        assert any(f.severity.value == "error" for f in res.findings)   # … and said why
        return
    s = -1 if direction == "減少" else 1
    reached = reaches(a, b, c, s, formula)
    worse = s * (b - a) < 0
    if reached:
        assert res.status == scheme.top, (a, b, c, direction, res.progress, res.reason)
    elif worse:
        assert res.status != scheme.top and res.status not in scheme.improvement_classes, \
            (a, b, c, direction, res.progress, res.reason)
    if res.progress is None:
        assert res.reason, (a, b, c, direction)
    else:
        assert (res.progress >= 1 - 1e-9) == reached, (a, b, c, direction, res.progress)
        if not worse and s * (c - a) > 0:
            assert res.progress >= -1e-9                               # no improvement shows as negative


@settings(max_examples=400, deadline=None)
@given(a=st.integers(-50, 50), b=st.integers(-60, 60), c=st.integers(-50, 50),
       direction=st.sampled_from(["増加", "減少", None]), formula=st.sampled_from(["比率", "差分", None]),
       scheme=st.sampled_from(sorted(SCHEMES)))
def test_invariants_hold_for_every_sign_and_direction(a, b, c, direction, formula, scheme):
    k = kpi(str(a), str(b), str(c), direction, formula)
    res, ev = run_core(k, scheme)
    if direction is None and c < a:
        assert res.status == UNRATED and "direction_needed" in codes(res)
        return
    check_invariants(res, ev, a, b, c, direction, scheme, formula)


# ---- acceptance: one workbook row per case, through `kpi evaluate --json` -------------------------------------

VALUES = (-4, 0, 4)      # baseline
TARGETS = (-8, 0, 8)
ACTUALS = (-6, 0, 6)
CASES = [(a, b, c, d, f) for a, b, c in itertools.product(VALUES, ACTUALS, TARGETS)
         for d in ("増加", "減少") for f in (None, "比率", "差分")]


@pytest.fixture(scope="module")
def case_book(tmp_path_factory):
    rows = []
    for i, (a, b, c, d, f) in enumerate(CASES, start=1):
        rows.append({"kpi_id": f"C{i:03d}", "goal_code": "1", "goal_name": "符号と方向", "name": f"ケース{i:03d}",
                     "unit": "件", "baseline": a, "baseline_year": "H30", "actual_2022": b, "target": c,
                     "target_year": "R6", "direction": d, "formula": f, "aggregation": "最新年度", "kind": "数値"})
    wb = build_workbook({"municipality": "検証用", "plan_name": "符号と方向の表", "plan_start": "R2", "plan_end": "R6",
                         "evaluation_year": "R4"}, rows, data_rows=len(rows) + 2)
    path = tmp_path_factory.mktemp("cases") / "cases.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_every_case_row_through_the_cli(run, case_book, scheme):
    rep = run("evaluate", case_book, "--json", "--scheme", scheme).json()
    sch = SCHEMES[scheme]
    assert len(rep["kpis"]) == len(CASES)
    assert sum(rep["tallies"]["total"].values()) == len(CASES)        # no KPI missing from the tally
    by_cell = {}
    for f in rep["findings"]:
        by_cell.setdefault(f["kpi"], []).append(f)
    for k, (a, b, c, d, f) in zip(rep["kpis"], CASES):
        s = -1 if d == "減少" else 1
        reached, worse = reaches(a, b, c, s, f), s * (b - a) < 0
        if reached:
            assert k["status"] == sch.top, (k["name"], a, b, c, d, f, k["reason"])
        elif worse:
            assert k["status"] not in {sch.top} | sch.improvement_classes, (k["name"], a, b, c, d, f, k["reason"])
        if k["progress"] is None:
            # not computable: said in 算定メモ and by a finding on the row
            assert k["reason"] and by_cell.get(k["name"]), (k["name"], a, b, c, d, f)
        if k["formula_used"] == "difference" and f != "差分":
            assert any(x["code"] in ("formula_replaced", "formula_inferred") for x in by_cell[k["name"]])
