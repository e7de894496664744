"""Agenda panel: the month's cases in the rules' order, with progress."""

from __future__ import annotations

import traitlets as t

from ..plan_cycle import plan_due
from ..rules import MonthReview


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
