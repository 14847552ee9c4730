"""Status schemes as data: presets, first-match rules, thresholds, manual override, `kpi schemes`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from addin.core.scheme import (CONDITIONS, PRESETS, Facts, Scheme, get_scheme, letter_scheme, scheme_problems)

ROOT = Path(__file__).resolve().parents[1]


def facts(progress=None, achieved=False, measurable=True, has_baseline=True, versus=None, carried_out=True):
    return Facts(progress, achieved, measurable, has_baseline, versus, carried_out)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_sound_and_matches_the_json_schema(name):
    from addin.config import config_problems
    assert scheme_problems(PRESETS[name]) == []
    assert config_problems({"scheme": PRESETS[name]}) == []
    assert config_problems({"scheme": name}) == []


def test_preset_files_are_the_presets():
    for name in ("four-class", "three-mark"):
        data = json.loads((ROOT / "addin" / "schemes" / f"{name}.json").read_text(encoding="utf-8"))
        data.pop("$schema")
        assert data == PRESETS[name]


def test_schema_lists_exactly_the_conditions_and_presets():
    scheme = json.loads((ROOT / "schema" / "scheme.schema.json").read_text(encoding="utf-8"))
    config = json.loads((ROOT / "schema" / "config.schema.json").read_text(encoding="utf-8"))
    assert scheme["$defs"]["rule"]["properties"]["if"]["enum"] == list(CONDITIONS)
    assert config["properties"]["scheme"]["then"]["enum"] == list(PRESETS)


@pytest.mark.parametrize("name", ["config.schema.json", "scheme.schema.json"])
def test_installed_copy_of_the_schema_equals_the_schema(name):
    assert (ROOT / "addin" / "schemes" / name).read_bytes() == (ROOT / "schema" / name).read_bytes()


@pytest.mark.parametrize("f, expected", [
    (facts(progress=1.2, achieved=True, versus="better"), "目標達成"),
    (facts(progress=0.9, versus="better"), "改善↑"),
    (facts(progress=0.9, versus="worse"), "未達成↓"),
    (facts(progress=0.9, versus="same"), "－"),
    (facts(progress=0.9, has_baseline=False), "－"),
    (facts(measurable=False), "－"),
])
def test_four_class_is_mine_citys_rule(f, expected):
    assert get_scheme("four-class").classify(f) == expected


@pytest.mark.parametrize("f, expected", [
    (facts(progress=0.8), "○"),
    (facts(progress=0.8 - 1e-12), "○"),          # binary noise only
    (facts(progress=0.7999), "△"),
    (facts(progress=-0.5), "△"),
    (facts(progress=None), "×"),
    (facts(measurable=False), "×"),
    (facts(progress=None, measurable=False, carried_out=False), "×"),
    (facts(progress=1.0, achieved=True), "○"),
])
def test_three_mark_at_80_percent(f, expected):
    assert get_scheme("three-mark").classify(f) == expected


@pytest.mark.parametrize("progress, expected", [(1.1, "A"), (1.0999, "B"), (0.8, "B"), (0.5, "C"), (0.49, "D"),
                                                (None, "－")])
def test_letter_with_the_municipalitys_thresholds(progress, expected):
    s = get_scheme("letter", (1.1, 0.8, 0.5))
    assert s.classify(facts(progress=progress)) == expected
    assert "110%" in s.title and s.classes == ["A", "B", "C", "D", "－"]


def test_letter_thresholds_are_printed_without_binary_noise():
    assert letter_scheme((1.1, 0.7, 0.3))["rules"][2]["value"] == 110


def test_rules_are_first_match_and_thresholds_are_percent():
    s = Scheme({"classes": [{"label": "良"}, {"label": "可"}],
                "rules": [{"if": "progress_at_least", "value": 60, "then": "良"}, {"if": "always", "then": "可"}]})
    assert s.classify(facts(progress=0.6)) == "良" and s.classify(facts(progress=0.59)) == "可"


@pytest.mark.parametrize("data, path", [
    ({"classes": [{"label": "A"}, {"label": "A"}], "rules": [{"if": "always", "then": "A"}]}, "classes/1/label"),
    ({"classes": [{"label": "A"}, {"label": "B"}], "rules": [{"if": "always", "then": "C"}]}, "rules/0/then"),
    ({"classes": [{"label": "A"}, {"label": "B"}], "rules": [
        {"if": "progress_below", "value": 80, "then": "B"}, {"if": "progress_below", "value": 50, "then": "A"}]},
     "rules/1/value"),
    ({"classes": [{"label": "A"}, {"label": "B"}], "rules": [
        {"if": "achieved", "then": "A"}, {"if": "achieved", "then": "B"}]}, "rules/1/if"),
])
def test_semantic_problems_name_the_path(data, path):
    assert path in [p for p, _ in scheme_problems(data)]


def test_kpi_schemes_lists_the_presets(run):
    r = run("schemes")
    assert r.exit_code == 0
    for name in PRESETS:
        assert name in r.output
    assert "○" in r.output and "目標達成" in r.output and "A～D" in r.output
    listed = run("schemes", "--json").json()
    assert [p["name"] for p in listed] == list(PRESETS)
    assert [c["label"] for c in listed[1]["classes"]] == ["○", "△", "×"]


# ---- through the command line, on the Mine sample

def test_mine_sample_still_reproduces_the_report_with_the_default_scheme(run):
    from conftest import SAMPLE
    report = run("evaluate", SAMPLE, "--json").json()
    t = report["tallies"]
    got = [[t[g][c] for c in report["scheme"]["classes"]] for g in "12345"] + \
        [[t["total"][c] for c in report["scheme"]["classes"]]]
    assert got == [[10, 5, 8, 4], [3, 4, 0, 6], [3, 5, 0, 3], [8, 3, 3, 5], [2, 2, 2, 2], [26, 19, 13, 20]]


def test_mine_sample_with_three_mark(run):
    from conftest import SAMPLE
    report = run("evaluate", SAMPLE, "--json", "--scheme", "three-mark").json()
    assert report["scheme"]["classes"] == ["○", "△", "×"]
    for k in report["kpis"]:
        p = k["progress"]
        # ○ at 80%, except that a KPI worse than its baseline is never ○ (the invariant of every scheme)
        expected = ("×" if p is None else "○" if k["achieved"] or p >= 0.8 - 1e-9 and k["versus_baseline"] != "worse"
                    else "△")
        assert k["status"] == expected, k["name"]
    assert sum(report["tallies"]["total"].values()) == 78


@pytest.mark.parametrize("scheme", ["letter", "four-class", "three-mark"])
def test_scheme_from_the_settings_sheet(run, sample_copy, scheme):
    from openpyxl import load_workbook
    from addin.core import layout
    wb = load_workbook(sample_copy)
    ws = wb[layout.SHEET_SETTINGS]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "評価方式")
    ws.cell(row, 2).value = scheme
    ws.cell(row + 1, 2).value = "110,80,50"
    wb.save(sample_copy)
    report = run("evaluate", sample_copy, "--json").json()
    assert report["scheme"]["name"] == scheme
    if scheme == "letter":
        for k in report["kpis"]:
            p = k["progress"]
            expected = ("－" if p is None else "A" if p >= 1.1 - 1e-9 else "B" if p >= 0.8 - 1e-9
                        else "C" if p >= 0.5 - 1e-9 else "D")
            assert k["status"] == expected, k["name"]
    # --scheme wins over the settings sheet
    assert run("evaluate", sample_copy, "--json", "--scheme", "four-class").json()["scheme"]["name"] == "four-class"
