"""The header's view: office, month, team and 記録者 (the signed-in person, shown, never typed;
サインアウト when the server offers it), the month's fee check and the workbook's problems."""

from __future__ import annotations

import ipywidgets as w
import traitlets as t

from ...markup import render
from ..common import Guard
from ..header import HeaderModel


def _link_choice(model: t.HasTraits, name: str, dropdown: w.Dropdown, guard: Guard) -> None:
    """Keep ``model.<name>`` / ``model.<name>_options`` and a Dropdown in step, tolerating a
    value that is not (yet) among the options (w.link would raise)."""
    updating = []

    def to_widget(_change=None):
        options = [tuple(o) for o in getattr(model, f"{name}_options")]
        value = getattr(model, name)
        updating.append(True)
        try:
            if list(dropdown.options) != options:
                dropdown.options = options
            dropdown.value = value if value in [v for _, v in options] else None
        finally:
            updating.pop()

    def to_model(change):
        if updating or change["new"] is None or change["new"] == getattr(model, name):
            return
        setattr(model, name, change["new"])
        if getattr(model, name) != change["new"]:      # the model held the change back
            to_widget()

    model.observe(guard.wrap(to_widget, "画面の更新"), names=[name, f"{name}_options"])
    dropdown.observe(guard.wrap(to_model, "選択の変更"), names="value")
    to_widget()


class HeaderView(w.VBox):
    """Widgets only: linked to a HeaderModel."""

    def __init__(self, model: HeaderModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.add_class("teichaku-header")
        self.title = w.HTML()
        self.office = w.Dropdown(description="事業所", options=[], layout=w.Layout(width="20em"))
        self.month = w.Dropdown(description="対象月", options=[], layout=w.Layout(width="16em"))
        self.team = w.Dropdown(description="チーム", options=[], layout=w.Layout(width="16em"))
        self.recorder = w.HTML(layout=w.Layout(margin="0 0 0 1em"))     # 記録者: 名前（役割）, サインアウト
        self.recorder.add_class("teichaku-recorder")
        self.month.add_class("teichaku-month")
        self.notes = w.HTML()
        self.billing = w.HTML()
        self.problems = w.HTML()
        self.problems.add_class("teichaku-problems")
        for name in ("office", "month", "team"):
            _link_choice(model, name, getattr(self, name), guard)
        model.observe(guard.wrap(self._render_staff, "記録者の表示"), names=["staff", "logout"])
        model.observe(guard.wrap(self._render, "見出しの表示"),
                      names=["office_name", "problems", "source_note", "store_note", "fatal", "office_options",
                             "billing"])
        self._render()
        self._render_staff()
        self.children = [self.title, w.HBox([self.office, self.month, self.team, self.recorder],
                                            layout=w.Layout(flex_flow="row wrap")),
                         self.billing, self.notes, self.problems]

    def _render_staff(self, _change=None) -> None:
        self.recorder.value = render("app/header_staff.html.j2", staff=self.model.staff, logout=self.model.logout)

    def _render(self, _change=None) -> None:
        m = self.model
        self.title.value = render("app/header_title.html.j2", office=m.office_name)
        self.office.layout.display = "" if len(m.office_options) > 1 else "none"
        self.billing.value = render("app/header_billing.html.j2", billing=m.billing)
        self.notes.value = render("app/header_notes.html.j2", source_note=m.source_note, store_note=m.store_note)
        self.problems.value = render("app/header_problems.html.j2", fatal=m.fatal, problems=m.problems,
                                     summary=m.problem_summary, errors=any(p["error"] for p in m.problems))
