"""One office's month: the store read once, the agenda and the fee check served from it.

The rules (``rules.agenda``) and the fee check (``billing.month_billing``) are plain
functions over a casebook and, when there is a conference store, what it recorded: the
支援レポート sent, the 地域連携会議, the handover records, the 就労確認, the finalised plans
and the monitorings that kept one, and the actions still open.  ``OfficeMonth`` reads those
records of the office from the store once and hands them to both, so the store stays below
the rules (it stores and reads records, and decides nothing) and every user — the app, the
commands, the documents — asks the same object for the month.

Computed when first asked and kept: ``agenda``, ``billing``, ``checks``, ``open_actions``.  Without a store both read the
workbook alone.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import pandas as pd

from . import billing, rules
from .casebook import CaseBook


class OfficeMonth:
    """The month ``month`` of the office whose casebook is ``book`` (``store``: its records,
    or None).  ``today``: the day the fee check is made on (default: today, or the month's
    last day once it is over)."""

    def __init__(self, book: CaseBook, month: pd.Period, store=None, *, today: dt.date | None = None):
        self.book, self.month, self.store, self.today = book, month, store, today

    def _frame(self, name: str, *args) -> pd.DataFrame | None:
        """The office's records called ``name`` from the store (None without a store)."""
        return getattr(self.store, f"{name}_frame")(self.book.key, *args) if self.store is not None else None

    @cached_property
    def _records(self) -> dict[str, pd.DataFrame | None]:
        """What the store holds of the office, read once for the agenda and the fee check."""
        return {"shared_reports": self._frame("shared_reports"), "handovers": self._frame("handovers"),
                "plans": self._frame("plans"), "monitorings": self._frame("monitorings")}

    @cached_property
    def checks(self) -> pd.DataFrame | None:
        """The 就労確認 recorded in the store (for retention and the fee check)."""
        return self._frame("employment_checks")

    @cached_property
    def open_actions(self) -> pd.DataFrame | None:
        """The actions still open at the month from earlier conferences."""
        return self._frame("open_actions", self.month)

    @cached_property
    def agenda(self) -> rules.MonthReview:
        """The month's case conference: who is on it, flags, levels, order (``rules.agenda``)."""
        return rules.agenda(self.book, self.month, open_actions=self.open_actions, **self._records)

    @cached_property
    def billing(self) -> billing.Billing:
        """The month's fee check (``billing.month_billing``), reusing the agenda's facts."""
        return billing.month_billing(self.book, self.month, regional=self._frame("regional_reviews"),
                                     checks=self.checks, today=self.today,
                                     review=self.agenda, **self._records)
