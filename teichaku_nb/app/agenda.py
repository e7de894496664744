"""Agenda panel: the month's cases in the rules' order, with progress."""

from __future__ import annotations

import ipywidgets as w
from ipywidgets.widgets.widget_string import HTMLStyle
import traitlets as t

from ..markup import render
from ..plan_cycle import plan_due
from ..rules import MonthReview
from .common import Guard


class AgendaModel(t.HasTraits):
    """The cases of the month (filtered by team), their review state, and which is chosen.

    ``rows``: dicts with user_id, name, staff, team, level, flags ([{code, level, message}]),
    open_actions (count of actions carried over), reviewed (a review is saved for the month),
    plan_due (the plan is to be monitored and reviewed this month: "review", or "missing" when
    it is overdue or lacking).
    ``requested`` is set when the user asks to open a case; the conference decides.
    """

    rows = t.List()
    selected = t.Unicode("")         # the open case's 利用者ID
    requested = t.Unicode("")        # the case the user clicked (the conference may ask first)
    month_label = t.Unicode("")
    starting_next_month = t.List()   # names of users whose support starts next month

    def set_review(self, review: MonthReview, *, team: str = "", open_actions: dict[str, int] | None = None,
                   reviewed: set[str] | None = None, names: dict[str, str] | None = None) -> None:
        open_actions = open_actions or {}
        reviewed = reviewed or set()
        rows = []
        for case in review.cases:
            if team and case.team != team:
                continue
            rows.append({"user_id": case.user_id, "name": case.name, "staff": case.staff, "team": case.team,
                         "level": case.level, "flags": [f.as_dict() for f in case.flags],
                         "open_actions": int(open_actions.get(case.user_id, 0)),
                         "reviewed": case.user_id in reviewed,
                         "plan_due": ("missing" if "plan_missing" in case.codes else "review") if plan_due(case) else ""})
        with self.hold_trait_notifications():
            self.rows = rows
            self.starting_next_month = [f"{uid} {(names or {}).get(uid, '')}".strip()
                                        for uid in review.starting_next_month]
            if self.selected and self.selected not in {r["user_id"] for r in rows}:
                self.selected = ""

    def mark_reviewed(self, user_id: str, open_actions: int | None = None) -> None:
        rows = []
        for row in self.rows:
            if row["user_id"] == user_id:
                row = dict(row, reviewed=True)
                if open_actions is not None:
                    row["open_actions"] = open_actions
            rows.append(row)
        self.rows = rows

    def set_open_actions(self, user_id: str, count: int) -> None:
        self.rows = [dict(r, open_actions=count) if r["user_id"] == user_id else r for r in self.rows]

    @property
    def done(self) -> int:
        return sum(1 for r in self.rows if r["reviewed"])

    @property
    def progress(self) -> str:
        return f"検討済 {self.done}/{len(self.rows)}"

    def request(self, user_id: str) -> None:
        """The user clicked a case."""
        if user_id not in {r["user_id"] for r in self.rows}:
            raise ValueError(f"利用者ID {user_id} はこの月の検討対象にありません")
        # set twice so that clicking the same case again is still a change
        self.requested = ""
        self.requested = user_id

    def next_unreviewed(self) -> str | None:
        ids = [r["user_id"] for r in self.rows]
        start = ids.index(self.selected) + 1 if self.selected in ids else 0
        for row in self.rows[start:] + self.rows[:start]:
            if not row["reviewed"] and row["user_id"] != self.selected:
                return row["user_id"]
        return None


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
