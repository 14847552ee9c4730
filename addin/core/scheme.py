"""Status schemes as data: ordered classes (the columns of the tally) and ordered rules (first match wins).

A scheme is a plain dict, the shape schema/scheme.schema.json describes, so a municipality can write its own
in JSON.  The presets four-class and three-mark are such files (addin/schemes/*.json); letter is made from the
thresholds of the settings sheet.  Thresholds in scheme data are percents (80 = 80%), as clerks write them;
a ``Scheme`` compares exact progress fractions.

The checks JSON Schema cannot express (a rule's ``then`` among the classes, thresholds in order, unreachable
rules) live here as ``scheme_problems`` so that every way of building a scheme goes through them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

EPS = 1e-9  # comparisons are made on exact progress, with a guard against binary noise only
# the tally column of KPIs that could not be evaluated at all (an input error, a direction to be stated): every KPI
# of the sheet is counted, in its class or here
UNRATED = "評価対象外"
UNRATED_COLOR = "D9D9D9"

PRESET_DIR = Path(__file__).resolve().parents[1] / "schemes"
THRESHOLD_CONDITIONS = ("progress_at_least", "progress_below")


def _load_preset(name: str) -> dict:
    with open(PRESET_DIR / f"{name}.json", encoding="utf-8") as f:
        data = json.load(f)
    data.pop("$schema", None)
    return data


FOUR_CLASS = _load_preset("four-class")   # Mine City's 目標達成 / 改善↑ / － / 未達成↓
THREE_MARK = _load_preset("three-mark")   # ○ ≥ 80% / △ / × not measurable or not carried out

DEFAULT_LETTER_THRESHOLDS = (1.0, 0.8, 0.5)


def _pct(x: float) -> float:
    """A fraction as a percent without binary noise: 1.1 → 110 (not 110.00000000000001)."""
    p = round(x * 100, 6)
    return int(p) if float(p).is_integer() else p


def letter_scheme(thresholds=DEFAULT_LETTER_THRESHOLDS) -> dict:
    """A/B/C/D with thresholds set by the municipality (fractions, descending: 1.1, 0.8, 0.5)."""
    a, b, c = (_pct(x) for x in thresholds)
    return {
        "name": "letter",
        "title": f"A～D（A {a}%以上・B {b}%以上・C {c}%以上・D それ未満）",
        "classes": [
            {"label": "A", "color": "C6EFCE", "description": f"{a}%以上"},
            {"label": "B", "color": "DDEBF7", "description": f"{b}%以上{a}%未満"},
            {"label": "C", "color": "FFF2CC", "description": f"{c}%以上{b}%未満"},
            {"label": "D", "color": "FCE4D6", "description": f"{c}%未満"},
            {"label": "－", "color": "EDEDED", "description": "算定不能"},
        ],
        "rules": [
            {"if": "not_measurable", "then": "－"},
            {"if": "progress_undefined", "then": "－"},
            {"if": "progress_at_least", "value": a, "then": "A"},
            {"if": "progress_at_least", "value": b, "then": "B"},
            {"if": "progress_at_least", "value": c, "then": "C"},
            {"if": "always", "then": "D"},
        ],
    }


PRESETS = {"four-class": FOUR_CLASS, "three-mark": THREE_MARK, "letter": letter_scheme()}


@dataclass(frozen=True)
class Facts:
    """What a rule can test about one KPI's evaluation."""
    progress: float | None
    achieved: bool              # target reached (progress >= 100%, 以上 met, 現状維持 kept, 実施 done)
    measurable: bool            # an actual value exists
    has_baseline: bool
    versus_baseline: str | None  # "better" / "same" / "worse" / None
    carried_out: bool = True    # False when the actual says 未実施 / 未着手


CONDITIONS = {
    "always": lambda f, v: True,
    "achieved": lambda f, v: f.achieved,
    "not_achieved": lambda f, v: not f.achieved,
    "not_measurable": lambda f, v: not f.measurable,
    "not_carried_out": lambda f, v: not f.carried_out,
    "progress_undefined": lambda f, v: f.progress is None,
    "no_baseline": lambda f, v: not f.has_baseline,
    "same_as_baseline": lambda f, v: f.versus_baseline == "same",
    "better_than_baseline": lambda f, v: f.versus_baseline == "better",
    "worse_than_baseline": lambda f, v: f.versus_baseline == "worse",
    # v is a fraction here (the scheme data's percent / 100)
    "progress_at_least": lambda f, v: f.progress is not None and f.progress >= v - EPS,
    "progress_below": lambda f, v: f.progress is not None and f.progress < v - EPS,
}

# for `kpi schemes` and the documentation of the format
CONDITION_TITLES = {
    "always": "常に（最後の規則に使う）",
    "achieved": "目標を達成（進捗率100%以上、以上・現状維持・実施の目標を満たす）",
    "not_achieved": "目標を未達成",
    "not_measurable": "実績値がない・読み取れない",
    "not_carried_out": "実績が「未実施」「未着手」",
    "progress_undefined": "進捗率を算定できない",
    "no_baseline": "基準値がない",
    "same_as_baseline": "実績が基準値と同じ",
    "better_than_baseline": "実績が基準値より改善（KPIの方向で）",
    "worse_than_baseline": "実績が基準値より悪化（KPIの方向で）",
    "progress_at_least": "進捗率が value %以上",
    "progress_below": "進捗率が value %未満",
}


def scheme_problems(data: dict) -> list[tuple[str, str]]:
    """What is wrong with a scheme beyond its JSON shape, as (path, Japanese message); [] when sound.

    Paths are relative to the scheme (``classes/2/label``, ``rules/4/value``).  Assumes the shape itself
    was checked (schema/scheme.schema.json); tolerates a wrong shape without raising.
    """
    out: list[tuple[str, str]] = []
    classes = data.get("classes") if isinstance(data.get("classes"), list) else []
    rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    labels: list[str] = []
    for i, c in enumerate(classes):
        label = c.get("label") if isinstance(c, dict) else None
        if not isinstance(label, str) or not label.strip():
            out.append((f"classes/{i}/label", "区分の名前（label）がありません。"))
            continue
        if label in labels:
            out.append((f"classes/{i}/label", f"区分「{label}」が classes/{labels.index(label)} と重複しています。"))
        labels.append(label)
    seen_conditions: dict[str, int] = {}
    last_value: dict[str, tuple[int, float]] = {}
    after_always = None
    for i, r in enumerate(rules):
        if not isinstance(r, dict):
            continue
        cond, then, value = r.get("if"), r.get("then"), r.get("value")
        if after_always is not None:
            out.append((f"rules/{i}", f"rules/{after_always} の「always」（常に）より後の規則は使われません。"
                                      "always は最後の規則にしてください。"))
        if cond == "always" and after_always is None:
            after_always = i
        if isinstance(then, str) and labels and then not in labels:
            out.append((f"rules/{i}/then", f"「{then}」は区分（classes）にありません。"
                                           f"{' / '.join(labels)} のいずれかにしてください。"))
        if cond in THRESHOLD_CONDITIONS and isinstance(value, (int, float)) and not isinstance(value, bool):
            prev = last_value.get(cond)
            if prev is not None:
                j, pv = prev
                if abs(value - pv) < EPS:
                    out.append((f"rules/{i}/value", f"閾値 {value:g}% が rules/{j} と重複しています。"))
                elif cond == "progress_at_least" and value > pv:
                    out.append((f"rules/{i}/value", f"閾値 {value:g}% が前の規則 rules/{j} の {pv:g}% より大きいため、"
                                                    "この規則に当てはまることはありません。閾値は大きい順に並べてください。"))
                elif cond == "progress_below" and value < pv:
                    out.append((f"rules/{i}/value", f"閾値 {value:g}% が前の規則 rules/{j} の {pv:g}% より小さいため、"
                                                    "この規則に当てはまることはありません。閾値は小さい順に並べてください。"))
            last_value[cond] = (i, value)
        elif isinstance(cond, str) and cond not in THRESHOLD_CONDITIONS:
            if cond in seen_conditions:
                out.append((f"rules/{i}/if", f"条件「{cond}」は rules/{seen_conditions[cond]} と重複しており、"
                                             "この規則に当てはまることはありません。"))
            else:
                seen_conditions[cond] = i
    return out


def threshold_problems(values, count: int | None = None, what: str = "閾値") -> list[tuple[int | None, str]]:
    """Problems of a threshold list (percents, strictly descending, positive), as (index or None, message)."""
    out: list[tuple[int | None, str]] = []
    vals = list(values)
    if count is not None and len(vals) != count:
        out.append((None, f"{what}は{count}つの数値（%）をカンマ区切りで指定してください（{len(vals)}つあります）。"))
        return out
    for i, v in enumerate(vals):
        if v <= 0:
            out.append((i, f"{what}の {i + 1}番目 {v:g}% は0より大きくしてください。"))
        if i and abs(v - vals[i - 1]) < EPS:
            out.append((i, f"{what}の {i + 1}番目 {v:g}% が {i}番目と同じで、区分が重なっています。"))
        elif i and v > vals[i - 1]:
            out.append((i, f"{what}の {i + 1}番目 {v:g}% が {i}番目の {vals[i - 1]:g}% より大きく、順序が逆です。"
                           "大きい順に並べてください（例: 100,80,50）。"))
    return out


class Scheme:
    """A status scheme ready to classify Facts.  ``data`` is the scheme as written (thresholds in %)."""

    def __init__(self, data: dict):
        self.data = data
        self.name = data.get("name", "custom")
        self.title = data.get("title", self.name)
        self.classes = [c["label"] for c in data["classes"]]
        self.colors = {UNRATED: UNRATED_COLOR} | {c["label"]: c.get("color", "FFFFFF") for c in data["classes"]}
        self.descriptions = {c["label"]: c.get("description", "") for c in data["classes"]}
        self.rules = [(r["if"], r["value"] / 100 if r.get("value") is not None else None, r["then"])
                      for r in data["rules"]]

    @property
    def top(self) -> str:
        """The best class: classes are listed best first."""
        return self.classes[0]

    def _threshold_above_100(self) -> bool:
        return any(cond == "progress_at_least" and then == self.top and value is not None and value > 1 + EPS
                   for cond, value, then in self.rules)

    @property
    def improvement_classes(self) -> set[str]:
        """Classes that say "better than the baseline" (the ``then`` of a better_than_baseline rule)."""
        return {then for cond, _, then in self.rules if cond == "better_than_baseline"}

    def classify(self, facts: Facts) -> str:
        """The first matching rule's class, under two invariants that hold whatever the scheme's rules say
        (DOMAIN "Sign and direction"): a KPI that reached its target is in the top class; a KPI that ended
        worse than its baseline without reaching its target is neither in the top class nor an improvement."""
        barred: set[str] = set()
        if facts.achieved and facts.measurable:
            # reaching the target counts as a progress of at least 100%: the top class, unless the municipality's
            # scheme asks more of it (letter grades with A ≥ 110%), as stated
            facts = replace(facts, progress=max(facts.progress if facts.progress is not None else 1.0, 1.0))
            if not any(cond == "achieved" for cond, _, _ in self.rules) and not self._threshold_above_100():
                return self.top
        elif facts.versus_baseline == "worse":
            barred = self.improvement_classes | {self.top}
        for cond, value, then in self.rules:
            if then not in barred and CONDITIONS[cond](facts, value):
                return then
        fallback = [c for c in self.classes if c not in barred]
        return fallback[-1] if fallback else self.classes[-1]


def get_scheme(name_or_data="four-class", letter_thresholds=None) -> Scheme:
    """A preset by name, or a scheme dict.  Raises KeyError for an unknown preset name."""
    if isinstance(name_or_data, dict):
        return Scheme(name_or_data)
    if name_or_data == "letter" and letter_thresholds:
        return Scheme(letter_scheme(tuple(letter_thresholds)))
    return Scheme(PRESETS[name_or_data])
