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
"""

from __future__ import annotations

import functools
import logging
import sys

import ipywidgets as w
import pandas as pd
import traitlets as t

from ..errors import FormError, StaffError
from ..japanese import format_date, format_month
from ..markup import NO_VALUE

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
        if isinstance(error, StaffError):      # expected (an empty field, a conflict): no traceback
            log.info("%s: %s", what, error)
        else:
            log.error("%s: %s", what, error, exc_info=(type(error), error, error.__traceback__))
        self.error = error_text(error, what)

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

    def __init__(self, model, guard: Guard, *, css: str, what: str, placeholder: str, width: str = "26em"):
        self.choice = w.Dropdown(description="取り消す記録", style={"description_width": "7em"},
                                 layout=w.Layout(width=width))
        self.reason = w.Text(description="理由", placeholder=placeholder, style={"description_width": "3em"},
                             layout=w.Layout(width="18em"))
        w.link((model, "withdraw_reason"), (self.reason, "value"))
        self.choice.observe(guard.wrap(lambda change: setattr(model, "withdraw_id", change["new"] or 0),
                                       "取り消す記録の選択"), names="value")
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
