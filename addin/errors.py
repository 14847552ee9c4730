"""One small tree of errors.  Every message is Japanese and says what to do; the CLI maps them to exit code 2."""
from __future__ import annotations


class KpiError(Exception):
    """Base of every error the tool raises on purpose."""


class WorkbookError(KpiError):
    """The workbook cannot be opened or read (missing, not an .xlsx, locked by Excel...)."""


class ConfigError(KpiError):
    """A configuration (status scheme, settings) is invalid."""


class MissingDependencyError(KpiError):
    """An optional library or program is not installed."""

    def __init__(self, what: str, install: str):
        super().__init__(f"{what} がインストールされていません。次のコマンドでインストールしてください: {install}")
