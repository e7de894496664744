"""What was typed and not kept: the Store's methods for it, and history rows as records.

When two people changed the same field and one of them keeps the saved text (a conflict
settled for it), or a draft being typed is replaced by someone's newer plan, the text set aside
is never lost: it is one history entry of its own (operation ``NOT_KEPT``, 採用しなかった入力),
field → (the value typed, the value kept), under who typed it and when.  A save carries it in
its own transaction (``save_review(not_kept=...)`` and the like); ``record_not_kept`` writes one
for a record that is not being saved.  It changes no record, so other pages are not told of it
(``Store.changes_by_others`` leaves it out); the export lists it with the history.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

import sqlalchemy as sa

from ..records import FIELD_LABELS, KIND_LABELS, NOT_KEPT, RECORD_CLASSES, HistoryEntry
from .checks import StoreError, by_whom, checked_id, checked_text
from .tables import RECORD_TABLES, t_history

__all__ = ["NotKeptRecords", "history_entry"]

_TABLES_BY_CLASS = {RECORD_CLASSES[t.name]: t for t in RECORD_TABLES}
_NOT_TYPED = {"id", "office", "user_id", "month", "conference_id", "version", "created_by", "created_at", "updated_by",
              "updated_at", "withdrawn_by", "withdrawn_at", "withdrawn_reason"}
# the fields of each record a person types (what a not-kept entry may name)
_TYPED_FIELDS = {t.name: frozenset(c.name for c in t.columns if c.name not in _NOT_TYPED) for t in RECORD_TABLES}


def history_entry(row) -> HistoryEntry:
    """A history row as a record."""
    return HistoryEntry(
        office=row.office, user_id=row.user_id, record_kind=row.record_kind, record_id=row.record_id,
        operation=row.operation, changed_by=row.changed_by, changed_at=row.changed_at,
        changes={k: tuple(v) for k, v in json.loads(row.changes).items()}, id=row.id)


def _as_json(value):
    """A typed value as the history keeps it: dates as ISO text, tuples as lists."""
    return json.loads(json.dumps(value, ensure_ascii=False,
                                 default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v)))


def _is_blank(value) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


class NotKeptRecords:
    """Mixed into ``Store``: it gives ``_write``, ``_read``, ``_plain`` and ``_add_history``."""

    def _log_not_kept(self, conn, table: sa.Table, row, not_kept: Mapping[str, object] | None,
                      *, by: str) -> int | None:
        """Keep in the history what ``by`` typed into ``row``'s fields and the row does not hold:
        one entry ``NOT_KEPT``, field → (typed, kept).  A blank typed value, or one the row holds
        after all, is left out.  Returns the entry's id (None: nothing to keep)."""
        payload = {}
        for name, typed in (not_kept or {}).items():
            if name not in _TYPED_FIELDS.get(table.name, ()):
                raise StoreError(f"{FIELD_LABELS.get(name, name)} は{KIND_LABELS.get(table.name, table.name)}の"
                                 "入力の項目ではありません")
            typed = _as_json(checked_text(typed, FIELD_LABELS.get(name, name)) if isinstance(typed, str) else typed)
            kept = self._plain(name, row._mapping[name])
            if not _is_blank(typed) and typed != kept:
                payload[name] = [typed, kept]
        if not payload:
            return None
        return self._add_history(conn, table, row.id, NOT_KEPT, payload, office=row.office,
                                 user_id=row._mapping.get("user_id"), by=by, now=dt.datetime.now(dt.timezone.utc))

    def record_not_kept(self, record, not_kept: Mapping[str, object], *, by: str) -> HistoryEntry | None:
        """Keep in the history what ``by`` typed into a saved ``record``'s fields (field → the
        value typed, as the record's class holds it) and the stored record does not hold: the
        text set aside when someone chose the saved text over it, or a draft replaced by
        someone's newer plan.  Nothing else changes.  Returns the entry (None: everything typed
        is blank or stored)."""
        by = by_whom(by)
        table = _TABLES_BY_CLASS.get(type(record))
        if table is None:
            raise StoreError("この記録には入力の履歴を残せません")
        record_id = checked_id(record.id, "記録ID")
        with self._write() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == record_id)).first()
            if row is None:
                raise StoreError(f"{KIND_LABELS.get(table.name, table.name)}（ID {record_id}）の記録はありません")
            entry_id = self._log_not_kept(conn, table, row, not_kept, by=by)
        if entry_id is None:
            return None
        with self._read() as conn:
            return history_entry(conn.execute(sa.select(t_history).where(t_history.c.id == entry_id)).one())
