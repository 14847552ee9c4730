"""The command line itself: every command documented, `python -m addin` works, template command."""
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from addin.cli import COMMANDS, build_parser
from addin.core import layout

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help_and_is_in_the_readme(name):
    assert COMMANDS[name][1].strip()
    sub = build_parser()._subparsers._group_actions[0].choices[name]
    assert sub.description and sub.format_help()
    assert f"kpi {name}" in README


def test_python_dash_m_addin_runs_the_same_cli():
    from conftest import SAMPLE
    p = subprocess.run([sys.executable, "-m", "addin", "evaluate", str(SAMPLE)], capture_output=True, text=True,
                       cwd=Path(__file__).parent, env={"PYTHONPATH": str(Path(__file__).resolve().parents[1]),
                                                       "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    assert "合計\t26\t19\t13\t20" in p.stdout


def test_no_command_prints_help_and_exits_2(run):
    r = run()
    assert r.exit_code == 2 and "validate" in r.output


def test_template_command_writes_the_template_and_refuses_to_overwrite(run, tmp_path):
    out = tmp_path / "新しいKPI.xlsx"
    assert run("template", out).exit_code == 0
    wb = load_workbook(out)
    assert wb.sheetnames == [layout.SHEET_SETTINGS, layout.SHEET_KPI, "施策"]   # 施策: texts of the report
    r = run("template", out)
    assert r.exit_code == 2 and "--force" in r.stderr
    assert run("template", out, "--force").exit_code == 0
