"""What was measured wrong in the public outputs (issue 13, item 4), each checked on what a reader gets:
open-data CSV columns and its data dictionary, the chart, the clerk's summary print, the PDF's tags, language
and fonts, the public file names."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import pytest
from lxml import etree
from openpyxl import load_workbook

from conftest import SAMPLE
from render import needs_soffice

OPEN_DATA_COLUMNS = ["全国地方公共団体コード", "自治体名", "計画名", "評価年度", "方向", "戦略方針名", "具体的施策名", "評価コード"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The public files of a copy of the sample whose file name must not reach the public."""
    from addin.cli import main
    tmp = tmp_path_factory.mktemp("public")
    src = tmp / "内部用_作業中_山田.xlsx"
    shutil.copy(SAMPLE, src)
    out = tmp / "out"
    assert main(["export", str(src), "--out", str(out), "--format", "xlsx,html,csv"]) == 0
    return {p.name: p for p in out.iterdir()}


def test_public_file_names_carry_no_internal_name(exported):
    assert sorted(exported) == ["美祢市_KPI達成状況_R4.csv", "美祢市_KPI達成状況_R4.html", "美祢市_KPI達成状況_R4.xlsx",
                                "美祢市_KPI達成状況_R4_項目定義.csv"]


def test_csv_has_the_open_data_columns_and_reads_back_with_pandas(exported):
    import pandas as pd
    df = pd.read_csv(exported["美祢市_KPI達成状況_R4.csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(df) == 78 and all(c in df.columns for c in OPEN_DATA_COLUMNS)
    assert set(df["全国地方公共団体コード"]) == {"352152"} and set(df["自治体名"]) == {"美祢市"}
    assert set(df["評価年度"]) == {"2022"}
    assert set(df["方向"]) <= {"増加", "減少", "維持"} and "減少" in set(df["方向"])
    assert df.loc[0, "戦略方針名"] == "観光資源を活かした産業と雇用の創出"
    assert df.loc[0, "具体的施策名"] == "DMOを核とする観光地域づくりの推進"
    assert dict(zip(df["評価"], df["評価コード"])) == {"目標達成": "1", "改善↑": "2", "－": "3", "未達成↓": "4"}
    assert not df["KPI名"].str.contains("※").any()
    # no cell that a spreadsheet program reads as a date (1-1, 1-1-1, 2-3)
    date_like = re.compile(r"^\d{1,4}[-/]\d{1,2}([-/]\d{1,4})?$")
    assert [v for col in df.columns for v in df[col] if date_like.match(v)] == []
    assert df.loc[0, "具体的施策"] == "1_1_1"


def test_data_dictionary_describes_every_column(exported):
    import pandas as pd
    csv = pd.read_csv(exported["美祢市_KPI達成状況_R4.csv"], encoding="utf-8-sig", dtype=str, nrows=1)
    d = pd.read_csv(exported["美祢市_KPI達成状況_R4_項目定義.csv"], encoding="utf-8-sig", dtype=str)
    assert list(d.columns) == ["項目名", "型", "説明"]
    assert list(d["項目名"]) == list(csv.columns)
    assert d["説明"].str.len().min() > 5
    assert "1 目標達成、2 改善↑、3 －、4 未達成↓" in d.set_index("項目名").loc["評価コード", "説明"]


def _chart(xlsx):
    with zipfile.ZipFile(xlsx) as z:
        chart = etree.fromstring(z.read(next(n for n in z.namelist() if n.startswith("xl/charts/chart"))))
        drawing = z.read(next(n for n in z.namelist() if n.startswith("xl/drawings/drawing"))).decode()
    return chart, drawing


def test_chart_colours_labels_axis_and_alt_text(exported):
    from addin.export.xlsx import CUD_PALETTE
    chart, drawing = _chart(exported["美祢市_KPI達成状況_R4.xlsx"])
    ns = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
          "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    series = chart.findall(".//c:ser", ns)
    fills = [s.find("c:spPr/a:solidFill/a:srgbClr", ns).get("val") for s in series]
    assert fills == [c for c, _ in CUD_PALETTE[:4]]
    # goal 2 and 3 have no "－": their points carry no label (no "0" drawn on an empty segment)
    dash = series[2]
    hidden = [int(d.find("c:idx", ns).get("val")) for d in dash.findall("c:dLbls/c:dLbl", ns)
              if d.find("c:showVal", ns).get("val") in ("0", "false")]
    assert hidden == [1, 2]
    # the value axis crosses the (reversed) category axis at its end: at the bottom, under goal 5
    assert chart.find(".//c:valAx/c:crosses", ns).get("val") == "max"
    assert 'descr="重点戦略ごとの評価の件数の横棒グラフ。' in drawing and "未達成↓ 4件" in drawing


def test_summary_sheet_prints_only_the_published_columns_with_one_dash(sample_copy, run):
    assert run("recalc", sample_copy).exit_code == 0
    wb = load_workbook(sample_copy)
    ws = wb["KPI達成状況"]
    assert re.fullmatch(r"'?KPI達成状況'?!\$A\$1:\$G\$\d+", ws.print_area)
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [v for v in values if v in ("—", "―", "-", "ー")], "one dash character: －"
    assert any("「－」は値がないもの、または算定できないもの" in v for v in values)
    assert any(v.startswith("策定時・実績値・目標の( )内は") for v in values)
    # the fonts of the sheet: one Japanese font with a real bold face
    assert {c.font.name for row in ws.iter_rows() for c in row if c.value is not None} == {"BIZ UDPゴシック"}


@pytest.mark.render
@needs_soffice
def test_public_pdf_is_tagged_japanese_with_real_bold(tmp_path):
    from addin.cli import main
    assert main(["export", str(SAMPLE), "--out", str(tmp_path), "--format", "pdf"]) == 0
    [pdf] = tmp_path.glob("*.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info)
    assert b"/Lang(ja-JP)" in pdf.read_bytes() and b"/Lang(en-US)" not in pdf.read_bytes()
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    if "BIZ UDPGothic" in subprocess.run(["fc-list"], capture_output=True, text=True).stdout:
        assert "BIZUDPGothic-Bold" in fonts and "BIZUDPGothic-Regular" in fonts
