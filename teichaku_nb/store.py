"""The review store: what the monthly case conference decides, kept for years.

The spreadsheet is the office's record of contacts and attendance; this store keeps the
conference records (shared/review-rules.md, "Conference records"):

- conferences: office, target month, date, kind (定例ケース会議 / 地域連携会議), attendees,
  and for the 地域連携会議実施加算 the outside participants and who presented;
- case reviews: one per user and month (職場 / 生活 / 心身 の現状, 課題, 検討内容, 方針,
  本人の意向, 次回確認事項 and the conference's own judgement), with the level and flags the
  conference saw when it saved (the 会議録 prints those, not what the rules say later);
- actions (役割分担): 内容, 担当, 期限, 状態, 結果, the month and conference that opened them;
  an action stays open, and is shown at every later review of the same user, until it is
  完了 or 中止;
- 支援レポート sent: user, month, recipient, the day it was given, who recorded it.  Only a
  person records a sending (making a document never does); a mistaken record is withdrawn,
  not deleted: it stays, marked with who withdrew it and when, and stops counting.

Read top to bottom: constants, the tables (SQLAlchemy Core), the records (dataclasses),
input checks, opening a store (engine, SQLite pragmas, schema migrations), the Store class,
and the workbook export.

Guarantees:

- One URL selects the engine: a SQLite file by default (``default_url``: beside the workbook)
  or ``postgresql+psycopg://...`` for an organisation on one server.  Same code for both.
- Every save is one transaction; input is checked before anything is written, so a bad
  input leaves no half-written record.  Text is stored verbatim (no truncation, no markup
  handling: escaping is the job of whoever builds HTML).
- No lost update: each review, action and conference carries a version; saving with a stale
  ``expected_version`` raises ``Conflict`` naming who saved the newer version and when.
- Every create and update writes a history row (who, when, field → old / new) in the same
  transaction.
- A database written by an earlier version of the package is migrated when opened.

Months are ``pd.Period`` (freq M) at the API and ``YYYY-MM`` text in the database.  Dates
are ``datetime.date``; timestamps are timezone-aware UTC (shown in 日本時間 to people).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

from . import paths
from .japanese import format_date, format_month
from .rules import CLOSED_ACTION_STATES, FLAGS, LEVELS, agenda
from .schema import REPORTS

# --- constants ------------------------------------------------------------------------------

SCHEMA_VERSION = 3                 # the schema this code writes; see MIGRATIONS below
DEFAULT_FILE_NAME = "teichaku.sqlite"
SQLITE_SUFFIX = ".teichaku.sqlite"
BUSY_TIMEOUT_S = 10                # SQLite: wait this long for another writer's lock
MAX_TEXT = 30_000                  # characters: far above any real note, below a workbook cell's 32,767

REGULAR = "定例ケース会議"
REGIONAL = "地域連携会議"            # a case meeting with outside bodies (地域連携会議実施加算)
CONFERENCE_KINDS = (REGULAR, REGIONAL)
JUDGEMENTS = LEVELS                # 要対応 / 注意 / 安定: the rules' levels
ACTION_STATES = ("未着手", "対応中", "完了", "中止")
CLOSED_STATES = CLOSED_ACTION_STATES
RECIPIENTS = REPORTS.column("recipient").choices      # 本人 / 企業 / 本人・企業
_RECIPIENT_PARTS = {"本人": {"本人"}, "企業": {"企業"}, "本人・企業": {"本人", "企業"}}

JST = dt.timezone(dt.timedelta(hours=9), "JST")      # Japan has no daylight saving time
_WRITE = "teichaku_write"          # execution option: this connection is about to write
_PG_LOCK_KEY = 0x7465696368616B75  # "teichaku": serialises schema set-up on PostgreSQL
# Control characters a workbook cannot hold (and PostgreSQL refuses NUL); tab and newlines are fine.
_ILLEGAL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MONTH_TEXT = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class StoreError(ValueError):
    """Bad input or a store that cannot be used; the message is Japanese, for staff."""


class Conflict(Exception):
    """Saving over a newer version: someone else saved this record after it was read.

    ``current`` is the record as stored now (the app shows it beside the caller's text);
    ``saved_by`` / ``saved_at`` say who saved it and when.  Nothing was written.
    """

    def __init__(self, label: str, current, expected_version: int | None):
        self.current = current
        self.saved_by: str = current.updated_by
        self.saved_at: dt.datetime = current.updated_at
        self.expected_version = expected_version
        super().__init__(
            f"この{label}は {self.saved_by} さんが {format_time(self.saved_at)} に保存しています"
            f"（版 {current.version}）。内容を確かめてから保存し直してください。")


def format_time(moment: dt.datetime) -> str:
    """2026年11月20日 14:05, in 日本時間."""
    local = moment.astimezone(JST)
    return f"{format_date(local)} {local:%H:%M}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- the tables -----------------------------------------------------------------------------

class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC timestamp on every engine (SQLite keeps naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


# Tables are named t_<table>; the Store's methods of the same name read them.
metadata = sa.MetaData()


def _stamps() -> list[sa.Column]:
    """What every saved row carries: its version and who saved it when."""
    return [
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ]


def _text_column(name: str) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=False, server_default=sa.text("''"))


t_schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

t_conferences = sa.Table(
    "conferences", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("month", sa.String(7), nullable=False),                  # YYYY-MM
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("attendees", sa.Text, nullable=False),                   # JSON list of names
    # Schema 2 (地域連携会議実施加算): outside participants (JSON list) and who presented.
    sa.Column("outside_participants", sa.Text, nullable=False, server_default=sa.text("'[]'")),
    sa.Column("presenter", sa.Text),
    *_stamps(),
    sa.Index("ix_conferences_office_month", "office", "month"),
)

t_reviews = sa.Table(
    "reviews", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("conference_id", sa.Integer, sa.ForeignKey("conferences.id")),
    _text_column("workplace"), _text_column("life"), _text_column("health"),
    _text_column("issues"), _text_column("discussion"), _text_column("policy"),
    _text_column("wishes"), _text_column("next_check"),
    sa.Column("judgement", sa.Text),
    # Schema 3: the level and flags (JSON list) shown to the conference when it saved.
    sa.Column("saved_level", sa.Text),
    sa.Column("saved_flags", sa.Text),
    *_stamps(),
    sa.UniqueConstraint("office", "user_id", "month", name="uq_reviews_case_month"),
)

t_actions = sa.Table(
    "actions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("month", sa.String(7), nullable=False),                  # the month that opened it
    sa.Column("conference_id", sa.Integer, sa.ForeignKey("conferences.id")),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("due_on", sa.Date),
    sa.Column("status", sa.Text, nullable=False),
    _text_column("result"),
    *_stamps(),
    sa.Index("ix_actions_office_user", "office", "user_id"),
)

t_issued_reports = sa.Table(
    "issued_reports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("recipient", sa.Text, nullable=False),
    sa.Column("sent_on", sa.Date, nullable=False),
    # Schema 3: a mistaken record is withdrawn (kept, no longer counted).
    sa.Column("withdrawn_by", sa.Text),
    sa.Column("withdrawn_at", UTCDateTime),
    _text_column("withdrawn_reason"),
    *_stamps(),
    sa.Index("ix_issued_reports_office_month", "office", "month"),
)

t_history = sa.Table(
    "history", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text),                                     # None for a conference
    sa.Column("record_kind", sa.Text, nullable=False),                 # the table's name
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("operation", sa.Text, nullable=False),                   # create / update
    sa.Column("changed_by", sa.Text, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("changes", sa.Text, nullable=False),                     # JSON {field: [old, new]}
    sa.Index("ix_history_office_user", "office", "user_id"),
)

RECORD_TABLES = (t_conferences, t_reviews, t_actions, t_issued_reports)
_LIST_COLUMNS = {"attendees", "outside_participants"}                  # JSON lists in Text
_JSON_COLUMNS = {"saved_flags"}                                        # JSON (or NULL) in Text

KIND_LABELS = {"conferences": "会議", "reviews": "ケース検討", "actions": "役割分担",
               "issued_reports": "支援レポート送付"}
OPERATION_LABELS = {"create": "作成", "update": "更新"}
WITHDRAWN_LABEL = "取消"
FIELD_LABELS = {
    "office": "事業所", "user_id": "利用者ID", "month": "対象年月", "conference_id": "会議ID",
    "held_on": "開催日", "kind": "種別", "attendees": "出席者", "outside_participants": "外部参加者",
    "presenter": "発表者",
    "workplace": "職場の現状", "life": "生活の現状", "health": "心身の現状", "issues": "課題",
    "discussion": "検討内容", "policy": "方針", "wishes": "本人の意向", "next_check": "次回確認事項",
    "judgement": "会議の判断", "saved_level": "保存時の区分", "saved_flags": "保存時のフラグ",
    "content": "内容", "owner": "担当", "due_on": "期限", "status": "状態", "result": "結果",
    "recipient": "送付先", "sent_on": "送付日", "withdrawn_by": "取消した人", "withdrawn_at": "取消日時",
    "withdrawn_reason": "取消の理由",
    "id": "ID", "version": "版", "created_by": "作成者", "created_at": "作成日時",
    "updated_by": "更新者", "updated_at": "更新日時",
}


# --- the records ----------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class _Saved:
    """Filled in by the store: leave at the defaults for a new record."""

    id: int | None = None
    version: int = 0
    created_by: str = ""
    created_at: dt.datetime | None = None
    updated_by: str = ""
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class Conference(_Saved):
    office: str
    month: pd.Period                       # the month whose cases are reviewed
    held_on: dt.date                       # 開催日
    kind: str = REGULAR                    # 定例ケース会議 / 地域連携会議
    attendees: tuple[str, ...] = ()        # 出席者 (staff)
    outside_participants: tuple[str, ...] = ()   # 外部参加者 (地域連携会議: required)
    presenter: str | None = None           # 発表者: who presented (地域連携会議: required)


@dataclass(frozen=True)
class Review(_Saved):
    """One user's case review for one month (unique per office, user and month)."""

    office: str
    user_id: str
    month: pd.Period
    workplace: str = ""                    # 職場の現状
    life: str = ""                         # 生活の現状
    health: str = ""                       # 心身の現状
    issues: str = ""                       # 課題
    discussion: str = ""                   # 検討内容
    policy: str = ""                       # 方針
    wishes: str = ""                       # 本人の意向
    next_check: str = ""                   # 次回確認事項
    judgement: str | None = None           # 会議の判断 (安定/注意/要対応), kept beside the computed level
    conference_id: int | None = None
    saved_level: str | None = None         # the computed level the conference saw when saving
    saved_flags: tuple[dict, ...] | None = None   # and its flags: ({code, level, message}, ...)


@dataclass(frozen=True)
class Action(_Saved):
    """An action (役割分担) opened at a user's review in ``month``."""

    office: str
    user_id: str
    month: pd.Period                       # the month whose conference opened it
    content: str                           # 内容
    owner: str                             # 担当
    due_on: dt.date | None = None          # 期限
    status: str = "未着手"                  # 未着手 / 対応中 / 完了 / 中止
    result: str = ""                       # 結果
    conference_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATES


@dataclass(frozen=True)
class IssuedReport(_Saved):
    """A 支援レポート given for ``month``; created_by / created_at: who recorded it, when."""

    office: str
    user_id: str
    month: pd.Period
    recipient: str                         # 本人 / 企業 / 本人・企業
    sent_on: dt.date                       # 送付日
    withdrawn_by: str | None = None        # set by ``Store.withdraw_report``
    withdrawn_at: dt.datetime | None = None
    withdrawn_reason: str = ""

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


@dataclass(frozen=True)
class HistoryEntry:
    office: str
    user_id: str | None
    record_kind: str                       # conferences / reviews / actions / issued_reports
    record_id: int
    operation: str                         # create / update
    changed_by: str
    changed_at: dt.datetime
    changes: dict[str, tuple]              # field -> (old, new); dates as ISO text

    @property
    def label(self) -> str:
        kind = KIND_LABELS.get(self.record_kind, self.record_kind)
        return f"{kind}の{OPERATION_LABELS.get(self.operation, self.operation)}"


_RECORD_CLASSES = {"conferences": Conference, "reviews": Review, "actions": Action,
                   "issued_reports": IssuedReport}


# --- input checks (before anything is written) ----------------------------------------------

def _text(value, label: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise StoreError(f"{label}は文字で入力してください（{type(value).__name__} が渡されました）")
    if required and not value.strip():
        raise StoreError(f"{label}は必須です")
    if len(value) > MAX_TEXT:
        raise StoreError(f"{label}が長すぎます（{len(value):,}文字）。{MAX_TEXT:,}文字以内にしてください")
    if _ILLEGAL_CHARS.search(value):
        raise StoreError(f"{label}に使えない制御文字が含まれています")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise StoreError(f"{label}に保存できない文字が含まれています") from None
    return value


def _optional_text(value, label: str) -> str | None:
    text = _text(value, label)
    return text if text.strip() else None


def _date(value, label: str, *, required: bool = True) -> dt.date | None:
    if value is None or value is pd.NaT:
        if required:
            raise StoreError(f"{label}は必須です")
        return None
    if isinstance(value, dt.datetime):      # also pd.Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise StoreError(f"{label}は日付で指定してください（{value!r} は日付ではありません）")


def to_month(value, label: str = "対象年月") -> pd.Period:
    """A pd.Period (freq M) or text ``YYYY-MM`` as a pd.Period; anything else is an error."""
    if isinstance(value, pd.Period) and value.freqstr.startswith("M"):
        return value
    if isinstance(value, str) and _MONTH_TEXT.match(value):
        return pd.Period(value, freq="M")
    raise StoreError(f"{label}は 2026-10 のような年月で指定してください（{value!r} は使えません）")


def _month_text(value, label: str = "対象年月") -> str:
    return to_month(value, label).strftime("%Y-%m")


def _choice(value, choices: tuple[str, ...], label: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if value not in choices:
        raise StoreError(f"{label}は {'・'.join(choices)} のどれかにしてください（{value!r} は使えません）")
    return value


def _names(value, label: str) -> str:
    """A list of names as JSON text."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise StoreError(f"{label}は名前の一覧で指定してください")
    names = [_text(name, label, required=True) for name in value]
    return json.dumps(names, ensure_ascii=False)


def _by(by) -> str:
    return _text(by, "保存する人の名前", required=True)


def _version(value, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise StoreError("読み込んだときの版（expected_version）を指定してください")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StoreError(f"版（expected_version）は1以上の整数で指定してください（{value!r}）")
    return value


def _id(value, label: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoreError(f"{label}は整数で指定してください（{value!r}）")
    return value


def _conference_values(c: Conference) -> dict:
    kind = _choice(c.kind, CONFERENCE_KINDS, "会議の種別")
    values = {
        "office": _text(c.office, "事業所", required=True),
        "month": _month_text(c.month),
        "held_on": _date(c.held_on, "開催日"),
        "kind": kind,
        "attendees": _names(c.attendees, "出席者"),
        "outside_participants": _names(c.outside_participants, "外部参加者"),
        "presenter": _optional_text(c.presenter, "発表者"),
    }
    if values["attendees"] == "[]":
        raise StoreError("出席者を1人以上入力してください")
    if kind == REGIONAL:
        if values["outside_participants"] == "[]":
            raise StoreError("地域連携会議には外部の参加者（ハローワーク、医療機関、企業など）を1人以上入力してください")
        if values["presenter"] is None:
            raise StoreError("地域連携会議では発表者（ケースを報告した人）を入力してください")
    return values


_REVIEW_TEXTS = ("workplace", "life", "health", "issues", "discussion", "policy", "wishes", "next_check")


def _review_values(r: Review) -> dict:
    values = {
        "office": _text(r.office, "事業所", required=True),
        "user_id": _text(r.user_id, "利用者ID", required=True),
        "month": _month_text(r.month),
        "conference_id": _id(r.conference_id, "会議ID"),
    }
    for name in _REVIEW_TEXTS:
        values[name] = _text(getattr(r, name), FIELD_LABELS[name])
    values["judgement"] = _choice(r.judgement, JUDGEMENTS, "会議の判断", required=False)
    values["saved_level"] = _choice(r.saved_level, LEVELS, "保存時の区分", required=False)
    values["saved_flags"] = _flags(r.saved_flags)
    return values


def _flags(value) -> str | None:
    """The flags a review was saved with, as JSON text (None: not known)."""
    if value is None:
        return None
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise StoreError("保存時のフラグは一覧で指定してください")
    flags = []
    for flag in value:
        if not isinstance(flag, Mapping) or set(flag) != {"code", "level", "message"}:
            raise StoreError("保存時のフラグは code・level・message の組で指定してください")
        flags.append({key: _text(flag[key], "保存時のフラグ", required=True) for key in ("code", "level", "message")})
    return json.dumps(flags, ensure_ascii=False)


# The action fields a later save may change, each with its check.
_ACTION_CHECKS = {
    "content": lambda v: _text(v, "内容", required=True),
    "owner": lambda v: _text(v, "担当", required=True),
    "due_on": lambda v: _date(v, "期限", required=False),
    "status": lambda v: _choice(v, ACTION_STATES, "状態"),
    "result": lambda v: _text(v, "結果"),
}


def _action_values(a: Action) -> dict:
    values = {
        "office": _text(a.office, "事業所", required=True),
        "user_id": _text(a.user_id, "利用者ID", required=True),
        "month": _month_text(a.month, "起票した月"),
        "conference_id": _id(a.conference_id, "会議ID"),
    }
    values.update({name: check(getattr(a, name)) for name, check in _ACTION_CHECKS.items()})
    return values


# --- opening a store ------------------------------------------------------------------------

def default_path(book_path: Path | str) -> Path:
    """The SQLite file beside the workbook.

    ``office.xlsx`` → ``office.teichaku.sqlite`` in the same folder; a folder (of CSV files
    or of office workbooks) → ``<folder>/teichaku.sqlite``.  The bundled demo workbook's
    records go to the per-user data folder instead (``paths.demo_db_path``), never into
    the checkout.
    """
    if paths.is_demo_book(book_path):
        return paths.demo_db_path()
    path = Path(book_path).absolute()
    return path / DEFAULT_FILE_NAME if path.is_dir() else path.with_name(path.stem + SQLITE_SUFFIX)


def default_url(book_path: Path | str) -> str:
    """``default_path`` as a URL (``sqlite:////abs/path/office.teichaku.sqlite``)."""
    return f"sqlite:///{default_path(book_path)}"


def open_store(url: str | None = None, *, book_path: Path | str | None = None,
               known_users: Mapping[str, Iterable[str]] | None = None, readonly: bool = False) -> Store:
    """Open (and create or migrate) the store at ``url``.

    ``url`` is a SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://user:pw@host/db``)
    or a plain file path (a SQLite file); without one, the SQLite file beside ``book_path``
    (``default_path``).  ``known_users`` (office → 利用者ID) makes saves for a user who is
    not in that office's workbook an error.

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
            engine = _sqlite_engine(parsed, readonly=readonly)
        elif readonly:
            engine = sa.create_engine(parsed).execution_options(postgresql_readonly=True)
        else:
            engine = sa.create_engine(parsed)
    except (ImportError, sa.exc.NoSuchModuleError) as error:
        raise StoreError(f"データベースの URL に使えない種類です（{parsed.drivername}）: {error}") from None
    store = Store(engine, known_users=known_users)
    try:
        store._prepare(readonly=readonly)
    except sa.exc.DBAPIError as error:
        engine.dispose()
        raise StoreError(f"会議記録のデータベース（{store.location}）を開けません: {error.orig}") from error
    except BaseException:
        engine.dispose()
        raise
    return store


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL or plain path names (None for other engines and :memory:)."""
    if "://" not in url:
        return Path(url)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def shown_location(url: str) -> str:
    """A store URL or file for people: the URL without its password, or the path as given."""
    if "://" not in url:
        return url
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "（読めない URL）"


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
            path = _sqlite_file(url)
        except sa.exc.ArgumentError:
            raise StoreError(f"データベースの URL を読めません: {url}") from None
        if path is not None and not path.exists():
            raise StoreError(f"会議記録のデータベースが見つかりません: {path}")
    return open_store(url, book_path=book_path, known_users=known_users, readonly=True)


def _sqlite_uri(path: Path, **options: str) -> str:
    from urllib.parse import quote, urlencode
    return f"file:{quote(str(path.absolute()))}?{urlencode(options)}"


def _check_sqlite_file(path: Path, *, readonly: bool) -> None:
    """Refuse a file that is not a teichaku store, looking only through a read-only connection
    (nothing is written to it, nor is it switched to WAL).  A missing or empty file is a new
    store to a writer and an error to a reader."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        if readonly:
            raise StoreError(f"会議記録のデータベースが見つかりません: {path}") from None
        return
    if size == 0:
        if readonly:
            raise StoreError(f"{path} は空のファイルです（teichaku の会議記録ではありません）")
        return
    # Only SQLite opens the file: closing a descriptor of our own would drop the POSIX locks
    # this process's open stores hold on it (see _sqlite_engine).
    import sqlite3
    try:
        connection = sqlite3.connect(_sqlite_uri(path, mode="ro"), uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise StoreError(f"{path} を会議記録のデータベースとして開けません（SQLite のデータベースではありません）。"
                             "teichaku の会議記録のファイル（〜.teichaku.sqlite）を指定してください") from None
        raise StoreError(f"会議記録のデータベース {path} を開けません（{error}）") from error
    if "schema_version" in tables:
        return
    if tables:
        raise StoreError(f"{path} は teichaku の会議記録ではありません（ほかのプログラムのデータベースのようです）。"
                         "このファイルには何も書き込んでいません。別のファイルを指定してください")
    if readonly:
        raise StoreError(f"{path} は空のデータベースです（teichaku の会議記録ではありません）")


def _sqlite_engine(url: sa.engine.URL, *, readonly: bool = False) -> sa.Engine:
    database = url.database
    if database and database != ":memory:":
        path = Path(database)
        _check_sqlite_file(path, readonly=readonly)
    if readonly:
        if not database or database == ":memory:":
            raise StoreError("読むだけのコマンドには会議記録のデータベースのファイルを指定してください")
        return _sqlite_readonly_engine(url)
    if database and database != ":memory:":
        if not path.parent.is_dir():
            raise StoreError(f"会議記録のデータベースを置くフォルダ {path.parent} がありません")
        # Records about people's health: only the owner may read the file.  SQLite gives its
        # -wal and -shm files the same permissions as the database file.  Only a new file is
        # touched: closing a descriptor of an open database would drop the POSIX locks every
        # connection of this process holds on it, and another process could then delete the
        # WAL under them ("disk I/O error", lost saves).
        if not path.exists():
            try:
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
            except FileExistsError:
                pass                       # made by another process meanwhile: theirs is as good
            except OSError as error:
                raise StoreError(f"会議記録のデータベース {path} を作れません（{error.strerror or error}）") from error
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Transactions are ours: stop the sqlite3 module from emitting BEGIN itself
        # (SQLAlchemy's documented recipe), so "_on_begin" below chooses the BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL").fetchall()
        # WAL with synchronous=NORMAL already survives a killed process (a committed
        # transaction is in the WAL file); FULL also syncs the WAL on every commit, so an
        # acknowledged save survives a power cut too.  Saves are few: the fsync is cheap.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the write lock at BEGIN: reading first and upgrading later could
        # fail with "database is locked" instead of waiting for the busy timeout.
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _sqlite_readonly_engine(url: sa.engine.URL) -> sa.Engine:
    """Connections that cannot write (``mode=ro``): no journal mode or other pragma that
    changes the file is set.  The URL still names the file (for ``Store.location``)."""
    import sqlite3
    uri = _sqlite_uri(Path(url.database), mode="ro")

    def connect():
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        connection.isolation_level = None          # BEGIN is ours, as for writers
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        return connection

    engine = sa.create_engine(url, creator=connect)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")

    return engine


# Schema migrations: MIGRATIONS[n] takes a database at version n − 1 to version n.  Each runs
# on open, inside one transaction with the schema_version row it adds.  Never edit a step
# once released; add the next one and raise SCHEMA_VERSION.

def _migrate_to_2(conn: sa.Connection) -> None:
    """Conferences record outside participants and who presented (地域連携会議実施加算)."""
    conn.execute(sa.text("ALTER TABLE conferences ADD COLUMN outside_participants TEXT NOT NULL DEFAULT '[]'"))
    conn.execute(sa.text("ALTER TABLE conferences ADD COLUMN presenter TEXT"))


def _migrate_to_3(conn: sa.Connection) -> None:
    """Reviews keep the level and flags seen when saving; sending records can be withdrawn."""
    timestamp = "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"
    conn.execute(sa.text("ALTER TABLE reviews ADD COLUMN saved_level TEXT"))
    conn.execute(sa.text("ALTER TABLE reviews ADD COLUMN saved_flags TEXT"))
    conn.execute(sa.text("ALTER TABLE issued_reports ADD COLUMN withdrawn_by TEXT"))
    conn.execute(sa.text(f"ALTER TABLE issued_reports ADD COLUMN withdrawn_at {timestamp}"))
    conn.execute(sa.text("ALTER TABLE issued_reports ADD COLUMN withdrawn_reason TEXT NOT NULL DEFAULT ''"))


MIGRATIONS = {2: _migrate_to_2, 3: _migrate_to_3}
assert sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1)), "one step per version"


# --- the store ------------------------------------------------------------------------------

class Store:
    """Conference records on one database.  Open with ``open_store``."""

    def __init__(self, engine: sa.Engine, *, known_users: Mapping[str, Iterable[str]] | None = None):
        self.engine = engine
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

    def _check_user(self, office: str, user_id: str) -> None:
        known = self.known_users.get(office)
        if known is not None and user_id not in known:
            raise StoreError(f"利用者ID {user_id} はこの事業所（{office}）のケース記録にありません")

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite); commits when the block ends."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

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
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
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
        cls = _RECORD_CLASSES[table.name]
        values = {}
        for f in fields(cls):
            value = row._mapping[f.name]
            if f.name == "month":
                value = pd.Period(value, freq="M")
            elif f.name in _LIST_COLUMNS or (f.name in _JSON_COLUMNS and value is not None):
                value = tuple(json.loads(value))
            values[f.name] = value
        return cls(**values)

    @staticmethod
    def _plain(name: str, value):
        """A stored value as JSON for the history."""
        if value is None:
            return None
        if name in _LIST_COLUMNS or name in _JSON_COLUMNS:
            return json.loads(value)
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return value

    def _log(self, conn, table: sa.Table, record_id: int, operation: str, changes: dict,
             *, office: str, user_id: str | None, by: str, now: dt.datetime) -> None:
        payload = {k: [self._plain(k, old), self._plain(k, new)] for k, (old, new) in changes.items()}
        conn.execute(t_history.insert().values(
            office=office, user_id=user_id, record_kind=table.name, record_id=record_id,
            operation=operation, changed_by=by, changed_at=now,
            changes=json.dumps(payload, ensure_ascii=False)))

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

    def save_conference(self, conference: Conference, *, by: str,
                        expected_version: int | None = None) -> Conference:
        """Create (``conference.id`` None) or update a conference; returns it as saved."""
        by = _by(by)
        values = _conference_values(conference)
        conference_id = _id(conference.id, "会議ID")
        expected = _version(expected_version, required=conference_id is not None)
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
        return self._record(t_conferences, row)

    def conference(self, conference_id: int) -> Conference | None:
        found = self._select(t_conferences, t_conferences.c.id == conference_id)
        return found[0] if found else None

    def conferences(self, office: str | None = None, month=None) -> list[Conference]:
        where = []
        if office is not None:
            where.append(t_conferences.c.office == office)
        if month is not None:
            where.append(t_conferences.c.month == _month_text(month))
        return self._select(t_conferences, *where, order=(t_conferences.c.held_on,))

    # -- case reviews

    def save_review(self, review: Review, *, by: str, expected_version: int | None) -> Review:
        """Save the review of (office, user_id, month).

        ``expected_version`` is the version the caller read, or None for a review that
        must be new.  If someone saved in between, ``Conflict`` is raised and nothing changes.
        """
        by = _by(by)
        values = _review_values(review)
        expected = _version(expected_version, required=False)
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
                             t_reviews.c.month == _month_text(month))
        return found[0] if found else None

    def reviews(self, office: str | None = None, month=None, *, user_id: str | None = None) -> list[Review]:
        where = []
        if office is not None:
            where.append(t_reviews.c.office == office)
        if month is not None:
            where.append(t_reviews.c.month == _month_text(month))
        if user_id is not None:
            where.append(t_reviews.c.user_id == user_id)
        return self._select(t_reviews, *where, order=(t_reviews.c.office, t_reviews.c.month, t_reviews.c.user_id))

    # -- actions (役割分担)

    def add_action(self, action: Action, *, by: str) -> Action:
        by = _by(by)
        values = _action_values(action)
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
        by = _by(by)
        action_id = _id(action_id, "役割分担ID")
        expected = _version(expected_version, required=True)
        unknown = sorted(set(changes) - set(_ACTION_CHECKS))
        if unknown:
            raise StoreError(f"役割分担の {'、'.join(map(str, unknown))} は変更できません"
                             f"（変更できるのは {'・'.join(FIELD_LABELS[k] for k in _ACTION_CHECKS)}）")
        values = {name: _ACTION_CHECKS[name](value) for name, value in changes.items()}
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
        where = []
        if office is not None:
            where.append(t_actions.c.office == office)
        if user_id is not None:
            where.append(t_actions.c.user_id == user_id)
        if month is not None:
            where.append(t_actions.c.month == _month_text(month))
        return self._select(t_actions, *where, order=(t_actions.c.office, t_actions.c.user_id, t_actions.c.month))

    def open_actions(self, office: str, user_id: str | None = None, *, as_of_month) -> list[Action]:
        """Actions opened before ``as_of_month`` and not yet 完了 / 中止: they carry over."""
        where = [t_actions.c.office == office, t_actions.c.month < _month_text(as_of_month, "確認する月"),
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
        by = _by(by)
        today = dt.datetime.now(JST).date()
        values = {
            "office": _text(office, "事業所", required=True),
            "user_id": _text(user_id, "利用者ID", required=True),
            "month": _month_text(month),
            "recipient": _choice(recipient, RECIPIENTS, "送付先"),
            "sent_on": _date(sent_on, "送付日") if sent_on is not None else today,
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
            reached = {part for r in standing for part in _RECIPIENT_PARTS[r.recipient]}
            if _RECIPIENT_PARTS.get(recipient, {recipient}) <= reached:
                already.append(standing[-1])
            else:
                recorded.append(self.record_report(office, user_id, month, recipient, by=by, sent_on=sent_on))
        return recorded, already

    def withdraw_report(self, report_id: int, *, by: str, expected_version: int,
                        reason: str = "") -> IssuedReport:
        """Withdraw a mistaken sending record: it stays (with who withdrew it, when and why)
        and no longer counts as sent.  The history keeps the record and its withdrawal."""
        by = _by(by)
        report_id = _id(report_id, "送付記録ID")
        expected = _version(expected_version, required=True)
        reason = _text(reason, "取消の理由")
        with self._write() as conn:
            current = self._locked(conn, t_issued_reports, t_issued_reports.c.id == report_id)
            if current is None:
                raise StoreError(f"送付記録ID {report_id} の記録はありません")
            if current.withdrawn_at is not None:
                raise StoreError(f"送付記録ID {report_id} は {current.withdrawn_by} さんが取り消し済みです")
            row = self._update(conn, t_issued_reports, current,
                               {"withdrawn_by": by, "withdrawn_at": _now(), "withdrawn_reason": reason},
                               expected, by=by, label="送付の記録")
        return self._record(t_issued_reports, row)

    def issued_report(self, report_id: int) -> IssuedReport | None:
        found = self._select(t_issued_reports, t_issued_reports.c.id == report_id)
        return found[0] if found else None

    def issued_reports(self, office: str | None = None, month=None, *, user_id: str | None = None,
                       include_withdrawn: bool = False) -> list[IssuedReport]:
        """Sending records, oldest first; withdrawn ones only with ``include_withdrawn``."""
        where = [] if include_withdrawn else [t_issued_reports.c.withdrawn_at.is_(None)]
        if office is not None:
            where.append(t_issued_reports.c.office == office)
        if month is not None:
            where.append(t_issued_reports.c.month == _month_text(month))
        if user_id is not None:
            where.append(t_issued_reports.c.user_id == user_id)
        return self._select(t_issued_reports, *where,
                            order=(t_issued_reports.c.office, t_issued_reports.c.month, t_issued_reports.c.user_id))

    # -- history

    def history(self, office: str | None = None, user_id: str | None = None) -> list[HistoryEntry]:
        """Every change, oldest first: of one case (``user_id``), of an office, or of all."""
        where = []
        if office is not None:
            where.append(t_history.c.office == office)
        if user_id is not None:
            where.append(t_history.c.user_id == user_id)
        with self._read() as conn:
            rows = conn.execute(sa.select(t_history).where(*where).order_by(t_history.c.id)).all()
        return [HistoryEntry(
            office=r.office, user_id=r.user_id, record_kind=r.record_kind, record_id=r.record_id,
            operation=r.operation, changed_by=r.changed_by, changed_at=r.changed_at,
            changes={k: tuple(v) for k, v in json.loads(r.changes).items()}) for r in rows]

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


def month_review(book, month, store: Store | None = None):
    """The month's agenda (``rules.agenda``) reading the store's 支援レポート and open actions
    when there is a store (``report_not_shared``, ``overdue_action``); the workbook alone if not."""
    if store is None:
        return agenda(book, month)
    return agenda(book, month, shared_reports=store.shared_reports_frame(book.office),
                  open_actions=store.open_actions_frame(book.office, month))


# --- the workbook export --------------------------------------------------------------------

_EXPORT_COLUMNS = {
    "会議": ("id", "office", "month", "held_on", "kind", "attendees", "outside_participants", "presenter"),
    "ケース検討": ("id", "office", "user_id", "month", "conference_id", *_REVIEW_TEXTS, "judgement", "saved_level",
                   "saved_flags"),
    "役割分担": ("id", "office", "user_id", "month", "conference_id", "content", "owner", "due_on", "status",
                 "result"),
    "支援レポート送付": ("id", "office", "user_id", "month", "recipient", "sent_on", "withdrawn_by", "withdrawn_at",
                       "withdrawn_reason"),
}
_STAMP_COLUMNS = ("version", "created_by", "created_at", "updated_by", "updated_at")
_HISTORY_HEADERS = ("日時", "変更者", "事業所", "利用者ID", "記録の種類", "記録ID", "操作", "項目", "変更前", "変更後")
_EXPORT_HEADER_OVERRIDES = {"month": "対象年月", "created_at": "作成日時（日本時間）",
                            "updated_at": "更新日時（日本時間）"}


def _cell_value(value):
    """A value as a workbook cell: dates as dates, timestamps in 日本時間, lists joined."""
    if value is None:
        return None
    if isinstance(value, pd.Period):
        return value.strftime("%Y-%m")
    if isinstance(value, dt.datetime):
        return value.astimezone(JST).replace(tzinfo=None)
    if isinstance(value, (tuple, list)):
        return "、".join(_flag_text(v) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _flag_text(flag: dict) -> str:
    kind = FLAGS.get(flag["code"])
    return f"【{kind.label if kind else flag['code']}】{flag['message']}"


def _write_sheet(sheet, headers, rows) -> None:
    sheet.append(list(headers))
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([_cell_value(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":          # text that starts with "=" is data, never a formula
                cell.data_type = "s"
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy/mm/dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy/mm/dd"
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, min(40, 2 * len(header) + 4))


def export_workbook(store: Store, office: str | None, out_path: Path | str) -> dict[str, int]:
    """Write the conference records of ``office`` (None: all offices) to a workbook.

    One sheet per record kind (会議, ケース検討, 役割分担, 支援レポート送付, 変更履歴) with
    Japanese headers.  Returns the rows written per sheet.
    """
    from openpyxl import Workbook

    listings = {
        "会議": store.conferences(office),
        "ケース検討": store.reviews(office),
        "役割分担": store.actions(office),
        "支援レポート送付": store.issued_reports(office, include_withdrawn=True),
    }
    book = Workbook()
    book.remove(book.active)
    written = {}
    for title, names in _EXPORT_COLUMNS.items():
        columns = (*names, *_STAMP_COLUMNS)
        headers = [_EXPORT_HEADER_OVERRIDES.get(n, FIELD_LABELS[n]) for n in columns]
        records = listings[title]
        _write_sheet(book.create_sheet(title), headers,
                     ([getattr(r, n) for n in columns] for r in records))
        written[title] = len(records)
    entries = store.history(office)
    rows = [(e.changed_at, e.changed_by, e.office, e.user_id, KIND_LABELS.get(e.record_kind, e.record_kind),
             e.record_id, OPERATION_LABELS.get(e.operation, e.operation), FIELD_LABELS.get(name, name),
             _cell_value(old), _cell_value(new))
            for e in entries for name, (old, new) in e.changes.items()]
    _write_sheet(book.create_sheet("変更履歴"), _HISTORY_HEADERS, rows)
    written["変更履歴"] = len(rows)
    book.save(out_path)
    return written
