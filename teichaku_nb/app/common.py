"""What the panels' models share: Japanese formatting, the 記録者 check (the signed-in person:
``who_records``), the access log (``log_access``), and the callback guard.

``Guard`` is the one place where a callback's exception is caught: it is shown to the user in
Japanese (``Guard.error``), never lost, and logged to ``paths.app_log_path()``: a bug with its
traceback (for developers), a staff error (``errors.StaffError``: an empty field, a record
someone else saved first) as one INFO line.
Views wrap every ``on_click`` / ``observe`` callback with ``guard.wrap``; models wrap the
observers they register themselves.  Long text is refused beyond its limit
(``check_lengths``; the limits are the store's, ``store.checks.LONG_TEXT`` / ``SHORT_TEXT``).
Nothing here is a widget: the views' shared pieces are ``views/common.py``.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Iterable

import pandas as pd
import traitlets as t

from ..errors import FormError, StaffError
from ..japanese import format_date, format_month
from ..markup import NO_VALUE
from ..store.access_log import document_entries

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


def who_records(store, staff, what: str, doing: str = "記録", *, user_id: str | None = None,
                action: str | None = None) -> str:
    """The 記録者 of ``doing`` (記録, 保存, …) ``what``: the signed-in person's name (``staff``, a
    ``staff.Staff`` the server named; never a name typed on the page).  Refused in Japanese when
    the store is not open, when a case is needed (``user_id`` given) and none is open, when
    nobody is signed in, or when ``action`` (a key of ``staff.ALLOWED``) needs a role this
    person does not have (``staff.Refused``)."""
    from ..store import StoreError
    if store is None:
        raise StoreError(f"会議記録のデータベースが開けていないため、{what}を{doing}できません")
    if user_id is not None and not user_id:
        raise FormError(f"ケースを開いてから{doing}してください")
    by = staff.name.strip() if staff is not None else ""
    if not by:
        raise FormError(f"サインインした職員がわからないため、{what}を{doing}できません。ページを開き直してください")
    if action is not None:
        staff.check(action)
    return by


def log_access(context, action: str, **details) -> str:
    """Write ``action`` (case_opened, document_made, …) to the store's access log for the
    signed-in person (``Store.log_access``, with the context's office).  Returns "" when written,
    or when there is nothing to write it to or nobody to write it for (no store: the page shows
    it cannot save; nobody signed in: only outside ``teichaku app``); else the Japanese message
    staff see, logged.  It never raises: what the person did (a case opened, a document made)
    stands, and the message says the log lacks it."""
    store, staff = context.store, context.staff
    if store is None or staff is None:
        return ""
    try:
        store.log_access(staff, action, office=context.office or None, **details)
    except Exception as error:  # the work is kept; the message says the log lacks it
        log.error("access log (%s): %s", action, error, exc_info=(type(error), error, error.__traceback__))
        shown = error if isinstance(error, StaffError) else f"{type(error).__name__}: {error}"
        return f"アクセス記録に書き込めませんでした（{shown}）。管理者に連絡してください"
    return ""


def log_documents(context, names: Iterable[str], *, user_id: str | None = None, detail: str | None = None) -> str:
    """``document_made`` in the access log for the files ``names`` (one entry, or one per
    ``document_lists`` text, their detail saying which of how many: ``store.access_log``'s
    ``document_entries``, shared with the command line); as ``log_access``."""
    for document, part_detail in document_entries(names, detail):
        failed = log_access(context, "document_made", user_id=user_id, document=document, detail=part_detail)
        if failed:
            return failed
    return ""


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


def check_lengths(texts: Iterable[tuple[str, str | None, int]], doing: str = "保存") -> None:
    """Refuse, in Japanese, text longer than its limit: ``texts`` are (label, text, limit)."""
    too_long = [f"{label}（{len(text):,}字・{limit:,}字まで）" for label, text, limit in texts
                if text and len(text) > limit]
    if too_long:
        raise FormError(f"長すぎる項目があります: {'、'.join(too_long)}。短くしてから{doing}してください")
