"""Acceptance tests for ``kpi export`` (issue 6): the public report as xlsx, PDF, HTML and CSV.

Every test drives the command line (addin.cli.main) on the Mine City sample or a modified copy of it.
Tests that need LibreOffice are marked ``render`` and skipped only when ``soffice`` is not installed.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lhtml
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty

from addin.cli import main

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "workbooks" / "samples" / "mine_r4.xlsx"
SAMPLE_SOURCE = HERE.parent / "workbooks" / "samples" / "mine_r4_source.csv"
TALLY = {"目標達成": 26, "改善↑": 19, "－": 13, "未達成↓": 20}
GOAL_TALLIES = {"1": (10, 5, 8, 4), "2": (3, 4, 0, 6), "3": (3, 5, 0, 3), "4": (8, 3, 3, 5), "5": (2, 2, 2, 2)}
INTERNAL_HEADERS = ("担当課", "備考", "算定メモ", "検証", "評価(手入力)", "公表済進捗率")

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None,
                                   reason="LibreOffice（soffice）がインストールされていないため、PDFを作成できません")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
                                   reason="poppler-utils（pdftotext, pdffonts）がないため、PDFを検査できません")


def _cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def export(src: Path, out: Path, formats: str | None = None) -> dict[str, Path]:
    code, stdout, stderr = _cli("export", src, "--out", out, *(["--format", formats] if formats else []))
    assert code == 0, stderr
    files = {("dictionary" if p.name.endswith("_項目定義.csv") else p.suffix.lstrip(".")): p
             for p in out.iterdir() if p.is_file()}
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary files left behind"
    return files


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: Path, *opts) -> str:
    return subprocess.run(["pdftotext", *opts, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def source_names() -> list[str]:
    import csv
    with open(SAMPLE_SOURCE, encoding="utf-8", newline="") as f:
        return [r["name"] for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def public(tmp_path_factory) -> dict[str, Path]:
    """The sample's public report in the formats that need no LibreOffice."""
    return export(SAMPLE, tmp_path_factory.mktemp("public"), "xlsx,html,csv")


@pytest.fixture(scope="module")
def public_pdf(tmp_path_factory) -> Path:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice（soffice）がインストールされていないため、PDFを作成できません")
    return export(SAMPLE, tmp_path_factory.mktemp("pdf"), "pdf")["pdf"]


@pytest.fixture(scope="module")
def evaluation_json() -> dict:
    code, out, err = _cli("evaluate", SAMPLE, "--json")
    assert code in (0, 1), err
    return json.loads(out)


# --- PDF -------------------------------------------------------------------------------------------

@pytest.mark.render
@needs_soffice
@needs_poppler
def test_pdf_has_every_kpi_name_and_the_tally(public_pdf, source_names):
    text = squash(pdf_text(public_pdf))
    assert len(source_names) == 78
    missing = [n for n in source_names if squash(n) not in text]
    assert not missing
    layout_lines = pdf_text(public_pdf, "-layout").splitlines()
    total = [line.split() for line in layout_lines if line.split()[:1] == ["合計"]]
    assert ["合計", "26", "19", "13", "20", "78"] in total


@pytest.mark.render
@needs_soffice
@needs_poppler
def test_pdf_is_a4_with_embedded_fonts_and_page_numbers(public_pdf):
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(public_pdf)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert len(sizes) == pages >= 2
    for w, h in sizes:
        assert sorted((round(float(w)), round(float(h)))) == [595, 842]   # A4, portrait or landscape
    fonts = subprocess.run(["pdffonts", str(public_pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows
    # columns: name type [type2] encoding emb sub uni id gen; "emb" is the 5th from the right
    assert all(r[-5] == "yes" for r in rows), fonts
    assert any(re.search(r"IPA|Gothic|Mincho|Noto.*CJK|Yu", r[0]) for r in rows), fonts
    for page in range(1, pages + 1):
        assert f"{page}/{pages}" in squash(pdf_text(public_pdf, "-f", str(page), "-l", str(page)))


# --- HTML ------------------------------------------------------------------------------------------

def test_html_is_one_accessible_table_with_the_same_figures(public, evaluation_json):
    raw = public["html"].read_text(encoding="utf-8")
    doc = lhtml.document_fromstring(raw)
    assert doc.get("lang") == "ja"
    assert doc.findtext(".//title").strip()
    tables = doc.findall(".//table")
    assert len(tables) == 1
    table = tables[0]
    assert len(table.findall("caption")) == 1 and table.findtext("caption").strip()
    ths = doc.findall(".//th")
    assert ths and all(th.get("scope") in ("col", "row", "rowgroup", "colgroup") for th in ths)
    assert [th.text_content() for th in table.findall("thead/tr/th")][0] == "KPI名"
    # self-contained: no scripts, no external resources
    assert not doc.findall(".//script") and not doc.findall(".//link") and not doc.findall(".//img")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", raw)
    # every KPI as a row header, with its status as text and its progress as printed
    rows = {tr.find("th").text_content(): [td.text_content() for td in tr.findall("td")]
            for tr in table.iter("tr") if tr.find("th") is not None and tr.find("th").get("scope") == "row"}
    assert len(rows) == 78
    for k in evaluation_json["kpis"]:
        cells = rows[k["label"]]
        assert cells[-1] == k["status"]
        pct = "－" if k["progress_percent"] is None else f"{k['progress_percent']:.1f}%"
        assert cells[-2] == pct
    # the tally: in the text alternative of the chart, and in each goal's heading row
    tally = {dt.text_content(): dd.text_content() for dt, dd in zip(doc.findall(".//dl[@id='tally-list']/dt"),
                                                                     doc.findall(".//dl[@id='tally-list']/dd"))}
    for cls, n in TALLY.items():
        assert f"{cls} {n}件" in tally["合計"]
    headings = [th.text_content() for th in table.findall(".//th[@scope='rowgroup']")]
    assert len(headings) == len(GOAL_TALLIES)
    for (code, counts), heading in zip(GOAL_TALLIES.items(), headings):
        assert heading.startswith(code + " ")
        expected = [f"{cls} {n}件" for cls, n in zip(TALLY, counts)]
        assert all(e in heading for e in expected)
        assert all(e in next(v for k, v in tally.items() if k.startswith(code + " ")) for e in expected)
    # the chart: inline SVG with a text alternative naming the same figures
    svg = doc.find(".//figure//svg")
    assert svg is not None and svg.get("role") == "img" and svg.get("aria-labelledby")
    assert doc.find(".//figure/figcaption") is not None
    desc = svg.findtext("desc")
    assert all(f"{cls} {n}件" in desc for cls, n in zip(TALLY, GOAL_TALLIES["1"]))


# --- CSV -------------------------------------------------------------------------------------------

def test_csv_round_trips_to_the_evaluation(public, evaluation_json):
    import pandas as pd
    assert public["csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(public["csv"], encoding="utf-8-sig", dtype={c: str for c in ("重点戦略", "戦略方針", "具体的施策", "KPI番号")},
                     keep_default_na=False, na_values=[""])
    kpis = evaluation_json["kpis"]
    assert len(df) == len(kpis) == 78
    for (_, row), k in zip(df.iterrows(), kpis):
        assert row["KPI番号"] == k["id"].replace("-", "_") and row["KPI名"] == k["name"].rstrip("※")
        assert row["単位"] == k["unit"]
        assert (row["重点戦略"], row["戦略方針"], row["具体的施策"]) == tuple(
            k[key].replace("-", "_") for key in ("goal", "policy", "measure"))
        for col, key in (("基準値", "baseline"), ("基準年度", "baseline_year"), ("実績値", "actual"),
                         ("実績年度", "actual_year"), ("目標値", "target"), ("目標年度", "target_year"),
                         ("進捗率(%)", "progress_percent")):
            if k[key] is None:
                assert pd.isna(row[col]), (k["name"], col)
            else:
                assert row[col] == pytest.approx(k[key]), (k["name"], col)
        assert row["評価"] == k["status"]
    assert df["評価"].value_counts().to_dict() == TALLY
    for col in ("基準値", "実績値", "目標値", "進捗率(%)"):
        assert pd.api.types.is_numeric_dtype(df[col])


# --- the public workbook ---------------------------------------------------------------------------

def test_public_workbook_is_values_only_and_print_ready(public):
    path = public["xlsx"]
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "KPI達成状況"
    for ws in wb.worksheets:
        assert ws.sheet_state == "visible"
        assert len(ws.title) <= 31 and not re.search(r"[\[\]:*?/\\]", ws.title)
        assert not any(d.hidden for d in ws.row_dimensions.values())
        assert not any(d.hidden for d in ws.column_dimensions.values())
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 == "9"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert "&P" in ws.oddFooter.center.text
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f" and cell.comment is None
                assert cell.value not in INTERNAL_HEADERS
    summary = wb["KPI達成状況"]
    assert summary.print_title_rows
    # the published columns only (the internal sheet's management columns such as 見込み stay internal)
    header_row = int(re.search(r"\d+", summary.print_title_rows).group())
    headers = [c.value for c in summary[header_row] if c.value is not None]
    assert headers[0] == "KPI名" and headers[-1] == "評価" and len(headers) == 7
    assert summary.max_column == 7
    texts = " ".join(str(c.value) for row in summary.iter_rows() for c in row if isinstance(c.value, str))
    assert "「KPI」シート" not in texts and "見込み" not in texts
    assert "美祢市" in wb.properties.title       # (openpyxl reports a missing creator as "openpyxl": see core.xml)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "docProps/custom.xml" not in names
        assert not [n for n in names if "comment" in n.lower() or "vml" in n.lower()]
        app = z.read("docProps/app.xml").decode()
        assert "Company" not in app and "Manager" not in app
        core = z.read("docProps/core.xml").decode()
        assert "creator" not in core and "lastModifiedBy" not in core
        chart = etree.fromstring(next(z.read(n) for n in names if n.startswith("xl/charts/chart")))
    ns = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
    bar = chart.find(".//c:barChart", ns)
    assert bar.find("c:grouping", ns).get("val") == "stacked"
    assert bar.find("c:overlap", ns).get("val") == "100"
    assert len(bar.findall("c:ser", ns)) == len(TALLY)


# --- nothing internal leaks ------------------------------------------------------------------------

SECRETS = {
    "comment": "SECRET-COMMENT-73a1 内部の検討メモ",
    "hidden_sheet": "SECRET-HIDDEN-SHEET-19c4",
    "hidden_row": "SECRET-HIDDEN-ROW-5d22",
    "department": "SECRET-DEPT-企画政策課",
    "notes": "SECRET-NOTES-8e07",
    "memo": "SECRET-MEMO-4b90",
    "creator": "SECRET-AUTHOR 美祢太郎",
    "last_modified_by": "SECRET-EDITOR-61f5",
    "custom_property": "SECRET-CUSTOM-PROP-2aa8",
}


def _leaky_copy(tmp_path: Path) -> Path:
    wb = load_workbook(SAMPLE)
    ws = wb["KPI"]
    header = next(r for r in range(1, 10) if ws.cell(r, 8).value == "KPI名")
    col = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
    ws.cell(header + 1, col["KPI名"]).comment = Comment(SECRETS["comment"], "職員")
    ws.cell(header + 2, col["担当課"], SECRETS["department"])
    ws.cell(header + 2, col["備考"], SECRETS["notes"])
    ws.cell(header + 3, col["算定メモ"], SECRETS["memo"])
    hidden_row = ws.max_row + 2
    ws.cell(hidden_row, ws.max_column + 3, SECRETS["hidden_row"])
    ws.row_dimensions[hidden_row].hidden = True
    hidden = wb.create_sheet("内部資料")
    hidden["A1"] = SECRETS["hidden_sheet"]
    hidden.sheet_state = "hidden"
    wb.properties.creator = SECRETS["creator"]
    wb.properties.lastModifiedBy = SECRETS["last_modified_by"]
    wb.custom_doc_props.append(StringProperty(name="内部管理番号", value=SECRETS["custom_property"]))
    path = tmp_path / "leaky.xlsx"
    wb.save(path)
    return path


def _xml_text(data: bytes) -> str:
    """A zip part as text with character references resolved (openpyxl writes 企 as &#20225;)."""
    import html
    return html.unescape(data.decode("utf-8", errors="replace"))


def _exported_texts(files: dict[str, Path]) -> dict[str, str]:
    texts = {}
    with zipfile.ZipFile(files["xlsx"]) as z:
        for n in z.namelist():
            texts[f"xlsx:{n}"] = _xml_text(z.read(n))
    texts["html"] = files["html"].read_text(encoding="utf-8")
    texts["csv"] = files["csv"].read_text(encoding="utf-8-sig")
    if "pdf" in files:
        texts["pdf"] = pdf_text(files["pdf"])
        texts["pdfinfo"] = subprocess.run(["pdfinfo", str(files["pdf"])], capture_output=True, text=True).stdout
        texts["pdf:raw"] = files["pdf"].read_bytes().decode("latin-1")
    return texts


@pytest.fixture(scope="module")
def leaked(tmp_path_factory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("leak")
    src = _leaky_copy(tmp)
    # the source really holds every secret (otherwise the test proves nothing)
    with zipfile.ZipFile(src) as z:
        everything = "".join(_xml_text(z.read(n)) for n in z.namelist())
    assert all(s in everything for s in SECRETS.values())
    formats = "xlsx,pdf,html,csv" if shutil.which("soffice") and shutil.which("pdftotext") else "xlsx,html,csv"
    return _exported_texts(export(src, tmp / "out", formats))


@pytest.mark.parametrize("what", sorted(SECRETS))
def test_no_secret_reaches_any_exported_file(leaked, what):
    secret = SECRETS[what]
    found = [name for name, text in leaked.items() if secret in text or secret.split()[0] in text]
    assert not found, f"{what} leaked into {found}"


@pytest.mark.render
@needs_soffice
@needs_poppler
def test_leak_check_covered_the_pdf(leaked):
    assert "pdf" in leaked and "三洞入洞者数" in leaked["pdf"]


# --- formula injection and escaping ----------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://x")', "-1+2", "+SUM(1)", "@cmd", '<b onclick="x()">太字</b>&amp;']


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("hostile")
    wb = load_workbook(SAMPLE)
    ws = wb["KPI"]
    header = next(r for r in range(1, 10) if ws.cell(r, 8).value == "KPI名")
    name_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(header, c).value == "KPI名")
    for i, name in enumerate(HOSTILE, start=1):
        cell = ws.cell(header + i, name_col)
        cell.value = name
        cell.data_type = "s"     # typed as text (Excel: a leading apostrophe), not a formula
    src = tmp / "hostile.xlsx"
    wb.save(src)
    return export(src, tmp / "out", "xlsx,html,csv")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_inert_in_csv(hostile, name):
    import pandas as pd
    df = pd.read_csv(hostile["csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    cells = list(df["KPI名"])
    expected = "'" + name if name[0] in "=+-@" else name
    assert expected in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_escaped_in_html(hostile, name):
    raw = hostile["html"].read_text(encoding="utf-8")
    doc = lhtml.document_fromstring(raw)
    row_headers = [th.text_content() for th in doc.findall(".//th[@scope='row']")]
    assert name in row_headers                       # shown exactly as typed, as text
    assert not doc.findall(".//table//b") and "onclick" not in {a for el in doc.iter() for a in el.attrib}
    assert 'HYPERLINK("' not in raw                  # quotes escaped too


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_text_in_the_public_workbook(hostile, name):
    ws = load_workbook(hostile["xlsx"])["KPI達成状況"]
    cells = {c.value: c.data_type for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert cells.get(name) == "s"


# --- errors a clerk may meet -----------------------------------------------------------------------

def test_unknown_format_is_a_japanese_error(tmp_path):
    code, _, err = _cli("export", SAMPLE, "--out", tmp_path, "--format", "docx")
    assert code == 2 and "docx" in err and "Traceback" not in err


def test_missing_soffice_names_what_to_install(tmp_path, monkeypatch):
    from addin.export import pdf
    monkeypatch.setattr(pdf, "find_soffice", lambda: None)
    code, _, err = _cli("export", SAMPLE, "--out", tmp_path / "out")
    assert code == 2 and "libreoffice" in err.lower() and "apt-get install" in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())   # nothing half-written


def test_library_call_with_an_evaluation(tmp_path):
    """What the ribbon button 公表用出力 calls: an Evaluation in, {format: path} out."""
    from addin.api import evaluate_file
    from addin.export import export_all
    ev = evaluate_file(SAMPLE)
    paths = export_all(ev, tmp_path, formats=("html", "csv"))
    assert set(paths) == {"html", "csv", "dictionary"} and all(p.exists() and p.parent == tmp_path for p in paths.values())


# --- other status schemes --------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["four-class", "three-mark", "letter"])
def test_every_scheme_exports_its_own_tally(tmp_path, scheme):
    import pandas as pd
    code, out, err = _cli("evaluate", SAMPLE, "--json", "--scheme", scheme)
    ev = json.loads(out)
    classes, total = ev["scheme"]["classes"], ev["tallies"]["total"]
    code, _, err = _cli("export", SAMPLE, "--out", tmp_path, "--format", "xlsx,html,csv", "--scheme", scheme)
    assert code == 0, err
    files = {p.suffix.lstrip("."): p for p in tmp_path.iterdir() if not p.name.endswith("_項目定義.csv")}
    df = pd.read_csv(files["csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert {c: int((df["評価"] == c).sum()) for c in classes} == total
    doc = lhtml.document_fromstring(files["html"].read_text(encoding="utf-8"))
    dd = doc.findall(".//dl[@id='tally-list']/dd")[-1].text_content()
    assert all(f"{c} {n}件" in dd for c, n in total.items())
    wb = load_workbook(files["xlsx"])
    tally = [[c.value for c in row] for row in wb["KPI達成状況"].iter_rows() if row[0].value == "合計"][0]
    assert tally[1:len(classes) + 1] == [total[c] for c in classes]
