"""The first value of a date field in a form about a month (対象月), and how dates are typed.

A form about a month starts its date fields within that month, never on a later day:
``day_in_month`` for the conference's own acts about the month (開催日, モニタリング日, 要継続支援の
判断日), ``asked_day`` for events that happened on a day of their own (本人の同意, 引継ぎ, 就労確認),
which are left blank once the month is over, for the user to give the day.  A date is typed as
``japanese.parse_date`` reads it (``HINT``); the field that reads it is ``views/dates.DateText``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd


def day_in_month(month, today: dt.date) -> dt.date | None:
    """A date field's first value in a form about ``month`` (YYYY-MM or a Period): today while the
    month runs, its last day once it is over, blank (None) before it begins (or with no month)."""
    if month is None or month == "":
        return None
    month = pd.Period(month, freq="M")
    first, last = month.start_time.date(), month.end_time.date()
    if today < first:
        return None
    return min(today, last)


def asked_day(month, today: dt.date) -> dt.date | None:
    """The first value of a date only the user knows (an event on a day of its own): today while
    ``month`` runs; blank (None) before or after it, for the user to give the day."""
    if month is None or month == "":
        return None
    month = pd.Period(month, freq="M")
    return today if month.start_time.date() <= today <= month.end_time.date() else None


EXAMPLE = "2026/10/15"          # what a date field shows while empty
HINT = "2026/10/15 または 令和8年10月15日 のように年から入力してください"     # said when a date cannot be read
