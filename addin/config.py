"""Configuration: which status scheme applies, and its thresholds — checked before anything is computed or written.

Sources, later ones winning: the settings sheet (評価方式, 評価方式の閾値, 見込みの閾値), then ``--scheme``: a
preset name or a JSON file.  A JSON file is a configuration (schema/config.schema.json):

    {"scheme": "letter", "letter_thresholds": [110, 80, 50], "pace_thresholds": [100, 80]}
    {"scheme": {"name": "my-city", "classes": [...], "rules": [...]}}

or a bare scheme (classes and rules at the top, schema/scheme.schema.json), read as ``{"scheme": <it>}``.
Every problem is refused with a ConfigError that names where it is (``scheme/classes/2/label``, or the cell of
the settings sheet), in Japanese; nothing has been written when it is raised.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .core.model import Settings
from .core.scheme import CONDITIONS, PRESETS, Scheme, get_scheme, letter_scheme, scheme_problems, threshold_problems
from .errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIRS = (ROOT / "schema", Path(__file__).resolve().parent / "schemes")  # checkout, then installed copy
SCHEMA_BASE = "https://kpi-addin.example/schema/"
MAX_ERRORS = 20


def schema_path(name: str) -> Path:
    for d in SCHEMA_DIRS:
        if (d / name).exists():
            return d / name
    raise ConfigError(f"設定の検証に使うスキーマ「{name}」が見つかりません。インストールを確認してください。")


@lru_cache(maxsize=None)
def _validator(name: str = "config.schema.json"):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    resources = []
    for n in ("config.schema.json", "scheme.schema.json"):
        with open(schema_path(n), encoding="utf-8") as f:
            resources.append((SCHEMA_BASE + n, Resource.from_contents(json.load(f))))
    registry = Registry().with_resources(resources)
    return Draft202012Validator(registry.get_or_retrieve(SCHEMA_BASE + name).value.contents, registry=registry)


# ---------------------------------------------------------------- messages

_TYPE_NAMES = {"string": "文字列", "object": "オブジェクト（{ }）", "array": "配列（[ ]）", "number": "数値",
               "integer": "整数", "boolean": "true/false", "null": "null"}


def _path(parts) -> str:
    return "/".join(str(p) for p in parts) or "（ファイル全体）"


def _schema_message(err) -> tuple[str, str] | None:
    """(path, Japanese message) for one jsonschema error."""
    path = list(err.absolute_path)
    v, val = err.validator, err.validator_value
    if v == "required":
        missing = [p for p in val if isinstance(err.instance, dict) and p not in err.instance]
        name = missing[0] if missing else val[0]
        what = {"label": "区分の名前", "then": "当てはまったときの区分", "if": "条件", "value": "閾値（%）",
                "classes": "区分の一覧", "rules": "判定規則の一覧", "scheme": "評価方式"}.get(name, "")
        return _path(path + [name]), f"必須の項目「{name}」{f'（{what}）' if what else ''}がありません。"
    if v == "type":
        types = val if isinstance(val, list) else [val]
        return _path(path), f"{'または'.join(_TYPE_NAMES.get(t, t) for t in types)}で指定してください（{json.dumps(err.instance, ensure_ascii=False)}）。"
    if v == "enum":
        if path and path[-1] == "scheme" or path == ["scheme"]:
            return _path(path), (f"評価方式「{err.instance}」はありません。{' / '.join(PRESETS)} のいずれか、"
                                 "または区分（classes）と規則（rules）を持つ独自の方式を指定してください。")
        return _path(path), (f"「{err.instance}」は使えません。{' / '.join(str(x) for x in val)} のいずれかにしてください。")
    if v == "additionalProperties":
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        return _path(path + extra[:1]), f"項目「{'」「'.join(extra)}」はこの位置では使えません（綴りを確認してください）。"
    if v == "not" and path and isinstance(err.instance, dict) and "value" in err.instance:
        if err.instance.get("if") not in CONDITIONS:
            return None
        return _path(path + ["value"]), f"条件「{err.instance.get('if')}」には閾値（value）を指定できません。"
    if v == "minLength":
        return _path(path), "空にはできません。"
    if v == "maxLength":
        return _path(path), f"{val}文字以内にしてください。"
    if v == "minItems":
        return _path(path), f"{val}つ以上指定してください（{len(err.instance)}つです）。"
    if v == "maxItems":
        return _path(path), f"{val}つ以内にしてください（{len(err.instance)}つです）。"
    if v == "pattern":
        return _path(path), f"「{err.instance}」の形式が正しくありません" + (
            "（色は RRGGBB の16進6桁、例: C6EFCE）。" if path and path[-1] == "color" else "。")
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        rel = {"minimum": "以上", "exclusiveMinimum": "より大きく", "maximum": "以下", "exclusiveMaximum": "未満"}[v]
        return _path(path), f"{err.instance} は範囲外です。{val}{rel}にしてください。"
    return _path(path), f"形式が正しくありません（{v}）。"


def config_problems(data) -> list[tuple[str, str]]:
    """Every problem of a configuration (JSON Schema first, then the semantic checks), as (path, message)."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    problems = []
    for e in errors:
        if e.validator in ("if", "then", "else"):   # the specific error is reported by its subschema
            continue
        m = _schema_message(e)
        if m is not None:
            problems.append(m)
    if problems:
        return _dedupe(problems)
    scheme = data["scheme"]
    if isinstance(scheme, dict):
        problems += [(f"scheme/{p}", m) for p, m in scheme_problems(scheme)]
    for key, count, what in (("letter_thresholds", 3, "評価方式の閾値"), ("pace_thresholds", 2, "見込みの閾値")):
        if key in data:
            problems += [(f"{key}/{i}" if i is not None else key, m)
                         for i, m in threshold_problems(data[key], count, what)]
    return _dedupe(problems)


def _dedupe(problems):
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def refuse(source: str, problems: list[tuple[str, str]]) -> ConfigError:
    lines = "\n".join(f"  ・{p}: {m}" for p, m in problems[:MAX_ERRORS])
    more = f"\n  ほか{len(problems) - MAX_ERRORS}件" if len(problems) > MAX_ERRORS else ""
    return ConfigError(f"評価方式の設定（{source}）に誤りがあるため、処理を中止しました（ファイルは変更していません）。\n"
                       f"{lines}{more}")


# ---------------------------------------------------------------- loading

def load_config_file(path: Path) -> dict:
    """A configuration file, read and checked; a bare scheme is wrapped as {"scheme": ...}."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            data = json.load(f)
    except FileNotFoundError as e:
        raise ConfigError(f"評価方式のファイル「{path}」が見つかりません。") from e
    except IsADirectoryError as e:
        raise ConfigError(f"「{path}」はフォルダです。評価方式のJSONファイルを指定してください。") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"評価方式のファイル「{path}」はJSONとして読めません（{e.lineno}行目 {e.colno}文字目: {e.msg}）。") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"評価方式のファイル「{path}」を読み込めません（{type(e).__name__}）。"
                          "UTF-8で保存されたJSONファイルか確認してください。") from e
    if isinstance(data, dict) and "scheme" not in data and ("classes" in data or "rules" in data):
        data = {"scheme": data}
    problems = config_problems(data)
    if problems:
        raise refuse(f"ファイル「{path}」", problems)
    return data


def load_scheme_file(path: Path) -> dict:
    """The scheme dict a configuration file selects (its own, or a preset's data)."""
    data = load_config_file(Path(path))
    s = data["scheme"]
    if isinstance(s, str):
        return letter_scheme(tuple(x / 100 for x in data["letter_thresholds"])) \
            if s == "letter" and "letter_thresholds" in data else PRESETS[s]
    return s


def _settings_thresholds(settings: Settings, key: str, count: int, label: str) -> None:
    problems = threshold_problems([round(x * 100, 6) for x in getattr(settings, key)], count, label)
    if problems:
        cell = settings.cells.get(key, "")
        where = f"設定!{cell}（{label}）" if cell else f"設定（{label}）"
        raise refuse("設定シート", [(where, m) for _, m in problems])


def resolve_scheme(settings: Settings, override: str | None = None, base_dir: Path | None = None) -> Scheme:
    """The scheme named by ``--scheme`` (override) or by the settings sheet: a preset name or a JSON file.

    A configuration file's thresholds replace the settings sheet's (``settings`` is updated).  Raises
    ConfigError, naming the place, for an unknown preset, a file that is missing or invalid, or thresholds
    that overlap or are out of order.
    """
    name = (override or settings.scheme or "four-class").strip()
    source = "--scheme" if override else "設定シートの「評価方式」"
    if name.lower().endswith(".json"):
        path = Path(name)
        if not path.is_absolute() and base_dir is not None and not path.exists():
            path = Path(base_dir) / path
        data = load_config_file(path)
        if "letter_thresholds" in data:
            settings.letter_thresholds = tuple(x / 100 for x in data["letter_thresholds"])
        if "pace_thresholds" in data:
            settings.pace_thresholds = tuple(x / 100 for x in data["pace_thresholds"])
        _settings_thresholds(settings, "pace_thresholds", 2, "見込みの閾値")
        s = data["scheme"]
        if isinstance(s, dict):
            return Scheme(s)
        name = s
    elif name not in PRESETS:
        cell = settings.cells.get("scheme", "") if not override else ""
        raise refuse(source, [(f"設定!{cell}（評価方式）" if cell else "scheme",
                               f"評価方式「{name}」はありません。{' / '.join(PRESETS)} のいずれか、"
                               "または独自方式のJSONファイル名（.json）を指定してください。")])
    else:
        _settings_thresholds(settings, "pace_thresholds", 2, "見込みの閾値")
    if name == "letter":
        _settings_thresholds(settings, "letter_thresholds", 3, "評価方式の閾値")
        return get_scheme("letter", settings.letter_thresholds)
    return get_scheme(name)


def describe_presets() -> list[dict]:
    """The presets as `kpi schemes` lists them: name, title, classes (label and description)."""
    return [{"name": name, "title": data["title"],
             "classes": [{"label": c["label"], "description": c.get("description", "")} for c in data["classes"]]}
            for name, data in PRESETS.items()]
