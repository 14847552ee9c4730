"""Validation a clerk can act on (issue 3), driven through the ``kpi`` command line.

Acceptance:
- on the Mine sample the validator reports what is in the data and nothing else;
- one R4 actual replaced by abc / １，２３４ / ▲5 / 約120 / 12(R9) gives exactly the expected finding at the
  right A1 cell, the other 77 KPIs are still computed, and ``kpi validate`` never writes the file;
- after a fix and a new ``kpi recalc`` the highlight and the 検証結果 entry for that cell are gone, and the
  clerk's own formatting of the cell was never touched.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill

from addin.core import layout
from addin.core.findings import CATALOGUE, ERROR, INFO, WARNING
from addin.core.model import a1
from conftest import SAMPLE

ROOT = Path(__file__).resolve().parents[1]


# --- helpers -------------------------------------------------------------------------------------------------

def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Sheet:
    """Where things are on the sample's KPI sheet, found by header text (as the tool itself does)."""

    def __init__(self, path):
        wb = load_workbook(path)
        ws = wb[layout.SHEET_KPI]
        self.header_row = layout.HEADER_ROW
        self.cols = {v: c for c, v in enumerate(next(ws.iter_rows(min_row=self.header_row, max_row=self.header_row,
                                                                 values_only=True)), start=1) if v}
        self.rows = {}
        name_col = self.cols["KPI名"]
        for r in range(self.header_row + 1, ws.max_row + 1):
            name = ws.cell(r, name_col).value
            if name:
                self.rows.setdefault(name, r)

    def cell(self, kpi: str, header: str) -> str:
        return a1(self.rows[kpi], self.cols[header])

    def row_of(self, prefix: str) -> int:
        return next(r for n, r in self.rows.items() if n.startswith(prefix))


@pytest.fixture(scope="module")
def sheet():
    return Sheet(SAMPLE)


def set_cells(path, values: dict[str, object], sheet_name=layout.SHEET_KPI):
    wb = load_workbook(path)
    ws = wb[sheet_name]
    for ref, v in values.items():
        ws[ref] = v
    wb.save(path)


def findings(result):
    return result.json()["findings"]


def where(fs, severities=(ERROR, WARNING, INFO)) -> set[tuple[str, str]]:
    return {(f["code"], f["cell"]) for f in fs if f["severity"] in severities}


# --- acceptance: the Mine sample ------------------------------------------------------------------------------

R4 = "実績値 R4"


@pytest.fixture(scope="module")
def mine_expected(sheet):
    """What is in the real data (../shared/DOMAIN.md "Traps"), at its A1 cell."""
    stale = {sheet.cell("観光地キャッシュレス導入店舗割合", R4): "11(R1)",
             sheet.cell("キャッシュレス決済導入店舗割合", R4): "8(R1)",
             sheet.cell("人工林の間伐面積", R4): "189 (R3)"}
    return {
        "stale": stale,
        "zero_target": sheet.cell("複合化施設数", "目標値"),
        "published": a1(sheet.row_of("認定新規就農者数"), sheet.cols["公表済進捗率"]),
        # increase KPIs whose plan set a target a little below the baseline (放課後子ども教室 5,004 → 5,000 and
        # two more): the clerk stated 増加, so a note (情報), never a warning, and the status is unchanged
        "below_baseline_notes": {sheet.cell(n, "目標値") for n in (
            "放課後子ども教室延べ事業参加人数", "地域子育て支援拠点延べ利用児童数", "認知症サポーター養成講座受講者数(年間)")},
    }


def test_mine_sample_reports_exactly_what_is_in_the_data(run, mine_expected):
    res = run("validate", SAMPLE, "--json")
    assert res.exit_code == 0, res.stderr          # warnings only: nothing stops the computation
    fs = findings(res)
    stale = {(f["cell"], f["entry"]) for f in fs if f["code"] == "stale_actual"}
    assert stale == set(mine_expected["stale"].items())
    # errors and warnings: the three stale actuals, the undefined progress of 複合化施設数 and the 223.3%
    # publication typo — nothing else
    assert where(fs, (ERROR, WARNING)) == (
        {("stale_actual", c) for c in mine_expected["stale"]}
        | {("zero_target", mine_expected["zero_target"]), ("published_mismatch", mine_expected["published"])})
    assert where(fs, (INFO,)) == {("target_below_baseline", c) for c in mine_expected["below_baseline_notes"]}
    zero = next(f for f in fs if f["code"] == "zero_target")
    assert zero["kpi"] == "複合化施設数" and "算定できません" in zero["message"]
    pub = next(f for f in fs if f["code"] == "published_mismatch")
    assert "223.3%" in pub["message"] and "233.3%" in pub["message"]


def test_mine_sample_text_output_names_each_cell(run, mine_expected):
    res = run("validate", SAMPLE)
    assert res.exit_code == 0
    for cell, entry in mine_expected["stale"].items():
        assert re.search(rf"KPI!{cell} .*「{re.escape(entry)}」.*R4（2022年度）", res.output)
    assert "Traceback" not in res.output + res.stderr


def test_the_sample_file_is_unchanged_by_validate(run):
    before = sha256(SAMPLE)
    assert run("validate", SAMPLE).exit_code == 0
    assert run("validate", SAMPLE, "--json").exit_code == 0
    assert sha256(SAMPLE) == before


# --- acceptance: one R4 actual replaced ------------------------------------------------------------------------

KPI = "三洞入洞者数"   # unit 千人, baseline 499, R4 actual 382, target 540

REPLACEMENTS = [
    # entry, expected findings at that cell (code, severity), exit code, progress of the KPI
    ("abc", {("unreadable", ERROR)}, 1, None),
    ("１，２３４", set(), 0, 1234 / 540),
    ("▲5", set(), 0, -5 / 540),
    ("約120", {("approximate_value", ERROR)}, 1, None),
    ("12(R9)", {("future_year", ERROR)}, 1, None),
]


@pytest.fixture(scope="module")
def original_evaluation():
    from addin.api import evaluate_file
    return {r.kpi.row: r for r in evaluate_file(SAMPLE).results}


@pytest.mark.parametrize("entry,expected,exit_code,progress", REPLACEMENTS, ids=[r[0] for r in REPLACEMENTS])
def test_one_replaced_actual_gives_exactly_the_expected_finding(run, sample_copy, sheet, mine_expected,
                                                                original_evaluation, entry, expected, exit_code,
                                                                progress):
    cell = sheet.cell(KPI, R4)
    row = sheet.rows[KPI]
    # the published 70.7% belongs to the original actual; it is cleared so that only the entry speaks
    set_cells(sample_copy, {cell: entry, a1(row, sheet.cols["公表済進捗率"]): None})
    before = sha256(sample_copy)

    res = run("validate", sample_copy, "--json")
    assert res.exit_code == exit_code, res.output + res.stderr
    assert sha256(sample_copy) == before               # validate is read-only, byte for byte
    fs = findings(res)
    at_cell = {(f["code"], f["severity"]) for f in fs if f["cell"] == cell}
    assert at_cell == expected
    for f in fs:
        if f["cell"] == cell:
            assert f["entry"] == entry and f["kpi"] == KPI and f["sheet"] == layout.SHEET_KPI
            assert entry in f["message"]
    # nothing else changed: the sample's own findings and nothing new on this row
    others = {(c, w) for c, w in where(fs) if w != cell}
    assert others == where(findings(run("validate", SAMPLE, "--json")))

    ev = run("evaluate", sample_copy, "--json")
    assert ev.exit_code == exit_code
    kpis = {k["row"]: k for k in ev.json()["kpis"]}
    assert len(kpis) == 78
    for r, orig in original_evaluation.items():
        if r == row:
            continue
        assert kpis[r]["progress"] == orig.progress and kpis[r]["status"] == orig.status, kpis[r]["name"]
    if progress is None:
        assert kpis[row]["progress"] is None and kpis[row]["reason"]
    else:
        assert kpis[row]["progress"] == pytest.approx(progress)
        assert kpis[row]["status"] == ("目標達成" if progress >= 1 else "未達成↓")


# --- recalc: highlight and 検証結果 follow the entry; the clerk's formatting is never touched --------------------

def highlighted(ws, ref: str) -> str | None:
    """The severity our conditional-formatting rules give cell ``ref`` (None when not highlighted).

    Mirrors what Excel evaluates: the tool's rules (marked ``kpi-addin-check``) apply to a range and test whether
    the row's 検証 cell lists the address under エラー or 警告 (addin.ops.highlight_rules / check_text).
    """
    from openpyxl.utils.cell import coordinate_from_string
    from addin.book.files import HIGHLIGHT_MARK
    col_letter, row = coordinate_from_string(ref)
    ours = [(str(rng.sqref), rule) for rng in ws.conditional_formatting for rule in rng.rules
            if any(HIGHLIGHT_MARK in (f or "") for f in rule.formula or [])]
    covered = [rule for sq, rule in ours if any(_in_range(ref, part) for part in sq.split())]
    if not covered:
        return None
    header = [c.value for c in ws[layout.HEADER_ROW]]
    check = ws.cell(row, header.index("検証") + 1).value or ""
    parts = dict(p.split(":", 1) for p in check.split(" ／ ") if ":" in p)
    for sev in (ERROR, WARNING):
        if ref in parts.get(sev.label, "").split():
            return sev
    return None


def _in_range(ref, rng) -> bool:
    from openpyxl.utils.cell import range_boundaries
    c1, r1, c2, r2 = range_boundaries(rng)
    c, r = range_boundaries(ref)[:2]
    return c1 <= c <= c2 and r1 <= r <= r2


def findings_sheet_cells(wb) -> dict[str, tuple]:
    ws = wb[layout.SHEET_FINDINGS]
    out = {}
    for row in ws.iter_rows(min_row=1):
        values = [c.value for c in row]
        if len(values) >= 7 and values[6] in CATALOGUE:
            out.setdefault(values[2], []).append((values[6], row[2].hyperlink.location if row[2].hyperlink
                                                  and row[2].hyperlink.location else
                                                  (row[2].hyperlink.target if row[2].hyperlink else None)))
    return out


def test_highlight_and_findings_entry_follow_the_fix_and_leave_the_clerks_format(run, sample_copy, sheet):
    cell = sheet.cell(KPI, R4)
    wb = load_workbook(sample_copy)
    ws = wb[layout.SHEET_KPI]
    ws[cell].fill = PatternFill("solid", start_color="FF00B050", end_color="FF00B050")
    ws[cell].font = Font(name="MS Gothic", bold=True, italic=True, color="FF7030A0")
    ws[cell].number_format = "#,##0.0"
    ws[cell] = "abc"
    wb.save(sample_copy)

    def own_format(ws):
        c = ws[cell]
        return (c.fill.fgColor.rgb, c.fill.fill_type, c.font.name, c.font.b, c.font.i, c.font.color.rgb,
                c.number_format)

    clerk = own_format(load_workbook(sample_copy)[layout.SHEET_KPI])

    res = run("recalc", sample_copy)
    assert res.exit_code == 1, res.output + res.stderr
    wb = load_workbook(sample_copy)
    ws = wb[layout.SHEET_KPI]
    assert ws[cell].value == "abc"                 # the entry is never changed
    assert own_format(ws) == clerk                 # nor the clerk's own formatting
    assert highlighted(ws, cell) == ERROR          # the tool's conditional-formatting rule highlights it
    listed = findings_sheet_cells(wb)
    assert [code for code, _ in listed[cell]] == ["unreadable"]
    assert all(cell in (link or "") for _, link in listed[cell])   # a link to the cell
    # the sample's stale actuals stay highlighted as warnings
    assert highlighted(ws, sheet.cell("人工林の間伐面積", R4)) == WARNING

    set_cells(sample_copy, {cell: 400})
    res = run("recalc", sample_copy)
    assert res.exit_code == 0, res.output + res.stderr
    wb = load_workbook(sample_copy)
    ws = wb[layout.SHEET_KPI]
    assert ws[cell].value == 400
    assert own_format(ws) == clerk
    assert highlighted(ws, cell) is None           # highlight gone with the error
    assert cell not in findings_sheet_cells(wb)    # and so is its 検証結果 entry
    assert highlighted(ws, sheet.cell("人工林の間伐面積", R4)) == WARNING
    assert run("validate", sample_copy).exit_code == 0


def test_findings_sheet_lists_every_finding_with_a_link(run, sample_copy):
    run("recalc", sample_copy)
    expected = {(f["code"], f["cell"]) for f in findings(run("validate", sample_copy, "--json"))}
    wb = load_workbook(sample_copy)
    listed = {(code, c) for c, items in findings_sheet_cells(wb).items() for code, _ in items}
    assert listed == expected
    for c, items in findings_sheet_cells(wb).items():
        for _, link in items:
            assert link and link.endswith(c)


# --- row and sheet checks ----------------------------------------------------------------------------------------

def _row_cells(sheet, kpi):
    row = sheet.rows[kpi]
    return row, (lambda header: a1(row, sheet.cols[header]))


CHECKS = [
    # id, KPI, {header: new value}, expected (code, header whose cell is reported, severity)
    ("missing target", KPI, {"目標値": None}, ("missing_target", "目標値", ERROR)),
    ("missing baseline", KPI, {"基準値": None}, ("missing_baseline", "基準値", WARNING)),
    ("no goal", KPI, {"重点戦略": None}, ("missing_goal", "重点戦略", ERROR)),
    ("future actual", KPI, {R4: "400(R5)"}, ("future_year", R4, ERROR)),
    ("actual from an older column", KPI, {R4: None, "実績値 R3": 380}, ("stale_actual", "実績値 R3", WARNING)),
    ("target year before baseline year", KPI, {"目標年度": "H6"}, ("year_order", "目標年度", WARNING)),
    ("baseline year after evaluation year", KPI, {"基準年度": "R5"}, ("year_order", "基準年度", WARNING)),
    ("unreadable year", KPI, {"目標年度": "来年"}, ("bad_year", "目標年度", ERROR)),
    ("unit mismatch", KPI, {R4: "382件"}, ("unit_mismatch_error", R4, ERROR)),
    ("smaller unit typed", KPI, {R4: "382人"}, ("unit_converted", R4, WARNING)),
    ("multiplier converted", KPI, {R4: "38.2万人"}, None),
    ("percent outside 0-100", "秋吉台地域公衆トイレの洋式化率", {R4: 166.5}, ("percent_range", R4, WARNING)),
    ("0.35 for 35%", "秋吉台地域公衆トイレの洋式化率", {R4: 0.665}, ("percent_fraction", R4, WARNING)),
    ("% on a non-% KPI", KPI, {R4: "38%"}, ("percent_not_unit", R4, WARNING)),
    ("target equal to baseline, difference", "食・土産物開発支援を受けて商品を開発した事業者数(累計)※", {"目標値": 9},
     ("target_equals_baseline", "目標値", WARNING)),
    ("lower is better, target above baseline", KPI, {"方向": "減少"}, ("direction_conflict", "方向", WARNING)),
    ("direction unstated, target below baseline", "放課後子ども教室延べ事業参加人数", {"方向": None},
     ("direction_needed", "方向", ERROR)),
    ("direction unstated, target above baseline", KPI, {"方向": None}, ("direction_inferred", "方向", INFO)),
    ("以上 target, direction 減少", KPI, {"方向": "減少", "目標値": "540以上"}, ("direction_kind_conflict", "方向", WARNING)),
    ("lower is better with the ratio", "がん検診受診率", {"方向": "減少", "目標値": 9.5},
     ("formula_replaced", "算定式", WARNING)),
    ("lower is better, formula blank", "がん検診受診率", {"方向": "減少", "目標値": 9.5, "算定式": None},
     ("formula_inferred", "算定式", INFO)),
    ("difference, target on the worse side", "定住促進事業利用世帯人数(累計)※", {"目標値": 100},
     ("target_wrong_side", "目標値", WARNING)),
    ("period target, latest stated", KPI, {"目標値": "5年間に2,000千人", "実績の集計": "最新年度"},
     ("aggregation_conflict", "実績の集計", WARNING)),
    ("unknown direction", KPI, {"方向": "上昇"}, ("unknown_code", "方向", ERROR)),
    ("unknown formula", KPI, {"算定式": "割合"}, ("unknown_code", "算定式", ERROR)),
    ("unknown cumulative", KPI, {"累計": "はいはい"}, ("unknown_code", "累計", ERROR)),
    ("unknown aggregation", KPI, {"実績の集計": "平均"}, ("unknown_code", "実績の集計", ERROR)),
    ("unknown kind", KPI, {"種別": "数量"}, ("unknown_code", "種別", ERROR)),
    ("target in words", KPI, {"目標値": "全国平均に到達"}, ("relative_target", "目標値", ERROR)),
    ("compound actual", KPI, {R4: "平日 0.99 休日 0.97"}, ("compound_value", R4, ERROR)),
    ("Excel error", KPI, {R4: "#DIV/0!"}, ("excel_error", R4, ERROR)),
    ("date typed", KPI, {R4: dt.datetime(2022, 4, 1)}, ("date_value", R4, ERROR)),
    ("marker", KPI, {R4: "集計中"}, ("actual_marker", R4, INFO)),
    ("legitimate year annotation", KPI, {R4: "382(R4)"}, None),
    ("legitimate full-width", KPI, {R4: "３８２"}, None),
]


@pytest.mark.parametrize("kpi,changes,expected", [c[1:] for c in CHECKS], ids=[c[0] for c in CHECKS])
def test_row_checks(run, sample_copy, sheet, kpi, changes, expected):
    row, at = _row_cells(sheet, kpi)
    published = a1(row, sheet.cols["公表済進捗率"])
    set_cells(sample_copy, {**{at(h): v for h, v in changes.items()}, published: None})
    baseline = where(findings(run("validate", SAMPLE, "--json")))
    res = run("validate", sample_copy, "--json")
    assert res.exit_code in (0, 1) and not res.stderr
    fs = findings(res)
    new = {(f["code"], f["cell"], f["severity"]) for f in fs if (f["code"], f["cell"]) not in baseline}
    new_on_row = {x for x in new if re.fullmatch(rf"[A-Z]+{row}", x[1])}
    assert new == new_on_row, "a change in one row only reports on that row"
    if expected is None:
        assert new == set()
    else:
        code, header, severity = expected
        assert (code, at(header), severity) in new
        assert res.exit_code == (1 if any(s == ERROR for *_, s in new) or severity == ERROR else 0)
    for f in fs:
        assert f["message"] and "{" not in f["message"]


def test_duplicate_ids_and_names_within_a_measure(run, sample_copy, sheet):
    first, second = "三洞入洞者数", "道の駅の商品販売額"   # both in 具体的施策 1-1-1
    r1, r2 = sheet.rows[first], sheet.rows[second]
    set_cells(sample_copy, {a1(r2, sheet.cols["KPI番号"]): "1-1-1-01", a1(r2, sheet.cols["KPI名"]): first})
    fs = findings(run("validate", sample_copy, "--json"))
    dup = {(f["code"], f["cell"]) for f in fs if f["code"].startswith("duplicate")}
    assert dup == {("duplicate_id", a1(r2, sheet.cols["KPI番号"])), ("duplicate_name", a1(r2, sheet.cols["KPI名"]))}
    msg = next(f["message"] for f in fs if f["code"] == "duplicate_id")
    assert a1(r1, sheet.cols["KPI番号"]) in msg


def test_row_without_a_name(run, sample_copy, sheet):
    row = sheet.rows[KPI]
    set_cells(sample_copy, {a1(row, sheet.cols["KPI名"]): None})
    res = run("validate", sample_copy, "--json")
    assert res.exit_code == 1
    assert ("missing_name", a1(row, sheet.cols["KPI名"])) in where(findings(res))


def test_json_findings_carry_everything_a_clerk_and_a_machine_need(run, sample_copy, sheet):
    set_cells(sample_copy, {sheet.cell(KPI, R4): "abc"})
    report = run("validate", sample_copy, "--json").json()
    assert report["valid"] is False and report["counts"][ERROR] == 1
    for f in report["findings"]:
        assert set(f) >= {"code", "severity", "title", "sheet", "cell", "kpi", "entry", "message"}
        assert f["code"] in CATALOGUE and f["severity"] == CATALOGUE[f["code"]].severity
        assert re.fullmatch(r"[A-Z]{1,3}[1-9]\d*", f["cell"])
        assert re.search(r"[ぁ-んァ-ン一-龥]", f["message"])


# --- the catalogue -----------------------------------------------------------------------------------------------

_CODE_PATTERNS = [
    r"Finding\(\s*\"(\w+)\"",               # Finding("code", ...)
    r"\bF\(\s*\"(\w+)\"",                   # F("code", ...) inside evaluate_one
    r"\bcode\s*=\s*\"(\w+)\"",              # code = "approximate_value"
    r"_unreadable\([^,()]+,\s*\"(\w+)\"",   # the parser's problems
    r"return [^\n]*?\"(unit_\w+|percent_\w+)\"",
    r"problem, detail = \"(\w+)\"",
]


def codes_used_in_source() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for path in sorted((ROOT / "addin").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in _CODE_PATTERNS:
            for code in re.findall(pattern, text):
                used.setdefault(code, []).append(str(path.relative_to(ROOT)))
    return used


def test_every_code_used_in_addin_is_in_the_catalogue():
    from addin.core.values import PROBLEM_CODES
    used = codes_used_in_source()
    assert len(used) >= 25, "the scan finds the codes"
    assert {c: where for c, where in used.items() if c not in CATALOGUE} == {}
    assert PROBLEM_CODES <= set(CATALOGUE)


def test_catalogue_entries_are_complete():
    for code, t in CATALOGUE.items():
        assert t.code == code and re.fullmatch(r"[a-z_]+", code)
        assert t.severity in (ERROR, WARNING, INFO)
        assert t.title and re.search(r"[ぁ-んァ-ン一-龥]", t.title)
        assert re.search(r"[ぁ-んァ-ン一-龥]", t.template)


def _battery(tmp_path, sheet):
    """Workbooks that between them produce every finding the validator knows, read as recalc reads them."""
    from openpyxl.worksheet.formula import ArrayFormula  # noqa: F401  (openpyxl is the writer here)
    import shutil

    R = sheet.rows
    col = sheet.cols
    at = lambda kpi, h: a1(R[kpi], col[h])  # noqa: E731
    pct = "秋吉台地域公衆トイレの洋式化率"
    diff = "食・土産物開発支援を受けて商品を開発した事業者数(累計)※"
    cases = {
        "entries": {at(KPI, R4): "abc", at("道の駅の商品販売額", R4): "平日 0.99 休日 0.97",
                    at("本市を訪れる外国人観光客数", R4): "約120", at("Wi-Fi 設置数", "目標値"): "全国平均に到達",
                    at("みねシュラン3★認定者数", R4): "#DIV/0!", at("農林水産品の高付加価値認定商品数", R4): "=1/0",
                    at("厚保くり、秋芳梨、美東ごぼう生産量", R4): dt.datetime(2022, 4, 1),
                    at("市内企業のキャリアガイダンス開催回数", R4): 1e16, at("集落営農法人数", R4): "26人",
                    at("株式会社化した集落営農法人数", R4): "2万円", at("Mine Collection 加工品売上額", R4): "49,691円",
                    at("市内の高校の新卒者の美祢市内就職率", R4): 140, at("美祢あきない活性化応援事業実施件数", R4): "8%",
                    at(pct, R4): 0.665},
        "rows": {at(KPI, "目標値"): None, at("道の駅の商品販売額", "基準値"): None,
                 at("本市を訪れる外国人観光客数", R4): None, at("Wi-Fi 設置数", R4): "集計中",
                 at("みねシュラン3★認定者数", "重点戦略"): None, at("集落営農法人数", R4): "26(R9)",
                 at("株式会社化した集落営農法人数", "目標年度"): "H6", at("市内企業のキャリアガイダンス開催回数", "目標年度"): "来年",
                 at(diff, "目標値"): 9, at("美祢あきない活性化応援事業実施件数", "方向"): "減少",
                 at("放課後子ども教室延べ事業参加人数", "方向"): None, at("協議会の支援により起業した事業者数", "方向"): "上昇",
                 at("スポーツを通じたイベント等への参加者数", "方向"): None,
                 at("Wi-Fi 設置数", "方向"): "減少", at("Wi-Fi 設置数", "目標値"): "13以上",
                 at("がん検診受診率", "方向"): "減少", at("がん検診受診率", "目標値"): 9.5,
                 at("ファミリーサポートセンター会員数", "方向"): "減少", at("ファミリーサポートセンター会員数", "目標値"): 350,
                 at("ファミリーサポートセンター会員数", "算定式"): None,
                 at("定住促進事業利用世帯人数(累計)※", "目標値"): 100,
                 at("ふるさと納税寄附者数", "目標値"): "5年間に20,000人",
                 at("ふるさと納税寄附者数", "実績の集計"): "最新年度",
                 at("農林水産品の高付加価値認定商品数", "KPI番号"): "1-1-1-01",
                 at("道の駅の商品販売額", "KPI名"): KPI,
                 at("市内の高校の新卒者の美祢市内就職率", "評価(手入力)"): "すごい",
                 at("日本語ボランティア団体の設立", "評価(手入力)"): "改善↑",
                 at("多文化共生事業参加者数(累計)※", "累計"): None,       # difference without a baseline
                 a1(max(R.values()) + 1, col["単位"]): "人"},             # a row with input but no name
        "settings": {},
        "no_kpi_header": {},
        "no_settings_sheet": {},
        "no_goal_column": {a1(layout.HEADER_ROW, col["重点戦略"]): "分類"},     # required column missing
        "empty_table": {},
        "no_names": {a1(r, col["KPI名"]): None for r in R.values()},      # rows typed, none with a KPI名
        "year_outside_plan": {a1(layout.HEADER_ROW, col[R4]): "実績値 R9"},
        "narratives": {},            # the 施策 sheet (texts of the evaluation report)
        "narratives_no_header": {},
    }
    for name, changes in cases.items():
        path = tmp_path / f"{name}.xlsx"
        shutil.copy(SAMPLE, path)
        wb = load_workbook(path)
        ws = wb[layout.SHEET_KPI]
        for ref, v in changes.items():
            ws[ref] = v
        if name == "settings":
            ss = wb[layout.SHEET_SETTINGS]
            row = next(c.row for c in ss["A"] if c.value == "評価年度")
            ss.cell(row, 2, "令和の次")                           # 評価年度 that is no year
        if name == "rows":
            ws.row_dimensions[R["Wi-Fi 設置数"]].hidden = True         # a hidden KPI row
        if name == "no_kpi_header":
            for c in ws[layout.HEADER_ROW]:
                c.value = None
        if name == "no_settings_sheet":
            del wb[layout.SHEET_SETTINGS]
        if name == "empty_table":
            ws.delete_rows(layout.FIRST_DATA_ROW, ws.max_row)
        if name.startswith("narratives"):
            _narrative_changes(wb, no_header=name == "narratives_no_header")
        wb.save(path)
        yield name, path


def _narrative_changes(wb, no_header: bool):
    from addin.core import narrative as N
    ws = wb[N.SHEET_MEASURES]
    hr = N.HEADER_ROW
    if no_header:
        for c in ws[hr]:
            c.value = None
        return
    col = {ws.cell(hr, c).value: c for c in range(1, ws.max_column + 1)}
    rows = {ws.cell(r, col["番号"]).value: r for r in range(hr + 1, ws.max_row + 1) if ws.cell(r, col["番号"]).value}
    ws.cell(rows["1-1-1"], col["評価"]).value = None                      # narrative_missing_text
    ws.cell(rows["5-2-1"], col["番号"]).value = "9-9-9"                   # narrative_missing_row, _unknown_code
    ws.cell(rows["1-1-3"], col["番号"]).value = "1-1-2"                   # narrative_duplicate
    free = max(rows.values()) + 1
    ws.cell(free, col["区分"]).value = "その他"                            # narrative_bad_level
    ws.cell(free, col["番号"]).value = "6-1"
    ws.cell(free + 1, col["区分"]).value = "具体的施策"                     # narrative_no_code
    ws.cell(free + 1, col["名称"]).value = "番号のない施策"


# codes the battery above produces; a new code belongs in the battery too
BATTERY_CODES = {
    "unreadable", "compound_value", "approximate_value", "relative_target", "excel_error", "formula_no_value",
    "date_value", "too_large", "unit_mismatch", "unit_mismatch_error", "unit_converted", "percent_not_unit",
    "percent_fraction", "percent_range", "missing_target", "missing_actual", "actual_marker", "missing_baseline",
    "missing_goal", "missing_name", "stale_actual", "future_year", "year_order", "bad_year",
    "target_equals_baseline", "zero_target", "progress_undefined", "direction_conflict", "target_below_baseline",
    "direction_needed", "direction_inferred", "direction_kind_conflict", "formula_replaced", "formula_inferred",
    "target_wrong_side", "aggregation_conflict",
    "unknown_code", "duplicate_id", "duplicate_name", "unknown_override", "override_used", "published_mismatch",
    "settings_invalid", "no_kpis", "missing_sheet", "header_not_found", "required_columns", "year_outside_plan",
    "empty_table", "hidden_row",
    "narrative_missing_text", "narrative_missing_row", "narrative_unknown_code", "narrative_duplicate",
    "narrative_bad_level", "narrative_no_code", "narrative_no_header",
}


def test_every_template_formats_with_the_params_it_is_given(tmp_path, sheet):
    """Every finding the battery produces formats strictly (no missing parameter, no leftover braces)."""
    from addin.book.files import FileBook
    from addin.ops import load_and_evaluate
    seen: dict[str, str] = {}
    for name, path in _battery(tmp_path, sheet):
        for data_only in (True, False):              # as validate reads, and as recalc reads (formulas)
            ev = load_and_evaluate(FileBook(path, data_only=data_only)).evaluation
            for f in ev.findings:
                msg = f.format_message()             # raises KeyError on a missing parameter
                assert "{" not in msg and "}" not in msg, (f.code, msg)
                assert f.message == msg
                seen.setdefault(f.code, msg)
    missing = BATTERY_CODES - set(seen)
    assert missing == set()
    assert set(seen) <= set(CATALOGUE)


def test_battery_covers_the_catalogue():
    """A code added to the catalogue gets an example in the battery (and so a formatting check)."""
    # the collection codes (kpi split / merge) come from returned files, not from one workbook: each has its
    # example, with the same strict formatting check, in tests/test_collect.py
    assert {c for c in CATALOGUE if not c.startswith("collect_")} - BATTERY_CODES == set()
