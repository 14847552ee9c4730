"""The operations behind the buttons and the commands, written once against a small adapter interface.

Both adapters implement ``Book``: ``addin.book.files.FileBook`` (openpyxl, the command line and tests) and
``addin.live.LiveBook`` (xlwings, the ribbon in Excel).  Each table is read with one call and each output
block written with one call, so the cost does not grow with the number of per-cell operations.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .core import layout
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
        """Workbook-scoped defined names → their refers-to text (without a leading ``=``)."""

    def set_defined_names(self, names: dict[str, str | None]) -> None:
        """Add or replace workbook-scoped names as hidden names; ``None`` deletes.  The tool uses this only
        for names beginning with ``_kpi_`` (its ownership markers)."""


@dataclass
class Loaded:
    evaluation: Evaluation
    geometry: dict
    last_row: int


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
        kpis, f, geometry = read_kpis(block, kpi_sheet, percent)
        findings.extend(f)
        last_row = len(block)
    if scheme is None and resolve_scheme is not None:
        scheme = resolve_scheme(settings)
    ev = evaluate(kpis, settings, scheme, findings)
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


def _write_kpi_columns(book: Book, loaded: Loaded, keys: tuple[str, ...]) -> None:
    """Write the given computed columns of every KPI row (one call per column) and the highlight rules."""
    ev, g = loaded.evaluation, loaded.geometry
    if not g or layout.SHEET_KPI not in book.sheet_names():
        return
    values = computed_cells(ev)
    cols = dict(g["columns"])
    headers = {}
    next_col = max(list(cols.values()) + list(g.get("actual_columns", {}).values()) + [0]) + 1
    for col in layout.COMPUTED_COLUMNS:
        if col.key not in cols:
            cols[col.key] = next_col
            headers[next_col] = col.header
            next_col += 1
    first = g["header_row"] + 1
    last = max([loaded.last_row] + list(values))
    columns = {cols[k]: [values.get(r, {}).get(k) for r in range(first, last + 1)] for k in keys}
    book.write_columns(layout.SHEET_KPI, first, columns, headers, g["header_row"], {cols["progress"]: "0.0%"})
    book.set_highlights(layout.SHEET_KPI, highlight_rules(dict(g, columns=cols), last))


def write_checks(book: Book, loaded: Loaded) -> None:
    """The 検証 button: only the 検証 column and the highlights (progress and status stay as they were)."""
    _write_kpi_columns(book, loaded, ("check",))


def write_results(book: Book, loaded: Loaded) -> None:
    """Write everything the tool owns: computed columns, the summary sheet, the findings sheet, highlights."""
    ev = loaded.evaluation
    _write_kpi_columns(book, loaded, tuple(c.key for c in layout.COMPUTED_COLUMNS))
    book.replace_sheet(summary_plan(ev), after=layout.SHEET_KPI)
    book.replace_sheet(findings_plan(ev.findings), after=layout.SHEET_SUMMARY)
