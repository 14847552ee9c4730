"""Read a KPI table in a municipality's own layout and turn it into rows of the template format.

Pure: works on a block of cell values (``block[0][0]`` is A1) and the sheet's merged ranges, as the openpyxl
reader hands them over (addin/book/importer.py).  Steps, each a small function:

1. merged cells are filled (a goal cell merged over its rows counts for every row; a header merged over year
   columns is the parent of each);
2. the header row is found (or given by ``--header-row``); a row below it holding only years or sub-headers
   makes a two-row header;
3. every source column is mapped to a template field, a yearly column, or kept as-is in an extra column;
4. section heading rows (``重点戦略1 …``, ``【戦略方針1】…``, ``具体的施策 1-1-1 …``, ``基本目標１``, ``(1) …``) set the
   goal / policy / measure codes of the rows below; repeated header rows start a new table of the same shape;
5. every KPI row becomes a dict keyed by the template's column keys, values carried over exactly as typed.

A choice the tool cannot make from the sheet itself (two KPI-name columns, header rows of different shapes, no
plan period) raises ``ChoiceNeeded`` naming the option that settles it: nothing is guessed.  The fixed reading
rules, each stated in the mapping report when used:

- 基本目標 / 目標 is the KPI-name column when the table has no other (小美玉市, 美郷町); otherwise a goal column
  (基本目標) or the target (目標);
- a column headed only by a year (``R2``, ``2026 (R8)``) is a yearly actual, unless its parent header says 目標,
  or （上段）目標値（下段）実績値 (then the upper row is the year's target, the lower row its actual);
- a column of 年度 / 数値 labels pairs two rows into one KPI: years from the 年度 row, figures from the 数値 row;
- the footnote 「※印の進捗率は (b-a)/(c-a)」 sets 算定式 差分 for the names ending in ※; 「累計」 in a name sets 累計 ○;
- a goal printed without a number is numbered in order of appearance; a policy or measure numbered on its own
  (``(1)`` under goal 2) gets its parent's code (``2-1``), so codes stay unique across goals.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from . import layout
from .model import col_letter
from .table import _text
from .values import NUMBER, era_label, fiscal_year, parse_entry

SCAN_ROWS = 60


class ChoiceNeeded(ValueError):
    """The mapping needs a human choice; the message names the option to give."""


@dataclass
class ImportOptions:
    header_row: int | None = None
    plan: tuple[int, int] | None = None
    year: int | None = None
    municipality: str = ""
    scheme: str = ""
    name_column: str = ""                       # column letter or header text of the KPI name column
    directions: dict[str, str] = field(default_factory=dict)   # KPI name → 増加 / 減少 / 維持


@dataclass
class Mapping:
    column: str          # source column letter
    header: str          # source header text as printed (parent and child joined by " / ")
    target: str          # template header it became, or "（そのまま）<header>" for extra columns
    note: str = ""
    understood: bool = True

    def to_dict(self):
        return {"column": self.column, "header": self.header, "target": self.target, "note": self.note,
                "understood": self.understood}


@dataclass
class ImportResult:
    settings: dict
    rows: list[dict]
    actual_years: list[int]
    target_years: list[int]
    extras: list[str]                         # headers of the extra columns, in source order
    mapping: list[Mapping]
    header_rows: list[int]
    skipped_rows: list[tuple[int, str]]        # rows read past, with why
    notes: list[str]                           # rules applied (e.g. the ※ footnote)
    percent: set = field(default_factory=set)  # (row index, key) of values that were shown as %
    needs_direction: list = field(default_factory=list)   # KPI names whose direction only the clerk can give

    def to_dict(self):
        return {"header_rows": self.header_rows, "kpis": len(self.rows),
                "actual_years": [era_label(y) for y in self.actual_years],
                "target_years": [era_label(y) for y in self.target_years],
                "mapping": [m.to_dict() for m in self.mapping],
                "not_understood": [m.to_dict() for m in self.mapping if not m.understood],
                "extra_columns": self.extras, "skipped_rows": [{"row": r, "why": w} for r, w in self.skipped_rows],
                "notes": self.notes, "needs_direction": self.needs_direction, "settings": self.settings}


# ---------------------------------------------------------------------------------------------------- 1. merges

def fill_merged(block, merges, across=None) -> list[list]:
    """A copy of the block with merged ranges filled with their top-left value: down every merged column (a goal
    cell merged over its rows counts for each row), and across only in the rows ``across`` (the header rows: a
    parent header over year columns), or in every row when ``across`` is None.  A text merged across a data row
    (an explanation) stays in its first cell, so it is never read as values."""
    out = [list(r) for r in block]
    for r1, c1, r2, c2 in merges:
        v = out[r1 - 1][c1 - 1] if r1 - 1 < len(out) and c1 - 1 < len(out[r1 - 1]) else None
        for r in range(r1, r2 + 1):
            while len(out) < r:
                out.append([])
            row = out[r - 1]
            while len(row) < c2:
                row.append(None)
            for c in range(c1, (c2 if across is None or r in across else c1) + 1):
                row[c - 1] = v
    return out


# ------------------------------------------------------------------------------------------ 2. header text → field

def norm(text) -> str:
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


_LETTER_MARK = re.compile(r"(\([a-c]\))+$")      # Mine's (a) (b) (c) after the column name
_YEAR_TOKEN = re.compile(r"(?P<era>R|H|令和|平成)(?P<n>元|\d{1,2})|(?P<ad>(?:19|20)\d\d)")

NAME_HEADERS = ("KPI名", "KPI", "指標名", "指標", "重要業績評価指標(KPI)", "重要業績評価指標", "成果指標", "KPI指標",
                "評価指標", "数値目標", "指標項目")
NAME_OR_LEVEL = ("基本目標", "目標")            # the indicator name where the table has no other name column
LEVEL_HEADERS = {
    "goal": ("重点戦略", "基本目標", "政策分野", "分野", "政策目標"),
    "policy": ("戦略方針", "基本的方向", "施策の方向", "基本方針", "施策の柱"),
    "measure": ("具体的施策", "施策", "主な施策", "施策名", "具体的な施策"),
}
FIELD_HEADERS = {
    "unit": ("単位",),
    "baseline": ("基準値", "策定時", "現状値", "現況値", "基準", "当初値", "計画策定時"),
    "baseline_year": ("基準年度", "基準値年度", "策定時年度"),
    "target": ("目標値", "目標", "目標数値"),
    "target_year": ("目標年度", "目標値年度"),
    "department": ("担当課", "担当部署", "所管課", "担当", "所管", "担当課名"),
    "notes": ("備考",),
    "published_progress": ("進捗率", "達成率", "進捗率(b)/(c)", "進捗率(b)/(c)", "達成度"),
    "kpi_id": ("KPI番号", "番号", "No", "No.", "NO"),
    "direction": ("方向",),
}
ROW_LABELS = {"年度": "year", "数値": "value", "目標": "target", "目標値": "target", "実績": "actual",
              "実績値": "actual"}
STACKED = re.compile(r"上段.*目標.*下段.*実績|上段.*実績.*下段.*目標")


def header_year(text: str) -> int | None:
    """The fiscal year named in a header: core's spellings first, then any era or Western year in it
    (``2026 (R8)``, ``R2/実績値``, ``目標値(R6まで)``, ``現況値 (2018年度)``)."""
    t = norm(text)
    for fn in (layout.actual_year_of_header, layout.target_year_of_header):
        y = fn(t)
        if y is not None:
            return y
    y = fiscal_year(t)
    if y is not None:
        return y
    m = next((m for m in _YEAR_TOKEN.finditer(t) if m.group("era")), None) or _YEAR_TOKEN.search(t)
    if not m:
        return None
    return fiscal_year(m.group(0))


def _words(text: str) -> str:
    """The header without year, brackets, Mine's (a)(b)(c) and 'まで'."""
    t = _LETTER_MARK.sub("", norm(text))
    t = re.sub(r"[\(（][^\)）]*[\)）]", "", t)
    t = _YEAR_TOKEN.sub("", t)
    t = re.sub(r"(年度|年|まで|/|／|:|：)", "", t)
    return t


def classify(header: str, parent: str = "") -> tuple[str, int | None]:
    """(kind, year) of one source column.  kind: a field key, ``level:goal`` …, ``name?`` (name or level),
    ``actual`` / ``target_y`` / ``stacked`` for yearly columns, ``extra`` when not understood."""
    h, p = norm(header), norm(parent)
    w = _words(header)
    y = header_year(header) if h else None
    if p and p != h and (w == "" or w in ("実績値", "実績", "目標値", "目標")) and y is not None:
        # a year under a parent header: 実績値 / 2026 (R8), （上段）目標値（下段）実績値 / 2027 (R9)
        if STACKED.search(p):
            return "stacked", y
        pw = _words(parent) + w
        if "実績" in pw:
            return "actual", y
        if "目標" in pw:
            return "target_y", y
    if not h:
        return "extra", None
    if y is not None:
        if "実績" in w and "目標" not in w:
            return "actual", y
        if w == "" and re.fullmatch(r"(?:(?:19|20)\d\d|R\d{1,2}|H\d{1,2}|令和\d{1,2}|平成\d{1,2})(年度|年)?"
                                    r"(?:[\(（].*[\)）])?", _LETTER_MARK.sub("", h)):
            return "actual", y          # a bare year column: the yearly actual (stated in the mapping)
    for key, names in FIELD_HEADERS.items():     # an exact header first: 基準年度 is not 基準 + 年度
        if h in names and key not in ("baseline", "target"):
            return key, None
    exact = layout.column_for_header(h)
    if exact is not None and exact.key in ("baseline_year", "target_year", "goal_name", "policy_name",
                                           "measure_name"):
        return exact.key, None
    if w in NAME_HEADERS or h in NAME_HEADERS:
        return "name", None
    if w in NAME_OR_LEVEL:
        return "name?", y
    for key, names in FIELD_HEADERS.items():
        if w in names or h in names:
            if key == "target" and y is not None:
                return "target", y
            if key == "baseline" and y is not None:
                return "baseline", y
            return key, None
    for level, names in LEVEL_HEADERS.items():
        if w in names or h in names:
            return f"level:{level}", None
    if y is not None and "目標" in w:
        return "target_y", y
    col = layout.column_for_header(h)
    if col is not None and not col.computed and col.key not in ("cumulative", "name", "baseline", "target"):
        return col.key, None      # the template's own headers (重点戦略名, 方向, 算定式, 実績の集計 …)
    return "extra", None


# ------------------------------------------------------------------------------------------------ sections, codes

_SECTION_PATTERNS = (
    (re.compile(r"^【(?P<kw>重点戦略|基本目標|政策分野|戦略方針|基本的方向|具体的施策|施策)\s*(?P<code>\d+(?:-\d+)*)】\s*(?P<name>.*)$"), None),
    (re.compile(r"^■?(?P<kw>重点戦略|基本目標|政策分野|分野|戦略方針|基本的方向|具体的施策|施策)\s*(?P<code>\d+(?:-\d+)*)"
                r"[\s\.．:：、]*(?P<name>.*)$"), None),
    (re.compile(r"^[\(（](?P<code>\d+)[\)）]\s*(?P<name>.+)$"), "policy"),
    (re.compile(r"^(?P<code>\d+(?:-\d+)+)[\s\.．]+(?P<name>.+)$"), None),
)
_KEYWORD_LEVEL = {"重点戦略": "goal", "基本目標": "goal", "政策分野": "goal", "分野": "goal", "戦略方針": "policy",
                  "基本的方向": "policy", "具体的施策": "measure", "施策": "measure"}
_STAR_NOTE = re.compile(r"※.*\(b-a\)/\(c-a\)")


def _as_typed(original: str, normalised_tail: str) -> str:
    """The tail of ``original`` whose NFKC form is ``normalised_tail``: names keep their full-width characters."""
    for i in range(len(original)):
        if unicodedata.normalize("NFKC", original[i:]).strip() == normalised_tail:
            return original[i:].strip()
    return normalised_tail


def split_code(value) -> tuple[str, str]:
    """(code, name) of a hierarchy cell: 「1 稼ぐ地域…」, 「基本目標１ …」, 「【戦略方針1】…」, 「(1) …」, 「1-1 …」;
    a cell with no code gives ("", text)."""
    text = "" if value is None else str(value).strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (str(int(value)) if float(value).is_integer() else str(value)), ""
    t = unicodedata.normalize("NFKC", text).strip()
    for rx, _ in _SECTION_PATTERNS:
        m = rx.match(t)
        if m:
            return m.group("code"), _as_typed(text, m.group("name").strip())
    m = re.match(r"^(?P<code>\d+)(?:[\s\.．:：、]+(?P<name>.*))?$", t)
    if m:
        return m.group("code"), _as_typed(text, (m.group("name") or "").strip())
    return "", text


def section_heading(text: str) -> tuple[str, str, str] | None:
    """(level, code, name) when the text is a section heading such as 「具体的施策 1-1-1 DMOを核とする…」."""
    t = unicodedata.normalize("NFKC", str(text)).strip()
    for rx, level in _SECTION_PATTERNS:
        m = rx.match(t)
        if not m:
            continue
        code = m.group("code")
        kw = m.groupdict().get("kw")
        if kw:
            level = _KEYWORD_LEVEL[kw]
        elif level is None:
            level = {1: "policy", 2: "measure"}.get(code.count("-"), "measure")
        return level, code, _as_typed(str(text).strip(), m.group("name").strip())
    return None


# --------------------------------------------------------------------------------------------------- the import



def _row(block, r):
    return block[r - 1] if 0 < r <= len(block) else []


def _cell(block, r, c):
    row = _row(block, r)
    return row[c - 1] if 0 < c <= len(row) else None


def _score(row) -> int:
    kinds = [classify(_text(v))[0] for v in row if _text(v)]
    known = [k for k in kinds if k != "extra"]
    has_name = any(k in ("name", "name?") for k in known)
    return len(set(known)) + (2 if has_name else 0) if has_name and len(known) >= 3 else 0


def _signature(block, r, width) -> tuple:
    return tuple(classify(_text(_cell(block, r, c)))[0] for c in range(1, width + 1))


def find_header_rows(block, header_row: int | None = None) -> list[int]:
    """The header row(s): the given one, or the best-scoring row and every later row of the same shape
    (one table per section, each with its own header).  Rows of different shapes scoring alike → ChoiceNeeded."""
    width = max((len(r) for r in block), default=0)
    if header_row is not None:
        if _score(_row(block, header_row)) == 0 and not any(_text(v) for v in _row(block, header_row)):
            raise ChoiceNeeded(f"--header-row {header_row} の行は空です。見出し（KPI名・単位・基準値…）の行番号を指定してください。")
        first = header_row
    else:
        scores = [(_score(_row(block, r)), r) for r in range(1, min(len(block), SCAN_ROWS) + 1)]
        best = max((s for s, _ in scores), default=0)
        if best == 0:
            raise ChoiceNeeded("KPIの表の見出し行（KPI名・指標名などと、単位・基準値・目標値などが並ぶ行）が先頭"
                               f"{SCAN_ROWS}行に見つかりません。--header-row N で見出しの行番号を指定してください。")
        tops = [r for s, r in scores if s == best]
        shapes = {_signature(block, r, width) for r in tops}
        if len(shapes) > 1:
            raise ChoiceNeeded("見出し行の候補が複数あり、列の並びが異なります（" + "・".join(f"{r}行目" for r in tops)
                               + "）。--header-row N でKPIの表の見出し行を指定してください。")
        first = tops[0]
        if first > 1 and _sub_header(block, first, width):
            first -= 1          # the best row is the years under a two-row header
    shape = _signature(block, first, width)
    rows = [first]
    for r in range(first + 1, len(block) + 1):
        if _signature(block, r, width) == shape and _score(_row(block, r)) > 0:
            rows.append(r)
    return rows


def _sub_header(block, r, width) -> bool:
    """The row under a header is a second header row when its cells are only years or sub-headers."""
    vals = [(_text(_cell(block, r, c)), _text(_cell(block, r - 1, c))) for c in range(1, width + 1)]
    filled = [(v, p) for v, p in vals if v and v != p]
    return bool(filled) and all(header_year(v) is not None and _words(v) in ("", "実績値", "実績", "目標値", "目標")
                                for v, _ in filled)


@dataclass
class _Col:
    col: int
    header: str
    parent: str
    kind: str
    year: int | None


def map_source_columns(block, header: int, opts: ImportOptions) -> tuple[list[_Col], int]:
    """Columns of the table under ``header`` (with a second header row when there is one); returns the columns
    and the first data row."""
    width = max((len(r) for r in block), default=0)
    two_rows = header < len(block) and _sub_header(block, header + 1, width)
    cols = []
    for c in range(1, width + 1):
        top = _text(_cell(block, header, c))
        if two_rows:
            sub = _text(_cell(block, header + 1, c))
            head, parent = (sub, top) if sub and sub != top else (top, "")
        else:
            head, parent = top, ""
        kind, year = classify(head, parent)
        cols.append(_Col(c, head, parent, kind, year))
    _resolve_names(cols, opts)
    _resolve_targets(cols)
    return cols, header + (2 if two_rows else 1)


def _resolve_names(cols: list[_Col], opts: ImportOptions) -> None:
    if opts.name_column:
        want = opts.name_column.strip()
        chosen = [c for c in cols if col_letter(c.col) == want.upper() or norm(c.header) == norm(want)]
        if not chosen:
            raise ChoiceNeeded(f"--name-column「{want}」に当たる列が見出し行にありません。列の記号（例: C）か見出しの文字を"
                               "指定してください。")
        for c in cols:
            if c.kind in ("name", "name?") and c is not chosen[0]:
                c.kind = "extra" if c.kind == "name" else _level_or_extra(c)
        chosen[0].kind = "name"
        return
    names = [c for c in cols if c.kind == "name"]
    maybe = [c for c in cols if c.kind == "name?"]
    if len(names) > 1:
        raise ChoiceNeeded("KPI名の列の候補が複数あります（" + "・".join(f"{col_letter(c.col)}列「{c.header}」" for c in names)
                           + "）。--name-column で KPI名 の列を指定してください（例: --name-column "
                           f"{col_letter(names[0].col)}）。")
    if not names and len(maybe) > 1:
        raise ChoiceNeeded("KPI名の列の候補が複数あります（" + "・".join(f"{col_letter(c.col)}列「{c.header}」" for c in maybe)
                           + f"）。--name-column で KPI名 の列を指定してください（例: --name-column {col_letter(maybe[-1].col)}）。")
    if not names and maybe:
        maybe[0].kind = "name"
        maybe[0].year = None
        return
    for c in maybe:
        c.kind = _level_or_extra(c)


def _level_or_extra(c: _Col) -> str:
    w = _words(c.header)
    if w == "目標":
        return "target"
    return "level:goal" if w == "基本目標" else "extra"


def _resolve_targets(cols: list[_Col]) -> None:
    """Several 目標値 columns with years are a target per year; a single one is the target with its year."""
    dated = [c for c in cols if c.kind in ("target", "target_y") and c.year is not None]
    if len(dated) > 1:
        for c in dated:
            c.kind = "target_y"
    elif dated and not any(c.kind == "target" and c.year is None for c in cols):
        dated[0].kind = "target"
    seen = set()
    for c in cols:  # a field met twice: the second copy is kept as an extra column
        if c.kind in FIELD_HEADERS or c.kind in _TEMPLATE_KEYS or c.kind.startswith("level:"):
            if c.kind in seen:
                c.kind = "extra"
            seen.add(c.kind)


_FIELD_LABEL = {c.key: c.header for c in layout.INPUT_COLUMNS}
_TEMPLATE_KEYS = set(_FIELD_LABEL) - {"name", "baseline", "target"}
_LEVEL_FIELDS = {"goal": ("goal_code", "goal_name"), "policy": ("policy_code", "policy_name"),
                 "measure": ("measure_code", "measure_name")}


def _mapping(cols: list[_Col], row_label_col: int | None, extras: dict[int, str]) -> list[Mapping]:
    out = []
    for c in cols:
        shown = f"{c.parent} / {c.header}" if c.parent else c.header
        if not shown:
            continue
        L = col_letter(c.col)
        if c.col == row_label_col:
            out.append(Mapping(L, shown, "（行の区分）", "年度の行と数値の行を1つのKPIにまとめました"))
        elif c.kind == "name":
            out.append(Mapping(L, shown, "KPI名"))
        elif c.kind.startswith("level:"):
            code, name = _LEVEL_FIELDS[c.kind[6:]]
            out.append(Mapping(L, shown, f"{_FIELD_LABEL[code]}・{_FIELD_LABEL[name]}", "番号と名称に分けました"))
        elif c.kind == "actual":
            out.append(Mapping(L, shown, layout.actual_header(c.year),
                               "" if ("実績" in c.header + c.parent) else "年度だけの列は実績値として読みました"))
        elif c.kind == "target_y":
            out.append(Mapping(L, shown, layout.target_header(c.year)))
        elif c.kind == "stacked":
            out.append(Mapping(L, shown, f"{layout.target_header(c.year)}（上段）・{layout.actual_header(c.year)}（下段）"))
        elif c.kind in ("baseline", "target") and c.year is not None:
            other = "baseline_year" if c.kind == "baseline" else "target_year"
            out.append(Mapping(L, shown, f"{_FIELD_LABEL[c.kind]}・{_FIELD_LABEL[other]}（{era_label(c.year)}）"))
        elif c.kind == "published_progress":
            out.append(Mapping(L, shown, _FIELD_LABEL[c.kind], "公表済みの値として照合に使います（計算はツールが行います）"))
        elif c.kind in _FIELD_LABEL:
            out.append(Mapping(L, shown, _FIELD_LABEL[c.kind]))
        else:
            out.append(Mapping(L, shown, f"（そのまま）{extras.get(c.col, shown)}",
                               "理解できない列のため、そのまま追加の列に残しました", understood=False))
    return out


def _row_label_column(block, cols, first, last) -> int | None:
    """A column holding the row labels 年度 / 数値 (or 目標 / 実績): each KPI then takes two rows."""
    for c in cols:
        if c.kind == "name":
            continue
        vals = [norm(_cell(block, r, c.col)) for r in range(first, last + 1)]
        labels = [v for v in vals if v in ROW_LABELS]
        if len(set(labels)) >= 2 and len(labels) >= 2:
            return c.col
    return None


_LABEL_HEADINGS = {"分野": "goal", "重点戦略": "goal", "基本目標": "goal", "政策分野": "goal", "戦略方針": "policy",
                   "基本的方向": "policy", "具体的施策": "measure", "施策": "measure"}
_VALUE_KINDS = {"baseline", "target", "actual", "target_y", "stacked", "unit", "published_progress"}


def heading_row(vals) -> tuple[str, str, str] | None:
    """(level, code, name) of a section heading row: one text such as 「具体的施策 1-1-1 …」, or a label cell and
    its text such as 「分野 | 移住・定住・地域間交流の促進」."""
    filled = [v for v in vals if v]
    distinct = set(filled)
    if len(distinct) == 1:
        return section_heading(filled[0])
    if len(distinct) == 2 and norm(filled[0]) in _LABEL_HEADINGS:
        code, text = split_code(next(v for v in filled if v != filled[0]))
        return _LABEL_HEADINGS[norm(filled[0])], code, text
    return None


def _row_kind(block, r, vals, distinct, name, cols, label_col, by_kind) -> tuple[str, object]:
    """("heading", (level, code, name)), ("skip", why) or ("kpi", None) for one row below a header."""
    sec = heading_row(vals)
    if sec:
        return "heading", sec
    if len(distinct) == 1 and _STAR_NOTE.search(norm(next(iter(distinct)))):
        return "skip", "注記（※の算定式）"
    if not name:
        return "skip", "KPI名のない行"
    rows = [r, r + 1] if label_col is not None or "stacked" in by_kind else [r]
    values = [c for c in cols if c.kind in _VALUE_KINDS and c.col != label_col]
    if not any(_text(_cell(block, x, c.col)) for x in rows for c in values
               if x == r or _text(_cell(block, x, by_kind["name"].col)) == name):
        return "skip", "数値の列が空の行（見出し・説明として読み飛ばし）"
    return "kpi", None


@dataclass
class _Reading:
    """What has been read so far, table after table."""
    rows: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    mapping: list = field(default_factory=list)
    extras: list = field(default_factory=list)
    actual_years: set = field(default_factory=set)
    target_years: set = field(default_factory=set)
    level: dict = field(default_factory=lambda: {"goal": ("", ""), "policy": ("", ""), "measure": ("", "")})
    goal_numbers: dict = field(default_factory=dict)
    percent: set = field(default_factory=set)
    cumulative_named: bool = False


def import_table(block, merges=(), opts: ImportOptions | None = None, percent=frozenset()) -> ImportResult:
    """The KPI rows of a sheet in its own layout, as template rows (see the module docstring)."""
    opts = opts or ImportOptions()
    header_rows = find_header_rows(fill_merged(block, merges, across=set()), opts.header_row)
    block = fill_merged(block, merges, across={r + d for r in header_rows for d in (0, 1)})
    header_rows = find_header_rows(block, opts.header_row)
    star_rule = any(_STAR_NOTE.search(norm(v)) for row in block for v in row if isinstance(v, str))
    st = _Reading()
    for r in range(1, header_rows[0]):      # headings above the first table
        sec = heading_row([_text(v) for v in _row(block, r)])
        if sec:
            st.level = _enter_section(st.level, *sec)
    for i, header in enumerate(header_rows):
        end = header_rows[i + 1] - 1 if i + 1 < len(header_rows) else len(block)
        _read_table(block, header, end, opts, percent, star_rule, st)
    for name in opts.directions:
        if not any(x["name"] == name for x in st.rows):
            raise ChoiceNeeded(f"--direction の「{name}」という名前のKPIが表にありません。KPI名をそのまま指定してください。")
    notes = []
    needs = needs_direction(st.rows)
    if needs:
        notes.append("次のKPIは目標値が基準値より小さく、増加・減少のどちらが望ましいかが表からは分かりません。"
                     "--direction \"KPI名=減少\"（または =増加）で指定してください: " + "、".join(needs))
    if star_rule:
        notes.append("表の注記「※印の進捗率は (b-a)/(c-a)」により、KPI名が※で終わる指標の算定式を「差分」にしました。")
    if st.cumulative_named:
        notes.append("KPI名に「累計」とある指標は「累計」の列を ○ にしました（基準値がなければ0から数えます）。")
    if st.goal_numbers:
        notes.append("番号のない重点戦略に、出てきた順に番号を付けました。")
    settings = _settings(opts, st.actual_years, st.target_years, st.rows)
    plan = set(range(fiscal_year(settings["plan_start"]), fiscal_year(settings["plan_end"]) + 1))
    years = sorted(plan | st.actual_years)
    target_years = sorted(st.target_years | plan) if st.target_years else []
    return ImportResult(settings, st.rows, years, target_years, st.extras, st.mapping, header_rows, st.skipped, notes,
                        st.percent, needs)


def needs_direction(rows) -> list[str]:
    """KPIs whose direction the table does not give and the figures cannot tell: the target lies below the
    baseline (less is better, or a decline accepted?).  Only the clerk knows (DOMAIN: 放課後子ども教室)."""
    out = []
    for rec in rows:
        if rec.get("direction"):
            continue
        base = parse_entry(rec.get("baseline"), rec.get("unit"))
        target = parse_entry(rec.get("target"), rec.get("unit"))
        if base.value is not None and target.value is not None and target.kind == base.kind == NUMBER \
                and target.value < base.value:
            out.append(rec["name"])
    return out


def _extra_headers(cols, label_col) -> dict[int, str]:
    """Column → header of the extra column that keeps a source column as-is.  A header the template uses for its
    own column gets （元の表）, so it is not read as that column."""
    extras = {}
    for c in cols:
        if c.kind == "extra" and c.col != label_col and (c.header or c.parent):
            h = c.header or c.parent
            col = layout.column_for_header(h)
            extras[c.col] = h + "（元の表）" if col is not None and not col.computed else h
    return extras


def _read_table(block, header, end, opts, percent, star_rule, st: _Reading) -> None:
    """The rows of one table (its header row through ``end``) into ``st``."""
    cols, first = map_source_columns(block, header, opts)
    label_col = _row_label_column(block, cols, first, end)
    extras = _extra_headers(cols, label_col)
    st.extras.extend(h for h in extras.values() if h not in st.extras)
    seen = {(x.column, x.header) for x in st.mapping}
    st.mapping.extend(m for m in _mapping(cols, label_col, extras) if (m.column, m.header) not in seen)
    by_kind = {}
    for c in cols:
        by_kind.setdefault(c.kind, c)
    name_col = by_kind.get("name")
    if name_col is None:
        raise ChoiceNeeded(f"{header}行目の見出しにKPI名の列が見つかりません（見出し: "
                           + "、".join(c.header for c in cols if c.header)
                           + "）。--name-column でKPI名の列を指定してください。")
    r = first
    while r <= end:
        vals = [_text(v) for v in _row(block, r)]
        distinct = {v for v in vals if v}
        name = _text(_cell(block, r, name_col.col))
        kind, what = _row_kind(block, r, vals, distinct, name, cols, label_col, by_kind) if distinct else ("", None)
        if kind == "heading":
            st.level = _enter_section(st.level, *what)
        elif kind == "skip":
            st.skipped.append((r, what))
        if kind != "kpi":
            r += 1
            continue
        group = [r]      # a KPI over two rows: 年度 / 数値, or upper target / lower actual
        if label_col is not None or "stacked" in by_kind:
            if r + 1 <= end and _text(_cell(block, r + 1, name_col.col)) == name:
                group.append(r + 1)
        rec = _record(block, group, cols, label_col, st.level, percent, st.percent, len(st.rows))
        _row_rules(rec, star_rule, opts, st)
        for c, h in extras.items():
            v = _cell(block, r, c)
            if v not in (None, ""):
                rec.setdefault("_extras", {})[h] = v
        st.actual_years.update(rec["_actual_years"])
        st.target_years.update(rec["_target_years"])
        st.rows.append(rec)
        r = group[-1] + 1


def _row_rules(rec: dict, star_rule: bool, opts: ImportOptions, st: _Reading) -> None:
    """What the sheet itself says about a KPI beyond its cells: the ※ footnote (差分), 累計 in the name, the
    directions given with --direction, a number for a goal printed without one."""
    if star_rule and rec["name"].endswith("※"):
        rec["formula"] = "差分"
    if "累計" in rec["name"] and not rec.get("cumulative"):
        rec["cumulative"] = "○"
        st.cumulative_named = True
    if rec["name"] in opts.directions:
        rec["direction"] = opts.directions[rec["name"]]
    if not rec.get("goal_code") and rec.get("goal_name"):
        key = rec["goal_name"]
        st.goal_numbers.setdefault(key, str(len(st.goal_numbers) + 1))
        rec["goal_code"] = st.goal_numbers[key]


def _enter_section(level: dict, lv: str, code: str, name: str) -> dict:
    """The hierarchy after a heading row: a goal resets policy and measure; 【戦略方針1】 under goal 2 is 2-1."""
    level = dict(level)
    if lv == "goal":
        return {"goal": (code, name), "policy": ("", ""), "measure": ("", "")}
    if lv == "policy":
        g = level["goal"][0]
        level["policy"] = (f"{g}-{code}" if g and code and "-" not in code else code, name)
        level["measure"] = ("", "")
    else:
        level["measure"] = (code, name)
    return level


def _record(block, group, cols, label_col, level, percent, pct, index) -> dict:
    """One KPI as a template row from its source row (or two rows: 年度/数値, upper target/lower actual)."""
    r = group[0]
    rec: dict = {"_actual_years": [], "_target_years": []}
    labels = {ROW_LABELS.get(norm(_cell(block, g, label_col)), "") if label_col else "": g for g in group}

    def val(c: _Col, row: int):
        return _cell(block, row, c.col)

    for lv, (code, name) in level.items():
        if code or name:
            rec[_LEVEL_FIELDS[lv][0]], rec[_LEVEL_FIELDS[lv][1]] = code or None, name or None
    for c in cols:
        if c.col == label_col:
            continue
        k = c.kind
        if k == "name":
            rec["name"] = _text(val(c, r))
        elif k.startswith("level:"):
            v = val(c, r)
            if _text(v):
                code, name = split_code(v)
                ck, nk = _LEVEL_FIELDS[k[6:]]
                rec[ck], rec[nk] = code or None, name or None
        elif k in ("baseline", "target"):
            if label_col is not None and "value" in labels:
                v = val(c, labels["value"])
                y = val(c, labels["year"]) if "year" in labels else None
            else:
                v, y = val(c, r), None
            _put(rec, k, v, percent, pct, index, src=(labels.get("value", r), c.col))
            if _text(y):
                rec[f"{k}_year"] = y       # the year row, as typed (the validation reports one it cannot read)
            elif c.year is not None:
                rec[f"{k}_year"] = era_label(c.year)    # the year in the header: 策定時 (H30), 目標値 (2024年度)
        elif k == "actual" or k == "target_y" or k == "stacked":
            rows_kinds = []
            if k == "stacked":
                rows_kinds = [("target", group[0])] + ([("actual", group[1])] if len(group) > 1 else [])
            elif label_col is not None and "value" in labels:
                rows_kinds = [("actual" if k == "actual" else "target", labels["value"])]
            else:
                rows_kinds = [("actual" if k == "actual" else "target", r)]
            for kind, row in rows_kinds:
                key = f"{kind}_{c.year}"
                (rec["_actual_years"] if kind == "actual" else rec["_target_years"]).append(c.year)
                _put(rec, key, val(c, row), percent, pct, index, src=(row, c.col))
        elif k in FIELD_HEADERS or k in _TEMPLATE_KEYS:
            if k == "published_progress":
                _put(rec, k, val(c, r), percent, pct, index, src=(r, c.col))
            else:
                v = val(c, r)
                if v not in (None, ""):
                    rec[k] = v
    _qualify_codes(rec)
    return rec


def _qualify_codes(rec: dict) -> None:
    """A policy or measure numbered on its own, such as (1) under goal 2, gets its parent's code: 2-1."""
    parent = rec.get("goal_code")
    for key in ("policy_code", "measure_code"):
        code = rec.get(key)
        if code and parent and re.fullmatch(r"\d+", str(code)):
            rec[key] = f"{parent}-{code}"
        parent = rec.get(key) or parent


def _put(rec, key, v, percent, pct, index, src):
    if v in (None, ""):
        return
    rec[key] = v
    if src in percent:
        pct.add((index, key))


def _settings(opts: ImportOptions, actual_years, target_years, rows) -> dict:
    plan = opts.plan
    if plan is None:
        years = sorted(set(actual_years) | set(target_years))
        finals = [fiscal_year(r["target_year"]) for r in rows if r.get("target_year")]
        finals = [y for y in finals if y]
        if len(years) >= 2:
            plan = (years[0], max(years + finals))
        else:
            raise ChoiceNeeded("表から計画期間が決まりません（年度ごとの列が" + ("1つ" if years else "ありません") + "）。"
                               "--plan R2-R6 のように計画期間を指定してください。")
    year = opts.year
    if year is None:
        filled = [y for y in actual_years if any(r.get(f"actual_{y}") not in (None, "") for r in rows)]
        year = max(filled) if filled else None
    s = {"municipality": opts.municipality, "plan_start": era_label(plan[0]), "plan_end": era_label(plan[1]),
         "evaluation_year": era_label(year) if year else None, "scheme": opts.scheme or "four-class",
         "pace_thresholds": "100,80"}
    return s


def parse_plan(text: str) -> tuple[int, int]:
    """``R2-R6``, ``2020-2024``, ``R2～R6`` → (2020, 2024)."""
    t = unicodedata.normalize("NFKC", str(text)).strip()
    parts = re.split(r"\s*(?:-|~|〜|～|から|–)\s*", t)
    if len(parts) == 2:
        a, b = fiscal_year(parts[0]), fiscal_year(parts[1])
        if a and b and a <= b:
            return a, b
    raise ChoiceNeeded(f"--plan「{text}」を計画期間として読み取れません。R2-R6 や 2020-2024 のように指定してください。")


def parse_direction(text: str) -> tuple[str, str]:
    """``KPI名=減少`` → (name, 減少)."""
    name, _, d = str(text).rpartition("=")
    d = d.strip()
    if not name.strip() or d not in layout.DIRECTIONS:
        raise ChoiceNeeded(f"--direction「{text}」は「KPI名=減少」の形で、方向は {'・'.join(layout.DIRECTIONS)} の"
                           "いずれかを指定してください。")
    return name.strip(), d
