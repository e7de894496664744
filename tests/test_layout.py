"""The package stays readable by a newcomer: short modules and functions, and no pointer to
documents outside the repository (the repository's own are in docs/)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "teichaku_nb"
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80


def _python_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py") if "report_notebooks" not in p.parts)


def test_no_module_is_over_700_lines():
    long = {p.relative_to(ROOT).as_posix(): n for p in _python_files(PACKAGE)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_over_80_lines():
    long = []
    for path in _python_files(PACKAGE):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert long == []


def test_code_and_tests_point_only_to_the_repository_s_own_documents():
    outside = re.compile(r"\.\./shared|shared/(design|review-rules|workbook-format|domain|compliance)|\b[Ii]ssue \d+")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _python_files(PACKAGE, ROOT / "tests", ROOT / "benchmarks")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if outside.search(line) and p.name != "test_layout.py"]
    assert found == []
    for doc in re.findall(r"docs/([\w-]+\.md)", "".join(p.read_text(encoding="utf-8") for p in _python_files(PACKAGE))):
        assert (ROOT / "docs" / doc).is_file(), doc
