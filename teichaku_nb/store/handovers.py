"""The handover (引継ぎ) records of the 支援体制構築: the Store's methods for them.

Three kinds, each dated (``done_on``) and recorded on purpose by a named person:

- ``needs``: the office's 要継続支援 judgement (はい / いいえ) on a day; the latest that stands
  replaces the workbook's column for the fee check;
- ``consent``: the day the person agreed to the handover (引継ぎ同意日);
- ``shared``: the day the handover was shared with 企業 / 関係機関 / 医療機関, and with whom.

Records are never changed: a mistaken one is withdrawn (who, when, why), kept in the list and
the history, and no longer counted.  ``handovers_frame`` gives the standing ones to
``fees.handover``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..japanese import JST, format_date
from ..records import (CONSENT, HANDOVER_DATE_LABELS, HANDOVER_KINDS, HANDOVER_PARTIES, NEEDS, NEEDS_VALUES,
                       SHARED, Handover)
from .checks import StoreError, by_whom, checked_choice, checked_date, checked_text
from .tables import t_handovers

__all__ = ["CONSENT", "NEEDS", "SHARED", "HandoverRecords", "handover_values"]


def _blank(value, label: str, kind: str) -> str:
    if value not in (None, ""):
        raise StoreError(f"{label}は{HANDOVER_KINDS[kind]}の記録には指定できません")
    return ""


def handover_values(office, user_id, kind, done_on, *, value=None, party=None, with_whom=None,
                    note=None) -> dict:
    """A handover record's columns, every value checked (Japanese errors)."""
    kind = checked_choice(kind, tuple(HANDOVER_KINDS), "引継ぎの記録の種類")
    label = HANDOVER_DATE_LABELS[kind]
    today = dt.datetime.now(JST).date()
    day = checked_date(done_on, label) if done_on is not None else today
    if day > today:
        raise StoreError(f"{label} {format_date(day)} は今日より後です。{label}には済んだ日を指定してください")
    values = {
        "office": checked_text(office, "事業所", required=True),
        "user_id": checked_text(user_id, "利用者ID", required=True),
        "kind": kind,
        "done_on": day,
        "value": checked_choice(value, NEEDS_VALUES, "要継続支援") if kind == NEEDS else _blank(value, "要継続支援", kind),
        "note": checked_text(note, "メモ"),
    }
    if kind == SHARED:
        values["party"] = checked_choice(party, HANDOVER_PARTIES, "引継ぎの相手")
        values["with_whom"] = checked_text(with_whom, "相手の名前", required=True).strip()
    else:
        values["party"] = _blank(party, "引継ぎの相手", kind)
        values["with_whom"] = _blank(with_whom, "相手の名前", kind)
    return values


class HandoverRecords:
    """Mixed into ``Store``: it gives ``_write``, ``_insert``, ``_update``, ``_select`` and
    ``_check_user``."""

    def record_handover(self, office: str, user_id: str, kind: str, *, by: str, done_on: dt.date | None = None,
                        value: str | None = None, party: str | None = None, with_whom: str | None = None,
                        note: str | None = None) -> Handover:
        """Record a handover fact (``kind`` needs / consent / shared) dated ``done_on`` (today
        by default, never after today)."""
        by = by_whom(by)
        values = handover_values(office, user_id, kind, done_on, value=value, party=party, with_whom=with_whom,
                                 note=note)
        self._check_user(values["office"], values["user_id"])
        with self._write() as conn:
            row = self._insert(conn, t_handovers, values, by=by)
        return self._record(t_handovers, row)

    def withdraw_handover(self, handover_id: int, *, by: str, expected_version: int, reason: str = "") -> Handover:
        """Withdraw a mistaken handover record: it stays (who withdrew it, when, why) and no
        longer counts.  The history keeps the record and its withdrawal."""
        return self._withdraw(t_handovers, handover_id, by=by, expected_version=expected_version, reason=reason,
                              id_label="引継ぎの記録ID", label="引継ぎの記録")

    def handover(self, handover_id: int) -> Handover | None:
        found = self._select(t_handovers, t_handovers.c.id == handover_id)
        return found[0] if found else None

    def handovers(self, office: str | None = None, user_id: str | None = None, *,
                  include_withdrawn: bool = False) -> list[Handover]:
        """Handover records by date (then as recorded); withdrawn ones only with ``include_withdrawn``."""
        where = []
        if office is not None:
            where.append(t_handovers.c.office == office)
        if user_id is not None:
            where.append(t_handovers.c.user_id == user_id)
        if not include_withdrawn:
            where.append(t_handovers.c.withdrawn_at.is_(None))
        return self._select(t_handovers, *where,
                            order=(t_handovers.c.office, t_handovers.c.user_id, t_handovers.c.done_on))

    def handovers_frame(self, office: str) -> pd.DataFrame:
        """The standing handover records (``fees.handover(recorded=...)``): id, user_id, kind,
        value, party, with_whom, done_on (datetime64)."""
        records = self.handovers(office)
        return pd.DataFrame({
            "id": pd.array([r.id for r in records], dtype="Int64"),
            "user_id": pd.array([r.user_id for r in records], dtype="string"),
            "kind": pd.array([r.kind for r in records], dtype="string"),
            "value": pd.array([r.value for r in records], dtype="string"),
            "party": pd.array([r.party for r in records], dtype="string"),
            "with_whom": pd.array([r.with_whom for r in records], dtype="string"),
            "done_on": pd.to_datetime(pd.Series([r.done_on for r in records], dtype="object")),
        })

