"""What the panels' views share: buttons, status lines, counted text and the withdraw row.

The panels' HTML comes from the templates in ``templates/html/app`` (``markup.render``, with
autoescape); the pieces they share (the level badge, the flag list, a table of records) are
the macros of ``app/_macros.html.j2``.

What a panel's button did is said beside it (``Results``): its success, warning or error in a
status line right below the button, replaced by the button's next result; the page's guard
(``common.Guard``) logs the error but the top of the page does not show it.  Long text shows
how long it is (``Counted``: 「123 / 1000字」); the model refuses it beyond its limit
(``common.check_lengths``).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w
import traitlets as t

from ...markup import render
from ..common import Guard


def button(guard: Guard, label: str, css: str, action, what: str, *, width: str | None = "auto",
           **kwargs) -> w.Button:
    """A button that calls ``action()`` through the guard (errors logged and shown in
    Japanese as "``what``ができませんでした"), with the CSS class ``teichaku-<css>``."""
    made = w.Button(description=label, layout=w.Layout(width=width), _dom_classes=(f"teichaku-{css}",), **kwargs)
    made.on_click(guard.wrap(lambda _b: action(), what))
    return made


class WithdrawRow(w.HBox):
    """Withdraw a record of an append-only list: choose it, give a reason, press 取消.
    ``model`` has ``withdraw_id``, ``withdraw_reason`` and ``withdraw()``; ``options`` is set
    by the view as (label, id) pairs."""

    def __init__(self, model, guard: Guard, *, css: str, what: str, placeholder: str, width: str = "26em",
                 results: Results | None = None, line: str = "withdraw"):
        self.choice = w.Dropdown(description="取り消す記録", style={"description_width": "7em"},
                                 layout=w.Layout(width=width))
        self.reason = w.Text(description="理由", placeholder=placeholder, style={"description_width": "3em"},
                             layout=w.Layout(width="18em"))
        w.link((model, "withdraw_reason"), (self.reason, "value"))
        self.choice.observe(guard.wrap(lambda change: setattr(model, "withdraw_id", change["new"] or 0),
                                       "取り消す記録の選択"), names="value")
        if results is not None:                 # its result said in the line ``line`` (below the row)
            self.button = results.button("取消", css, model.withdraw, what, line=line, button_style="warning",
                                         width="5em")
        else:
            self.button = button(guard, "取消", css, model.withdraw, what, button_style="warning", width="5em")
        super().__init__([self.choice, self.reason, self.button], layout=w.Layout(flex_flow="row wrap"))


def status_line(text: str, kind: str) -> str:
    """A result as a plain status line (green, amber or red by ``kind``): ``Results``' ``draw``
    for panels whose lines carry nothing else."""
    return render("app/export_status.html.j2", status=text, notes=[], kind=kind)


class Results:
    """Where a panel says what its buttons did: in a status line right below the button (or the
    row of buttons) pressed, where the hand is, never at the top of the page.

    The panel's model keeps one message and its kind (traits ``message`` and ``kind``; kinds:
    ok green, warning / merged / conflict amber, error red).  ``show()``, which the view calls
    whenever they change, draws it (``draw(message, kind)``) in the line of the button that
    caused it and empties the other lines.  A press of a button made by ``button`` empties the
    message first, so an earlier result never stays beside a new one; an error the press raises
    is logged through the page's ``Guard`` and shown in that line (kind ``error``).  A message no
    button of the panel caused (another page's save taken in, a case opened) goes to the first
    line that is shown (``line(..., shown=)``: false while its part of the form is hidden); a
    result whose line the press hid goes to the line named ``instead`` (e.g. 確定's to the
    finalised plan's), else to the first line shown.
    """

    def __init__(self, model: t.HasTraits, guard: Guard, *, message: str = "message", kind: str = "message_kind",
                 draw: Callable[[str, str], str] | None = None):
        self.model, self.guard = model, guard
        self._names = (message, kind)
        self._draw = draw or (lambda text, how: render("app/review_message.html.j2", message=text, kind=how))
        self.lines: dict[str, w.HTML] = {}
        self._shown_when: dict[str, Callable[[], bool]] = {}
        self._instead: dict[str, str] = {}
        self.at = ""                       # the line of the button that caused the message
        self._pressing = False
        self._drawn = ("", "")

    def line(self, key: str, css: str, *, shown: Callable[[], bool] | None = None, instead: str = "") -> w.HTML:
        """The status line ``key`` (CSS class ``teichaku-<css>``), to place below its buttons."""
        made = w.HTML()
        made.add_class("teichaku-status")
        made.add_class(f"teichaku-{css}")
        self.lines[key] = made
        self._shown_when[key] = shown or (lambda: True)
        if instead:
            self._instead[key] = instead
        return made

    def button(self, label: str, css: str, action, what: str, *, line: str, **kwargs) -> w.Button:
        """A button (``common.button``) whose result is shown in the line ``line``."""
        return button(self.guard, label, css, lambda: self.press(line, action, what), what, **kwargs)

    def press(self, line: str, action, what: str) -> None:
        """Do ``action()`` for the button of ``line``: its message, or its error, shown there."""
        self._pressing = True
        try:
            self._set("", "")
            self.at = line
            try:
                action()
            except Exception as error:  # shown beside the button, logged for developers
                self._set(self.guard.logged(error, what), "error")
        finally:
            self._pressing = False
        self.show()

    def _set(self, message: str, kind: str) -> None:
        name, kind_name = self._names
        with self.model.hold_trait_notifications():
            setattr(self.model, name, message)
            if kind_name:
                setattr(self.model, kind_name, kind)

    def message(self) -> tuple[str, str]:
        name, kind_name = self._names
        return getattr(self.model, name), (getattr(self.model, kind_name) if kind_name else "ok") or "ok"

    def where(self) -> str:
        """The line the message is shown in."""
        if self.at in self.lines and self._shown_when[self.at]():
            return self.at
        instead = self._instead.get(self.at, "")
        if instead and self._shown_when[instead]():
            return instead
        return next((key for key, shown in self._shown_when.items() if shown()), next(iter(self.lines)))

    def show(self, _change=None) -> None:
        message, kind = self.message()
        if (message, kind) != self._drawn and not self._pressing:
            self.at = ""                   # not a press of this panel's buttons: the first line
        self._drawn = (message, kind)
        at = self.where()
        for key, widget in self.lines.items():
            value = self._draw(message, kind) if key == at else self._draw("", "")
            if widget.value != value:
                widget.value = value


class Counted(w.VBox):
    """A Textarea with its length under it (「123 / 1000字」), in red beyond ``limit``."""

    def __init__(self, area: w.Textarea, limit: int, **kwargs):
        self.area, self.limit = area, limit
        self.count = w.HTML(layout=w.Layout(width=area.layout.width or "98%"))
        self.count.add_class("teichaku-count")
        super().__init__([area, self.count], layout=w.Layout(width="100%"), **kwargs)
        area.observe(self._counted, names="value")
        self._counted()

    def _counted(self, _change=None) -> None:
        value = render("app/text_count.html.j2", count=len(self.area.value or ""), limit=self.limit)
        if self.count.value != value:
            self.count.value = value
