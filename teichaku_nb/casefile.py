"""One person's month: what the case panel and the 支援レポート show about a user.

Plain functions over a CaseBook, like ``rules`` (no widgets, files or database): the
profile and support period, the month's contacts, a monthly trend of attendance and the
self-rated condition, and the plan in force.  The app's case panel and the report
notebooks both read these, so a figure is computed once.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .casebook import CaseBook
from .rules import _period, _with_user, support_periods
from .schema import SCORE_COLUMNS

PROFILE_FIELDS = ("user_id", "name", "kana", "staff", "team", "employer", "job", "employment_type",
                  "hired_on", "support_start", "support_end", "certificate_until", "status", "left_on",
                  "employer_consent")
TREND_COLUMNS = ("attendance_rate", "absence_rate", "late_early", *SCORE_COLUMNS)
CONTACT_COLUMNS = ("date", "method", "party", "staff", *SCORE_COLUMNS, "notes", "next_on")
PLAN_COLUMNS = ("plan_date", "domain", "goal", "support", "due_on", "status")


def _none(value):
    """A cell as a plain value: None for missing, Python ints and floats for numpy ones."""
    if value is None or pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") and not isinstance(value, pd.Timestamp) else value


def profile(book: CaseBook, user_id: str, month) -> dict | None:
    """The user's row as plain values, with the support period seen at the end of ``month``.

    Keys: ``PROFILE_FIELDS`` plus, from ``rules.support_periods``: month_n (month of
    employment, 1.. from 就職日), support_month of support_months (month of the support
    period, 1.. from 支援開始日, of 36 by default), months_left (calendar months to the end
    of support, 0 in its last month) and support_end_effective (支援終了予定日 or 離職日,
    whichever is first).  None for an unknown 利用者ID.
    """
    month = _period(month)
    users = book.users
    row = users[users["user_id"] == str(user_id)]
    if row.empty:
        return None
    # the period of this user only (support_periods reads book.users)
    period = support_periods(replace(book, users=row), month.end_time.normalize()).iloc[0]
    record = {name: _none(row.iloc[0][name]) for name in PROFILE_FIELDS}
    for name in ("month_n", "support_month", "support_months", "months_left", "support_end_effective"):
        record[name] = _none(period[name])
    return record


def month_contacts(book: CaseBook, user_id: str, month) -> pd.DataFrame:
    """The user's contacts dated in ``month``, oldest first (``CONTACT_COLUMNS``)."""
    month = _period(month)
    c = book.contacts
    chosen = c[(c["user_id"] == str(user_id)) & (c["date"].dt.to_period("M") == month)]
    return chosen.sort_values(["date", "row"], kind="stable")[list(CONTACT_COLUMNS)].reset_index(drop=True)


def trend(book: CaseBook, user_id: str, month, months: int = 6) -> pd.DataFrame:
    """Month by month up to ``month`` (``months`` rows, index a PeriodIndex named month).

    attendance_rate = 出勤日数 / 所定日数, absence_rate = 欠勤 / 所定日数, late_early =
    遅刻 + 早退 (NA where the month has no attendance row or 所定日数 is 0); the five
    scores are the month's means over contacts with 本人 (NA where none was rated).
    """
    month = _period(month)
    index = pd.period_range(end=month, periods=months, freq="M", name="month")
    a = book.attendance
    a = a[(a["user_id"] == str(user_id)) & a["month"].isin(index)]
    a = a.groupby("month")[["scheduled_days", "worked_days", "absent", "late", "left_early"]].sum(min_count=1)
    scheduled = a["scheduled_days"].astype("Float64")
    out = pd.DataFrame({
        "attendance_rate": (a["worked_days"].astype("Float64") / scheduled).where(scheduled > 0),
        "absence_rate": (a["absent"].fillna(0).astype("Float64") / scheduled).where(scheduled > 0),
        "late_early": (a["late"].fillna(0) + a["left_early"].fillna(0)).astype("Float64"),
    }).reindex(index)
    c = book.contacts
    c = c[(c["user_id"] == str(user_id)) & _with_user(c)]
    c = c.assign(month=c["date"].dt.to_period("M"))
    c = c[c["month"].isin(index)]
    scores = c.groupby("month")[list(SCORE_COLUMNS)].mean().astype("Float64").reindex(index)
    return pd.concat([out, scores], axis=1)[list(TREND_COLUMNS)]


def current_plan(book: CaseBook, user_id: str, month) -> pd.DataFrame:
    """The goals of the user's latest plan made on or before the end of ``month``."""
    month = _period(month)
    p = book.plans
    p = p[(p["user_id"] == str(user_id)) & (p["plan_date"] <= month.end_time.normalize())]
    if p.empty:
        return p[list(PLAN_COLUMNS)].reset_index(drop=True)
    latest = p["plan_date"].max()
    return p[p["plan_date"] == latest].sort_values("row")[list(PLAN_COLUMNS)].reset_index(drop=True)
