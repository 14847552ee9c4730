"""Build workbooks/samples/mine_r4_departments.xlsx: the Mine City sample before the collection of the R4
figures, with its 担当課 column filled AS A CONSTRUCTED EXAMPLE.

The Mine report does not name the department of each KPI, so the departments below are invented (plausible
names, one per 具体的施策); the workbook says so on its 設定 sheet.  The R4 actuals are left empty: they are what
the planning section collects with ``kpi split`` / ``kpi merge``.  Everything else is the real sample.

Run: ``python workbooks/samples/mine_r4_departments.py`` (deterministic; tests/test_collect.py checks the
committed file equals what this produces).
"""
from __future__ import annotations

from pathlib import Path

from openpyxl.styles import Alignment

from addin.book import styles as S
from addin.book.template import build_mine_sample
from addin.core import layout
from addin.core.table import find_header, map_columns
from addin.core.values import fiscal_year

OUT = Path(__file__).resolve().parent / "mine_r4_departments.xlsx"
NOTE = ("作成例: この見本は美祢市の令和4年度評価（実データ）の写しに、担当課を架空に割り当てたものです（評価報告書は"
        "担当課を示していないため）。担当課名は実在の組織とは関係ありません。実績値 R4 は照会で集める前の状態として空欄にしています。")

# 具体的施策 → 担当課 (constructed, not Mine City's organisation)
DEPARTMENTS = {
    "1-1": "観光政策課", "1-2": "農林課", "1-3": "商工労働課", "1-4": "商工労働課",
    "2-1-1": "企画政策課", "2-1-2": "企画政策課", "2-1-3": "子育て支援課", "2-2-1": "子育て支援課",
    "2-2-2": "生涯学習スポーツ推進課", "2-2-3": "総務課", "2-3": "学校教育課",
    "3-1-1": "観光政策課", "3-1-2": "生涯学習スポーツ推進課", "3-1-3": "企画政策課", "3-2": "企画政策課",
    "3-3": "地域振興課", "4-1-1": "総務課", "4-1-2": "健康増進課", "4-2": "都市計画課", "4-3": "地域振興課",
    "4-3-4": "総務課", "5-1-1": "世界ジオパーク推進課", "5-1-2": "環境政策課", "5-2": "情報政策課",
}


def department(measure_code: str) -> str:
    """The most specific entry of DEPARTMENTS for the measure (5-1-1 before 5-1)."""
    parts = measure_code.split("-")
    for n in range(len(parts), 0, -1):
        d = DEPARTMENTS.get("-".join(parts[:n]))
        if d:
            return d
    raise KeyError(measure_code)


def build():
    wb = build_mine_sample()
    ws = wb[layout.SHEET_KPI]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    hr = find_header(rows)
    cols, actual = map_columns(rows[hr - 1])
    r4 = actual[fiscal_year("R4")]
    for r in range(hr + 1, ws.max_row + 1):
        code = ws.cell(r, cols["measure_code"]).value
        if not code:
            continue
        ws.cell(r, cols["department"], department(str(code)))
        ws.cell(r, r4).value = None
    st = wb[layout.SHEET_SETTINGS]
    r = 4 + len(layout.SETTINGS_KEYS) + 1
    st.cell(r, 1, "注記").font = S.font(bold=True)
    st.cell(r, 2, NOTE).font = S.font(size=9)
    st.cell(r, 2).alignment = Alignment(wrap_text=True, vertical="top")
    st.merge_cells(start_row=r, start_column=2, end_row=r, end_column=3)
    st.row_dimensions[r].height = 60
    wb.properties.title = "美祢市 R4（担当課は作成例）"
    return wb


if __name__ == "__main__":
    build().save(OUT)
    print(OUT)
