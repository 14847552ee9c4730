"""``kpi import``: read a sheet of an existing workbook (only read; the file is never written) and write a new
workbook in the template format.  The mapping itself is core.importer (pure)."""
from __future__ import annotations

from pathlib import Path

from ..core import layout
from ..core.importer import ChoiceNeeded, ImportOptions, ImportResult, import_table
from ..errors import KpiError
from .files import open_workbook, sheet_block
from .template import build_workbook


def read_source(path, sheet: str | None = None):
    """(sheet name, values block, merged ranges, % cells) of the source sheet; cached formula results are read."""
    wb = open_workbook(path, data_only=True)
    if sheet is None:
        names = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
        if len(names) != 1:
            raise KpiError(f"「{Path(path).name}」にはシートが複数あります（{'・'.join(names)}）。"
                           "--sheet でKPIの表があるシートを指定してください。")
        sheet = names[0]
    if sheet not in wb.sheetnames:
        raise KpiError(f"シート「{sheet}」が「{Path(path).name}」にありません（あるシート: {'・'.join(wb.sheetnames)}）。")
    ws = wb[sheet]
    block, percent, _ = sheet_block(ws)
    _, _, formulas = sheet_block(open_workbook(path)[sheet])
    lost = [ws.cell(r, c).coordinate for r, c in sorted(formulas) if block[r - 1][c - 1] is None]
    if lost:
        raise KpiError(f"シート「{sheet}」の数式の計算結果が保存されていません（{'・'.join(lost[:10])}"
                       f"{' ほか' if len(lost) > 10 else ''}）。Excelで開いて保存し直してから取り込んでください。")
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    return sheet, block, merges, percent


def import_file(source, out, opts: ImportOptions, sheet: str | None = None, force: bool = False) -> ImportResult:
    """Import the KPI table of ``source`` into a new template workbook ``out``."""
    source, out = Path(source), Path(out)
    if out.exists() and not force:
        raise KpiError(f"「{out}」は既にあります。上書きする場合は --force を付けてください。")
    if not out.parent.is_dir():
        raise KpiError(f"出力先のフォルダー「{out.parent}」がありません。")
    if out.suffix.lower() != ".xlsx":
        raise KpiError(f"出力するファイル名「{out.name}」は .xlsx にしてください。")
    if out.resolve() == source.resolve():
        raise KpiError("取り込み元と同じファイルには書き出せません。別のファイル名を指定してください。")
    name, block, merges, percent = read_source(source, sheet)
    try:
        result = import_table(block, merges, opts, percent)
    except ChoiceNeeded as e:
        raise KpiError(f"シート「{name}」: {e}") from e
    result.settings["plan_name"] = result.settings.get("plan_name") or f"{source.stem}（{name}から取り込み）"
    rows = []
    for rec in result.rows:
        row = {k: v for k, v in rec.items() if not k.startswith("_")}
        for i, h in enumerate(result.extras):
            row[f"extra_{i}"] = rec.get("_extras", {}).get(h)
        rows.append(row)
    wb = build_workbook(result.settings, rows, data_rows=len(rows) + 20, target_years=result.target_years,
                        extras=result.extras, actual_years=result.actual_years)
    ws = wb[layout.SHEET_KPI]
    col_of = {}
    for c in range(1, ws.max_column + 1):
        h = ws.cell(layout.HEADER_ROW, c).value
        col = layout.column_for_header(h)
        if col is not None:
            col_of.setdefault(col.key, c)
        y = layout.actual_year_of_header(h)
        if y is not None:
            col_of.setdefault(f"actual_{y}", c)
        y = layout.target_year_of_header(h)
        if y is not None:
            col_of.setdefault(f"target_{y}", c)
    for index, key in result.percent:          # a value shown as % in the source keeps its % format
        c = col_of.get(key)
        if c:
            ws.cell(layout.FIRST_DATA_ROW + index, c).number_format = "0.0%"
    wb.save(out)
    return result
