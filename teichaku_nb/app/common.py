"""What every panel shares: Japanese formatting, buttons and the callback guard.

The panels' HTML comes from the templates in ``templates/html/app`` (``markup.render``, with
autoescape); the pieces they share (the level badge, the flag list, a table of records) are
the macros of ``app/_macros.html.j2``.

``Guard`` is the one place where a callback's exception is caught: it is shown to the user in
Japanese (``Guard.error``), never lost, and logged to ``paths.app_log_path()``: a bug with its
traceback (for developers), a staff error (``errors.StaffError``: an empty field, a record
someone else saved first) as one INFO line.
Views wrap every ``on_click`` / ``observe`` callback with ``guard.wrap``; models wrap the
observers they register themselves.

What a panel's button did is said beside it (``Results``): its success, warning or error in a
status line right below the button, replaced by the button's next result; the guard logs the
error as above but the top of the page does not show it.  Long text shows how long it is
(``Counted``: 「123 / 1000字」) and is refused beside the save button beyond its limit
(``check_lengths``; the limits are the store's, ``store.checks.LONG_TEXT`` / ``SHORT_TEXT``).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterable

import ipywidgets as w
import pandas as pd
import traitlets as t

from ..errors import FormError, StaffError
from ..japanese import format_date, format_month
from ..markup import NO_VALUE, render

log = logging.getLogger("teichaku_nb.app")


def setup_logging() -> None:
    """Send the app's log to ``paths.app_log_path()`` (``server.applog``: rotated at 1 MB, shared
    with the server and the other kernels), not to a cell's output, where callbacks' messages are
    lost, nor to the terminal that runs ``teichaku app`` (which shows staff only what they
    need: ``server.launcher``).  Only when the file cannot be written does it go to the
    process's real stderr."""
    if any(getattr(h, "_teichaku", False) for h in log.handlers):
        return
    from ..server.applog import AppLogHandler

    formatter = logging.Formatter("[teichaku app] %(asctime)s %(levelname)s %(message)s")
    try:
        handlers: list[logging.Handler] = [AppLogHandler()]
    except OSError as error:                       # a read-only home: the terminal has it instead
        print(f"[teichaku app] ログファイルを作れません: {error}", file=sys.__stderr__)
        handlers = [logging.StreamHandler(sys.__stderr__)]
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._teichaku = True
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def day(value) -> str:
    """2026年10月3日, or — when missing."""
    if value is None or pd.isna(value):
        return NO_VALUE
    if isinstance(value, pd.Timestamp):
        value = value.date()
    return format_date(value)


def month_label(month) -> str:
    return format_month(pd.Period(month, freq="M"))


def error_text(error: BaseException, what: str) -> str:
    """The message staff see for an exception raised while doing ``what``."""
    if isinstance(error, StaffError):            # the data or the input: the message says what
        return f"{what}ができませんでした: {error}"
    return (f"{what}ができませんでした（{type(error).__name__}: {error}）。"
            "画面を再読み込みしてやり直してください。続くときは管理者に連絡してください。")


class Guard(t.HasTraits):
    """Catches, logs and shows the errors of callbacks (Voila would swallow them)."""

    error = t.Unicode("")      # the latest error, in Japanese; "" when none

    def clear(self) -> None:
        self.error = ""

    def report(self, error: BaseException, what: str) -> None:
        self.error = self.logged(error, what)

    @staticmethod
    def logged(error: BaseException, what: str) -> str:
        """Log ``error`` (see the module's docstring) and give the message staff see; the caller
        shows it (``report``: at the top of the page; ``Results``: beside the button pressed)."""
        if isinstance(error, StaffError):      # expected (an empty field, a conflict): no traceback
            log.info("%s: %s", what, error)
        else:
            log.error("%s: %s", what, error, exc_info=(type(error), error, error.__traceback__))
        return error_text(error, what)

    def wrap(self, fn, what: str = "操作"):
        """``fn`` that never raises: its exception is logged and shown instead."""
        @functools.wraps(fn)
        def guarded(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as error:  # every callback: shown to the user, logged for developers
                self.report(error, what)
                return None
        return guarded


def who_records(store, recorder: str, what: str, doing: str = "記録", *, user_id: str | None = None) -> str:
    """The 記録者 typed at the top of the page, for ``doing`` (記録, 保存, …) ``what``; refused
    in Japanese when the store is not open, when a case is needed (``user_id`` given) and none
    is open, or when no name is typed."""
    from ..store import StoreError
    if store is None:
        raise StoreError(f"会議記録のデータベースが開けていないため、{what}を{doing}できません")
    if user_id is not None and not user_id:
        raise FormError(f"ケースを開いてから{doing}してください")
    by = recorder.strip()
    if not by:
        raise FormError(f"記録者（画面上部）に名前を入力してから{doing}してください")
    return by


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


def to_withdraw(records: list[dict], withdraw_id: int, reason: str, what: str, *,
                reason_required: bool = True) -> tuple[dict, str]:
    """The standing record chosen in a ``WithdrawRow`` and the reason given, or a FormError
    saying what is missing (``what``: the kind of record, e.g. 「引継ぎの記録」)."""
    chosen = next((r for r in records if r["id"] == withdraw_id and not r["withdrawn"]), None)
    if chosen is None:
        raise FormError(f"取り消す{what}を選んでください")
    reason = reason.strip()
    if reason_required and not reason:
        raise FormError("取り消す理由を入力してください")
    return chosen, reason


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


def check_lengths(texts: Iterable[tuple[str, str | None, int]], doing: str = "保存") -> None:
    """Refuse, in Japanese, text longer than its limit: ``texts`` are (label, text, limit)."""
    too_long = [f"{label}（{len(text):,}字・{limit:,}字まで）" for label, text, limit in texts
                if text and len(text) > limit]
    if too_long:
        raise FormError(f"長すぎる項目があります: {'、'.join(too_long)}。短くしてから{doing}してください")
