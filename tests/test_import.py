"""kpi import: the seed municipalities' tables in their own layouts land in the right template columns."""
from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from addin.core import layout

HERE = Path(__file__).resolve().parent
SOURCES = HERE.parent / "workbooks" / "samples" / "import"
MINE_CSV = HERE.parent / "workbooks" / "samples" / "mine_r4_source.csv"


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _import(run, tmp_path, name, *opts):
    src = tmp_path / name
    shutil.copy(SOURCES / name, src)
    before = _sha(src)
    out = tmp_path / ("out_" + name)
    res = run("import", str(src), str(out), "--json", *opts)
    assert res.exit_code == 0, res.stderr
    assert _sha(src) == before            # the source is only read
    return out, res.json()


def _rows(path: Path) -> list[dict]:
    """KPI rows of an imported workbook keyed by header."""
    ws = load_workbook(path)[layout.SHEET_KPI]
    headers = [c.value for c in ws[layout.HEADER_ROW]]
    out = []
    for row in ws.iter_rows(min_row=layout.FIRST_DATA_ROW, values_only=True):
        rec = {h: v for h, v in zip(headers, row) if h}
        if rec.get("KPI名"):
            out.append(rec)
    return out


def _typed(v: str):
    if v in (None, ""):
        return None
    t = v.replace(",", "")
    try:
        return int(t) if t.lstrip("-").isdigit() else float(t) if t.replace(".", "", 1).lstrip("-").isdigit() else v
    except ValueError:
        return v


# the directions Mine's tables do not print, where the target lies below the baseline: only the clerk knows
MINE_DIRECTIONS = {"要支援・要介護認定率※": "減少", "地域子育て支援拠点延べ利用児童数": "増加",
                   "放課後子ども教室延べ事業参加人数": "増加", "認知症サポーター養成講座受講者数(年間)": "増加"}
MINE_OPTS = ("--plan", "R2-R6") + tuple(x for k, v in MINE_DIRECTIONS.items() for x in ("--direction", f"{k}={v}"))


def test_mine_asks_for_the_directions_the_table_cannot_tell(run, tmp_path):
    _, report = _import(run, tmp_path, "mine_layout.xlsx", "--plan", "R2-R6")
    assert sorted(report["needs_direction"]) == sorted(MINE_DIRECTIONS)
    assert any("--direction" in n for n in report["notes"])


def test_mine_from_its_own_layout_evaluates_to_the_published_counts(run, tmp_path):
    out, report = _import(run, tmp_path, "mine_layout.xlsx", *MINE_OPTS)
    assert report["needs_direction"] == []
    assert report["kpis"] == 78
    assert report["not_understood"] == []
    assert [m["target"] for m in report["mapping"]] == [
        "KPI名", "単位", "基準値・基準年度（H30）", "実績値 R4", "目標値・目標年度（R6）", "公表済進捗率"]
    ev = run("evaluate", str(out), "--json").json()
    assert ev["tallies"]["total"] == {"目標達成": 26, "改善↑": 19, "－": 13, "未達成↓": 20}


def test_mine_every_kpi_lands_in_the_right_column(run, tmp_path):
    out, _ = _import(run, tmp_path, "mine_layout.xlsx", *MINE_OPTS)
    rows = _rows(out)
    with open(MINE_CSV, encoding="utf-8", newline="") as f:
        expected = list(csv.DictReader(f))
    assert len(rows) == len(expected)
    for got, exp in zip(rows, expected):
        assert got["KPI名"] == exp["name"]
        assert (got["重点戦略"], got["戦略方針"], got["具体的施策"]) == (exp["goal_code"], exp["policy_code"],
                                                                exp["measure_code"])
        assert got["重点戦略名"] == exp["goal_name"] and got["具体的施策名"] == exp["measure_name"]
        assert got["単位"] == (exp["unit"] or None)
        assert got["基準値"] == _typed(exp["baseline"]) and got["基準年度"] == "H30"
        assert got["実績値 R4"] == _typed(exp["actual_R4"])
        assert got["目標値"] == _typed(exp["target"]) and got["目標年度"] == "R6"
        assert got["算定式"] == ("差分" if exp["name"].endswith("※") else None)
        assert got["方向"] == MINE_DIRECTIONS.get(exp["name"])
    assert [k for k in rows[0] if k.startswith("実績値")] == [f"実績値 R{n}" for n in range(2, 7)]


def test_misato_two_row_kpis_with_targets_per_year(run, tmp_path):
    out, report = _import(run, tmp_path, "misato_layout.xlsx", "--plan", "R8-R12", "--sheet", "地域再生計画指標")
    assert [m["header"] for m in report["not_understood"]] == ["目標値 の積算"]
    rows = _rows(out)
    assert [r["KPI名"] for r in rows][1] == "コミュニティ施設の利用者数"
    r = rows[1]
    assert (r["基準値"], r["基準年度"], r["単位"]) == (0, 2025, "人")
    assert (r["目標値 R8"], r["目標値 R9"], r["目標値 R10"]) == (500, 1500, 3000)
    assert r["実績値 R8"] is None
    assert r["目標値 の積算"] == "単年"
    assert rows[3]["基準値"] == 30 and rows[3]["単位"] == "%"


def test_misato_field_tables_label_rows_and_two_row_indicators(run, tmp_path):
    out, report = _import(run, tmp_path, "misato_layout.xlsx", "--plan", "R8-R12", "--sheet", "分野ごとの目標")
    assert report["kpis"] == 4
    rows = _rows(out)
    assert [(r["重点戦略"], r["重点戦略名"]) for r in rows] == [
        ("1", "移住・定住・地域間交流の促進"), ("2", "産業の振興、雇用の確保、観光振興"), ("3", "結婚・出産・子育て支援の充実"),
        ("4", "地域における情報化、先進技術の活用")]
    r = rows[1]
    assert (r["KPI名"], r["基準値"], r["基準年度"], r["目標値"], r["目標年度"], r["単位"]) == (
        "美郷町内総生産額", 12950, "R4", 14547, "R9", "百万円")
    assert (rows[0]["基準値"], rows[0]["基準年度"], rows[0]["目標値"]) == ("▲90", "R3～R7", "▲45")
    assert any("説明" in s["why"] for s in report["skipped_rows"])     # 目標値の設定根拠 … are not KPIs


def test_a_workbook_with_several_sheets_asks_for_the_sheet(run, tmp_path):
    res = run("import", SOURCES / "misato_layout.xlsx", tmp_path / "o.xlsx", "--plan", "R8-R12")
    assert res.exit_code == 2 and "--sheet" in res.stderr and "分野ごとの目標" in res.stderr


def test_omitama_basic_goal_tables_take_the_goal_from_the_heading(run, tmp_path):
    out, report = _import(run, tmp_path, "omitama_layout.xlsx", "--plan", "R2-R6")
    assert report["kpis"] == 14 and report["not_understood"] == []
    rows = _rows(out)
    first = rows[0]
    assert (first["重点戦略"], first["重点戦略名"]) == ("1", "恋も子育てもしたくなるまちになる")
    assert first["基準値"] == "30.0歳 (2017年人口動態調査)" and first["目標値"] == "28歳" and first["目標年度"] == "R6"
    social = next(r for r in rows if r["KPI名"] == "社会移動率")
    assert (social["重点戦略"], social["基準値"], social["基準年度"], social["目標値"]) == ("4", "-0.35%", "H30", "-0.18%")
    assert next(r for r in rows if r["KPI名"] == "市内総生産")["目標値"] == "現状維持"


def test_constructed_final_evaluation_table(run, tmp_path):
    out, report = _import(run, tmp_path, "final_evaluation_constructed.xlsx", "--plan", "R2-R6", "--scheme",
                          "three-mark")
    assert sorted(m["header"] for m in report["not_understood"]) == ["事業名", "累計", "評価"]
    rows = _rows(out)
    assert len(rows) == 6
    r = rows[0]
    assert (r["重点戦略"], r["重点戦略名"], r["具体的施策名"]) == ("1", "地域の産業を育て、安心して働ける場をつくる", "創業支援")
    assert [r[f"実績値 R{n}"] for n in range(2, 7)] == [3, 4, 2, 3, 4]
    assert (r["基準値"], r["基準年度"], r["目標値"], r["目標年度"], r["担当課"]) == (6, "R1", "5年間に15件", "R6", "商工観光課")
    assert (r["事業名"], r["累計（元の表）"], r["評価"]) == ("創業支援事業", 16, "○")
    assert rows[3]["重点戦略"] == "2"                        # the goal cell merged over its rows
    ev = run("evaluate", str(out), "--json").json()
    assert sum(ev["tallies"]["total"].values()) == 6


def test_constructed_table_computes_the_marks_it_prints(run, tmp_path):
    """With the one direction the table does not print (待機児童数: lower is better), the computed ○△× equal the
    printed 評価 column, which stays beside the tool's own 評価（自動）."""
    out, _ = _import(run, tmp_path, "final_evaluation_constructed.xlsx", "--plan", "R2-R6", "--year", "R6",
                     "--scheme", "three-mark", "--direction", "放課後児童クラブ待機児童数=減少")
    printed = [r["評価"] for r in _rows(out)]
    ev = run("evaluate", out, "--json").json()
    assert [k["status"] for k in ev["kpis"]] == printed == ["○", "△", "○", "○", "○", "×"]
    assert run("recalc", out).exit_code == 0
    rows = _rows(out)
    assert [r["評価"] for r in rows] == printed and [r["評価（自動）"] for r in rows] == printed


def test_a_direction_for_a_kpi_not_in_the_table_is_refused(run, tmp_path):
    res = run("import", SOURCES / "final_evaluation_constructed.xlsx", tmp_path / "o.xlsx", "--plan", "R2-R6",
              "--direction", "存在しない指標=減少")
    assert res.exit_code == 2 and "--direction" in res.stderr


def test_mapping_report_as_text_lists_what_was_not_understood(run, tmp_path):
    src = SOURCES / "final_evaluation_constructed.xlsx"
    res = run("import", str(src), str(tmp_path / "o.xlsx"), "--plan", "R2-R6")
    assert res.exit_code == 0
    assert "？C列「事業名」→ （そのまま）事業名" in res.output
    assert "理解できなかった列 3件" in res.output


def _two_name_columns(path):
    wb = Workbook()
    ws = wb.active
    ws.append(["指標名", "KPI名", "単位", "基準値", "目標値", "実績値 R4"])
    ws.append(["a", "b", "人", 1, 2, 3])
    wb.save(path)


def _two_shapes(path):
    wb = Workbook()
    ws = wb.active
    ws.append(["KPI名", "単位", "基準値", "目標値"])
    ws.append(["a", "人", 1, 2])
    ws.append(["指標名", "目標値", "単位", "基準値"])
    wb.save(path)


def _no_header(path):
    wb = Workbook()
    wb.active.append(["メモ", "来年度に整理する"])
    wb.save(path)


def test_formulas_are_read_as_their_saved_results_and_a_missing_result_is_refused(run, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["重点戦略", "KPI名", "単位", "基準値", "目標値", "実績値 R4"])
    ws.append([1, "件数", "件", 10, 20, "=D2+5"])
    src = tmp_path / "src.xlsx"
    wb.save(src)                                  # openpyxl saves no result: as if never calculated
    res = run("import", src, tmp_path / "o.xlsx", "--plan", "R2-R6")
    assert res.exit_code == 2 and "F2" in res.stderr and "保存し直して" in res.stderr


@pytest.mark.parametrize("make, option", [(_two_name_columns, "--name-column"), (_two_shapes, "--header-row"),
                                          (_no_header, "--header-row")])
def test_a_choice_is_asked_for_by_naming_the_option(run, tmp_path, make, option):
    src = tmp_path / "src.xlsx"
    make(src)
    res = run("import", str(src), str(tmp_path / "o.xlsx"), "--plan", "R2-R6")
    assert res.exit_code == 2
    assert option in res.stderr
    assert not (tmp_path / "o.xlsx").exists()


def test_header_row_option_settles_two_shapes(run, tmp_path):
    src = tmp_path / "src.xlsx"
    _two_shapes(src)
    out = tmp_path / "o.xlsx"
    res = run("import", str(src), str(out), "--plan", "R2-R6", "--header-row", "1", "--json")
    assert res.exit_code == 0, res.stderr
    # the other row is read as data under the chosen header (the clerk sees it in the workbook and the report)
    assert [r["KPI名"] for r in _rows(out)] == ["a", "指標名"]
    assert res.json()["header_rows"] == [1]


def test_values_shown_as_percent_keep_their_format(run, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["重点戦略", "KPI名", "単位", "基準値", "目標値", "実績値 R4"])
    ws.append([1, "洋式化率", "%", 0.422, 0.6, 0.665])
    for c in ("D2", "E2", "F2"):
        ws[c].number_format = "0.0%"
    src = tmp_path / "src.xlsx"
    wb.save(src)
    out = tmp_path / "o.xlsx"
    assert run("import", src, out, "--plan", "R2-R6").exit_code == 0
    ks = load_workbook(out)[layout.SHEET_KPI]
    heads = {c.value: c.column for c in ks[layout.HEADER_ROW]}
    for h in ("基準値", "目標値", "実績値 R4"):
        assert ks.cell(layout.FIRST_DATA_ROW, heads[h]).number_format == "0.0%"
    ev = run("evaluate", out, "--json").json()
    assert ev["kpis"][0]["progress"] == pytest.approx(0.665 / 0.6)


def test_the_option_settles_the_choice(run, tmp_path):
    src = tmp_path / "src.xlsx"
    _two_name_columns(src)
    out = tmp_path / "o.xlsx"
    res = run("import", str(src), str(out), "--plan", "R2-R6", "--name-column", "B", "--json")
    assert res.exit_code == 0, res.stderr
    assert _rows(out)[0]["KPI名"] == "b"
    assert _rows(out)[0]["指標名（元の表）"] == "a"   # the other candidate is kept as-is, marked as the source's


COMMITTED = [("mine_layout", MINE_OPTS + ("--municipality", "美祢市")),
             ("misato_layout", ("--plan", "R8-R12", "--municipality", "美郷町", "--sheet", "地域再生計画指標")),
             ("misato_fields", ("--plan", "R8-R12", "--year", "R8", "--municipality", "美郷町", "--sheet", "分野ごとの目標")),
             ("omitama_layout", ("--plan", "R2-R6", "--municipality", "小美玉市")),
             ("final_evaluation_constructed", ("--plan", "R2-R6", "--year", "R6", "--scheme", "three-mark",
                                               "--municipality", "作成例", "--direction", "放課後児童クラブ待機児童数=減少"))]


@pytest.mark.parametrize("name, opts", COMMITTED, ids=[n for n, _ in COMMITTED])
def test_committed_sources_and_imports_are_what_the_code_makes(run, tmp_path, name, opts):
    """workbooks/samples/import: the typed sources equal make_sources.py's output, and *_imported.xlsx equal what
    kpi import makes from them (regenerate: sh workbooks/samples/import/regenerate.sh)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_sources", SOURCES / "make_sources.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    source = "misato_layout" if name == "misato_fields" else name
    fresh = tmp_path / f"{source}.xlsx"
    mod.SOURCES[f"{source}.xlsx"]().save(fresh)
    values = lambda p: {ws.title: [list(r) for r in ws.iter_rows(values_only=True)]  # noqa: E731
                        for ws in load_workbook(p).worksheets}
    assert values(fresh) == values(SOURCES / f"{source}.xlsx")
    out = tmp_path / f"{name}_imported.xlsx"
    assert run("import", str(SOURCES / f"{source}.xlsx"), str(out), *opts).exit_code == 0
    assert values(out) == values(SOURCES / f"{name}_imported.xlsx")


@pytest.mark.parametrize("name, opts", COMMITTED, ids=[n for n, _ in COMMITTED])
def test_the_json_mapping_report_follows_its_schema(run, tmp_path, name, opts):
    import jsonschema
    schema = json.loads((HERE.parent / "schema" / "import.schema.json").read_text(encoding="utf-8"))
    source = "misato_layout" if name == "misato_fields" else name
    _, report = _import(run, tmp_path, f"{source}.xlsx", *opts)
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report["settings"]["plan_start"] == opts[opts.index("--plan") + 1].split("-")[0]


# --- the pure steps (core.importer), table tests ------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("重点戦略1 「働きたい！」希望を実現させる魅力産業の創出", ("goal", "1", "「働きたい！」希望を実現させる魅力産業の創出")),
    ("基本目標１　稼ぐ地域をつくる", ("goal", "1", "稼ぐ地域をつくる")),
    ("政策分野2 地域の宝を見つけ、磨き、光をあてるまちになる", ("goal", "2", "地域の宝を見つけ、磨き、光をあてるまちになる")),
    ("【戦略方針1】観光資源を活かした産業と雇用の創出", ("policy", "1", "観光資源を活かした産業と雇用の創出")),
    ("基本的方向 1 私はこのまちで恋をする", ("policy", "1", "私はこのまちで恋をする")),
    ("(1) 創業の支援", ("policy", "1", "創業の支援")),
    ("（２）観光の再生", ("policy", "2", "観光の再生")),
    ("具体的施策 1-1-1 DMOを核とする観光地域づくりの推進", ("measure", "1-1-1", "DMOを核とする観光地域づくりの推進")),
    ("具体的施策 1-1-2. グローバル観光戦略の推進", ("measure", "1-1-2", "グローバル観光戦略の推進")),
    ("1-1 創業・事業承継の支援", ("policy", "1-1", "創業・事業承継の支援")),
    ("2-3-1 空き家の活用", ("measure", "2-3-1", "空き家の活用")),
    ("三洞入洞者数", None),
    ("備考 目標指標の※印の進捗率は、(b-a)/(c-a)により算出", None),
])
def test_section_headings_give_level_code_and_name(text, expected):
    from addin.core.importer import section_heading
    assert section_heading(text) == expected


@pytest.mark.parametrize("header, parent, expected", [
    ("KPI名", "", ("name", None)), ("重要業績評価指標(KPI)", "", ("name", None)), ("指標名", "", ("name", None)),
    ("策定時 (H30)(a)", "", ("baseline", 2018)), ("基準値(H30)", "", ("baseline", 2018)),
    ("現況値 (2018年度)", "", ("baseline", 2018)), ("現状値", "", ("baseline", None)),
    ("実績値 (R4)(b)", "", ("actual", 2022)), ("R2/実績値", "", ("actual", 2020)), ("実績値 R3", "", ("actual", 2021)),
    ("R4実績", "", ("actual", 2022)), ("R2", "実績値", ("actual", 2020)), ("2026 (R8)", "", ("actual", 2026)),
    ("2027 (R9)", "（上段）目標値 （下段）実績値", ("stacked", 2027)), ("R3", "目標値", ("target_y", 2021)),
    ("目標値(R6まで)", "", ("target", 2024)), ("目標値 (2024年度)", "", ("target", 2024)), ("目標値", "", ("target", None)),
    ("目標値 R4", "", ("target", 2022)),
    ("進捗率 (b)/(c)", "", ("published_progress", None)), ("達成率", "", ("published_progress", None)),
    ("担当課", "", ("department", None)), ("所管課", "", ("department", None)), ("単位", "", ("unit", None)),
    ("基本目標", "", ("name?", None)), ("目標", "", ("name?", None)),
    ("施策", "", ("level:measure", None)), ("戦略方針", "", ("level:policy", None)), ("重点戦略", "", ("level:goal", None)),
    ("事業名", "", ("extra", None)), ("評価", "", ("extra", None)), ("累計", "", ("extra", None)),
])
def test_headers_are_classified(header, parent, expected):
    from addin.core.importer import classify
    assert classify(header, parent) == expected


@pytest.mark.parametrize("value, expected", [
    ("1 地域の産業を育てる", ("1", "地域の産業を育てる")), ("基本目標１ 稼ぐ", ("1", "稼ぐ")), (2, ("2", "")),
    ("【戦略方針3】定住", ("3", "定住")), ("(1) 創業支援", ("1", "創業支援")), ("創業支援", ("", "創業支援")),
    ("1-2 観光", ("1-2", "観光")),
])
def test_codes_are_split_from_hierarchy_cells(value, expected):
    from addin.core.importer import split_code
    assert split_code(value) == expected


def test_merged_cells_fill_down_always_and_across_only_in_header_rows():
    from addin.core.importer import fill_merged
    block = [["目標", None, None], ["A", "x", None], [None, "y", None], ["説明", None, None]]
    merges = [(1, 1, 1, 3), (2, 1, 3, 1), (4, 1, 4, 3)]
    out = fill_merged(block, merges, across={1})
    assert out[0] == ["目標", "目標", "目標"]        # header: across
    assert [out[1][0], out[2][0]] == ["A", "A"]        # down
    assert out[3] == ["説明", None, None]              # a text merged across a data row stays in its first cell


def test_a_workbook_already_in_the_template_format_imports_as_it_is(run, tmp_path):
    """The template's own headers are understood too (the tool's columns and the 累計 flag are kept as-is)."""
    sample = HERE.parent / "workbooks" / "samples" / "mine_r4.xlsx"
    out = tmp_path / "o.xlsx"
    res = run("import", sample, out, "--sheet", "KPI", "--plan", "R2-R6", "--json")
    assert res.exit_code == 0, res.stderr
    kept = {m["header"] for m in res.json()["not_understood"]}
    assert kept == {"累計"} | {c.header for c in layout.COMPUTED_COLUMNS}
    assert "26\t19\t13\t20" in run("evaluate", out).output


@pytest.mark.parametrize("out, message", [("nofolder/o.xlsx", "フォルダー"), ("o.csv", ".xlsx"), ("src", "同じファイル")])
def test_bad_output_paths_are_refused_clearly(run, tmp_path, out, message):
    src = tmp_path / "src.xlsx"
    shutil.copy(SOURCES / "omitama_layout.xlsx", src)
    target = src if out == "src" else tmp_path / out
    res = run("import", src, target, "--plan", "R2-R6", *(["--force"] if out == "src" else []))
    assert res.exit_code == 2 and message in res.stderr and "予期しない" not in res.stderr


def test_missing_source_is_refused_clearly(run, tmp_path):
    res = run("import", tmp_path / "none.xlsx", tmp_path / "o.xlsx", "--plan", "R2-R6")
    assert res.exit_code == 2 and "見つかりません" in res.stderr


def test_the_layout_of_the_issue_imports_without_renaming_a_header(run, tmp_path):
    """施策 / 事業名 / 重要業績評価指標(KPI) / 基準値(H30) / R2/実績値 … / 目標値(R6まで) / 担当課 / 評価, goal cells merged
    over their rows, sheet not named KPI."""
    wb = Workbook()
    ws = wb.active
    ws.title = "総合戦略KPI"
    ws.append(["基本目標", "施策", "事業名", "重要業績評価指標(KPI)", "基準値(H30)"] + [f"R{n}/実績値" for n in range(2, 7)]
              + ["目標値(R6まで)", "担当課", "評価"])
    ws.append(["基本目標1 しごとをつくる", "(1) 創業支援", "創業塾", "創業件数", "3件", "2件", "4件", "5件", "3件", "6件",
               "5年間に20件", "商工課", "○"])
    ws.append([None, "(1) 創業支援", "空き店舗活用", "空き店舗の活用数", 1, 0, 1, 1, 2, 1, 8, "商工課", "△"])
    ws.append(["基本目標2 ひとの流れ", "(1) 移住", "移住相談", "移住相談件数", 120, 130, 150, 160, 170, 180, 200, "企画課", "○"])
    ws.merge_cells("A2:A3")
    src = tmp_path / "city.xlsx"
    wb.save(src)
    out = tmp_path / "o.xlsx"
    res = run("import", src, out, "--scheme", "three-mark", "--json")      # the plan comes from the R2..R6 columns
    assert res.exit_code == 0, res.stderr
    report = res.json()
    assert {m["header"] for m in report["not_understood"]} == {"事業名", "評価"}
    assert report["settings"]["plan_start"] == "R2" and report["settings"]["plan_end"] == "R6"
    rows = _rows(out)
    assert [(r["重点戦略"], r["具体的施策"], r["具体的施策名"], r["KPI名"]) for r in rows] == [
        ("1", "1-1", "創業支援", "創業件数"), ("1", "1-1", "創業支援", "空き店舗の活用数"), ("2", "2-1", "移住", "移住相談件数")]
    r = rows[0]
    assert (r["基準値"], r["基準年度"], r["実績値 R2"], r["実績値 R6"], r["目標値"], r["目標年度"], r["担当課"]) == (
        "3件", "H30", "2件", "6件", "5年間に20件", "R6", "商工課")
    assert run("validate", out).exit_code == 0
