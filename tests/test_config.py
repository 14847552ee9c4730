"""Configuration files (schema/config.schema.json): valid and invalid examples, refusals that name the path,
before any file is touched."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from addin.config import config_problems, load_config_file
from addin.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "schema" / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*.json"))
INVALID = sorted(p for p in (EXAMPLES / "invalid").glob("*.json") if p.name != "expected.json")
EXPECTED = json.loads((EXAMPLES / "invalid" / "expected.json").read_text(encoding="utf-8"))


def test_there_are_examples_and_every_invalid_one_says_where():
    assert len(VALID) >= 3 and len(INVALID) >= 8
    assert sorted(EXPECTED) == sorted(p.name for p in INVALID)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_examples_are_accepted(path):
    data = load_config_file(path)
    assert "scheme" in data


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_examples_validate_against_the_schema_with_jsonschema_alone(path):
    from addin.config import _validator
    data = json.loads(path.read_text(encoding="utf-8"))
    if "scheme" not in data:
        data = {"scheme": data}
    assert list(_validator().iter_errors(data)) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_examples_are_refused_with_the_path(path):
    with pytest.raises(ConfigError) as e:
        load_config_file(path)
    msg = str(e.value)
    assert f"・{EXPECTED[path.name]}: " in msg, msg
    assert "Traceback" not in msg and "is not" not in msg   # Japanese, not jsonschema's English


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_examples_through_recalc_leave_the_workbook_byte_identical(run, sample_copy, path):
    before = sample_copy.read_bytes()
    r = run("recalc", sample_copy, "--scheme", path)
    assert r.exit_code == 2
    assert EXPECTED[path.name] in r.stderr
    assert "Traceback" not in r.stderr + r.output
    assert sample_copy.read_bytes() == before
    assert sorted(p.name for p in sample_copy.parent.iterdir()) == [sample_copy.name]   # no backup either


@pytest.mark.parametrize("command", ["validate", "evaluate", "recalc"])
def test_unknown_preset_on_the_command_line_is_refused(run, sample_copy, command):
    before = sample_copy.read_bytes()
    r = run(command, sample_copy, "--scheme", "five-class")
    assert r.exit_code == 2 and "five-class" in r.stderr and "four-class" in r.stderr
    assert sample_copy.read_bytes() == before


def _set_setting(path, label, value):
    from openpyxl import load_workbook
    from addin.core import layout
    wb = load_workbook(path)
    ws = wb[layout.SHEET_SETTINGS]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == label)
    ws.cell(row, 2).value = value
    wb.save(path)
    return f"B{row}"


@pytest.mark.parametrize("label, value, scheme, words", [
    ("評価方式", "five-class", None, ["評価方式", "five-class"]),
    ("評価方式の閾値", "50,80,100", "letter", ["評価方式の閾値", "順序が逆"]),
    ("評価方式の閾値", "100,80,80", "letter", ["評価方式の閾値", "重な"]),
    ("評価方式の閾値", "100,80", "letter", ["評価方式の閾値", "3つ"]),
    ("見込みの閾値", "80,100", None, ["見込みの閾値", "順序が逆"]),
])
def test_invalid_settings_sheet_is_refused_with_the_cell(run, sample_copy, label, value, scheme, words):
    cell = _set_setting(sample_copy, label, value)
    if scheme:
        _set_setting(sample_copy, "評価方式", scheme)
    before = sample_copy.read_bytes()
    r = run("recalc", sample_copy)
    assert r.exit_code == 2, r.output
    assert f"設定!{cell}" in r.stderr
    for w in words:
        assert w in r.stderr
    assert sample_copy.read_bytes() == before


def test_custom_scheme_file_is_applied(run, sample_copy):
    r = run("evaluate", sample_copy, "--json", "--scheme", EXAMPLES / "valid" / "custom-five-grade.json")
    assert r.exit_code in (0, 1), r.stderr
    report = r.json()
    assert report["scheme"]["name"] == "five-grade"
    assert report["scheme"]["classes"] == ["S", "A", "B", "C", "評価不能"]
    for k in report["kpis"]:
        p = k["progress"]
        if p is not None and p < 1:
            assert k["status"] == ("A" if p >= 0.8 else "B" if p >= 0.5 else "C"), k["name"]


def test_scheme_file_named_in_the_settings_sheet_is_found_beside_the_workbook(run, sample_copy):
    shutil.copy(EXAMPLES / "valid" / "letter-thresholds.json", sample_copy.parent / "my-city.json")
    _set_setting(sample_copy, "評価方式", "my-city.json")
    report = run("evaluate", sample_copy, "--json").json()
    assert report["scheme"]["name"] == "letter" and "110%" in report["scheme"]["title"]


def test_recalc_with_a_custom_scheme_writes_its_labels(run, sample_copy):
    from openpyxl import load_workbook
    from addin.core import layout
    r = run("recalc", sample_copy, "--scheme", EXAMPLES / "valid" / "bare-scheme-baseline.json")
    assert r.exit_code in (0, 1), r.stderr
    ws = load_workbook(sample_copy)[layout.SHEET_SUMMARY]
    values = {c.value for row in ws.iter_rows() for c in row}
    assert {"達成", "改善", "悪化"} <= values


@pytest.mark.parametrize("text, path", [
    ("{", None),
    ("[1, 2]", "（ファイル全体）"),
    ('{"scheme": {"classes": "○△×", "rules": []}}', "scheme/classes"),
])
def test_unreadable_or_wrong_shaped_files(tmp_path, text, path):
    f = tmp_path / "bad.json"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config_file(f)
    if path:
        assert path in str(e.value)


def test_missing_file_is_refused(run, sample_copy):
    r = run("evaluate", sample_copy, "--scheme", sample_copy.parent / "nothing.json")
    assert r.exit_code == 2 and "見つかりません" in r.stderr


def test_problems_come_as_paths_and_messages():
    problems = config_problems({"scheme": {"classes": [{"label": "○"}, {}], "rules": [{"if": "always"}]}})
    paths = [p for p, _ in problems]
    assert "scheme/classes/1/label" in paths and "scheme/rules/0/then" in paths
