"""The one writer of the Excel files the project makes from records and workbook text (the
records export, the fee check): text is always a text cell, never a formula.

A cell whose text starts with ``=`` (or would after the leading spaces, tabs and line breaks a
spreadsheet program trims: `` =1+1``, ``\\t=cmd|...``) would otherwise become a live formula
when openpyxl writes it; here every ``str`` value is written as a string cell, so what staff or
a workbook typed is shown as typed and never runs.  Dates and timestamps get a Japanese
number format; column widths are set per sheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING


def new_workbook() -> Workbook:
    """An empty workbook (no default sheet): add sheets with ``write_sheet``."""
    book = Workbook()
    book.remove(book.active)
    return book


def write_sheet(book: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence],
                widths: Sequence[int] | None = None, *, filtered: bool = False) -> int:
    """A sheet ``title`` with a header row and ``rows`` (frozen below the headers); returns the
    rows written.  ``widths``: each column's width, else one from its header's length;
    ``filtered``: the header row has Excel's filter buttons."""
    sheet = book.create_sheet(title)
    sheet.append(list(headers))
    sheet.freeze_panes = "A2"
    count = 0
    for row in rows:
        sheet.append([_plain(value) for value in row])
        count += 1
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING          # text as typed: never a formula
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy/mm/dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy/mm/dd"
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        width = widths[index - 1] if widths else max(10, min(40, 2 * len(header) + 4))
        sheet.column_dimensions[letter].width = width
    if filtered:
        sheet.auto_filter.ref = sheet.dimensions
    return count


def _plain(value):
    """A value openpyxl writes as it is: a blank (None, NA, NaN) as an empty cell, a numpy
    number as a Python one."""
    if value is None or (not isinstance(value, (str, bytes, list, tuple, dict)) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value
