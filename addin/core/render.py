"""Plans of the sheets the tool generates (the summary 【KPI達成状況】 and the findings sheet), as data.

A plan is values in a grid plus style ranges, merges, widths and print settings.  Each adapter (openpyxl,
xlwings) renders a plan with a handful of bulk operations, so the layout is decided once, here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import values as V
from .evaluate import Evaluation, Result, round_half_up
from .findings import ERROR, INFO, SEVERITY_ORDER, WARNING, Finding
from .scheme import UNRATED
from .layout import SHEET_FINDINGS, SHEET_SUMMARY

FONT_NAME = "BIZ UDPゴシック"  # Windows 10+ and Office ship it; Debian: fonts-morisawa-bizud-gothic (a real bold face)

# named styles used by the plans; the adapters turn them into real formats
STYLES = {
    "title": {"bold": True, "size": 14, "border": False},
    "subtitle": {"size": 10, "border": False},
    "header": {"bold": True, "fill": "D9E1F2", "align": "center", "wrap": True},
    "goal": {"bold": True, "fill": "F2F2F2"},
    "total": {"bold": True, "fill": "FFF2CC"},
    "cell": {},
    "text": {"wrap": True},
    "number": {"align": "right"},
    "center": {"align": "center"},
    "note": {"size": 9, "border": False, "wrap": False},
    "note_wrapped": {"size": 9, "border": False, "wrap": True},
    "error": {"fill": "F8CBAD"},
    "warning": {"fill": "FFE699"},
    "info": {"fill": "DDEBF7"},
    "link": {"color": "0563C1", "wrap": True},
}


@dataclass
class SheetPlan:
    name: str
    rows: list[list] = field(default_factory=list)
    styles: list[tuple[str, int, int, int, int]] = field(default_factory=list)   # (style, r1, c1, r2, c2)
    number_formats: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    fills: dict[str, list[tuple[int, int]]] = field(default_factory=dict)         # hex colour → cells
    heights: dict[int, float] = field(default_factory=dict)                       # row → height (points)
    links: list[tuple[int, int, str, str]] = field(default_factory=list)          # (row, col, sheet, cell)
    print_title_rows: tuple[int, int] | None = None
    print_columns: int | None = None      # columns printed (from A); None = all
    landscape: bool = False
    freeze: tuple[int, int] | None = None

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def add(self, row: list, style: str | None = None) -> int:
        self.rows.append(row)
        r = len(self.rows)
        if style:
            self.styles.append((style, r, 1, r, max(len(row), 1)))
        return r


def display_value(value: float | None, entry: V.Entry | None, year: int | None, default_year: int | None,
                  period_start: int | None = None):
    """What the summary prints for a/b/c: the number, with its year when it differs from the column's year.

    Returns a number (kept numeric) or a text such as ``11 (R1)`` when a year annotation is needed, or the
    marker typed (— , 集計中) when there is no number.  A figure for a period (▲90 for R3～R7: ``period_start``
    from the year column, or the entry's own ``456(H29~30年度)``) always shows its period: ``▲90 (R3～R7)``.
    """
    start = period_start or (entry.period_start if entry is not None else None)
    if value is not None and year and start and start < year:
        return f"{_as_typed(value, entry)} ({V.era_label(start)}～{V.era_label(year)})"
    if value is None:
        if entry is not None and entry.marker:
            # one dash for "no value" whatever the clerk typed (— ― - ー): the notes explain 「－」 once
            return DASH if set(entry.marker) <= DASH_LIKE else entry.marker
        if entry is not None and entry.kind == V.UNREADABLE:
            return str(entry.raw)
        return "－"
    if year and default_year and year != default_year:
        return f"{_as_typed(value, entry)} ({V.era_label(year)})"
    if entry is not None and entry.kind == V.AT_LEAST:
        return f"{'年' if entry.per_year else ''}{format_number(value)}以上"
    if entry is not None and entry.kind == V.SUM_OVER:
        return f"{entry.years}年間に{format_number(value)}" if entry.years else f"延べ{format_number(value)}"
    if entry is not None and entry.kind == V.KEEP:
        return f"{format_number(value)}を維持"
    return value


def _as_typed(value: float, entry: V.Entry | None) -> str:
    """A number shown in a text, with the negative sign the clerk typed (▲90 stays ▲90, not -90)."""
    if value < 0 and entry is not None and entry.sign in ("▲", "△"):
        return entry.sign + format_number(-value)
    return format_number(value)


DASH = "－"                       # the summary's one dash (also the four-class scheme's label)
DASH_LIKE = set("-—―‐−ー─–－")


def format_number(x: float) -> str:
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.10g}" if abs(x) >= 1000 else f"{x:.10g}"


def decimals_of(value) -> int:
    """Decimals a number was written with (42.2 → 1; 60.0 and 60 → 0)."""
    if not isinstance(value, (int, float)) or float(value).is_integer():
        return 0
    return min(len(f"{float(value):.10f}".split(".")[1].rstrip("0")), 3)  # repr(1e-07) has no "."


def number_format_for(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def row_height(text: str, width_chars: float, line_height: float = 13.5) -> float | None:
    """Height for a wrapped text cell (full-width characters count double), None when one line fits."""
    units = sum(2 if ord(ch) > 0x2000 else 1 for ch in text)
    lines = -(-units // max(int(width_chars * 1.1), 1))
    return line_height * lines + 2 if lines > 1 else None


def _common_year(years) -> int | None:
    ys = [y for y in years if y]
    return max(set(ys), key=ys.count) if ys else None


def plain_number(x):
    """A figure as data: 499.0 → 499 (Excel hands every number over as a float), None stays None."""
    return None if x is None else (int(x) if float(x).is_integer() else x)


def column_years(ev: Evaluation) -> tuple[int | None, int | None, int | None]:
    """The years in the list's headers (a), (b), (c): the most common baseline year, the evaluation year and the
    most common target year.  A value from another year carries its own year, e.g. ``11 (R1)``."""
    by = _common_year(r.baseline_year for r in ev.results)
    ty = _common_year(r.kpi.target_year for r in ev.results) or ev.settings.plan_end
    return by, ev.settings.evaluation_year, ty


def summary_headers(ev: Evaluation, with_pace: bool = True) -> list[str]:
    """Headers of the KPI list, as in 【KPI達成状況】: KPI名, 単位, 策定時 (H30)(a), 実績値 (R4)(b), ..."""
    by, ey, ty = column_years(ev)
    headers = [h.format(base=ev.settings.baseline_label or "策定時", by=V.era_label(by), ey=V.era_label(ey),
                        ty=V.era_label(ty)) for h in SUMMARY_HEADERS]
    headers[5] = "進捗率 (b)/(c)"
    return headers if with_pace else headers[:7]


DIFFERENCE_NOTE = "備考　目標指標の※印の進捗率は、(b-a)/(c-a)により算出"   # Mine City's wording, under each table


def summary_notes(ev: Evaluation, internal: bool = True) -> list[str]:
    """The footnotes under the list; the public version leaves out what refers to internal sheets and pace."""
    notes = []
    if any(uses_difference(r) for r in ev.results):
        notes.append(DIFFERENCE_NOTE)
    notes.append("進捗率は小数第2位を四捨五入して表示。「－」は値がないもの、または算定できないもの"
                 + ("（算定メモは「KPI」シートを参照）。" if internal else "。"))
    notes.append("策定時・実績値・目標の( )内は、列見出しと異なる年度の値であることを示す。")
    if internal:
        notes.append("見込みは、基準値から目標値までを毎年同じだけ進むとした場合の評価年度の位置と実績との比較（"
                     + "・".join(_pace_bands(ev.settings.pace_thresholds)) + "）。評価（区分）には影響しない。")
    if any(r.override for r in ev.results):
        notes.append("評価の「（手入力）」は、担当課の判断で付けた評価であることを示す。")
    if UNRATED in ev.tally_columns:
        notes.append("「評価対象外」は、入力の誤りや方向の未入力などにより評価できなかった指標"
                     + ("（「検証結果」シートを参照）。" if internal else "。"))
    return notes


def uses_difference(r: Result) -> bool:
    """The progress is (b-a)/(c-a): stated (Mine's ※), or chosen because the ratio means nothing for the KPI."""
    return r.kpi.formula == "difference" or r.formula_used == "difference"


def kpi_label(r: Result) -> str:
    """KPI name as printed: Mine City marks difference-formula KPIs with ※."""
    name = r.kpi.name
    if uses_difference(r) and not name.endswith("※"):
        name += "※"
    return name


SUMMARY_HEADERS = ("KPI名", "単位", "{base} ({by})(a)", "実績値 ({ey})(b)", "目標 ({ty})(c)", "進捗率", "評価",
                   "見込み", "残り年数の必要量")


def summary_plan(ev: Evaluation) -> SheetPlan:
    """The 【KPI達成状況】 sheet: title, tally table, then every KPI under its goal with the goal's own tally."""
    s = ev.settings
    p = SheetPlan(SHEET_SUMMARY, widths={1: 46, 2: 8, 3: 13, 4: 13, 5: 13, 6: 10, 7: 10, 8: 9, 9: 22})
    classes = ev.tally_columns
    ncols = len(SUMMARY_HEADERS)
    by, ey, ty = column_years(ev)
    title = "【KPI達成状況】"
    p.add([title], "title")
    p.merges.append((1, 1, 1, ncols))
    sub = "　".join(x for x in (s.municipality, s.plan_name, f"評価年度 {V.era_label(ey)}（{ey}年度）" if ey else "",
                               f"評価方式: {ev.scheme.title}") if x)
    p.add([sub], "subtitle")
    p.merges.append((2, 1, 2, ncols))
    p.add([])

    # tally table: one row per goal plus the total, counts and shares
    tallies = ev.tallies
    head = ["重点戦略：KPI達成状況"] + classes + ["計"]
    r0 = p.add(head, "header")
    tally_rows = []
    for code, name in ev.goals:
        t = tallies.get(code, {})
        tally_rows.append((f"{code} {name}".strip(), t))
    tally_rows.append(("合計", tallies["total"]))
    for label, t in tally_rows:
        n = sum(t.values())
        r = p.add([label] + [t.get(c, 0) for c in classes] + [n], "total" if label == "合計" else "cell")
        p.styles.append(("center", r, 2, r, len(classes) + 2))
        p.styles.append(("text", r, 1, r, 1))          # a long goal name wraps instead of being cut off
        h = row_height(label, p.widths[1])
        if h:
            p.heights[r] = h
    r = p.add(["割合"] + [(tallies["total"].get(c, 0) / max(sum(tallies["total"].values()), 1)) for c in classes]
              + [1.0 if sum(tallies["total"].values()) else 0], "cell")
    p.styles.append(("center", r, 2, r, len(classes) + 2))
    p.number_formats.append(("0.0%", r, 2, r, len(classes) + 2))
    for c_i, c in enumerate(classes, start=2):
        p.fills.setdefault(ev.scheme.colors.get(c, "FFFFFF"), []).append((r0, c_i))
    p.add([])

    # the KPI list
    first_list_row = p.add(summary_headers(ev), "header")
    p.print_title_rows = (first_list_row, first_list_row)
    for code, name in ev.goals:
        t = tallies.get(code, {})
        gr = p.add([f"{code} {name}".strip() + "　" + "　".join(f"{c} {t.get(c, 0)}" for c in classes)]
                   + [None] * (ncols - 1), "goal")
        p.merges.append((gr, 1, gr, ncols))
        for res in (x for x in ev.results if x.kpi.goal_code == code):
            a = display_value(res.baseline, res.kpi.baseline, res.baseline_year, by, res.kpi.baseline_period_start)
            if res.baseline is None and res.kpi.cumulative and res.kpi.formula == "difference":
                a = display_value(None, res.kpi.baseline, None, by)
            b = display_value(res.actual, res.actual_entry, res.actual_year, ey)
            c = display_value(res.target, res.kpi.target, res.target_year, ty,
                              res.kpi.target_period_start if res.target_year == res.kpi.target_year else None)
            prog = res.progress if res.progress is not None else "－"
            status = res.status + ("（手入力）" if res.override else "")
            pace = res.pace or {}
            r = p.add([kpi_label(res), res.kpi.unit, a, b, c, prog, status or "－",
                       pace.get("status") or "－", pace.get("text") or "－"], "cell")
            p.styles.append(("text", r, 1, r, 1))
            p.styles.append(("center", r, 2, r, 2))
            p.styles.append(("number", r, 3, r, 6))
            p.styles.append(("center", r, 7, r, 8))
            # one number of decimals per row, as printed reports do (42.2 / 66.5 / 60.0)
            dec = max(decimals_of(x) for x in (res.baseline, res.actual, res.target))
            for col, v in ((3, a), (4, b), (5, c)):
                if isinstance(v, (int, float)):
                    p.number_formats.append((number_format_for(dec), r, col, r, col))
            h = row_height(kpi_label(res), p.widths[1])
            if h:
                p.heights[r] = h
            if isinstance(prog, float):
                p.number_formats.append(("0.0%", r, 6, r, 6))
            if res.status:
                p.fills.setdefault(ev.scheme.colors.get(res.status, "FFFFFF"), []).append((r, 7))
    p.add([])
    printed_width = sum(p.widths[c] for c in range(1, PRINTED_SUMMARY_COLUMNS + 1))
    for n in summary_notes(ev):
        # inside the printed columns: merged across them and wrapped, so no note is cut at the page edge
        r = p.add([n], "note_wrapped")
        p.merges.append((r, 1, r, PRINTED_SUMMARY_COLUMNS))
        h = row_height(n, printed_width, 12)
        if h:
            p.heights[r] = h
    p.freeze = None
    p.print_columns = PRINTED_SUMMARY_COLUMNS     # 見込み and 残り年数の必要量 are for the clerk's screen only
    return p


PRINTED_SUMMARY_COLUMNS = 7   # KPI名 … 評価: the published 【KPI達成状況】


def _pace_bands(thresholds) -> list[str]:
    on, slight = (round_half_up(x * 100, 1) for x in tuple(thresholds)[:2])
    f = lambda x: f"{x:g}%"  # noqa: E731
    return [f"順調 {f(on)}以上", f"やや遅れ {f(slight)}以上", f"遅れ {f(slight)}未満"]


FINDINGS_HEADERS = ("重要度", "シート", "セル", "KPI名", "入力値", "内容", "コード")


def findings_plan(findings: list[Finding], source_sheet_exists=lambda name: True) -> SheetPlan:
    """The 検証結果 sheet: one row per finding, with a link to the cell."""
    p = SheetPlan(SHEET_FINDINGS, widths={1: 8, 2: 8, 3: 8, 4: 34, 5: 16, 6: 70, 7: 18}, landscape=True)
    p.add(["検証結果"], "title")
    counts = {sev: sum(1 for f in findings if f.severity == sev) for sev in SEVERITY_ORDER}
    p.add(["　".join(f"{k} {v}件" for k, v in counts.items()) + "　（セル番地をクリックすると該当セルへ移動します）"],
          "subtitle")
    hr = p.add(list(FINDINGS_HEADERS), "header")
    p.print_title_rows = (hr, hr)
    p.freeze = (hr + 1, 1)
    style = {ERROR: "error", WARNING: "warning", INFO: "info"}
    for f in sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.sheet, f.row or 0, f.cell)):
        r = p.add([f.severity.label, f.sheet, f.cell, _as_text(f.kpi), _as_text(f.entry), _as_text(f.message), f.code],
                  "text")
        h = row_height(f.message, p.widths[6])
        if h:
            p.heights[r] = h
        p.styles.append((style[f.severity], r, 1, r, 1))
        if f.cell and f.sheet:
            p.links.append((r, 3, f.sheet, f.cell))
            p.styles.append(("link", r, 3, r, 3))
    if not findings:
        p.add(["問題は見つかりませんでした。"], "cell")
    return p


_CONTROL = dict.fromkeys(i for i in range(32) if i not in (9, 10, 13))
FINDINGS_CELL_CHARS = 1000  # an entry of 10,000 characters is quoted, not copied whole
# what a spreadsheet program may read as the start of a formula (or, for Excel's typing, a number or date)
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")


def written(value) -> tuple[object, bool]:
    """The one writing policy for every cell the tool generates (the summary and findings sheets, the computed
    columns, the public export): numbers, booleans and empty stay as they are; anything else is text shown
    exactly as given, without the control characters an .xlsx cannot hold.  Never a formula.

    Returns (value, quote).  ``quote`` is True for a text Excel would read as a formula, a number or a date
    if it were typed: writers store it as text with Excel's quote prefix (openpyxl: string type and
    quotePrefix; Excel through xlwings: a leading apostrophe), so that even editing the cell keeps it text.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value, False
    text = str(value).translate(_CONTROL)
    first = text[:1]
    return text, bool(first) and (first in FORMULA_LEADS or first.isdigit() or first in "'.")


def _as_text(v) -> str:
    """A clerk's entry as a text cell of the findings sheet, shortened when very long (the writers apply
    ``written``, which keeps it from ever becoming a formula)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # Excel hands every number over as a float; show it as the clerk typed it
    text = "" if v is None else str(v).translate(_CONTROL)
    if len(text) > FINDINGS_CELL_CHARS:
        text = text[:FINDINGS_CELL_CHARS] + f"…（{len(text)}文字）"
    return text


def progress_display(p) -> str:
    return "－" if p is None else f"{round_half_up(p * 100, 1):.1f}%"
