"""No content of any cell makes the tool crash (issue 3): random text, huge numbers, NaN/inf, dates, Excel errors,
formulas, rich text, 10,000-character strings.  Property-based: hypothesis drives ``parse_entry`` directly and
the whole ``kpi validate`` (and ``kpi recalc``) on generated workbooks.  The command line answers 0 or 1, never
2 and never a traceback, for such workbooks.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from addin.core import layout
from addin.core import values as V
from addin.core.findings import CATALOGUE
from addin.core.values import fiscal_year, parse_entry
from conftest import SAMPLE

KINDS = {V.NUMBER, V.MISSING, V.AT_LEAST, V.AT_MOST, V.KEEP, V.SUM_OVER, V.DONE, V.UNREADABLE}

# characters an .xlsx cannot hold (openpyxl refuses them), so no workbook can contain them
_XML_ILLEGAL = [chr(i) for i in range(32) if i not in (9, 10, 13)]
cell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=_XML_ILLEGAL), max_size=40)

NOTATIONS = [
    "NaN", "nan", "inf", "-inf", "Infinity", "1e308", "1e-300", "-0", "0.0", "#DIV/0!", "#N/A", "#VALUE!", "#REF!",
    "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#", "—", "－", "―", "-", "▲", "△", "▲▲5", "約120", "12(R9)", "１，２３４",
    "▲5", "(R1)", "R1", "H31", "令和元年", "11（令和元年）", "92.5 H31", "2019年度 11", "100%(R6)", "24万人", "2,249億円",
    "5年間に50件", "21事業以上", "現状維持", "実施", "未実施", "集計中", "把握不能", "全国平均に到達", "平日 0.99 休日 0.97",
    "小学校:平均△5.1 中学校:平均△5.6", "0.35", "35%", "%", "万", "億億", "以上", "年間に", "9" * 400, "1," * 50,
    "x" * 10_000, "あ" * 10_000, "=1/0", "=NA()", "=A1+B1", "=SUM(", "'=1", "+", "@", " ", "", "\t", "\n",
    "R99", "H0", "S64", "FY", "増加", "減少", "比率", "差分", "○", "目標達成", "1-1-1-01",
]

numbers = st.one_of(
    st.integers(min_value=-10 ** 20, max_value=10 ** 20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 1e-7, 1e-300, 5e-324, 1e15, 1e16, 1.7976931348623157e308, 0.1 + 0.2]),
)
dates = st.one_of(st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
                  st.dates(min_value=dt.date(1900, 3, 1)), st.times())
raw_values = st.one_of(st.none(), st.booleans(), numbers, dates, cell_text, st.sampled_from(NOTATIONS),
                       st.builds(lambda a, b: f"{a}{b}", st.sampled_from(NOTATIONS), cell_text))


# --- the parser ----------------------------------------------------------------------------------------------

units = st.one_of(st.sampled_from(["", "人", "千人", "万人", "%", "千円", "億円", "件", "社等", "m²", "ha", "▲%", "万"]),
                  cell_text, st.none())


@settings(max_examples=400, deadline=None)
@given(raw=st.one_of(raw_values, st.floats(), st.integers(), st.text(max_size=300)), unit=units,
       percent_format=st.booleans())
@example(raw=float("nan"), unit="%", percent_format=True)
@example(raw=float("inf"), unit="人", percent_format=False)
@example(raw=10 ** 400, unit="人", percent_format=False)
@example(raw="x" * 10_000, unit="人", percent_format=False)
@example(raw=dt.timedelta(days=3), unit="人", percent_format=False)
def test_parse_entry_never_raises_and_always_answers_sensibly(raw, unit, percent_format):
    e = parse_entry(raw, unit, percent_format=percent_format)
    assert e.kind in KINDS and e.raw is raw
    if e.value is not None:
        assert isinstance(e.value, float) and math.isfinite(e.value) and abs(e.value) <= 1e15 * 1e12
    if e.kind == V.UNREADABLE:
        assert e.value is None and e.problem in V.PROBLEM_CODES
    if e.problem is not None:
        assert e.problem in V.PROBLEM_CODES and e.problem in CATALOGUE
    if e.year is not None:
        assert 1900 <= e.year <= 2200


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(raw_values, st.text(max_size=60)))
def test_fiscal_year_never_raises(text):
    y = fiscal_year(text)
    assert y is None or 1900 <= y <= 2200


@settings(max_examples=200, deadline=None)
@given(value=st.decimals(min_value=-10 ** 12, max_value=10 ** 12, places=3, allow_nan=False),
       sign=st.sampled_from(["", "▲", "△", "-", "−"]), commas=st.booleans(), wide=st.booleans())
def test_every_written_figure_reads_back_as_its_value(value, sign, commas, wide):
    """Round trip: a figure as clerks write it (sign, thousands separators, full width) reads back exactly."""
    text = f"{abs(value):,}" if commas else f"{abs(value)}"
    if wide:
        text = text.translate(str.maketrans("0123456789,.", "０１２３４５６７８９，．"))
    e = parse_entry(sign + text, "人")
    expected = float(abs(value)) * (-1 if sign else 1)
    assert e.kind == V.NUMBER and e.problem is None and e.value == pytest.approx(expected, rel=1e-12, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=0, max_value=10 ** 9), era=st.sampled_from(["R", "H", "令和", "平成"]),
       y=st.integers(min_value=1, max_value=31), form=st.sampled_from(["{n}({e}{y})", "{n} ({e}{y}年度)",
                                                                       "{n}（{e}{y}年）", "{e}{y} {n}", "{n} {e}{y}"]))
def test_year_annotation_in_any_spelling(n, era, y, form):
    e = parse_entry(form.format(n=n, e=era, y=y), "人")
    base = 2018 if era in ("R", "令和") else 1988
    assert e.kind == V.NUMBER and e.value == n and e.year == base + y


# --- the whole command line on generated workbooks ------------------------------------------------------------

def _input_cells() -> list[str]:
    """Input cells (not the computed columns) of a few KPI rows of the sample, plus a blank row below."""
    wb = load_workbook(SAMPLE, read_only=True)
    ws = wb[layout.SHEET_KPI]
    header = [c.value for c in next(ws.iter_rows(min_row=layout.HEADER_ROW, max_row=layout.HEADER_ROW))]
    cols = [i for i, h in enumerate(header, start=1)
            if h and not ((col := layout.column_for_header(h)) is not None and col.computed)]
    wb.close()
    from addin.core.model import a1
    rows = [5, 6, 9, 22, 64, 67, 82, 83]   # plain, ratio, stale, difference, zero target, down, last KPI, empty
    return [a1(r, c) for r in rows for c in cols]


INPUT_CELLS = _input_cells()
HEADER_CELLS = [f"{c}{layout.HEADER_ROW}" for c in "ABHIJNQ"]


def _as_cell_value(v):
    if isinstance(v, str) and v.startswith("RICH:"):
        return CellRichText([TextBlock(InlineFont(b=True, color="FF0000"), v[5:8]), v[8:] or "1"])
    return v


rich = st.builds(lambda s: "RICH:" + s, st.sampled_from(["12(R1)", "▲5", "abc", "1,234", "約120"]))
edits = st.dictionaries(st.sampled_from(INPUT_CELLS), st.one_of(raw_values, rich), min_size=1, max_size=14)


def _write(path: Path, changes: dict, header_changes: dict | None = None, settings_changes: dict | None = None):
    wb = load_workbook(SAMPLE, rich_text=True)
    ws = wb[layout.SHEET_KPI]
    for ref, v in {**changes, **(header_changes or {})}.items():
        try:
            ws[ref] = _as_cell_value(v)
        except (ValueError, TypeError):  # openpyxl refuses it: no workbook can hold such a cell
            assume(False)
    for ref, v in (settings_changes or {}).items():
        try:
            wb[layout.SHEET_SETTINGS][ref] = _as_cell_value(v)
        except (ValueError, TypeError):
            assume(False)
    try:
        wb.save(path)
    except (ValueError, TypeError, OverflowError):
        assume(False)


def _check_cli(run, *args, refusal_ok=False):
    res = run(*args)
    if refusal_ok and res.exit_code == 2:
        # recalc's read-back check refuses to save what openpyxl would not write back exactly (e.g. 1.8e308):
        # a deliberate refusal in Japanese with the file untouched, not a crash
        assert res.stderr.startswith("エラー: 保存の確認で") and "元のファイルは変更していません" in res.stderr, res.stderr
        return res
    assert res.exit_code in (0, 1), res.stderr
    assert "Traceback" not in res.output + res.stderr
    assert "予期しない" not in res.stderr, res.stderr
    return res


# whole-workbook runs take a second each: modest counts, and no shrinking (a failure prints its workbook edits)
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
ROBUST = settings(max_examples=30, deadline=None, phases=NO_SHRINK, suppress_health_check=SLOW_OK)


@ROBUST
@given(changes=edits)
def test_validate_never_crashes_on_any_cell_content(run, changes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "generated.xlsx"
        _write(path, changes)
        before = path.read_bytes()
        res = _check_cli(run, "validate", path, "--json")
        report = json.loads(res.output)
        assert report["valid"] == (res.exit_code == 0)
        for f in report["findings"]:
            template = CATALOGUE[f["code"]].template
            assert f["message"] and (f["message"] != template or "{" not in template)  # formatted
        _check_cli(run, "validate", path)
        _check_cli(run, "evaluate", path, "--json")
        assert path.read_bytes() == before


@settings(max_examples=12, deadline=None, phases=NO_SHRINK, suppress_health_check=SLOW_OK)
@given(changes=edits)
def test_recalc_never_crashes_on_any_cell_content(run, changes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "generated.xlsx"
        _write(path, changes)
        before = path.read_bytes()
        if _check_cli(run, "recalc", path, refusal_ok=True).exit_code == 2:
            assert path.read_bytes() == before
            return
        _check_cli(run, "recalc", path)       # and again on its own output
        wb = load_workbook(path)
        assert layout.SHEET_FINDINGS in wb.sheetnames


@settings(max_examples=15, deadline=None, phases=NO_SHRINK, suppress_health_check=SLOW_OK)
@given(header=st.dictionaries(st.sampled_from(HEADER_CELLS), raw_values, max_size=3),
       setting=st.dictionaries(st.sampled_from([f"B{r}" for r in range(4, 13)]), raw_values, max_size=3))
def test_validate_never_crashes_on_odd_headers_or_settings(run, header, setting):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "generated.xlsx"
        _write(path, {}, header, setting)
        res = run("validate", path, "--json")
        # a settings sheet naming an unknown status scheme is a configuration the tool refuses (exit 2, in
        # Japanese); anything else in a cell is a finding
        assert res.exit_code in (0, 1, 2) and "Traceback" not in res.output + res.stderr
        assert "予期しない" not in res.stderr, res.stderr
        if res.exit_code == 2:
            assert res.stderr.startswith("エラー: ") and "評価方式" in res.stderr or "閾値" in res.stderr


@pytest.mark.parametrize("value", [
    "x" * 10_000, float("nan"), float("inf"), 10 ** 30, -10 ** 30, 1e-7, "#DIV/0!", "=1/0", "=NA()",
    dt.datetime(2022, 4, 1), dt.time(9, 30), True, "▲", "(R1)", "\u3000", "12(R9)", "abc", "約120",
])
def test_each_hostile_value_in_every_kind_of_input_cell(run, tmp_path, value):
    """One hostile value in the baseline, an actual, the target, a year and a coded column of one KPI."""
    from addin.core.model import a1
    wb = load_workbook(SAMPLE)
    ws = wb[layout.SHEET_KPI]
    header = [c.value for c in ws[layout.HEADER_ROW]]
    for i, h in enumerate(("基準値", "実績値 R4", "目標値", "目標年度", "方向", "KPI番号", "単位"), start=0):
        ws[a1(5 + i, header.index(h) + 1)] = value
    path = tmp_path / "hostile.xlsx"
    wb.save(path)
    before = path.read_bytes()
    _check_cli(run, "validate", path, "--json")
    assert path.read_bytes() == before
    _check_cli(run, "recalc", path, refusal_ok=True)
