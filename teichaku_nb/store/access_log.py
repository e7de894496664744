"""The access log: who signed in, opened whose case, made or exported what, and who changed the
staff accounts; the Store's methods for it.

Append-only: the Store has no method that changes or deletes an entry, and the database
refuses an UPDATE or DELETE of ``access_log`` from anyone (``tables.APPEND_ONLY_DDL``: SQLite
triggers, a PostgreSQL trigger function).  Each entry is one short transaction of its own, or
part of the transaction of the account change it records (``store/accounts.py``).

Entries name the person as they were at the time (login, name, role), so a later change of
an account does not rewrite what was done.  ``staff=None`` with ``login=`` is for an entry no
signed-in person made: a failed sign-in (the login typed: kept cut to ``TYPED_LOGIN`` characters,
control characters replaced, so that any attempt is recorded) or the command line
(``端末:<OS user>``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from ..japanese import JST, format_date
from ..staff import ROLES, Staff
from .checks import LONG_TEXT, SHORT_TEXT, StoreError, checked_date, checked_text
from .tables import t_access_log

__all__ = ["ACTIONS", "AccessLog", "action_label", "day_bounds", "document_entries", "document_lists"]

# Each action's key (kept in the log, in --json) → its label for staff.
ACTIONS = {
    "sign_in": "サインイン",
    "sign_in_failed": "サインイン失敗",
    "locked_out": "ロック",
    "sign_out": "サインアウト",
    "timed_out": "操作なしでサインアウト",
    "case_opened": "ケースを開いた",
    "audit_viewed": "運営指導の準備を確認",
    "document_made": "帳票を作成",
    "exported": "書き出し",
    "account_added": "アカウント追加",
    "password_changed": "パスワード変更",
    "account_disabled": "アカウント無効化",
    "log_exported": "アクセス記録の書き出し",
}

TYPED_LOGIN = 100             # characters of a typed login kept in the log
ADDRESS = 100                 # an IPv6 address with its zone is far shorter
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def utc_now() -> dt.datetime:
    """Now, in UTC: the ``at`` of an entry (and the time of the account change it records)."""
    return dt.datetime.now(dt.timezone.utc)


def action_label(action: str) -> str:
    """The Japanese label of an action (the key itself for one this version does not know)."""
    return ACTIONS.get(action, action)


def typed_login(text) -> str:
    """What someone typed as a login, fit for the log whatever it is (never refused)."""
    text = _CONTROL.sub("\ufffd", str(text))
    return text if len(text) <= TYPED_LOGIN else text[:TYPED_LOGIN - 1] + "…"


def _optional(value, label: str, limit: int) -> str | None:
    if value is None:
        return None
    text = checked_text(value, label, limit=limit)
    return text if text.strip() else None


def day_bounds(since: dt.date | None, until: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The UTC moments of the first day's start and of the day after the last day's start, the
    days being 日本時間's (``until`` is included whole)."""
    since = checked_date(since, "開始日", required=False)
    until = checked_date(until, "終了日", required=False)
    if since is not None and until is not None and since > until:
        raise StoreError(f"開始日 {format_date(since)} が終了日 {format_date(until)} より後です")

    def start(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=JST).astimezone(dt.timezone.utc)
    return (None if since is None else start(since),
            None if until is None else start(until + dt.timedelta(days=1)))


def document_lists(names: Iterable[str], limit: int = SHORT_TEXT) -> list[str]:
    """File names joined with commas, as few texts as hold them all within ``limit`` characters
    (default: what an entry keeps of its ``document``: a batch of 支援レポート takes several)."""
    found: list[str] = []
    for name in names:
        if found and len(found[-1]) + 1 + len(name) <= limit:
            found[-1] += "," + name
        else:
            found.append(name)
    return found


def document_entries(names: Iterable[str], detail: str | None = None) -> list[tuple[str, str | None]]:
    """The (document, detail) of the ``document_made`` (or ``exported``) entries for the files
    ``names``: one entry, or one per ``document_lists`` text, its detail ending with which of how
    many (「（2/3）」).  Used by the app and the command line alike."""
    lists = document_lists(names)
    return [(document, f"{detail or ''}{f'（{number}/{len(lists)}）' if len(lists) > 1 else ''}" or None)
            for number, document in enumerate(lists, 1)]


def access_values(staff: Staff | None, action: str, *, office=None, user_id=None, document=None, detail=None,
                  address=None, login=None) -> dict:
    """An entry's columns, every value checked (Japanese errors); ``at`` is added on writing."""
    if action not in ACTIONS:
        raise StoreError(f"アクセス記録の操作「{action}」はありません（使えるのは {'・'.join(ACTIONS)}）")
    if staff is not None:
        if not isinstance(staff, Staff):
            raise StoreError(f"アクセス記録の職員は staff.Staff で指定してください（{type(staff).__name__} が渡されました）")
        if login is not None and login != staff.login:
            raise StoreError(f"アクセス記録の職員（{staff.login}）とログイン名（{login}）が違います")
        if staff.role not in ROLES:
            raise StoreError(f"役割は {'・'.join(ROLES)} のどれかです（{staff.role!r} は使えません）")
        who = {"login": checked_text(staff.login, "ログイン名", required=True, limit=SHORT_TEXT),
               "name": checked_text(staff.name, "職員の名前", required=True, limit=SHORT_TEXT),
               "role": staff.role}
    else:
        if login is None or not str(login).strip():
            raise StoreError("アクセス記録には職員（staff）かログイン名（login）が必要です")
        who = {"login": typed_login(login), "name": None, "role": None}
    return {
        **who,
        "action": action,
        "office": _optional(office, "事業所", SHORT_TEXT),
        "user_id": _optional(user_id, "利用者ID", SHORT_TEXT),
        "document": _optional(document, "帳票", SHORT_TEXT),
        "detail": _optional(detail, "詳細", LONG_TEXT),
        "address": _optional(address, "接続元", ADDRESS),
    }


def entry(row) -> dict:
    """An entry as the API gives it: English keys, ``at`` a timezone-aware UTC datetime."""
    found = dict(row._mapping)
    found["action_label"] = action_label(found["action"])
    return found


class AccessLog:
    """The Store's methods for the access log (mixed into ``Store``)."""

    @contextmanager
    def _logged_write(self, what: str) -> Iterator[sa.Connection]:
        """``_write``, with a database that cannot take the write said in Japanese."""
        try:
            with self._write() as conn:
                yield conn
        except sa.exc.DBAPIError as error:
            raise StoreError(f"{what}を書き込めません（{self.location}: {error.orig}）") from error

    @staticmethod
    def _append_access(conn: sa.Connection, values: dict, *, at: dt.datetime | None = None) -> int:
        """Add an entry inside the caller's transaction; returns its id."""
        result = conn.execute(t_access_log.insert().values(**values, at=at or utc_now()))
        return result.inserted_primary_key[0]

    def log_access(self, staff: Staff | None, action: str, *, office: str | None = None, user_id: str | None = None,
                   document: str | None = None, detail: str | None = None, address: str | None = None,
                   login: str | None = None) -> None:
        """Add one entry to the access log, in a transaction of its own.

        ``staff`` is who did it; None with ``login`` for a sign-in that failed (the login typed)
        or the command line.  ``action`` is a key of ``ACTIONS``.  ``office`` and ``user_id`` the
        case concerned, ``document`` what was made or exported, ``detail`` anything else (never a
        password), ``address`` the client's IP address.  Raises ``StoreError`` (Japanese) for a
        value that cannot be kept or a database that cannot take the write; the caller decides."""
        values = access_values(staff, action, office=office, user_id=user_id, document=document, detail=detail,
                               address=address, login=login)
        with self._logged_write("アクセス記録") as conn:
            self._append_access(conn, values)

    def access_entries(self, *, since: dt.date | None = None, until: dt.date | None = None,
                       login: str | None = None) -> list[dict]:
        """The entries from ``since`` to ``until`` (days in 日本時間, both included; None: no
        bound) of ``login`` (None: everyone), oldest first.  Each a dict: id, at (UTC),
        login, name, role, action, action_label, office, user_id, document, detail, address."""
        start, end = day_bounds(since, until)
        where = []
        if start is not None:
            where.append(t_access_log.c.at >= start)
        if end is not None:
            where.append(t_access_log.c.at < end)
        if login is not None:
            where.append(t_access_log.c.login == login)
        with self._read() as conn:
            rows = conn.execute(sa.select(t_access_log).where(*where)
                                .order_by(t_access_log.c.at, t_access_log.c.id)).all()
        return [entry(row) for row in rows]
