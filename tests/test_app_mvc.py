"""The app's models import no widgets: a panel's model (``app/<panel>.py``) holds its state and
logic, its view (``app/views/<panel>.py``) draws it.

- A fresh Python that imports every model module (every module of ``app/`` outside
  ``app/views/``) has loaded no ipywidgets (``widgets_loaded``).
- No model module imports ipywidgets or a view, not even in a function (``widget_imports``),
  but ``opening.py``: the page the notebook shows, which imports its widgets once the records
  are being read.
- Every ``Panel`` and every ``…Model`` class is defined in a model module, every widget in a
  view module (``misplaced``).

Each check returns what it found, so the last tests can show that each one catches what it is for.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "teichaku_nb" / "app"
VIEWS = "teichaku_nb.app.views"
PAGE = "teichaku_nb.app.opening"       # builds the page's widgets: imports them in its functions


def model_modules() -> list[str]:
    return sorted(f"teichaku_nb.app.{p.stem}" for p in APP.glob("*.py") if p.stem != "__init__")


def view_modules() -> list[str]:
    return sorted(f"{VIEWS}.{p.stem}" for p in (APP / "views").glob("*.py") if p.stem != "__init__")


def widgets_loaded(modules: list[str]) -> list[str]:
    """The ipywidgets modules a fresh Python has loaded once it imported ``modules``."""
    code = ("import json, sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(json.dumps(sorted(m for m in sys.modules if m.partition('.')[0] == 'ipywidgets')))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def widget_imports(source: str) -> list[str]:
    """The imports of ipywidgets or of the app's views in a module of ``app/`` (``source``),
    wherever they are: at the top, in a function, under TYPE_CHECKING."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names = [base, *(f"{base}{'.' if node.module else ''}{alias.name}" for alias in node.names)]
        else:
            continue
        if any(name.partition(".")[0] == "ipywidgets" or name == ".views" or name.startswith((".views.", VIEWS))
               for name in names):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def app_classes() -> list[type]:
    """Every class defined in a module of ``app/`` (models and views)."""
    found = []
    for name in model_modules() + view_modules():
        module = importlib.import_module(name)
        found += [c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == name]
    return found


def misplaced(classes: list[type]) -> list[str]:
    """The classes on the wrong side: a model (a ``Panel``, or a class named ``…Model``) in a
    view module, a widget outside ``app/views/``."""
    from ipywidgets import Widget

    from teichaku_nb.app.panel import Panel

    problems = []
    for cls in classes:
        in_views = cls.__module__.startswith(f"{VIEWS}.")
        name = f"{cls.__module__}.{cls.__qualname__}"
        if in_views and (issubclass(cls, Panel) or cls.__name__.endswith("Model")):
            problems.append(f"{name} is a model in a view module")
        if not in_views and issubclass(cls, Widget):
            problems.append(f"{name} is a widget outside app/views/")
    return problems


def test_a_python_that_imports_every_model_module_has_no_widgets():
    modules = model_modules()
    assert {"teichaku_nb.app.case", "teichaku_nb.app.conference", "teichaku_nb.app.panel"} <= set(modules)
    assert not any(m.startswith(VIEWS) for m in modules)
    assert widgets_loaded(modules) == []


def test_no_model_module_imports_a_widget_or_a_view_even_in_a_function():
    found = {name: widget_imports((APP / f"{name.rpartition('.')[2]}.py").read_text(encoding="utf-8"))
             for name in model_modules() if name != PAGE}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_every_panel_and_model_lives_in_a_model_module_and_every_widget_in_a_view_module():
    from teichaku_nb.app.panel import Panel

    classes = app_classes()
    panels = {c.__name__ for c in classes if issubclass(c, Panel) and c is not Panel}
    assert {"CaseModel", "ReviewModel", "ChecksModel", "ExportModel", "MonitoringModel", "DraftModel"} <= panels
    assert misplaced(classes) == []


# --- the checks catch what they are for -----------------------------------------------------------

def test_the_checks_catch_widgets_loaded_imported_or_defined_on_the_wrong_side():
    import ipywidgets as w

    from teichaku_nb.app.panel import Panel

    assert "ipywidgets" in widgets_loaded([f"{VIEWS}.common"])          # a view module loads them
    source = (APP / "case.py").read_text(encoding="utf-8")
    doctored = source + "\n\ndef later():\n    import ipywidgets as w\n    from .views.common import Results\n"
    assert widget_imports(source) == [] and len(widget_imports(doctored)) == 2
    assert len(widget_imports("from . import views\nfrom ipywidgets.widgets import widget_string\n")) == 2
    stray_model = type("StrayModel", (Panel,), {"__module__": f"{VIEWS}.case"})
    stray_view = type("StrayView", (w.VBox,), {"__module__": "teichaku_nb.app.case"})
    assert misplaced([stray_model, stray_view]) == [f"{VIEWS}.case.StrayModel is a model in a view module",
                                                    "teichaku_nb.app.case.StrayView is a widget outside app/views/"]
