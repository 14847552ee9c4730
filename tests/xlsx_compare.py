"""Compare two .xlsx files part by part, in the manner of XlsxWriter's tests: every zip part's content must be
equal, except the parts named in ``ignore`` (e.g. timestamps in docProps/core.xml)."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

# what always differs between two saves: the save time
NORMALISE = {"docProps/core.xml": [(re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>"), b"")]}


def parts(path: Path) -> dict[str, bytes]:
    out = {}
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            data = z.read(n)
            for rx, repl in NORMALISE.get(n, ()):
                data = rx.sub(repl, data)
            out[n] = data
    return out


def diff_parts(a: Path, b: Path, ignore: tuple[str, ...] = ()) -> list[str]:
    pa, pb = parts(a), parts(b)
    problems = []
    for name in sorted(set(pa) | set(pb)):
        if name in ignore:
            continue
        if name not in pa or name not in pb:
            problems.append(f"part only in one file: {name}")
        elif pa[name] != pb[name]:
            problems.append(f"part differs: {name}")
    return problems


def sheet_values(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's values (formulas as written), for content comparisons."""
    from openpyxl import load_workbook
    wb = load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}
