"""Collecting the figures from the departments (照会・回答): split the master into one workbook per 担当課 and
merge the answers back.  Plain data and decisions only (standard library); the adapters read and write.

What ties a returned row to the master is an *identity* written into a hidden sheet of each department file:
the master's identity (municipality, plan, evaluation year and a hash of its KPI list), the department, and per
row the row key (KPI番号, or the codes and KPI名 when there is no number), a SHA-256 of the master row's other
cells as sent, the master's input values as sent, and the department row exactly as sent.  Merging compares
the returned file and the master of today against these, so every conflict is found and named:

* a cell outside the input area of the returned file differs from what was sent (protection removed or not);
* the master row changed after the split (its hash differs), or its input cell holds neither the value sent
  nor the department's answer (typed by hand meanwhile, or an earlier answer that differs);
* the KPI is gone from the master (deleted, or its key renamed);
* the file belongs to another evaluation year or another master.

Merging the same answers twice changes nothing: an answer already in the master is recognised as such.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field

from . import layout
from . import narrative as N
from .findings import ERROR, WARNING, Finding
from .model import Kpi, Settings, a1
from .render import SheetPlan, row_height
from .values import era_label

FORMAT = "kpi-collect/1"
SHEET_INSTRUCTIONS = "記入方法"
SHEET_IDENTITY = "_kpi_identity"            # very hidden in each department file
SHEET_COLLECTION = "回収状況"
COLLECTION_MARKER = "_kpi_sheet_collection"  # hidden defined name → '回収状況'!$A$1: the tool owns that sheet
# the 施策 sheet (core.narrative, one row per 戦略方針 and 具体的施策) goes out when the master has one: the
# departments write its yearly texts
MEASURE_TEXTS = tuple(N.HEADERS[k] for k in N.YEARLY_TEXTS)   # 現状・取組内容・評価・課題・方向性
INPUT_FILL = "FFF2CC"
DEPARTMENT_FILE_HEADER_ROW = layout.HEADER_ROW


def _norm(v):
    """A cell value in a form both adapters agree on (Excel hands every number over as a float)."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, str):
        return v if v != "" else None
    return v


def digest(values) -> str:
    """SHA-256 of a list of cell values (normalised, as JSON)."""
    text = json.dumps([_norm(v) for v in values], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cell(block, r, c):
    if 1 <= r <= len(block) and 1 <= c <= len(block[r - 1]):
        return block[r - 1][c - 1]
    return None


def _text(v) -> str:
    v = _norm(v)
    return "" if v is None else str(v).strip()


def row_key(k: Kpi) -> str:
    """What identifies a KPI row in the master: its KPI番号, else its codes and name."""
    if k.kpi_id:
        return k.kpi_id
    return "/".join((k.goal_code, k.policy_code, k.measure_code, k.name))


def master_identity(settings: Settings, kpis: list[Kpi]) -> dict:
    """Municipality, plan, evaluation year and a hash of the KPI list: what a department file belongs to."""
    kpis_hash = digest([f"{row_key(k)}\t{k.name}" for k in kpis])
    ident = {"municipality": settings.municipality, "plan_name": settings.plan_name,
             "evaluation_year": settings.evaluation_year, "kpis_hash": kpis_hash}
    ident["master_id"] = digest([ident["municipality"], ident["plan_name"], ident["evaluation_year"],
                                 kpis_hash])[:16]
    return ident


def master_label(ident: dict) -> str:
    return "・".join(x for x in (ident.get("municipality"), ident.get("plan_name")) if x) or "（名称なし）"


_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.I)


def safe_filename(text: str, limit: int = 60) -> str:
    """A file name part that Windows accepts (Japanese kept): no \\/:*?"<>| or control characters, no
    trailing dot or blank, not a reserved device name, at most ``limit`` characters."""
    t = unicodedata.normalize("NFC", text)
    t = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", t).strip().rstrip(". ")
    t = t[:limit].rstrip(". ") or "_"
    return "_" + t if _RESERVED.match(t) else t


def department_filename(department: str, year: int | None, taken: set[str]) -> str:
    base = f"照会_{safe_filename(department)}_{era_label(year)}"
    name, n = base + ".xlsx", 2
    while name.lower() in taken:
        name, n = f"{base}_{n}.xlsx", n + 1
    taken.add(name.lower())
    return name


# ---------------------------------------------------------------------------------------------- tables
@dataclass
class Table:
    """A sheet sent to the departments: which master columns go out, which of them are the inputs."""
    sheet: str                   # name in the master and in the department file
    header_row: int              # in the master
    columns: list[int]           # master columns sent, in order (department column i+1 = columns[i])
    headers: list               # header texts of those columns
    inputs: list[int]            # master columns that are input cells (a subset of columns)

    @property
    def hash_columns(self) -> list[int]:
        return [c for c in self.columns if c not in self.inputs]


@dataclass
class RowOut:
    key: str
    name: str
    department: str
    master_row: int


def kpi_table(geometry: dict, eval_year: int) -> Table:
    """The KPI sheet as sent: every input column (earlier years' actuals for reference, no later years), the
    evaluation year's actual and 備考 as the inputs.  Computed columns stay at home."""
    cols = geometry["columns"]
    actual = geometry.get("actual_columns", {})
    sent = [c for k, c in cols.items() if not layout.is_computed(k)]
    sent += [c for y, c in actual.items() if y <= eval_year]
    sent += list(geometry.get("target_columns", {}).values())
    inputs = [actual[eval_year]] + ([cols["notes"]] if "notes" in cols else [])
    return Table(layout.SHEET_KPI, geometry["header_row"], sorted(set(sent)), [], inputs)


def measures_table(block) -> Table | None:
    """The 施策 sheet as sent, when the master has one with a yearly text column: its header found as the report
    finds it (core.narrative), every headed column sent, the yearly texts as the inputs."""
    header_row, cols = N.header_map(block)
    texts = sorted(cols[k] for k in N.YEARLY_TEXTS if k in cols)
    if not header_row or not texts:
        return None
    sent = [c for c, v in enumerate(block[header_row - 1], start=1) if _text(v)]
    return Table(N.SHEET_MEASURES, header_row, sent, [], texts)


def measure_key(code: str) -> str:
    """The row key of a 具体的施策 of the 施策 sheet (beside the KPI番号 of the KPI sheet)."""
    return f"施策:{code}"


def measure_items(block) -> list[N.Item]:
    """The 具体的施策 rows of the 施策 sheet, read by the report's rule (core.narrative: 区分, or a 番号 like
    1-1-1; a repeated 番号 is read once).  Rows it cannot place are reported by kpi validate, not here."""
    narratives, _ = N.read_narratives(block)
    return [item for item in narratives.items.values() if item.level == N.LEVEL_MEASURE]


def measure_rows(block, table: Table, kpis: list[Kpi], findings: list[Finding]) -> list[RowOut]:
    """The 具体的施策 rows of the 施策 sheet with the department answering them: the row's own 担当課, else the
    one department of its KPIs.  Measures with neither (no KPI with a 担当課, or KPIs of several departments)
    are reported together, once."""
    by_measure: dict[str, list[str]] = {}
    for k in kpis:
        if k.measure_code and k.department and k.department not in by_measure.setdefault(k.measure_code, []):
            by_measure[k.measure_code].append(k.department)
    out, unassigned = [], []
    for item in measure_items(block):
        dept = item.department
        if not dept:
            candidates = by_measure.get(item.code, [])
            if len(candidates) != 1:
                unassigned.append((item, candidates))
                continue
            dept = candidates[0]
        out.append(RowOut(measure_key(item.code), item.name or item.code, dept, item.row))
    if unassigned:
        first = unassigned[0][0]
        rows = "、".join(f"施策 {item.code}：" + (f"担当課が複数（{'・'.join(c)}）" if c else "KPIの担当課も空欄")
                        for item, c in unassigned[:10]) + ("ほか" if len(unassigned) > 10 else "")
        findings.append(Finding("collect_measure_no_department", N.SHEET_MEASURES,
                                first.cells.get("department") or first.cells.get("code", ""), row=first.row,
                                params={"count": len(unassigned), "rows": rows}))
    return out


def kpi_rows(kpis: list[Kpi], findings: list[Finding]) -> list[RowOut]:
    """Every KPI with its department; KPIs without one are reported once, not silently dropped."""
    out, missing = [], []
    for k in kpis:
        if k.department:
            out.append(RowOut(row_key(k), k.name, k.department, k.row))
        else:
            missing.append(k)
    if missing:
        rows = "、".join(f"{k.row}行目「{k.name}」" for k in missing[:10]) + ("ほか" if len(missing) > 10 else "")
        findings.append(Finding("collect_no_department", layout.SHEET_KPI, missing[0].cells.get("department", ""),
                                row=missing[0].row, params={"count": len(missing), "rows": rows}))
    return out


# ---------------------------------------------------------------------------------------------- split
@dataclass
class DepartmentFile:
    """One department's workbook, as data: the adapters render it."""
    department: str
    filename: str
    tables: list[dict]          # per table: sheet, header_row (dept), headers, rows (values), inputs (dept cols)
    identity: dict              # everything the merge needs (JSON-able)
    settings_rows: list[tuple[str, object]]
    instructions: list[tuple[str, str]]   # (style, text)
    percent_cells: dict[str, set[tuple[int, int]]] = field(default_factory=dict)


def department_table(block, percent, table: Table, rows: list[RowOut], first_row: int) -> tuple[dict, list[dict]]:
    """The department's copy of one table (values as in the master) and the identity of each row."""
    hr = first_row - 1
    headers = [_cell(block, table.header_row, c) for c in table.columns]
    inputs = [table.columns.index(c) + 1 for c in table.inputs]
    values, pct, ident_rows = [], set(), []
    for i, ro in enumerate(rows):
        r = first_row + i
        vals = [_norm(_cell(block, ro.master_row, c)) for c in table.columns]
        values.append(vals)
        for j, c in enumerate(table.columns, start=1):
            if (ro.master_row, c) in percent:
                pct.add((r, j))
        ident_rows.append({
            "key": ro.key, "name": ro.name, "row": r, "master_row": ro.master_row,
            "master_hash": digest([_cell(block, ro.master_row, c) for c in table.hash_columns]),
            "master_inputs": [_norm(_cell(block, ro.master_row, c)) for c in table.inputs],
            "sent": vals,
        })
    out = {"sheet": table.sheet, "header_row": hr, "headers": headers, "rows": values, "inputs": inputs,
           "percent": pct}
    meta = {"sheet": table.sheet, "header_row": hr, "headers": [_norm(h) for h in headers], "inputs": inputs,
            "hash_headers": [_norm(_cell(block, table.header_row, c)) for c in table.hash_columns],
            "input_headers": [_norm(_cell(block, table.header_row, c)) for c in table.inputs]}
    return out, [dict(meta, **{"rows": ident_rows})]


# ---------------------------------------------------------------------------------------------- merge
@dataclass
class MasterTable:
    """A table of the master as it is today: its block and where its headers are."""
    sheet: str
    block: list[list]
    header_row: int
    rows_by_key: dict[str, int]
    percent: set = field(default_factory=set)

    def column_of(self, header) -> int | None:
        want = layout.normalise_header(header)
        for c, v in enumerate(self.block[self.header_row - 1] if self.header_row else [], start=1):
            if layout.normalise_header(v) == want and want:
                return c
        return None


@dataclass
class Reply:
    """A returned department file as read by an adapter."""
    path: str
    label: str                              # file name as shown in findings
    identity: dict | None
    blocks: dict[str, list[list]]           # sheet → values
    percent: dict[str, set]                 # sheet → numeric cells shown as %
    formats: dict[tuple[str, int, int], str]  # (sheet, row, col) → number format of input cells
    validation: list[Finding]               # the validator's findings on the reply (sheet names as in the file)


@dataclass
class Outcome:
    """What the merge of one reply decided."""
    reply: Reply
    department: str = ""
    writes: dict[tuple[str, int, int], object] = field(default_factory=dict)
    formats: dict[tuple[str, int, int], str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    sent: int = 0            # KPI rows sent
    answered: int = 0        # KPI rows whose answer is in the master (written now or before)
    already: int = 0         # rows whose answer was already in the master
    refused: int = 0         # rows not taken because of a finding
    accepted_file: bool = True

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)


def where(label: str, sheet: str) -> str:
    """Excel's own notation for a sheet of another workbook: [回答.xlsx]KPI (followed by !N7)."""
    return f"[{label}]{sheet}"


def merge_reply(reply: Reply, masters: dict[str, MasterTable], ident_now: dict,
                master_format=lambda sheet, r, c: None) -> Outcome:
    """Decide what of one reply goes into the master.  Pure: returns writes and findings, writes nothing."""
    out = Outcome(reply)
    here = lambda sheet: where(reply.label, sheet)  # noqa: E731
    ident = reply.identity
    if not ident or ident.get("format") != FORMAT:
        out.findings.append(Finding("collect_not_a_reply", here(SHEET_IDENTITY), ""))
        out.accepted_file = False
        return out
    out.department = ident.get("department", "")
    if ident.get("evaluation_year") != ident_now.get("evaluation_year"):
        out.findings.append(Finding("collect_other_year", here(layout.SHEET_KPI), "", params={
            "file_year": _year(ident.get("evaluation_year")), "year": _year(ident_now.get("evaluation_year"))}))
        out.accepted_file = False
        return out
    same_master = (ident.get("municipality"), ident.get("plan_name")) == (
        ident_now.get("municipality"), ident_now.get("plan_name"))
    known = sum(1 for t in ident["tables"] for r in t["rows"]
                if t["sheet"] in masters and r["key"] in masters[t["sheet"]].rows_by_key)
    if not same_master or not known:
        out.findings.append(Finding("collect_other_master", here(layout.SHEET_KPI), "", params={
            "file_master": master_label(ident), "master": master_label(ident_now)}))
        out.accepted_file = False
        return out
    # the frame: the header rows of every table as sent
    for t in ident["tables"]:
        block = reply.blocks.get(t["sheet"])
        got = [_norm(_cell(block or [], t["header_row"], c)) for c in range(1, len(t["headers"]) + 1)]
        if block is None or got != t["headers"]:
            cells = [a1(t["header_row"], c) for c, (a, b) in enumerate(zip(got, t["headers"]), start=1) if a != b]
            out.findings.append(Finding("collect_frame_changed", here(t["sheet"]), cells[0] if cells else "",
                                        params={"cells": " ".join(cells) or t["sheet"]}))
            out.accepted_file = False
    if not out.accepted_file:
        return out
    bad_cells = {}  # (sheet, cell) → findings of the validator on an input cell
    for f in reply.validation:
        bad_cells.setdefault((f.sheet, f.cell), []).append(f)
    for t in ident["tables"]:
        _merge_table(out, t, reply, masters.get(t["sheet"]), bad_cells, master_format, here)
    return out


def _year(y) -> str:
    return f"{era_label(y)}（{y}年度）" if isinstance(y, int) else "不明"


@dataclass
class _Ctx:
    """One table of one reply against the master of today."""
    out: Outcome
    t: dict
    reply: Reply
    master: MasterTable | None
    bad_cells: dict
    master_format: object
    here: object

    @property
    def sheet(self) -> str:
        return self.t["sheet"]

    @property
    def block(self) -> list[list]:
        return self.reply.blocks[self.sheet]

    @property
    def is_kpi(self) -> bool:
        return self.sheet == layout.SHEET_KPI

    def master_cols(self, headers) -> list[int | None]:
        return [self.master.column_of(h) for h in headers] if self.master else []


def _merge_table(out: Outcome, t: dict, reply: Reply, master: MasterTable | None, bad_cells, master_format, here):
    """Each row of one table: the first check that fails refuses the row (with its finding); a row that passes
    them all has its changed input cells written."""
    x = _Ctx(out, t, reply, master, bad_cells, master_format, here)
    hash_cols, input_cols = x.master_cols(t["hash_headers"]), x.master_cols(t["input_headers"])
    _extra_rows(x)
    for r in t["rows"]:
        out.sent += x.is_kpi
        width = max(len(r["sent"]), len(x.block[r["row"] - 1]) if r["row"] <= len(x.block) else 0)
        got = [_norm(_cell(x.block, r["row"], c)) for c in range(1, width + 1)]
        answer = [got[c - 1] for c in t["inputs"]]
        problems = _locked_changes(x, r, got)
        if not problems:
            problems = _entry_problems(x, r)      # warnings do not stop the row; the master is checked still
            if not _refused(problems):
                problems += _master_conflicts(x, r, hash_cols, input_cols, answer)
        out.findings.extend(problems)
        if _refused(problems):
            out.refused += 1
            continue
        mrow = master.rows_by_key[r["key"]]
        now = [_norm(_cell(master.block, mrow, c)) for c in input_cols]
        if now == answer and answer != r["master_inputs"]:
            out.already += 1
        for c_dept, c_master, a, n in zip(t["inputs"], input_cols, answer, now):
            if a != n:
                _write(x, r["row"], c_dept, mrow, c_master, a)
        out.answered += bool(x.is_kpi and answer[0] is not None)
    if x.is_kpi:
        for r in t["rows"]:
            if _norm(_cell(x.block, r["row"], t["inputs"][0])) is None:
                out.findings.append(Finding("collect_unanswered", here(x.sheet), a1(r["row"], t["inputs"][0]), None,
                                            r["name"], row=r["row"], params={"name": r["name"]}))


# an empty input cell is 未回答 (counted apart), never a refused row: the validator's "no actual" and the
# 施策 sheet's "no yearly text" (the report issue's check, once it lands)
EMPTY_ANSWER_CODES = ("missing_actual", "narrative_missing_text")


def _refused(findings) -> bool:
    return any(f.severity == ERROR for f in findings)


def _locked_changes(x: _Ctx, r: dict, got: list) -> list[Finding]:
    """Cells outside the input area that differ from what was sent (protection removed or not)."""
    return [Finding("collect_locked_changed", x.here(x.sheet), a1(r["row"], c), g, r["name"], row=r["row"],
                    params={"sent": "" if s is None else s})
            for c, (s, g) in enumerate(zip(r["sent"] + [None] * (len(got) - len(r["sent"])), got), start=1)
            if c not in x.t["inputs"] and s != g]


def _extra_rows(x: _Ctx):
    """Rows the department added below or between the rows sent (protection removed): reported, never read."""
    sent = {r["row"] for r in x.t["rows"]}
    for row in range(x.t["header_row"] + 1, len(x.block) + 1):
        if row in sent:
            continue
        filled = [(c, v) for c, v in enumerate(x.block[row - 1], start=1) if _norm(v) is not None]
        if filled:
            c, v = filled[0]
            x.out.findings.append(Finding("collect_locked_changed", x.here(x.sheet), a1(row, c), v, "", row=row,
                                          params={"sent": "（照会時は空欄の行）"}))


def _entry_problems(x: _Ctx, r: dict) -> list[Finding]:
    """The validator's errors and warnings on the row's input cells, with the reply's file and cell; an error
    refuses the row.  (An empty answer is 未回答, counted apart.)"""
    found = [f for c in x.t["inputs"] for f in x.bad_cells.get((x.sheet, a1(r["row"], c)), [])
             if f.code not in EMPTY_ANSWER_CODES and (f.severity in (ERROR, WARNING) or f.code == "actual_marker")]
    out = [Finding(f.code, x.here(x.sheet), f.cell, f.entry, f.kpi, row=r["row"], params=f.params) for f in found]
    if any(f.severity == ERROR for f in found):
        out.append(Finding("collect_rejected_entry", x.here(x.sheet), a1(r["row"], x.t["inputs"][0]), None,
                           r["name"], row=r["row"]))
    return out


def _master_conflicts(x: _Ctx, r: dict, hash_cols, input_cols, answer) -> list[Finding]:
    """The master row of today against the one sent: gone, edited, or its input cells changed meanwhile (to
    something other than this very answer, which makes merging the same answers twice a no-op)."""
    m = x.master
    mrow = m.rows_by_key.get(r["key"]) if m else None
    if mrow is None:
        return [Finding("collect_kpi_missing", x.here(x.sheet), a1(r["row"], 1), None, r["name"], row=r["row"],
                        params={"key": r["key"]})]
    if None in hash_cols or None in input_cols or digest(
            [_cell(m.block, mrow, c) for c in hash_cols]) != r["master_hash"]:
        cells = [a1(mrow, c) for c, s in zip(hash_cols, _sent_hash_values(r, x.t))
                 if c is not None and _norm(_cell(m.block, mrow, c)) != s]
        return [Finding("collect_master_changed", m.sheet, cells[0] if cells else a1(mrow, 1), None, r["name"],
                        row=mrow, params={"cells": " ".join(cells) or f"{mrow}行目"})]
    now = [_norm(_cell(m.block, mrow, c)) for c in input_cols]
    if now != answer and now != r["master_inputs"]:
        diff = [(c, n, a) for c, n, a in zip(input_cols, now, answer) if n != a]
        return [Finding("collect_master_input_changed", m.sheet, a1(mrow, diff[0][0]), diff[0][1], r["name"],
                        row=mrow, params={"cells": " ".join(a1(mrow, c) for c, *_ in diff),
                                          "answer": "" if diff[0][2] is None else diff[0][2]})]
    return []


def _write(x: _Ctx, row: int, c_dept: int, mrow: int, c_master: int, a):
    """One answer cell into the master, as typed; with the reply cell's number format when the % meaning of a
    number differs between the two cells (66.5% typed in Excel arrives as 0.665 shown as %)."""
    key = (x.master.sheet, mrow, c_master)
    x.out.writes[key] = _raw(_cell(x.block, row, c_dept))
    if isinstance(a, (int, float)) and not isinstance(a, bool):
        answer_pct = (row, c_dept) in x.reply.percent.get(x.sheet, set())
        master_pct = "%" in (x.master_format(*key) or "")
        if answer_pct != master_pct:
            x.out.formats[key] = x.reply.formats.get((x.sheet, row, c_dept)) or "General"


def _raw(v):
    """The answer as the department typed it (Excel's integral floats back to int)."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _sent_hash_values(r: dict, t: dict) -> list:
    """The master's non-input cells as sent, in hash order (the department row holds them as sent)."""
    by_header = dict(zip(t["headers"], r["sent"]))
    return [by_header.get(h) for h in t["hash_headers"]]


# ---------------------------------------------------------------------------------------------- 回収状況
COLLECTION_HEADERS = ("担当課", "照会KPI数", "状態", "回答KPI数", "未回答", "エラー", "最終取り込み", "ファイル")
TOTAL_LABEL = "合計"
STATUS_NONE, STATUS_PART, STATUS_DONE, STATUS_REFUSED = "未回収", "一部回収", "回収済", "取り込めず"


FINDING_HEADERS = ("担当課", "重要度", "ファイル・シート", "セル", "KPI名", "入力", "内容")
UNKNOWN_DEPARTMENT = "（不明）"


def previous_collection(block) -> tuple[dict[str, dict], list[list]]:
    """What the tool wrote last time on the 回収状況 sheet, read back by its own headers: department → its row,
    and the problems listed per department (rows of FINDING_HEADERS)."""
    rows: dict[str, dict] = {}
    problems: list[list] = []
    n, m = len(COLLECTION_HEADERS), len(FINDING_HEADERS)
    r = 0
    while r < len(block):
        head = [_text(v) for v in block[r]]
        if head[:n] == list(COLLECTION_HEADERS):
            for rr in block[r + 1:]:
                vals = dict(zip(COLLECTION_HEADERS, [_norm(v) for v in rr[:n]]))
                dept = _text(vals.get("担当課"))
                if not dept or dept == TOTAL_LABEL:
                    break
                rows[dept] = vals
        elif head[:m] == list(FINDING_HEADERS):
            for rr in block[r + 1:]:
                vals = [_norm(v) for v in rr[:m]] + [None] * (m - len(rr[:m]))
                if not _text(vals[0]) or not _text(vals[1]):
                    break
                problems.append(vals)
        r += 1
    return rows, problems


def problem_rows(outcomes: list[Outcome], previous: list[list]) -> list[list]:
    """The errors and warnings per department: this call's for the departments it brought, the last recorded
    ones for the others (so the list always shows what is left to do, department by department)."""
    fresh = {o.department or UNKNOWN_DEPARTMENT for o in outcomes}
    out = [row for row in previous if row[0] not in fresh and row[0] != UNKNOWN_DEPARTMENT]
    for o in outcomes:
        for f in o.findings:
            if f.severity in (ERROR, WARNING):
                out.append([o.department or UNKNOWN_DEPARTMENT, str(f.severity), f.sheet, f.cell or None, f.kpi or None,
                            None if f.entry is None else str(_norm(f.entry)), f.message])
    return out


def collection_rows(departments: dict[str, int], previous: dict[str, dict], outcomes: list[Outcome],
                    when: str) -> list[dict]:
    """One row per department (sent KPIs counted in the master of today): this call's outcome where there is
    one, else the last recorded state.  A row whose outcome equals the recorded one keeps its date, so merging
    the same answers twice leaves the sheet as it was."""
    rows = []
    by_dept: dict[str, Outcome] = {}
    for o in outcomes:
        if o.department and (o.accepted_file or o.department not in by_dept):
            by_dept[o.department] = o
    for dept in list(departments) + [d for d in list(previous) + list(by_dept) if d not in departments]:
        prev = previous.get(dept)
        o = by_dept.get(dept)
        row = {"担当課": dept, "照会KPI数": departments.get(dept, 0)}
        if o is None:
            row.update({k: prev.get(k) for k in COLLECTION_HEADERS[2:]} if prev else
                       {"状態": STATUS_NONE, "回答KPI数": 0, "未回答": departments.get(dept, 0), "エラー": 0,
                        "最終取り込み": None, "ファイル": None})
        else:
            unanswered = sum(1 for f in o.findings if f.code == "collect_unanswered")
            status = (STATUS_REFUSED if not o.accepted_file else
                      STATUS_DONE if o.answered == o.sent and not o.errors else STATUS_PART)
            row.update({"状態": status, "回答KPI数": o.answered, "未回答": unanswered, "エラー": o.errors,
                        "最終取り込み": when, "ファイル": o.reply.label})
            if prev and all(prev.get(k) == row[k] for k in ("状態", "回答KPI数", "未回答", "エラー", "ファイル")):
                row["最終取り込み"] = prev.get("最終取り込み")
        rows.append(row)
    return rows


def collection_plan(rows: list[dict], problems: list[list], ident: dict) -> SheetPlan:
    """The 回収状況 sheet: per department returned or not, when, how many KPIs answered, errors left; then the
    problems still open per department, with the file and cell of each."""
    p = SheetPlan(SHEET_COLLECTION, widths={1: 18, 2: 10, 3: 24, 4: 10, 5: 24, 6: 12, 7: 60, 8: 30},
                  landscape=True)
    p.add([f"回収状況（{master_label(ident)}　{_year(ident.get('evaluation_year'))}の実績）"], "title")
    p.add(["このシートは kpi merge（リボン［回答の取り込み］）が書き込みます。編集しても次の取り込みで上書きされます。"],
          "note")
    hr = p.add(list(COLLECTION_HEADERS), "header")
    p.freeze = (hr + 1, 2)
    p.print_title_rows = (hr, hr)
    style = {STATUS_DONE: "info", STATUS_PART: "warning", STATUS_REFUSED: "error", STATUS_NONE: None}
    for row in rows:
        r = p.add([row.get(h) for h in COLLECTION_HEADERS], "cell")
        if style.get(row["状態"]):
            p.styles.append((style[row["状態"]], r, 3, r, 3))
    total = {h: sum(int(row.get(h) or 0) for row in rows) for h in ("照会KPI数", "回答KPI数", "未回答", "エラー")}
    p.add([TOTAL_LABEL, total["照会KPI数"], f"{sum(1 for r in rows if r['状態'] == STATUS_DONE)}/{len(rows)}課",
           total["回答KPI数"], total["未回答"], total["エラー"]], "total")
    p.add([])
    p.add(["残っている指摘（担当課ごとに直近の回答のもの。エラーの行は取り込んでいません）"], "subtitle")
    p.add(list(FINDING_HEADERS), "header")
    for row in problems:
        r = p.add(list(row), "text")
        p.styles.append(("error" if row[1] == str(ERROR) else "warning", r, 2, r, 2))   # the label as shown
        h = max(row_height(str(row[6] or ""), p.widths[7]) or 0, row_height(str(row[4] or ""), p.widths[5]) or 0)
        if h:
            p.heights[r] = h
    if not problems:
        p.add(["指摘はありません。"], "cell")
    return p


def departments_of(rows: list[RowOut]) -> dict[str, int]:
    """Department → number of KPI rows sent to it (in order of first appearance)."""
    out: dict[str, int] = {}
    for r in rows:
        out[r.department] = out.get(r.department, 0) + (0 if r.key.startswith(measure_key("")) else 1)
    return out
