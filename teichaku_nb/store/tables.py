"""The tables (SQLAlchemy Core) and the schema's migrations.

Tables are named t_<table>; the Store's methods of the same name read them.  A record's
table is built from its declaration in ``records.py`` (its columns, their types, NULL or not
and their defaults); its keys, constraints and indexes are here.  A database
written by an earlier version of the package is migrated by a writer when opened
(``MIGRATIONS``); readers refuse an older schema rather than change it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import Field

import sqlalchemy as sa

from ..records import (DATE, INTEGER, JSON, LIST, MONTH, RECORD_CLASSES, SAVED_FIELDS, TEXT, TIMESTAMP,
                       record_fields)

SCHEMA_VERSION = 8                 # the schema this code writes; see MIGRATIONS below


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


metadata = sa.MetaData()

# The column type of each way a record's field is kept (records.py: TEXT, MONTH, ...).
_TYPES = {TEXT: sa.Text, MONTH: sa.String(7), DATE: sa.Date, TIMESTAMP: UTCDateTime, INTEGER: sa.Integer,
          LIST: sa.Text, JSON: sa.Text}


def _column(f: Field) -> sa.Column:
    """The column of a record's field, as records.py declares it (``records.column``)."""
    blank = None
    if f.metadata["blank_default"]:
        blank = sa.text("'[]'" if f.metadata["kept_as"] == LIST else "''")
    return sa.Column(f.name, _TYPES[f.metadata["kept_as"]], nullable=f.metadata["nullable"], server_default=blank)


def _record_table(name: str, *keys_and_indexes) -> sa.Table:
    """The table of the record ``RECORD_CLASSES[name]``: ``id``, its fields in the order
    declared, the stamps every saved record has; then what only the table knows (foreign
    keys, unique constraints, indexes)."""
    return sa.Table(
        name, metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        *(_column(f) for f in record_fields(RECORD_CLASSES[name])),
        *(_column(f) for f in SAVED_FIELDS if f.name != "id"),
        *keys_and_indexes,
    )


t_schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

# The records' columns and what each holds: records.py.  The columns a migration added come
# last (schema 2: a conference's outside participants and presenter; 3: a review's saved level
# and flags, a sending's withdrawal; 7: a review's texts for the 支援レポート's readers); the
# tables of schema 4 (handovers), 5 (employment_checks) and 6 (plan_monitorings, support_plans)
# were new.
t_conferences = _record_table("conferences", sa.Index("ix_conferences_office_month", "office", "month"))
t_reviews = _record_table(
    "reviews",
    sa.UniqueConstraint("office", "user_id", "month", name="uq_reviews_case_month"),
    sa.ForeignKeyConstraint(["conference_id"], ["conferences.id"]),
)
t_actions = _record_table(
    "actions",
    sa.ForeignKeyConstraint(["conference_id"], ["conferences.id"]),
    sa.Index("ix_actions_office_user", "office", "user_id"),
)
t_issued_reports = _record_table("issued_reports", sa.Index("ix_issued_reports_office_month", "office", "month"))
t_handovers = _record_table("handovers", sa.Index("ix_handovers_office_user", "office", "user_id"))
t_employment_checks = _record_table("employment_checks",
                                    sa.Index("ix_employment_checks_office_user", "office", "user_id"))
t_plan_monitorings = _record_table(
    "plan_monitorings",
    sa.UniqueConstraint("office", "user_id", "month", name="uq_plan_monitorings_case_month"),
)
t_support_plans = _record_table("support_plans", sa.Index("ix_support_plans_office_user", "office", "user_id"))

t_history = sa.Table(
    "history", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text),                                     # None for a conference
    sa.Column("record_kind", sa.Text, nullable=False),                 # the table's name
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("operation", sa.Text, nullable=False),                   # create / update / not_kept
    sa.Column("changed_by", sa.Text, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("changes", sa.Text, nullable=False),                     # JSON {field: [old, new]}
    sa.Index("ix_history_office_user", "office", "user_id"),
)

# Staff accounts (schema 8): one store holds one organisation's staff, office-wide.  The
# password is kept only as an argon2id hash (store/accounts.py); a disabled account stays.
t_staff_accounts = sa.Table(
    "staff_accounts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("login", sa.Text, nullable=False),                       # what one signs in with
    sa.Column("name", sa.Text, nullable=False),                        # the 記録者 on records
    sa.Column("role", sa.Text, nullable=False),                        # one of staff.ROLES
    sa.Column("password_hash", sa.Text, nullable=False),               # argon2id, never the password
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("disabled_at", UTCDateTime),
    sa.Column("disabled_by", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("password_changed_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("login", name="uq_staff_accounts_login"),
)

# The access log (schema 8): who did what, when, from where; append-only in the database itself
# (APPEND_ONLY_DDL).  login is the person's, or what was typed at a failed sign-in, or
# 端末:<OS user> for the command line; name and role are NULL when no account is known.
t_access_log = sa.Table(
    "access_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("login", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("role", sa.Text),
    sa.Column("action", sa.Text, nullable=False),                      # a key of access_log.ACTIONS
    sa.Column("office", sa.Text),
    sa.Column("user_id", sa.Text),                                     # the person's 利用者ID
    sa.Column("document", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Column("address", sa.Text),                                     # the client's IP address
    sa.Index("ix_access_log_at", "at"),
    sa.Index("ix_access_log_login", "login", "at"),
)

# What makes the access log append-only in the database: an UPDATE, DELETE (or, on PostgreSQL,
# TRUNCATE) of access_log fails whoever runs it, the store's own code included.  Schema 8's
# statements: a change to them is a new migration step, with these kept as they are for step 8.
APPEND_ONLY_MESSAGE = "access_log is append-only: its rows cannot be changed or deleted"
APPEND_ONLY_DDL = {
    "sqlite": (
        "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log\n"
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;",
        "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log\n"
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;",
    ),
    "postgresql": (
        "CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}';\nEND\n$$;",
        "CREATE TRIGGER access_log_no_update_or_delete BEFORE UPDATE OR DELETE ON access_log\n"
        "FOR EACH ROW EXECUTE FUNCTION access_log_append_only();",
        "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log\n"
        "FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();",
    ),
}
# Statements a table needs beyond CREATE TABLE and CREATE INDEX, per dialect (in the schema's
# snapshots too: tests/test_store_schema.py).
EXTRA_DDL = {"access_log": APPEND_ONLY_DDL}


def _make_append_only(conn: sa.Connection) -> None:
    """Create access_log's triggers (after the table)."""
    statements = APPEND_ONLY_DDL.get(conn.dialect.name)
    if statements is None:       # only SQLite and PostgreSQL are stores; never an access log that can be edited
        raise NotImplementedError(f"the access log cannot be made append-only on {conn.dialect.name}")
    for statement in statements:
        conn.exec_driver_sql(statement)


sa.event.listen(t_access_log, "after_create", lambda _table, connection, **_kw: _make_append_only(connection))

RECORD_TABLES = (t_conferences, t_reviews, t_actions, t_issued_reports, t_handovers, t_employment_checks,
                 t_plan_monitorings, t_support_plans)


def _names_kept_as(kept_as: str) -> set[str]:
    return {f.name for cls in RECORD_CLASSES.values() for f in record_fields(cls) if f.metadata["kept_as"] == kept_as}


LIST_COLUMNS = _names_kept_as(LIST)           # JSON lists in Text
JSON_COLUMNS = _names_kept_as(JSON)           # JSON (or NULL) in Text
MONTH_COLUMNS = _names_kept_as(MONTH)         # YYYY-MM (or NULL) in Text


# Schema migrations: MIGRATIONS[n] takes a database at version n − 1 to version n.  Each runs
# on open, inside one transaction with the schema_version row it adds.  Never edit a step
# once released; add the next one and raise SCHEMA_VERSION.
#
# A step that makes a table writes it out as that version defined it, with the helpers below
# (not from records.py), so that a later change to a record comes with a step of its own.

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


def _migrate_to_4(conn: sa.Connection) -> None:
    """The handover records (引継ぎ): a new table, as schema 4 defines it (written out here, so
    that a later change to ``t_handovers`` comes with a step of its own)."""
    frozen = sa.MetaData()
    sa.Table(
        "handovers", frozen,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("office", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("done_on", sa.Date, nullable=False),
        *(_text_column(name) for name in ("value", "party", "with_whom", "note")),
        sa.Column("withdrawn_by", sa.Text),
        sa.Column("withdrawn_at", UTCDateTime),
        _text_column("withdrawn_reason"),
        *_stamps(),
        sa.Index("ix_handovers_office_user", "office", "user_id"),
    )
    frozen.create_all(conn)


def _migrate_to_5(conn: sa.Connection) -> None:
    """The 就労確認 recorded in the app: a new table, as schema 5 defines it."""
    frozen = sa.MetaData()
    sa.Table(
        "employment_checks", frozen,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("office", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("checked_on", sa.Date, nullable=False),
        sa.Column("employment", sa.Text, nullable=False),
        *(_text_column(name) for name in ("method", "note")),
        sa.Column("withdrawn_by", sa.Text),
        sa.Column("withdrawn_at", UTCDateTime),
        _text_column("withdrawn_reason"),
        *_stamps(),
        sa.Index("ix_employment_checks_office_user", "office", "user_id"),
    )
    frozen.create_all(conn)


def _migrate_to_6(conn: sa.Connection) -> None:
    """The plan cycle: the monitorings and the support plans written in the app, two new
    tables as schema 6 defines them."""
    frozen = sa.MetaData()
    sa.Table(
        "plan_monitorings", frozen,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("office", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("monitored_on", sa.Date, nullable=False),
        sa.Column("plan_date", sa.Date),
        sa.Column("evaluations", sa.Text, nullable=False, server_default=sa.text("'[]'")),
        _text_column("decision"),
        *_stamps(),
        sa.UniqueConstraint("office", "user_id", "month", name="uq_plan_monitorings_case_month"),
    )
    sa.Table(
        "support_plans", frozen,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("office", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("based_on", sa.Date),
        sa.Column("review_month", sa.String(7)),
        sa.Column("period_start", sa.Date),
        sa.Column("period_end", sa.Date),
        *(_text_column(name) for name in ("wishes", "overall_policy")),
        sa.Column("goals", sa.Text, nullable=False, server_default=sa.text("'[]'")),
        _text_column("service_manager"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("plan_date", sa.Date),
        sa.Column("consent_on", sa.Date),
        sa.Column("delivered_on", sa.Date),
        sa.Column("withdrawn_by", sa.Text),
        sa.Column("withdrawn_at", UTCDateTime),
        _text_column("withdrawn_reason"),
        *_stamps(),
        sa.Index("ix_support_plans_office_user", "office", "user_id"),
    )
    frozen.create_all(conn)


def _migrate_to_7(conn: sa.Connection) -> None:
    """Reviews keep the texts written for the 支援レポート's readers apart from their own fields."""
    conn.execute(sa.text("ALTER TABLE reviews ADD COLUMN to_person TEXT NOT NULL DEFAULT ''"))
    conn.execute(sa.text("ALTER TABLE reviews ADD COLUMN to_employer TEXT NOT NULL DEFAULT ''"))


def _migrate_to_8(conn: sa.Connection) -> None:
    """Staff accounts and the access log: two new tables as schema 8 defines them, the log
    append-only in the database (its triggers)."""
    frozen = sa.MetaData()
    sa.Table(
        "staff_accounts", frozen,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("disabled_at", UTCDateTime),
        sa.Column("disabled_by", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("password_changed_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("login", name="uq_staff_accounts_login"),
    )
    sa.Table(
        "access_log", frozen,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("login", sa.Text, nullable=False),
        *(sa.Column(name, sa.Text) for name in ("name", "role")),
        sa.Column("action", sa.Text, nullable=False),
        *(sa.Column(name, sa.Text) for name in ("office", "user_id", "document", "detail", "address")),
        sa.Index("ix_access_log_at", "at"),
        sa.Index("ix_access_log_login", "login", "at"),
    )
    frozen.create_all(conn)
    _make_append_only(conn)


MIGRATIONS = {2: _migrate_to_2, 3: _migrate_to_3, 4: _migrate_to_4, 5: _migrate_to_5, 6: _migrate_to_6,
              7: _migrate_to_7, 8: _migrate_to_8}
assert sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1)), "one step per version"


