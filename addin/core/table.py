"""Turn 2-D blocks of cell values (as any adapter reads them, in one call) into settings and KPI records.

Block convention: ``block[0][0]`` is cell A1; rows may be ragged.  ``percent_cells`` holds the (row, col)
positions (1-based) of numeric cells shown with a % number format, when the adapter knows them.
"""
from __future__ import annotations

import unicodedata

from . import layout
from .findings import Finding
from .model import Kpi, Settings, a1
from .ownership import adopt_template_columns
from .values import era_label, fiscal_span, fiscal_year, parse_entry


def _text(v) -> str:
    """A text cell as typed (only surrounding blanks removed): names are shown exactly as the clerk wrote them."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _code(v) -> str:
    """A code or choice cell, normalised (全角 → 半角) so that １ and 1 are the same code."""
    return unicodedata.normalize("NFKC", _text(v)).strip()


def _cell(block, r, c):
    """Value at 1-based row r, column c of a ragged block."""
    if r - 1 < len(block):
        row = block[r - 1]
        if c - 1 < len(row):
            return row[c - 1]
    return None


def read_settings(block, sheet=layout.SHEET_SETTINGS) -> tuple[Settings, list[Finding]]:
    """Settings from the label/value pairs of the settings sheet (labels in column A, values in B)."""
    s = Settings()
    findings: list[Finding] = []
    for r, row in enumerate(block, start=1):
        if not row:
            continue
        label = layout.normalise_header(row[0])
        key = next((k for lbl, k in layout.SETTINGS_LABELS.items() if layout.normalise_header(lbl) == label), None)
        if key is None:
            continue
        value = row[1] if len(row) > 1 else None
        s.cells[key] = a1(r, 2)
        if value is None or _text(value) == "":
            continue
        if key in ("plan_start", "plan_end", "evaluation_year"):
            y = fiscal_year(value if not isinstance(value, str) else _text(value))
            if y is None:
                findings.append(Finding("settings_invalid", sheet, a1(r, 2), value, params={
                    "field": layout.SETTINGS_KEYS[[k for k, *_ in layout.SETTINGS_KEYS].index(key)][1],
                    "hint": "R4、2022、令和4年度のように年度を入力してください。"}))
            else:
                setattr(s, key, y)
        elif key in ("letter_thresholds", "pace_thresholds"):
            try:
                nums = tuple(float(x) / 100 for x in _text(value).replace("%", "").replace("、", ",").split(","))
                setattr(s, key, nums)
            except ValueError:
                findings.append(Finding("settings_invalid", sheet, a1(r, 2), value, params={
                    "field": label, "hint": "100,80,50 のように%の数値をカンマ区切りで入力してください。"}))
        else:
            setattr(s, key, _text(value))
    return s, findings


HEADER_SCAN_ROWS = 30


def find_header(block) -> int | None:
    """Row number of the KPI table's header: the first row naming KPI名 and at least two other known columns."""
    for r, row in enumerate(block[:HEADER_SCAN_ROWS], start=1):
        keys = {col.key for v in row if (col := layout.column_for_header(v))}
        if "name" in keys and len(keys) >= 3:
            return r
    return None


def _header_candidate(block) -> int | None:
    """A row that looks like the header although KPI名 is missing (three or more known columns or year columns)."""
    for r, row in enumerate(block[:HEADER_SCAN_ROWS], start=1):
        n = sum(1 for v in row if layout.column_for_header(v) or layout.actual_year_of_header(v)
                or layout.target_year_of_header(v))
        if n >= 3:
            return r
    return None


def map_columns(header_row, target_cols: dict[int, int] | None = None) -> tuple[dict[str, int], dict[int, int]]:
    """Field key → column of each input field, and fiscal year → column of each yearly actual (and, into
    ``target_cols`` when given, fiscal year → column of each yearly target 目標値 R3).

    A header equal to one of the tool's computed columns (評価, 進捗率, 検証 …) is not mapped: which columns the tool
    owns is decided by its markers only (core.ownership); such a column is the clerk's."""
    cols: dict[str, int] = {}
    actual_cols: dict[int, int] = {}
    for c, v in enumerate(header_row, start=1):
        col = layout.column_for_header(v)
        if col is not None:
            if not col.computed:
                cols.setdefault(col.key, c)
            continue
        y = layout.actual_year_of_header(v)
        if y is not None:
            actual_cols.setdefault(y, c)
            continue
        y = layout.target_year_of_header(v)
        if y is not None and target_cols is not None:
            target_cols.setdefault(y, c)
    return cols, actual_cols


# the columns a KPI table cannot do without: (what is missing, is it there?)
REQUIRED = (
    ("KPI名", lambda cols, act, tgt: "name" in cols),
    ("重点戦略", lambda cols, act, tgt: "goal_code" in cols),
    ("目標値", lambda cols, act, tgt: "target" in cols or bool(tgt)),
    ("実績値（年度ごとの列）", lambda cols, act, tgt: bool(act)),
)
# per-KPI findings that only repeat a missing column (reported once for the table instead)
MISSING_COLUMN_CODES = {"KPI名": "missing_name", "重点戦略": "missing_goal", "目標値": "missing_target",
                        "実績値（年度ごとの列）": "missing_actual"}


def _understood_names() -> str:
    parts = []
    for key, label in (("name", "KPI名"), ("goal_code", "重点戦略"), ("target", "目標値")):
        col = next(c for c in layout.INPUT_COLUMNS if c.key == key)
        parts.append(f"{label}（{'・'.join((col.header,) + col.aliases)}）")
    parts.append("実績値（実績値 R4・R4実績 など年度ごとの列）")
    return "、".join(parts)


def table_findings(block, header: int, cols, actual_cols, target_cols, settings=None,
                   sheet=layout.SHEET_KPI) -> tuple[list[Finding], set[str]]:
    """Findings about the table as a whole, once each: required columns missing (with the headers found and the
    names that would be understood, at the header row), yearly columns outside the plan period.  Also returns
    the codes of per-KPI findings that only repeat a missing column."""
    findings: list[Finding] = []
    missing = [label for label, present in REQUIRED if not present(cols, actual_cols, target_cols)]
    if missing:
        found = [_text(v) for v in block[header - 1] if _text(v)]
        findings.append(Finding("required_columns", sheet, a1(header, 1), row=header, params={
            "missing": "・".join(missing), "row": header, "found": "、".join(found) or "（なし）",
            "understood": _understood_names()}))
    start = getattr(settings, "plan_start", None)
    end = getattr(settings, "plan_end", None)
    if start and end:
        for kind, years in (("実績値", actual_cols), ("目標値", target_cols)):
            for y, c in sorted(years.items()):
                if not start <= y <= end:
                    findings.append(Finding("year_outside_plan", sheet, a1(header, c), block[header - 1][c - 1],
                                            row=header, params={"year": era_label(y), "kind": kind,
                                                                "start": era_label(start), "end": era_label(end)}))
    return findings, {MISSING_COLUMN_CODES[m] for m in missing}


_CODE_FIELDS = ("kpi_id", "goal_code", "policy_code", "measure_code")
_TEXT_FIELDS = ("goal_name", "policy_name", "measure_name", "department", "notes", "status_override")


def read_kpis(block, sheet=layout.SHEET_KPI, percent_cells=frozenset(), markers: dict[str, int] | None = None,
              settings=None) -> tuple[list[Kpi], list[Finding], dict]:
    """KPI records from the KPI sheet's block.  Also returns the table geometry (header row, columns).

    ``markers`` are the tool's marked computed columns (key → column, core.ownership); without any, the
    template's own computed band is adopted (migration of unmarked workbooks)."""
    findings: list[Finding] = []
    header = find_header(block)
    if header is None:
        header = _header_candidate(block)
        if header is None:
            return [], [Finding("header_not_found", sheet, "", params={"sheet": sheet, "rows": HEADER_SCAN_ROWS,
                                                                     "understood": _understood_names()})], {}
    target_cols: dict[int, int] = {}
    cols, actual_cols = map_columns(block[header - 1], target_cols)
    f, repeated = table_findings(block, header, cols, actual_cols, target_cols, settings, sheet)
    findings.extend(f)
    computed = dict(markers) if markers else adopt_template_columns(
        block, header, set(cols.values()) | set(actual_cols.values()) | set(target_cols.values()))
    cols.update(computed)
    geometry = {"header_row": header, "columns": cols, "actual_columns": actual_cols, "target_columns": target_cols,
                "marked": bool(markers), "repeated_codes": repeated}
    input_cols = ([cols[c.key] for c in layout.INPUT_COLUMNS if c.key in cols] + list(actual_cols.values())
                  + list(target_cols.values()))
    input_fields = {k: c for k, c in cols.items() if not layout.is_computed(k)}
    kpis: list[Kpi] = []
    for r in range(header + 1, len(block) + 1):
        raw = {k: _cell(block, r, c) for k, c in input_fields.items()}
        has_input = any(_text(_cell(block, r, c)) for c in input_cols)
        if not has_input:
            continue
        name = _text(raw.get("name"))
        if not name:
            if "name" in cols:  # without a KPI名 column the table finding says it once
                findings.append(Finding("missing_name", sheet, a1(r, cols["name"]), row=r))
            continue
        k = Kpi(row=r, name=name)
        k.raw = dict(raw)
        k.cells = {key: a1(r, c) for key, c in cols.items()}
        for key in _CODE_FIELDS:
            setattr(k, key, _code(raw.get(key)))
        for key in _TEXT_FIELDS:
            setattr(k, key, _text(raw.get(key)))
        k.unit = _text(raw.get("unit"))
        pct = lambda key: (r, cols.get(key)) in percent_cells  # noqa: E731
        k.baseline = parse_entry(raw.get("baseline"), k.unit, percent_format=pct("baseline"))
        k.target = parse_entry(raw.get("target"), k.unit, percent_format=pct("target"))
        for y, c in sorted(actual_cols.items()):
            v = _cell(block, r, c)
            k.raw[f"actual_{y}"] = v
            k.cells[f"actual_{y}"] = a1(r, c)
            k.actuals[y] = parse_entry(v, k.unit, percent_format=(r, c) in percent_cells)
        for y, c in sorted(target_cols.items()):
            v = _cell(block, r, c)
            k.raw[f"target_{y}"] = v
            k.cells[f"target_{y}"] = a1(r, c)
            k.targets[y] = parse_entry(v, k.unit, percent_format=(r, c) in percent_cells)
        for key in ("baseline_year", "target_year"):
            v = raw.get(key)
            if _text(v):
                # a year (R4) or a period (R3～R7: its last year, the first kept in *_period_start)
                span = fiscal_span(v if not isinstance(v, str) else _text(v))
                if span is None:
                    findings.append(Finding("bad_year", sheet, k.cells[key], v, name, row=r))
                setattr(k, key, span[1] if span else None)
                if span and span[0] != span[1]:
                    setattr(k, key.replace("_year", "_period_start"), span[0])
        _coded(k, raw, "direction", layout.DIRECTIONS, findings, sheet, extra={"up": "up", "down": "down",
                                                                              "keep": "keep"})
        _coded(k, raw, "formula", layout.FORMULAS, findings, sheet, extra={"ratio": "ratio",
                                                                          "difference": "difference"})
        _coded(k, raw, "aggregation", layout.AGGREGATIONS, findings, sheet)
        _coded(k, raw, "kind", layout.KPI_KINDS, findings, sheet)
        cum = _code(raw.get("cumulative"))
        if cum and cum not in layout.YES and cum not in ("×", "いいえ", "0", "FALSE", "false", "-"):
            findings.append(Finding("unknown_code", sheet, k.cells["cumulative"], raw.get("cumulative"), name, row=r,
                                    params={"field": "累計", "choices": "○ または空欄"}))
        k.cumulative = cum in layout.YES
        pp = raw.get("published_progress")
        if _text(pp):
            e = parse_entry(pp, "%", percent_format=pct("published_progress"))
            if e.value is not None:
                # typed as 70.7% (text) or as 0.707 in a % cell → fraction
                k.published_progress = e.value / 100 if (e.percent_sign or isinstance(pp, str)) else e.value
        kpis.append(k)
    if not kpis and "name" in cols:
        # nothing typed yet (a new template): information; rows typed without any KPI名: no KPI could be read
        if any(fi.code == "missing_name" for fi in findings):
            findings.append(Finding("no_kpis", sheet, a1(header, cols["name"]), row=header, params={"sheet": sheet}))
        else:
            findings.append(Finding("empty_table", sheet, a1(header, 1), row=header, params={"row": header}))
    return kpis, findings, geometry


def _coded(k: Kpi, raw, key, mapping, findings, sheet, extra=None):
    v = _code(raw.get(key))
    if not v:
        return
    allowed = dict(mapping)
    allowed.update(extra or {})
    if v in allowed:
        setattr(k, key, allowed[v])
        return
    label = next(c.header for c in layout.INPUT_COLUMNS if c.key == key)
    k.raw.setdefault("_bad_codes", []).append(key)
    findings.append(Finding("unknown_code", sheet, k.cells[key], raw.get(key), k.name, row=k.row,
                            params={"field": label, "choices": "・".join(mapping)}))
