"""The agenda panel's view: one row per case (a button to open it, its level, flags and state)."""

from __future__ import annotations

import ipywidgets as w
from ipywidgets.widgets.widget_string import HTMLStyle

from ...markup import render
from ..agenda import AgendaModel
from ..common import Guard


class AgendaView(w.VBox):
    """One row per case: a button to open it, and its level, flags and state."""

    def __init__(self, model: AgendaModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.guard = guard
        self.add_class("teichaku-agenda")
        self.heading = w.HTML()
        # the rows in a grid of two columns (button, state): no box per row
        self.rows_box = w.GridBox(layout=w.Layout(grid_template_columns="14em 1fr", grid_gap="2px 6px",
                                                  align_items="flex-start"))
        self.rows_box.add_class("teichaku-agenda-rows")
        self.footer = w.HTML()
        self._buttons: dict[str, w.Button] = {}
        self._htmls: dict[str, w.HTML] = {}
        self._built_for: list[str] = []
        self._drawn: dict[str, dict] = {}          # the row each HTML shows (redrawn when replaced)
        # every row shares its layouts and styles: a row is two widgets, not eight (the page
        # loads every widget's state before it shows the agenda)
        self._shared = {"button": w.Layout(width="14em"), "info": w.Layout(),
                        "button_style": w.ButtonStyle(), "info_style": HTMLStyle()}
        self._click = guard.wrap(self._on_click, "ケースを開く操作")
        model.observe(guard.wrap(self._render, "検討対象の表示"), names=["rows", "selected", "starting_next_month", "month_label"])
        self._render()
        self.children = [self.heading, self.rows_box, self.footer]

    def _on_click(self, button: w.Button) -> None:
        self.model.request(button.user_id)

    def _row_html(self, row: dict) -> str:
        return render("app/agenda_row.html.j2", row=row)

    def _render(self, _change=None) -> None:
        m = self.model
        self.heading.value = render("app/agenda_heading.html.j2", month_label=m.month_label, progress=m.progress,
                                    rows=m.rows)
        ids = [r["user_id"] for r in m.rows]
        if ids != self._built_for:          # rebuild the rows only when the cases change
            children = []
            self._buttons, self._htmls = {}, {}
            shared = self._shared
            self._drawn = {}
            for row in m.rows:          # made whole: each change after it would be one more message
                button = w.Button(description=f'{row["user_id"]} {row["name"]}', tooltip="このケースを開く",
                                  layout=shared["button"], style=shared["button_style"],
                                  _dom_classes=("teichaku-case-button",))
                button.user_id = row["user_id"]
                button.on_click(self._click)
                info = w.HTML(self._row_html(row), layout=shared["info"], style=shared["info_style"])
                self._buttons[row["user_id"]], self._htmls[row["user_id"]] = button, info
                self._drawn[row["user_id"]] = row
                children += [button, info]
            self.rows_box.children = children
            self._built_for = ids
        for row in m.rows:
            if row is not self._drawn.get(row["user_id"]):      # rows are replaced, never changed in place
                self._htmls[row["user_id"]].value = self._row_html(row)
                self._drawn[row["user_id"]] = row
            self._buttons[row["user_id"]].button_style = "info" if row["user_id"] == m.selected else ""
        self.footer.value = render("app/agenda_footer.html.j2", starting=m.starting_next_month)
