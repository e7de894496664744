"""The 就労確認 recorded in the app: the Store's methods for them.

A 就労確認 says that on a day (``checked_on``, never after today) a person whose support ended
still worked (継続) or had left (離職), and how the office learnt it (本人 / 企業 / その他, or
not said).  The retention rate on evidence reads the standing ones beside the workbook's
就労確認 sheet (``employment_checks_frame``; ``retention.of_fiscal_year(checks=...)``), see
docs/review-rules.md.

Records are never changed: a mistaken one is withdrawn (who, when, why), kept in the list and
the history, and no longer counted.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..japanese import JST, format_date
from ..records import CHECK_METHODS, EMPLOYMENT_STATES, EmploymentCheck
from .checks import StoreError, by_whom, checked_choice, checked_date, checked_text
from .tables import t_employment_checks

__all__ = ["EmploymentCheckRecords", "employment_check_values"]


def employment_check_values(office, user_id, checked_on, employment, method, note) -> dict:
    """An employment check's columns, every value checked (Japanese errors)."""
    day = checked_date(checked_on, "確認日")
    today = dt.datetime.now(JST).date()
    method = "" if method is None else method
    if method not in ("", *CHECK_METHODS):
        raise StoreError(f"確認方法は {'・'.join(CHECK_METHODS)} のどれか（わからなければ空欄）にしてください"
                         f"（{method!r} は使えません）")
    if day > today:
        raise StoreError(f"確認日 {format_date(day)} は今日より後です。確認日には確かめた日を指定してください")
    return {
        "office": checked_text(office, "事業所", required=True),
        "user_id": checked_text(user_id, "利用者ID", required=True),
        "checked_on": day,
        "employment": checked_choice(employment, EMPLOYMENT_STATES, "就労状況"),
        "method": method,
        "note": checked_text(note, "メモ"),
    }


class EmploymentCheckRecords:
    """Mixed into ``Store``: it gives ``_write``, ``_insert``, ``_withdraw``, ``_select``,
    ``_record`` and ``_check_user``."""

    def record_employment_check(self, office: str, user_id: str, *, by: str, checked_on: dt.date,
                                employment: str, method: str = "", note: str = "") -> EmploymentCheck:
        """Record that on ``checked_on`` the person still worked (継続) or had left (離職),
        learnt from ``method`` (本人 / 企業 / その他, or "" when not said)."""
        by = by_whom(by)
        values = employment_check_values(office, user_id, checked_on, employment, method, note)
        self._check_user(values["office"], values["user_id"])
        with self._write() as conn:
            row = self._insert(conn, t_employment_checks, values, by=by)
        return self._record(t_employment_checks, row)

    def withdraw_employment_check(self, check_id: int, *, by: str, expected_version: int,
                                  reason: str = "") -> EmploymentCheck:
        """Withdraw a mistaken 就労確認: it stays (who withdrew it, when, why) and no longer
        counts.  The history keeps the record and its withdrawal."""
        return self._withdraw(t_employment_checks, check_id, by=by, expected_version=expected_version,
                              reason=reason, id_label="就労確認の記録ID", label="就労確認の記録")

    def employment_check(self, check_id: int) -> EmploymentCheck | None:
        found = self._select(t_employment_checks, t_employment_checks.c.id == check_id)
        return found[0] if found else None

    def employment_checks(self, office: str | None = None, user_id: str | None = None, *,
                          include_withdrawn: bool = False) -> list[EmploymentCheck]:
        """就労確認 records by person and date (then as recorded); withdrawn ones only with
        ``include_withdrawn``."""
        table = t_employment_checks
        where = []
        if office is not None:
            where.append(table.c.office == office)
        if user_id is not None:
            where.append(table.c.user_id == user_id)
        if not include_withdrawn:
            where.append(table.c.withdrawn_at.is_(None))
        return self._select(table, *where, order=(table.c.office, table.c.user_id, table.c.checked_on, table.c.id))

    def employment_checks_frame(self, office: str) -> pd.DataFrame:
        """The standing 就労確認 records, with the columns of the workbook's sheet
        (``retention.of_fiscal_year(checks=...)``): user_id, checked_on (datetime64),
        employment, method."""
        records = self.employment_checks(office)
        return pd.DataFrame({
            "user_id": pd.array([r.user_id for r in records], dtype="string"),
            "checked_on": pd.to_datetime(pd.Series([r.checked_on for r in records], dtype="object")),
            "employment": pd.array([r.employment for r in records], dtype="string"),
            "method": pd.array([r.method for r in records], dtype="string"),
        })
