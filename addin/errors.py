"""One small tree of errors.  Every message is Japanese and says what to do; the CLI maps them to exit code 2."""
from __future__ import annotations


class KpiError(Exception):
    """Base of every error the tool raises on purpose."""


class WorkbookError(KpiError):
    """The workbook cannot be opened or read (missing, not an .xlsx, locked by Excel...)."""


class UnsafeWorkbookError(KpiError):
    """Saving would lose something the clerk placed in the workbook; nothing was written."""

    def __init__(self, path, losses: list[str]):
        self.path = path
        self.losses = losses
        lines = "\n".join(f"  ・{x}" for x in losses)
        super().__init__(
            f"「{path}」には、このツールで保存すると失われるものがあるため、書き込みを中止しました（ファイルは変更していません）。\n"
            f"{lines}\n"
            "対処: Excelでリボン「KPI管理」から実行する（Excel自身が保存するため失われません）か、"
            "上記を別のブックに移してから実行してください。")


class ConfigError(KpiError):
    """A configuration (status scheme, settings) is invalid."""


class MissingDependencyError(KpiError):
    """An optional library or program is not installed."""

    def __init__(self, what: str, install: str):
        super().__init__(f"{what} がインストールされていません。次のコマンドでインストールしてください: {install}")
