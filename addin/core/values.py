"""Parsing of what clerks type into KPI cells.

One parser for every entry (baseline, actuals, target): it turns each legitimate notation found in real
municipal sheets into a number with its fiscal year and flags, and reports what it cannot read instead of
guessing.  Nothing here changes the entry; the raw value is kept beside the reading.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from dataclasses import dataclass, field

# Kinds of entry
NUMBER = "number"          # a plain figure, possibly with year annotation
MISSING = "missing"        # blank or a missing marker (—, 未実施, 集計中, ...)
AT_LEAST = "at_least"      # 21事業以上: achieved when actual >= value
AT_MOST = "at_most"        # 5件以下: achieved when actual <= value
KEEP = "keep"              # 現状維持: achieved when not worse than the baseline
SUM_OVER = "sum_over"      # 5年間に50件: the yearly actuals summed over `years` years
DONE = "done"              # 実施: a qualitative entry (target or actual) meaning carried out
UNREADABLE = "unreadable"  # anything else: reported, never guessed

MISSING_MARKERS = frozenset({
    "-", "—", "―", "‐", "−", "ー", "─", "未実施", "未着手", "把握不能", "集計中", "未集計", "調査中", "なし", "無し",
    "N/A", "n/a", "NA", "該当なし",
})
# markers that say the project was not carried out (for qualitative KPIs and the ○△× scheme's ×)
NOT_DONE_MARKERS = frozenset({"未実施", "未着手"})
DONE_WORDS = frozenset({"実施", "実施済", "実施済み", "達成", "完了", "策定", "策定済", "策定済み", "設立", "設置"})
KEEP_WORDS = frozenset({"現状維持", "維持"})

MULTIPLIERS = {"千": 1_000, "万": 10_000, "億": 100_000_000, "兆": 1_000_000_000_000}

_ERA_BASE = {"H": 1988, "平成": 1988, "R": 2018, "令和": 2018, "S": 1925, "昭和": 1925}
_ERA = r"(?P<era>H|R|S|平成|令和|昭和)"
_YEAR_BODY = rf"(?:{_ERA}\s*(?P<n>元|\d{{1,2}})|(?P<ad>(?:19|20)\d\d))\s*(?:年度|年)?"
_YEAR_RE = re.compile(rf"^\s*{_YEAR_BODY}\s*$")
# a year annotation at the end of a value: 11(R1)  92.5 (H31)  79（令和4年度）
_ANNOT_RE = re.compile(rf"\(\s*{_YEAR_BODY}\s*\)\s*$")
_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_VALUE_RE = re.compile(
    rf"^(?P<neg>[▲△\-−])?\s*{_NUM}\s*(?P<mult>[千万億兆])?\s*(?P<suffix>[^\d\s]{{0,8}}?)\s*(?P<pct>%)?$")
_SUM_RE = re.compile(rf"^(?P<years>\d+)\s*(?:年間|か年|ヵ年|カ年|ヶ年)\s*(?:に|で|の合計)?\s*(?P<rest>.+)$")
_LIMIT_RE = re.compile(r"^(?P<rest>.+?)\s*(?P<cmp>以上|以下)$")


def fiscal_year(text: object) -> int | None:
    """Fiscal year of a year entry such as ``H30``, ``R1``, ``令和元年度``, ``2019``, ``2019年度``.

    H n = 1988 + n and R n = 2018 + n, so H31 and R1 are both 2019.  Returns None when not a year.
    """
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        if isinstance(text, float) and not text.is_integer():
            return None
        n = int(text)
        return n if 1900 <= n <= 2200 else None
    if not isinstance(text, str):
        return None
    m = _YEAR_RE.match(unicodedata.normalize("NFKC", text).upper().replace("Ｈ", "H"))
    return _year_from_match(m) if m else None


def _year_from_match(m: re.Match) -> int:
    if m.group("ad"):
        return int(m.group("ad"))
    n = 1 if m.group("n") == "元" else int(m.group("n"))
    return _ERA_BASE[m.group("era")] + n


def era_label(year: int | None) -> str:
    """Short era label used in Japanese reports: 2018 → H30, 2019 → R1, 2024 → R6."""
    if year is None:
        return ""
    if year >= 2019:
        return f"R{year - 2018}"
    if year >= 1989:
        return f"H{year - 1988}"
    return str(year)


def unit_scale(unit: str | None) -> tuple[float, str]:
    """Split a unit into its multiplier and base: 千人 → (1000, 人), 万人 → (10000, 人), 億円 → (1e8, 円)."""
    u = unicodedata.normalize("NFKC", unit or "").strip()
    if len(u) > 1 and u[0] in MULTIPLIERS:
        return float(MULTIPLIERS[u[0]]), u[1:]
    return 1.0, u


def is_percent_unit(unit: str | None) -> bool:
    u = unicodedata.normalize("NFKC", unit or "").strip()
    return u in ("%", "パーセント", "％") or u.endswith("%")


@dataclass(frozen=True)
class Entry:
    """One cell's entry as read: the raw value kept, plus what it means."""
    raw: object
    kind: str
    value: float | None = None
    year: int | None = None           # fiscal year written into the entry, e.g. 11(R1) → 2019
    years: int | None = None          # for SUM_OVER: the number of years summed
    marker: str | None = None         # the missing marker or word typed
    percent_sign: bool = False
    problem: str | None = None        # finding code when the entry is doubtful or unreadable
    detail: str = ""                  # what exactly, for the message
    flags: tuple = field(default_factory=tuple)

    @property
    def is_number(self) -> bool:
        return self.value is not None and self.kind in (NUMBER, AT_LEAST, AT_MOST, SUM_OVER)

    @property
    def is_blank(self) -> bool:
        return self.kind == MISSING and self.marker is None


def _unreadable(raw, problem: str, detail: str = "") -> Entry:
    return Entry(raw=raw, kind=UNREADABLE, problem=problem, detail=detail)


def parse_entry(raw: object, unit: str | None = None, *, percent_format: bool = False) -> Entry:
    """Read one entry.  ``unit`` is the KPI's unit (単位); ``percent_format`` says the cell is a number shown
    with a % number format (Excel stores 35% as 0.35).

    Never raises: whatever the cell holds, the answer is an Entry, UNREADABLE with a problem code when the
    entry cannot be read without guessing.
    """
    try:
        return _parse(raw, unit, percent_format)
    except Exception:  # a parser must not crash on any cell content
        return _unreadable(raw, "unreadable")


def _parse(raw, unit, percent_format) -> Entry:
    if raw is None:
        return Entry(raw=raw, kind=MISSING)
    if isinstance(raw, bool):
        return _unreadable(raw, "unreadable", "TRUE/FALSE")
    if isinstance(raw, (_dt.date, _dt.datetime, _dt.time, _dt.timedelta)):
        return _unreadable(raw, "date_value")
    if isinstance(raw, (int, float)):
        x = float(raw)
        if not math.isfinite(x):
            return _unreadable(raw, "unreadable")
        if abs(x) > 1e15:
            return _unreadable(raw, "too_large")
        if percent_format:
            return Entry(raw=raw, kind=NUMBER, value=_clean(x * 100), percent_sign=True)
        return Entry(raw=raw, kind=NUMBER, value=x)
    if not isinstance(raw, str):
        return _unreadable(raw, "unreadable")
    if raw.startswith("#") and raw.rstrip("!?/0ADEFILMNUV").startswith("#"):
        return _unreadable(raw, "excel_error")
    if raw.startswith("="):
        return _unreadable(raw, "formula")
    if len(raw) > 200:
        return _unreadable(raw, "unreadable", "長すぎる文字列")
    text = unicodedata.normalize("NFKC", raw).strip()
    text = re.sub(r"\s+", " ", text)
    if text == "":
        return Entry(raw=raw, kind=MISSING)
    if text in MISSING_MARKERS:
        return Entry(raw=raw, kind=MISSING, marker=text)
    if text in KEEP_WORDS:
        return Entry(raw=raw, kind=KEEP, marker=text)
    if text in DONE_WORDS:
        return Entry(raw=raw, kind=DONE, value=1.0, marker=text)

    year = None
    m = _ANNOT_RE.search(text.upper() if re.search(r"\([HRS]", text.upper()) else text)
    if m:
        year = _year_from_match(m)
        text = text[:m.start()].strip()
        if text in MISSING_MARKERS:
            return Entry(raw=raw, kind=MISSING, marker=text, year=year)

    years = None
    m = _SUM_RE.match(text)
    if m:
        years = int(m.group("years"))
        text = m.group("rest").strip()
    kind = SUM_OVER if years else NUMBER
    m = _LIMIT_RE.match(text)
    if m:
        text = m.group("rest").strip()
        if kind == NUMBER:
            kind = AT_LEAST if m.group("cmp") == "以上" else AT_MOST

    m = _VALUE_RE.match(text)
    if not m:
        return Entry(raw=raw, kind=UNREADABLE, year=year, problem="unreadable")
    num = float(m.group("num").replace(",", ""))
    if m.group("neg"):
        num = -num
    entered_mult = MULTIPLIERS.get(m.group("mult") or "", 1)
    suffix = m.group("suffix") or ""
    pct = bool(m.group("pct")) or suffix == "%"
    if suffix == "%":
        suffix = ""
    value = num
    problem = None
    detail = ""
    u_scale, u_base = unit_scale(unit)
    if suffix or entered_mult != 1:
        # the entry carries its own unit: convert to the KPI's unit where the base units agree
        if suffix and u_base and suffix != u_base and suffix != unicodedata.normalize("NFKC", unit or "").strip():
            if not (unit or "").strip():
                problem, detail = "unit_mismatch", suffix
            elif suffix.endswith(u_base) and suffix[:-len(u_base)] in MULTIPLIERS:
                entered_mult *= MULTIPLIERS[suffix[:-len(u_base)]]
            else:
                problem, detail = "unit_mismatch", suffix
        if problem is None:
            if suffix == (unit or "").strip() and u_scale != 1 and entered_mult == 1:
                value = num  # 24万人 typed where the unit is 万人: already in the unit
            else:
                value = num * entered_mult / u_scale
    if pct and unit is not None and unit.strip() and not is_percent_unit(unit):
        problem, detail = problem or "percent_not_unit", "%"
    return Entry(raw=raw, kind=kind, value=_clean(value), year=year, years=years, percent_sign=pct,
                 problem=problem, detail=detail)


def _clean(x: float) -> float:
    """Remove binary noise from a scaled decimal (0.35*100 = 35.00000000000001)."""
    r = round(x, 9)
    return r if math.isfinite(r) else x
