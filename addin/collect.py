"""照会・回答: split the master into one workbook per 担当課 (``kpi split``) and merge the answers back
(``kpi merge``).  Written against the ``Book`` interface (addin.ops) for reading the master, so the command line
(openpyxl) and the ribbon (xlwings) run the same steps; the decisions live in addin.core.collect.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from .core import collect as C
from .core import layout
from .core import narrative as N
from .core.findings import ERROR, Finding
from .core.model import Settings
from .core.table import read_kpis, read_settings
from .core.values import era_label
from .errors import KpiError

# settings copied into the department files (the validator needs the years; the scheme stays at home)
_SETTINGS_SENT = ("municipality", "plan_name", "plan_start", "plan_end", "evaluation_year", "baseline_label")
DEADLINE_LABEL = "回答期限"   # optional row of the 設定 sheet, read by the ribbon's split
_MEASURE_WIDTHS = {key: width for key, _, width, _ in N.COLUMNS}   # the 施策 columns as wide as in the template


@dataclass
class Master:
    settings: Settings
    settings_block: list[list]
    block: list[list]
    percent: set
    kpis: list
    geometry: dict
    measures_block: list[list] | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def eval_year(self) -> int:
        return self.settings.evaluation_year


def read_master(book) -> Master:
    """The master's settings, KPI sheet and (when present) 施策 sheet, one block each."""
    names = book.sheet_names()
    for sheet in (layout.SHEET_SETTINGS, layout.SHEET_KPI):
        if sheet not in names:
            raise KpiError(f"シート「{sheet}」がありません。KPI管理ブック（テンプレートから作ったもの）を指定してください。")
    sblock, _ = book.read_block(layout.SHEET_SETTINGS)
    settings, findings = read_settings(sblock)
    block, percent = book.read_block(layout.SHEET_KPI)
    kpis, f, geometry = read_kpis(block, layout.SHEET_KPI, percent)
    findings += f
    if not geometry:
        raise KpiError(f"シート「{layout.SHEET_KPI}」に見出し行（KPI名・単位…）が見つかりません。")
    if settings.evaluation_year is None:
        raise KpiError(f"シート「{layout.SHEET_SETTINGS}」の「評価年度」が空欄です。照会する年度（例: R4）を入力してください。")
    if settings.evaluation_year not in geometry.get("actual_columns", {}):
        raise KpiError(f"シート「{layout.SHEET_KPI}」に評価年度の実績値の列（{layout.actual_header(settings.evaluation_year)}）"
                       "がありません。見出しがこの名前の列を追加してください。")
    measures = book.read_block(N.SHEET_MEASURES)[0] if N.SHEET_MEASURES in names else None
    return Master(settings, sblock, block, percent, kpis, geometry, measures, findings)


def _duplicate_keys(kpis) -> list[str]:
    seen, dup = {}, []
    for k in kpis:
        key = C.row_key(k)
        if key in seen:
            dup.append(f"「{key}」（{seen[key]}行目と{k.row}行目）")
        seen.setdefault(key, k.row)
    return dup


# ---------------------------------------------------------------------------------------------- split
@dataclass
class SplitResult:
    files: dict[str, Path]          # department → file written
    counts: dict[str, int]          # department → KPIs sent
    findings: list[Finding]
    measures: dict[str, int] = field(default_factory=dict)   # department → 施策 rows sent


def split_book(book, out_dir, deadline: str | None = None, force: bool = False,
               created: _dt.datetime | None = None) -> SplitResult:
    """One workbook per 担当課 in ``out_dir`` with that department's KPIs (and 施策 rows)."""
    from .book.collect import write_department_file
    m = read_master(book)
    dup = _duplicate_keys(m.kpis)
    if dup:
        raise KpiError("KPI番号（番号がない場合は番号とKPI名の組み合わせ）が重複しているため、回答を照合できません: "
                       + "、".join(dup[:5]) + "。番号を重複しないように直してから作成してください。")
    findings: list[Finding] = []
    rows = C.kpi_rows(m.kpis, findings)
    kt = C.kpi_table(m.geometry, m.eval_year)
    tables = [(kt, m.block, m.percent, rows)]
    if m.measures_block is not None:
        mt = C.measures_table(m.measures_block)
        if mt is not None:
            tables.append((mt, m.measures_block, set(), C.measure_rows(m.measures_block, mt, m.kpis, findings)))
    ident = C.master_identity(m.settings, m.kpis)
    departments = list(dict.fromkeys(r.department for _, _, _, rs in tables for r in rs))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise KpiError(f"「{out}」はファイルです。出力先にはフォルダーを指定してください。")
    taken: set[str] = set()
    names = {d: C.department_filename(d, m.eval_year, taken) for d in departments}
    existing = [n for n in names.values() if (out / n).exists()]
    if existing and not force:
        raise KpiError(f"「{out}」に同じ名前のファイルがあります（{'、'.join(existing[:3])}）。返ってきた回答を上書きしない"
                       "よう、別のフォルダーを指定するか、--force を付けてください。")
    out.mkdir(parents=True, exist_ok=True)
    created = created or _dt.datetime.now().replace(microsecond=0)
    settings_rows = _settings_rows(m)
    result = SplitResult({}, {}, findings)
    for dept in departments:
        dept_tables, ident_tables = [], []
        for table, block, percent, rs in tables:
            mine = [r for r in rs if r.department == dept]
            if not mine:
                continue
            t, meta = C.department_table(block, percent, table, mine, C.DEPARTMENT_FILE_HEADER_ROW + 1)
            t.update(_table_texts(table, m, deadline))
            if table.sheet == layout.SHEET_KPI:
                heads = [layout.column_for_header(h) for h in t["headers"]]
                t["freeze_col"] = next((i + 2 for i, c in enumerate(heads) if c and c.key == "name"), 1)
                result.counts[dept] = len(mine)
            else:
                result.measures[dept] = len(mine)
                t["widths"] = {c: _MEASURE_WIDTHS.get(N.column_key(h), 10) for c, h in enumerate(t["headers"], start=1)}
            dept_tables.append(t)
            ident_tables.extend(meta)
        identity = dict(ident, format=C.FORMAT, department=dept, created=created.isoformat(),
                        deadline=deadline, tables=ident_tables)
        df = C.DepartmentFile(dept, names[dept], dept_tables, identity,
                              settings_rows + [("担当課", dept), (DEADLINE_LABEL, deadline or "")],
                              instructions(m, dept, deadline, [t["sheet"] for t in dept_tables]))
        result.files[dept] = write_department_file(df, out / names[dept])
    return result


def _settings_rows(m: Master) -> list[tuple[str, object]]:
    labels = {key: label for key, label, _ in layout.SETTINGS_KEYS}
    out = []
    for row in m.settings_block:
        if not row:
            continue
        key = layout.SETTINGS_LABELS.get(str(row[0]).strip()) if row[0] is not None else None
        if key in _SETTINGS_SENT and len(row) > 1 and row[1] is not None:
            out.append((labels[key], row[1]))
    return out


def _table_texts(table, m: Master, deadline) -> dict:
    era = era_label(m.eval_year)
    due = f"回答期限: {deadline}" if deadline else "回答期限は依頼文のとおりです"
    if table.sheet == layout.SHEET_KPI:
        return {"title": f"{era}（{m.eval_year}年度）実績の照会",
                "note": f"黄色のセル（{layout.actual_header(m.eval_year)}・備考）に入力してください。入力のしかたはシート"
                        f"「{C.SHEET_INSTRUCTIONS}」。{due}。"}
    return {"title": f"{era}（{m.eval_year}年度）施策の取組状況の照会",
            "note": f"黄色のセル（{'・'.join(C.MEASURE_TEXTS)}）に文章を入力してください。{due}。"}


def instructions(m: Master, dept: str, deadline: str | None, sheets: list[str]) -> list[tuple[str, str]]:
    """The 記入方法 sheet (Japanese): what to enter, the accepted notations, the deadline, how to return it."""
    s, era = m.settings, era_label(m.eval_year)
    lines = [
        ("title", f"{s.municipality}　{s.plan_name}　{era}（{m.eval_year}年度）実績の照会"),
        ("text", f"担当課: {dept}"),
        ("heading", f"回答期限: {deadline}" if deadline else "回答期限: 依頼文のとおり"),
        ("text", ""),
        ("heading", "1. 入力するところ"),
        ("input", f"シート「{layout.SHEET_KPI}」の黄色のセルだけに入力します: 「{layout.actual_header(m.eval_year)}」の列に"
                  f"{era}（{m.eval_year}年度）の実績値、必要なら「備考」に補足。"),
    ]
    if N.SHEET_MEASURES in sheets:
        lines.append(("input", f"シート「{N.SHEET_MEASURES}」の黄色のセル（{'・'.join(C.MEASURE_TEXTS)}）に、担当する具体的施策の"
                               "取組状況を文章で入力します（セル内の改行は Alt＋Enter）。"))
    lines += [
        ("text", "基準値・前年度までの実績値・目標値などは参考として表示しています（変更できません）。"),
        ("text", ""),
        ("heading", "2. 実績値の書き方（このまま読み取れます）"),
        ("text", "・数値: 279,072　２（全角も可）　42.2　単位が%のKPIは 66.5 または 66.5%"),
        ("text", "・マイナス: ▲90　△1,305　-0.35%"),
        ("text", f"・{era}の値がなく前の年度の値を書くとき: 11(R1)、92.5 (H31) のように年度を付けます（古い年度の値として扱われます）"),
        ("text", "・単位付き: 24万人　139.8万人　2,249億円（KPIの単位に換算します。できれば単位を付けずに数値だけを入力してください）"),
        ("text", "・値がないとき: —　未実施　把握不能　集計中（空欄のままは「未回答」になります）"),
        ("text", "・読み取れないもの: 約120 のような概数、「平日 0.99 休日 0.97」のような複数の値。1つの値を入力し、内訳は備考に書いてください。"),
        ("text", ""),
        ("heading", "3. してはいけないこと"),
        ("text", "黄色以外のセルの変更、見出しの変更、行・列の追加や削除、シート名の変更。シートの保護はパスワードなしで"
                 "解除できますが、黄色以外のセルを変更した行は取り込まれません。KPIの内容に訂正が必要なときは、企画担当課へ連絡してください。"),
        ("text", ""),
        ("heading", "4. 返送"),
        ("text", "入力が終わったら保存し、このファイル（.xlsx のまま）を企画担当課へ返送してください。ファイル名は変えても構いません。"
                 "別のブックへの貼り付けやPDFでは取り込めません。"),
        ("text", ""),
        ("note", "このファイルには、元のKPI管理表と照合するための情報（KPI番号と送付時の内容のチェックサム）が非表示で入っています。"),
    ]
    return lines


# ---------------------------------------------------------------------------------------------- merge
@dataclass
class MergeResult:
    outcomes: list[C.Outcome]
    writes: dict
    formats: dict
    rows: list[dict]             # 回収状況, one per department
    plan: object                 # SheetPlan of 回収状況
    changed: bool                # anything to write (cells or the 回収状況 sheet)
    findings: list[Finding]

    @property
    def valid(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def _master_tables(m: Master) -> dict[str, C.MasterTable]:
    keys: dict[str, int | None] = {}
    for k in m.kpis:
        key = C.row_key(k)
        keys[key] = None if key in keys else k.row   # a duplicated key matches nothing
    out = {layout.SHEET_KPI: C.MasterTable(layout.SHEET_KPI, m.block, m.geometry["header_row"],
                                           {k: r for k, r in keys.items() if r is not None}, m.percent)}
    if m.measures_block is not None:
        mt = C.measures_table(m.measures_block)
        if mt is not None:
            by_code = {C.measure_key(item.code): item.row for item in C.measure_items(m.measures_block)}
            out[N.SHEET_MEASURES] = C.MasterTable(N.SHEET_MEASURES, m.measures_block, mt.header_row, by_code)
    return out


def validate_reply(book) -> list[Finding]:
    """The same validator as kpi validate, on the returned workbook (its findings name its own cells)."""
    from .ops import load_and_evaluate
    return load_and_evaluate(book).evaluation.findings


def merge_book(book, reply_paths, previous_block=None, master_format=lambda s, r, c: None,
               now: str | None = None) -> MergeResult:
    """Decide what the replies bring into the master ``book`` (nothing is written here)."""
    from .book.collect import read_reply
    m = read_master(book)
    masters = _master_tables(m)
    ident_now = C.master_identity(m.settings, m.kpis)
    paths = list(dict.fromkeys(Path(p).resolve() for p in reply_paths))
    replies = []
    for p in paths:
        if not p.exists():
            raise KpiError(f"回答ファイル「{p}」が見つかりません。")
        replies.append(read_reply(p, validate_reply))
    outcomes: list[C.Outcome] = []
    by_dept: dict[str, list[C.Reply]] = {}
    for r in replies:
        if r.identity and r.identity.get("format") == C.FORMAT:
            by_dept.setdefault(r.identity.get("department", ""), []).append(r)
    for r in replies:
        same = by_dept.get((r.identity or {}).get("department", ""), [r]) if r.identity else [r]
        if len(same) > 1:
            o = C.Outcome(r, department=r.identity.get("department", ""), accepted_file=False)
            o.findings.append(Finding("collect_duplicate_file", C.where(r.label, layout.SHEET_KPI), "", params={
                "department": o.department, "files": "、".join(x.label for x in same)}))
            outcomes.append(o)
        else:
            outcomes.append(C.merge_reply(r, masters, ident_now, master_format))
    writes, formats = {}, {}
    for o in outcomes:
        writes.update(o.writes)
        formats.update(o.formats)
    findings = [f for o in outcomes for f in o.findings]
    previous, problems = C.previous_collection(previous_block or [])
    all_rows = C.kpi_rows(m.kpis, [])
    when = now or _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    rows = C.collection_rows(C.departments_of(all_rows), previous, outcomes, when)
    plan = C.collection_plan(rows, C.problem_rows(outcomes, problems), ident_now)
    changed = bool(writes or formats) or _trimmed(plan.rows) != _trimmed(previous_block or [])
    return MergeResult(outcomes, writes, formats, rows, plan, changed, findings)


def _trimmed(block) -> list[list]:
    out = [[C._norm(v) for v in row] for row in block]
    for row in out:
        while row and row[-1] is None:
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


def merge_file(path, reply_paths, now: str | None = None) -> tuple[MergeResult, Path | None]:
    """kpi merge: the answers into the master file through ``write_answers`` (atomic, backup).  Returns the
    result and the backup's path (None when nothing changed and the file was left as it was)."""
    from .book.collect import owned_sheet, write_answers
    from .book.files import FileBook
    path = Path(path)
    book = FileBook(path)
    sheet = owned_sheet(book.wb, C.COLLECTION_MARKER)
    if sheet is None and C.SHEET_COLLECTION in book.wb.sheetnames:
        raise KpiError(f"シート「{C.SHEET_COLLECTION}」はこのツールが作ったものではないため、上書きしません。"
                       "シート名を変えてから実行してください。")
    previous = book.read_block(sheet)[0] if sheet else None
    fmt = lambda s, r, c: book.wb[s].cell(r, c).number_format  # noqa: E731
    result = merge_book(book, reply_paths, previous, fmt, now)
    if not result.changed:
        return result, None
    backup = write_answers(path, result.writes, result.formats,
                           sheets=[(result.plan, C.COLLECTION_MARKER, None)])
    return result, backup


def split_file(path, out_dir, deadline=None, force=False) -> SplitResult:
    from .book.files import FileBook
    return split_book(FileBook(path), out_dir, deadline, force)


def deadline_of(book) -> str | None:
    """The optional 回答期限 row of the 設定 sheet (the ribbon has no command line option)."""
    import datetime as dt
    block, _ = book.read_block(layout.SHEET_SETTINGS)
    for row in block:
        if row and isinstance(row[0], str) and layout.normalise_header(row[0]) == DEADLINE_LABEL and len(row) > 1:
            v = row[1]
            if isinstance(v, (dt.datetime, dt.date)):
                return v.strftime("%Y-%m-%d")
            return C._text(v) or None
    return None


def merge_live(book, folder: Path) -> str:
    """The ribbon's merge: every .xlsx in ``folder`` into the workbook open in Excel.  Returns the message."""
    from .live import LiveBook
    from .live.collect import owned_sheet, write_answers_live
    folder = Path(folder)
    replies = sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith("~$")) if folder.is_dir() else []
    if not replies:
        return (f"回答ファイルがありません。返ってきた照会ファイルをフォルダー「{folder}」に保存してから、"
                "もう一度押してください。")
    live = LiveBook(book)
    sheet = owned_sheet(live, C.COLLECTION_MARKER)
    if sheet is None and C.SHEET_COLLECTION in live.sheet_names():
        raise KpiError(f"シート「{C.SHEET_COLLECTION}」はこのツールが作ったものではないため、上書きしません。"
                       "シート名を変えてから実行してください。")
    previous = live.read_block(sheet)[0] if sheet else None
    # the number formats of the KPI sheet's value columns, from read_block's one format read (no per-cell reads)
    fmt = lambda s, r, c: live.number_formats.get(s, {}).get((r, c))  # noqa: E731
    res = merge_book(live, replies, previous, fmt)
    if res.changed:
        write_answers_live(live, res.writes, res.formats, sheets=[(res.plan, C.COLLECTION_MARKER, None)])
    errors = sum(1 for f in res.findings if f.severity == ERROR)
    done = sum(1 for r in res.rows if r["状態"] == C.STATUS_DONE)
    head = (f"{len(replies)}件の回答ファイルから {len(res.writes)}セルを取り込みました。" if res.writes else
            f"{len(replies)}件の回答ファイルに、新しく取り込む回答はありませんでした。")
    tail = f"エラー {errors}件（取り込んでいません）。" if errors else "エラーはありません。"
    return (f"{head}\n回収済 {done}/{len(res.rows)}課。{tail}\n詳しくはシート「{C.SHEET_COLLECTION}」を見てください。"
            "確かめてから上書き保存してください。")
