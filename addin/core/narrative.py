"""The narrative inputs of the evaluation report: the 施策 sheet.

One row per 戦略方針 (its text) and per 具体的施策 (its description, and the four texts the departments write
each year: 現状・取組内容, 評価, 課題, 方向性).  The report (``kpi report``) prints them under each measure's KPI
table, as chapter II of the Mine City report does.  Columns are found by their header text, like the KPI sheet.

Plain data, no I/O: the adapters hand over the sheet as a block of values (row 1 = A1).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .findings import Finding
from .model import a1

SHEET_MEASURES = "施策"

LEVEL_POLICY = "戦略方針"
LEVEL_MEASURE = "具体的施策"
LEVELS = (LEVEL_POLICY, LEVEL_MEASURE)

# (key, header, width, aliases); the four yearly texts are the departments' (担当課) answers
COLUMNS: tuple[tuple[str, str, float, tuple[str, ...]], ...] = (
    ("level", "区分", 10, ()),
    ("code", "番号", 8, ("施策番号",)),
    ("name", "名称", 28, ("施策名",)),
    ("department", "担当課", 12, ()),
    ("description", "説明", 50, ("概要", "施策の内容")),
    ("current", "現状・取組内容", 50, ("現状/取組内容", "現状／取組内容", "取組内容")),
    ("evaluation", "評価", 40, ()),
    ("issues", "課題", 40, ()),
    ("direction", "方向性", 40, ("今後の方向性",)),
)
HEADERS = {key: header for key, header, _, _ in COLUMNS}
YEARLY_TEXTS = ("current", "evaluation", "issues", "direction")   # written by the departments every year
HEADER_ROW = 3          # row 1 title, row 2 how to fill it in, row 3 headers
NO_DEPARTMENT = "（担当課未入力）"


@dataclass
class Item:
    """One 戦略方針 or 具体的施策 with its texts (paragraphs separated by line breaks)."""
    level: str
    code: str
    name: str = ""
    department: str = ""
    texts: dict[str, str] = field(default_factory=dict)   # description, current, evaluation, issues, direction
    row: int = 0
    cells: dict[str, str] = field(default_factory=dict)   # key → A1 address

    def text(self, key: str) -> str:
        return self.texts.get(key, "")

    def paragraphs(self, key: str) -> list[str]:
        return [p.strip() for p in self.text(key).splitlines() if p.strip()]


@dataclass
class Narratives:
    items: dict[tuple[str, str], Item] = field(default_factory=dict)   # (level, code) → item
    present: bool = False       # the workbook has a 施策 sheet

    def policy(self, code: str) -> Item | None:
        return self.items.get((LEVEL_POLICY, code))

    def measure(self, code: str) -> Item | None:
        return self.items.get((LEVEL_MEASURE, code))


def _norm(text) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def _code(v) -> str:
    """番号 as text: 1-1-1 stays; a number typed as 1.1 is not a code we can guess, so it is kept as typed."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return unicodedata.normalize("NFKC", str(v)).strip().replace("ー", "-").replace("−", "-") if v is not None else ""


_KEYS = {_norm(h): key for key, header, _, aliases in COLUMNS for h in (header,) + aliases}


def column_key(header) -> str | None:
    """The key of a 施策 column from its header text (aliases included), None for a column of the clerk's."""
    return _KEYS.get(_norm(header)) if isinstance(header, str) else None


def header_map(block: list[list]) -> tuple[int, dict[str, int]]:
    """The header row (the first row naming 番号 and a text column) and key → column (1-based); (0, {}) when
    there is none.  The report and the 照会 (kpi split / merge) find the columns by this one rule."""
    for r, row in enumerate(block[:20], start=1):
        found = {}
        for c, v in enumerate(row, start=1):
            key = column_key(v)
            if key and key not in found:
                found[key] = c
        if "code" in found and ("description" in found or "current" in found):
            return r, found
    return 0, {}


def read_narratives(block: list[list], sheet: str = SHEET_MEASURES) -> tuple[Narratives, list[Finding]]:
    """Read the 施策 sheet; findings for rows that cannot be placed (unknown 区分, missing or duplicate 番号)."""
    out = Narratives(present=True)
    findings: list[Finding] = []
    header_row, cols = header_map(block)
    if not header_row:
        findings.append(Finding("narrative_no_header", sheet, "A1", params={
            "sheet": sheet, "headers": "・".join(HEADERS[k] for k in ("level", "code", "name", "description"))}))
        return out, findings
    for r in range(header_row + 1, len(block) + 1):
        row = block[r - 1]

        def get(key):
            c = cols.get(key)
            return row[c - 1] if c and c - 1 < len(row) else None

        values = {k: get(k) for k in cols}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        cells = {k: a1(r, c) for k, c in cols.items()}
        code = _code(get("code"))
        level = _norm(get("level")) or (LEVEL_MEASURE if code.count("-") >= 2 else LEVEL_POLICY if code else "")
        if level not in LEVELS:
            findings.append(Finding("narrative_bad_level", sheet, cells.get("level", ""), get("level"), row=r,
                                    params={"choices": "・".join(LEVELS)}))
            continue
        if not code:
            findings.append(Finding("narrative_no_code", sheet, cells.get("code", ""), None, row=r,
                                    params={"level": level}))
            continue
        key = (level, code)
        if key in out.items:
            findings.append(Finding("narrative_duplicate", sheet, cells["code"], code, row=r,
                                    params={"level": level, "other": f"{out.items[key].row}行目"}))
            continue
        texts = {}
        for k in ("description",) + YEARLY_TEXTS:
            v = get(k)
            texts[k] = "" if v is None else str(v).replace("\r\n", "\n").strip()
        name = get("name")
        dept = get("department")
        out.items[key] = Item(level, code, "" if name is None else str(name).strip(),
                              "" if dept is None else str(dept).strip(), texts, r, cells)
    return out, findings


def check_narratives(narratives: Narratives, kpis, sheet: str = SHEET_MEASURES) -> list[Finding]:
    """Every 具体的施策 and 戦略方針 of the KPI sheet has its row and texts; rows the KPI sheet does not know are
    reported.  Missing yearly texts name the department (担当課 of the row, else of the measure's KPIs), so the
    planning section can send each department its list."""
    if not narratives.present:
        return []
    findings: list[Finding] = []
    measures: dict[str, dict] = {}
    policies: dict[str, str] = {}
    for k in kpis:
        if k.measure_code:
            m = measures.setdefault(k.measure_code, {"name": k.measure_name, "departments": []})
            if k.department and k.department not in m["departments"]:
                m["departments"].append(k.department)
        if k.policy_code:
            policies.setdefault(k.policy_code, k.policy_name)
    for code, name in policies.items():
        item = narratives.policy(code)
        if item is None:
            findings.append(Finding("narrative_missing_row", sheet, "", code, params={
                "level": LEVEL_POLICY, "code": code, "name": name or ""}))
        elif not item.text("description"):
            findings.append(Finding("narrative_missing_text", sheet, item.cells.get("description", ""), None,
                                    row=item.row, params={"level": LEVEL_POLICY, "code": code,
                                                          "name": item.name or name or "",
                                                          "field": HEADERS["description"],
                                                          "department": item.department or NO_DEPARTMENT}))
    for code, m in measures.items():
        item = narratives.measure(code)
        if item is None:
            findings.append(Finding("narrative_missing_row", sheet, "", code, params={
                "level": LEVEL_MEASURE, "code": code, "name": m["name"] or ""}))
            continue
        department = item.department or "・".join(m["departments"]) or NO_DEPARTMENT
        for key in ("description",) + YEARLY_TEXTS:
            if not item.text(key):
                findings.append(Finding("narrative_missing_text", sheet, item.cells.get(key, ""), None,
                                        row=item.row, params={"level": LEVEL_MEASURE, "code": code,
                                                              "name": item.name or m["name"] or "",
                                                              "field": HEADERS[key], "department": department}))
    for (level, code), item in narratives.items.items():
        known = measures if level == LEVEL_MEASURE else policies
        if code not in known:
            findings.append(Finding("narrative_unknown_code", sheet, item.cells.get("code", ""), code,
                                    row=item.row, params={"level": level}))
    return findings


def missing_by_department(findings) -> dict[str, list[Finding]]:
    """The missing-text findings grouped by department (for the 照会 back to each 担当課)."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        if f.code == "narrative_missing_text":
            out.setdefault(f.params.get("department") or NO_DEPARTMENT, []).append(f)
    return out
