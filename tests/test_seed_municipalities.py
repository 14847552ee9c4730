"""Other municipalities' real plans typed as printed (小美玉市 第2期総合戦略, 美郷町 まちづくりアクションプラン（案）;
../shared/seeds/): every entry is read without a wrong message, every KPI is in the tallies, and the hard cases
(lower is better, 現状維持 and 1.73を維持, negative rates, ▲90 → ▲45) get the statuses a planning clerk expects.

The actuals are invented (the plans publish none) and are marked so in 備考 and on the 設定 sheet.
"""
from __future__ import annotations

import csv
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook

from addin.book.template import INVENTED_ACTUALS, MISATO_NOTE, OMITAMA_NOTE
from addin.core import layout

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "workbooks" / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"
BOOKS = {
    "omitama": (SAMPLES / "omitama_r6.xlsx", SAMPLES / "omitama_r6_source.csv", SEEDS / "omitama-strategy-2020.txt",
                OMITAMA_NOTE),
    "misato": (SAMPLES / "misato_r10.xlsx", SAMPLES / "misato_r10_source.csv",
               SEEDS / "misato-action-plan-2026-draft.txt", MISATO_NOTE),
}

# codes that say "this entry could not be read as typed"; a legible printed value must not get one
READING_CODES = {"unreadable", "compound_value", "approximate_value", "relative_target", "unit_mismatch",
                 "unit_mismatch_error", "unit_converted", "percent_not_unit", "bad_year", "unknown_code", "too_large"}

# every finding about reading an entry, exactly: (code, KPI名, column header)
EXPECTED_READING = {
    "omitama": {
        # printed as two values in one cell (市民 and 高校生; 平日 and 休日): rightly reported, not guessed
        ("compound_value", "結婚を希望しない若者の割合（アンケート調査）", "基準値"),
        ("compound_value", "平日・休日滞在人口率（滞在人口/国勢調査人口）（RESAS）", "基準値"),
        ("compound_value", "平日・休日滞在人口率（滞在人口/国勢調査人口）（RESAS）", "目標値"),
        ("compound_value", "平日・休日滞在人口率（滞在人口/国勢調査人口）（RESAS）", "実績値 R6"),
    },
    "misato": set(),
}
# other findings that must be there (what a clerk should be told)
EXPECTED_OTHER = {
    "omitama": {
        ("stale_actual", "平均初婚年齢（男）", "実績値 R6"),     # 29.5歳 (2022年人口動態調査) in an R6 evaluation
    },
    "misato": {
        ("stale_actual", "美郷町内総生産額", "実績値 R9"),      # R10 not yet published: R9 is the latest
    },
}

# the four-class status a planning clerk expects for every KPI of the samples as committed
# (None: not asserted — the KPI cannot be measured, or the plan leaves the reading open; it must still be tallied)
EXPECTED_STATUS = {
    "omitama": {
        "平均初婚年齢（男）": "改善↑",                 # 30.0 → 29.5, target 28 (lower is better)
        "平均初婚年齢（女）": "未達成↓",               # 28.3 → 28.9: worse than the baseline
        "合計特殊出生率": "未達成↓",                   # 1.51 → 1.46
        "結婚を希望しない若者の割合（アンケート調査）": None,  # compound baseline
        "小美玉市で子育てをしていきたい（アンケート調査）": "改善↑",
        "子育てアプリ「おみたま子育て」のダウンロード数": "改善↑",
        "広報紙での子育て広場の特集": "目標達成",      # 年1回, 1 in R6
        "子育て広場利用者アンケートの実施": "目標達成",
        "企画イベントでのLINEグループ作成（自然な出会いの創出）": "目標達成",
        "ライフデザイン講座（人生の授業）の実施校数": "目標達成",  # 全4校
        "平日・休日滞在人口率（滞在人口/国勢調査人口）（RESAS）": None,  # compound
        "市イベント関連交流人口（ふるさとふれあい祭り・産業祭等のイベント、空港、そらら、文化ホール等の来場者数）": "改善↑",
        "複業人財とのマッチング事例": "目標達成",      # 5年間で延べ5事例: 0+1+2+1+2 = 6
        "周遊促進のための前年度末ミーティングの開催": "目標達成",
        "市内総生産": "目標達成",                      # 現状維持, 224,900 → 231,500 (not worse)
        "就業者数(20~40歳代)": "未達成↓",              # 現状維持, 18,098 → 17,650 (worse)
        "市内に住んで市内外で就職したい割合（高校生アンケート調査）": "改善↑",
        "こだわり厳選マーケットの開催（市民主体）": "目標達成",
        "広報紙での中央高校の取材": "目標達成",        # 最低年1回
        "茨探（高校生動画コンテスト）への参加": "－",   # 年1組, 0 in R6, no baseline
        "ブランドブックの配布（中央高校全校生徒）": "－",
        "地域の仕事を紹介する記事の特集（HPにも掲載）": "目標達成",
        "社会移動率": "改善↑",                         # -0.35% → -0.21%, target -0.18% (higher is better)
        "生産年齢人口純移動数": "改善↑",               # -266 → -231, target -200
        "小美玉市に愛着を持っている市民の割合（アンケート調査）": "目標達成",
        "今後も今のお住まいに継続して住む割合（アンケート調査）": "未達成↓",
        "PR動画DVDの製作・配布": "目標達成",           # 計300枚
        "PR動画DVDの配布（小中学校全クラス）": "目標達成",
        "PR動画DVDの配布（異動教職員）": "－",
        "行政区の情報の見える化": "目標達成",
        "家庭菜園級の貸畑の情報集約": "目標達成",
    },
    "misato": {
        "総人口": None,                                # 4,355 → 3,945 against 3,560 in 2030: a decline-limiting target
        "合計特殊出生率": "目標達成",                  # 1.73を維持, 1.75
        "令和8年から12年における人口の社会増の合計数": "改善↑",  # ▲90 → ▲48 after three years: not ▲45 or better
        "都賀長藤地域の人口数（直近5カ年の各年度における社会増減数の平均値）": "改善↑",
        "コミュニティ施設の利用者数": "改善↑",
        "地域で開催するイベントの外部からのボランティア（国際ワークキャンプ等）の参加者数": "目標達成",
        "こども会の参加者が地域のこどもの総数に占める割合": "改善↑",
        "美郷町内総生産額": "改善↑",
        "美郷町の総人口に対する年少人口（0歳～14歳）の割合": "未達成↓",  # 9.4 → 9.3
        "デジタル技術を活用した住民サービスの取組数": "改善↑",
    },
}
# statuses the engine on this branch still gets wrong (negative figures with the ratio formula): the lead's rules


def source(city) -> list[dict]:
    with open(BOOKS[city][1], encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def headers(path) -> dict[str, str]:
    """Column header → column letter of the KPI sheet."""
    ws = load_workbook(path, read_only=True)[layout.SHEET_KPI]
    row = next(ws.iter_rows(min_row=layout.HEADER_ROW, max_row=layout.HEADER_ROW))
    return {c.value: c.column_letter for c in row if c.value}


def keyed(findings, path, codes=None) -> set:
    """Findings as (code, KPI名, column header)."""
    by_letter = {v: k for k, v in headers(path).items()}
    return {(f["code"], f["kpi"], by_letter.get(re.sub(r"\d+$", "", f["cell"] or ""), f["cell"]))
            for f in findings if codes is None or f["code"] in codes}


def patched(city, tmp_path, edits=None, settings=None) -> Path:
    """A copy of a sample with some cells changed: ``edits`` {KPI名: {header: value}}, ``settings`` {label: value}."""
    src = BOOKS[city][0]
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    wb = load_workbook(dst)
    ws = wb[layout.SHEET_KPI]
    cols = {ws.cell(layout.HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1)}
    rows = {ws.cell(r, cols["KPI名"]).value: r for r in range(layout.FIRST_DATA_ROW, ws.max_row + 1)}
    for name, cells in (edits or {}).items():
        for header, value in cells.items():
            ws.cell(rows[name], cols[header]).value = value
    st = wb[layout.SHEET_SETTINGS]
    for label, value in (settings or {}).items():
        r = next(r for r in range(1, st.max_row + 1) if st.cell(r, 1).value == label)
        st.cell(r, 2).value = value
    wb.save(dst)
    return dst


@pytest.fixture(scope="module")
def reports():
    """``kpi validate --json`` and ``kpi evaluate --json`` of each committed sample, through the CLI."""
    from addin.cli import main
    import io
    import json
    from contextlib import redirect_stdout
    out = {}
    for city, (book, *_) in BOOKS.items():
        for cmd in ("validate", "evaluate"):
            buf = io.StringIO()
            with redirect_stdout(buf):
                code = main([cmd, str(book), "--json"])
            out[city, cmd] = (code, json.loads(buf.getvalue()))
    return out


# --- the samples are what the plans print ------------------------------------------------------------------------

@pytest.mark.parametrize("city", BOOKS)
def test_the_sample_says_its_actuals_are_invented(city):
    book, _, _, note = BOOKS[city]
    wb = load_workbook(book)
    settings_text = " ".join(str(c.value) for row in wb[layout.SHEET_SETTINGS].iter_rows() for c in row if c.value)
    assert note in settings_text and INVENTED_ACTUALS in settings_text
    for rec in source(city):
        if any(v for k, v in rec.items() if k.startswith("actual_")):
            assert INVENTED_ACTUALS in rec["notes"], rec["name"]


def _folded(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.mark.parametrize("city", BOOKS)
def test_every_baseline_target_and_year_is_typed_as_printed(city):
    """Each baseline, target (yearly ones too) and their years is a text that occurs in the plan itself."""
    plan = _folded(BOOKS[city][2].read_text(encoding="utf-8"))
    fields = ("baseline", "baseline_year", "target", "target_year") + tuple(f"target_R{n}" for n in (8, 9, 10))
    missing = [(rec["name"], f, rec[f]) for rec in source(city) for f in fields
               if rec.get(f) and rec[f] != "—" and _folded(rec[f]) not in plan]
    assert missing == []


def test_at_least_30_omitama_kpis_and_every_numeric_misato_target():
    assert len(source("omitama")) >= 30
    misato = {r["name"] for r in source("misato")}
    assert len(misato) == 10
    # the numeric targets printed in the plan: 分野 1–4, 地域再生計画 (4), 目標人口 and the 1.73 it assumes
    assert {"令和8年から12年における人口の社会増の合計数", "美郷町内総生産額", "デジタル技術を活用した住民サービスの取組数",
            "美郷町の総人口に対する年少人口（0歳～14歳）の割合", "コミュニティ施設の利用者数", "総人口",
            "合計特殊出生率"} <= misato


# --- every entry read without a wrong message --------------------------------------------------------------------

@pytest.mark.parametrize("city", BOOKS)
def test_entries_are_read_without_a_wrong_message(city, reports):
    code, report = reports[city, "validate"]
    book = BOOKS[city][0]
    assert keyed(report["findings"], book, READING_CODES) == EXPECTED_READING[city]
    assert EXPECTED_OTHER[city] <= keyed(report["findings"], book)
    assert code == (1 if any(c for c, *_ in EXPECTED_READING[city]) else 0)


@pytest.mark.parametrize("city", BOOKS)
def test_errors_are_only_the_expected_ones(city, reports):
    _, report = reports[city, "validate"]
    errors = keyed([f for f in report["findings"] if f["severity"] == "エラー"], BOOKS[city][0])
    assert errors <= EXPECTED_READING[city]


@pytest.mark.parametrize("city", ["omitama", "misato"])
def test_negative_rates_typed_with_a_sign_get_no_range_warning(city, reports):
    """-0.35% is a rate of change, typed with its sign (Entry.sign): not a typo outside 0–100."""
    _, report = reports[city, "validate"]
    assert not [f for f in report["findings"] if f["code"] == "percent_range"]


# --- every KPI in the tallies, the statuses a clerk expects --------------------------------------------------------

def test_tallies_count_every_kpi_misato(reports):
    _, report = reports["misato", "evaluate"]
    assert len(report["kpis"]) == len(source("misato"))
    assert sum(report["tallies"]["total"].values()) == len(source("misato"))


def test_tallies_count_every_kpi_omitama(reports):
    """The two KPIs printed with two values in a cell are counted too (as not measurable)."""
    _, report = reports["omitama", "evaluate"]
    assert len(report["kpis"]) == len(source("omitama"))
    assert sum(report["tallies"]["total"].values()) == len(source("omitama"))
    per_goal = {}
    for rec in source("omitama"):
        per_goal[rec["goal_code"]] = per_goal.get(rec["goal_code"], 0) + 1
    assert {g: sum(t.values()) for g, t in report["tallies"].items() if g != "total"} == per_goal


def _status_cases():
    for city, table in EXPECTED_STATUS.items():
        for name, status in table.items():
            yield pytest.param(city, name, status, id=f"{city}-{name[:20]}")


@pytest.mark.parametrize("city,name,status", list(_status_cases()))
def test_each_sample_kpi_gets_the_status_a_clerk_expects(city, name, status, reports):
    _, report = reports[city, "evaluate"]
    k = next(k for k in report["kpis"] if k["name"] == name)
    if status is not None:
        assert k["status"] == status, (k["progress_percent"], k["reason"])


@pytest.mark.parametrize("city", list(BOOKS))
def test_no_unachieved_kpi_is_paced_as_achieved(city, reports):
    _, report = reports[city, "evaluate"]
    for k in report["kpis"]:
        if k["pace"] and k["pace"].get("text") == "達成済み":
            assert EXPECTED_STATUS[city][k["name"]] in ("目標達成", None), k["name"]


MISATO_SUM = "令和8年から12年における人口の社会増の合計数"
YEARS_R8_R12 = [f"実績値 R{n}" for n in range(8, 13)]

# (city, settings, edits {KPI名: {header: value}}, KPI名, scheme, expected status or ("not", status))
HARD_CASES = [
    # ▲90 → ▲45 over R8～R12, judged at the end of the period
    ("misato", {"評価年度": "R12"}, {MISATO_SUM: dict(zip(YEARS_R8_R12, ["▲14", "▲12", "▲13", "▲11", "▲10"]))},
     MISATO_SUM, "four-class", "改善↑"),                                          # ▲60
    ("misato", {"評価年度": "R12"}, {MISATO_SUM: dict(zip(YEARS_R8_R12, ["▲9", "▲8", "▲8", "▲8", "▲7"]))},
     MISATO_SUM, "four-class", "目標達成"),                                        # ▲40
    ("misato", {"評価年度": "R12"}, {MISATO_SUM: dict(zip(YEARS_R8_R12, ["▲9", "▲8", "▲8", "▲8", "▲7"]))},
     MISATO_SUM, "three-mark", "○"),
    ("misato", {"評価年度": "R12"}, {MISATO_SUM: dict(zip(YEARS_R8_R12, ["▲20", "▲22", "▲19", "▲18", "▲21"]))},
     MISATO_SUM, "four-class", "未達成↓"),                                        # ▲100: worse than ▲90
    ("misato", {"評価年度": "R12"}, {MISATO_SUM: dict(zip(YEARS_R8_R12, ["▲20", "▲22", "▲19", "▲18", "▲21"]))},
     MISATO_SUM, "three-mark", ("not", "○")),
    # lower is better: worse than the baseline is 未達成↓, never ○ / 目標達成
    ("omitama", {}, {}, "平均初婚年齢（女）", "four-class", "未達成↓"),                     # 28.3 → 28.9
    ("omitama", {}, {}, "平均初婚年齢（女）", "three-mark", ("not", "○")),
    ("omitama", {}, {}, "平均初婚年齢（女）", "letter", ("not", "A")),
    ("omitama", {}, {"平均初婚年齢（男）": {"実績値 R6": "27.8"}}, "平均初婚年齢（男）", "four-class", "目標達成"),
    ("omitama", {}, {"平均初婚年齢（男）": {"実績値 R6": "27.8"}}, "平均初婚年齢（男）", "three-mark", "○"),
    # negative rates, higher is better
    ("omitama", {}, {"社会移動率": {"実績値 R6": "-0.41%"}}, "社会移動率", "four-class", "未達成↓"),
    ("omitama", {}, {"社会移動率": {"実績値 R6": "-0.41%"}}, "社会移動率", "three-mark", ("not", "○")),
    ("omitama", {}, {"社会移動率": {"実績値 R6": "-0.10%"}}, "社会移動率", "four-class", "目標達成"),
    ("omitama", {}, {"社会移動率": {"実績値 R6": "-0.10%"}}, "社会移動率", "three-mark", "○"),
    ("omitama", {}, {"生産年齢人口純移動数": {"実績値 R6": "-280"}}, "生産年齢人口純移動数", "four-class", "未達成↓"),
    # 現状維持 and 1.73を維持: achieved when not worse than the baseline
    ("omitama", {}, {"就業者数(20~40歳代)": {"実績値 R6": 18098}}, "就業者数(20~40歳代)", "four-class", "目標達成"),
    ("omitama", {}, {"就業者数(20~40歳代)": {"実績値 R6": 18098}}, "就業者数(20~40歳代)", "three-mark", "○"),
    ("omitama", {}, {}, "就業者数(20~40歳代)", "three-mark", ("not", "○")),                # 17,650
    ("omitama", {}, {"市内総生産": {"実績値 R6": "2,100億円"}}, "市内総生産", "four-class", "未達成↓"),
    ("misato", {}, {"合計特殊出生率": {"実績値 R10": "1.73"}}, "合計特殊出生率", "four-class", "目標達成"),
    ("misato", {}, {"合計特殊出生率": {"実績値 R10": "1.70"}}, "合計特殊出生率", "four-class", "未達成↓"),
    ("misato", {}, {"合計特殊出生率": {"実績値 R10": "1.70"}}, "合計特殊出生率", "three-mark", ("not", "○")),
]
# hard cases (indices into HARD_CASES) the engine on this branch still gets wrong: the ratio b/c with negative
# figures (▲60/▲45 = 133%), lower-is-better (c)/(b) = 86.5% ○ although worse than the baseline, 現状維持 missed but ○


def _hard_cases():
    for i, case in enumerate(HARD_CASES):
        city, _, edits, name, scheme, expected = case
        exp = "not " + expected[1] if isinstance(expected, tuple) else expected
        yield pytest.param(*case, id=f"{i:02d}-{name[:12]}-{scheme}-{exp}")


@pytest.mark.parametrize("city,settings,edits,name,scheme,expected", list(_hard_cases()))
def test_hard_cases_get_the_status_a_clerk_expects(city, settings, edits, name, scheme, expected, tmp_path, run):
    book = patched(city, tmp_path, edits, settings)
    r = run("evaluate", book, "--json", "--scheme", scheme)
    assert r.exit_code in (0, 1), r.output + r.stderr
    report = r.json()
    k = next(k for k in report["kpis"] if k["name"] == name)
    if isinstance(expected, tuple):
        assert k["status"] != expected[1], (k["progress_percent"], k["reason"])
    else:
        assert k["status"] == expected, (k["progress_percent"], k["reason"])


# --- through the CLI: periods in the summary, yearly headers as other cities print them ---------------------------

def test_the_summary_prints_periods_and_signs_as_typed(tmp_path, run):
    book = patched("misato", tmp_path)
    r = run("recalc", book)
    assert r.exit_code == 0, r.output + r.stderr
    ws = load_workbook(book)[layout.SHEET_SUMMARY]
    # ※: negative figures are computed by (b-a)/(c-a), and the summary's footnote says so
    row = next(row for row in ws.iter_rows(values_only=True) if row[0] == MISATO_SUM + "※")
    assert row[2:5] == ("▲90 (R3～R7)", -48, "▲45 (R8～R12)")
    row = next(row for row in ws.iter_rows(values_only=True) if row[0] == "合計特殊出生率")
    assert row[2] == "1.73 (R2)" and row[4] == "1.73を維持"


PRINTED_HEADERS = {"実績値 R8": "2026 (R8)", "実績値 R9": "R9/実績値", "実績値 R10": "令和10年度", "実績値 R11": "R11実績",
                   "実績値 R12": "実績値（2030（令和12）年度）", "目標値 R8": "2026 (R8) 目標", "目標値 R9": "R9/目標値",
                   "目標値 R10": "目標値 2028"}


def test_yearly_headers_as_other_cities_print_them_give_the_same_evaluation(tmp_path, run, reports):
    book = patched("misato", tmp_path)
    wb = load_workbook(book)
    ws = wb[layout.SHEET_KPI]
    for c in range(1, ws.max_column + 1):
        h = ws.cell(layout.HEADER_ROW, c)
        if h.value in PRINTED_HEADERS:
            h.value = PRINTED_HEADERS[h.value]
    wb.save(book)
    assert set(PRINTED_HEADERS.values()) <= set(headers(book))
    r = run("evaluate", book, "--json")
    assert r.exit_code == 0, r.output + r.stderr
    got = [(k["name"], k["actual"], k["actual_year"], k["target"], k["target_year"], k["status"])
           for k in r.json()["kpis"]]
    want = [(k["name"], k["actual"], k["actual_year"], k["target"], k["target_year"], k["status"])
            for k in reports["misato", "evaluate"][1]["kpis"]]
    assert got == want
