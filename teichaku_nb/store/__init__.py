"""The review store: what the monthly case conference decides, kept for years.

The spreadsheet is the office's record of contacts and attendance; this store keeps the
conference records that ``records.py`` defines (conferences, case reviews with the level
and flags the conference saw, actions and their carry-over, 支援レポート sendings and their
withdrawal, the handover (引継ぎ) records, the 就労確認 recorded in the app, the plan cycle's
monitorings and support plans, and the history of every change).

- ``engine``: where a store is (a SQLite file beside the workbook by default, PostgreSQL by
  URL; the same code for both) and how it is opened; other programs' files are refused
  untouched, and commands that only read open it read-only;
- ``tables``: the tables, built from the records' declarations in ``records.py``, and the
  schema's migrations (a writer migrates an older store);
- ``checks``: every input checked before anything is written, and the store's errors;
- ``api``: ``Store``, ``open_store`` / ``open_existing`` (the store decides nothing: ``office_month`` reads it for the rules);
- ``handovers``: the Store's methods for the handover records (引継ぎ);
- ``employment_checks``: the Store's methods for the 就労確認;
- ``plans``: the Store's methods for the monitorings and the support plans (個別支援計画);
- ``accounts``: the Store's methods for the staff accounts (sign-in: argon2id hashes, roles);
- ``access_log``: the Store's methods for the access log (append-only in the database too);
- ``export``: the records as an Excel workbook (a sheet per record, its columns as declared).

Months are ``pd.Period`` (freq M) at the API and ``YYYY-MM`` text in the database.  Dates
are ``datetime.date``; timestamps are timezone-aware UTC (shown in 日本時間 to people).
"""

from ..japanese import JST, format_time
from ..records import (ACTION_STATES, CLOSED_STATES, CONFERENCE_KINDS, EVALUATIONS, HANDOVER_PARTIES, PLAN_DECISIONS,
                       RECIPIENTS, REGIONAL, REGULAR, Action, Conference, EmploymentCheck, Handover, HistoryEntry,
                       IssuedReport, PlanMonitoring, Review, SupportPlan)
from .api import Store, open_existing, open_store
from .checks import Conflict, StoreError, to_month
from .engine import default_path, default_url, shown_location, sqlite_file
from .export import export_workbook
from .tables import SCHEMA_VERSION, metadata

__all__ = ["ACTION_STATES", "CLOSED_STATES", "CONFERENCE_KINDS", "EVALUATIONS", "PLAN_DECISIONS", "PlanMonitoring",
           "SupportPlan", "HANDOVER_PARTIES", "EmploymentCheck", "Handover", "JST", "RECIPIENTS", "REGIONAL", "REGULAR",
           "SCHEMA_VERSION", "Action", "Conference", "Conflict", "HistoryEntry", "IssuedReport", "Review", "Store",
           "StoreError", "default_path", "default_url", "export_workbook", "format_time", "metadata",
           "open_existing", "open_store", "shown_location", "sqlite_file", "to_month"]
