"""照会・回答 through the command line: kpi split makes one workbook per 担当課, kpi merge takes the answers back.

The master is workbooks/samples/mine_r4_departments.xlsx: the Mine City sample whose 担当課 column is filled as a
constructed example and whose R4 actuals are still empty.  The departments answer with the published R4 values.
"""
from __future__ import annotations

import csv
import importlib.util
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from addin.core import collect as C
from addin.core.findings import ERROR
from conftest import SAMPLE, SAMPLE_SOURCE, WORKBOOKS

MASTER = WORKBOOKS / "samples" / "mine_r4_departments.xlsx"
R4 = "実績値 R4"


def _load_sample_builder():
    spec = importlib.util.spec_from_file_location("mine_r4_departments", MASTER.with_suffix(".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def published_r4() -> dict[str, object]:
    """KPI番号 → the R4 actual as printed in the report (numbers as numbers, as a clerk types them)."""
    from addin.book.template import _typed
    with open(SAMPLE_SOURCE, encoding="utf-8", newline="") as f:
        return {r["kpi_id"]: _typed(r["actual_R4"]) for r in csv.DictReader(f)}


def headers(ws, row=4) -> dict[str, int]:
    return {c.value: c.column for c in ws[row] if c.value is not None}


def kpi_rows(ws) -> dict[str, int]:
    """KPI番号 → row of a KPI sheet (header in row 4)."""
    col = headers(ws)["KPI番号"]
    return {ws.cell(r, col).value: r for r in range(5, ws.max_row + 1) if ws.cell(r, col).value}


def master_departments(path=MASTER) -> dict[str, list[str]]:
    ws = load_workbook(path)["KPI"]
    h = headers(ws)
    out: dict[str, list[str]] = {}
    for kid, r in kpi_rows(ws).items():
        out.setdefault(ws.cell(r, h["担当課"]).value, []).append(kid)
    return out


def answer(path: Path, values: dict[str, object], protect_off=False, locked: dict | None = None, column=R4) -> Path:
    """Fill a department file as the clerk would in Excel: the R4 cell of each KPI番号 given; optionally lift the
    sheet protection and change a locked cell (KPI番号 → {header: value})."""
    wb = load_workbook(path)
    ws = wb["KPI"]
    h, rows = headers(ws), kpi_rows(ws)
    for kid, v in values.items():
        cell = ws.cell(rows[kid], h[column])
        assert not cell.protection.locked
        cell.value = v
        if isinstance(v, float) and v < 1.5:
            cell.number_format = "0.0%"   # Excel turns a typed 66.5% into 0.665 shown as %
    if protect_off:
        ws.protection.sheet = False
    for kid, changes in (locked or {}).items():
        for header, v in changes.items():
            assert ws.cell(rows[kid], h[header]).protection.locked
            ws.cell(rows[kid], h[header]).value = v
    wb.save(path)
    return path


@pytest.fixture
def master(tmp_path) -> Path:
    dst = tmp_path / "master.xlsx"
    shutil.copy(MASTER, dst)
    return dst


@pytest.fixture
def split(master, run, tmp_path):
    out = tmp_path / "照会"
    res = run("split", master, "--out", out, "--deadline", "2024-06-30")
    assert res.exit_code == 0, res.output + res.stderr
    return {p.name: p for p in out.iterdir()}


def file_of(split, dept) -> Path:
    return split[f"照会_{dept}_R4.xlsx"]


def snapshot(path: Path, skip_sheets=(C.SHEET_COLLECTION,)) -> dict:
    """Every cell of every sheet: value and style (font, fill, border, alignment, protection, number format)."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        if ws.title in skip_sheets:
            continue
        for row in ws.iter_rows():
            for c in row:
                out[(ws.title, c.coordinate)] = (c.value, repr(c.font), repr(c.fill), repr(c.border),
                                                 repr(c.alignment), repr(c.protection), c.number_format)
        out[(ws.title, "sheet")] = (ws.protection.sheet, ws.protection.password, ws.freeze_panes, ws.sheet_state,
                                    sorted(str(m) for m in ws.merged_cells.ranges),
                                    sorted((k, d.width) for k, d in ws.column_dimensions.items()),
                                    sorted((str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation),
                                    sorted(str(r.sqref) for r in ws.conditional_formatting), ws.print_title_rows)
    out["defined names"] = sorted(n for n in wb.defined_names if n != C.COLLECTION_MARKER)
    return out


# ------------------------------------------------------------------------------------------------ split
def test_split_one_file_per_department_with_exactly_its_kpis(split):
    depts = master_departments()
    assert len(depts) >= 10
    assert set(split) == {f"照会_{d}_R4.xlsx" for d in depts}
    for dept, ids in depts.items():
        wb = load_workbook(file_of(split, dept))
        assert list(kpi_rows(wb["KPI"])) == ids, dept
        ws = wb["KPI"]
        h = headers(ws)
        assert {ws.cell(r, h["担当課"]).value for r in kpi_rows(ws).values()} == {dept}


def test_split_locks_everything_but_the_evaluation_years_inputs(split):
    wb = load_workbook(file_of(split, "観光政策課"))
    ws = wb["KPI"]
    h = headers(ws)
    # earlier years visible for reference, later years and computed columns not sent
    assert {"実績値 R2", "実績値 R3", R4, "基準値", "目標値", "KPI名", "備考"} <= set(h)
    assert not {"実績値 R5", "実績値 R6", "進捗率", "評価", "検証"} & set(h)
    rows = kpi_rows(ws)
    for r in range(1, ws.max_row + 1):
        for c in range(1, ws.max_column + 1):
            unlocked = not ws.cell(r, c).protection.locked
            assert unlocked == (r in rows.values() and c in (h[R4], h["備考"])), ws.cell(r, c).coordinate
    for sheet in wb.worksheets:
        assert sheet.protection.sheet and not sheet.protection.password, sheet.title   # no password: never locked out
    assert wb[C.SHEET_IDENTITY].sheet_state == "veryHidden"
    assert wb.sheetnames[0] == C.SHEET_INSTRUCTIONS
    text = "\n".join(str(c.value) for c in wb[C.SHEET_INSTRUCTIONS]["A"] if c.value)
    for must in ("2024-06-30", R4, "▲90", "11(R1)", "24万人", "集計中", "約120", "パスワードなし"):
        assert must in text, must


def test_split_reports_kpis_without_department_once(master, run, tmp_path):
    wb = load_workbook(master)
    ws = wb["KPI"]
    h = headers(ws)
    rows = kpi_rows(ws)
    for kid in ("1-1-1-01", "2-1-3-01"):
        ws.cell(rows[kid], h["担当課"]).value = None
    wb.save(master)
    res = run("split", master, "--out", tmp_path / "out")
    assert res.exit_code == 1
    from addin.core.findings import CATALOGUE
    lines = [x for x in res.output.splitlines() if CATALOGUE["collect_no_department"].title in x]
    assert len(lines) == 1 and "2件" in lines[0] and "三洞入洞者数" in lines[0] and "{" not in lines[0]
    # the sample's 施策 sheet: 2-1-3 had only that KPI, so no department answers its texts (said once, as a
    # measure); 1-1-1 still goes to the department of its other KPIs
    lines = [x for x in res.output.splitlines() if CATALOGUE["collect_measure_no_department"].title in x]
    assert len(lines) == 1 and "施策!" in lines[0] and "1件" in lines[0] and "施策 2-1-3：KPIの担当課も空欄" in lines[0]
    assert "1-1-1" in sent_measures(tmp_path / "out" / "照会_観光政策課_R4.xlsx")
    sent = set()
    for p in (tmp_path / "out").iterdir():
        sent |= set(kpi_rows(load_workbook(p)["KPI"]))
    assert sent == set(rows) - {"1-1-1-01", "2-1-3-01"}


def test_split_does_not_overwrite_returned_files(master, run, tmp_path):
    out = tmp_path / "out"
    assert run("split", master, "--out", out).exit_code == 0
    res = run("split", master, "--out", out)
    assert res.exit_code == 2 and "--force" in res.stderr
    assert run("split", master, "--out", out, "--force").exit_code == 0


@pytest.mark.parametrize("name, expected", [
    ("観光政策課", "観光政策課"), ("企画/政策:課", "企画_政策_課"), ("CON", "_CON"), ("課. ", "課"),
    ('a*b?"c<d>e|f\\g', "a_b__c_d_e_f_g"), ("", "_"),
])
def test_department_file_names_are_safe_on_windows(name, expected):
    assert C.safe_filename(name) == expected


def test_department_file_names_never_collide():
    taken: set[str] = set()
    names = [C.department_filename(d, 2022, taken) for d in ("企画/課", "企画_課", "企画:課")]
    assert len(set(names)) == 3


# ------------------------------------------------------------------------------------------------ merge
def test_merge_acceptance(master, split, run):
    """Two returned files: one with a bad entry, one changing a locked cell with the protection removed."""
    r4 = published_r4()
    depts = master_departments()
    before = snapshot(master)
    tourism = answer(file_of(split, "観光政策課"), dict({k: r4[k] for k in depts["観光政策課"]}, **{"1-1-1-02": "約220,000"}))
    farming = answer(file_of(split, "農林課"), {k: r4[k] for k in depts["農林課"]}, protect_off=True,
                     locked={"1-2-1-01": {"目標値": 99}})
    wb = load_workbook(farming)
    ws = wb["KPI"]
    ws.cell(ws.max_row + 1, headers(ws)["KPI名"]).value = "新しい指標"     # a row added below the rows sent
    wb.save(farming)
    res = run("merge", master, tourism, farming, "--json")
    assert res.exit_code == 1
    report = strict(res.json())
    # the master gets exactly the valid answers
    expected = {k: r4[k] for k in depts["観光政策課"] + depts["農林課"] if k not in ("1-1-1-02", "1-2-1-01")}
    ws = load_workbook(master)["KPI"]
    h, rows = headers(ws), kpi_rows(ws)
    got = {k: ws.cell(r, h[R4]).value for k, r in rows.items() if ws.cell(r, h[R4]).value is not None}
    assert got == expected
    # findings name the file and cell of each problem
    errors = {(f["file"], f["sheet"], f["cell"], f["code"]) for f in report["findings"] if f["severity"] == ERROR}
    t_ws = load_workbook(tourism)["KPI"]
    f_ws = load_workbook(farming)["KPI"]
    bad = f"{t_ws.cell(kpi_rows(t_ws)['1-1-1-02'], headers(t_ws)[R4]).coordinate}"
    locked = f"{f_ws.cell(kpi_rows(f_ws)['1-2-1-01'], headers(f_ws)['目標値']).coordinate}"
    assert (tourism.name, "KPI", bad, "approximate_value") in errors
    assert (tourism.name, "KPI", bad, "collect_rejected_entry") in errors
    assert (farming.name, "KPI", locked, "collect_locked_changed") in errors
    added = f"{f_ws.cell(f_ws.max_row, headers(f_ws)['KPI名']).coordinate}"
    assert (farming.name, "KPI", added, "collect_locked_changed") in errors
    assert len(errors) == 4
    text = run("merge", master, tourism, farming).output   # as a clerk reads it (nothing new is written)
    assert f"[{tourism.name}]KPI!{bad}" in text and f"[{farming.name}]KPI!{locked}" in text
    # 回収状況
    table = {row["担当課"]: row for row in report["departments"]}
    assert set(table) == set(depts)
    assert (table["観光政策課"]["状態"], table["観光政策課"]["回答KPI数"], table["観光政策課"]["エラー"]) == ("一部回収", 8, 2)
    assert (table["農林課"]["状態"], table["農林課"]["回答KPI数"], table["農林課"]["エラー"]) == ("一部回収", 6, 2)
    assert table["観光政策課"]["照会KPI数"] == 9 and table["観光政策課"]["ファイル"] == tourism.name
    assert table["観光政策課"]["最終取り込み"]
    for d in set(depts) - {"観光政策課", "農林課"}:
        assert (table[d]["状態"], table[d]["回答KPI数"], table[d]["最終取り込み"]) == ("未回収", 0, None)
    wb = load_workbook(master)
    sheet = wb[C.SHEET_COLLECTION]
    values = [[c.value for c in row] for row in sheet.iter_rows(max_col=8)]
    assert values[2] == list(C.COLLECTION_HEADERS)
    assert any(v[:4] == ["観光政策課", 9, "一部回収", 8] for v in values)
    assert wb.defined_names[C.COLLECTION_MARKER].hidden
    assert wb.defined_names[C.COLLECTION_MARKER].attr_text == f"'{C.SHEET_COLLECTION}'!$A$1"
    # every other cell of the master is unchanged: values and styles
    after = snapshot(master)
    written = {("KPI", ws.cell(rows[k], h[R4]).coordinate) for k in expected}
    assert set(after) == set(before)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == written
    for k in written:
        assert before[k][1:] == after[k][1:], k   # the style of a written cell stays


def test_merge_same_answers_twice_changes_nothing(master, split, run):
    r4 = published_r4()
    depts = master_departments()
    files = [answer(file_of(split, d), {k: r4[k] for k in depts[d]}) for d in ("観光政策課", "学校教育課")]
    assert run("merge", master, *files).exit_code == 0
    first = master.read_bytes()
    res = run("merge", master, *files)
    assert res.exit_code == 0 and "変更はありませんでした" in res.output
    assert master.read_bytes() == first
    # one at a time, in another order: still nothing
    assert run("merge", master, files[1]).exit_code == 0
    assert master.read_bytes() == first


def test_merge_into_a_master_changed_meanwhile_refuses_only_the_conflicting_rows(master, split, run):
    r4 = published_r4()
    ids = master_departments()["観光政策課"]
    reply = answer(file_of(split, "観光政策課"), {k: r4[k] for k in ids})
    wb = load_workbook(master)
    ws = wb["KPI"]
    h, rows = headers(ws), kpi_rows(ws)
    ws.cell(rows["1-1-1-01"], h["目標値"]).value = 600            # edited after the split
    ws.cell(rows["1-1-2-01"], h[R4]).value = 1234                 # typed by hand meanwhile
    ws.cell(rows["1-1-3-01"], h["KPI番号"]).value = "1-1-3-01a"   # renamed
    ws.cell(rows["1-1-2-03"], h["目標値"]).value = 90             # edited, and its answer 11(R1) has a warning
    wb.save(master)
    res = run("merge", master, reply, "--json")
    assert res.exit_code == 1
    codes = {(f["kpi"], f["code"]) for f in strict(res.json())["findings"] if f["severity"] == ERROR}
    assert codes == {("三洞入洞者数", "collect_master_changed"),
                     ("本市を訪れる外国人観光客数", "collect_master_input_changed"),
                     ("秋吉台地域公衆トイレの洋式化率", "collect_kpi_missing"),
                     ("観光地キャッシュレス導入店舗割合", "collect_master_changed")}
    ws = load_workbook(master)["KPI"]
    rows = kpi_rows(ws)
    got = {k: ws.cell(r, h[R4]).value for k, r in rows.items() if k in ids}
    assert got == {k: (1234 if k == "1-1-2-01" else None if k in ("1-1-1-01", "1-1-2-03") else r4[k])
                   for k in ids if k != "1-1-3-01"}


def test_percent_typed_in_excel_keeps_its_meaning(master, split, run):
    """66.5% typed in Excel arrives as 0.665 shown as %: the master evaluates it as 66.5%."""
    reply = answer(file_of(split, "観光政策課"), {"1-1-2-03": 0.289})
    merged = run("merge", master, reply, "--json")
    assert merged.exit_code == 0
    unanswered = [f for f in strict(merged.json())["findings"] if f["code"] == "collect_unanswered"]
    assert len(unanswered) == 8 and {f["file"] for f in unanswered} == {reply.name}
    assert merged.json()["departments"][0]["未回答"] == 8
    res = run("evaluate", master, "--json").json()
    kpi = next(k for k in res["kpis"] if k["name"] == "観光地キャッシュレス導入店舗割合")
    assert kpi["actual"] == pytest.approx(28.9)


def strict(report) -> dict:
    """Every message formatted with all its parameters (a missing one would leave the template's braces)."""
    for f in report["findings"]:
        assert "{" not in f["message"] and "}" not in f["message"], f
    return report


@pytest.mark.parametrize("case", ["other_year", "other_master", "not_a_reply", "duplicate", "frame"])
def test_files_that_do_not_belong_are_refused_whole(master, split, run, tmp_path, case):
    r4 = published_r4()
    ids = master_departments()["観光政策課"]
    reply = answer(file_of(split, "観光政策課"), {k: r4[k] for k in ids})
    files, code = [reply], None
    if case == "other_year":
        other = tmp_path / "r3.xlsx"
        shutil.copy(MASTER, other)
        wb = load_workbook(other)
        st = wb["設定"]
        next(r for r in st.iter_rows() if r[0].value == "評価年度")[1].value = "R3"
        wb.save(other)
        assert run("split", other, "--out", tmp_path / "r3").exit_code == 0
        files = [answer(tmp_path / "r3" / "照会_観光政策課_R3.xlsx", {"1-1-1-01": 300}, column="実績値 R3")]
        code = "collect_other_year"
    elif case == "other_master":
        other = tmp_path / "city.xlsx"
        shutil.copy(WORKBOOKS / "samples" / "sample_city_r6.xlsx", other)
        wb = load_workbook(other)
        ws = wb["KPI"]
        for r in range(5, ws.max_row + 1):
            ws.cell(r, headers(ws)["担当課"]).value = "観光政策課"
        st = wb["設定"]
        next(r for r in st.iter_rows() if r[0].value == "評価年度")[1].value = "R4"
        wb.save(other)
        assert run("split", other, "--out", tmp_path / "city").exit_code == 0
        files, code = list((tmp_path / "city").iterdir()), "collect_other_master"
    elif case == "not_a_reply":
        files, code = [SAMPLE], "collect_not_a_reply"
    elif case == "duplicate":
        twice = tmp_path / "再送.xlsx"
        shutil.copy(reply, twice)
        files, code = [reply, twice], "collect_duplicate_file"
    elif case == "frame":
        wb = load_workbook(reply)
        wb["KPI"].protection.sheet = False
        wb["KPI"].cell(4, headers(wb["KPI"])["目標値"]).value = "目標値 R6"
        wb.save(reply)
        code = "collect_frame_changed"
    before = snapshot(master)
    res = run("merge", master, *files, "--json")
    assert res.exit_code == 1
    found = [f for f in strict(res.json())["findings"] if f["severity"] == ERROR]
    assert {f["code"] for f in found} == {code}
    assert {f["file"] for f in found} == {p.name for p in files}
    assert res.json()["written"] == []
    after = snapshot(master)
    assert {k for k in before if before[k] != after.get(k)} == set()


def test_merge_refuses_a_clerks_sheet_named_like_the_tools(master, split, run):
    wb = load_workbook(master)
    wb.create_sheet(C.SHEET_COLLECTION)["A1"] = "手書きのメモ"
    wb.save(master)
    before = master.read_bytes()
    res = run("merge", master, file_of(split, "農林課"))
    assert res.exit_code == 2 and "このツールが作ったものではない" in res.stderr
    assert master.read_bytes() == before


# ------------------------------------------------------------------------------------------------ 施策
# The sample has the template's 施策 sheet (core.narrative: header in row 3, 区分・番号・名称・担当課・説明 and the
# four yearly texts), with the texts of the published report and no 担当課 of its own on any row.
YEARLY = ("現状・取組内容", "評価", "課題", "方向性")


def measure_departments(path=MASTER) -> dict[str, list[str]]:
    """具体的施策番号 → the departments of its KPIs (KPI sheet)."""
    ws = load_workbook(path)["KPI"]
    h = headers(ws)
    out: dict[str, list[str]] = {}
    for r in kpi_rows(ws).values():
        dept = ws.cell(r, h["担当課"]).value
        if dept and dept not in out.setdefault(ws.cell(r, h["具体的施策"]).value, []):
            out[ws.cell(r, h["具体的施策"]).value].append(dept)
    return out


def measure_sheet_rows(ws, header_row=3) -> dict[str, int]:
    """番号 of the 具体的施策 rows → row."""
    h = headers(ws, header_row)
    return {ws.cell(r, h["番号"]).value: r for r in range(header_row + 1, ws.max_row + 1)
            if ws.cell(r, h["区分"]).value == "具体的施策"}


def sent_measures(path) -> list[str]:
    """The 番号 of the 施策 rows in a department file (header in row 4), [] without a 施策 sheet."""
    wb = load_workbook(path)
    if "施策" not in wb.sheetnames:
        return []
    ws = wb["施策"]
    return [ws.cell(r, headers(ws)["番号"]).value for r in range(5, ws.max_row + 1)]


def test_measure_texts_go_out_and_come_back(master, run, tmp_path):
    """A new year's 照会: the yearly texts of 1-1-1 and 1-1-2 are blank in the master; each department gets the
    measures of its KPIs, writes into the yellow cells, and the merge puts exactly those texts back."""
    wb = load_workbook(master)
    ws = wb["施策"]
    h, rows = headers(ws, 3), measure_sheet_rows(ws)
    for code in ("1-1-1", "1-1-2"):
        for text in YEARLY:
            ws.cell(rows[code], h[text]).value = None
    wb.save(master)
    before = snapshot(master)
    out = tmp_path / "out"
    res = run("split", master, "--out", out)
    assert res.exit_code == 0, res.output
    depts = measure_departments(master)
    for dept in ("観光政策課", "農林課"):
        expected = [c for c in rows if depts.get(c) == [dept]]
        assert expected and sent_measures(out / f"照会_{dept}_R4.xlsx") == expected, dept
    reply = out / "照会_観光政策課_R4.xlsx"
    wb = load_workbook(reply)
    ws = wb["施策"]
    dh = headers(ws)
    assert ws.cell(5, dh["番号"]).value == "1-1-1"
    assert all(not ws.cell(5, dh[t]).protection.locked for t in YEARLY)
    assert ws.cell(5, dh["説明"]).protection.locked and ws.cell(5, dh["名称"]).protection.locked
    ws.cell(5, dh["現状・取組内容"]).value = "三洞入洞者数は回復傾向です。\n認定DMOを取得しました。"
    ws.cell(5, dh["課題"]).value = "観光コンセプトの策定"
    wb.save(reply)
    assert run("merge", master, reply).exit_code == 0
    after = snapshot(master)
    r111 = rows["1-1-1"]
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed == {("施策", get_column_letter(h[t]) + str(r111)) for t in ("現状・取組内容", "課題")}
    ms = load_workbook(master)["施策"]
    assert ms.cell(r111, h["現状・取組内容"]).value == "三洞入洞者数は回復傾向です。\n認定DMOを取得しました。"
    assert ms.cell(r111, h["課題"]).value == "観光コンセプトの策定"
    assert ms.cell(r111, h["評価"]).value is None and ms.cell(rows["1-1-2"], h["現状・取組内容"]).value is None


# ------------------------------------------------------------------------------------------------ sample
def test_department_sample_is_generated_by_its_script(tmp_path):
    built = tmp_path / "built.xlsx"
    _load_sample_builder().build().save(built)
    assert snapshot(built, ()) == snapshot(MASTER, ())
    wb = load_workbook(MASTER)
    assert "作成例" in str(wb["設定"]["B15"].value) or any(
        "作成例" in str(c.value) for row in wb["設定"].iter_rows() for c in row if c.value)
    # everything but 担当課 and the R4 actuals is the Mine sample
    ws, src = wb["KPI"], load_workbook(SAMPLE)["KPI"]
    h = headers(ws)
    for row in ws.iter_rows(min_row=5):
        for c in row:
            if c.column not in (h["担当課"], h[R4]):
                assert c.value == src[c.coordinate].value, c.coordinate


# ------------------------------------------------------------------------------------------------ ribbon
def press(monkeypatch, wb, button) -> str:
    """Press a ribbon button as the VBA launcher does, on ``wb`` open in the Excel stand-in; the alert shown."""
    import fake_excel
    from addin import ribbon
    excel = wb._excel
    with fake_excel.attached(monkeypatch):
        assert ribbon.main([button, str(wb.app.Hwnd), wb.FullName]) == ribbon.EXIT_OK
    return excel.app.alerts[-1][0]


def names_of(wb) -> dict[str, tuple[str, bool]]:
    """The workbook's defined names as Excel holds them: name → (RefersTo, Visible)."""
    return {n._name: (n.RefersTo, n.Visible) for n in wb.names}


def test_ribbon_buttons_split_and_merge_like_the_cli(tmp_path, monkeypatch, run):
    """［照会ファイル作成］ writes <book>_照会 beside the workbook; ［回答の取り込み］ takes <book>_回答 into the open
    workbook: the same cells as kpi merge, and the same 回収状況."""
    import fake_excel
    live_master = tmp_path / "live" / "master.xlsx"
    live_master.parent.mkdir()
    shutil.copy(MASTER, live_master)
    wb = load_workbook(live_master)
    st = wb["設定"]
    st.append(["回答期限", "2024-07-10"])
    wb.save(live_master)
    book = fake_excel.open_in_excel(live_master)
    flags = dict(book.sheet("KPI").protection_flags)
    assert book.sheet("KPI").protected and flags   # the master's KPI sheet is protected without a password
    message = press(monkeypatch, book, "kpi_split")
    out = tmp_path / "live" / "master_照会"
    assert "14件" in message and "観光政策課" in message, message
    assert {p.name for p in out.iterdir()} == {f"照会_{d}_R4.xlsx" for d in master_departments()}
    ins = load_workbook(out / "照会_観光政策課_R4.xlsx")[C.SHEET_INSTRUCTIONS]
    assert any("2024-07-10" in str(c.value) for c in ins["A"])
    # the departments answer; the planning section saves the files in master_回答
    r4, depts = published_r4(), master_departments()
    replies = tmp_path / "live" / "master_回答"
    replies.mkdir()
    for dept in ("観光政策課", "農林課"):
        shutil.copy(out / f"照会_{dept}_R4.xlsx", replies)
    answer(replies / "照会_観光政策課_R4.xlsx", dict({k: r4[k] for k in depts["観光政策課"]}, **{"1-1-1-02": "約220,000"}))
    answer(replies / "照会_農林課_R4.xlsx", {k: r4[k] for k in depts["農林課"]})
    message = press(monkeypatch, book, "kpi_merge")
    assert "取り込みました" in message and "エラー 2件" in message, message
    # the command line on a copy of the same master with the same files
    cli_master = tmp_path / "cli.xlsx"
    shutil.copy(MASTER, cli_master)
    res = run("merge", cli_master, *sorted(replies.iterdir()), "--json")
    cli = fake_excel.open_in_excel(cli_master)
    assert book.sheet("KPI").values() == cli.sheet("KPI").values()
    assert book.sheet("KPI").formulas == cli.sheet("KPI").formulas
    assert book.sheet("KPI").formats == cli.sheet("KPI").formats
    # protection put back with the clerk's own settings, and Excel never asked for a password
    assert book.sheet("KPI").protected and book.sheet("KPI").protection_flags == flags
    assert not [a for a in book.app.alerts if a[0] == "password prompt"]
    live_rows = book.sheet(C.SHEET_COLLECTION).values()
    cli_rows = cli.sheet(C.SHEET_COLLECTION).values()
    when_col = C.COLLECTION_HEADERS.index("最終取り込み") + 1   # the time of each merge differs
    when = {k for k in cli_rows if k[1] == when_col and k[0] > 3 and cli_rows.get((k[0], 1)) in depts}
    assert {k: v for k, v in live_rows.items() if k not in when} == {k: v for k, v in cli_rows.items() if k not in when}
    assert names_of(book)[C.COLLECTION_MARKER] == (f"='{C.SHEET_COLLECTION}'!$A$1", False)
    assert names_of(book) == names_of(cli)
    assert res.exit_code == 1
    # pressed again: nothing new
    message = press(monkeypatch, book, "kpi_merge")
    assert "新しく取り込む回答はありませんでした" in message, message


def big_master(tmp_path, times: int) -> Path:
    """The Mine sample's 78 KPIs repeated ``times`` times (tests/test_live.py), with 担当課 filled as in the
    department sample and the R4 actuals empty."""
    from test_live import big_sample

    from addin.core.table import find_header, map_columns
    from addin.core.values import fiscal_year
    department = _load_sample_builder().department
    path = big_sample(tmp_path, times, percent_cells=False)
    wb = load_workbook(path)
    ws = wb["KPI"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    hr = find_header(rows)
    cols, actual = map_columns(rows[hr - 1])
    for r in range(hr + 1, ws.max_row + 1):
        code = ws.cell(r, cols["measure_code"]).value
        if code:
            ws.cell(r, cols["department"], department(str(code)))
            ws.cell(r, actual[fiscal_year("R4")]).value = None
    wb.save(path)
    return path


def test_ribbon_merge_makes_the_same_number_of_excel_calls_at_780_kpis(tmp_path, monkeypatch):
    """Every department answers every KPI: ［回答の取り込み］ writes 10 times as many cells with the same number of
    calls into Excel (per written column one span read and one write, never one call per cell)."""
    import fake_excel
    r4 = published_r4()
    counts, written = {}, {}
    for times in (1, 10):
        folder = tmp_path / f"x{times}"
        folder.mkdir()
        book = fake_excel.open_in_excel(shutil.copy(big_master(tmp_path, times), folder / "master.xlsx"))
        assert "照会ファイルを" in press(monkeypatch, book, "kpi_split")
        replies = folder / "master_回答"
        replies.mkdir()
        for f in (folder / "master_照会").iterdir():
            ws = load_workbook(f)["KPI"]
            ids = kpi_rows(ws)
            answer(shutil.copy(f, replies), {k: r4[k.rsplit("-", 1)[0]] for k in ids})
        before = len(book._excel.calls)
        message = press(monkeypatch, book, "kpi_merge")
        assert "取り込みました" in message and "エラーはありません" in message, message
        counts[78 * times] = len(book._excel.calls) - before
        ws = book.sheet("KPI")
        r4_col = next(c for (r, c), v in ws.cells.items() if r == 4 and v == R4)
        written[78 * times] = sum(1 for (r, c) in ws.cells if c == r4_col and r > 4)
    assert written[780] >= 10 * written[78] > 0, written
    assert counts[78] == counts[780], counts


@pytest.fixture
def answered_live(tmp_path, run):
    """The department master open in Excel with a formula, a number typed as text and an error in the R4 cells
    of 商工労働課 (which does not answer), and the answers of every other department in master_回答."""
    import fake_excel
    src = tmp_path / "master.xlsx"
    shutil.copy(MASTER, src)
    wb = load_workbook(src)
    ws = wb["KPI"]
    h, rows = headers(ws), kpi_rows(ws)
    depts = master_departments()
    kept = dict(zip(depts["商工労働課"], ("=1+1", "00123", "1/2")))
    for kid, v in kept.items():
        ws.cell(rows[kid], h[R4]).value = v
        if v != "=1+1":
            ws.cell(rows[kid], h[R4]).data_type = "s"
    wb.save(src)
    assert run("split", src, "--out", tmp_path / "master_照会").exit_code == 0
    r4 = published_r4()
    (tmp_path / "master_回答").mkdir()
    for dept, ids in depts.items():
        if dept != "商工労働課":
            f = shutil.copy(tmp_path / "master_照会" / f"照会_{dept}_R4.xlsx", tmp_path / "master_回答")
            answer(Path(f), {k: r4[k] for k in ids})
    return fake_excel.open_in_excel(src), {(rows[k], h[R4]): v for k, v in kept.items()}


def test_ribbon_merge_keeps_the_other_cells_of_the_column_as_they_were(answered_live, monkeypatch):
    """The answers are written a column span at a time: a formula, a number typed as text ("00123", "1/2") in
    the span stay what they were (Excel would read them as a number or a date if written back as typed)."""
    book, kept = answered_live
    message = press(monkeypatch, book, "kpi_merge")
    assert "取り込みました" in message and "エラーはありません" in message, message
    ws = book.sheet("KPI")
    rows = [r for r, _ in kept]
    answered = [r for (r, c) in ws.cells if c == next(iter(kept))[1] and r > 4 and (r, c) not in kept]
    assert min(answered) < min(rows) and max(rows) < max(answered)   # inside the span written
    assert {rc: ws.formulas.get(rc, ws.cells.get(rc)) for rc in kept} == kept


def test_ribbon_merge_refuses_a_password_protected_master_without_a_prompt(answered_live, monkeypatch):
    book, _ = answered_live
    ws = book.sheet("KPI")
    ws.Unprotect()
    ws.Protect(Password="secret", AllowFormattingColumns=True)
    before = {s._name: (dict(s.cells), dict(s.formats)) for s in book.sheets}
    message = press(monkeypatch, book, "kpi_merge")
    assert "パスワードで保護" in message and "シート保護の解除" in message, message
    assert {s._name: (dict(s.cells), dict(s.formats)) for s in book.sheets} == before
    assert not [n for n in book.names if n._name == C.COLLECTION_MARKER]
    assert not [a for a in book.app.alerts if a[0] == "password prompt"]


def test_every_collection_finding_has_an_example_here():
    """Each collect_* code of the catalogue is produced (and its message checked) by a test of this file."""
    from addin.core.findings import CATALOGUE
    source = Path(__file__).read_text(encoding="utf-8")
    missing = {c for c in CATALOGUE if c.startswith("collect_") and f'"{c}"' not in source}
    assert missing == set()


def test_split_refuses_a_deadline_it_cannot_read(master, run, tmp_path):
    res = run("split", master, "--out", tmp_path / "out", "--deadline", "6月末")
    assert res.exit_code == 2 and "2024-06-30 のように" in res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("own_department", [None, "商工労働課"])
def test_measure_shared_by_two_departments_without_its_own_is_reported(master, run, tmp_path, own_department):
    """1-1-1 gets a KPI of a second department: without a 担当課 on its 施策 row nobody is asked for its texts
    (reported); with one, that department is."""
    wb = load_workbook(master)
    ws = wb["KPI"]
    h, rows = headers(ws), kpi_rows(ws)
    ws.cell(rows["1-1-1-02"], h["担当課"]).value = "商工労働課"   # 1-1-1 now has two departments
    ms = wb["施策"]
    ms.cell(measure_sheet_rows(ms)["1-1-1"], headers(ms, 3)["担当課"]).value = own_department
    wb.save(master)
    res = run("split", master, "--out", tmp_path / "out")
    tourism, commerce = (sent_measures(tmp_path / "out" / f"照会_{d}_R4.xlsx") for d in ("観光政策課", "商工労働課"))
    if own_department is None:
        assert res.exit_code == 1 and "施策 1-1-1：担当課が複数（観光政策課・商工労働課）" in res.output
        assert "1-1-1" not in tourism + commerce
    else:
        assert res.exit_code == 0, res.output
        assert "1-1-1" in commerce and "1-1-1" not in tourism
    assert "1-1-2" in tourism   # the department's other measures still go out


def test_every_department_answers_and_the_master_reproduces_the_published_tally(master, split, run):
    """All 14 departments return the published R4 figures: after the merge the master is the Mine sample again
    (its R4 column equals the real one) and evaluates to the report's 26/19/13/20."""
    r4, depts = published_r4(), master_departments()
    files = [answer(file_of(split, d), {k: r4[k] for k in ids}) for d, ids in depts.items()]
    res = run("merge", master, *files, "--json")
    assert res.exit_code == 0
    assert {row["状態"] for row in res.json()["departments"]} == {"回収済"}
    ws, ref = load_workbook(master)["KPI"], load_workbook(SAMPLE)["KPI"]
    col = headers(ws)[R4]
    assert [ws.cell(r, col).value for r in range(5, ws.max_row + 1)] == \
        [ref.cell(r, col).value for r in range(5, ws.max_row + 1)]
    tally = run("evaluate", master, "--json").json()["tallies"]["total"]
    assert tally == {"目標達成": 26, "改善↑": 19, "－": 13, "未達成↓": 20}


def test_ribbon_merge_without_returned_files_says_where_to_put_them(tmp_path, monkeypatch):
    import fake_excel
    src = tmp_path / "master.xlsx"
    shutil.copy(MASTER, src)
    book = fake_excel.open_in_excel(src)
    message = press(monkeypatch, book, "kpi_merge")
    assert "回答ファイルがありません" in message and str(tmp_path / "master_回答") in message
    assert C.SHEET_COLLECTION not in [s._name for s in book.sheets]


def test_split_refuses_duplicate_kpi_numbers(master, run, tmp_path):
    wb = load_workbook(master)
    ws = wb["KPI"]
    h, rows = headers(ws), kpi_rows(ws)
    ws.cell(rows["1-1-1-02"], h["KPI番号"]).value = "1-1-1-01"
    wb.save(master)
    res = run("split", master, "--out", tmp_path / "out")
    assert res.exit_code == 2 and "「1-1-1-01」（5行目と6行目）" in res.stderr
    assert not (tmp_path / "out").exists()
