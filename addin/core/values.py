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
- a source note beside the figure, kept in ``note``: ``30.0歳 (2017年人口動態調査)`` ``46.7% (2019年実施調査)``
  ``4,355人（2020年国勢調査人口）`` (the year read from the note), ``61.9%(アンケート調査)`` (no year).
- periods instead of years: ``456(H29~30年度)`` ``1.51 (平成26~30年期間合計…)``: ``year`` is the period's last fiscal
  year, ``period_start`` its first (``fiscal_span`` reads ``R3～R7`` ``H29~30年度`` in year columns).
- an era year with the Western year beside it: ``令和12（2030）年`` ``2026 (R8)`` (read when both agree).
- words around numbers: ``最低年1回`` (AT_LEAST, ``per_year``), ``年に1回`` ``年1組`` (``per_year``),
  ``5年間で延べ5事例`` ``延べ5事例`` (SUM_OVER, ``total``), ``計300枚`` ``全4校`` (``total``), ``1.73を維持`` (KEEP with
  the value to keep).
- multipliers against the unit column: ``2,249億円`` where the unit is 百万円 → 224,900.
- missing markers: blank, ``—`` ``－`` ``―`` ``-`` ``未実施`` ``未着手`` ``集計中`` ``把握不能`` ...
- targets in words: ``5年間に50件`` (SUM_OVER), ``21事業以上`` (AT_LEAST), ``5件以下`` (AT_MOST),
  ``現状維持`` (KEEP), ``実施`` (DONE).
What it cannot read it reports with a specific problem code (approximate_value for ``約120``, compound_value for
``平日 0.99 休日 0.97``, relative_target for ``全国平均に到達``, excel_error, date_value, ...); never a guess.
For those, ``Entry.suggestion`` says in Japanese what would be accepted instead (``「1回以上」「300枚」`` ...).
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace

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
KEEP_WORDS = frozenset({"現状維持", "維持", "現状を維持", "現状値を維持", "現状値維持", "現状値の維持", "現状の維持"})

MULTIPLIERS = {"百": 100, "千": 1_000, "万": 10_000, "億": 100_000_000, "兆": 1_000_000_000_000}

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

_ERA_ANY = r"(?:(?i:H|R|S)|平成|令和|昭和)"
_ONE_YEAR = rf"(?:{_ERA_ANY}\s*(?:元|\d{{1,2}})|(?:19|20)\d\d)"
# a period: R3～R7, H29~30年度, 平成26~30年, H28-R2, 2021～2025年度, 2021~25
_SPAN = (rf"(?P<a>{_ONE_YEAR})\s*(?:年度|年)?\s*[~〜\-–―]\s*(?P<b>{_ERA_ANY}?\s*(?:元|\d{{1,2}})|(?:19|20)\d\d)"
         rf"\s*(?:年度|年)?")
_SPAN_RE = re.compile(rf"^\s*{_SPAN}\s*$")
_ERA_AD_RE = re.compile(rf"(?P<e>{_ERA_ANY})\s*(?P<n>元|\d{{1,2}})\s*(?:年度|年)?\s*\(\s*(?P<ad>(?:19|20)\d\d)\s*"
                        rf"(?:年度|年)?\s*\)\s*(?P<suf>年度|年)?")
_AD_ERA_RE = re.compile(rf"(?P<ad>(?:19|20)\d\d)\s*(?:年度|年)?\s*\(\s*(?P<e>{_ERA_ANY})\s*(?P<n>元|\d{{1,2}})\s*"
                        rf"(?:年度|年)?\s*\)\s*(?P<suf>年度|年)?")
# a trailing note in brackets: (2017年人口動態調査), (平成26~30年期間合計 …), (アンケート調査)
_TRAILING_NOTE_RE = re.compile(rf"^(?P<rest>.*?\S)\s*{_OPEN}(?P<c>[^()\[\]【】〔〕〈〉<>]+){_CLOSE}$")
_NOTE_YEAR_FIRST = re.compile(rf"^(?:{_SPAN}|(?P<y>{_ONE_YEAR})\s*(?:年度|年)?)\s*(?:末|時点|現在)?\s*(?P<note>.*)$")
_NOTE_YEAR_LAST = re.compile(rf"^(?P<note>\D*?\D)\s*(?:{_SPAN}|(?P<y>{_ONE_YEAR})\s*(?:年度|年)?)\s*(?:末|時点|現在)?$")
_NOT_A_NOTE = ("見込", "推計", "概数", "概算", "約", "程度", "前後")
# words before a figure: 最低年1回, 年に1回, 延べ5事例, 計300枚, 全4校
_PREFIX_WORDS = (
    ("最低でも", "at_least"), ("最低", "at_least"), ("少なくとも", "at_least"),
    ("延べ", "sum"), ("のべ", "sum"), ("合計", "total"), ("総計", "total"), ("計", "total"), ("全", "total"),
    ("毎年度", "per_year"), ("毎年", "per_year"), ("年度に", "per_year"), ("年に", "per_year"), ("年間", "per_year"),
    ("年", "per_year"),
)
_FIGURE_START = tuple("0123456789▲△+-−‐‑–.")
_KEEP_SUFFIX_RE = re.compile(r"^(?P<rest>.+?)\s*(?:を|で|の)?\s*維持$")


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
    m = _YEAR_RE.match(_fold_western(unicodedata.normalize("NFKC", text), ad_first=True))
    return _year_from_match(m) if m else None


def fiscal_span(text: object) -> tuple[int, int] | None:
    """First and last fiscal year of a year entry or of a period: ``R4`` → (2022, 2022); ``R3～R7`` → (2021, 2025);
    ``H29~30年度`` → (2017, 2018); ``H28～R2`` → (2016, 2020); ``2021～2025年度``.  None when neither.

    Baseline and target year columns of other municipalities name periods (美郷町: 現状値 R3～R7 ▲90, the sum of
    five years); the period's last year stands for the entry and its first is kept.
    """
    y = fiscal_year(text)
    if y is not None:
        return y, y
    if not isinstance(text, str) or len(text) > 40:
        return None
    m = _SPAN_RE.match(_normalise(text))
    return _span_from_match(m) if m else None


def _span_from_match(m: re.Match) -> tuple[int, int] | None:
    start = fiscal_year(m.group("a"))
    b = m.group("b").strip()
    end = fiscal_year(b)
    if end is None and start is not None and re.fullmatch(r"元|\d{1,2}", b):
        a = m.group("a").strip()
        era = re.match(rf"^{_ERA_ANY}", a)
        if era:                                  # H29~30: the second year in the first one's era
            end = fiscal_year(era.group(0) + b)
        elif re.fullmatch(r"\d{4}", a):         # 2021~25
            end = start // 100 * 100 + int(b)
    if start is None or end is None or not (start <= end <= start + 30):
        return None
    return start, end


def _fold_western(text: str, ad_first: bool = False) -> str:
    """``令和12（2030）年`` → ``令和12年`` (and, for year cells and headers, ``2026 (R8)`` → ``2026``) when the two
    years agree; left as typed when they do not, so that the entry is reported rather than guessed."""
    def era_ad(m):
        y = fiscal_year(m.group("e") + m.group("n"))
        return f"{m.group('e')}{m.group('n')}{m.group('suf') or ''}" if y == int(m.group("ad")) else m.group(0)

    def ad_era(m):
        y = fiscal_year(m.group("e") + m.group("n"))
        return f"{m.group('ad')}{m.group('suf') or ''}" if y == int(m.group("ad")) else m.group(0)

    text = _ERA_AD_RE.sub(era_ad, text)
    return _AD_ERA_RE.sub(ad_era, text) if ad_first else text


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
    # --- added for entries as other municipalities print them (issue 9); all optional, defaults keep old behaviour
    note: str = ""                    # a source note beside the figure (NFKC): 2017年人口動態調査 (its year in ``year``)
    period_start: int | None = None   # first fiscal year of a period (H29~30年度 → 2017; ``year`` is the last, 2018)
    per_year: bool = False            # 年に1回, 最低年1回, 年1組: a figure per year (compare each year's actual)
    total: bool = False               # 延べ, 計, 全: a total typed as such (延べ with years: SUM_OVER over the period)
    sign: str = ""                    # the sign typed (▲ △ - + …): a deliberate negative such as -0.35% or ▲90
    suggestion: str = ""              # for UNREADABLE entries: what would be accepted instead, in Japanese

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
    unit = unit if isinstance(unit, str) else None
    try:
        e = _parse(raw, unit, bool(percent_format))
    except Exception:  # a parser must not crash on any cell content
        e = _unreadable(raw, "unreadable")
    if e.kind == UNREADABLE and not e.suggestion:
        try:
            e = replace(e, suggestion=suggest(raw, unit, e.problem))
        except Exception:
            pass
    return e


def suggest(raw: object, unit: str | None = None, problem: str | None = None) -> str:
    """What would be accepted instead of an entry that cannot be read, in Japanese, built from the figures in it:
    ``年1回程度`` → 「1回」「1回以上」; ``平日 0.99 休日 0.97`` → one figure per cell; words only → the notations read."""
    unit_text = unicodedata.normalize("NFKC", unit or "").strip()
    if not isinstance(raw, str):
        return ""
    text = _normalise(raw) if raw.strip() else ""
    nums = _NUMBER_GROUP.findall(text)
    u = unit_text if unit_text and not unit_text.startswith(tuple(MULTIPLIERS)) else ""
    if problem in ("unit_mismatch_error", "too_large", "excel_error", "formula_no_value", "date_value"):
        return ""
    if problem == "compound_value" and nums:
        return (f"1つのセルには評価に使う1つの値だけを入力してください（例: 「{nums[0]}{u}」）。内訳は備考に書くか、"
                "指標を行に分けてください。")
    if problem == "relative_target":
        return "比べる先の数値を入力してください（例: 「1.8」「50.0%」「現状維持」「1.73を維持」）。"
    if len(nums) == 1:
        n = nums[0]
        if not u:
            m = re.search(re.escape(n) + r"\s*((?:(?![程前後超強弱余以約])[\u4e00-\u9fff\u30a0-\u30ffA-Za-z]){1,3})",
                          text)
            u = m.group(1) if m else ""
        if "%" in text and not u:
            u = "%"
        forms = [f"「{n}{u}」", f"「{n}{u}以上」"]
        if "年" in text:
            forms += [f"「最低年{n}{u}」", f"「年に{n}{u}」"]
        tail = "確定していなければ「集計中」と入力してください。" if problem == "approximate_value" else ""
        return f"{'・'.join(forms)}のように書くと読み取れます。{tail}"
    return ("「300枚」「1回以上」「最低年1回」「5年間に50件」「現状維持」「1.73を維持」「実施」「—」のように"
            "書くと読み取れます。")


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

    # a year of its own, at either end; or a note in brackets with or without a year or period
    text = _fold_western(text)
    year, period_start, note = None, None, ""
    for rx in _ANNOT_PATTERNS:
        m = rx.match(text)
        if m and m.group("rest").strip():
            year = _year_from_match(m)
            text = m.group("rest").strip()
            break
    else:
        noted = _trailing_note(text)
        if noted is not None:
            text, year, period_start, note = noted
    extra = {"note": note, "period_start": period_start}
    word = _word(raw, text, year)
    if word is not None:
        return replace(word, **extra)

    years = None
    m = _SUM_RE.match(text)
    if m:
        years = int(m.group("years"))
        text = m.group("rest").strip()
    text, how = _strip_prefix_words(text)
    kind = SUM_OVER if years or "sum" in how else NUMBER
    keep = False
    m = _KEEP_SUFFIX_RE.match(text)
    if m and m.group("rest").strip()[:1] in _FIGURE_START:
        keep, text = True, m.group("rest").strip()        # 1.73を維持: keep, with the value to keep
    m = _LIMIT_RE.match(text)
    if m:
        text = m.group("rest").strip()
        if kind == NUMBER:
            kind = AT_LEAST if m.group("cmp") == "以上" else AT_MOST
    elif keep and kind == NUMBER:
        kind = KEEP
    if "at_least" in how and kind == NUMBER:
        kind = AT_LEAST
    extra.update(per_year="per_year" in how, total=bool({"sum", "total"} & how))
    m = _VALUE_RE.match(text)
    if not m:
        return replace(_unreadable(raw, _why_unreadable(text), year=year), **extra)
    suffix = m.group("suffix") or ""
    if suffix.startswith(_APPROX_SUFFIX) or suffix.endswith(_APPROX_SUFFIX):
        return replace(_unreadable(raw, "approximate_value", year=year), **extra)
    num = float(m.group("num").replace(",", ""))
    if abs(num) > 1e15:
        return _unreadable(raw, "too_large", year=year)
    extra["sign"] = m.group("sign") or ""
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
                     detail=detail, **extra)
    if abs(value) > 1e15:
        return _unreadable(raw, "too_large", year=year)
    return Entry(raw=raw, kind=kind, value=_clean(value), year=year, years=years, percent_sign=pct,
                 problem=problem, detail=detail, **extra)


def _trailing_note(text: str) -> tuple[str, int | None, int | None, str] | None:
    """A source note in brackets after the figure: (rest, year, period_start, note) or None.

    ``30.0歳 (2017年人口動態調査)`` → ("30.0歳", 2017, None, "2017年人口動態調査");
    ``1.51 (平成26~30年期間合計 特殊出生率最大値)`` → ("1.51", 2018, 2014, …); ``456(H29~30年度)`` → period only;
    ``61.9%(アンケート調査)`` → a note without a year.  Words of an estimate (見込み, 推計, 約 …) are not a note:
    such an entry stays an approximate value.
    """
    m = _TRAILING_NOTE_RE.match(text)
    if not m:
        return None
    rest, c = m.group("rest").strip(), m.group("c").strip()
    if not c or any(w in c for w in _NOT_A_NOTE):
        return None
    for rx in (_NOTE_YEAR_FIRST, _NOTE_YEAR_LAST):
        n = rx.match(c)
        if not n:
            continue
        if n.group("a"):
            span = _span_from_match(n)
            if span is None:
                continue
            return rest, span[1], span[0], c
        y = fiscal_year(n.group("y"))
        if y is not None:
            return rest, y, None, c
    if not re.search(r"\d", c):
        return rest, None, None, c
    return None


def _strip_prefix_words(text: str) -> tuple[str, set]:
    """Words before a figure (最低, 年に, 延べ, 計, 全): the figure and what the words say."""
    how: set = set()
    for _ in range(3):
        for word, meaning in _PREFIX_WORDS:
            if text.startswith(word):
                cand = text[len(word):].lstrip()
                if cand.startswith(_FIGURE_START) or any(cand.startswith(w) for w, _ in _PREFIX_WORDS):
                    how.add(meaning)
                    text = cand
                    break
        else:
            break
    return text, how


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
