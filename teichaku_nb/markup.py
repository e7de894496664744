"""User and workbook text as HTML text: the one escape the app and the reports use.

Everything a person typed (names, notes, review texts) is data, never markup: it goes
through ``esc`` wherever HTML is built.
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd

from .japanese import format_date, format_month

NO_VALUE = "—"


def is_missing(value) -> bool:
    """None, NaN, NaT and pd.NA (not an empty list or text)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def esc(value, empty: str = NO_VALUE) -> str:
    """Any value as escaped HTML text: lists joined with 、, dates and months in Japanese,
    missing or blank as ``empty``."""
    if isinstance(value, (list, tuple)):
        value = "、".join(str(v) for v in value)
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        return html.escape(empty)
    if isinstance(value, (pd.Timestamp, dt.date)):
        return html.escape(format_date(value))
    if isinstance(value, pd.Period):
        return html.escape(format_month(value))
    return html.escape(str(value), quote=True)


def esc_lines(value, empty: str = NO_VALUE) -> str:
    """``esc``, with line breaks kept as <br>."""
    return esc(value, empty).replace("\r\n", "\n").replace("\n", "<br>")
