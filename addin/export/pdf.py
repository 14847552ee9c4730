"""PDF: the public workbook printed by LibreOffice (headless), with its page setup (A4, fit to width, header
rows repeated, page numbers in the footer).  Japanese fonts are embedded by LibreOffice.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..core.evaluate import Evaluation
from ..errors import KpiError, MissingDependencyError
from .xlsx import export_xlsx

INSTALL_HINT = ("apt-get install libreoffice-calc libreoffice-writer fonts-morisawa-bizud-gothic"
                "（Windows・Macでは https://ja.libreoffice.org/ からLibreOfficeをインストール）")
TIMEOUT = 180

_CANDIDATES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)


def find_soffice() -> str | None:
    """The LibreOffice program: $KPI_SOFFICE, then soffice/libreoffice on PATH, then the usual install places."""
    env = os.environ.get("KPI_SOFFICE")
    if env and Path(env).exists():
        return env
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((c for c in _CANDIDATES if Path(c).exists()), None)


def check() -> None:
    if not find_soffice():
        raise MissingDependencyError("PDFの作成に必要なLibreOffice（soffice）", INSTALL_HINT)


def pdf_filter(document: Path) -> str:
    """The PDF export filter for the document's kind, with tagged PDF (structure for screen readers, PDF/UA)."""
    kind = "writer" if document.suffix.lower() in (".docx", ".odt", ".doc") else "calc"
    return f'pdf:{kind}_pdf_Export:{{"UseTaggedPDF":{{"type":"boolean","value":"true"}}}}'


def xlsx_to_pdf(xlsx: Path, out_dir: Path) -> Path:
    """Convert with a private LibreOffice profile, so parallel runs and an open LibreOffice never clash
    (also used for the report's .docx: the filter follows the file type)."""
    soffice = find_soffice()
    if not soffice:
        check()
    with tempfile.TemporaryDirectory(prefix="kpi-soffice-") as profile:
        cmd = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
               "--convert-to", pdf_filter(xlsx), "--outdir", str(out_dir), str(xlsx)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise KpiError(f"LibreOfficeによるPDF変換が{TIMEOUT}秒以内に終わりませんでした。"
                           "LibreOfficeを閉じてから、もう一度実行してください。") from e
        except OSError as e:
            raise MissingDependencyError("PDFの作成に必要なLibreOffice（soffice）", INSTALL_HINT) from e
    pdf = out_dir / (xlsx.stem + ".pdf")
    if proc.returncode != 0 or not pdf.exists():
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or [""]
        raise KpiError(f"LibreOfficeでPDFに変換できませんでした（終了コード {proc.returncode}）。{detail[0]}")
    set_language(pdf)
    return pdf


def set_language(pdf: Path, lang: bytes = b"ja-JP") -> None:
    """Declare the PDF Japanese (/Lang in the catalog), so screen readers use a Japanese voice.

    A .xlsx carries no document language, and LibreOffice writes its UI locale (en-US); switching the UI locale
    to Japanese instead makes LibreOffice 7.4 pick the bold face of BIZ UDPゴシック for all text.  The catalog's
    /Lang value is replaced in place by a value of the same length, so every byte offset of the file stays
    valid.  A .docx has its own language (ja-JP), which LibreOffice writes as is."""
    data = pdf.read_bytes()
    new = re.sub(rb"/Lang\((?:en-US|en-GB|x-none)\)", lambda m: b"/Lang(" + lang + b")"
                 if len(m.group(0)) == len(lang) + 7 else m.group(0), data, count=1)
    if new != data:
        pdf.write_bytes(new)


def export_pdf(ev: Evaluation, path: Path) -> Path:
    check()
    with tempfile.TemporaryDirectory(prefix="kpi-export-") as tmp:
        tmp = Path(tmp)
        xlsx = export_xlsx(ev, tmp / (path.stem + ".xlsx"))
        pdf = xlsx_to_pdf(xlsx, tmp)
        shutil.move(str(pdf), str(path))
    return path
