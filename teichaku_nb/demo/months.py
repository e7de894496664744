"""Months and days for the demo data: a month is an int, year * 12 + month − 1, so that
M − 3 is three months before M."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import random


def month_of(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def days_in(month: int) -> int:
    return calendar.monthrange(month // 12, month % 12 + 1)[1]


def date_in(month: int, day: int) -> dt.date:
    """A day of a month; days past its end fall on its last day."""
    return dt.date(month // 12, month % 12 + 1, min(day, days_in(month)))


def last_day(month: int) -> dt.date:
    return date_in(month, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    return date_in(month_of(day) + months, day.day)


def month_text(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


@functools.lru_cache(maxsize=None)
def weekdays(month: int) -> int:
    return sum(1 for day in range(1, days_in(month) + 1) if date_in(month, day).weekday() < 5)


def weighted(rng: random.Random, pairs):
    """One value of (value, weight) pairs."""
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]
