"""One person's month: what the case panel and the 支援レポート show about a user.

Plain functions over a CaseBook, like ``rules`` (no widgets, files or database): the
profile and support period, the month's contacts, a monthly trend of attendance and the
self-rated condition, and the plan in force.  The app's case panel and the report
notebooks both read these, so a figure is computed once.

``profiles`` and ``trends`` give everyone's at once (a batch of documents computes them once
per month); ``profile`` and ``trend`` are the same for one person, computing only theirs.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from . import fees
from .casebook import CaseBook
from .rules import support_periods, with_user
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


PERIOD_FIELDS = ("month_n", "support_month", "support_months", "months_left", "support_end_effective")


def profiles(book: CaseBook, month: pd.Period) -> dict[str, dict]:
    """Each user's row as plain values (利用者ID → dict), with the support period seen at the
    end of ``month``.

    Keys: ``PROFILE_FIELDS`` plus, from ``rules.support_periods``: month_n (month of
    employment, 1.. from 就職日), support_month of support_months (month of the support
    period, 1.. from 支援開始日, of 36 by default), months_left (calendar months to the end
    of support, 0 in its last month) and support_end_effective (支援終了予定日 or 離職日,
    whichever is first).
    """
    periods = support_periods(book, month.end_time.normalize())
    rows = pd.concat([book.users[list(PROFILE_FIELDS)], periods[list(PERIOD_FIELDS)]], axis=1)
    return {record["user_id"]: {k: _none(v) for k, v in record.items()} for record in rows.to_dict("records")}


def profile(book: CaseBook, user_id: str, month: pd.Period) -> dict | None:
    """``profiles`` of one user (computing only theirs); None for an unknown 利用者ID."""
    users = book.users
    row = users[users["user_id"] == str(user_id)]
    return profiles(replace(book, users=row), month).get(str(user_id))


def month_contacts(book: CaseBook, user_id: str, month: pd.Period) -> pd.DataFrame:
    """The user's contacts dated in ``month``, oldest first (``CONTACT_COLUMNS``)."""
    c = book.contacts
    chosen = c[(c["user_id"] == str(user_id)) & (c["date"].dt.to_period("M") == month)]
    return chosen.sort_values(["date", "row"], kind="stable")[list(CONTACT_COLUMNS)].reset_index(drop=True)


def trends(book: CaseBook, month: pd.Period, months: int = 6, *, user_ids=None) -> dict[str, pd.DataFrame]:
    """Each user's months up to ``month`` (利用者ID → a frame of ``months`` rows, index a
    PeriodIndex named month; ``user_ids``: only these users).

    attendance_rate = 出勤日数 / 所定日数, absence_rate = 欠勤 / 所定日数, late_early =
    遅刻 + 早退 (NA where the month has no attendance row or 所定日数 is 0); the five
    scores are the month's means over contacts with 本人 (NA where none was rated).
    """
    index = pd.period_range(end=month, periods=months, freq="M", name="month")
    ids = list(book.users["user_id"]) if user_ids is None else [str(u) for u in user_ids]
    a = book.attendance
    a = a[a["user_id"].isin(ids) & a["month"].isin(index)]
    a = a.groupby(["user_id", "month"])[["scheduled_days", "worked_days", "absent", "late", "left_early"]].sum(
        min_count=1)
    scheduled = a["scheduled_days"].astype("Float64")
    attendance = pd.DataFrame({
        "attendance_rate": (a["worked_days"].astype("Float64") / scheduled).where(scheduled > 0),
        "absence_rate": (a["absent"].fillna(0).astype("Float64") / scheduled).where(scheduled > 0),
        "late_early": (a["late"].fillna(0) + a["left_early"].fillna(0)).astype("Float64"),
    })
    c = book.contacts
    c = c[c["user_id"].isin(ids) & with_user(c)]
    c = c.assign(month=c["date"].dt.to_period("M"))
    c = c[c["month"].isin(index)]
    scores = c.groupby(["user_id", "month"])[list(SCORE_COLUMNS)].mean().astype("Float64")
    both = pd.concat([attendance, scores], axis=1).reindex(columns=list(TREND_COLUMNS))
    empty = pd.DataFrame(index=index, columns=list(TREND_COLUMNS), dtype="Float64")
    found = {user_id: frame.droplevel("user_id").reindex(index).astype("Float64")
             for user_id, frame in both.groupby(level="user_id")} if len(both) else {}
    return {user_id: found.get(user_id, empty) for user_id in ids}


def trend(book: CaseBook, user_id: str, month, months: int = 6) -> pd.DataFrame:
    """``trends`` of one user."""
    return trends(book, month, months, user_ids=[user_id])[str(user_id)]


def plan_dates(book: CaseBook, month: pd.Period, user_ids=None) -> dict:
    """利用者ID → the 計画作成日 of the plan in force at the end of ``month`` in the 支援計画 sheet
    (its 同意日, and 交付日 where recorded, by then: ``fees.plan_state``; NaT: none), for
    ``user_ids`` (default: everyone)."""
    users = book.users if user_ids is None else book.users[book.users["user_id"].isin([str(u) for u in user_ids])]
    users = users.drop_duplicates("user_id").set_index("user_id", drop=False)
    if not len(users):
        return {}
    return fees.plan_state(book, month, users)["plan_date"].to_dict()


def current_plan(book: CaseBook, user_id: str, month: pd.Period, plan_date=None) -> pd.DataFrame:
    """The goals of the user's plan in force at the end of ``month`` in the 支援計画 sheet
    (``plan_dates``; ``plan_date``: that plan's 計画作成日, when it is known already)."""
    user_id = str(user_id)
    p = book.plans
    if plan_date is None:
        plan_date = plan_dates(book, month, [user_id]).get(user_id, pd.NaT)
    rows = p[(p["user_id"] == user_id) & (p["plan_date"] == plan_date)]
    return rows.sort_values("row")[list(PLAN_COLUMNS)].reset_index(drop=True)
