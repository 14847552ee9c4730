"""Command line: ``kpi <command> FILE``.  Thin: parse arguments, call the library, map errors to exit codes.

Exit codes: 0 done; 1 entries with errors (the rest still computed); 2 cannot run (file missing, unreadable,
refused, invalid configuration).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .core.findings import ERROR, WARNING, Severity
from .errors import KpiError

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2


def _print_findings(findings, out, limit=None):
    from .core.findings import sort_findings
    shown = sort_findings(findings)
    for f in shown[:limit] if limit else shown:
        print(f.text(), file=out)


def cmd_validate(args) -> int:
    from .api import validate_file
    from .core.report import validation_report
    ev = validate_file(args.file, args.scheme)
    report = validation_report(ev, args.file)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_findings(ev.findings, sys.stdout)
        c = report["counts"]
        print(f"検証: KPI {len(ev.results)}件　" + "　".join(f"{sev.label} {c[sev.value]}件" for sev in Severity))
    return EXIT_OK if report["valid"] else EXIT_FINDINGS


def cmd_evaluate(args) -> int:
    from .api import evaluate_file
    from .core.report import evaluation_report, tally_text
    ev = evaluate_file(args.file, args.scheme)
    report = evaluation_report(ev, args.file)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(tally_text(ev))
    return EXIT_OK if report["valid"] else EXIT_FINDINGS


def cmd_recalc(args) -> int:
    from .api import recalc_file
    from .core.report import tally_text
    loaded, backup = recalc_file(args.file, args.scheme)
    ev = loaded.evaluation
    print(tally_text(ev))
    errors = [f for f in ev.findings if f.severity == ERROR]
    warnings = [f for f in ev.findings if f.severity == WARNING]
    sheets = loaded.written.get("sheets", {})
    print(f"「{args.file}」を更新しました（進捗率・評価の列、シート「{sheets.get('summary', 'KPI達成状況')}」"
          f"「{sheets.get('findings', '検証結果')}」）。"
          f"変更前のファイルは「{backup}」に保存しました。")
    if errors or warnings:
        print(f"エラー {len(errors)}件・警告 {len(warnings)}件: シート「検証結果」を確認してください。")
        _print_findings(errors + warnings, sys.stdout, limit=None if args.verbose else 20)
    return EXIT_FINDINGS if errors else EXIT_OK


def cmd_export(args) -> int:
    from .api import export_file
    ev, paths = export_file(args.file, args.out, args.format, args.scheme)
    for name, path in paths.items():
        print(f"{name}: {path}")
    print(f"公表用の資料を「{args.out}」に{len(paths)}件作成しました。")
    if ev.errors:
        print(f"注意: 入力にエラーが{len(ev.errors)}件あり、該当するKPIは「－」で出力しました。"
              "kpi validate で確認してください。", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_report(args) -> int:
    """kpi report: the evaluation report's chapter (Word, PDF, HTML) with the 施策 sheet's texts."""
    from .core.narrative import missing_by_department
    from .export.chapter import load_chapter
    from .export.report import write_report
    chapter, ev, findings = load_chapter(args.file, args.scheme)
    if not chapter.rows:
        raise KpiError(f"「{args.file}」のシート「KPI」に重点戦略の番号が付いたKPIがないため、報告書を作成できません。"
                       "kpi validate で確認してください。")
    paths = write_report(chapter, args.out, args.format)
    for name, path in paths.items():
        print(f"{name}: {path}")
    print(f"評価報告書（重点戦略 {len(chapter.goals)}・具体的施策 {sum(len(g.measures) for g in chapter.goals)}・"
          f"KPI {len(chapter.rows)}件）を「{args.out}」に{len(paths)}件作成しました。")
    missing = missing_by_department(findings)
    if missing:
        print(f"未記入の記述が{sum(len(v) for v in missing.values())}件あります（シート「施策」）。担当課ごとの一覧:")
        for dept, items in missing.items():
            print(f"  {dept}: " + "、".join(f"{f.params['code']} {f.params['field']}" for f in items))
    if ev.errors:
        print(f"注意: 入力にエラーが{len(ev.errors)}件あり、該当するKPIは「－」で出力しました。"
              "kpi validate で確認してください。", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_schemes(args) -> int:
    from .config import describe_presets
    presets = describe_presets()
    if args.json:
        print(json.dumps(presets, ensure_ascii=False, indent=2))
        return EXIT_OK
    for p in presets:
        print(f"{p['name']}\t{p['title']}")
        for c in p["classes"]:
            print(f"    {c['label']}\t{c['description']}")
    print("設定シートの「評価方式」に名前を入力するか、--scheme NAME または --scheme FILE.json で指定します"
          "（独自方式の書き方: schema/scheme.schema.json）。letter の閾値は「評価方式の閾値」（例: 100,80,50）。")
    return EXIT_OK


def cmd_template(args) -> int:
    from .book.template import build_template
    from .core.importer import ChoiceNeeded, parse_plan
    out = Path(args.out)
    if out.exists() and not args.force:
        raise KpiError(f"「{out}」は既にあります。上書きする場合は --force を付けてください。")
    try:
        plan = parse_plan(args.plan) if args.plan else None
    except ChoiceNeeded as e:
        raise KpiError(str(e)) from e
    build_template(plan, args.yearly_targets).save(out)
    print(f"テンプレートを「{out}」に作成しました。")
    return EXIT_OK


# --- kpi import / kpi add-year (issue 11) ---------------------------------------------------------------------

def cmd_import(args) -> int:
    from .book.importer import import_file
    from .core.importer import ChoiceNeeded, ImportOptions, parse_direction, parse_plan
    from .core.values import fiscal_year
    try:
        opts = ImportOptions(header_row=args.header_row, plan=parse_plan(args.plan) if args.plan else None,
                             year=fiscal_year(args.year) if args.year else None, municipality=args.municipality or "",
                             scheme=args.scheme or "", name_column=args.name_column or "",
                             directions=dict(parse_direction(d) for d in args.direction or ()))
    except ChoiceNeeded as e:
        raise KpiError(str(e)) from e
    if args.year and opts.year is None:
        raise KpiError(f"--year「{args.year}」を年度として読み取れません。R6 や 2024 のように指定してください。")
    if args.scheme:
        from .config import resolve_scheme
        from .core.model import Settings
        resolve_scheme(Settings(), args.scheme, Path(args.source).parent)   # an unknown scheme stops here
    result = import_file(args.source, args.out, opts, sheet=args.sheet, force=args.force)
    if args.json:
        print(json.dumps(dict(result.to_dict(), source=str(args.source), out=str(args.out)), ensure_ascii=False,
                         indent=2))
        return EXIT_OK
    print(f"「{args.source}」の表（見出し {'・'.join(f'{r}行目' for r in result.header_rows)}）から"
          f"KPI {len(result.rows)}件を「{args.out}」に取り込みました。元のファイルは変更していません。")
    print("列の対応:")
    for m in result.mapping:
        mark = "  " if m.understood else "？"
        print(f"{mark}{m.column}列「{m.header}」→ {m.target}" + (f"（{m.note}）" if m.note else ""))
    missing = [m for m in result.mapping if not m.understood]
    if missing:
        print(f"理解できなかった列 {len(missing)}件は、そのまま追加の列に残しました: "
              + "、".join(f"「{m.header}」" for m in missing))
    for n in result.notes:
        print(f"注: {n}")
    if result.skipped_rows:
        print("読み飛ばした行: " + "、".join(f"{r}行目（{w}）" for r, w in result.skipped_rows[:20])
              + (" ほか" if len(result.skipped_rows) > 20 else ""))
    print(f"次に: kpi validate {args.out} で入力を確かめ、方向・算定式など表にない項目を入力してください。")
    return EXIT_OK


def cmd_add_year(args) -> int:
    from .book.plan import add_year
    added = add_year(args.file, args.year)
    print(f"「{args.file}」のシート「KPI」に {added.header} の列（{added.column}列）を追加しました。"
          f"元のファイルは「{added.backup.name}」に保存しました。")
    if added.plan_end_changed:
        print(f"計画期間が{added.header.split()[-1]}を含むよう、設定シートの計画期間を変更しました。")
    return EXIT_OK


def _import_arguments(sp) -> None:
    sp.add_argument("source", help="取り込むブック（.xlsx）。読むだけで変更しません")
    sp.add_argument("out", help="作成するKPI管理ブック（.xlsx）")
    sp.add_argument("--sheet", help="KPIの表があるシート（シートが複数あるとき）")
    sp.add_argument("--header-row", type=int, help="見出し行の行番号（自動で決まらないとき）")
    sp.add_argument("--name-column", help="KPI名の列（列の記号か見出しの文字）。候補が複数あるとき")
    sp.add_argument("--plan", help="計画期間（例: R2-R6）。実績値の列を年度ごとに用意します")
    sp.add_argument("--year", help="評価年度（例: R6）")
    sp.add_argument("--scheme", help="評価方式（four-class / three-mark / letter / JSONファイル）")
    sp.add_argument("--municipality", help="自治体名")
    sp.add_argument("--direction", action="append", metavar="KPI名=減少",
                    help="表にない方向（増加/減少/維持）をKPIごとに指定（繰り返し可）")
    sp.add_argument("--json", action="store_true", help="列の対応をJSONで出力")
    sp.add_argument("--force", action="store_true", help="既存のファイルを上書き")


def cmd_install_addin(args) -> int:
    from .install import describe_install, install_addin
    path = install_addin(args.python)
    print(describe_install(path))
    return EXIT_OK


# ---- 照会・回答 (kpi split / kpi merge): one block, see addin/collect.py
def cmd_split(args) -> int:
    from .collect import split_file
    if args.deadline:
        import datetime as _dt
        try:
            _dt.date.fromisoformat(args.deadline)
        except ValueError:
            raise KpiError(f"--deadline「{args.deadline}」は日付として読めません。2024-06-30 のように入力してください。")
    res = split_file(args.file, args.out, args.deadline, args.force)
    for f in res.findings:
        print(f.text())
    for dept, path in res.files.items():
        extra = f"・施策 {res.measures[dept]}件" if res.measures.get(dept) else ""
        print(f"{dept}: KPI {res.counts.get(dept, 0)}件{extra} → {path}")
    print(f"照会ファイルを「{args.out}」に{len(res.files)}件作成しました（担当課ごと）。")
    from .core.findings import ERROR, WARNING
    return EXIT_FINDINGS if any(f.severity in (ERROR, WARNING) for f in res.findings) else EXIT_OK


def cmd_merge(args) -> int:
    from .book.collect import located
    from .collect import merge_file
    from .core.findings import INFO
    res, backup = merge_file(args.file, args.answers)
    if args.json:
        print(json.dumps({"valid": res.valid, "changed": res.changed,
                          "written": [{"sheet": s, "row": r, "col": c, "value": v}
                                      for (s, r, c), v in sorted(res.writes.items())],
                          "departments": res.rows, "findings": [located(f) for f in res.findings]},
                         ensure_ascii=False, indent=2, default=str))
    else:
        for f in res.findings:
            if f.severity != INFO:
                print(f.text())
        for row in res.rows:
            print(f"{row['担当課']}: {row['状態']}　回答 {row['回答KPI数']}/{row['照会KPI数']}　"
                  f"エラー {row['エラー']}件")
        if backup is None:
            print(f"「{args.file}」に取り込む変更はありませんでした（ファイルは変更していません）。")
        else:
            print(f"「{args.file}」に回答 {len(res.writes)}セルを取り込み、シート「回収状況」を更新しました。"
                  f"元のファイルは「{backup.name}」に保存しました。")
    return EXIT_OK if res.valid else EXIT_FINDINGS


COMMANDS = {
    "validate": (cmd_validate, "入力を検証し、問題のあるセルを一覧にします（ファイルは変更しません）。"),
    "evaluate": (cmd_evaluate, "進捗率・評価・集計を計算して表示します（ファイルは変更しません）。"),
    "recalc": (cmd_recalc, "検証・計算し、計算列と「KPI達成状況」「検証結果」シートをブックに書き込みます（バックアップを作成）。"),
    "export": (cmd_export, "公表用のKPI達成状況（Excel・PDF・HTML・CSV）を新しいファイルとして作成します（元のブックは変更しません）。"),
    "report": (cmd_report, "評価報告書の章（重点戦略ごとの集計・施策ごとのKPI表と記述）を Word・PDF・HTML で作成します（元のブックは変更しません）。"),
    "schemes": (cmd_schemes, "評価方式のプリセット（名前・説明・区分）を一覧にします。"),
    "template": (cmd_template, "空のKPI管理テンプレート（.xlsx）を作成します。"),
    "split": (cmd_split, "担当課ごとの照会ファイル（評価年度の実績値だけを入力できる .xlsx）を作成します（元のブックは変更しません）。"),
    "merge": (cmd_merge, "担当課から返ってきた照会ファイルを検証し、正しい回答だけを元のブックに取り込みます（シート「回収状況」を更新）。"),
    "import": (cmd_import, "自治体独自の様式のKPIの表を読み取り、KPI管理ブック（テンプレート形式）を新しく作成します（元のファイルは変更しません）。"),
    "add-year": (cmd_add_year, "KPI管理ブックに次の年度の実績値の列を追加します（バックアップを作成）。"),
    "install-addin": (cmd_install_addin, "Excelアドイン（KPIAddin.xlam）と設定ファイルをこのユーザーにインストールします（Windows）。"),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kpi", description="地方創生総合戦略のKPI進捗管理（検証・進捗率と評価の計算・KPI達成状況の作成）")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.set_defaults(func=func)
        if name in ("validate", "evaluate", "recalc"):
            sp.add_argument("file", help="KPI管理ブック（.xlsx）")
            sp.add_argument("--scheme", help="評価方式（four-class / three-mark / letter / JSONファイル）。設定シートより優先")
        if name in ("validate", "evaluate", "schemes"):
            sp.add_argument("--json", action="store_true", help="結果をJSONで出力")
        if name == "recalc":
            sp.add_argument("-v", "--verbose", action="store_true", help="すべての指摘を表示")
        if name == "export":
            sp.add_argument("file", help="KPI管理ブック（.xlsx）")
            sp.add_argument("--out", required=True, help="出力先のフォルダー")
            sp.add_argument("--format", help="出力形式をカンマ区切りで（既定: xlsx,pdf,html,csv）")
            sp.add_argument("--scheme", help="評価方式（four-class / three-mark / letter / JSONファイル）。設定シートより優先")
        if name == "report":
            sp.add_argument("file", help="KPI管理ブック（.xlsx）")
            sp.add_argument("--out", required=True, help="出力先のフォルダー")
            sp.add_argument("--format", help="出力形式をカンマ区切りで（既定: docx,pdf,html）")
            sp.add_argument("--scheme", help="評価方式（four-class / three-mark / letter / JSONファイル）。設定シートより優先")
        if name == "template":
            sp.add_argument("out", help="作成するファイル名（.xlsx）")
            sp.add_argument("--force", action="store_true", help="既存のファイルを上書き")
            sp.add_argument("--plan", help="計画期間（例: R2-R6）。年度ごとの実績値の列を作ります（既定: R7-R11）")
            sp.add_argument("--yearly-targets", action="store_true", help="年度ごとの目標値の列も作る")
        if name == "split":
            sp.add_argument("file", help="KPI管理ブック（.xlsx）")
            sp.add_argument("--out", required=True, help="照会ファイルを作るフォルダー")
            sp.add_argument("--deadline", help="回答期限（YYYY-MM-DD）。記入方法シートに記載")
            sp.add_argument("--force", action="store_true", help="同じ名前のファイルがあれば上書き")
        if name == "merge":
            sp.add_argument("file", help="KPI管理ブック（.xlsx）: 回答を取り込む元のブック")
            sp.add_argument("answers", nargs="+", help="返ってきた照会ファイル（.xlsx、複数可）")
            sp.add_argument("--json", action="store_true", help="結果をJSONで出力")
        if name == "import":
            _import_arguments(sp)
        if name == "add-year":
            sp.add_argument("file", help="KPI管理ブック（.xlsx）")
            sp.add_argument("--year", help="追加する年度（既定: 最後の実績値の列の次の年度）")
        if name == "install-addin":
            sp.add_argument("--python", help="アドインが使うPythonのパス（既定: このPython）")
    return p


def _printable_streams() -> None:
    """A console that cannot show a character (a file name outside cp932 on a Japanese Windows console) gets
    a replacement character instead of a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, OSError):
            pass


def main(argv=None) -> int:
    _printable_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_CANNOT_RUN
    try:
        return args.func(args)
    except KpiError as e:
        print(f"エラー: {e}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        return EXIT_CANNOT_RUN
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading: not a problem of the tool
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:  # never a traceback for a clerk; the type helps the IT section
        print(f"エラー: 予期しない問題が発生しました（{type(e).__name__}: {e}）。"
              "ファイルを添えて担当者に連絡してください。", file=sys.stderr)
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
