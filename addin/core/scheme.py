"""Status schemes as data: ordered classes (the columns of the tally) and ordered rules (first match wins).

A scheme is a plain dict (the same shape as schema/scheme.schema.json describes), so a municipality can
write its own in JSON.  Conditions a rule may test are the facts computed per KPI in ``Facts``.
"""
from __future__ import annotations

from dataclasses import dataclass

EPS = 1e-9  # comparisons are made on exact progress, with a guard against binary noise only

FOUR_CLASS = {
    "name": "four-class",
    "title": "4区分（目標達成・改善・横ばい・未達成）",
    "classes": [
        {"label": "目標達成", "color": "C6EFCE", "description": "進捗率100%以上"},
        {"label": "改善↑", "color": "DDEBF7", "description": "目標未達だが基準値より改善"},
        {"label": "－", "color": "EDEDED", "description": "基準値なし、または基準値と同じ"},
        {"label": "未達成↓", "color": "FCE4D6", "description": "基準値より悪化"},
    ],
    # Mine City: progress >= 100% → 目標達成; otherwise no baseline → －; equal to baseline → －;
    # better than baseline in the KPI's direction → 改善↑; worse → 未達成↓.
    "rules": [
        {"if": "achieved", "then": "目標達成"},
        {"if": "not_measurable", "then": "－"},
        {"if": "no_baseline", "then": "－"},
        {"if": "same_as_baseline", "then": "－"},
        {"if": "better_than_baseline", "then": "改善↑"},
        {"if": "always", "then": "未達成↓"},
    ],
}

THREE_MARK = {
    "name": "three-mark",
    "title": "3区分（○ 80%以上・△ 80%未満・× 測定不能/未実施）",
    "classes": [
        {"label": "○", "color": "C6EFCE", "description": "達成率80%以上"},
        {"label": "△", "color": "FFF2CC", "description": "達成率80%未満"},
        {"label": "×", "color": "FCE4D6", "description": "測定できない、または事業未実施"},
    ],
    "rules": [
        {"if": "not_carried_out", "then": "×"},
        {"if": "not_measurable", "then": "×"},
        {"if": "achieved", "then": "○"},
        {"if": "progress_undefined", "then": "×"},
        {"if": "progress_at_least", "value": 0.8, "then": "○"},
        {"if": "always", "then": "△"},
    ],
}


def letter_scheme(thresholds=(1.0, 0.8, 0.5)) -> dict:
    """A/B/C/D with thresholds set by the municipality (fractions, descending)."""
    a, b, c = thresholds
    pct = lambda x: f"{x * 100:g}%"  # noqa: E731
    return {
        "name": "letter",
        "title": f"A～D（A {pct(a)}以上・B {pct(b)}以上・C {pct(c)}以上・D それ未満）",
        "classes": [
            {"label": "A", "color": "C6EFCE", "description": f"{pct(a)}以上"},
            {"label": "B", "color": "DDEBF7", "description": f"{pct(b)}以上{pct(a)}未満"},
            {"label": "C", "color": "FFF2CC", "description": f"{pct(c)}以上{pct(b)}未満"},
            {"label": "D", "color": "FCE4D6", "description": f"{pct(c)}未満"},
            {"label": "－", "color": "EDEDED", "description": "算定不能"},
        ],
        "rules": [
            {"if": "not_measurable", "then": "－"},
            {"if": "achieved", "then": "A"},
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
    "not_measurable": lambda f, v: not f.measurable,
    "not_carried_out": lambda f, v: not f.carried_out,
    "progress_undefined": lambda f, v: f.progress is None,
    "no_baseline": lambda f, v: not f.has_baseline,
    "same_as_baseline": lambda f, v: f.versus_baseline == "same",
    "better_than_baseline": lambda f, v: f.versus_baseline == "better",
    "worse_than_baseline": lambda f, v: f.versus_baseline == "worse",
    "progress_at_least": lambda f, v: f.progress is not None and f.progress >= v - EPS,
    "progress_below": lambda f, v: f.progress is not None and f.progress < v - EPS,
}


class Scheme:
    """A status scheme ready to classify Facts."""

    def __init__(self, data: dict):
        self.data = data
        self.name = data.get("name", "custom")
        self.title = data.get("title", self.name)
        self.classes = [c["label"] for c in data["classes"]]
        self.colors = {c["label"]: c.get("color", "FFFFFF") for c in data["classes"]}
        self.rules = data["rules"]

    def classify(self, facts: Facts) -> str:
        for rule in self.rules:
            if CONDITIONS[rule["if"]](facts, rule.get("value")):
                return rule["then"]
        return self.classes[-1]


def get_scheme(name_or_data="four-class", letter_thresholds=None) -> Scheme:
    """A preset by name, or a scheme dict.  Raises KeyError for an unknown preset name."""
    if isinstance(name_or_data, dict):
        return Scheme(name_or_data)
    if name_or_data == "letter" and letter_thresholds:
        return Scheme(letter_scheme(tuple(letter_thresholds)))
    return Scheme(PRESETS[name_or_data])
