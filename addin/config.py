"""Configuration: which status scheme applies (preset name, or a municipality's own JSON file)."""
from __future__ import annotations

import json
from pathlib import Path

from .core.model import Settings
from .core.scheme import PRESETS, Scheme, get_scheme
from .errors import ConfigError


def resolve_scheme(settings: Settings, override: str | None = None, base_dir: Path | None = None) -> Scheme:
    """The scheme named by ``--scheme`` (override) or by the settings sheet: a preset name or a JSON file."""
    name = (override or settings.scheme or "four-class").strip()
    if name in PRESETS:
        return get_scheme(name, settings.letter_thresholds if name == "letter" else None)
    if name.lower().endswith(".json"):
        path = Path(name)
        if not path.is_absolute() and base_dir is not None and not path.exists():
            path = Path(base_dir) / path
        return Scheme(load_scheme_file(path))
    raise ConfigError(f"評価方式「{name}」はありません。{' / '.join(PRESETS)} のいずれか、"
                      "または独自方式のJSONファイル名（.json）を指定してください。")


def load_scheme_file(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8-sig") as f:
            return json.load(f)
    except FileNotFoundError as e:
        raise ConfigError(f"評価方式のファイル「{path}」が見つかりません。") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"評価方式のファイル「{path}」はJSONとして読めません（{e.lineno}行目 {e.colno}文字目）。") from e
