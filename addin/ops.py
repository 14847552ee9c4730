"""The operations behind the buttons and the commands, written once against a small adapter interface.

One function per operation — :func:`validate`, :func:`recalc`, :func:`export` — each with its policy named as
data (:data:`VALIDATE`, :data:`RECALC`, :data:`EXPORT`); ``addin.cli`` and ``addin.ribbon`` only choose the
adapter and word the outcome.  Both adapters implement ``Book``: ``addin.book.files.FileBook`` (openpyxl,
the command line and tests) and ``addin.live.LiveBook`` (xlwings, the ribbon in Excel).  Each table is read
with one call and each output block written with one call, so the cost does not grow with the number of KPIs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .core import layout, ownership
from .core.evaluate import Evaluation, evaluate
from .core.findings import ERROR, WARNING, Finding
from .core.render import SheetPlan, findings_plan, summary_plan
from .core.scheme import Scheme
from .core.table import read_kpis, read_settings


class Book(Protocol):
    """What the operations need from a workbook, whichever library holds it."""

    def sheet_names(self) -> list[str]: ...

    def read_block(self, sheet: str) -> tuple[list[list], set[tuple[int, int]]]:
        """All values of the sheet from A1 (one call), and the (row, col) of numeric cells shown as %."""

    def write_columns(self, sheet: str, first_row: int, columns: dict[int, list], headers: dict[int, str],
                      header_row: int, formats: dict[int, str]) -> None:
        """Write whole columns of values starting at ``first_row`` (one call per column), with a number
        format per column where given, and header texts for columns that had none."""

    def replace_sheet(self, plan: SheetPlan, after: str | None = None) -> None: ...

    def set_highlights(self, sheet: str, rules: list[tuple[str, str, str]]) -> None:
        """Replace the tool's own conditional-formatting rules by ``rules`` (severity, range, formula)."""

    def hidden_rows(self, sheet: str) -> set[int]:
        """The rows the clerk hid (by hand, by an outline or a filter), in a bounded number of calls."""

    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped defined names → what they refer to (e.g. ``'KPI'!$X$4``)."""

    def set_defined_names(self, names: dict[str, str | None]) -> None:
        """Set hidden, workbook-scoped defined names; ``None`` deletes the name."""

    # Optional (the live adapter has them): ``begin_write(sheets)`` raises KpiError before anything is touched
    # when these sheets cannot be written, and lifts a sheet's protection; ``end_write()`` puts it back.


@dataclass
class Loaded:
    evaluation: Evaluation
    geometry: dict
    last_row: int
    written: dict = field(default_factory=dict)   # what write_results wrote: columns, sheets (kind → name)
    narratives: object = None        # core.narrative.Narratives (the 施策 sheet), for the report


def load_and_evaluate(book: Book, scheme: Scheme | None = None, resolve_scheme=None) -> Loaded:
    """Read settings and KPI sheets (one block each), evaluate every KPI."""
    names = book.sheet_names()
    findings: list[Finding] = []
    if layout.SHEET_SETTINGS in names:
        block, _ = book.read_block(layout.SHEET_SETTINGS)
        settings, f = read_settings(block)
        findings.extend(f)
    else:
        from .core.model import Settings
        settings = Settings()
        findings.append(Finding("missing_sheet", layout.SHEET_SETTINGS, params={"sheet": layout.SHEET_SETTINGS}))
    kpi_sheet = layout.SHEET_KPI if layout.SHEET_KPI in names else None
    if kpi_sheet is None:
        findings.append(Finding("missing_sheet", layout.SHEET_KPI, params={"sheet": layout.SHEET_KPI}))
        kpis, geometry, last_row = [], {}, 0
    else:
        block, percent = book.read_block(kpi_sheet)
        markers = ownership.marked_columns(book.defined_names(), kpi_sheet)
        kpis, f, geometry = read_kpis(block, kpi_sheet, percent, markers=markers, settings=settings)
        findings.extend(f)
        findings.extend(hidden_findings(kpis, book.hidden_rows(kpi_sheet), kpi_sheet))
        last_row = len(block)
        if geometry:   # the header row as typed and the table's width: where the tool may add its own columns
            geometry["header_values"] = list(block[geometry["header_row"] - 1])
            geometry["width"] = max((c for row in block for c, v in enumerate(row, start=1) if v not in (None, "")),
                                    default=0)
    narratives = _read_narratives(book, names, kpis, findings)
    if scheme is None and resolve_scheme is not None:
        scheme = resolve_scheme(settings)
    ev = evaluate(kpis, settings, scheme, findings)
    repeated = geometry.get("repeated_codes") if geometry else None
    if repeated:  # a missing column is reported once for the table (required_columns), not once per KPI
        ev.findings = [f for f in ev.findings if f.code not in repeated]
        for r in ev.results:
            r.findings = [f for f in r.findings if f.code not in repeated]
    return Loaded(ev, geometry, last_row, narratives=narratives)


def _read_narratives(book: Book, names, kpis, findings: list[Finding]):
    """The 施策 sheet (texts of the evaluation report), when the workbook has one; its findings join the rest."""
    from .core.narrative import SHEET_MEASURES, Narratives, check_narratives, read_narratives
    if SHEET_MEASURES not in names:
        return Narratives()
    block, _ = book.read_block(SHEET_MEASURES)
    narratives, f = read_narratives(block)
    findings.extend(f)
    findings.extend(check_narratives(narratives, kpis))
    return narratives


def hidden_findings(kpis, hidden: set[int], sheet: str) -> list[Finding]:
    """A KPI whose row is hidden is still evaluated, tallied and published (a hidden row is how a sheet is
    viewed, not a decision to drop a KPI), with a warning so that it is never published without a word."""
    return [Finding("hidden_row", sheet, k.cells.get("name", ""), None, k.name, row=k.row, params={"name": k.name})
            for k in kpis if k.row in hidden]


def computed_cells(ev: Evaluation) -> dict[int, dict[str, object]]:
    """Sheet row → values of the computed columns (進捗率, 評価, 算定メモ, 検証, 見込み, 残り年数の必要量)."""
    out = {}
    for r in ev.results:
        status = r.status + ("（手入力）" if r.override else "")
        out[r.kpi.row] = {"progress": r.progress, "status": status or None, "reason": r.reason or None,
                          "check": check_text(r.findings) or None,
                          "pace": (r.pace or {}).get("status"), "pace_need": (r.pace or {}).get("text") or None}
    # findings on rows that are not KPIs (e.g. a row without a name)
    for f in ev.findings:
        if f.sheet == layout.SHEET_KPI and f.row and f.row not in out:
            out[f.row] = {"check": check_text([f])}
    return out


def check_text(findings) -> str:
    """The 検証 column: the cells with errors and warnings, e.g. ``エラー: N12 P12 ／ 警告: Q64``.

    The highlight rules read this text, so the tool highlights exactly the cells listed here.
    """
    parts = []
    for sev in (ERROR, WARNING):
        cells = sorted({f.cell for f in findings if f.severity == sev and f.cell},
                       key=lambda a: (len(a), a))
        if cells:
            parts.append(f"{sev}: " + " ".join(cells))
    return " ／ ".join(parts)


HIGHLIGHT_COLOURS = {ERROR: ("F8CBAD", "9C0006"), WARNING: ("FFE699", "7F6000")}


def highlight_rules(geometry: dict, last_row: int) -> list[tuple[str, str, str]]:
    """Conditional-formatting rules (severity, range, formula) that highlight each cell listed in its row's
    検証 cell.  The same two rules serve any number of KPIs: Excel evaluates them, so fixing an entry and
    recalculating removes its highlight, and the clerk's own cell formatting is never touched.
    """
    from .core.model import a1, col_letter
    cols = geometry["columns"]
    first = geometry["header_row"] + 1
    check = col_letter(cols["check"])
    last_col = max(c for k, c in cols.items() if k != "check" and not layout.is_computed(k))
    last_col = max([last_col] + list(geometry.get("actual_columns", {}).values()))
    rng = f"A{first}:{a1(max(last_row, first), last_col)}"
    me = 'ADDRESS(ROW(),COLUMN(),4)'
    # INDEX($X:$X,ROW()) instead of a relative $X5: the same formula text is then right for every cell, whether
    # openpyxl writes it or Excel's FormatConditions.Add reads it relative to the active cell.
    text = f"INDEX(${check}:${check},ROW())"
    error_part = f'LEFT({text},IFERROR(FIND("／",{text}),LEN({text})+1)-1)'
    warn_part = f'IFERROR(MID({text},FIND("{WARNING}",{text}),LEN({text})),"")'
    return [
        (ERROR, rng, f'AND(LEFT({text},3)="{ERROR}",ISNUMBER(SEARCH(" "&{me}&" "," "&{error_part}&" ")))'),
        (WARNING, rng, f'ISNUMBER(SEARCH(" "&{me}&" "," "&{warn_part}&" "))'),
    ]


def _write_kpi_columns(book: Book, loaded: Loaded, keys: tuple[str, ...]) -> dict[str, int]:
    """Write the given computed columns of every KPI row (one call per column) and the highlight rules.

    Only the tool's marked columns are written (core.ownership); a computed column the table lacks is added at
    the right end of the table and marked.  Returns computed key → column."""
    ev, g = loaded.evaluation, loaded.geometry
    if not g or layout.SHEET_KPI not in book.sheet_names():
        return {}
    values = computed_cells(ev)
    cols = dict(g["columns"])
    headers = {}
    next_col = max(list(cols.values()) + list(g.get("actual_columns", {}).values())
                   + list(g.get("target_columns", {}).values()) + [g.get("width", 0)]) + 1
    header_values = list(g.get("header_values", []))
    for col in layout.COMPUTED_COLUMNS:
        if col.key not in cols:
            cols[col.key] = next_col
            headers[next_col] = ownership.own_header(col, header_values)
            next_col += 1
    first = g["header_row"] + 1
    last = max([loaded.last_row] + list(values))
    columns = {cols[k]: [values.get(r, {}).get(k) for r in range(first, last + 1)] for k in keys}
    book.write_columns(layout.SHEET_KPI, first, columns, headers, g["header_row"], {cols["progress"]: "0.0%"})
    book.set_highlights(layout.SHEET_KPI, highlight_rules(dict(g, columns=cols), last))
    computed = {c.key: cols[c.key] for c in layout.COMPUTED_COLUMNS}
    book.set_defined_names({ownership.column_marker(k): ownership.cell_ref(layout.SHEET_KPI, c, g["header_row"])
                            for k, c in computed.items()})
    return computed


# ---------------------------------------------------------------------------------------------- operations
@dataclass(frozen=True)
class Operation:
    """What an operation does, as data: the computed columns and generated sheets it writes into a workbook
    it may change, and whether it runs when entries have errors (the affected KPIs then show 「－」)."""
    name: str
    columns: tuple[str, ...]
    sheets: tuple[str, ...]
    runs_with_errors: bool


def owned_sheet(book: Book, kind: str, default: str) -> str:
    """The name of the tool's generated sheet: the marked one; else ``default`` when free or written by the tool
    before markers existed; else another name (a clerk's sheet of that name is never replaced)."""
    names = book.sheet_names()
    ref = ownership.parse_ref(book.defined_names().get(ownership.SHEET_MARKERS[kind], ""))
    if ref and ref[0] in names:
        return ref[0]
    if default not in names or ownership.sheet_is_tools(kind, book.read_block(default)[0]):
        return default
    return ownership.free_sheet_name(default, names)


#: 検証: only the 検証 column, its highlights and the 検証結果 sheet; progress and status stay as they were.
#: (The command line's ``kpi validate`` is the dry run: it reads the file and writes nothing.)
VALIDATE = Operation("validate", ("check",), (layout.SHEET_FINDINGS,), runs_with_errors=True)
#: 再計算: every computed column, 【KPI達成状況】 and 検証結果.
RECALC = Operation("recalc", tuple(c.key for c in layout.COMPUTED_COLUMNS),
                   (layout.SHEET_SUMMARY, layout.SHEET_FINDINGS), runs_with_errors=True)
#: 公表用出力: writes nothing into the workbook; with errors it still runs, the KPIs concerned show 「－」 and
#: the caller says how many (exit code 1 on the command line, a note in the ribbon's message).
EXPORT = Operation("export", (), (), runs_with_errors=True)
OPERATIONS = {op.name: op for op in (VALIDATE, RECALC, EXPORT)}


def _write(book: Book, loaded: Loaded, op: Operation) -> dict:
    """Write what ``op`` names.  The generated sheets go to the tool's own (marked) sheets, never over a clerk's
    sheet of the same name (see owned_sheet); returns and stores in ``loaded.written`` what was written."""
    if not (op.columns or op.sheets):
        return {}
    if layout.SHEET_KPI not in book.sheet_names():
        # not a KPI workbook of the template: writing an empty summary into the clerk's own file helps nobody
        from .errors import KpiError
        raise KpiError(f"このブックにはシート「{layout.SHEET_KPI}」がないため、何も書き込んでいません。"
                       "自治体独自の様式の表は、まず kpi import でテンプレート形式のブックに取り込んでください"
                       "（元のファイルは読むだけで変更しません）。")
    ev = loaded.evaluation
    names: dict[str, str] = {}
    for kind, default in (("summary", layout.SHEET_SUMMARY), ("findings", layout.SHEET_FINDINGS)):
        if default in op.sheets:
            name = owned_sheet(book, kind, default)
            if name in names.values():
                name = ownership.free_sheet_name(default, book.sheet_names() + list(names.values()))
            names[kind] = name
    targets = tuple(([layout.SHEET_KPI] if op.columns else []) + list(names.values()))
    begin, end = getattr(book, "begin_write", None), getattr(book, "end_write", None)
    if begin is not None:
        begin(targets)  # refuses before anything is touched
    written: dict = {"columns": {}, "sheets": {}}
    try:
        if op.columns:
            written["columns"] = _write_kpi_columns(book, loaded, op.columns)
        after = layout.SHEET_KPI
        for kind, name in names.items():
            plan = summary_plan(ev) if kind == "summary" else findings_plan(ev.findings)
            plan.name = name
            book.replace_sheet(plan, after=after)
            book.set_defined_names({ownership.SHEET_MARKERS[kind]: ownership.cell_ref(name, 1, 1)})
            written["sheets"][kind] = name
            after = name
    finally:
        if end is not None:
            end()
    loaded.written = written
    return written


def validate(book: Book, resolve_scheme=None, write: bool = True) -> Loaded:
    """検証: evaluate every entry; when ``write``, write what :data:`VALIDATE` names."""
    loaded = load_and_evaluate(book, resolve_scheme=resolve_scheme)
    if write:
        _write(book, loaded, VALIDATE)
    return loaded


def recalc(book: Book, resolve_scheme=None) -> Loaded:
    """再計算: evaluate and write what :data:`RECALC` names."""
    loaded = load_and_evaluate(book, resolve_scheme=resolve_scheme)
    _write(book, loaded, RECALC)
    return loaded


def export(book: Book, out_dir, formats=None, basename=None, resolve_scheme=None):
    """公表用出力: evaluate and write the public report into ``out_dir``; returns (loaded, {format: path}).

    ``basename``: the files' name, or a function of the evaluation giving it.
    Refuses with errors unless :data:`EXPORT` runs with them."""
    from .errors import KpiError
    from .export import DEFAULT_FORMATS, export_all
    loaded = load_and_evaluate(book, resolve_scheme=resolve_scheme)
    ev = loaded.evaluation
    if ev.errors and not EXPORT.runs_with_errors:
        raise KpiError(f"入力にエラーが{len(ev.errors)}件あるため、公表用の出力を中止しました。")
    if callable(basename):
        basename = basename(ev)
    written = export_all(ev, out_dir, formats or DEFAULT_FORMATS, basename=basename)
    return loaded, written
