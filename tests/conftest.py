"""Shared fixtures.  Paths are relative to this file; nothing depends on the working directory."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from addin.cli import main

ROOT = Path(__file__).resolve().parents[1]
WORKBOOKS = ROOT / "workbooks"
SAMPLE = WORKBOOKS / "samples" / "mine_r4.xlsx"
SAMPLE_SOURCE = WORKBOOKS / "samples" / "mine_r4_source.csv"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A private copy of the Mine City sample, so a test may write it."""
    dst = tmp_path / "mine_r4.xlsx"
    shutil.copy(SAMPLE, dst)
    return dst


@pytest.fixture(scope="session")
def source_rows() -> list[dict]:
    with open(SAMPLE_SOURCE, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class CliResult:
    def __init__(self, code, out, err):
        self.exit_code, self.output, self.stderr = code, out, err

    def json(self):
        import json
        return json.loads(self.output)


@pytest.fixture
def run(capsys):
    """Run the ``kpi`` command line in-process, as a user would type it."""
    def _run(*args) -> CliResult:
        code = main([str(a) for a in args])
        cap = capsys.readouterr()
        return CliResult(code, cap.out, cap.err)
    return _run
