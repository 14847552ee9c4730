"""The domain core stays pure Python: no openpyxl, xlwings, pandas or CLI framework in addin/core."""
import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "addin" / "core"
FORBIDDEN = {"openpyxl", "xlwings", "pandas", "click", "typer", "jsonschema", "lxml", "numpy"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods.add(node.module.split(".")[0])
    return mods


def test_core_imports_only_the_standard_library():
    files = sorted(CORE.glob("*.py"))
    assert files, "addin/core has no modules"
    stdlib = set(sys.stdlib_module_names)
    for f in files:
        mods = imported_modules(f)
        assert not mods & FORBIDDEN, f"{f.name} imports {mods & FORBIDDEN}"
        assert mods <= stdlib | {"__future__"}, f"{f.name} imports non-stdlib {mods - stdlib}"
