"""Parsing of what clerks type into KPI cells.

One parser for every entry (baseline, actuals, target): it turns each legitimate notation found in real
municipal sheets into a number with its fiscal year and flags, and reports what it cannot read instead of
guessing.  Nothing here changes the entry; the raw value is kept beside the reading.

Notations read (../shared/DOMAIN.md, "What entries look like in real sheets"):
- figures: ``279,072`` ``２`` (full width, NFKC) ``42.2`` ``66.5%`` ``+5``; negatives ``▲90`` ``△1,305`` ``-0.35%``
  ``−5``; a trailing footnote mark ``189※`` is ignored.
- a year of its own, in parentheses or brackets at either end or bare at either end: ``11(R1)`` ``92.5 (H31)``
  ``11（令和元年）`` ``11(2019年度)`` ``【R1】11`` ``H31 92.5`` ``92.5 H31`` ``R1:11`` ``2019年度 11``
  (a bare 西暦 needs 年/年度: ``11 2019`` is two numbers).  H31 = R1 = fiscal 2019; H32 (written in plans
  made before the era changed) = R2 = 2020.
- unit multipliers: ``24万人`` ``139.8万人`` ``2,249億円`` converted to the KPI's unit when the base units agree.
- missing markers: blank, ``—`` ``－`` ``―`` ``-`` ``未実施`` ``未着手`` ``集計中`` ``把握不能`` ...
- targets in words: ``5年間に50件`` (SUM_OVER), ``21事業以上`` (AT_LEAST), ``5件以下`` (AT_MOST),
  ``現状維持`` (KEEP), ``実施`` (DONE).
What it cannot read it reports with a specific problem code (approximate_value for ``約120``, compound_value for
``平日 0.99 休日 0.97``, relative_target for ``全国平均に到達``, excel_error, date_value, ...); never a guess.
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

# Problem codes the parser may set on an Entry; each is a code of the findings catalogue.
PROBLEM_CODES = frozenset({
    "unreadable", "approximate_value", "compound_value", "relative_target", "excel_error", "formula_no_value",
    "date_value", "too_large", "unit_mismatch", "unit_mismatch_error", "unit_converted", "percent_not_unit",
})

MISSING_MARKERS = frozenset({
    "-", "—", "―", "‐", "−", "ー", "─", "–", "未実施", "未着手", "把握不能", "集計中", "未集計", "調査中", "なし",
    "無し", "N/A", "n/a", "NA", "該当なし", "不明", "未確定", "未公表", "非公表", "算出不能", "算定不能", "*", "…",
})
# markers that say the project was not carried out (for qualitative KPIs and the ○△× scheme's ×)
NOT_DONE_MARKERS = frozenset({"未実施", "未着手"})
DONE_WORDS = frozenset({"実施", "実施済", "実施済み", "達成", "完了", "策定", "策定済", "策定済み", "設立", "設置"})
KEEP_WORDS = frozenset({"現状維持", "維持"})

MULTIPLIERS = {"千": 1_000, "万": 10_000, "億": 100_000_000, "兆": 1_000_000_000_000}

# Excel's error values, as openpyxl reads them from a cell of type "e"
EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!",
    "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#EXTERNAL!", "#PYTHON!",
})

_ERA_BASE = {"H": 1988, "平成": 1988, "R": 2018, "令和": 2018, "S": 1925, "昭和": 1925}
_ERA = r"(?P<era>(?i:H|R|S)|平成|令和|昭和)"
_ERA_YEAR = rf"{_ERA}\s*(?P<n>元|\d{{1,2}})\s*(?:年度|年)?"
_AD_YEAR = r"(?P<ad>(?:19|20)\d\d)"
# a year entry (baseline/target year columns, settings): era or 西暦, 年/年度 optional
_YEAR_RE = re.compile(rf"^\s*(?:FY\s*)?(?:{_ERA_YEAR}|{_AD_YEAR}\s*(?:年度|年)?)\s*$", re.IGNORECASE)
# a year written into a value: in brackets 西暦 may stand alone; bare, it needs 年/年度
_YEAR_IN_BRACKETS = rf"(?:{_ERA_YEAR}|{_AD_YEAR}\s*(?:年度|年)?)\s*(?:末|時点|現在|実績値?)?"
_YEAR_BARE = rf"(?:{_ERA_YEAR}|{_AD_YEAR}\s*(?:年度|年))"
_OPEN, _CLOSE = r"[(\[【〔〈<]", r"[)\]】〕〉>]"
_ANNOT_PATTERNS = (
    re.compile(rf"^(?P<rest>.*?)\s*{_OPEN}\s*{_YEAR_IN_BRACKETS}\s*{_CLOSE}$"),           # 11(R1)
    re.compile(rf"^{_OPEN}\s*{_YEAR_IN_BRACKETS}\s*{_CLOSE}\s*[:、,]?\s*(?P<rest>.*)$"),  # 【R1】11
    re.compile(rf"^(?P<rest>.*?[\d%万千億兆\w])\s*{_YEAR_BARE}$"),                         # 92.5 H31
    re.compile(rf"^{_YEAR_BARE}\s*[:、,]?\s*(?P<rest>[\d▲△+\-−‐‑–.].*)$"),                # H31 92.5, R1:11
)
_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)"
_VALUE_RE = re.compile(
    rf"^(?P<sign>[▲△\-−‐‑–+])?\s*{_NUM}\s*(?P<mult>[千万億兆])?\s*(?P<suffix>(?:[^\d\s%]{{1,8}}?[23]?)?)\s*(?P<pct>%)?$")
_SUM_RE = re.compile(rf"^(?P<years>\d+)\s*(?:年間|か年|ヵ年|カ年|ヶ年|ケ年)\s*(?:に|で|の合計|合計|累計)?\s*(?P<rest>.+)$")
_LIMIT_RE = re.compile(r"^(?P<rest>.+?)\s*(?P<cmp>以上|以下)$")
_APPROX_PREFIX = ("約", "概ね", "おおむね", "およそ", "ほぼ", "推計", "見込", "概算")
_APPROX_SUFFIX = ("程度", "前後", "超", "強", "弱", "余り", "余", "くらい", "ぐらい", "ほど", "見込み", "見込", "(見込)",
                  "(見込み)", "(推計)", "(概数)")
_RELATIVE_WORDS = ("平均", "前年", "基準値", "現状", "増加", "減少", "向上", "上回", "下回", "以上を維持", "水準")
_NUMBER_GROUP = re.compile(r"\d[\d,]*(?:\.\d+)?")


def fiscal_year(text: object) -> int | None:
    """Fiscal year of a year entry such as ``H30``, ``R1``, ``令和元年度``, ``2019``, ``2019年度``.

    H n = 1988 + n and R n = 2018 + n, so H31 and R1 are both 2019.  Returns None when not a year.
    """
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        if isinstance(text, float) and not (math.isfinite(text) and text.is_integer()):
            return None
        n = int(text)
        return n if 1900 <= n <= 2200 else None
    if not isinstance(text, str) or len(text) > 40:
        return None
    m = _YEAR_RE.match(unicodedata.normalize("NFKC", text))
    return _year_from_match(m) if m else None


def _year_from_match(m: re.Match) -> int:
    if m.group("ad"):
        return int(m.group("ad"))
    n = 1 if m.group("n") == "元" else int(m.group("n"))
    era = m.group("era")
    return _ERA_BASE[era.upper() if era.isascii() else era] + n


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
    scale = 1.0
    while len(u) > 1 and u[0] in MULTIPLIERS:
        scale *= MULTIPLIERS[u[0]]
        u = u[1:]
    return scale, u


def is_percent_unit(unit: str | None) -> bool:
    u = unicodedata.normalize("NFKC", unit or "").strip()
    return u in ("%", "パーセント") or u.endswith("%")


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
    detail: str = ""                  # what exactly, for the message (e.g. the unit typed)
    flags: tuple = field(default_factory=tuple)

    @property
    def is_number(self) -> bool:
        return self.value is not None and self.kind in (NUMBER, AT_LEAST, AT_MOST, SUM_OVER)

    @property
    def is_blank(self) -> bool:
        return self.kind == MISSING and self.marker is None


def _unreadable(raw, problem: str, detail: str = "", year: int | None = None) -> Entry:
    return Entry(raw=raw, kind=UNREADABLE, problem=problem, detail=detail, year=year)


def parse_entry(raw: object, unit: str | None = None, percent_format: bool = False) -> Entry:
    """Read one entry.  ``unit`` is the KPI's unit (単位); ``percent_format`` says the cell is a number shown
    with a % number format (Excel stores 35% as 0.35).

    Never raises: whatever the cell holds, the answer is an Entry, UNREADABLE with a problem code when the
    entry cannot be read without guessing.
    """
    try:
        return _parse(raw, unit if isinstance(unit, str) else None, bool(percent_format))
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
        try:
            x = float(raw)
        except OverflowError:
            return _unreadable(raw, "too_large")
        if not math.isfinite(x):
            return _unreadable(raw, "unreadable")
        if abs(x) > 1e15:
            return _unreadable(raw, "too_large")
        if percent_format:
            return Entry(raw=raw, kind=NUMBER, value=_clean(x * 100), percent_sign=True)
        return Entry(raw=raw, kind=NUMBER, value=_clean(x))
    if not isinstance(raw, str):
        return _unreadable(raw, "unreadable")
    if raw.strip().upper() in EXCEL_ERRORS:
        return _unreadable(raw, "excel_error")
    if raw.startswith("="):
        return _unreadable(raw, "formula_no_value")
    if len(raw) > 200:
        return _unreadable(raw, "unreadable", "長すぎる文字列")
    text = _normalise(raw)
    if text[-1:] in ("※", "*") and len(text) > 1:
        text = text[:-1].rstrip()  # a footnote mark: the note itself is in 備考
    if text == "":
        return Entry(raw=raw, kind=MISSING)
    word = _word(raw, text, None)
    if word is not None:
        return word

    # a year of its own, at either end
    year = None
    for rx in _ANNOT_PATTERNS:
        m = rx.match(text)
        if m and m.group("rest").strip():
            year = _year_from_match(m)
            text = m.group("rest").strip()
            break
    word = _word(raw, text, year)
    if word is not None:
        return word

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
        return _unreadable(raw, _why_unreadable(text), year=year)
    suffix = m.group("suffix") or ""
    if suffix.startswith(_APPROX_SUFFIX) or suffix.endswith(_APPROX_SUFFIX):
        return _unreadable(raw, "approximate_value", year=year)
    num = float(m.group("num").replace(",", ""))
    if abs(num) > 1e15:
        return _unreadable(raw, "too_large", year=year)
    if m.group("sign") and m.group("sign") != "+":
        num = -num
    pct = bool(m.group("pct"))
    if suffix in ("パーセント", "％"):
        suffix, pct = "", True
    value, problem, detail = _convert(num, m.group("mult"), suffix, unit)
    if pct and unit is not None and unit.strip() and not is_percent_unit(unit) and problem is None:
        problem, detail = "percent_not_unit", "%"
    if value is None:
        return Entry(raw=raw, kind=UNREADABLE, year=year, years=years, percent_sign=pct, problem=problem,
                     detail=detail)
    if abs(value) > 1e15:
        return _unreadable(raw, "too_large", year=year)
    return Entry(raw=raw, kind=kind, value=_clean(value), year=year, years=years, percent_sign=pct,
                 problem=problem, detail=detail)


def _normalise(raw: str) -> str:
    """NFKC (全角 → 半角, （ → (, ％ → %), blanks collapsed."""
    text = unicodedata.normalize("NFKC", raw).strip()
    return re.sub(r"\s+", " ", text)


def _word(raw, text: str, year: int | None) -> Entry | None:
    """Missing markers and words (現状維持, 実施) — alone or with a year of their own."""
    if text in MISSING_MARKERS or (text and set(text) <= set("-—―‐−ー─–")):
        return Entry(raw=raw, kind=MISSING, marker=text, year=year)
    if text in KEEP_WORDS:
        return Entry(raw=raw, kind=KEEP, marker=text, year=year)
    if text in DONE_WORDS:
        return Entry(raw=raw, kind=DONE, value=1.0, marker=text, year=year)
    return None


def _why_unreadable(text: str) -> str:
    """The most specific reason a text is not one figure: compound, approximate, relative, or unreadable."""
    groups = _NUMBER_GROUP.findall(text)
    if (len(groups) >= 2 and not re.fullmatch(r"[\d.,eE+\-]+", text)) or (groups and (":" in text or "/" in text)):
        return "compound_value"
    if groups and (text.startswith(_APPROX_PREFIX) or text.endswith(_APPROX_SUFFIX) or "~" in text
                   or "〜" in text or "±" in text):
        return "approximate_value"
    if any(w in text for w in _RELATIVE_WORDS):
        return "relative_target"
    return "unreadable"


def _convert(num: float, mult: str | None, suffix: str, unit: str | None) -> tuple[float | None, str | None, str]:
    """The typed figure in the KPI's unit: (value, problem, detail).

    Conversions between multiples of the same base unit are exact and legitimate notation (``24万人`` where the
    unit is 人 → 240,000; ``2,249億円`` where it is 千円 → 224,900,000).  A figure written in a smaller unit than
    the KPI's (``24人`` where the unit is 万人) is converted too, but reported (unit_converted): more often than
    not the clerk meant 24万人.  A different base unit with a multiplier cannot be converted (unit_mismatch_error,
    no value); a different counter without one (``5件`` for 人) is read as typed and reported (unit_mismatch).
    """
    entered = float(MULTIPLIERS.get(mult or "", 1))
    while len(suffix) > 1 and suffix[0] in MULTIPLIERS:
        entered *= MULTIPLIERS[suffix[0]]
        suffix = suffix[1:]
    if suffix in MULTIPLIERS:                    # 24億 with nothing after
        entered *= MULTIPLIERS[suffix]
        suffix = ""
    u_text = unicodedata.normalize("NFKC", unit or "").strip()
    u_scale, u_base = unit_scale(unit)
    if not u_text:
        return num * entered, None, ""           # no unit to compare with: absolute figure
    same_base = not suffix or suffix == u_text or suffix.rstrip("等") == u_base.rstrip("等")  # 社 for 社等
    if is_percent_unit(unit) and suffix and suffix not in ("%",):
        same_base = False
    if not same_base:
        if entered != 1 or u_scale != 1:
            return None, "unit_mismatch_error", suffix
        return num, "unit_mismatch", suffix
    if entered == 1 and not suffix:
        return num, None, ""                     # a plain figure is in the KPI's unit
    value = num * entered / u_scale
    if entered < u_scale:
        return value, "unit_converted", (mult or "") + suffix
    return value, None, ""


def _clean(x: float) -> float:
    """Remove binary noise from a scaled decimal (0.35*100 = 35.00000000000001); keeps figures finite and
    away from denormal magnitudes that would blow up a ratio."""
    r = round(x, 9)
    return r if math.isfinite(r) else x
