"""A month is read from text once, where it comes in: the command line's arguments, the app's
page, the report notebooks' parameters and ``make_reports``' callers, the workbook's cells and
the store's columns.  Everything inside takes a ``pd.Period``: the rules, the fee check, the
case files and the documents' views never parse a month again."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "teichaku_nb"
PARSERS = {"as_month", "parse_month"}
EDGES = {"japanese.py", "workbook.py", "reports.py", "cli", "app", "store", "demo"}
NOTEBOOK_EDGE = ("report_views.py", "show_")        # the notebooks' calls, in report_views


def _parsing_calls(path: Path, base: Path = PACKAGE) -> list[str]:
    """Where ``path`` calls a month parser: 'module:function:line'."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        for call in [n for n in ast.walk(function) if isinstance(n, ast.Call)]:
            name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
            if name in PARSERS:
                found.append(f"{path.relative_to(base)}:{function.name}:{call.lineno}")
    return found


def test_only_the_edges_read_a_month_from_text():
    inside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        top = path.relative_to(PACKAGE).parts[0]
        if top in EDGES:
            continue
        for call in _parsing_calls(path):
            module, function, _line = call.split(":")
            if (module, function.startswith(NOTEBOOK_EDGE[1])) == (NOTEBOOK_EDGE[0], True):
                continue
            inside.append(call)
    assert inside == []


def test_the_check_finds_a_month_parsed_inside(tmp_path):
    module = tmp_path / "inside.py"
    module.write_text("from .japanese import as_month\n\ndef agenda(book, month):\n    return as_month(month)\n")
    assert _parsing_calls(module, tmp_path) == ["inside.py:agenda:4"]
