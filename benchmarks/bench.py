"""Benchmark: what each command costs against openpyxl's own floor, at 100 / 1,000 / 10,000 KPIs.

    python benchmarks/bench.py [--sizes 100,1000,10000] [--rounds 3] [--markdown]

Workbooks are built from the template layout (addin.book.template.build_workbook) with the Mine sample's 78
KPIs repeated.  Every measurement is one fresh subprocess (interpreter start and imports included, as a clerk
pays them); its wall time and its own peak memory (max RSS from os.wait4, per child) are recorded.  Rounds are
interleaved (every command of every size once, then again) so that load on the machine spreads evenly, and
the median of the rounds is reported:

- ``load`` and ``load+save``: openpyxl's own ``load_workbook`` (and ``save``) of the same file, the floors;
- ``validate``, ``evaluate``: ``kpi validate|evaluate FILE``, as ratios to ``load`` and to ``load+save``;
- ``recalc``: ``kpi recalc`` on a fresh copy each time, as a ratio to ``load+save``.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLOORS = {
    "load": "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1])",
    "load+save": "import sys, openpyxl; wb = openpyxl.load_workbook(sys.argv[1]); wb.save(sys.argv[2])",
}
COMMANDS = ("validate", "evaluate", "recalc")


def build(n: int, folder: Path) -> Path:
    """A workbook of ``n`` KPIs in the template layout (the sample's 78 repeated, ids kept unique)."""
    from addin.book.template import MINE_SETTINGS, SAMPLE_SOURCE, _typed, build_workbook
    with open(SAMPLE_SOURCE, encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    rows = []
    for i in range(n):
        rec = records[i % len(records)]
        row = {k: _typed(v) for k, v in rec.items() if k not in ("actual_R4", "report_progress")}
        for k in ("goal_code", "policy_code", "measure_code", "baseline_year", "target_year"):
            row[k] = rec[k]
        row["kpi_id"] = f"{rec['kpi_id']}-{i // len(records)}"
        row["actual_2022"] = _typed(rec["actual_R4"])
        rows.append(row)
    path = folder / f"kpi_{n}.xlsx"
    build_workbook(MINE_SETTINGS, rows, data_rows=n + 20).save(path)
    return path


def build_in_child(n: int, folder: Path) -> Path:
    """Build in a child process: a child's max RSS starts from its parent's at fork/exec on Linux, so this
    process must stay small for the per-child peaks to mean anything."""
    code = "import sys; from pathlib import Path; import bench; print(bench.build(int(sys.argv[1]), Path(sys.argv[2])))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(Path(__file__).parent)]))
    out = subprocess.run([sys.executable, "-c", code, str(n), str(folder)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return Path(out.strip())


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak MiB of one child process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    took = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode("utf-8", "replace")
    p.stderr.close()
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}):\n{err}")
    kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return took, kib / 1024


def run_one(what: str, path: Path, scratch: Path) -> tuple[float, float]:
    py = sys.executable
    if what in FLOORS:
        return measure([py, "-c", FLOORS[what], str(path), str(scratch / "floor.xlsx")])
    target = path
    if what == "recalc":
        target = scratch / path.name
        shutil.copy(path, target)
        shutil.rmtree(scratch / "KPIバックアップ", ignore_errors=True)
    return measure([py, "-m", "addin", what, str(target)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    what = list(FLOORS) + list(COMMANDS)
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        tmp = Path(tmp)
        books = {n: build_in_child(n, tmp) for n in sizes}
        scratch = tmp / "scratch"
        scratch.mkdir()
        results: dict[tuple[int, str], list[tuple[float, float]]] = {}
        for r in range(args.rounds):
            order = what[r % len(what):] + what[:r % len(what)]   # rotate, so no command always runs first
            for n in sizes:
                for w in order:
                    results.setdefault((n, w), []).append(run_one(w, books[n], scratch))
                    print(f"round {r + 1} {n:>6} {w:<10} {results[(n, w)][-1][0]:7.2f} s", file=sys.stderr)
    print(table(results, sizes, what))
    return 0


def table(results, sizes, what) -> str:
    med = {k: (statistics.median(t for t, _ in v), statistics.median(m for _, m in v)) for k, v in results.items()}
    lines = ["| KPIs | command | time (s) | × load+save | × load | peak memory (MiB) |",
             "|---:|---|---:|---:|---:|---:|"]
    for n in sizes:
        floor_ls, floor_l = med[(n, "load+save")][0], med[(n, "load")][0]
        for w in what:
            t, m = med[(n, w)]
            lines.append(f"| {n:,} | {w} | {t:.2f} | {t / floor_ls:.2f} | {t / floor_l:.2f} | {m:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
