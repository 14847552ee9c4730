"""Ribbon callbacks: the VBA of KPIAddin.xlam calls ``dispatch('<button id>')`` for every button of the
「KPI管理」 tab.  Each action runs the same operations as the command line (addin.ops) on the open workbook
through the xlwings adapter, and tells the clerk the outcome in Japanese.  No traceback ever reaches a dialog:
unexpected errors are written to a log file for the IT section and summarised in the alert.
"""
from __future__ import annotations

import datetime as _dt
import logging
import tempfile
import traceback
from pathlib import Path

from .core import layout
from .errors import KpiError

XLWINGS_VERSION = "0.37.8"  # the version the add-in's VBA (macros/KPIAddin.xlam) was built from
TITLE = "KPI管理"
LOG = Path(tempfile.gettempdir()) / "KPIAddin.log"


def _evaluate(book, scheme_override=None):
    from .config import resolve_scheme
    from .live import LiveBook
    from .ops import load_and_evaluate
    live = LiveBook(book)
    base = Path(book.fullname).parent if getattr(book, "fullname", None) else None
    loaded = load_and_evaluate(live, resolve_scheme=lambda s: resolve_scheme(s, scheme_override, base))
    return live, loaded


def _counts(ev) -> str:
    e = sum(1 for f in ev.findings if f.severity == "エラー")
    w = sum(1 for f in ev.findings if f.severity == "警告")
    return f"エラー {e}件・警告 {w}件"


def validate(book) -> str:
    """検証: list every finding on the 検証結果 sheet and highlight the cells; no typed value changes."""
    from .core.render import findings_plan
    from .ops import write_checks
    live, loaded = _evaluate(book)
    write_checks(live, loaded)
    live.replace_sheet(findings_plan(loaded.evaluation.findings), after=layout.SHEET_KPI)
    ev = loaded.evaluation
    if not any(f.severity in ("エラー", "警告") for f in ev.findings):
        return f"KPI {len(ev.results)}件を検証しました。問題は見つかりませんでした。"
    return (f"KPI {len(ev.results)}件を検証しました。{_counts(ev)}があります。"
            f"シート「{layout.SHEET_FINDINGS}」のセル番地をクリックすると該当セルへ移動します。")


def recalc(book) -> str:
    """再計算: validate, compute progress and status, regenerate 【KPI達成状況】."""
    from .ops import write_results
    live, loaded = _evaluate(book)
    write_results(live, loaded)
    ev = loaded.evaluation
    total = ev.tallies["total"]
    summary = "・".join(f"{c} {total.get(c, 0)}" for c in ev.scheme.classes)
    return (f"KPI {len(ev.results)}件を再計算し、シート「{layout.SHEET_SUMMARY}」を作り直しました。\n"
            f"{summary}\n{_counts(ev)}（シート「{layout.SHEET_FINDINGS}」）")


def export(book) -> str:
    """公表用出力: the public report (xlsx, PDF, HTML, CSV) in a folder beside the workbook."""
    from .export import export_all
    _, loaded = _evaluate(book)
    ev = loaded.evaluation
    if ev.errors:
        return (f"入力に{_counts(ev)}があるため、公表用の出力を中止しました。"
                f"［検証］を押し、シート「{layout.SHEET_FINDINGS}」のエラーを直してから出力してください。")
    src = Path(book.fullname)
    out_dir = src.parent / f"{src.stem}_公表用"
    from .export import default_basename
    written = export_all(ev, out_dir, formats=("xlsx", "html", "csv"), basename=default_basename(ev, src))
    pdf = _pdf_in_excel(book.app, written["xlsx"])
    if pdf is not None:
        written["pdf"] = pdf
    names = "\n".join(f"・{p.name}" for p in written.values())
    return f"公表用のファイルを「{out_dir}」に出力しました。\n{names}"


def _pdf_in_excel(app, xlsx: Path) -> Path | None:
    """PDF through Excel's own export of the public workbook (fonts as the clerk sees them)."""
    pdf = xlsx.with_suffix(".pdf")
    wb = app.books.open(str(xlsx))
    try:
        wb.to_pdf(str(pdf))
    finally:
        wb.close()
    return pdf


def report(book) -> str:
    """報告書: the evaluation report's chapter (Word, HTML, and PDF when LibreOffice is installed) beside the
    workbook, from the same evaluation as 【KPI達成状況】 and the texts of the 施策 sheet."""
    from .core.narrative import missing_by_department
    from .export.chapter import build_chapter
    from .export.pdf import find_soffice
    from .export.report import write_report
    _, loaded = _evaluate(book)
    ev = loaded.evaluation
    if ev.errors:
        return (f"入力に{_counts(ev)}があるため、報告書の作成を中止しました。"
                f"［検証］を押し、シート「{layout.SHEET_FINDINGS}」のエラーを直してから作成してください。")
    src = Path(book.fullname)
    out_dir = src.parent / f"{src.stem}_報告書"
    formats = ("docx", "pdf", "html") if find_soffice() else ("docx", "html")
    written = write_report(build_chapter(ev, loaded.narratives), out_dir, formats)
    names = "\n".join(f"・{p.name}" for p in written.values())
    missing = missing_by_department(ev.findings)
    note = ("\n未記入の記述: " + "、".join(f"{d} {len(v)}件" for d, v in missing.items())) if missing else ""
    return f"評価報告書を「{out_dir}」に作成しました。\n{names}{note}"


ACTIONS = {
    "kpi_validate": validate,
    "kpi_recalc": recalc,
    "kpi_export": export,
    "kpi_report": report,
}


def dispatch(control_id: str, book=None) -> str:
    """Run the action of a ribbon button on the calling workbook and show the outcome.  Returns the message."""
    try:
        import xlwings as xw
    except ImportError:
        return "xlwings がインストールされていません。IT担当者に連絡してください（pip install \"kpi-addin[live]\"）。"
    message, mode = None, "info"
    try:
        if xw.__version__ != XLWINGS_VERSION:
            raise KpiError(f"アドインは xlwings {XLWINGS_VERSION} 用に作られていますが、{xw.__version__} が入っています。"
                           f"IT担当者に pip install xlwings=={XLWINGS_VERSION} を依頼してください。")
        action = ACTIONS.get(control_id)
        if action is None:
            raise KpiError(f"ボタン「{control_id}」に対応する処理がありません。アドインとPythonパッケージの版を揃えてください。")
        if book is None:
            try:
                book = xw.Book.caller()
            except Exception as e:
                raise KpiError("対象のブックが見つかりません。KPI管理ブックを開いてから押してください。") from e
        names = [s.name for s in book.sheets]
        if layout.SHEET_KPI not in names:
            raise KpiError(f"このブックにはシート「{layout.SHEET_KPI}」がありません。KPI管理テンプレートから作ったブックで実行してください。")
        app = book.app
        with app.properties(screen_updating=False, calculation="manual", enable_events=False):
            message = action(book)
    except KpiError as e:
        message, mode = str(e), "critical"
    except Exception as e:  # never a traceback in a dialog; the details go to the log for the IT section
        _log(control_id, e)
        message, mode = (f"予期しない問題が発生しました（{type(e).__name__}）。詳細は {LOG} に記録しました。"
                         "IT担当者に連絡してください。"), "critical"
    _alert(book, message, mode)
    return message


def _alert(book, message, mode):
    try:
        app = book.app if book is not None else None
        if app is not None:
            app.alert(message, title=TITLE, mode=mode)
    except Exception as e:  # the alert itself failed: keep it in the log
        _log("alert", e)


def _log(what, e):
    logging.basicConfig(filename=LOG, level=logging.ERROR, encoding="utf-8")
    logging.getLogger("kpi-addin").error("%s %s %s\n%s", _dt.datetime.now().isoformat(), what, e,
                                          "".join(traceback.format_exception(e)))
