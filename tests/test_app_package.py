"""The app package names every panel's classes, and every panel model works in the page's context."""

import ast
from pathlib import Path

import teichaku_nb.app as app
from teichaku_nb.staff import ENVIRONMENT, SUPPORT, Staff

APP = Path(app.__file__).parent


def _classes() -> dict[str, str]:
    """Every model and view class of the package, by name: its module (``views.case``)."""
    found = {}
    for path in APP.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Model", "View")):
                found[node.name] = ".".join(path.relative_to(APP).with_suffix("").parts)
    return found


def test_the_package_offers_every_model_and_view_of_its_panels():
    classes = _classes()
    assert {"CaseModel", "CaseView", "ConferenceModel", "ConferenceView"} <= set(classes)    # models and views
    assert set(classes) - {"ConferenceView", "ConferenceModel"} <= set(app.__all__)
    for name in classes:
        assert getattr(app, name).__module__ == f"teichaku_nb.app.{classes[name]}"
    for name in app.__all__:                              # and names no class where it is not
        assert getattr(app, name).__name__ == name


def test_every_panel_of_the_conference_is_a_panel_and_gets_the_same_context():
    from teichaku_nb.app.panel import Panel
    from teichaku_nb.app.conference import ConferenceModel

    model = ConferenceModel(demo=True)
    model.load()
    assert model.panels and all(isinstance(panel, Panel) for panel in model.panels)
    staff = Staff(login="kaku", name="架空 記録者", role=SUPPORT)
    model.sign_in({ENVIRONMENT: staff.to_header()})             # the page's request, as the server wrote it
    assert {panel.staff for panel in model.panels} == {staff}
    assert {panel.recorder for panel in model.panels} == {"架空 記録者"}
    assert {panel.office for panel in model.panels} == {model.book.key}
    assert {panel.context.month for panel in model.panels} == {model.header.month}
