"""The check for a real PC with Excel: ``py -3 -m addin.livecheck`` (or ``python -m pytest -m live`` in a
source checkout, which runs the same checks).

Writes ``KPIAddin-check-result.txt`` (in the current folder, or ``--out FILE``) for the IT section to send
back.  It starts its own hidden Excel, never touches the clerk's workbooks, and checks what the stand-in of
the test suite can only imitate:

1. the environment: Python and Excel bitness, xlwings and pywin32 versions, the add-in and its conf;
2. reading as Excel hands cells over: a workbook with % cells, a currency cell, an empty string and the error
   values #DIV/0!, #N/A and #SPILL! made by Excel's own formulas is evaluated through the ribbon's adapter and,
   after Excel saved it, through the command line's; both results must be equal;
3. the 検証 and 再計算 buttons on that workbook (sheet protection put back, no dialog left open), and the time
   they take at 78 and 780 KPIs (it should not grow with the number of KPIs beyond reading and rendering).
Exit code 0 when every check passed, 1 when one failed, 2 when Excel could not be started.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import platform
import shutil
import struct
import sys
import tempfile
import time
import traceback
from pathlib import Path

RESULT_NAME = "KPIAddin-check-result.txt"


class Report:
    def __init__(self):
        self.lines: list[str] = []
        self.failed = 0

    def info(self, name, value):
        self.lines.append(f"[情報] {name}: {value}")

    def check(self, name, ok, detail=""):
        self.lines.append(f"[{'OK' if ok else 'NG'}] {name}" + (f" — {detail}" if detail else ""))
        self.failed += 0 if ok else 1
        return ok

    def text(self):
        head = f"KPI管理アドイン 動作確認 {_dt.datetime.now().isoformat(timespec='seconds')}"
        verdict = "結果: すべて OK" if not self.failed else f"結果: NG が {self.failed} 件あります"
        return "\n".join([head, verdict, ""] + self.lines) + "\n"


def environment(report: Report) -> None:
    from . import install
    report.info("Python", f"{sys.version.split()[0]} ({struct.calcsize('P') * 8} ビット) {sys.executable}")
    report.info("OS", platform.platform())
    try:
        import xlwings
        report.check("xlwings 0.37.8", xlwings.__version__ == "0.37.8", xlwings.__version__)
    except ImportError as e:
        report.check("xlwings", False, str(e))
    try:
        import win32api  # noqa: F401  (pywin32)
        report.check("pywin32", True)
    except ImportError as e:
        report.check("pywin32", False, str(e))
    conf = install.conf_path()
    interpreter = install.read_conf(conf).get(install.INTERPRETER_KEY)
    report.check("設定ファイル（kpi install-addin）", bool(interpreter), f"{conf}: {interpreter}")
    if interpreter:
        report.check("設定ファイルの Python がこの Python", Path(interpreter).resolve() == Path(sys.executable).resolve(),
                     interpreter)
    xlam = install.addins_dir() / install.XLAM_NAME
    report.check("アドインの配置", xlam.is_file() and xlam.read_bytes() == install.find_xlam().read_bytes(), str(xlam))


def _workbook(path: Path, kpis: int) -> None:
    """A KPI workbook with ``kpis`` rows (a % KPI typed as Excel percentages, a currency KPI)."""
    from .book.template import build_workbook
    rows = []
    for i in range(kpis):
        rows.append({"kpi_id": f"{i + 1}", "goal_code": str(i % 3 + 1), "goal_name": f"目標{i % 3 + 1}",
                     "name": f"指標{i + 1}", "unit": "%" if i % 2 else "人", "baseline": 0.4 if i % 2 else 100,
                     "baseline_year": "H30", "actual_2022": 0.45 if i % 2 else 120, "target": 0.5 if i % 2 else 150,
                     "target_year": "R6", "direction": "増加", "formula": "比率"})
    wb = build_workbook({"municipality": "確認市", "plan_start": "R2", "plan_end": "R6", "evaluation_year": "R4"},
                        rows, data_rows=kpis + 5)
    ws = wb["KPI"]
    header = {c.value: c.column for c in ws[4]}
    for r in range(5, 5 + kpis):
        if ws.cell(r, header["単位"]).value == "%":
            for key in ("基準値", "実績値 R4", "目標値"):
                ws.cell(r, header[key]).number_format = "0.0%"
    ws.protection.sheet = True
    wb.save(path)


def _excel_cells(book) -> None:
    """Cells only Excel can make: error values from its own formulas, a currency cell, an empty string."""
    sht = book.sheets["KPI"]
    sht.api.Unprotect(Password="")
    header = {v: i + 1 for i, v in enumerate(sht.range((4, 1), (4, 40)).value) if v}
    col = header["実績値 R4"]
    sht.range((5, col)).formula = "=1/0"                        # #DIV/0!
    sht.range((6, col)).formula = "=NA()"                       # #N/A
    sht.range((8, col)).value = "x"                             # blocks the spill of row 7 …
    sht.range((7, col)).formula2 = "=SEQUENCE(2)"               # … → #SPILL! (#NAME? before Excel 2021)
    sht.range((9, col)).value = 130
    sht.range((9, col)).number_format = '"¥"#,##0'             # a currency cell (COM: Decimal)
    sht.range((11, col)).formula = '=""'                         # an empty string
    sht.api.Protect(Contents=True)


def excel_checks(report: Report, work: Path) -> None:
    import xlwings as xw

    from . import ops, ribbon
    from .api import evaluate_file
    from .core.report import evaluation_report
    from .live import LiveBook
    app = xw.App(visible=False, add_book=False)
    try:
        report.info("Excel", f"{app.version} {app.api.OperatingSystem}")
        path = work / "check.xlsx"
        _workbook(path, 20)
        book = app.books.open(str(path))
        _excel_cells(book)
        book.save()
        live = evaluation_report(ops.validate(LiveBook(book), write=False).evaluation, path.name)
        files = evaluation_report(evaluate_file(path), path.name)
        report.check("Excel とファイルの読み取りが同じ（エラー値・%・通貨・空文字列）", live == files,
                     "" if live == files else _diff(live, files))
        codes = {(f["cell"], f["code"]) for f in live["findings"]}
        errors = sorted(c for c, code in codes if code == "excel_error")
        report.check("エラー値をエラーとして読む（#DIV/0! #N/A #SPILL!）", len(errors) >= 3, " ".join(errors))
        for button in ("kpi_validate", "kpi_recalc"):
            message = ribbon.dispatch(button, book=book, show=False)
            report.check(f"ボタン {button}", "予期しない" not in message and "エラー:" not in message,
                         message.replace("\n", " / "))
        report.check("シート保護が元どおり", bool(book.sheets["KPI"].api.ProtectContents))
        book.close()
        for n in (78, 780):
            p = work / f"time{n}.xlsx"
            _workbook(p, n)
            b = app.books.open(str(p))
            t = time.perf_counter()
            ribbon.dispatch("kpi_recalc", book=b, show=False)
            report.info(f"再計算の時間（{n}指標）", f"{time.perf_counter() - t:.1f} 秒")
            b.close()
    finally:
        app.quit()


def _diff(a: dict, b: dict) -> str:
    out = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            out.append(f"{key}: Excel={str(a.get(key))[:300]} ファイル={str(b.get(key))[:300]}")
    return " | ".join(out)[:2000]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m addin.livecheck", description="KPI管理アドインの実機確認")
    p.add_argument("--out", default=RESULT_NAME, help=f"結果ファイル（既定: {RESULT_NAME}）")
    args = p.parse_args(argv)
    report = Report()
    code = 0
    try:
        environment(report)
    except Exception as e:  # report, never crash: the file is what IT sends back
        report.check("環境の確認", False, f"{type(e).__name__}: {e}")
    work = Path(tempfile.mkdtemp(prefix="kpi-check-"))
    try:
        if sys.platform != "win32":
            report.check("Excel の起動", False, "Windows ではありません（この確認は Excel のある Windows PC 用です）")
            code = 2
        else:
            excel_checks(report, work)
    except Exception as e:
        report.check("Excel での確認", False, f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
        code = 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = Path(args.out)
    out.write_text(report.text(), encoding="utf-8-sig")
    print(report.text())
    print(f"この結果を「{out.resolve()}」に保存しました。このファイルを送ってください。")
    return code or (1 if report.failed else 0)


if __name__ == "__main__":
    sys.exit(main())
