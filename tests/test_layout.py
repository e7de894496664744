"""The package stays readable by a newcomer: short modules and functions, modules that do not
import each other in a circle nor reach for another module's private names, and no pointer to
documents outside the repository (the repository's own are in docs/)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "teichaku_nb"
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80
# Imports of another module's private name that today's code makes: ("importing module", "module.name"),
# relative to teichaku_nb, each with a comment `# known: <reason>`; an entry whose import is gone must go.
KNOWN_PRIVATE_IMPORTS: set[tuple[str, str]] = set()


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


def _modules() -> dict[str, Path]:
    """Every module of teichaku_nb by its dotted name (a package by its own name)."""
    modules = {}
    for path in _python_files(PACKAGE):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(module: str, modules: dict[str, Path]) -> list[tuple[str, str | None]]:
    """What ``module`` imports of teichaku_nb, wherever the import is (in functions, under
    TYPE_CHECKING): (a module, None) or (a module, a name imported from it)."""
    path = modules[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = (".".join(filter(None, [".".join(parts[:len(parts) + 1 - node.level]), node.module]))
                    if node.level else node.module or "")
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.append((name, None) if name in modules else (base, alias.name))
    return [(m, name) for m, name in found if m in modules]


def test_no_module_imports_a_private_name_of_another():
    modules = _modules()
    found = {(m.removeprefix("teichaku_nb."), f"{target.removeprefix('teichaku_nb.')}.{name}")
             for m in modules for target, name in _imports(m, modules)
             if name and name.startswith("_") and not name.startswith("__") and target != m}
    assert found - KNOWN_PRIVATE_IMPORTS == set()
    assert KNOWN_PRIVATE_IMPORTS - found == set(), "a known private import is gone: remove it from the list"


def test_no_modules_import_each_other_in_a_circle():
    """Not even through imports inside functions: a package's modules form layers of their own."""
    modules = _modules()
    graph = {m: {target for target, _ in _imports(m, modules) if target != m} for m in modules}
    circles, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            circles.append(" → ".join(path[path.index(module):] + [module]))
            return
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, path + [module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert circles == []
