"""Transcribe chapter II of the Mine evaluation report (seeds/mine-evaluation-report-2024.txt) into
mine_r4_narratives.csv: per 戦略方針 its text, per 具体的施策 its description and the departments' four texts
(現状・取組内容, 評価, 課題, 方向性), as printed (paragraphs joined by a line break; PDF-extraction markup
such as <p> tags and table rules removed, wording untouched).

    python workbooks/samples/extract_mine_narratives.py  → rewrites mine_r4_narratives.csv
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = HERE.parents[2] / "shared" / "seeds" / "mine-evaluation-report-2024.txt"
OUT = HERE / "mine_r4_narratives.csv"
FIELDS = ("level", "code", "name", "description", "current", "evaluation", "issues", "direction")
LABELS = {"現状/取組内容": "current", "現状／取組内容": "current", "評価": "evaluation", "課題": "issues",
          "方向性": "direction"}


def paragraphs(text: str) -> list[str]:
    text = re.sub(r"</?p>", "\n", text)
    return [re.sub(r"\s+$", "", p).strip() for p in text.split("\n") if p.strip() and not re.fullmatch(r"[-\t ]+", p.strip())]


def extract(seed: Path = SEED) -> list[dict]:
    lines = seed.read_text(encoding="utf-8").splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("II. 戦略の評価") and i > 50)
    end = next(i for i, l in enumerate(lines) if i > start and l.replace(" ", "").startswith("【KPI達成状況】"))
    records: list[dict] = []
    cur: dict | None = None
    field = None
    goal = None
    in_table = False
    for raw in lines[start + 1:end]:
        line = re.sub(r"</?p>", "", raw).strip().rstrip("\t").strip()
        cells = raw.split("\t")
        if not line or re.fullmatch(r"[-\t ]+", line):
            in_table = False if not line else in_table
            continue
        m = re.match(r"重点戦略(\d)\s", line)
        if m and "：" not in line:
            goal, cur, field = m.group(1), None, None
            continue
        if re.match(r"重点戦略\d：", line) or re.fullmatch(r"[\d\t ]+", line):
            continue                                   # the tally block: computed, not transcribed
        m = re.match(r"【戦略方針(\d)】\s*(.+)", line)
        if m:
            cur = {"level": "戦略方針", "code": f"{goal}-{m.group(1)}", "name": m.group(2).strip()}
            records.append(cur)
            field = "description"
            continue
        m = re.match(r"具体的施策\s*(?:(\d-\d-\d)\.?\s*)?(.+)", line)
        if m:
            code = m.group(1)
            if not code:   # the report prints 3-1-3 without its number: the next number under its 戦略方針
                prev = records[-1]["code"].split("-")
                code = "-".join(prev[:2] + [str(int(prev[2]) + 1) if len(prev) == 3 else "1"])
            cur = {"level": "具体的施策", "code": code, "name": m.group(2).strip()}
            records.append(cur)
            field = "description"
            continue
        if line.replace(" ", "").startswith("KPI名"):
            in_table, field = True, None
            continue
        if line.startswith("備考"):
            in_table = False
            continue
        if in_table:
            continue
        label = LABELS.get(re.sub(r"</?p>|\s", "", cells[0]))
        if label:
            field = label
            rest = "\t".join(cells[1:])
            if rest.strip():
                cur.setdefault(field, []).extend(paragraphs(rest))
            continue
        if cur is not None and field:
            cur.setdefault(field, []).extend(paragraphs(raw))
    out = []
    for r in records:
        out.append({k: ("\n".join(_join_broken(r[k])) if isinstance(r.get(k), list) else r.get(k, ""))
                    for k in FIELDS})
    return out


def _join_broken(paras: list[str]) -> list[str]:
    """A paragraph the PDF cut at a page or cell boundary (no 。 at its end) continues in the next one."""
    out: list[str] = []
    for p in paras:
        if out and not out[-1].endswith(("。", "）", ")", "」")):
            out[-1] += p
        else:
            out.append(p)
    return out


if __name__ == "__main__":
    rows = extract()
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(OUT, len(rows))
