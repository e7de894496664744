"""Small hand-made casebooks for the rules tests (synthetic people only).

``make_book`` builds a CaseBook straight from lists of dicts with the types the
CaseBook docstring promises (text as ``str``, dates ``datetime64``, months
``period[M]``, scores and counts ``Int64``), filling the defaults the loader fills.
``calm`` gives one user whose records raise no flag in October 2026; each rule's test
changes one thing in it.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from teichaku_nb import periods, schema
from teichaku_nb.casebook import CaseBook, Settings

MONTH = pd.Period("2026-10", "M")

_DTYPES = {schema.TEXT: "str", schema.ID: "str", schema.CHOICE: "str", schema.DATE: "datetime64[ns]",
           schema.MONTH: "period[M]", schema.INT: "Int64", schema.SCORE: "Int64", schema.NUMBER: "Float64"}


def _column(column: schema.Column, values: list) -> pd.Series:
    if column.kind == schema.DATE:
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]")
    if column.kind == schema.MONTH:
        return pd.Series(pd.PeriodIndex([None if v is None else pd.Period(v, "M") for v in values], freq="M"))
    if column.kind in (schema.INT, schema.SCORE, schema.NUMBER):
        return pd.Series(values, dtype=object).astype(_DTYPES[column.kind])
    return pd.Series(values, dtype=object).astype(_DTYPES[column.kind])


def _frame(sheet: schema.Sheet, records: list[dict]) -> pd.DataFrame:
    unknown = {k for r in records for k in r} - {c.name for c in sheet.columns}
    if unknown:
        raise KeyError(f"unknown columns for {sheet.name}: {sorted(unknown)}")
    columns = {"row": pd.Series(range(2, 2 + len(records)), dtype="Int64")}
    for column in sheet.columns:
        values = [r.get(column.name, column.default) for r in records]
        columns[column.name] = _column(column, values)
    return pd.DataFrame(columns)


def make_book(tables: dict[str, list[dict]] | None = None, *, settings: dict | None = None,
              office: str = "テスト事業所") -> CaseBook:
    tables = tables or {}
    frames = {sheet.name: _frame(sheet, tables.get(sheet.name, [])) for sheet in schema.TABLES}
    frames["users"] = periods.fill_defaults(frames["users"])
    # like a workbook: the format 1 columns, and a later column only where a record has it; a
    # later sheet only when ``tables`` names it
    present = {sheet.name: frozenset(c.name for c in sheet.columns
                                     if c.since == 1 or any(c.name in r for r in tables.get(sheet.name, [])))
               if sheet.since == 1 or sheet.name in tables else frozenset()
               for sheet in schema.TABLES}
    return CaseBook(source=Path(f"{office}.xlsx"), settings=Settings(office=office, **(settings or {})),
                    counts={s.title: len(tables.get(s.name, [])) for s in schema.TABLES}, present=present, **frames)


def user(user_id: str = "U001", **changes) -> dict:
    record = {"user_id": user_id, "name": f"試験 {user_id}", "staff": "佐藤", "team": "A",
              "hired_on": dt.date(2025, 1, 10), "employer": "架空商事", "status": "利用中",
              "certificate_until": dt.date(2027, 3, 31)}
    return record | changes


def contact(user_id: str, date, method: str = "対面", party: str = "本人", score: int | None = None,
            **scores) -> dict:
    """A contact; ``score`` fills all five axes, keyword scores override single axes."""
    record = {"user_id": user_id, "date": date, "method": method, "party": party, "staff": "佐藤"}
    if score is not None:
        record |= {axis: score for axis in schema.SCORE_COLUMNS}
    return record | scores


def attendance(user_id: str, month: str, scheduled: int = 20, absent: int = 0, late: int = 0,
               left_early: int = 0) -> dict:
    return {"user_id": user_id, "month": month, "scheduled_days": scheduled,
            "worked_days": scheduled - absent, "absent": absent, "late": late, "left_early": left_early}


def calm(user_id: str = "U001", **user_changes) -> dict[str, list[dict]]:
    """One user in service in October 2026 whose records raise no flag that month."""
    contacts = []
    for month in (7, 8, 9, 10):
        contacts.append(contact(user_id, dt.date(2026, month, 10), "対面", "本人", score=4))
        contacts.append(contact(user_id, dt.date(2026, month, 25), "職場訪問", "本人・企業"))
    return {
        "users": [user(user_id, **user_changes)],
        "contacts": contacts,
        "attendance": [attendance(user_id, f"2026-{m:02d}") for m in (7, 8, 9, 10)],
        "plans": [{"user_id": user_id, "plan_date": dt.date(2026, 9, 1), "domain": "職場",
                   "goal": "週5日の勤務を続ける", "status": "取組中"}],
        "reports": [{"user_id": user_id, "month": "2026-10", "sent_on": dt.date(2026, 10, 31), "recipient": "本人"}],
    }


def combine(*parts: dict[str, list[dict]]) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {}
    for part in parts:
        for name, records in part.items():
            tables.setdefault(name, []).extend(copy.deepcopy(records))
    return tables


def without(tables: dict[str, list[dict]], name: str, **match) -> dict[str, list[dict]]:
    """``tables`` with the rows of sheet ``name`` that match every given value removed."""
    tables = copy.deepcopy(tables)
    tables[name] = [r for r in tables[name] if not all(r.get(k) == v for k, v in match.items())]
    return tables


def write_book(path, tables: dict[str, list[dict]], settings: dict | None = None):
    """A workbook with a sheet per schema table, headers in row 1: the format 1 columns, and a
    format 2 column or sheet only where a record has it."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet in schema.TABLES:
        records = tables.get(sheet.name, [])
        if sheet.since > 1 and not records:
            continue
        columns = [c for c in sheet.columns if c.since == 1 or any(c.name in r for r in records)]
        ws = workbook.create_sheet(sheet.title)
        ws.append([c.header for c in columns])
        for record in records:
            ws.append([record.get(c.name) for c in columns])
    if settings:
        ws = workbook.create_sheet(schema.SETTINGS_TITLE)
        ws.append(list(schema.SETTINGS_HEADERS))
        labels = {s.name: s.label for s in schema.SETTINGS}
        for name, value in settings.items():
            ws.append([labels[name], value])
    workbook.save(path)
    return path
