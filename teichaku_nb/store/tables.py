"""The tables (SQLAlchemy Core) and the schema's migrations.

Tables are named t_<table>; the Store's methods of the same name read them.  A database
written by an earlier version of the package is migrated by a writer when opened
(``MIGRATIONS``); readers refuse an older schema rather than change it.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

SCHEMA_VERSION = 7                 # the schema this code writes; see MIGRATIONS below


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
    # Schema 7: the texts written for the 支援レポート's readers (本人へ, 企業へ).
    _text_column("to_person"), _text_column("to_employer"),
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

# Schema 4: the handover (引継ぎ) records: kind needs (要継続支援 はい / いいえ), consent (引継ぎ
# の同意) or shared (shared with 企業 / 関係機関 / 医療機関), each dated done_on; append-only,
# a mistaken one withdrawn like a sending.
t_handovers = sa.Table(
    "handovers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("done_on", sa.Date, nullable=False),
    _text_column("value"), _text_column("party"), _text_column("with_whom"), _text_column("note"),
    sa.Column("withdrawn_by", sa.Text),
    sa.Column("withdrawn_at", UTCDateTime),
    _text_column("withdrawn_reason"),
    *_stamps(),
    sa.Index("ix_handovers_office_user", "office", "user_id"),
)

# Schema 5: the 就労確認 recorded in the app (employment 継続 / 離職 on checked_on, method 本人 /
# 企業 / その他 or blank), read beside the workbook's sheet by the retention rate on evidence;
# append-only, a mistaken one withdrawn like a sending.
t_employment_checks = sa.Table(
    "employment_checks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("checked_on", sa.Date, nullable=False),
    sa.Column("employment", sa.Text, nullable=False),
    _text_column("method"), _text_column("note"),
    sa.Column("withdrawn_by", sa.Text),
    sa.Column("withdrawn_at", UTCDateTime),
    _text_column("withdrawn_reason"),
    *_stamps(),
    sa.Index("ix_employment_checks_office_user", "office", "user_id"),
)

# Schema 6: the plan cycle.  A monitoring (モニタリング) per person and review month, kept with
# the review: each goal of the plan in force (its 計画作成日 plan_date) evaluated 達成 / 継続 /
# 見直し with a comment (JSON list), the day, and the decision for the plan (継続 / 見直し).
t_plan_monitorings = sa.Table(
    "plan_monitorings", metadata,
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

# Schema 6: the 個別支援計画 written in the app: a draft, edited until finalised (status final,
# plan_date); 同意日 and 交付日 recorded on purpose; goals a JSON list of {domain, goal, support,
# due_on[, evaluation]}; a mistaken plan withdrawn like a sending.
t_support_plans = sa.Table(
    "support_plans", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("based_on", sa.Date),
    sa.Column("review_month", sa.String(7)),
    sa.Column("period_start", sa.Date),
    sa.Column("period_end", sa.Date),
    _text_column("wishes"), _text_column("overall_policy"),
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

RECORD_TABLES = (t_conferences, t_reviews, t_actions, t_issued_reports, t_handovers, t_employment_checks,
                 t_plan_monitorings, t_support_plans)
LIST_COLUMNS = {"attendees", "outside_participants", "evaluations", "goals"}   # JSON lists in Text
JSON_COLUMNS = {"saved_flags"}                                        # JSON (or NULL) in Text
MONTH_COLUMNS = {"month", "review_month"}                             # YYYY-MM (or NULL) in Text


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


MIGRATIONS = {2: _migrate_to_2, 3: _migrate_to_3, 4: _migrate_to_4, 5: _migrate_to_5, 6: _migrate_to_6,
              7: _migrate_to_7}
assert sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1)), "one step per version"


