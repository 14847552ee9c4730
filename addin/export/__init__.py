"""Public report (公表用出力): the 【KPI達成状況】 as a workbook, PDF, web page and open-data CSV.

Every format is built new from the Evaluation's approved values (``public.public_report``); nothing is copied
from the internal workbook, so its comments, hidden sheets, internal columns and author never reach the public.

Formats are a registry (like tablib): ``FORMATS[name]`` holds the file suffix and one export function
``write(ev, path) -> path``; ``check`` raises MissingDependencyError naming what to install.

    from addin.export import export_all
    paths = export_all(evaluation_or_path, "公表用")       # {"xlsx": Path, "pdf": Path, "html": Path, "csv": Path}
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..core.evaluate import Evaluation
from ..errors import KpiError


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    label: str                                   # Japanese, for messages
    write: Callable[[Evaluation, Path], Path]
    check: Callable[[], None] = lambda: None     # raises MissingDependencyError when a program is missing


def _lazy(module: str, func: str):
    """Import the exporter on first use (LibreOffice and openpyxl are only needed by their formats)."""
    def call(*args):
        from importlib import import_module
        return getattr(import_module(f"{__name__}.{module}"), func)(*args)
    return call


FORMATS: dict[str, Format] = {
    "xlsx": Format("xlsx", ".xlsx", "公表用ブック（Excel）", _lazy("xlsx", "export_xlsx")),
    "pdf": Format("pdf", ".pdf", "PDF", _lazy("pdf", "export_pdf"), _lazy("pdf", "check")),
    "html": Format("html", ".html", "ウェブページ（HTML）", _lazy("web", "export_html")),
    "csv": Format("csv", ".csv", "オープンデータ（CSV）", _lazy("opendata", "export_csv")),
    # written with every CSV: what each column means (open data needs its data dictionary)
    "dictionary": Format("dictionary", "_項目定義.csv", "CSVの項目定義", _lazy("opendata", "export_dictionary")),
}
DEFAULT_FORMATS = ("xlsx", "pdf", "html", "csv")


def format_list(text: str | Iterable[str] | None, known, default: tuple[str, ...]) -> list[str]:
    """``"xlsx,pdf"`` or a list → format names among ``known``, in the order given, without repeats; ``default``
    when none is given; KpiError naming what is not known."""
    if text is None:
        return list(default)
    items = [x.strip().lower().lstrip(".") for x in (text.split(",") if isinstance(text, str) else text)]
    items = [x for x in items if x]
    unknown = [x for x in items if x not in known]
    if unknown or not items:
        raise KpiError(f"出力形式「{'、'.join(unknown) or '（空）'}」には対応していません。"
                       f"次から選んでください: {', '.join(default)}")
    return list(dict.fromkeys(items))


def output_folder(out_dir) -> Path:
    """The folder the public files go to, created when missing; KpiError when it is a file or cannot be made."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise KpiError(f"出力先「{out}」はフォルダーではなくファイルです。別のフォルダー名を指定してください。")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise KpiError(f"出力先のフォルダー「{out}」を作成できません（{e.strerror or type(e).__name__}）。") from e
    return out


def parse_formats(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """The public report's formats; the open-data CSV always comes with its data dictionary."""
    items = format_list(text, FORMATS, DEFAULT_FORMATS)
    if "csv" in items:
        items.append("dictionary")
    return tuple(dict.fromkeys(items))


def default_basename(ev: Evaluation, source: Path | None = None) -> str:
    """美祢市_KPI達成状況_R4: public facts only.  The internal workbook's name (``source``, kept in the signature
    for callers) never reaches the public: it may carry 内部, 案, a person's name or a version note."""
    from .report import public_basename
    return public_basename(ev.settings.municipality or "", "KPI達成状況", ev.settings.evaluation_year)


def export_all(source, out_dir, formats=DEFAULT_FORMATS, *, scheme: str | None = None,
               basename: str | None = None) -> dict[str, Path]:
    """Write the public report in each format into ``out_dir``; return {format name: written path}.

    ``source``: an ``Evaluation`` (the ribbon passes the one it has) or the path of a KPI workbook (evaluated
    read-only, with ``scheme`` when given).  ``formats``: names from FORMATS, or "xlsx,pdf".  Files are named
    ``<basename>.<suffix>`` (default ``<workbook name>_public_R4``) and replace older ones atomically; every
    missing program is reported (MissingDependencyError) before anything is written.
    """
    names = parse_formats(formats)
    if isinstance(source, Evaluation):
        ev, src = source, None
    else:
        from ..api import evaluate_file
        src = Path(source)
        ev = evaluate_file(src, scheme)
    for n in names:
        FORMATS[n].check()
    out = output_folder(out_dir)
    base = basename or default_basename(ev, src)
    written: dict[str, Path] = {}
    tmp = Path(tempfile.mkdtemp(prefix=".kpi-export-", dir=out))
    try:
        for n in names:
            fmt = FORMATS[n]
            target = out / f"{base}{fmt.suffix}"
            part = fmt.write(ev, tmp / target.name)
            try:
                os.replace(part, target)
            except OSError as e:
                raise KpiError(f"「{target}」に書き込めません。ファイルを開いている場合は閉じてから、"
                               f"もう一度実行してください（{e.strerror or type(e).__name__}）。") from e
            written[n] = target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


__all__ = ["FORMATS", "DEFAULT_FORMATS", "Format", "export_all", "parse_formats"]
