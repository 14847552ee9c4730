"""The KPI workbook template clerks start from, and the sample workbooks built from real published data.

Both are produced by this code; the committed files in workbooks/ equal what it produces (tests/test_template.py).
Plain .xlsx: no macros inside (macro-bearing files are blocked on many municipal networks).
"""
from __future__ import annotations

import csv
import datetime as _dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.datavalidation import DataValidation

from ..core import layout, narrative, ownership
from ..core.render import row_height
from ..core.values import era_label, fiscal_year
from . import styles as S
from .files import set_defined_names

FIXED_TIME = _dt.datetime(2024, 4, 1, 9, 0, 0)  # deterministic document properties
TEMPLATE_ROWS = 300                              # rows prepared (unlocked, with dropdowns) in the template
INPUT_FILL = "FFFFFF"
COMPUTED_FILL = "E7E6E6"
BAND_INPUT = "DDEBF7"
BAND_COMPUTED = "BFBFBF"

WORKBOOKS = Path(__file__).resolve().parents[2] / "workbooks"
SAMPLE_SOURCE = WORKBOOKS / "samples" / "mine_r4_source.csv"
MINE_NARRATIVES = WORKBOOKS / "samples" / "mine_r4_narratives.csv"   # chapter II texts, transcribed


def kpi_columns(actual_years, target_years=(), extras=()) -> list[tuple[layout.Column, int | None]]:
    """Input columns with one 実績値 column per fiscal year inserted after 基準年度 (and, when the plan sets a
    target per year, one 目標値 column per year after 目標年度), the clerk's extra columns carried over by an
    import (``extras``: their headers), then computed columns."""
    cols: list[tuple[layout.Column, int | None]] = []
    for col in layout.INPUT_COLUMNS:
        cols.append((col, None))
        if col.key == "baseline_year":
            for y in actual_years:
                cols.append((layout.Column(f"actual_{y}", layout.actual_header(y), 10), y))
        if col.key == "target_year":
            for y in target_years:
                cols.append((layout.Column(f"target_{y}", layout.target_header(y), 10), y))
    cols.extend((layout.Column(f"extra_{i}", h, 14), None) for i, h in enumerate(extras))
    for c in layout.COMPUTED_COLUMNS:   # beside a clerk column of the same header, the tool's says （自動）
        header = ownership.own_header(c, extras)
        cols.append((c if header == c.header else layout.Column(c.key, header, c.width, computed=True), None))
    return cols


def build_workbook(settings: dict, rows: list[dict] | None = None, data_rows: int = TEMPLATE_ROWS,
                   target_years=(), extras=(), actual_years=None, narratives: list[dict] | None = None) -> Workbook:
    """A KPI workbook: 設定 and KPI sheets; ``rows`` are KPI dicts keyed by column key (actual_<year>,
    target_<year> for the optional yearly target columns listed in ``target_years``)."""
    start = fiscal_year(settings.get("plan_start")) or 2020
    end = fiscal_year(settings.get("plan_end")) or start + 4
    years = list(actual_years) if actual_years is not None else list(range(start, end + 1))
    wb = Workbook()
    wb.properties.creator = ""
    wb.properties.lastModifiedBy = ""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.title = settings.get("plan_name") or "KPI進捗管理"
    _settings_sheet(wb.active, settings)
    columns = kpi_columns(years, target_years, extras)
    _kpi_sheet(wb.create_sheet(layout.SHEET_KPI), columns, rows or [], data_rows, settings)
    set_defined_names(wb, {ownership.column_marker(col.key): ownership.cell_ref(layout.SHEET_KPI, ci, layout.HEADER_ROW)
                           for ci, (col, _) in enumerate(columns, start=1) if col.computed})
    if narratives is not None:
        measures_sheet(wb.create_sheet(narrative.SHEET_MEASURES), narratives)
    return wb


MEASURE_ROWS = 100   # empty rows prepared (unlocked, with the 区分 dropdown) in the template's 施策 sheet


def measures_sheet(ws, items: list[dict]):
    """The 施策 sheet: per 戦略方針 its text, per 具体的施策 its description and the departments' four texts
    (現状・取組内容・評価・課題・方向性), printed by ``kpi report`` under each measure's KPI table."""
    hr = narrative.HEADER_ROW
    ws["A1"] = "施策（評価報告書の記述）"
    ws["A1"].font = S.font(bold=True, size=14)
    ws["A2"] = ("戦略方針・具体的施策ごとに1行。番号はシート「KPI」と同じにします。担当課が毎年「現状・取組内容」「評価」"
                "「課題」「方向性」を記入し、［報告書］で評価報告書（Word・PDF・HTML）に出力します。セル内の改行は段落になります。")
    ws["A2"].font = S.font(size=9)
    for c, (key, header, width, _) in enumerate(narrative.COLUMNS, start=1):
        h = ws.cell(hr, c, header)
        h.font = S.font(bold=True)
        h.fill = S.fill("D9E1F2")
        h.border = S.BORDER
        h.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[h.column_letter].width = width
    n = max(len(items) + 20, MEASURE_ROWS)
    keys = [k for k, *_ in narrative.COLUMNS]
    widths = {k: w for k, _, w, _ in narrative.COLUMNS}
    for i in range(n):
        r = hr + 1 + i
        item = items[i] if i < len(items) else {}
        for c, key in enumerate(keys, start=1):
            v = item.get(key) or None
            cell = ws.cell(r, c, v)
            cell.font = S.font()
            cell.border = S.BORDER
            cell.protection = S.UNLOCKED
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        texts = [row_height(str(item.get(k) or ""), widths[k]) for k in keys]
        lines = max((str(item.get(k) or "").count("\n") for k in keys), default=0)
        h = max([t for t in texts if t] + [0]) + 13.5 * lines
        if h:
            ws.row_dimensions[r].height = min(h, 409)     # Excel's largest row height
    dv = DataValidation(type="list", formula1='"' + ",".join(narrative.LEVELS) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle="区分",
                        error="区分は「" + "・".join(narrative.LEVELS) + "」から選んでください。")
    dv.add(f"A{hr + 1}:A{hr + n}")
    ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(hr + 1, 4)
    ws.row_dimensions[hr].height = 30
    ws.protection.sheet = True
    for opt in ("formatCells", "formatColumns", "formatRows", "insertRows", "deleteRows", "sort", "autoFilter"):
        setattr(ws.protection, opt, False)   # False = allowed
    S.print_on_a4(ws, landscape=True, title_row=hr)
    return ws


def _settings_sheet(ws, settings: dict):
    ws.title = layout.SHEET_SETTINGS
    ws["A1"] = "設定"
    ws["A1"].font = S.font(bold=True, size=14)
    ws["A2"] = "この自治体の計画と評価のしかたを入力します。B列の白いセルに入力してください。"
    ws["A2"].font = S.font(size=9)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 70
    r = 4
    for key, label, hint in layout.SETTINGS_KEYS:
        ws.cell(r, 1, label).font = S.font(bold=True)
        ws.cell(r, 1).fill = S.fill("D9E1F2")
        ws.cell(r, 1).border = S.BORDER
        v = settings.get(key)
        c = ws.cell(r, 2, v if v not in (None, "") else None)
        c.font = S.font()
        c.border = S.BORDER
        c.protection = S.UNLOCKED
        ws.cell(r, 3, hint).font = S.font(size=9, color="595959")
        r += 1
    dv = DataValidation(type="list", formula1='"four-class,three-mark,letter"', allow_blank=True,
                        showErrorMessage=False, promptTitle="評価方式",
                        prompt="four-class / three-mark / letter、または独自方式のJSONファイル名")
    dv.add(f"B{4 + [k for k, *_ in layout.SETTINGS_KEYS].index('scheme')}")
    ws.add_data_validation(dv)
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.sheet_view.showGridLines = False


# what a clerk may still do on the protected KPI sheet: insert and delete their own columns and rows, format,
# sort and filter (the tool's columns stay locked; Excel refuses to delete a column with locked cells)
PROTECTION_ALLOWED = ("formatCells", "formatColumns", "formatRows", "insertColumns", "insertRows", "deleteColumns",
                      "deleteRows", "sort", "autoFilter", "insertHyperlinks")

WRAPPED = ("name", "notes")  # long texts that wrap; names of goals and measures stay on one line


def _kpi_sheet(ws, columns, rows, data_rows, settings):
    hr, first = layout.HEADER_ROW, layout.FIRST_DATA_ROW
    last = first + max(data_rows, len(rows)) - 1
    title = "KPI一覧" + (f"（{settings.get('plan_name')}）" if settings.get("plan_name") else "")
    ws["A1"] = title
    ws["A1"].font = S.font(bold=True, size=14)
    ws["A2"] = ("白い列に入力し、リボン「KPI管理」の［再計算］を押します。灰色の列（進捗率～検証）は自動で書き込まれるため"
                "編集できません。自分の列や行は挿入・削除できます（入力の列は見出しの名前で、自動の列はツールの印で見分けます）。")
    ws["A2"].font = S.font(size=9)
    n_input = sum(1 for c, _ in columns if not c.computed)
    ws.cell(3, 1, "入力").font = S.font(bold=True)
    ws.cell(3, n_input + 1, "自動計算（再計算で上書き）").font = S.font(bold=True)
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=n_input)
    ws.merge_cells(start_row=3, start_column=n_input + 1, end_row=3, end_column=len(columns))
    for c in range(1, len(columns) + 1):
        ws.cell(3, c).fill = S.fill(BAND_INPUT if c <= n_input else BAND_COMPUTED)
        ws.cell(3, c).alignment = Alignment(horizontal="center")
    for ci, (col, year) in enumerate(columns, start=1):
        h = ws.cell(hr, ci, col.header)
        h.font = S.font(bold=True)
        h.fill = S.fill("BFBFBF" if col.computed else "D9E1F2")
        h.border = S.BORDER
        h.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = h.column_letter
        ws.column_dimensions[letter].width = col.width
        for r in range(first, last + 1):
            cell = ws.cell(r, ci)
            cell.border = S.BORDER
            cell.font = S.font()
            if col.computed:
                cell.fill = S.fill(COMPUTED_FILL)
                cell.protection = S.LOCKED
            else:
                cell.protection = S.UNLOCKED
            if col.key in WRAPPED:
                cell.alignment = Alignment(wrap_text=True, vertical="center")
        if col.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle=col.header,
                                error=f"{col.header}は「{'・'.join(col.choices)}」から選んでください。",
                                promptTitle=col.header, prompt=col.help, showInputMessage=bool(col.help))
            dv.add(f"{letter}{first}:{letter}{last}")
            ws.add_data_validation(dv)
        elif col.help and not col.computed:
            dv = DataValidation(type="custom", formula1="TRUE", allow_blank=True, showErrorMessage=False,
                                promptTitle=col.header, prompt=col.help, showInputMessage=True)
            dv.add(f"{letter}{first}:{letter}{last}")
            ws.add_data_validation(dv)
    keys = [(col.key, year) for col, year in columns]
    for i, row in enumerate(rows):
        r = first + i
        for ci, (key, year) in enumerate(keys, start=1):
            v = row.get(key)
            if v in (None, ""):
                continue
            cell = ws.cell(r, ci, v)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cell.number_format = "#,##0.0" if isinstance(v, float) else "#,##0"
        # wrapped texts get the height they need (not every spreadsheet program fits rows when opening a file)
        heights = [row_height(str(row.get(c.key) or ""), c.width) for c, _ in columns if c.key in WRAPPED]
        if any(heights):
            ws.row_dimensions[r].height = max(h for h in heights if h)
    ws.freeze_panes = ws.cell(first, 1 + [k for k, _ in keys].index("name") + 1)
    ws.auto_filter.ref = f"A{hr}:{ws.cell(hr, len(columns)).column_letter}{last}"
    ws.row_dimensions[hr].height = 30
    ws.protection.sheet = True
    for opt in PROTECTION_ALLOWED:
        setattr(ws.protection, opt, False)   # False = allowed
    S.print_on_a4(ws, landscape=True, title_row=hr)


def _typed(v: str):
    """A CSV cell as a clerk would have typed it: numbers as numbers, everything else as text."""
    if v is None or v == "":
        return None
    t = v.replace(",", "")
    try:
        return int(t) if t.lstrip("-").isdigit() else float(t) if t.replace(".", "", 1).lstrip("-").isdigit() else v
    except ValueError:
        return v


MINE_SETTINGS = {
    "municipality": "美祢市",
    "plan_name": "第2期美祢市まち・ひと・しごと創生総合戦略",
    "plan_start": "R2",
    "plan_end": "R6",
    "evaluation_year": "R4",
    "baseline_label": "策定時",
    "scheme": "four-class",
    "pace_thresholds": "100,80",
    "municipality_code": "352152",
}
TEMPLATE_SETTINGS = {"plan_start": "R7", "plan_end": "R11", "scheme": "four-class", "baseline_label": "基準値",
                     "pace_thresholds": "100,80"}


def build_template(plan: tuple[int, int] | None = None, yearly_targets: bool = False) -> Workbook:
    """The empty template; ``plan`` (first, last fiscal year) gives one 実績値 column per year of the plan (and,
    with ``yearly_targets``, one 目標値 column per year) and fills the settings sheet's plan period."""
    settings = dict(TEMPLATE_SETTINGS)
    if plan:
        settings["plan_start"], settings["plan_end"] = era_label(plan[0]), era_label(plan[1])
    start, end = fiscal_year(settings["plan_start"]), fiscal_year(settings["plan_end"])
    return build_workbook(settings, target_years=range(start, end + 1) if yearly_targets else (), narratives=[])


def build_mine_sample(source: Path = SAMPLE_SOURCE) -> Workbook:
    """美祢市 R4 evaluation: the 78 KPIs of the 2024 evaluation report, values as printed."""
    with open(source, encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    rows = []
    for rec in records:
        row = {k: _typed(v) for k, v in rec.items() if k not in ("actual_R4", "report_progress")}
        for k in ("kpi_id", "goal_code", "policy_code", "measure_code", "baseline_year", "target_year"):
            row[k] = rec[k] or None  # codes stay text
        row[f"actual_{fiscal_year('R4')}"] = _typed(rec["actual_R4"])
        row["published_progress"] = rec["published_progress"] or None
        row["aggregation"] = "最新年度"
        row["kind"] = "数値"
        rows.append(row)
    with open(MINE_NARRATIVES, encoding="utf-8", newline="") as f:
        texts = list(csv.DictReader(f))
    return build_workbook(MINE_SETTINGS, rows, data_rows=len(rows) + 20, narratives=texts)


SAMPLE_CITY_SOURCE = WORKBOOKS / "samples" / "sample_city_r6_source.csv"
SAMPLE_CITY_SETTINGS = {
    "municipality": "サンプル市（作成例）",
    "plan_name": "第2期サンプル市まち・ひと・しごと創生総合戦略（作成例）",
    "plan_start": "R2",
    "plan_end": "R6",
    "evaluation_year": "R6",
    "baseline_label": "基準値",
    "scheme": "three-mark",
    "pace_thresholds": "100,80",
}
SAMPLE_CITY_NOTE = ("この見本は、市町村が公表している総合戦略の評価表（年度別実績 R2～R6、期間合計の指標、○△×（達成率80%）"
                    "による評価、担当課の判断による手入力の評価）の形式にならって作成した架空の例です。"
                    "実在の自治体のデータではありません。")


def build_sample_city(source: Path = SAMPLE_CITY_SOURCE) -> Workbook:
    """A constructed example in another municipality's published format (not real data): yearly actuals
    R2–R6, flows summed over the period, stocks taken in R6, ○△× at 80%, one qualitative KPI marked by hand."""
    with open(source, encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    years = range(fiscal_year("R2"), fiscal_year("R6") + 1)
    rows = []
    for rec in records:
        row = {k: _typed(v) for k, v in rec.items() if k != "published_mark"}
        for k in ("kpi_id", "goal_code", "measure_code", "baseline_year", "target_year"):
            row[k] = rec[k] or None  # codes stay text
        for y in years:
            label = f"R{y - 2018}"
            row[f"actual_{y}"] = _typed(rec[f"actual_{label}"])
            row[f"target_{y}"] = _typed(rec[f"target_{label}"])
        row["published_progress"] = rec["published_progress"] or None
        rows.append(row)
    wb = build_workbook(SAMPLE_CITY_SETTINGS, rows, data_rows=len(rows) + 20, target_years=years)
    ws = wb[layout.SHEET_SETTINGS]
    r = 4 + len(layout.SETTINGS_KEYS) + 1
    ws.cell(r, 1, "注記").font = S.font(bold=True)
    ws.cell(r, 2, SAMPLE_CITY_NOTE).font = S.font(size=9)
    ws.cell(r, 2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=3)
    ws.row_dimensions[r].height = 48
    return wb


def _add_settings_note(wb: Workbook, note: str):
    ws = wb[layout.SHEET_SETTINGS]
    r = 4 + len(layout.SETTINGS_KEYS) + 1
    ws.cell(r, 1, "注記").font = S.font(bold=True)
    ws.cell(r, 2, note).font = S.font(size=9)
    ws.cell(r, 2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=3)
    ws.row_dimensions[r].height = 48


def build_plan_sample(source: Path, settings: dict, note: str, target_years=()) -> Workbook:
    """A sample typed from another municipality's published plan: every cell of the plan as printed (baseline,
    target, unit, years, notes), actuals invented and marked so in 備考 and on the 設定 sheet (``note``).
    The source CSV has one column per field key, ``actual_R<n>`` per fiscal year of the plan and ``target_R<n>``
    for the years in ``target_years``."""
    with open(source, encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    start, end = fiscal_year(settings["plan_start"]), fiscal_year(settings["plan_end"])
    rows = []
    for rec in records:
        row = {k: _typed(v) for k, v in rec.items() if not k.startswith(("actual_R", "target_R"))}
        for k in ("kpi_id", "goal_code", "policy_code", "measure_code", "baseline_year", "target_year"):
            row[k] = rec.get(k) or None  # codes and years stay text as printed
        for y in range(start, end + 1):
            row[f"actual_{y}"] = _typed(rec.get(f"actual_R{y - 2018}", ""))
        for y in target_years:
            row[f"target_{y}"] = _typed(rec.get(f"target_R{y - 2018}", ""))
        rows.append(row)
    wb = build_workbook(settings, rows, data_rows=len(rows) + 20, target_years=target_years)
    _add_settings_note(wb, note)
    return wb


INVENTED_ACTUALS = "実績値は動作確認用の架空の値"
OMITAMA_SOURCE = WORKBOOKS / "samples" / "omitama_r6_source.csv"
OMITAMA_SETTINGS = {
    "municipality": "小美玉市",
    "plan_name": "第2期小美玉市まち・ひと・しごと創生総合戦略（ダイヤモンドシティ・プロジェクト）",
    "plan_start": "R2",
    "plan_end": "R6",
    "evaluation_year": "R6",
    "baseline_label": "現況値",
    "scheme": "four-class",
    "pace_thresholds": "100,80",
}
OMITAMA_NOTE = (f"{INVENTED_ACTUALS}です（小美玉市は実績を公表していません）。基準値・目標値・単位・年度は、計画書"
                "（令和2年3月）の各政策分野の基本目標と体験鎖設計の行動指標に印刷されたとおりに入力しています。")
MISATO_SOURCE = WORKBOOKS / "samples" / "misato_r10_source.csv"
MISATO_SETTINGS = {
    "municipality": "美郷町",
    "plan_name": "美郷町まちづくりアクションプラン（案）",
    "plan_start": "R8",
    "plan_end": "R12",
    "evaluation_year": "R10",
    "baseline_label": "現状値",
    "scheme": "four-class",
    "pace_thresholds": "100,80",
}
MISATO_NOTE = (f"{INVENTED_ACTUALS}です（計画は令和8年度からで、実績はまだありません）。基準値・目標値（年度ごとの目標を含む）・"
               "単位・年度は、まちづくりアクションプラン（案）（令和8年）に印刷されたとおりに入力しています。")


def build_omitama_sample(source: Path = OMITAMA_SOURCE) -> Workbook:
    """小美玉市 第2期総合戦略: the basic goals' 数値目標 and the 行動指標, values as printed, actuals invented."""
    return build_plan_sample(source, OMITAMA_SETTINGS, OMITAMA_NOTE)


def build_misato_sample(source: Path = MISATO_SOURCE) -> Workbook:
    """美郷町 まちづくりアクションプラン（案）: every numeric target, per-year targets 2026–2028, actuals invented."""
    return build_plan_sample(source, MISATO_SETTINGS, MISATO_NOTE, target_years=range(2026, 2029))


TARGETS = {
    "template": (lambda: build_template(), WORKBOOKS / "kpi_template.xlsx"),
    "mine_r4": (lambda: build_mine_sample(), WORKBOOKS / "samples" / "mine_r4.xlsx"),
    "sample_city_r6": (lambda: build_sample_city(), WORKBOOKS / "samples" / "sample_city_r6.xlsx"),
    "omitama_r6": (lambda: build_omitama_sample(), WORKBOOKS / "samples" / "omitama_r6.xlsx"),
    "misato_r10": (lambda: build_misato_sample(), WORKBOOKS / "samples" / "misato_r10.xlsx"),
}


def write_all(out_dir: Path | None = None) -> list[Path]:
    """(Re)generate the committed workbooks."""
    written = []
    for name, (make, path) in TARGETS.items():
        target = path if out_dir is None else Path(out_dir) / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        make().save(target)
        written.append(target)
    return written


if __name__ == "__main__":  # python -m addin.book.template
    for p in write_all():
        print(p)
