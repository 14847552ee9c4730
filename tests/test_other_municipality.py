"""Another municipality's published format (a constructed example, not real data): yearly actuals R2–R6,
flows summed over the period, stocks taken in R6, ○△× at 80%, one qualitative KPI marked by hand."""
from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from addin.book.template import SAMPLE_CITY_NOTE, build_sample_city
from addin.core import layout

SAMPLES = Path(__file__).resolve().parents[1] / "workbooks" / "samples"
BOOK = SAMPLES / "sample_city_r6.xlsx"
SOURCE = SAMPLES / "sample_city_r6_source.csv"
# the counts of the constructed table (基本目標 1–4 and total: ○ / △ / ×).  Two KPIs at 80%+ that ended below their
# baseline (観光入込客数, 農業産出額) are △, not ○: a KPI worse than its baseline is never in the top class.
PUBLISHED_COUNTS = {"1": [1, 4, 0], "2": [3, 0, 1], "3": [3, 1, 1], "4": [5, 2, 0], "total": [12, 7, 2]}


@pytest.fixture(scope="module")
def source():
    with open(SOURCE, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def report(run):
    r = run("evaluate", BOOK, "--json")
    assert r.exit_code == 0, r.output
    return r.json()


@pytest.fixture
def book_copy(tmp_path):
    dst = tmp_path / BOOK.name
    shutil.copy(BOOK, dst)
    return dst


def test_the_sample_says_it_is_a_constructed_example():
    ws = load_workbook(BOOK)[layout.SHEET_SETTINGS]
    texts = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "架空の例" in texts and "実在の自治体のデータではありません" in texts
    assert SAMPLE_CITY_NOTE in texts


def test_published_counts_agree_with_the_published_marks(source):
    marks = Counter(r["published_mark"] for r in source)
    assert [marks[m] for m in "○△×"] == PUBLISHED_COUNTS["total"]


def test_reproduces_every_published_mark(report, source):
    assert report["scheme"]["name"] == "three-mark" and report["evaluation_year_label"] == "R6"
    assert [k["name"] for k in report["kpis"]] == [r["name"] for r in source]
    got = {k["name"]: k["status"] for k in report["kpis"]}
    assert got == {r["name"]: r["published_mark"] for r in source}


def test_reproduces_the_published_counts(report):
    t = report["tallies"]
    assert {g: [t[g][m] for m in "○△×"] for g in PUBLISHED_COUNTS} == PUBLISHED_COUNTS


def test_reproduces_every_published_achievement_rate(report, source):
    for k, r in zip(report["kpis"], source):
        if r["published_progress"]:
            assert k["progress_percent"] == float(r["published_progress"].rstrip("%")), k["name"]
    assert not [f for f in report["findings"] if f["code"] == "published_mismatch"]


def kpi(report, name):
    return next(k for k in report["kpis"] if k["name"] == name)


def test_flows_are_summed_over_the_period_and_stocks_taken_in_r6(report):
    assert kpi(report, "新規創業件数")["actual"] == 9 + 11 + 12 + 10 + 13
    assert kpi(report, "空き家バンクの成約件数")["progress_percent"] == 80.0      # 48 / 60: ○ at exactly 80%
    assert kpi(report, "空き家バンクの成約件数")["status"] == "○"
    assert kpi(report, "観光入込客数")["actual"] == 118 and kpi(report, "観光入込客数")["actual_year"] == 2024
    assert kpi(report, "新規就農者数（累計）")["actual"] == 17                    # cumulative, as entered


def test_kinds_of_kpi(report):
    assert kpi(report, "待機児童数")["progress"] == pytest.approx(1.0)              # down, (b-a)/(c-a)
    assert kpi(report, "要介護認定率")["progress_percent"] == 150.0
    assert kpi(report, "特定健康診査の受診率")["status"] == "○"                    # 50%以上, 82%
    assert kpi(report, "地域ボランティアの登録者数")["status"] == "○"              # 現状維持 kept
    assert kpi(report, "子ども医療費助成の高校生までの拡充")["status"] == "○"      # qualitative 実施
    assert kpi(report, "大学連携によるフィールドワークの実施件数")["status"] == "×"  # 未実施
    assert kpi(report, "合計特殊出生率")["status"] == "×"                         # 集計中


def test_the_hand_mark_shows_as_an_override_everywhere(run, report, book_copy):
    k = kpi(report, "「小さな拠点」の形成")
    assert k["status"] == "△" and k["override"] is True and k["computed_status"] == "×"
    assert any(f["code"] == "override_used" and f["kpi"] == k["name"] for f in report["findings"])
    assert run("recalc", book_copy).exit_code == 0
    wb = load_workbook(book_copy)
    ws = wb[layout.SHEET_KPI]
    head = {ws.cell(layout.HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1)}
    row = next(r for r in range(layout.FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, head["KPI名"]).value == k["name"])
    assert ws.cell(row, head["評価"]).value == "△（手入力）"
    summary = [c.value for r in wb[layout.SHEET_SUMMARY].iter_rows() for c in r]
    assert "△（手入力）" in summary
    assert any(isinstance(v, str) and "（手入力）」は" in v for v in summary)   # the footnote


def set_evaluation_year(path, year_label):
    wb = load_workbook(path)
    ws = wb[layout.SHEET_SETTINGS]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "評価年度")
    ws.cell(row, 2).value = year_label
    wb.save(path)


def clear_years_after(path, last_year):
    """The workbook as it stood when only the actuals up to ``last_year`` had been entered."""
    wb = load_workbook(path)
    ws = wb[layout.SHEET_KPI]
    for c in range(1, ws.max_column + 1):
        y = layout.actual_year_of_header(ws.cell(layout.HEADER_ROW, c).value)
        if y is not None and y > last_year:
            for r in range(layout.FIRST_DATA_ROW, ws.max_row + 1):
                ws.cell(r, c).value = None
    wb.save(path)


def comparable(report):
    return {k: v for k, v in report.items() if k != "source"}


def test_changing_the_evaluation_year_reproduces_the_earlier_report(run, tmp_path):
    full, then = tmp_path / "full.xlsx", tmp_path / "then.xlsx"
    shutil.copy(BOOK, full)
    shutil.copy(BOOK, then)
    set_evaluation_year(full, "R4")
    set_evaluation_year(then, "R4")
    clear_years_after(then, 2022)
    a, b = run("evaluate", full, "--json").json(), run("evaluate", then, "--json").json()
    assert a["evaluation_year"] == 2022
    assert comparable(a) == comparable(b)
    # later columns are ignored: flows summed R2–R4, stocks taken in R4, the plan's R4 target used
    assert kpi(a, "新規創業件数")["actual"] == 9 + 11 + 12
    assert kpi(a, "観光入込客数")["actual"] == 98 and kpi(a, "観光入込客数")["target"] == 120
    assert kpi(a, "観光入込客数")["progress_percent"] == 81.7
    k = kpi(a, "大学連携によるフィールドワークの実施件数")   # R6's 未実施 is later than R4: ignored
    assert k["actual"] == 4 and k["progress_percent"] == 66.7 and k["status"] == "△"
    assert a["tallies"]["total"] != run("evaluate", BOOK, "--json").json()["tallies"]["total"]

def test_pace_is_beside_the_status(report):
    k = kpi(report, "移住支援制度を利用した移住者数")
    assert k["status"] == "○" and k["pace"]["status"] == "やや遅れ"   # 458 of 500: 91.6%
    assert k["pace"]["text"] == "目標年度: あと42人"


def test_the_committed_sample_is_what_the_code_builds(tmp_path):
    out = tmp_path / "built.xlsx"
    build_sample_city().save(out)
    a, b = load_workbook(out), load_workbook(BOOK)
    for ws in a.worksheets:
        assert [[c.value for c in r] for r in ws.iter_rows()] == [[c.value for c in r] for r in b[ws.title].iter_rows()]
