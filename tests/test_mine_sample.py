"""The bundled real sample reproduces 美祢市's published evaluation (令和4年度 実績, 【KPI達成状況】)."""
import pytest

from conftest import SAMPLE

# ../shared/seeds/mine-evaluation-report-2024.txt, 【KPI達成状況】 and each goal's tally row
PUBLISHED_TALLIES = {
    "1": (10, 5, 8, 4),
    "2": (3, 4, 0, 6),
    "3": (3, 5, 0, 3),
    "4": (8, 3, 3, 5),
    "5": (2, 2, 2, 2),
    "total": (26, 19, 13, 20),
}
CLASSES = ["目標達成", "改善↑", "－", "未達成↓"]


@pytest.fixture(scope="module")
def report():
    from addin.cli import main
    import io, json, contextlib
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["evaluate", str(SAMPLE), "--json"])
    assert code == 0
    return json.loads(buf.getvalue())


def test_78_kpis_in_report_order(report, source_rows):
    assert [k["name"] for k in report["kpis"]] == [r["name"] for r in source_rows]
    assert len(report["kpis"]) == 78


@pytest.mark.parametrize("goal", list(PUBLISHED_TALLIES))
def test_tallies_equal_the_published_counts(report, goal):
    assert report["scheme"]["classes"] == CLASSES
    assert tuple(report["tallies"][goal][c] for c in CLASSES) == PUBLISHED_TALLIES[goal]


def test_every_progress_equals_the_printed_figure(report, source_rows):
    """Compared with the measure tables of the report (report_progress); 複合化施設数 is undefined."""
    mismatches = []
    for k, src in zip(report["kpis"], source_rows):
        if k["name"] == "複合化施設数":
            continue
        printed = float(src["report_progress"].rstrip("%"))
        if k["progress_percent"] != printed:
            mismatches.append((k["name"], k["progress_percent"], printed))
    assert mismatches == []


def test_zero_target_kpi_has_undefined_progress_with_reason_and_dash(report):
    k = next(k for k in report["kpis"] if k["name"] == "複合化施設数")
    assert k["progress"] is None
    assert "目標値が0" in k["reason"]
    assert k["status"] == "－"


def test_lower_is_better_kpi_uses_difference(report):
    k = next(k for k in report["kpis"] if k["name"].startswith("要支援・要介護認定率"))
    assert k["direction"] == "down" and k["formula"] == "difference"
    assert k["progress_percent"] == 150.0 and k["status"] == "目標達成"


def test_published_summary_typo_is_reported(report):
    """The report's summary printed 223.3% where its own measure table (and the formula) give 233.3%."""
    f = [f for f in report["findings"] if f["code"] == "published_mismatch"]
    assert len(f) == 1 and "223.3%" in f[0]["message"] and "233.3%" in f[0]["message"]


def test_json_is_valid_against_the_schema(report):
    import json
    from pathlib import Path
    import jsonschema
    schema = json.loads((Path(__file__).resolve().parents[1] / "schema" / "evaluation.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(report)
