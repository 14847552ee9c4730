"""The operations behind the buttons and the commands, written once against a small adapter interface.

Both adapters implement ``Book``: ``addin.book.files.FileBook`` (openpyxl, the command line and tests) and
``addin.live.LiveBook`` (xlwings, the ribbon in Excel).  Each table is read with one call and each output
block written with one call, so the cost does not grow with the number of per-cell operations.
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

    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped defined names → what they refer to (e.g. ``'KPI'!$X$4``)."""

    def set_defined_names(self, names: dict[str, str | None]) -> None:
        """Set hidden, workbook-scoped defined names; ``None`` deletes the name."""


@dataclass
class Loaded:
    evaluation: Evaluation
    geometry: dict
    last_row: int
    written: dict = field(default_factory=dict)   # what write_results wrote: columns, sheets (kind → name)


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
        last_row = len(block)
        if geometry:   # the header row as typed and the table's width: where the tool may add its own columns
            geometry["header_values"] = list(block[geometry["header_row"] - 1])
            geometry["width"] = max((c for row in block for c, v in enumerate(row, start=1) if v not in (None, "")),
                                    default=0)
    if scheme is None and resolve_scheme is not None:
        scheme = resolve_scheme(settings)
    ev = evaluate(kpis, settings, scheme, findings)
    repeated = geometry.get("repeated_codes") if geometry else None
    if repeated:  # a missing column is reported once for the table (required_columns), not once per KPI
        ev.findings = [f for f in ev.findings if f.code not in repeated]
        for r in ev.results:
            r.findings = [f for f in r.findings if f.code not in repeated]
    return Loaded(ev, geometry, last_row)


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


def write_checks(book: Book, loaded: Loaded) -> None:
    """The 検証 button: only the 検証 column and the highlights (progress and status stay as they were)."""
    _write_kpi_columns(book, loaded, ("check",))


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


def write_findings(book: Book, loaded: Loaded, after: str = layout.SHEET_KPI, avoid: tuple[str, ...] = ()) -> str:
    """The 検証結果 sheet (the tool's own one, see owned_sheet), marked; returns its name."""
    name = owned_sheet(book, "findings", layout.SHEET_FINDINGS)
    if name in avoid:
        name = ownership.free_sheet_name(layout.SHEET_FINDINGS, book.sheet_names() + list(avoid))
    plan = findings_plan(loaded.evaluation.findings)
    plan.name = name
    book.replace_sheet(plan, after=after)
    book.set_defined_names({ownership.SHEET_MARKERS["findings"]: ownership.cell_ref(name, 1, 1)})
    return name


def write_results(book: Book, loaded: Loaded) -> dict:
    """Write everything the tool owns: computed columns, the summary sheet, the findings sheet, highlights.

    Returns what was written: ``columns`` (computed key → column of the KPI sheet) and ``sheets`` (kind → name)."""
    ev = loaded.evaluation
    columns = _write_kpi_columns(book, loaded, tuple(c.key for c in layout.COMPUTED_COLUMNS))
    summary_name = owned_sheet(book, "summary", layout.SHEET_SUMMARY)
    summary = summary_plan(ev)
    summary.name = summary_name
    book.replace_sheet(summary, after=layout.SHEET_KPI)
    book.set_defined_names({ownership.SHEET_MARKERS["summary"]: ownership.cell_ref(summary_name, 1, 1)})
    findings_name = write_findings(book, loaded, after=summary_name, avoid=(summary_name,))
    loaded.written = {"columns": columns, "sheets": {"summary": summary_name, "findings": findings_name}}
    return loaded.written
