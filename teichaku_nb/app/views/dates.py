"""A date field that reads Japanese dates and says no.

ipywidgets' DatePicker shows the browser's own format (mm/dd/yyyy in many browsers) and turns a
date typed without its year, or with a five-digit year, into no date at all, without a word.
``DateText`` is a text box read by ``japanese.parse_date`` (2026/10/15, 2026-10-15, 2026年10月15日,
令和8年10月15日, R8.10.15, ...): its ``value`` is the date, None when blank, or the typed text
itself when it is not a date, so a model passing it on is refused by the store's checks (a date
field never becomes empty behind the user's back).  The reason is shown beside the field at once.
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as w
import traitlets as t

from ...japanese import parse_date
from ...markup import render
from ..dates import EXAMPLE, HINT


class DateText(w.HBox):
    value = t.Any(None)        # datetime.date, None (blank), or the typed text that is not a date

    def __init__(self, description: str, *, width: str = "16em", description_width: str | None = None, **kwargs):
        style = {"description_width": description_width} if description_width else {}
        self.text = w.Text(description=description, placeholder=EXAMPLE, style=style, layout=w.Layout(width=width))
        self.error = w.HTML()
        super().__init__([self.text, self.error], layout=w.Layout(flex_flow="row wrap", align_items="center"),
                         **kwargs)
        self.add_class("teichaku-date")
        self._quiet = False
        self.text.observe(self._typed, names="value")
        self.observe(self._given, names="value")

    def _typed(self, change) -> None:
        if self._quiet:
            return
        text = change["new"]
        try:
            date = parse_date(text)
        except ValueError as error:
            self.error.value = render("app/review_message.html.j2", message=f"{error}。{HINT}", kind="error")
            self._set(text.strip())
            return
        self.error.value = ""
        self._set(date)

    def _set(self, value) -> None:
        self._quiet = True
        try:
            self.value = value
        finally:
            self._quiet = False

    def _given(self, change) -> None:
        """The model set the value: show it (as 2026/10/15), unless it is what was typed."""
        if self._quiet:
            return
        value = change["new"]
        self._quiet = True
        try:
            if isinstance(value, dt.date):
                self.text.value = value.strftime("%Y/%m/%d")
            elif value is None:
                self.text.value = ""
            self.error.value = ""
        finally:
            self._quiet = False
