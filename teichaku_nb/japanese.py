"""Japanese text as staff type it: NFKC, 和暦 dates, year-months, numbers with units.

Every parser takes one cell value (text, number, date or None) and returns the typed
value, or None when the cell is empty.  A cell that cannot be read raises ``ValueError``
with a Japanese description of what was found.  The loader calls these once per
distinct value, so they may be plain Python.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pandas as pd

# Era letters and names → the Gregorian year before the era's first year.
ERAS = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018,
        "M": 1867, "T": 1911, "S": 1925, "H": 1988, "R": 2018}
# Each era's first day, newest first: a date is written in the era it falls in (明治 from the day
# its first year began, 慶応4年1月1日, as the era was declared to apply).
ERA_STARTS = (("令和", dt.date(2019, 5, 1)), ("平成", dt.date(1989, 1, 8)), ("昭和", dt.date(1926, 12, 25)),
              ("大正", dt.date(1912, 7, 30)), ("明治", dt.date(1868, 1, 25)))
WESTERN, WAREKI = "西暦", "和暦"          # how documents write dates (設定 日付の表記)
DATE_STYLES = (WESTERN, WAREKI)
_style: ContextVar[str] = ContextVar("date_style", default=WESTERN)
EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_YEAR, MAX_YEAR = 1868, 2200   # 明治 onwards; beyond that it is a typing error

_ERA = r"(?P<era>明治|大正|昭和|平成|令和|[MTSHRmtshr])\s*(?P<ey>元|\d{1,2})"
_YEAR = rf"(?:(?P<y>\d{{4}})|{_ERA})"
_SEP = r"\s*(?:[/\-.]|年)\s*"
_DATE_RE = re.compile(
    rf"^{_YEAR}{_SEP}(?P<m>\d{{1,2}})\s*(?:[/\-.]|月)\s*(?P<d>\d{{1,2}})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT_DATE_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_MONTH_RE = re.compile(rf"^{_YEAR}{_SEP}(?P<m>\d{{1,2}})\s*月?$")
_NUMBER_RE = re.compile(r"^(?P<n>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*"
                        r"(?:日|回|時間|h|件|分|人|%)?$", re.IGNORECASE)


def clean(value) -> str:
    """NFKC-normalised text without surrounding spaces (full-width spaces too)."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NaT:
        return True
    return isinstance(value, str) and clean(value) == ""


def _year(match: re.Match) -> int:
    if match.group("y"):
        return int(match.group("y"))
    era = match.group("era")
    base = ERAS[era.upper() if len(era) == 1 else era]
    era_year = 1 if match.group("ey") == "元" else int(match.group("ey"))
    if era_year < 1:
        raise ValueError(f"{era}{era_year}年 はありません")
    return base + era_year


def _number_as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_date(value) -> dt.date | None:
    """A date from a date cell, an Excel serial number, or text in any listed form."""
    date = _parse_date(value)
    if date is not None and not MIN_YEAR <= date.year <= MAX_YEAR:
        raise ValueError(f"{format_date(date)} は扱える範囲（{MIN_YEAR}年〜{MAX_YEAR}年）の外です")
    return date


def _parse_date(value) -> dt.date | None:
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value} は日付ではありません")
    if isinstance(value, (int, float)):
        if 1 <= value < 2958466:  # an Excel serial day number (1900-01-01 .. 9999-12-31)
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(f"{_number_as_text(value)} は日付として読めません")
    text = clean(value)
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if not match:
        raise ValueError(f"「{text}」は日付として読めません")
    year = _year(match)
    try:
        return dt.date(year, int(match.group("m")), int(match.group("d")))
    except ValueError:
        raise ValueError(f"「{text}」という日付はありません") from None


def parse_month(value) -> pd.Period | None:
    """A year-month from a date cell (its month) or text like 2025-04, 2025年4月, 令和7年4月, R7.4."""
    if is_blank(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return pd.Period(year=value.year, month=value.month, freq="M")
    text = clean(value) if isinstance(value, str) else _number_as_text(value)
    match = _MONTH_RE.match(text)
    if match:
        month = int(match.group("m"))
        if not 1 <= month <= 12:
            raise ValueError(f"「{text}」という年月はありません")
        return pd.Period(year=_year(match), month=month, freq="M")
    try:  # a full date written as text: take its month
        date = parse_date(value)
    except ValueError:
        raise ValueError(f"「{text}」は年月として読めません") from None
    return pd.Period(year=date.year, month=date.month, freq="M")


def as_month(value) -> pd.Period:
    """A month given as a ``pd.Period`` or as text ``parse_month`` reads (2026-10, 令和8年10月);
    ``ValueError`` with a Japanese message when it is neither."""
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    month = parse_month(value)
    if month is None:
        raise ValueError("年月が空です")
    return month


def parse_number(value) -> float | None:
    """A number, possibly with a unit (20.5時間) or thousands separators."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value} は数値ではありません")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isinf(value):
            raise ValueError("数値として読めません")
        return float(value)
    text = clean(value)
    match = _NUMBER_RE.match(text)
    if not match:
        raise ValueError(f"「{text}」は数値として読めません")
    return float(match.group("n").replace(",", ""))


def parse_int(value) -> int | None:
    """A whole number, possibly with a unit (20日, 3回)."""
    number = parse_number(value)
    if number is None:
        return None
    if not float(number).is_integer():
        raise ValueError(f"「{clean(_number_as_text(value))}」は整数ではありません")
    return int(number)


def parse_text(value) -> str | None:
    """Text as staff meant it: numbers that Excel stored as numbers come back as 1, not 1.0."""
    if is_blank(value):
        return None
    if isinstance(value, float):
        return _number_as_text(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    return clean(value)


@contextmanager
def dates_in(style: str) -> Iterator[None]:
    """Within the block, ``format_date`` and ``format_month`` write years as ``style`` says
    (西暦: 2026年, 和暦: 令和8年): a document of an office that chose 和暦 is made inside one."""
    token = _style.set(WAREKI if style == WAREKI else WESTERN)
    try:
        yield
    finally:
        _style.reset(token)


def era_year(date: dt.date) -> str:
    """The year of ``date`` in its era: 令和8年, 令和元年, 平成31年; 西暦 before 明治 (1868年)."""
    if isinstance(date, dt.datetime):              # a pd.Timestamp too
        date = date.date()
    for era, first in ERA_STARTS:
        if date >= first:
            number = date.year - first.year + 1
            return f"{era}{'元' if number == 1 else number}年"
    return f"{date.year}年"


def _year_text(date) -> str:
    return era_year(date) if _style.get() == WAREKI else f"{date.year}年"


def format_date(date, *, year: bool = True) -> str:
    """2026年9月10日 (or 9月10日 with year=False); 令和8年9月10日 inside ``dates_in(和暦)``."""
    if date is None or date is pd.NaT:
        return "—"
    return f"{_year_text(date)}{date.month}月{date.day}日" if year else f"{date.month}月{date.day}日"


def format_as_of(day) -> str:
    """What a figure is judged as of: 2026年10月末時点 on a month's last day, else 2026年12月6日時点."""
    if (day + dt.timedelta(days=1)).month != day.month:
        return f"{format_month(pd.Period(day, freq='M'))}末時点"
    return f"{format_date(day)}時点"


def format_fiscal_year(fiscal_year: int) -> str:
    """2026年度 (April 2026 to March 2027); 令和8年度 inside ``dates_in(和暦)``."""
    return f"{_year_text(dt.date(fiscal_year, 4, 1))[:-1]}年度"


def format_number(value) -> str:
    """3, 1.3 (one decimal at most), or — when missing."""
    if value is None or pd.isna(value):
        return "—"
    shown = round(float(value), 1)
    return f"{shown:.0f}" if shown == int(shown) else f"{shown:.1f}"


def format_percent(fraction) -> str:
    """A fraction as 25%, 12.5% (one decimal at most), or — when missing."""
    if fraction is None or pd.isna(fraction):
        return "—"
    return format_number(float(fraction) * 100) + "%"


def format_month(month: pd.Period) -> str:
    """2026年10月; 令和8年10月 inside ``dates_in(和暦)`` (the era of the month's first day)."""
    return f"{_year_text(dt.date(month.year, month.month, 1))}{month.month}月"


JST = dt.timezone(dt.timedelta(hours=9), "JST")      # Japan has no daylight saving time


def format_time(moment: dt.datetime) -> str:
    """2026年11月20日 14:05, in 日本時間."""
    local = moment.astimezone(JST)
    return f"{format_date(local)} {local:%H:%M}"
