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
    ("現状を維持", "人", V.KEEP, None, None),
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


# --- entries as other municipalities print them (小美玉市, 美郷町; issue 9) -----------------------------------------
# (raw, unit, kind, value, year, period_start, note, per_year, total)
OTHER_CITIES = [
    # a value with a source note: value + year + note, not a compound
    ("30.0歳 (2017年人口動態調査)", "歳", V.NUMBER, 30.0, 2017, None, "2017年人口動態調査", False, False),
    ("28.3歳 (2017年人口動態調査)", "歳", V.NUMBER, 28.3, 2017, None, "2017年人口動態調査", False, False),
    ("46.7% (2019年実施調査)", "%", V.NUMBER, 46.7, 2019, None, "2019年実施調査", False, False),
    ("4,355人（2020年国勢調査人口）", "人", V.NUMBER, 4355, 2020, None, "2020年国勢調査人口", False, False),
    ("61.9%(アンケート調査)", "%", V.NUMBER, 61.9, None, None, "アンケート調査", False, False),
    ("5,004人(住民基本台帳 R4)", "人", V.NUMBER, 5004, 2022, None, "住民基本台帳 R4", False, False),
    ("18,098人 (2017年)", "人", V.NUMBER, 18098, 2017, None, "", False, False),
    # a period note: the period's last year, its first kept
    ("1.51 (平成26~30年期間合計 特殊出生率最大値)", "", V.NUMBER, 1.51, 2018, 2014,
     "平成26~30年期間合計 特殊出生率最大値", False, False),
    ("456(H29~30年度)", "件", V.NUMBER, 456, 2018, 2017, "H29~30年度", False, False),
    ("456件（H29～30年度実績）", "件", V.NUMBER, 456, 2018, 2017, "H29~30年度実績", False, False),  # note NFKC
    ("▲90（R3～R7）", "人", V.NUMBER, -90, 2025, 2021, "R3~R7", False, False),
    # era year with the Western year beside it
    ("3,560人（令和12（2030）年）", "人", V.NUMBER, 3560, 2030, None, "", False, False),
    ("3,560人 令和12（2030）年", "人", V.NUMBER, 3560, 2030, None, "", False, False),
    # words around numbers
    ("5年間で延べ5事例", "事例", V.SUM_OVER, 5, None, None, "", False, True),
    ("延べ5事例", "事例", V.SUM_OVER, 5, None, None, "", False, True),
    ("最低年1回", "回", V.AT_LEAST, 1, None, None, "", True, False),
    ("最低でも年1回", "回", V.AT_LEAST, 1, None, None, "", True, False),
    ("年1回以上", "回", V.AT_LEAST, 1, None, None, "", True, False),
    ("年に1回", "回", V.NUMBER, 1, None, None, "", True, False),
    ("年1回", "回", V.NUMBER, 1, None, None, "", True, False),
    ("年1組", "組", V.NUMBER, 1, None, None, "", True, False),
    ("毎年2回", "回", V.NUMBER, 2, None, None, "", True, False),
    ("計300枚", "枚", V.NUMBER, 300, None, None, "", False, True),
    ("全4校", "校", V.NUMBER, 4, None, None, "", False, True),
    ("1.73を維持", "", V.KEEP, 1.73, None, None, "", False, False),
    ("1.73維持", "", V.KEEP, 1.73, None, None, "", False, False),
    ("50%以上を維持", "%", V.AT_LEAST, 50, None, None, "", False, False),
    # multipliers against the unit column
    ("2,249億円", "百万円", V.NUMBER, 224900, None, None, "", False, False),
    ("2,249億円 (2015年)", "百万円", V.NUMBER, 224900, 2015, None, "", False, False),
    ("12,950", "百万円", V.NUMBER, 12950, None, None, "", False, False),
    ("1.2億円", "千円", V.NUMBER, 120000, None, None, "", False, False),
    ("80.2万人", "人", V.NUMBER, 802000, None, None, "", False, False),
    ("100万人", "千人", V.NUMBER, 1000, None, None, "", False, False),
    ("3百万円", "千円", V.NUMBER, 3000, None, None, "", False, False),
    # negatives, the sign typed kept
    ("-0.35%", "%", V.NUMBER, -0.35, None, None, "", False, False),
    ("▲45", "人", V.NUMBER, -45, None, None, "", False, False),
    ("-266人", "人", V.NUMBER, -266, None, None, "", False, False),
]


@pytest.mark.parametrize("raw,unit,kind,value,year,start,note,per_year,total", OTHER_CITIES,
                         ids=[c[0] for c in OTHER_CITIES])
def test_entries_as_other_municipalities_print_them(raw, unit, kind, value, year, start, note, per_year, total):
    e = parse_entry(raw, unit)
    assert (e.kind, e.year, e.period_start, e.note, e.per_year, e.total, e.problem) == \
        (kind, year, start, note, per_year, total, None)
    assert e.value == pytest.approx(value)
    assert e.raw == raw


@pytest.mark.parametrize("raw,sign", [("-0.35%", "-"), ("▲90", "▲"), ("△1,305", "△"), ("+5", "+"), ("−5", "−"),
                                      ("5", ""), (-0.35, "")])
def test_the_sign_typed_is_kept(raw, sign):
    """A sign typed in front of a figure (a deliberate negative rate such as -0.35%) is kept in Entry.sign, so that
    a range check need not question it."""
    assert parse_entry(raw, "%").sign == sign


# what still cannot be read, with what would be accepted instead
SUGGESTED = [
    ("年1回程度", "回", "approximate_value", ["「1回以上」", "「最低年1回」", "集計中"]),
    ("約300枚", "枚", "approximate_value", ["「300枚」", "「300枚以上」"]),
    ("120人(見込み)", "人", "approximate_value", ["「120人」"]),
    ("平日 0.99 休日 0.97", "", "compound_value", ["「0.99」", "行に分けて"]),
    ("12.9%(市民) 4.9%(高校生) (2019年実施調査)", "%", "compound_value", ["「12.9%」"]),
    ("全国平均に到達", "%", "relative_target", ["比べる先の数値"]),
    ("ブランドブック配布", "冊", "unreadable", ["「300枚」", "「1回以上」", "「最低年1回」"]),
]


@pytest.mark.parametrize("raw,unit,problem,phrases", SUGGESTED, ids=[c[0] for c in SUGGESTED])
def test_unreadable_entries_say_what_would_be_accepted(raw, unit, problem, phrases):
    e = parse_entry(raw, unit)
    assert e.kind == V.UNREADABLE and e.problem == problem and e.value is None
    for phrase in phrases:
        assert phrase in e.suggestion
    # every suggested form is itself read
    for form in [f.split("」")[0] for f in e.suggestion.split("「")[1:]]:
        if form not in ("集計中",):
            assert parse_entry(form, unit).kind != V.UNREADABLE, form


def test_a_compound_keeps_its_note_year_but_is_not_guessed():
    e = parse_entry("12.9%(市民) 4.9%(高校生) (2019年実施調査)", "%")
    assert e.year == 2019 and e.value is None


@pytest.mark.parametrize("raw", ["100～120", "100〜120", "約120(R3)", "50件超(R4)", "120人(推計)"])
def test_notes_do_not_hide_ranges_or_estimates(raw):
    assert parse_entry(raw, "人").kind == V.UNREADABLE


@pytest.mark.parametrize("text,span", [
    ("R3～R7", (2021, 2025)), ("R3~R7", (2021, 2025)), ("H29~30年度", (2017, 2018)), ("H28～R2", (2016, 2020)),
    ("平成26~30年", (2014, 2018)), ("2021～2025年度", (2021, 2025)), ("2021~25", (2021, 2025)),
    ("R8～R12", (2026, 2030)), ("R4", (2022, 2022)), ("令和12（2030）年", (2030, 2030)), ("2026 (R8)", (2026, 2026)),
    ("2030（令和12）年度", (2030, 2030)),
])
def test_fiscal_span_reads_years_and_periods(text, span):
    assert V.fiscal_span(text) == span


@pytest.mark.parametrize("text", ["R7～R3", "令和12（2031）年", "100～120", "abc", None, "R3～"])
def test_not_a_fiscal_span(text):
    assert V.fiscal_span(text) is None


@pytest.mark.parametrize("header,actual,target", [
    ("実績値 R2", 2020, None), ("R2/実績値", 2020, None), ("実績値 R2", 2020, None), ("令和2年度", 2020, None),
    ("R2実績", 2020, None), ("実績値(R4)", 2022, None), ("実績 2021", 2021, None), ("2026 (R8)", 2026, None),
    ("2026（R8）実績値", 2026, None), ("令和12（2030）年度", 2030, None),
    ("目標値 R8", None, 2026), ("2026 (R8) 目標", None, 2026), ("R8/目標値", None, 2026), ("目標値(R5)", None, 2023),
    ("R4目標", None, 2022),
    ("（上段）目標値（下段）実績値", None, None), ("基準年度", None, None), ("KPI名", None, None), ("実績の集計", None, None),
    (":", None, None), ("()", None, None), ("(", None, None), ("【】", None, None), ("実績値", None, None), ("", None, None),
    ("/実績値/", None, None), ("目標値()", None, None),
])
def test_yearly_column_headers_as_printed(header, actual, target):
    from addin.core import layout
    assert (layout.actual_year_of_header(header), layout.target_year_of_header(header)) == (actual, target)
