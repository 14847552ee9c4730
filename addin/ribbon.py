"""Ribbon callbacks.  The add-in's own VBA launcher (macros/RibbonMyAddin.bas) starts
``python -I -B -c "...addin.ribbon.main()" <button id> <Excel hwnd> <workbook>`` for every button of the
「KPI管理」 tab; :func:`main` attaches to that Excel and :func:`dispatch` runs the button's operation from
addin.ops (the same functions as the command line) through the xlwings adapter, and tells the clerk the
outcome in Japanese.  No traceback ever reaches a dialog:
unexpected errors are written to a log file for the IT section and summarised in the alert.
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
import tempfile
import traceback
from pathlib import Path

from .core import layout
from .core.findings import ERROR, WARNING
from .errors import KpiError

XLWINGS_VERSION = "0.37.8"  # the xlwings the add-in is built and tested with (addin/data/KPIAddin.xlam)
TITLE = "KPI管理"
STATUS = "KPI管理: 処理しています…"
LOG = Path(tempfile.gettempdir()) / "KPIAddin.log"


def _resolver(book):
    from .config import resolve_scheme
    base = Path(book.api.Path) if book.api.Path else None
    return lambda s: resolve_scheme(s, None, base)


def _counts(ev) -> str:
    e = sum(1 for f in ev.findings if f.severity == ERROR)
    w = sum(1 for f in ev.findings if f.severity == WARNING)
    return f"エラー {e}件・警告 {w}件"


def validate(book) -> str:
    """検証 (ops.VALIDATE): the 検証 column, its highlights and the tool's own 検証結果 sheet (a clerk's sheet of
    that name is kept); no typed value changes."""
    from . import ops
    from .live import LiveBook
    loaded = ops.validate(LiveBook(book), _resolver(book))
    ev = loaded.evaluation
    findings_sheet = loaded.written.get("sheets", {}).get("findings", layout.SHEET_FINDINGS)
    if not any(f.severity in (ERROR, WARNING) for f in ev.findings):
        return f"KPI {len(ev.results)}件を検証しました。問題は見つかりませんでした。"
    return (f"KPI {len(ev.results)}件を検証しました。{_counts(ev)}があります。"
            f"シート「{findings_sheet}」のセル番地をクリックすると該当セルへ移動します。")


def recalc(book) -> str:
    """再計算 (ops.RECALC): progress and status, 【KPI達成状況】 and 検証結果 (the tool's own sheets)."""
    from . import ops
    from .live import LiveBook
    loaded = ops.recalc(LiveBook(book), _resolver(book))
    ev, sheets = loaded.evaluation, loaded.written.get("sheets", {})
    total = ev.tallies["total"]
    summary = "・".join(f"{c} {total.get(c, 0)}" for c in ev.tally_columns)
    return (f"KPI {len(ev.results)}件を再計算し、シート「{sheets.get('summary', layout.SHEET_SUMMARY)}」を作り直しました。\n"
            f"{summary}\n{_counts(ev)}（シート「{sheets.get('findings', layout.SHEET_FINDINGS)}」）")


def export(book) -> str:
    """公表用出力 (ops.EXPORT): the public report (xlsx, PDF, HTML, CSV) in a folder beside the workbook, or, for a
    workbook never saved, in a folder the clerk chooses (the Documents folder when Excel cannot ask)."""
    from . import ops
    from .export import default_basename
    from .live import LiveBook
    folder, stem = _export_folder(book)
    if folder is None:
        return "公表用の出力を中止しました（出力先のフォルダーが選ばれませんでした）。"
    out_dir = folder / f"{stem}_公表用"
    loaded, written = ops.export(LiveBook(book), out_dir, ("xlsx", "html", "csv"),
                                 lambda ev: default_basename(ev, Path(stem + ".xlsx")), _resolver(book))
    written["pdf"] = _pdf_in_excel(book.api.Application, written["xlsx"])
    names = "\n".join(f"・{p.name}" for p in written.values())
    message = f"公表用のファイルを「{out_dir}」に出力しました。\n{names}"
    errors = loaded.evaluation.errors
    if errors:
        message += (f"\n注意: 入力にエラーが{len(errors)}件あり、該当するKPIは「－」で出力しました。"
                    f"［検証］を押し、シート「{layout.SHEET_FINDINGS}」で確認してください。")
    return message


MSO_FILE_DIALOG_FOLDER_PICKER = 4


def _export_folder(book) -> tuple[Path | None, str]:
    """Where the public files go: beside a saved workbook; for an unsaved one, a folder chosen in Excel's own
    folder dialog (None when the clerk cancels), or the Documents folder when no dialog can be shown."""
    api = book.api
    stem = Path(api.Name).stem
    if api.Path:
        return Path(api.Path), stem
    try:
        dialog = api.Application.FileDialog(MSO_FILE_DIALOG_FOLDER_PICKER)
        dialog.Title = "公表用ファイルの出力先を選んでください"
        if dialog.Show() != -1:
            return None, stem
        return Path(dialog.SelectedItems(1)), stem
    except Exception:  # no dialog (e.g. Excel busy): the clerk's Documents folder, never Python's cwd
        return Path(os.environ.get("USERPROFILE") or Path.home()) / "Documents", stem


def _pdf_in_excel(app, xlsx: Path) -> Path:
    """PDF through Excel's own export of the public workbook (fonts as the clerk sees them)."""
    pdf = xlsx.with_suffix(".pdf")
    wb = app.Workbooks.Open(str(xlsx))
    try:
        wb.ExportAsFixedFormat(Type=0, Filename=str(pdf))  # xlTypePDF
    finally:
        wb.Close(SaveChanges=False)
    return pdf


def split(book) -> str:
    """照会ファイル作成: one workbook per 担当課 in the folder <workbook>_照会 beside the workbook (kpi split)."""
    from .collect import deadline_of, split_book
    from .live import LiveBook
    live = LiveBook(book)
    src = Path(book.fullname)
    out = src.parent / f"{src.stem}_照会"
    res = split_book(live, out, deadline_of(live))
    lines = [f"・{d}（KPI {res.counts.get(d, 0)}件）" for d in res.files]
    warn = "".join(f"\n注意: {f.message}" for f in res.findings)
    if not res.files:
        return "担当課が入力されたKPIがないため、照会ファイルは作成していません。" + warn
    return f"照会ファイルを「{out}」に{len(res.files)}件作成しました。\n" + "\n".join(lines) + warn


def merge(book) -> str:
    """回答の取り込み: the returned files saved in <workbook>_回答 beside the workbook, into the open workbook
    (kpi merge); the clerk saves with Excel."""
    from .collect import merge_live
    src = Path(book.fullname)
    folder = src.parent / f"{src.stem}_回答"
    return merge_live(book, folder)


def report(book) -> str:
    """報告書: the evaluation report's chapter (Word, HTML, and PDF when LibreOffice is installed) beside the
    workbook, from the same evaluation as 【KPI達成状況】 and the texts of the 施策 sheet."""
    from .core.narrative import missing_by_department
    from .export.chapter import build_chapter
    from .export.pdf import find_soffice
    from .export.report import write_report
    from . import ops
    from .live import LiveBook
    loaded = ops.load_and_evaluate(LiveBook(book), resolve_scheme=_resolver(book))
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
    "kpi_split": split,
    "kpi_merge": merge,
    "kpi_report": report,
}


def dispatch(control_id: str, book=None, show: bool = True) -> str:
    """Run the action of a ribbon button on the workbook and show the outcome in Excel (unless ``show`` is
    False: the real-PC check runs the buttons without leaving a dialog open).  Returns the message."""
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
            raise KpiError("対象のブックが見つかりません。KPI管理ブックを開いてから押してください。")
        names = [s.name for s in book.sheets]
        if layout.SHEET_KPI not in names:
            raise KpiError(f"このブックにはシート「{layout.SHEET_KPI}」がありません。KPI管理テンプレートから作ったブックで実行してください。")
        app = book.app
        with app.properties(screen_updating=False, calculation="manual", enable_events=False,
                            status_bar=STATUS):
            message = action(book)
    except KpiError as e:
        message, mode = str(e), "critical"
    except Exception as e:  # never a traceback in a dialog; the details go to the log for the IT section
        _log(control_id, e)
        message, mode = (f"予期しない問題が発生しました（{type(e).__name__}）。詳細は {LOG} に記録しました。"
                         "IT担当者に連絡してください。"), "critical"
    if show:
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
    """Append the details of a failure to the log file for the IT section (never shown to the clerk)."""
    try:
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(f"{_dt.datetime.now().isoformat()} {what} {type(e).__name__}: {e}\n"
                    + "".join(traceback.format_exception(e)) + "\n")
    except OSError:
        pass


# Exit codes of main(), which the VBA launcher turns into a message when no dialog could be shown from Python
EXIT_OK, EXIT_USAGE, EXIT_NO_XLWINGS, EXIT_NO_EXCEL = 0, 2, 3, 4


def main(argv=None) -> int:
    """Entry point of the add-in's VBA launcher: ``<button id> <Excel hwnd> <workbook full name>``.

    Attaches to the running Excel through xlwings (the App of that window, the Book of that name) and runs
    the button's action; the outcome is shown in Excel.  Nothing is taken from the workbook but its cells.
    """
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3:
        _log("main", ValueError(f"arguments: {argv!r}"))
        return EXIT_USAGE
    button, hwnd, fullname = argv
    try:
        import xlwings  # noqa: F401
    except ImportError as e:
        _log("main", e)
        return EXIT_NO_XLWINGS
    try:
        from .live import attach
        book = attach(hwnd, fullname)
    except Exception as e:
        _log("attach", e)
        return EXIT_NO_EXCEL
    dispatch(button, book)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
