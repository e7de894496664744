"""Staff accounts: who may sign in to the app, with what role; the Store's methods for them.

One store holds one organisation's staff: accounts are office-wide, not kept per office key.
An account has a login (what one signs in with; Japanese is fine), a name (the 記録者 shown on
the records saved after signing in) and a role (``staff.ROLES``).  Its password is kept only as
an argon2id hash (argon2-cffi's ``PasswordHasher``, its RFC 9106 defaults), re-hashed when those
defaults move (``check_needs_rehash``, at a successful sign-in); it is never printed, logged or
stored in clear.  A password has at least ``MIN_PASSWORD`` characters and is not the login.

Accounts are never deleted: one is disabled (who, when), and stays in the list so that the
records its person made still name someone the office can look up.  The last enabled 管理者
cannot be disabled.  Each change (added, password changed, disabled) writes an access-log
entry in its own transaction (``access_log``).

A login is kept as NFKC (a login typed in full-width ``ｓａｔｏ`` is ``sato``) without spaces
around it, the same when signing in; it is compared as it is (case included).  ``by`` is the
login of the person making a change, or ``端末:<OS user>`` for the command line (no account
may have a login starting so).

The store does not check roles: the caller does (the app's server with
``staff.Staff.check("accounts")``; the command line is whoever can open the store).
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa

from ..staff import ADMIN, ROLES, Staff
from . import access_log
from .checks import StoreError, by_whom, checked_choice, checked_text
from .tables import t_staff_accounts

__all__ = ["Account", "AccountRecords", "MIN_PASSWORD", "TERMINAL", "checked_login", "password_problem"]

MIN_PASSWORD = 10              # characters
MAX_PASSWORD = 1_000           # characters: far above any passphrase, below a costly hash input
MAX_LOGIN = 100
MAX_NAME = 100
TERMINAL = "端末:"             # how the command line names who made a change: 端末:<OS user>


@dataclass(frozen=True)
class Account:
    """A staff account as the API gives it (never its password or hash)."""

    login: str
    name: str
    role: str
    disabled: bool
    created_at: dt.datetime
    password_changed_at: dt.datetime
    created_by: str | None = field(default=None, kw_only=True)
    disabled_at: dt.datetime | None = field(default=None, kw_only=True)
    disabled_by: str | None = field(default=None, kw_only=True)

    @property
    def staff(self) -> Staff:
        """The person at work, as the app knows them after signing in."""
        return Staff(login=self.login, name=self.name, role=self.role)


def described(login: str, name: str, role: str | None = None) -> str:
    """An account for people: ``sato（佐藤 花子・管理者）``, the login once when it is the name."""
    inside = "・".join(part for part in (name if name != login else None, role) if part)
    return f"{login}（{inside}）" if inside else login


def _account(row) -> Account:
    return Account(login=row.login, name=row.name, role=row.role, disabled=bool(row.disabled),
                   created_at=row.created_at, password_changed_at=row.password_changed_at,
                   created_by=row.created_by, disabled_at=row.disabled_at, disabled_by=row.disabled_by)


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of nothing anyone knows: verified against when there is no account to verify, so
    that an unknown login takes as long as a wrong password."""
    return _hasher().hash(secrets.token_urlsafe(32))


def _matches(hashed: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError
    try:
        return _hasher().verify(hashed, password)
    except (VerificationError, InvalidHashError):     # VerifyMismatchError is a VerificationError
        return False


def normal_login(login) -> str:
    """A login as it is kept and looked up: NFKC, no spaces around it (not checked)."""
    return unicodedata.normalize("NFKC", login).strip() if isinstance(login, str) else login


def checked_login(login) -> str:
    login = checked_text(normal_login(login), "ログイン名", required=True, limit=MAX_LOGIN)
    if login.startswith(TERMINAL):
        raise StoreError(f"「{TERMINAL}」で始まるログイン名は使えません（コマンドラインでの操作の記録に使います）")
    return login


def checked_name(name) -> str:
    return checked_text(name.strip() if isinstance(name, str) else name, "名前", required=True, limit=MAX_NAME)


def password_problem(password, login: str) -> str | None:
    """Why ``password`` cannot be the password of ``login`` (Japanese), or None.  The message
    never contains the password."""
    if not isinstance(password, str):
        return "パスワードは文字で入力してください"
    if len(password) < MIN_PASSWORD:
        return f"パスワードは{MIN_PASSWORD}文字以上にしてください"
    if len(password) > MAX_PASSWORD:
        return f"パスワードが長すぎます。{MAX_PASSWORD:,}文字以内にしてください"
    if normal_login(password).casefold() == normal_login(login).casefold():
        return "ログイン名と同じパスワードは使えません"
    return None


def _checked_password(password, login: str) -> str:
    problem = password_problem(password, login)
    if problem is not None:
        raise StoreError(problem)
    return password


class AccountRecords:
    """The Store's methods for staff accounts (mixed into ``Store``, with ``AccessLog``)."""

    # -- reading

    def has_accounts(self) -> bool:
        """Whether any account can sign in (a disabled one cannot)."""
        t = t_staff_accounts
        with self._read() as conn:
            return conn.execute(sa.select(t.c.id).where(sa.not_(t.c.disabled)).limit(1)).first() is not None

    def accounts(self) -> list[Account]:
        """Every account, disabled ones included, in the order they were added."""
        with self._read() as conn:
            rows = conn.execute(sa.select(t_staff_accounts).order_by(t_staff_accounts.c.id)).all()
        return [_account(row) for row in rows]

    def account(self, login: str) -> Account | None:
        with self._read() as conn:
            row = conn.execute(sa.select(t_staff_accounts)
                               .where(t_staff_accounts.c.login == normal_login(login))).first()
        return None if row is None else _account(row)

    def verify_password(self, login: str, password: str) -> Account | None:
        """The account of ``login`` if ``password`` is its password and it is enabled; None for
        an unknown login, a disabled account or a wrong password, all in about the time one
        argon2 verification takes.  A password hashed with older parameters is re-hashed.
        Writes nothing to the access log: the caller says what came of it (``log_access``)."""
        login = normal_login(login)
        if not isinstance(login, str) or not isinstance(password, str) or len(password) > MAX_PASSWORD:
            _matches(_dummy_hash(), "")
            return None
        with self._read() as conn:
            row = conn.execute(sa.select(t_staff_accounts).where(t_staff_accounts.c.login == login)).first()
        if row is None:
            _matches(_dummy_hash(), password)
            return None
        if not _matches(row.password_hash, password) or row.disabled:
            return None
        if _hasher().check_needs_rehash(row.password_hash):
            self._rehash(row, password)
        return _account(row)

    def _rehash(self, row, password: str) -> None:
        """Keep the password under today's parameters; a store that cannot be written now (read-only,
        busy) keeps the old hash, which still verifies, until the next sign-in."""
        hashed = _hasher().hash(password)
        t = t_staff_accounts
        try:
            with self._write() as conn:
                conn.execute(t.update().where(t.c.id == row.id, t.c.password_hash == row.password_hash)
                             .values(password_hash=hashed))
        except sa.exc.DBAPIError:
            pass

    # -- changes (each with its access-log entry, in one transaction)

    @staticmethod
    def _actor(conn, by: str | Staff) -> dict:
        """Who made a change, for the access log: the signed-in person (a ``Staff``, as the app
        passes it: the computer's user in token mode has no account), or a login and its
        account's name and role."""
        if isinstance(by, Staff):
            return {"login": access_log.typed_login(by.login), "name": by.name, "role": by.role}
        row = conn.execute(sa.select(t_staff_accounts.c.name, t_staff_accounts.c.role)
                           .where(t_staff_accounts.c.login == by)).first()
        if row is None:
            return {"login": access_log.typed_login(by), "name": None, "role": None}
        return {"login": by, "name": row.name, "role": row.role}

    def _account_logged(self, conn, by: str | Staff, action: str, detail: str, now: dt.datetime) -> None:
        self._append_access(conn, {**self._actor(conn, by), "action": action, "office": None, "user_id": None,
                                   "document": None, "detail": detail, "address": None}, at=now)

    @staticmethod
    def _locked_account(conn, login: str):
        row = conn.execute(sa.select(t_staff_accounts).where(t_staff_accounts.c.login == login)
                           .with_for_update()).first()
        if row is None:
            raise StoreError(f"ログイン名「{login}」のアカウントはありません")
        return row

    def add_account(self, login: str, name: str, role: str, password: str, *, by: str | Staff) -> Account:
        """Add an account that can sign in at once.  ``StoreError`` (Japanese) for a login
        already used (by a disabled account too), a role not in ``staff.ROLES``, or a password
        too short or equal to the login."""
        actor, by = by, by_whom(by.login if isinstance(by, Staff) else by)
        login = checked_login(login)
        name = checked_name(name)
        role = checked_choice(role, ROLES, "役割")
        hashed = _hasher().hash(_checked_password(password, login))        # before the transaction: it is slow
        taken = StoreError(f"ログイン名「{login}」のアカウントはすでにあります（無効にしたアカウントも含みます）。"
                           "別のログイン名を指定してください")
        t = t_staff_accounts
        with self._logged_write("職員アカウント") as conn:
            if conn.execute(sa.select(t.c.id).where(t.c.login == login)).first() is not None:
                raise taken
            now = access_log.utc_now()
            try:
                conn.execute(t.insert().values(login=login, name=name, role=role, password_hash=hashed,
                                               disabled=False, created_at=now, created_by=by, password_changed_at=now))
            except sa.exc.IntegrityError:      # added meanwhile by another writer (PostgreSQL): nothing is kept
                raise taken from None
            self._account_logged(conn, actor, "account_added", f"{described(login, name, role)}を追加", now)
            row = conn.execute(sa.select(t).where(t.c.login == login)).one()
        return _account(row)

    def set_password(self, login: str, password: str, *, by: str | Staff) -> Account:
        """Give ``login`` a new password (``StoreError`` for an unknown login or a password too
        short or equal to the login).  A disabled account stays disabled."""
        actor, by = by, by_whom(by.login if isinstance(by, Staff) else by)
        login = normal_login(login)
        checked_text(login, "ログイン名", required=True, limit=MAX_LOGIN)
        hashed = _hasher().hash(_checked_password(password, login))
        t = t_staff_accounts
        with self._logged_write("職員アカウント") as conn:
            row = self._locked_account(conn, login)
            now = access_log.utc_now()
            conn.execute(t.update().where(t.c.id == row.id).values(password_hash=hashed, password_changed_at=now))
            self._account_logged(conn, actor, "password_changed", f"{described(login, row.name)}のパスワードを変更", now)
            row = conn.execute(sa.select(t).where(t.c.id == row.id)).one()
        return _account(row)

    def disable_account(self, login: str, *, by: str | Staff) -> Account:
        """Disable ``login``: it can no longer sign in, and stays in the list.  Refused
        (``StoreError``) for an unknown or already disabled account, and for the last enabled
        管理者 (someone must be able to manage the accounts)."""
        actor, by = by, by_whom(by.login if isinstance(by, Staff) else by)
        login = normal_login(login)
        checked_text(login, "ログイン名", required=True, limit=MAX_LOGIN)
        t = t_staff_accounts
        with self._logged_write("職員アカウント") as conn:
            row = self._locked_account(conn, login)
            if row.disabled:
                raise StoreError(f"ログイン名「{login}」のアカウントはすでに無効です")
            if row.role == ADMIN:
                # Lock every enabled 管理者 (PostgreSQL: two 管理者 disabling each other at once wait
                # for each other and the second sees the first's change; SQLite's write lock is whole).
                admins = conn.execute(sa.select(t.c.id).where(t.c.role == ADMIN, sa.not_(t.c.disabled))
                                      .with_for_update()).all()
                if all(a.id == row.id for a in admins):
                    raise StoreError(f"{described(login, row.name)}はただ一人の有効な{ADMIN}のため無効にできません。"
                                     f"先にほかの職員を{ADMIN}として追加してください")
            now = access_log.utc_now()
            conn.execute(t.update().where(t.c.id == row.id).values(disabled=True, disabled_at=now, disabled_by=by))
            self._account_logged(conn, actor, "account_disabled", f"{described(login, row.name, row.role)}を無効化", now)
            row = conn.execute(sa.select(t).where(t.c.id == row.id)).one()
        return _account(row)
