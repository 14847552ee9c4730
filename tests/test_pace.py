"""Pace (見込み): straight path from baseline to target, 順調 / やや遅れ / 遅れ, what is needed per remaining year."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin.core import layout
from addin.core.pace import classify, expected_flow, expected_stock, pace


def test_expected_on_the_straight_path():
    # baseline 100 in H30 (2018), target 160 in R6 (2024): +10 a year → 140 in R4 (2022)
    assert expected_stock(100, 2018, 160, 2024, 2022) == pytest.approx(140)
    assert expected_stock(100, 2018, 160, 2024, 2030) == pytest.approx(160)   # not beyond the target
    assert expected_flow(50, 2020, 2024, 2022) == pytest.approx(30)           # 5年間に50件: 3 of 5 years


@pytest.mark.parametrize("actual, status", [(140, "順調"), (150, "順調"), (132, "やや遅れ"), (131.9, "遅れ"),
                                            (100, "遅れ"), (90, "遅れ")])
def test_classes_with_default_thresholds(actual, status):
    p = pace(actual=actual, target=160, target_year=2024, eval_year=2022, baseline=100, baseline_year=2018)
    assert p["status"] == status


def test_needed_per_remaining_year_in_the_kpis_unit():
    # 三洞入洞者数 (Mine): 499 (H30) → 382 (R4), target 540 (R6): 158 more in 2 years
    p = pace(actual=382, target=540, target_year=2024, eval_year=2022, baseline=499, baseline_year=2018, unit="千人")
    assert p["status"] == "遅れ" and p["remaining_years"] == 2
    assert p["needed"] == 158 and p["needed_per_year"] == 79
    assert p["text"] == "年+79千人（あと2年）"


def test_needed_is_rounded_up_never_understated():
    p = pace(actual=100, target=213, target_year=2024, eval_year=2021, baseline=90, baseline_year=2018, unit="人")
    assert p["needed_per_year"] == 38 and p["text"].startswith("年+38人")   # 113 / 3 = 37.7


def test_lower_is_better():
    # 要介護認定率 18.7 → target 18.5 (R6); 18.6 in R4 is behind the path (18.5667 expected)
    p = pace(actual=18.6, target=18.5, target_year=2024, eval_year=2022, baseline=18.7, baseline_year=2019, unit="%",
             sense=-1)
    assert p["status"] in ("やや遅れ", "遅れ") and p["ratio"] == pytest.approx(0.1 / (0.2 * 3 / 5))
    assert p["text"] == "年▲0.1%（あと2年）"


def test_flow_needs_an_amount_per_year_not_a_change():
    p = pace(actual=32, target=50, target_year=2024, eval_year=2022, flow=True, first_year=2020, unit="件")
    assert p["expected"] == pytest.approx(30) and p["status"] == "順調"
    assert p["text"] == "年9件（あと2年）"


def test_reached_and_target_year():
    assert pace(actual=170, target=160, target_year=2024, eval_year=2022, baseline=100,
                baseline_year=2018)["text"] == "達成済み"
    p = pace(actual=150, target=160, target_year=2024, eval_year=2024, baseline=100, baseline_year=2018, unit="人")
    assert p["text"] == "目標年度: あと+10人" and p["status"] == "やや遅れ"   # 50 of 60


def test_year_target_replaces_the_straight_path():
    # 観光入込客数: 120 (R1), plan's recovery targets 100 (R2) … 125 (R5), 130 (R6)
    p = pace(actual=118, target=130, target_year=2024, eval_year=2023, baseline=120, baseline_year=2019,
             year_target=125)
    assert p["expected"] == 125 and p["ratio"] == pytest.approx(-2 / 5) and p["status"] == "遅れ"
    p = pace(actual=122, target=130, target_year=2024, eval_year=2022, baseline=120, baseline_year=2019,
             year_target=120)   # the year's target is the baseline itself: compared with it
    assert p["status"] == "順調" and p["ratio"] is None


@pytest.mark.parametrize("kwargs", [dict(actual=None), dict(target=None), dict(target_year=None)])
def test_not_applicable(kwargs):
    base = dict(actual=10, target=20, target_year=2024, eval_year=2022, baseline=5, baseline_year=2018)
    base.update(kwargs)
    assert pace(**base) is None


def test_without_baseline_says_why():
    p = pace(actual=10, target=20, target_year=2024, eval_year=2022)
    assert p["status"] is None and "基準値" in p["reason"]


@given(st.floats(0.01, 3), st.floats(0.01, 0.99))
def test_classify_is_monotonic(ratio, slight):
    order = ["遅れ", "やや遅れ", "順調"]
    th = (1.0, slight)
    assert order.index(classify(ratio, th)) <= order.index(classify(ratio + 0.01, th))


@given(st.integers(0, 10_000), st.integers(1, 10_000), st.integers(2019, 2023))
def test_on_the_path_is_on_track(baseline, gain, year):
    target = baseline + gain
    expected = expected_stock(baseline, 2018, target, 2024, year)
    p = pace(actual=expected, target=target, target_year=2024, eval_year=year, baseline=baseline,
             baseline_year=2018)
    assert p["status"] == "順調"


def test_pace_columns_are_computed_columns():
    keys = [c.key for c in layout.COMPUTED_COLUMNS]
    assert "pace" in keys and "pace_need" in keys
    assert layout.column_for_header("見込み").computed


def test_pace_in_the_report_never_changes_the_status(run):
    from conftest import SAMPLE
    report = run("evaluate", SAMPLE, "--json").json()
    paced = [k for k in report["kpis"] if k["pace"] and k["pace"]["status"]]
    assert len(paced) > 50
    k = next(k for k in report["kpis"] if k["name"] == "三洞入洞者数")
    assert k["pace"]["status"] == "遅れ" and k["pace"]["text"] == "年+79千人（あと2年）"
    assert report["tallies"]["total"] == {"目標達成": 26, "改善↑": 19, "－": 13, "未達成↓": 20}


def test_recalc_writes_pace_into_the_kpi_sheet_and_the_summary(run, sample_copy):
    from openpyxl import load_workbook
    assert run("recalc", sample_copy).exit_code in (0, 1)
    wb = load_workbook(sample_copy)
    ws = wb[layout.SHEET_KPI]
    head = {ws.cell(layout.HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1)}
    row = next(r for r in range(layout.FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, head["KPI名"]).value == "三洞入洞者数")
    assert ws.cell(row, head["見込み"]).value == "遅れ"
    assert ws.cell(row, head["残り年数の必要量"]).value == "年+79千人（あと2年）"
    summary = {c.value for r in wb[layout.SHEET_SUMMARY].iter_rows() for c in r}
    assert "見込み" in summary and "年+79千人（あと2年）" in summary
