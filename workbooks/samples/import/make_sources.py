"""The KPI tables of the seed municipalities typed into workbooks IN EACH CITY'S OWN LAYOUT, as printed, to try
``kpi import`` as a new user would.  Run: ``python workbooks/samples/import/make_sources.py`` (writes beside this file).

- mine_layout.xlsx   美祢市: chapter II of the 2024 evaluation report — per 具体的施策 a table 「KPI名 / 単位 /
                     策定時 (H30)(a) / 実績値 (R4)(b) / 目標 (R6)(c) / 進捗率 (b)/(c)」 under the headings 重点戦略1 …,
                     【戦略方針1】…, 具体的施策 1-1-1 …, with the footnote on ※.  Values as printed (the 78 KPIs of
                     workbooks/samples/mine_r4_source.csv, the transcription of the same report).
- misato_layout.xlsx 美郷町: sheet 分野ごとの目標 — the four 分野 tables (目標 / 項目 / 現状値 / 目標値 / 単位 /
                     目標値の積算, two rows per indicator: 年度 and 数値), and sheet 地域再生計画指標 — the action plan's
                     地域再生計画 indicator table — a two-row header 「目 標 / 現状値 /
                     （上段）目標値 （下段）実績値 over 2026 (R8) 2027 (R9) 2028 (R10) / 単位 / 目標値 の積算」; each
                     indicator takes two rows (年度 / 数値), the name merged over them.  Actuals are not published
                     (the plan starts in R8): the lower rows are empty.
- omitama_layout.xlsx 小美玉市: the 第2期 strategy's basic-goal tables — per 政策分野 a heading and a table
                     「基本目標 / 現況値 / 目標値 (2024年度)」, values with their source notes as printed.
- final_evaluation_constructed.xlsx  A CONSTRUCTED ○△× final-evaluation table (not a real municipality): goal
                     text merged over its rows, 施策 / 事業名 / KPI / 基準値 / 実績値 R2…R6 / 累計 / 目標値 / 担当課 / 評価.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

HERE = Path(__file__).resolve().parent
MINE_CSV = HERE.parent / "mine_r4_source.csv"
FIXED = dt.datetime(2024, 4, 1, 9, 0, 0)
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD = PatternFill("solid", start_color="D9D9D9", end_color="D9D9D9")


def _book(title):
    wb = Workbook()
    wb.properties.creator = ""
    wb.properties.lastModifiedBy = ""
    wb.properties.created = wb.properties.modified = FIXED
    ws = wb.active
    ws.title = title
    return wb, ws


def _row(ws, r, values, header=False):
    for c, v in enumerate(values, start=1):
        if v is None:
            continue
        cell = ws.cell(r, c, v)
        cell.border = BOX
        if header:
            cell.fill = HEAD
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _typed(v: str):
    """A figure as a clerk types it into Excel: plain numbers as numbers, everything else as text."""
    if v in (None, ""):
        return None
    t = v.replace(",", "")
    try:
        return int(t) if t.lstrip("-").isdigit() else float(t) if t.replace(".", "", 1).lstrip("-").isdigit() else v
    except ValueError:
        return v


MINE_HEADER = ["KPI名", "単位", "策定時 (H30)(a)", "実績値 (R4)(b)", "目標 (R6)(c)", "進捗率 (b)/(c)"]


def mine() -> Workbook:
    wb, ws = _book("戦略の評価")
    with open(MINE_CSV, encoding="utf-8", newline="") as f:
        recs = list(csv.DictReader(f))
    r = 1
    ws.cell(r, 1, "II. 戦略の評価").font = Font(bold=True, size=14)
    r += 2
    goal = policy = measure = None
    for i, rec in enumerate(recs):
        if rec["goal_code"] != goal:
            goal = rec["goal_code"]
            ws.cell(r, 1, f"重点戦略{goal} {rec['goal_name']}").font = Font(bold=True, size=12)
            r += 2
        if rec["policy_code"] != policy:
            policy = rec["policy_code"]
            ws.cell(r, 1, f"【戦略方針{policy.split('-')[-1]}】{rec['policy_name']}").font = Font(bold=True)
            r += 2
        if rec["measure_code"] != measure:
            measure = rec["measure_code"]
            ws.cell(r, 1, f"具体的施策 {measure} {rec['measure_name']}")
            r += 1
            _row(ws, r, MINE_HEADER, header=True)
            r += 1
        # the published progress as printed (the 施策 table's figure: report_progress is the summary's)
        _row(ws, r, [rec["name"], rec["unit"], _typed(rec["baseline"]), _typed(rec["actual_R4"]),
                     _typed(rec["target"]), rec["published_progress"] or None])
        r += 1
        last = i + 1 == len(recs) or recs[i + 1]["measure_code"] != measure
        if last:
            if any(x["name"].endswith("※") for x in recs if x["measure_code"] == measure):
                ws.cell(r, 1, "備考 目標指標の※印の進捗率は、(b-a)/(c-a)により算出")
                r += 1
            r += 1
    for col, w in zip("ABCDEF", (52, 8, 14, 14, 14, 12)):
        ws.column_dimensions[col].width = w
    return wb


MISATO_ROWS = [
    # 目標 (indicator), 現状値 年度, 現状値 数値, targets 2026-2028 (upper row), 単位, 積算
    ("都賀長藤地域の人口数（直近5カ年の各年度における社会増減数の平均値）", 2025, 0, (1, 1, 2), "人", "単年"),
    ("コミュニティ施設の利用者数", 2025, 0, (500, 1500, 3000), "人", "単年"),
    ("地域で開催するイベントの外部からのボランティア（国際ワークキャンプ等）の参加者数", 2025, 18, (21, 24, 27), "人", "単年"),
    ("こども会の参加者が地域のこどもの総数に占める割合", 2025, 30, (50, 70, 80), "%", "単年"),
]


MISATO_FIELDS = [
    # 分野, 目指す方向性 (shortened), 目標, 現状値 年度/数値, 目標値 年度/数値, 単位, 積算, 設定根拠
    ("移住・定住・地域間交流の促進", "移住・定住に関する施策を行うとともに、町外との活発な交流を行うことで、人口の社会減を抑制するとともに、"
     "活動人口や滞在人口を増やします。", "令和8年から12年における人口の社会増の合計数", ("R3～R7", "▲90"), ("R8～R12", "▲45"),
     "人", "累計", "直近5年間（R3～R7）の平均減少数の半減を目指す。"),
    ("産業の振興、雇用の確保、観光振興", "町内での商工業等事業者支援や、雇用の確保、観光振興施策により、地場産業の強化と外からの人の流れを"
     "誘導し、事業者の収入増と外貨の獲得による町内の総生産額向上を目指します。", "美郷町内総生産額", ("R4", "12,950"),
     ("R9", "14,547"), "百万円", "単年度", "直近10年間で最大値であった数値（平成27年数値）を目標"),
    ("結婚・出産・子育て支援の充実", "結婚・出産・子育て・進学各段階において支援を実施することにより、保護者の負担の軽減と、魅力ある子育て"
     "支援の町を推進し、年少人口の増加を目指します。", "美郷町の総人口に対する年少人口（0歳～14歳）の割合", ("R7", 9.4),
     ("R12", 11.7), "%", "単年度", "直近10年間で最大値であった数値（平成29年数値）を目標"),
    ("地域における情報化、先進技術の活用", "デジタル技術を活用した様々なサービス（手段）を提供することにより、住民が必要な時に必要な"
     "サービスを使うことができる環境を整備し、利便性の高い町づくりを目指します。", "デジタル技術を活用した住民サービスの取組数",
     ("R7", 15), ("R12", 18), "サービス", "累計", "今後5年間でデジタル技術を活用した住民サービスを3サービス提供する。"),
]


def _misato_fields(ws):
    """The four 分野 tables as printed: label rows, the header 目標/項目/現状値/目標値/単位/目標値の積算, two rows per
    indicator (年度 / 数値), then the explanations."""
    ws.cell(1, 1, "6. 分野ごとの目標").font = Font(bold=True, size=12)
    r = 3
    for field_name, direction, name, base, target, unit, kind, reason in MISATO_FIELDS:
        _row(ws, r, ["分野", field_name])
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=6)
        _row(ws, r + 1, ["目指す方向性", direction])
        ws.merge_cells(start_row=r + 1, start_column=2, end_row=r + 1, end_column=6)
        _row(ws, r + 2, ["目 標", "項目", "現状値", "目標値", "単位", "目標値の積算"], header=True)
        _row(ws, r + 3, [name, "年度", base[0], target[0], unit, kind])
        _row(ws, r + 4, [None, "数値", _typed(base[1]) if isinstance(base[1], str) else base[1],
                         _typed(target[1]) if isinstance(target[1], str) else target[1]])
        for c in (1, 5, 6):
            ws.merge_cells(start_row=r + 3, start_column=c, end_row=r + 4, end_column=c)
        _row(ws, r + 5, ["目標値の設定根拠"])
        ws.merge_cells(start_row=r + 5, start_column=1, end_row=r + 5, end_column=6)
        _row(ws, r + 6, [reason])
        ws.merge_cells(start_row=r + 6, start_column=1, end_row=r + 6, end_column=6)
        r += 8
    for col, w in zip("ABCDEF", (40, 40, 10, 10, 8, 12)):
        ws.column_dimensions[col].width = w


def misato() -> Workbook:
    wb, ws = _book("分野ごとの目標")
    _misato_fields(ws)
    ws = wb.create_sheet("地域再生計画指標")
    ws.cell(1, 1, "【地域再生計画に関連する指標】").font = Font(bold=True)
    ws.cell(2, 1, "事業名")
    ws.cell(2, 2, "都賀長藤地区コミュニティ拠点施設整備事業")
    ws.merge_cells("B2:H2")
    ws.cell(3, 1, "活用する交付金")
    ws.cell(3, 2, "新しい地方経済・生活環境創生交付金（第2世代交付金）")
    ws.merge_cells("B3:H3")
    _row(ws, 4, ["目 標", "項目", "現状値", "（上段）目標値 （下段）実績値", None, None, "単位", "目標値 の積算"], header=True)
    _row(ws, 5, [None, None, None, "2026 (R8)", "2027 (R9)", "2028 (R10)"], header=True)
    for c in (1, 2, 3, 7, 8):
        ws.merge_cells(start_row=4, start_column=c, end_row=5, end_column=c)
    ws.merge_cells("D4:F4")
    r = 6
    for name, byear, base, targets, unit, kind in MISATO_ROWS:
        _row(ws, r, [name, "年度", byear, *targets, unit, kind])
        _row(ws, r + 1, [None, "数値", base, None, None, None])
        for c in (1, 7, 8):
            ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
        r += 2
    for col, w in zip("ABCDEFGH", (46, 6, 8, 10, 10, 10, 6, 10)):
        ws.column_dimensions[col].width = w
    return wb


OMITAMA = [
    ("政策分野1 恋も子育てもしたくなるまちになる", "現況値", [
        ("平均初婚年齢 (男)", "30.0歳 (2017年人口動態調査)", "28歳"),
        ("平均初婚年齢 (女)", "28.3歳 (2017年人口動態調査)", "25歳"),
        ("合計特殊出生率", "1.51 (平成26~30年期間合計 特殊出生率最大値)", 1.8),
        ("結婚を希望しない若者の割合 (アンケート調査)", "12.9%(市民) 4.9%(高校生) (2019年実施調査)", "10.0%"),
        ("小美玉市で子育てをしていきたい (アンケート調査)", "61.9%", "70.0%")]),
    ("政策分野2 地域の宝を見つけ、磨き、光をあてるまちになる", "現況値 (2018年度)", [
        ("平日・休日滞在人口率 (滞在人口/国勢調査人口) (RESAS)", "平日 0.99 休日 0.97", "平日 0.99 休日 1.00"),
        ("市イベント関連交流人口 (ふるさとふれあい祭り・産業祭等のイベント、 空港、そらら、文化ホール等の来場者数)", "80.2万人",
         "100万人")]),
    ("政策分野3 わく work（ワーク）がとまらないまちになる", "現況値", [
        ("市内総生産", "2,249億円 (2015年)", "現状維持"),
        ("就業者数(20~40歳代)", "18,098人 (2017年)", "現状維持"),
        ("市内に住んで市内外で就職したい割合 (高校生アンケート調査)", "46.7% (2019年実施調査)", "50.0%")]),
    ("政策分野4 スーッと、ず〜っと住めるまちになる", "現況値 (2018年)", [
        ("社会移動率", "-0.35%", "-0.18%"),
        ("生産年齢人口純移動数", "-266人", "-200人"),
        ("小美玉市に愛着を持っている市民の割合 (アンケート調査)", "56.0%", "60.0%"),
        ("今後も今のお住まいに継続して住む割合 (アンケート調査)", "53.4%", "55.0%")]),
]


def omitama() -> Workbook:
    wb, ws = _book("基本目標")
    ws.cell(1, 1, "第2期小美玉市まち・ひと・しごと創生総合戦略 基本目標").font = Font(bold=True, size=14)
    r = 3
    for heading, base_header, rows in OMITAMA:
        ws.cell(r, 1, heading).font = Font(bold=True)
        r += 1
        _row(ws, r, ["基本目標", base_header, "目標値 (2024年度)"], header=True)
        r += 1
        for row in rows:
            _row(ws, r, list(row))
            r += 1
        r += 1
    for col, w in zip("ABC", (60, 40, 18)):
        ws.column_dimensions[col].width = w
    return wb


# goal, 施策, 事業名, KPI, 単位, 基準値, R2..R6, 累計, 目標値, 担当課, 評価 — constructed, not a real municipality
FINAL = [
    ("1 地域の産業を育て、安心して働ける場をつくる", [
        ("創業支援", "創業支援事業", "創業件数", "件", 6, (3, 4, 2, 3, 4), 16, "5年間に15件", "商工観光課", "○"),
        ("創業支援", "空き店舗活用事業", "空き店舗の活用件数", "件", 1, (0, 1, 1, 0, 1), 3, "5年間に8件", "商工観光課", "△"),
        ("観光振興", "観光プロモーション事業", "観光入込客数", "万人", 52.0, (31.5, 36.2, 44.8, 50.1, 53.4), None, 55.0,
         "商工観光課", "○")]),
    ("2 結婚・出産・子育ての希望をかなえる", [
        ("子育て支援", "子育て応援事業", "子育て支援センター利用者数", "人", 4200, (2900, 3300, 3800, 4100, 4350), None,
         4500, "子ども家庭課", "○"),
        ("子育て支援", "放課後児童対策事業", "放課後児童クラブ待機児童数", "人", 8, (6, 5, 3, 2, 1), None, 2, "子ども家庭課",
         "○"),
        ("結婚支援", "出会い創出事業", "結婚支援イベント参加者数", "人", 40, (0, 12, 25, 33, "未実施"), None, 60, "企画課",
         "×")]),
]
FINAL_HEADER = ["基本目標", "施策", "事業名", "KPI", "単位", "基準値(R1)", "実績値", None, None, None, None, "累計",
                "目標値(R6)", "担当課", "評価"]


def final_evaluation() -> Workbook:
    wb, ws = _book("最終評価")
    ws.cell(1, 1, "第2期総合戦略 最終評価（KPI）　※作成例: 実在の自治体のデータではありません").font = Font(bold=True, size=12)
    _row(ws, 3, FINAL_HEADER, header=True)
    _row(ws, 4, [None] * 6 + ["R2", "R3", "R4", "R5", "R6"], header=True)
    for c in (1, 2, 3, 4, 5, 6, 12, 13, 14, 15):
        ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
    ws.merge_cells("G3:K3")
    r = 5
    for goal, rows in FINAL:
        first = r
        for measure, project, kpi, unit, base, actuals, total, target, dept, mark in rows:
            _row(ws, r, [goal if r == first else None, measure, project, kpi, unit, base, *actuals, total, target, dept,
                         mark])
            r += 1
        ws.merge_cells(start_row=first, start_column=1, end_row=r - 1, end_column=1)
        ws.cell(first, 1).alignment = Alignment(vertical="center", wrap_text=True)
    ws.cell(r + 1, 1, "評価: ○ 達成率80%以上　△ 80%未満　× 事業未実施・把握不能")
    for col, w in zip("ABCDEFGHIJKLMNO", (22, 12, 20, 28, 6, 9, 7, 7, 7, 7, 7, 7, 12, 12, 6)):
        ws.column_dimensions[col].width = w
    return wb


SOURCES = {"mine_layout.xlsx": mine, "misato_layout.xlsx": misato, "omitama_layout.xlsx": omitama,
           "final_evaluation_constructed.xlsx": final_evaluation}


def write_all(out_dir: Path = HERE) -> list[Path]:
    out = []
    for name, make in SOURCES.items():
        make().save(out_dir / name)
        out.append(out_dir / name)
    return out


if __name__ == "__main__":
    for p in write_all():
        print(p)
