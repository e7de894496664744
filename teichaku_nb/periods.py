"""The service period of each person, to the letter of the 2024 rules (docs/fee-check.md).

One home for the dates that decide who is in service, read by the loader (the defaults), the
review rules (who is on the agenda), the fee check, the 就労定着率 and the 就労定着実績体制加算:

- **Months later** (``months_later``): the day that corresponds to a day n months later; where
  that month has no such day, either the first day of the following month (a period that must
  have *passed*: six months of work, 42 months of work, three years of use) or the month's
  last day (a deadline: a plan's review, one month to find a new job).
- **Start** (``eligible_start``): support may start once six months of work have passed: the
  day that corresponds to 就職日 six months later, or the 1st of the following month (hired
  8/31 → from 3/1).  If the person used 就労移行支援等 after being hired (就職後の移行支援等終了日),
  the six months run from the day after that use ended.  The loader fills a blank 支援開始日
  with it; an earlier 支援開始日 is a warning, and the fee is not billed for days before it.
- **End** (``default_support_end``): three years of use, 支援開始日 + 3 years − 1 day, for a
  blank 支援終了予定日.  利用終了日 or 離職日 end it sooner (``ended_on``); the end of a 支給決定
  does not (it stops billing, never the period).
- **Job change** (``job_changed``): a 離職日 followed by 再就職日 within one month (once per
  person) does not end the service and counts as continuous employment.  A 離職日 of a person
  still 利用中 with no 再就職日 may yet be one: until a month after 離職日 the person stays on the
  agenda (``job_change_pending``), and the fee check asks staff to confirm.

Plain functions over the 利用者 frame (the loader's columns); a column the book lacks is read as
blank.  No files, no database.
"""

from __future__ import annotations

import pandas as pd


SUPPORT_AFTER_MONTHS = 6          # months of work before the support may start
SUPPORT_YEARS = 3                 # the longest use of 就労定着支援
JOB_CHANGE_MONTHS = 1             # re-employment within this long after 離職日 is a job change
LEFT = "離職"
NEXT_FIRST, LAST_DAY = "next_first", "last_day"


def months_later(days: pd.Series, months: int, *, missing: str) -> pd.Series:
    """The day that corresponds to each of ``days`` ``months`` later.  Where that month has no
    such day (31 → a 30-day month, 29–31 → February): the 1st of the following month
    (``missing=NEXT_FIRST``) or the month's last day (``LAST_DAY``)."""
    days = pd.Series(days, dtype="datetime64[ns]") if not isinstance(days, pd.Series) else days
    shifted = days + pd.DateOffset(months=months)          # pandas keeps the day or clips to the month's end
    if missing == LAST_DAY:
        return shifted
    clipped = (shifted.dt.day != days.dt.day).fillna(False)
    return shifted.where(~clipped, shifted + pd.Timedelta(days=1))


def months_after(day: pd.Timestamp, months: int, *, missing: str) -> pd.Timestamp:
    """``months_later`` of one day."""
    return months_later(pd.Series([pd.Timestamp(day)]), months, missing=missing).iloc[0]


def _column(users: pd.DataFrame, name: str) -> pd.Series:
    if name in users:
        return users[name]
    return pd.Series(pd.NaT, index=users.index, dtype="datetime64[ns]")


def work_start(users: pd.DataFrame) -> pd.Series:
    """The day the months of work are counted from: 就職日, or the day after
    就職後の移行支援等終了日 when the person used 就労移行支援等 after being hired."""
    transition = _column(users, "transition_ended_on") + pd.Timedelta(days=1)
    return users["hired_on"].where(~(transition > users["hired_on"]).fillna(False), transition)


def months_worked_on(users: pd.DataFrame, months: int) -> pd.Series:
    """The day on which ``months`` months of work are complete: the day before the day that
    corresponds to ``work_start`` that many months later (hired 2022-09-01: 42 months on
    2026-02-28)."""
    return months_later(work_start(users), months, missing=NEXT_FIRST) - pd.Timedelta(days=1)


def eligible_start(users: pd.DataFrame) -> pd.Series:
    """The first day the support may start: the day after six months of work are complete."""
    return months_later(work_start(users), SUPPORT_AFTER_MONTHS, missing=NEXT_FIRST)


def default_support_end(start: pd.Series) -> pd.Series:
    """支援開始日 + 3 years − 1 day (a start on 2/29 ends on 2/28 three years later)."""
    return months_later(start, 12 * SUPPORT_YEARS, missing=NEXT_FIRST) - pd.Timedelta(days=1)


def fill_defaults(users: pd.DataFrame) -> pd.DataFrame:
    """The 利用者 frame with a blank 支援開始日 and 支援終了予定日 filled (``eligible_start``,
    ``default_support_end``)."""
    users = users.copy()
    users["support_start"] = users["support_start"].fillna(eligible_start(users))
    users["support_end"] = users["support_end"].fillna(default_support_end(users["support_start"]))
    return users


def job_change_deadline(users: pd.DataFrame) -> pd.Series:
    """The last day a new job may start for a 離職 to be a job change: 離職日 + 1 month."""
    return months_later(users["left_on"], JOB_CHANGE_MONTHS, missing=LAST_DAY)


def job_changed(users: pd.DataFrame) -> pd.Series:
    """Whether the person left one job and started another within a month (再就職日)."""
    rehired = _column(users, "rehired_on")
    return ((rehired >= users["left_on"]) & (rehired <= job_change_deadline(users))).fillna(False).astype(bool)


def job_change_pending(users: pd.DataFrame) -> pd.Series:
    """A 離職日 of a person whose 状況 still says they use the service, with no 再就職日: a job
    change the workbook has not recorded yet, or a 状況 not updated."""
    rehired = _column(users, "rehired_on")
    return (users["left_on"].notna() & rehired.isna() & (users["status"] != LEFT).fillna(True)).astype(bool)


def left_on(users: pd.DataFrame) -> pd.Series:
    """The 離職日 that ended the employment: none for a job change."""
    return users["left_on"].where(~job_changed(users))


def planned_end(users: pd.DataFrame) -> pd.Series:
    """利用終了日 when the service ended early, else 支援終了予定日."""
    return _column(users, "service_end").fillna(users["support_end"])


def ended_on(users: pd.DataFrame) -> pd.Series:
    """The last day of the service: the earliest of 利用終了日, 支援終了予定日 and 離職日 (a job
    change does not end it).  状況 離職 without 離職日 (an error in the workbook) counts as
    ended before anything."""
    end = pd.concat([planned_end(users), left_on(users)], axis=1).min(axis=1).astype("datetime64[ns]")
    undated = (users["status"] == LEFT).fillna(False) & users["left_on"].isna()
    return end.where(~undated, pd.Timestamp.min)


def on_agenda_until(users: pd.DataFrame) -> pd.Series:
    """The last day a person belongs on the agenda: ``ended_on``, or for a job change not yet
    recorded, a month after 離職日 (the months staff must confirm)."""
    pending = job_change_pending(users)
    end = ended_on(users)
    return end.where(~pending, pd.concat([job_change_deadline(users), planned_end(users)], axis=1)
                     .min(axis=1).astype("datetime64[ns]"))


def in_service(users: pd.DataFrame, month: pd.Period) -> pd.Series:
    """Who is in service in M (on the agenda): 支援開始日 ≤ m1 and ``on_agenda_until`` ≥ m0."""
    m0, m1 = month.start_time.normalize(), month.end_time.normalize()
    return ((users["support_start"] <= m1) & (on_agenda_until(users) >= m0)).fillna(False).astype(bool)
