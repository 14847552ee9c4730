"""The one parser for what clerks type (addin.core.values): every legitimate notation of ../shared/DOMAIN.md
becomes a number with its fiscal year and flags; whatever it cannot read is reported with a specific code,
never guessed."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from addin.core import values as V
from addin.core.findings import CATALOGUE
from addin.core.values import fiscal_year, parse_entry

# (raw, unit, kind, value, year) — value and year as read
LEGITIMATE = [
    # figures: commas, full width, decimals, signs
    ("279,072", "千円", V.NUMBER, 279072, None),
    ("２", "件", V.NUMBER, 2, None),
    ("１，２３４", "人", V.NUMBER, 1234, None),
    ("１２３４．５", "人", V.NUMBER, 1234.5, None),
    ("42.2", "%", V.NUMBER, 42.2, None),
    (" 42.2 ", "%", V.NUMBER, 42.2, None),
    ("+5", "人", V.NUMBER, 5, None),
    ("0", "施設", V.NUMBER, 0, None),
    (499, "千人", V.NUMBER, 499, None),
    (66.5, "%", V.NUMBER, 66.5, None),
    ("189※", "ha", V.NUMBER, 189, None),
    # negatives
    ("▲90", "人", V.NUMBER, -90, None),
    ("△1,305", "人", V.NUMBER, -1305, None),
    ("▲ 5", "人", V.NUMBER, -5, None),
    ("-0.35%", "%", V.NUMBER, -0.35, None),
    ("−5", "人", V.NUMBER, -5, None),       # U+2212 minus sign
    ("－5", "人", V.NUMBER, -5, None),       # full-width hyphen-minus
    ("小学校△5.1"[3:], "点", V.NUMBER, -5.1, None),
    # percent signs against a % unit
    ("66.5%", "%", V.NUMBER, 66.5, None),
    ("66.5％", "%", V.NUMBER, 66.5, None),
    ("35 %", "%", V.NUMBER, 35, None),
    ("35パーセント", "%", V.NUMBER, 35, None),
    ("100%(R6)", "%", V.NUMBER, 100, 2024),
    # a year of its own, every spelling; H31 = R1 = fiscal 2019
    ("11(R1)", "%", V.NUMBER, 11, 2019),
    ("8(R1)", "%", V.NUMBER, 8, 2019),
    ("189 (R3)", "ha", V.NUMBER, 189, 2021),
    ("92.5 (H31)", "%", V.NUMBER, 92.5, 2019),
    ("92.5(H31)", "%", V.NUMBER, 92.5, 2019),
    ("222(H29)", "ha", V.NUMBER, 222, 2017),
    ("79 (R4)", "人", V.NUMBER, 79, 2022),
    ("4,293 (R5)", "枚", V.NUMBER, 4293, 2023),
    ("11（令和元年）", "人", V.NUMBER, 11, 2019),
    ("11（令和元年度）", "人", V.NUMBER, 11, 2019),
    ("11(平成31年度)", "人", V.NUMBER, 11, 2019),
    ("11(H31年度)", "人", V.NUMBER, 11, 2019),
    ("11（Ｒ１）", "人", V.NUMBER, 11, 2019),
    ("11(r1)", "人", V.NUMBER, 11, 2019),
    ("11(R元)", "人", V.NUMBER, 11, 2019),
    ("11(2019年度)", "人", V.NUMBER, 11, 2019),
    ("11(2019)", "人", V.NUMBER, 11, 2019),
    ("11 (R1年度末)", "人", V.NUMBER, 11, 2019),
    ("11(R1時点)", "人", V.NUMBER, 11, 2019),
    ("【R1】11", "人", V.NUMBER, 11, 2019),
    ("(R1)11", "人", V.NUMBER, 11, 2019),
    ("92.5 H31", "%", V.NUMBER, 92.5, 2019),
    ("92.5H31", "%", V.NUMBER, 92.5, 2019),
    ("H31 92.5", "%", V.NUMBER, 92.5, 2019),
    ("R1:11", "人", V.NUMBER, 11, 2019),
    ("R1：11", "人", V.NUMBER, 11, 2019),
    ("令和元年度 11", "人", V.NUMBER, 11, 2019),
    ("2019年度 11", "人", V.NUMBER, 11, 2019),
    ("11 2019年度", "人", V.NUMBER, 11, 2019),
    ("11(H32)", "人", V.NUMBER, 11, 2020),  # plans written before 2019 name R2 as H32
    ("11(R1)※", "人", V.NUMBER, 11, 2019),
    # unit multipliers inside the value
    ("24万人", "人", V.NUMBER, 240000, None),
    ("24万人", "万人", V.NUMBER, 24, None),
    ("24万人", "千人", V.NUMBER, 240, None),
    ("24万", "人", V.NUMBER, 240000, None),
    ("24万人(R5)", "人", V.NUMBER, 240000, 2023),
    ("139.8万人", "万人", V.NUMBER, 139.8, None),
    ("2,249億円", "億円", V.NUMBER, 2249, None),
    ("2,249億円", "千円", V.NUMBER, 224900000, None),
    ("1千万円", "円", V.NUMBER, 10000000, None),
    ("1,234千円", "千円", V.NUMBER, 1234, None),
    ("1,234人", "人", V.NUMBER, 1234, None),
    ("4社", "社等", V.NUMBER, 4, None),
    ("11,789m²", "m²", V.NUMBER, 11789, None),
    # missing markers
    (None, "人", V.MISSING, None, None),
    ("", "人", V.MISSING, None, None),
    ("   ", "人", V.MISSING, None, None),
    ("—", "人", V.MISSING, None, None),
    ("－", "人", V.MISSING, None, None),
    ("―", "人", V.MISSING, None, None),
    ("-", "人", V.MISSING, None, None),
    ("--", "人", V.MISSING, None, None),
    ("ー", "人", V.MISSING, None, None),
    ("未実施", "人", V.MISSING, None, None),
    ("未着手", "人", V.MISSING, None, None),
    ("集計中", "人", V.MISSING, None, None),
    ("把握不能", "人", V.MISSING, None, None),
    ("集計中(R4)", "人", V.MISSING, None, 2022),
    ("—（R4）", "人", V.MISSING, None, 2022),
    # targets in words
    ("5年間に50件", "件", V.SUM_OVER, 50, None),
    ("5か年で50件", "件", V.SUM_OVER, 50, None),
    ("21事業以上", "事業", V.AT_LEAST, 21, None),
    ("21以上", "事業", V.AT_LEAST, 21, None),
    ("5件以下", "件", V.AT_MOST, 5, None),
    ("現状維持", "人", V.KEEP, None, None),
    ("維持", "人", V.KEEP, None, None),
    ("実施", "", V.DONE, 1, None),
    ("実施(R3)", "", V.DONE, 1, 2021),
    ("策定済み", "計画", V.DONE, 1, None),
]


@pytest.mark.parametrize("raw,unit,kind,value,year", LEGITIMATE, ids=[repr(c[0]) for c in LEGITIMATE])
def test_legitimate_notation_is_read(raw, unit, kind, value, year):
    e = parse_entry(raw, unit)
    assert (e.kind, e.year, e.problem) == (kind, year, None)
    if value is None:
        assert e.value is None
    else:
        assert e.value == pytest.approx(value)
    assert e.raw == raw  # the entry as typed is kept


@pytest.mark.parametrize("raw,unit,percent_format,value,sign", [
    (0.35, "%", True, 35.0, True),     # Excel stores 35% as 0.35 in a cell shown as %
    (0.707, "%", True, 70.7, True),
    (35, "%", False, 35.0, False),
    ("35%", "%", False, 35.0, True),
    (0.35, "%", False, 0.35, False),   # as typed; the row check decides whether 0.35 meant 35% (percent_fraction)
])
def test_percent_against_the_unit(raw, unit, percent_format, value, sign):
    e = parse_entry(raw, unit, percent_format=percent_format)
    assert e.kind == V.NUMBER and e.value == pytest.approx(value) and e.percent_sign is sign and e.problem is None


@pytest.mark.parametrize("raw", ["未実施", "未着手"])
def test_not_carried_out_markers(raw):
    assert parse_entry(raw, "件").marker in V.NOT_DONE_MARKERS


# (raw, unit, problem, value still computed or None)
DOUBTFUL = [
    ("5件", "人", "unit_mismatch", 5),             # another counter: read as typed, reported
    ("5人", "%", "unit_mismatch", 5),
    ("24万円", "人", "unit_mismatch_error", None),  # a multiplier with another base unit: cannot convert
    ("24人", "万人", "unit_converted", 0.0024),     # smaller unit than the KPI's: converted, reported
    ("240,000人", "万人", "unit_converted", 24),
    ("11%", "件", "percent_not_unit", 11),
]


@pytest.mark.parametrize("raw,unit,problem,value", DOUBTFUL, ids=[c[0] + "/" + c[1] for c in DOUBTFUL])
def test_doubtful_units_are_flagged(raw, unit, problem, value):
    e = parse_entry(raw, unit)
    assert e.problem == problem
    assert (e.value is None) if value is None else e.value == pytest.approx(value)


UNREADABLE = [
    ("abc", "unreadable"),
    ("NaN", "unreadable"),
    ("inf", "unreadable"),
    ("1e5", "unreadable"),
    ("#1", "unreadable"),
    ("R4", "unreadable"),
    ("約120", "approximate_value"),
    ("約 120人", "approximate_value"),
    ("概ね50", "approximate_value"),
    ("120人程度", "approximate_value"),
    ("50件超", "approximate_value"),
    ("平日 0.99 休日 0.97", "compound_value"),
    ("平日0.99休日0.97", "compound_value"),
    ("小学校:平均△5.1 中学校:平均△5.6", "compound_value"),
    ("100～120", "compound_value"),
    ("11 2019", "compound_value"),            # a bare 西暦 needs 年/年度: otherwise two numbers
    ("全国平均に到達", "relative_target"),
    ("県平均以上", "relative_target"),
    ("前年度より増加", "relative_target"),
    ("#DIV/0!", "excel_error"),
    ("#N/A", "excel_error"),
    ("#VALUE!", "excel_error"),
    ("#REF!", "excel_error"),
    ("#NAME?", "excel_error"),
    ("=A1/B1", "formula_no_value"),
    ("9" * 30, "too_large"),
    (1e16, "too_large"),
    (10 ** 400, "too_large"),
    (float("nan"), "unreadable"),
    (float("inf"), "unreadable"),
    (True, "unreadable"),
    (dt.datetime(2022, 4, 1), "date_value"),
    (dt.date(2022, 4, 1), "date_value"),
    (dt.time(12, 0), "date_value"),
    ("x" * 10_000, "unreadable"),
    (object(), "unreadable"),
]


@pytest.mark.parametrize("raw,problem", UNREADABLE, ids=[repr(c[0])[:30] for c in UNREADABLE])
def test_what_cannot_be_read_is_reported_never_guessed(raw, problem):
    e = parse_entry(raw, "人")
    assert e.kind == V.UNREADABLE and e.value is None and e.problem == problem


def test_an_unreadable_entry_keeps_its_year_for_the_message():
    e = parse_entry("約120(R3)", "人")
    assert e.problem == "approximate_value" and e.year == 2021


def test_every_problem_the_parser_sets_is_in_the_catalogue():
    assert V.PROBLEM_CODES <= set(CATALOGUE)


def test_values_are_clean_decimals():
    assert parse_entry(0.35, "%", percent_format=True).value == 35.0
    assert parse_entry(0.1 + 0.2, "人").value == 0.3
    assert math.isfinite(parse_entry(1e-300, "人").value)


@pytest.mark.parametrize("text,year", [
    ("H30", 2018), ("H31", 2019), ("R1", 2019), ("R元", 2019), ("令和元年度", 2019), ("令和元年", 2019),
    ("平成31年度", 2019), ("2019", 2019), ("2019年度", 2019), ("R4", 2022), ("Ｒ４", 2022), ("r4", 2022),
    ("R 4", 2022), ("FY2022", 2022), ("H32", 2020), (2022, 2022), (2022.0, 2022), (" R6 ", 2024),
])
def test_fiscal_year(text, year):
    assert fiscal_year(text) == year


@pytest.mark.parametrize("text", [None, "", "R", "30", 30, 2022.5, float("nan"), "令和", "abc", True,
                                  dt.date(2022, 4, 1), "R4R5", "x" * 1000])
def test_not_a_fiscal_year(text):
    assert fiscal_year(text) is None


def test_h31_and_r1_are_the_same_fiscal_year():
    assert fiscal_year("H31") == fiscal_year("R1") == fiscal_year("令和元年度") == fiscal_year("2019年度") == 2019
    assert parse_entry("92.5(H31)", "%").year == parse_entry("92.5(R1)", "%").year == 2019
