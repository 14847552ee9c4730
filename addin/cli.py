"""Command line: ``kpi <command> FILE``.  Thin: parse arguments, call the library, map errors to exit codes.

Exit codes: 0 done; 1 entries with errors (the rest still computed); 2 cannot run (file missing, unreadable,
refused, invalid configuration).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
        print(f"検証: KPI {len(ev.results)}件　エラー {c['エラー']}件　警告 {c['警告']}件　情報 {c['情報']}件")
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
    errors = [f for f in ev.findings if f.severity == "エラー"]
    warnings = [f for f in ev.findings if f.severity == "警告"]
    print(f"「{args.file}」を更新しました（進捗率・評価の列、シート「KPI達成状況」「検証結果」）。"
          f"元のファイルは「{backup.name}」に保存しました。")
    if errors or warnings:
        print(f"エラー {len(errors)}件・警告 {len(warnings)}件: シート「検証結果」を確認してください。")
        _print_findings(errors + warnings, sys.stdout, limit=None if args.verbose else 20)
    return EXIT_FINDINGS if errors else EXIT_OK


def cmd_export(args) -> int:
    from .api import evaluate_file
    from .export import default_basename, export_all
    ev = evaluate_file(args.file, args.scheme)
    paths = export_all(ev, args.out, args.format, basename=default_basename(ev, Path(args.file)))
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
    out = Path(args.out)
    if out.exists() and not args.force:
        raise KpiError(f"「{out}」は既にあります。上書きする場合は --force を付けてください。")
    build_template().save(out)
    print(f"テンプレートを「{out}」に作成しました。")
    return EXIT_OK


def cmd_install_addin(args) -> int:
    from .install import describe_install, install_addin
    path = install_addin(args.python)
    print(describe_install(path))
    return EXIT_OK


COMMANDS = {
    "validate": (cmd_validate, "入力を検証し、問題のあるセルを一覧にします（ファイルは変更しません）。"),
    "evaluate": (cmd_evaluate, "進捗率・評価・集計を計算して表示します（ファイルは変更しません）。"),
    "recalc": (cmd_recalc, "検証・計算し、計算列と「KPI達成状況」「検証結果」シートをブックに書き込みます（バックアップを作成）。"),
    "export": (cmd_export, "公表用のKPI達成状況（Excel・PDF・HTML・CSV）を新しいファイルとして作成します（元のブックは変更しません）。"),
    "report": (cmd_report, "評価報告書の章（重点戦略ごとの集計・施策ごとのKPI表と記述）を Word・PDF・HTML で作成します（元のブックは変更しません）。"),
    "schemes": (cmd_schemes, "評価方式のプリセット（名前・説明・区分）を一覧にします。"),
    "template": (cmd_template, "空のKPI管理テンプレート（.xlsx）を作成します。"),
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
        if name == "install-addin":
            sp.add_argument("--python", help="アドインが使うPythonのパス（既定: このPython）")
    return p


def main(argv=None) -> int:
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
