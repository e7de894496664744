"""The records API: ``Store`` on one database, and ``open_store`` / ``open_existing``.

Every save is one transaction, its input checked first (``checks``); no lost update: each
review, action and conference carries a version, and saving with a stale
``expected_version`` raises ``Conflict`` naming who saved the newer version and when; every
create and update writes a history row (who, when, field → old / new) in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from .. import paths
from ..casebook import namesakes
from ..japanese import JST, format_date, format_month
from ..records import (CLOSED_STATES, FIELD_LABELS, NOT_KEPT, RECIPIENT_PARTS, RECIPIENTS, RECORD_CLASSES, REGIONAL,
                       Action, Conference, HistoryEntry, IssuedReport, Review)
from .access_log import AccessLog
from .accounts import AccountRecords
from .checks import (ACTION_CHECKS, Conflict, StoreError, action_values, by_whom, checked_choice, checked_date,
                     checked_id, checked_text, checked_version, conference_values, month_text, review_values, to_month)
from .engine import CONNECT_TIMEOUT_S, PG_LOCK_KEY, WRITE, default_path, postgresql_engine, sqlite_engine, sqlite_file
from .employment_checks import EmploymentCheckRecords
from .handovers import HandoverRecords
from .not_kept import NotKeptRecords, history_entry
from .plans import PlanRecords, stored_goal
from .tables import (JSON_COLUMNS, LIST_COLUMNS, MIGRATIONS, MONTH_COLUMNS, RECORD_TABLES, SCHEMA_VERSION, metadata,
                     t_actions, t_conferences, t_history, t_issued_reports, t_reviews, t_schema_version)

OWN_HISTORY = "teichaku_history_ids"      # conn.info: the history ids a write transaction added


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _where(table: sa.Table, *, office: str | None = None, month=None, user_id: str | None = None) -> list:
    """Conditions on the columns given (None: any value)."""
    where = []
    if office is not None:
        where.append(table.c.office == office)
    if month is not None:
        where.append(table.c.month == month_text(month))
    if user_id is not None:
        where.append(table.c.user_id == user_id)
    return where


def open_store(url: str | None = None, *, book_path: Path | str | None = None,
               known_users: Mapping[str, Iterable[str]] | None = None, readonly: bool = False,
               books: Iterable = ()) -> Store:
    """Open (and create or migrate) the store at ``url``.

    ``url`` is a SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://user:pw@host/db``)
    or a plain file path (a SQLite file); without one, the SQLite file beside ``book_path``
    (``default_path``).  ``known_users`` (office key → 利用者ID) makes saves for a user who is
    not in that office's workbook an error.

    Records are kept under the office's key (``CaseBook.key``: its 事業所番号, or its name
    without one).  When opened for writing with the ``books`` of the source, records an
    earlier version kept under an office's name move to its 事業所番号 (``adopt_office``).

    A SQLite file that holds anything but a teichaku store (another program's tables, or not
    a database at all) is refused before anything is written to it.  ``readonly`` is for
    commands that only read: the database must already be a store of this schema version; it
    is opened read-only (SQLite ``mode=ro``, PostgreSQL read-only transactions) and never
    created, migrated or switched to WAL.
    """
    if url is None and book_path is None:
        raise StoreError("会議記録のデータベースの場所（URL）かケース記録のブックを指定してください")
    if url is None or "://" not in url:
        # Built, not parsed: a file name may hold characters a URL gives meaning to (? #).
        path = default_path(book_path) if url is None else Path(url).absolute()
        if path == paths.demo_db_path() and not readonly:
            paths.data_dir(create=True)
        parsed = sa.engine.URL.create("sqlite", database=str(path))
    else:
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise StoreError(f"データベースの URL を読めません: {url}") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = sqlite_engine(parsed, readonly=readonly)
        else:
            engine = postgresql_engine(parsed, readonly=readonly)
    except (ImportError, sa.exc.NoSuchModuleError) as error:
        raise StoreError(f"データベースの URL に使えない種類です（{parsed.drivername}）: {error}") from None
    store = Store(engine, known_users=known_users)
    try:
        store._prepare(readonly=readonly)
        if not readonly:
            for name, key in renamed_offices(books).items():
                store.adopt_office(name, key)
    except sa.exc.DBAPIError as error:
        engine.dispose()
        why = (f"{CONNECT_TIMEOUT_S}秒待っても応答がありません（サーバーの場所とネットワークを確かめてください）"
               if "timeout" in str(error.orig).lower() else error.orig)
        raise StoreError(f"会議記録のデータベース（{store.location}）を開けません: {why}") from error
    except BaseException:
        engine.dispose()
        raise
    return store


def open_existing(url: str | None = None, *, book_path: Path | str | None = None,
                  known_users: Mapping[str, Iterable[str]] | None = None) -> Store | None:
    """``open_store(readonly=True)`` for commands that only read: never creates or alters a
    database.

    Without ``url`` the file beside the workbook is used when it exists (None when it does
    not: the conference has not saved anything yet); a SQLite ``url`` naming a missing file
    is a ``StoreError`` (a typo must not look like an empty store).
    """
    if url is None:
        if book_path is None or not default_path(book_path).exists():
            return None
    else:
        try:
            path = sqlite_file(url)
        except sa.exc.ArgumentError:
            raise StoreError(f"データベースの URL を読めません: {url}") from None
        if path is not None and not path.exists():
            raise StoreError(f"会議記録のデータベースが見つかりません: {path}")
    return open_store(url, book_path=book_path, known_users=known_users, readonly=True)


def renamed_offices(books: Iterable) -> dict[str, str]:
    """Office name → 事業所番号 for the offices whose records an earlier version may have kept
    under their name: only a name that one office of the source has (two offices of one name
    cannot tell which records were whose)."""
    books = list(books)
    shared = namesakes(books)
    return {b.office: b.key for b in books if b.key != b.office and b.office not in shared}


class Store(HandoverRecords, EmploymentCheckRecords, PlanRecords, NotKeptRecords, AccountRecords, AccessLog):
    """Conference records on one database.  Open with ``open_store``.  The handover records'
    methods are in ``handovers``, the 就労確認's in ``employment_checks``, the monitorings' and
    the support plans' in ``plans``, what was typed and not kept in ``not_kept``; the staff
    accounts' in ``accounts`` and the access log's in ``access_log``."""

    def __init__(self, engine: sa.Engine, *, known_users: Mapping[str, Iterable[str]] | None = None):
        self.engine = engine
        self._written: set[int] = set()      # history ids of the changes made through this Store
        self.known_users: dict[str, frozenset[str]] = {}
        for office, ids in (known_users or {}).items():
            self.register_users(office, ids)

    # -- plumbing

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def location(self) -> str:
        """Where the records are, for people: the file, or the URL without its password."""
        url = self.engine.url
        if self.is_sqlite and url.database:
            return url.database
        return url.render_as_string(hide_password=True)

    def describe(self) -> str:
        return f"会議記録のデータベース: {self.location}"

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def register_users(self, office: str, user_ids: Iterable[str]) -> None:
        """Make saves for ``office`` accept only these 利用者ID (from its CaseBook)."""
        self.known_users[office] = frozenset(str(u) for u in user_ids)

    def adopt_office(self, name: str, key: str) -> int:
        """Move the records kept under an office's ``name`` to its ``key`` (its 事業所番号), once:
        only while nothing is kept under the key yet.  Returns how many rows moved."""
        tables = (*RECORD_TABLES, t_history)
        with self._write() as conn:
            if any(conn.execute(sa.select(table.c.id).where(table.c.office == key).limit(1)).first()
                   for table in tables):
                return 0
            return sum(conn.execute(sa.update(table).where(table.c.office == name).values(office=key)).rowcount
                       for table in tables)

    def _check_user(self, office: str, user_id: str) -> None:
        known = self.known_users.get(office)
        if known is not None and user_id not in known:
            raise StoreError(f"利用者ID {user_id} はこの事業所（{office}）のケース記録にありません")

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite); commits when the block ends."""
        with self.engine.connect() as conn:
            conn.execution_options(**{WRITE: True})
            try:
                with conn.begin():
                    yield conn
                self._written |= conn.info.get(OWN_HISTORY, set())    # committed: this Store wrote them
            finally:
                conn.info.pop(OWN_HISTORY, None)

    def _read(self):
        return self.engine.connect()

    def _prepare(self, *, readonly: bool = False) -> None:
        """Create the tables in an empty database, or migrate one from an earlier version.
        ``readonly``: only check that the database is a store of this version."""
        if readonly:
            with self._read() as conn:
                if "schema_version" not in set(sa.inspect(conn).get_table_names()):
                    raise StoreError(f"{self.location} には teichaku の会議記録がありません")
                found = conn.scalar(sa.select(sa.func.max(t_schema_version.c.version))) or 0
            if found > SCHEMA_VERSION:
                raise StoreError(f"このデータベースは新しい版の teichaku_nb（スキーマ {found}）で作られています。"
                                 f"teichaku_nb を更新してください（この版はスキーマ {SCHEMA_VERSION} まで）")
            if found < SCHEMA_VERSION:
                raise StoreError(f"このデータベースは前の版の teichaku_nb（スキーマ {found}）で作られています。"
                                 "読むだけのコマンドは書き換えないため、先に会議アプリ（teichaku app）で開いて"
                                 f"新しい版（スキーマ {SCHEMA_VERSION}）に更新してください")
            return
        with self._write() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            tables = set(sa.inspect(conn).get_table_names())
            if "schema_version" not in tables:
                if tables & set(metadata.tables):
                    raise StoreError("このデータベースには版の記録（schema_version）がありません。teichaku の会議記録ではないようです")
                metadata.create_all(conn)
                conn.execute(t_schema_version.insert().values(version=SCHEMA_VERSION, applied_at=_now()))
                return
            found = conn.scalar(sa.select(sa.func.max(t_schema_version.c.version))) or 0
            if found > SCHEMA_VERSION:
                raise StoreError(f"このデータベースは新しい版の teichaku_nb（スキーマ {found}）で作られています。"
                                 f"teichaku_nb を更新してください（この版はスキーマ {SCHEMA_VERSION} まで）")
            for version in range(found + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](conn)
                conn.execute(t_schema_version.insert().values(version=version, applied_at=_now()))

    def schema_version(self) -> int:
        with self._read() as conn:
            return conn.scalar(sa.select(sa.func.max(t_schema_version.c.version)))

    def counts(self) -> dict[str, int]:
        """Rows per table (for checks and summaries)."""
        with self._read() as conn:
            return {t.name: conn.scalar(sa.select(sa.func.count()).select_from(t))
                    for t in (*RECORD_TABLES, t_history)}

    # -- rows <-> records, history

    @staticmethod
    def _record(table: sa.Table, row) -> object:
        cls = RECORD_CLASSES[table.name]
        values = {}
        for f in fields(cls):
            value = row._mapping[f.name]
            if f.name in MONTH_COLUMNS:
                value = None if value is None else pd.Period(value, freq="M")
            elif f.name == "goals":
                value = tuple(stored_goal(goal) for goal in json.loads(value))
            elif f.name in LIST_COLUMNS or (f.name in JSON_COLUMNS and value is not None):
                value = tuple(json.loads(value))
            values[f.name] = value
        return cls(**values)

    @staticmethod
    def _plain(name: str, value):
        """A stored value as JSON for the history."""
        if value is None:
            return None
        if name in LIST_COLUMNS or name in JSON_COLUMNS:
            return json.loads(value)
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return value

    def _log(self, conn, table: sa.Table, record_id: int, operation: str, changes: dict,
             *, office: str, user_id: str | None, by: str, now: dt.datetime) -> int:
        payload = {k: [self._plain(k, old), self._plain(k, new)] for k, (old, new) in changes.items()}
        return self._add_history(conn, table, record_id, operation, payload, office=office, user_id=user_id,
                                 by=by, now=now)

    @staticmethod
    def _add_history(conn, table: sa.Table, record_id: int, operation: str, payload: dict,
                     *, office: str, user_id: str | None, by: str, now: dt.datetime) -> int:
        result = conn.execute(t_history.insert().values(
            office=office, user_id=user_id, record_kind=table.name, record_id=record_id,
            operation=operation, changed_by=by, changed_at=now,
            changes=json.dumps(payload, ensure_ascii=False)))
        entry_id = result.inserted_primary_key[0]
        conn.info.setdefault(OWN_HISTORY, set()).add(entry_id)
        return entry_id

    def _insert(self, conn, table: sa.Table, values: dict, *, by: str):
        now = _now()
        result = conn.execute(table.insert().values(
            **values, version=1, created_by=by, created_at=now, updated_by=by, updated_at=now))
        record_id = result.inserted_primary_key[0]
        # office and user_id are columns of the history row itself.
        changes = {k: (None, v) for k, v in values.items()
                   if k not in ("office", "user_id") and v not in (None, "", "[]")}
        self._log(conn, table, record_id, "create", changes, office=values["office"],
                  user_id=values.get("user_id"), by=by, now=now)
        return conn.execute(sa.select(table).where(table.c.id == record_id)).one()

    def _locked(self, conn, table: sa.Table, *where):
        """The current row, locked until the transaction ends (FOR UPDATE; SQLite holds the write lock)."""
        return conn.execute(sa.select(table).where(*where).with_for_update()).first()

    def _update(self, conn, table: sa.Table, current, values: dict, expected: int, *, by: str, label: str):
        if current.version != expected:
            raise Conflict(label, self._record(table, current), expected)
        changes = {k: (current._mapping[k], v) for k, v in values.items() if current._mapping[k] != v}
        if not changes:
            return current
        now = _now()
        result = conn.execute(
            table.update().where(table.c.id == current.id, table.c.version == expected)
            .values(**{k: new for k, (_, new) in changes.items()},
                    version=expected + 1, updated_by=by, updated_at=now))
        if result.rowcount != 1:      # cannot happen while the row is locked; never overwrite silently
            fresh = conn.execute(sa.select(table).where(table.c.id == current.id)).one()
            raise Conflict(label, self._record(table, fresh), expected)
        self._log(conn, table, current.id, "update", changes, office=current.office,
                  user_id=current._mapping.get("user_id"), by=by, now=now)
        return conn.execute(sa.select(table).where(table.c.id == current.id)).one()

    def _select(self, table: sa.Table, *where, order=()) -> list:
        with self._read() as conn:
            rows = conn.execute(sa.select(table).where(*where).order_by(*order, table.c.id)).all()
        return [self._record(table, row) for row in rows]

    def _check_conference(self, conn, conference_id: int | None, office: str) -> None:
        if conference_id is None:
            return
        found = conn.execute(sa.select(t_conferences.c.office).where(t_conferences.c.id == conference_id)).first()
        if found is None or found.office != office:
            raise StoreError(f"会議ID {conference_id} はこの事業所（{office}）の会議記録にありません")

    # -- conferences

    def save_conference(self, conference: Conference, *, by: str, expected_version: int | None = None,
                        not_kept: Mapping[str, object] | None = None) -> Conference:
        """Create (``conference.id`` None) or update a conference; returns it as saved.
        ``not_kept``: what ``by`` typed into fields and chose not to keep (``record_not_kept``),
        kept in the history with the save."""
        by = by_whom(by)
        values = conference_values(conference)
        conference_id = checked_id(conference.id, "会議ID")
        expected = checked_version(expected_version, required=conference_id is not None)
        if conference_id is None and expected is not None:
            raise StoreError("新しい会議記録に版（expected_version）は指定できません")
        with self._write() as conn:
            if conference_id is None:
                row = self._insert(conn, t_conferences, values, by=by)
            else:
                current = self._locked(conn, t_conferences, t_conferences.c.id == conference_id)
                if current is None:
                    raise StoreError(f"会議ID {conference_id} の記録はありません")
                if current.office != values["office"]:
                    raise StoreError("会議記録の事業所は変更できません")
                row = self._update(conn, t_conferences, current, values, expected, by=by, label="会議記録")
            self._log_not_kept(conn, t_conferences, row, not_kept, by=by)
        return self._record(t_conferences, row)

    def conference(self, conference_id: int) -> Conference | None:
        found = self._select(t_conferences, t_conferences.c.id == conference_id)
        return found[0] if found else None

    def conferences(self, office: str | None = None, month=None) -> list[Conference]:
        return self._select(t_conferences, *_where(t_conferences, office=office, month=month),
                            order=(t_conferences.c.held_on,))

    # -- case reviews

    def save_review(self, review: Review, *, by: str, expected_version: int | None,
                    not_kept: Mapping[str, object] | None = None) -> Review:
        """Save the review of (office, user_id, month).

        ``expected_version`` is the version the caller read, or None for a review that
        must be new.  If someone saved in between, ``Conflict`` is raised and nothing changes.
        ``not_kept``: what ``by`` typed into fields and chose not to keep (a conflict settled
        for the saved text, ``record_not_kept``), kept in the history with the save.
        """
        by = by_whom(by)
        values = review_values(review)
        expected = checked_version(expected_version, required=False)
        office, user_id, month = values["office"], values["user_id"], values["month"]
        self._check_user(office, user_id)
        key = (t_reviews.c.office == office, t_reviews.c.user_id == user_id, t_reviews.c.month == month)
        try:
            with self._write() as conn:
                self._check_conference(conn, values["conference_id"], office)
                current = self._locked(conn, t_reviews, *key)
                if current is None:
                    if expected is not None:
                        raise StoreError(f"{user_id} の{format_month(to_month(month))}のケース検討は保存されていません"
                                         "（版を指定せずに新しく保存してください）")
                    row = self._insert(conn, t_reviews, values, by=by)
                else:
                    row = self._update(conn, t_reviews, current, values, expected, by=by, label="ケース検討")
                self._log_not_kept(conn, t_reviews, row, not_kept, by=by)
        except sa.exc.IntegrityError:
            # Another writer created the same review between our look and our insert
            # (PostgreSQL, read committed): theirs stands, and the caller is told.
            current = self.review(office, user_id, month)
            if current is None:
                raise
            raise Conflict("ケース検討", current, expected) from None
        return self._record(t_reviews, row)

    def review(self, office: str, user_id: str, month) -> Review | None:
        found = self._select(t_reviews, t_reviews.c.office == office, t_reviews.c.user_id == user_id,
                             t_reviews.c.month == month_text(month))
        return found[0] if found else None

    def reviews(self, office: str | None = None, month=None, *, user_id: str | None = None) -> list[Review]:
        where = _where(t_reviews, office=office, month=month, user_id=user_id)
        return self._select(t_reviews, *where, order=(t_reviews.c.office, t_reviews.c.month, t_reviews.c.user_id))

    # -- actions (役割分担)

    def add_action(self, action: Action, *, by: str) -> Action:
        by = by_whom(by)
        values = action_values(action)
        if action.id is not None:
            raise StoreError("新しい役割分担に ID は指定できません（変更は update_action で）")
        self._check_user(values["office"], values["user_id"])
        with self._write() as conn:
            self._check_conference(conn, values["conference_id"], values["office"])
            row = self._insert(conn, t_actions, values, by=by)
        return self._record(t_actions, row)

    def update_action(self, action_id: int, changes: Mapping[str, object], *, by: str,
                      expected_version: int) -> Action:
        """Change some of 内容 / 担当 / 期限 / 状態 / 結果 of an action."""
        by = by_whom(by)
        action_id = checked_id(action_id, "役割分担ID")
        expected = checked_version(expected_version, required=True)
        unknown = sorted(set(changes) - set(ACTION_CHECKS))
        if unknown:
            raise StoreError(f"役割分担の {'、'.join(map(str, unknown))} は変更できません"
                             f"（変更できるのは {'・'.join(FIELD_LABELS[k] for k in ACTION_CHECKS)}）")
        values = {name: ACTION_CHECKS[name](value) for name, value in changes.items()}
        with self._write() as conn:
            current = self._locked(conn, t_actions, t_actions.c.id == action_id)
            if current is None:
                raise StoreError(f"役割分担ID {action_id} の記録はありません")
            row = self._update(conn, t_actions, current, values, expected, by=by, label="役割分担")
        return self._record(t_actions, row)

    def action(self, action_id: int) -> Action | None:
        found = self._select(t_actions, t_actions.c.id == action_id)
        return found[0] if found else None

    def actions(self, office: str | None = None, user_id: str | None = None, *, month=None) -> list[Action]:
        """Actions, optionally of one user or opened in one month."""
        where = _where(t_actions, office=office, month=month, user_id=user_id)
        return self._select(t_actions, *where, order=(t_actions.c.office, t_actions.c.user_id, t_actions.c.month))

    def open_actions(self, office: str, user_id: str | None = None, *, as_of_month) -> list[Action]:
        """Actions opened before ``as_of_month`` and not yet 完了 / 中止: they carry over."""
        where = [t_actions.c.office == office, t_actions.c.month < month_text(as_of_month, "確認する月"),
                 t_actions.c.status.not_in(CLOSED_STATES)]
        if user_id is not None:
            where.append(t_actions.c.user_id == user_id)
        no_due_last = sa.case((t_actions.c.due_on.is_(None), 1), else_=0)
        return self._select(t_actions, *where, order=(t_actions.c.user_id, no_due_last, t_actions.c.due_on))

    # -- 支援レポート sent

    def record_report(self, office: str, user_id: str, month, recipient: str, *, by: str,
                      sent_on: dt.date | None = None) -> IssuedReport:
        """Record that the 支援レポート for ``month`` was given to ``recipient`` on ``sent_on``
        (today by default; never after today, never before ``month`` begins)."""
        by = by_whom(by)
        today = dt.datetime.now(JST).date()
        values = {
            "office": checked_text(office, "事業所", required=True),
            "user_id": checked_text(user_id, "利用者ID", required=True),
            "month": month_text(month),
            "recipient": checked_choice(recipient, RECIPIENTS, "送付先"),
            "sent_on": checked_date(sent_on, "送付日") if sent_on is not None else today,
        }
        if values["sent_on"] > today:
            raise StoreError(f"送付日 {format_date(values['sent_on'])} は今日より後です。送付した日を指定してください")
        first_day = to_month(values["month"]).start_time.date()
        if values["sent_on"] < first_day:
            raise StoreError(f"送付日 {format_date(values['sent_on'])} は{format_month(to_month(values['month']))}より前です。"
                             "送付日か対象年月を確かめてください")
        self._check_user(values["office"], values["user_id"])
        with self._write() as conn:
            row = self._insert(conn, t_issued_reports, values, by=by)
        return self._record(t_issued_reports, row)

    def record_sending(self, office: str, user_ids: Iterable[str], month, recipient: str, *, by: str,
                       sent_on: dt.date | None = None) -> tuple[list[IssuedReport], list[IssuedReport]]:
        """Record a sending for each of ``user_ids`` (a batch), except where the month's
        sendings that stand already reached ``recipient``.  Returns (recorded, already there:
        the record that covers each person left out)."""
        recorded, already = [], []
        for user_id in user_ids:
            standing = self.issued_reports(office, month, user_id=user_id)
            reached = {part for r in standing for part in RECIPIENT_PARTS[r.recipient]}
            if RECIPIENT_PARTS.get(recipient, {recipient}) <= reached:
                already.append(standing[-1])
            else:
                recorded.append(self.record_report(office, user_id, month, recipient, by=by, sent_on=sent_on))
        return recorded, already

    def withdraw_report(self, report_id: int, *, by: str, expected_version: int,
                        reason: str = "") -> IssuedReport:
        """Withdraw a mistaken sending record: it stays (with who withdrew it, when and why)
        and no longer counts as sent.  The history keeps the record and its withdrawal."""
        return self._withdraw(t_issued_reports, report_id, by=by, expected_version=expected_version, reason=reason,
                              id_label="送付記録ID", label="送付の記録")

    def _withdraw(self, table: sa.Table, record_id: int, *, by: str, expected_version: int, reason: str,
                  id_label: str, label: str):
        """Mark a record of an append-only table withdrawn (who, when, why), checking its version."""
        by = by_whom(by)
        record_id = checked_id(record_id, id_label)
        expected = checked_version(expected_version, required=True)
        reason = checked_text(reason, "取消の理由")
        with self._write() as conn:
            current = self._locked(conn, table, table.c.id == record_id)
            if current is None:
                raise StoreError(f"{id_label} {record_id} の記録はありません")
            if current.withdrawn_at is not None:
                raise StoreError(f"{id_label} {record_id} は {current.withdrawn_by} さんが取り消し済みです")
            row = self._update(conn, table, current,
                               {"withdrawn_by": by, "withdrawn_at": _now(), "withdrawn_reason": reason},
                               expected, by=by, label=label)
        return self._record(table, row)

    def issued_report(self, report_id: int) -> IssuedReport | None:
        found = self._select(t_issued_reports, t_issued_reports.c.id == report_id)
        return found[0] if found else None

    def issued_reports(self, office: str | None = None, month=None, *, user_id: str | None = None,
                       include_withdrawn: bool = False) -> list[IssuedReport]:
        """Sending records, oldest first; withdrawn ones only with ``include_withdrawn``."""
        where = _where(t_issued_reports, office=office, month=month, user_id=user_id)
        if not include_withdrawn:
            where.append(t_issued_reports.c.withdrawn_at.is_(None))
        return self._select(t_issued_reports, *where,
                            order=(t_issued_reports.c.office, t_issued_reports.c.month, t_issued_reports.c.user_id))

    # -- history

    def history(self, office: str | None = None, user_id: str | None = None) -> list[HistoryEntry]:
        """Every change, oldest first: of one case (``user_id``), of an office, or of all."""
        where = _where(t_history, office=office, user_id=user_id)
        with self._read() as conn:
            rows = conn.execute(sa.select(t_history).where(*where).order_by(t_history.c.id)).all()
        return [history_entry(r) for r in rows]

    def change_mark(self, office: str) -> tuple[int, int]:
        """(how many, the last id) of the office's changes: it moves whenever anyone saves (a
        page compares it every few seconds before asking what changed)."""
        with self._read() as conn:
            count, last = conn.execute(sa.select(sa.func.count(), sa.func.max(t_history.c.id))
                                       .where(t_history.c.office == office)).one()
        return count, last or 0

    def changes_by_others(self, office: str, since: dt.datetime) -> list[HistoryEntry]:
        """The office's changes made at or after ``since`` through another Store (another page,
        another computer, the command line), oldest first."""
        with self._read() as conn:
            rows = conn.execute(sa.select(t_history).where(t_history.c.office == office,
                                                           t_history.c.changed_at >= since)
                                .order_by(t_history.c.id)).all()
        # a not-kept entry changes no record: nothing to take in
        return [history_entry(r) for r in rows if r.id not in self._written and r.operation != NOT_KEPT]

    # -- frames for the rules (rules.agenda(shared_reports=..., open_actions=...))

    def shared_reports_frame(self, office: str, months=None) -> pd.DataFrame:
        """支援レポート sent, as recorded here (withdrawn records left out): user_id, month
        (period[M]), recipient, sent_on."""
        records = self.issued_reports(office)
        if months is not None:
            wanted = {to_month(m) for m in months}
            records = [r for r in records if r.month in wanted]
        return pd.DataFrame({
            "user_id": pd.array([r.user_id for r in records], dtype="string"),
            "month": pd.PeriodIndex([r.month for r in records], freq="M"),
            "recipient": pd.array([r.recipient for r in records], dtype="string"),
            "sent_on": pd.to_datetime(pd.Series([r.sent_on for r in records], dtype="object")),
        })

    def regional_reviews_frame(self, office: str) -> pd.DataFrame:
        """The reviews made at a 地域連携会議 with outside participants (the 地域連携会議実施加算):
        user_id, month (period[M]), held_on, presenter, conference_id."""
        meetings = {c.id: c for c in self.conferences(office)
                    if c.kind == REGIONAL and c.outside_participants}
        rows = [(r.user_id, r.month, meetings[r.conference_id].held_on, meetings[r.conference_id].presenter or "",
                 r.conference_id) for r in self.reviews(office) if r.conference_id in meetings]
        return pd.DataFrame({
            "user_id": pd.array([r[0] for r in rows], dtype="string"),
            "month": pd.PeriodIndex([r[1] for r in rows], freq="M"),
            "held_on": pd.to_datetime(pd.Series([r[2] for r in rows], dtype="object")),
            "presenter": pd.array([r[3] for r in rows], dtype="string"),
            "conference_id": pd.array([r[4] for r in rows], dtype="Int64"),
        })

    def open_actions_frame(self, office: str, as_of_month) -> pd.DataFrame:
        """Open actions from conferences before ``as_of_month``: action_id, user_id, month
        (the month that opened it, period[M]), content, owner, due_on (datetime64), status."""
        records = self.open_actions(office, as_of_month=as_of_month)
        return pd.DataFrame({
            "action_id": pd.array([r.id for r in records], dtype="Int64"),
            "user_id": pd.array([r.user_id for r in records], dtype="string"),
            "month": pd.PeriodIndex([r.month for r in records], freq="M"),
            "content": pd.array([r.content for r in records], dtype="string"),
            "owner": pd.array([r.owner for r in records], dtype="string"),
            "due_on": pd.to_datetime(pd.Series([r.due_on for r in records], dtype="object")),
            "status": pd.array([r.status for r in records], dtype="string"),
        })
