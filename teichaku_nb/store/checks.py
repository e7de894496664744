"""Input checks: every value is checked before anything is written, so a bad input leaves
no half-written record; and the errors the store raises."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping

import pandas as pd

from ..errors import StaffError
from ..japanese import format_time
from ..records import (ACTION_STATES, CONFERENCE_KINDS, FIELD_LABELS, REGIONAL, REVIEW_TEXTS, Action, Conference,
                       Review)
from ..rules import LEVELS

MAX_TEXT = 30_000                  # characters: far above any real note, below a workbook cell's 32,767
# The limits of what staff type in the app (the app counts up to them and refuses beyond, the
# store refuses beyond them too): a field of several lines (a review's text, 本人の意向, 総合的な方針, a
# monitoring comment) and a one-line field (a 役割分担's 内容 and 担当, a goal, a name).  A 10,000-
# character note would make a 会議録 of nine pages.
LONG_TEXT = 1_000
SHORT_TEXT = 400
# Control characters a workbook cannot hold (and PostgreSQL refuses NUL); tab and newlines are fine.
_ILLEGAL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MONTH_TEXT = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class StoreError(StaffError, ValueError):
    """Bad input or a store that cannot be used; the message is Japanese, for staff."""


class Conflict(StaffError):
    """Saving over a newer version: someone else saved this record after it was read.

    ``current`` is the record as stored now (the app shows it beside the caller's text);
    ``saved_by`` / ``saved_at`` say who saved it and when.  Nothing was written.
    """

    def __init__(self, label: str, current, expected_version: int | None):
        self.current = current
        self.saved_by: str = current.updated_by
        self.saved_at: dt.datetime = current.updated_at
        self.expected_version = expected_version
        super().__init__(
            f"この{label}は {self.saved_by} さんが {format_time(self.saved_at)} に保存しています"
            f"（版 {current.version}）。内容を確かめてから保存し直してください。")



def checked_text(value, label: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise StoreError(f"{label}は文字で入力してください（{type(value).__name__} が渡されました）")
    if required and not value.strip():
        raise StoreError(f"{label}は必須です")
    if len(value) > limit:
        raise StoreError(f"{label}が長すぎます（{len(value):,}文字）。{limit:,}文字以内にしてください")
    if _ILLEGAL_CHARS.search(value):
        raise StoreError(f"{label}に使えない制御文字が含まれています")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise StoreError(f"{label}に保存できない文字が含まれています") from None
    return value


def checked_optional_text(value, label: str) -> str | None:
    text = checked_text(value, label)
    return text if text.strip() else None


def checked_date(value, label: str, *, required: bool = True) -> dt.date | None:
    if value is None or value is pd.NaT:
        if required:
            raise StoreError(f"{label}は必須です")
        return None
    if isinstance(value, dt.datetime):      # also pd.Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise StoreError(f"{label}は日付で指定してください（{value!r} は日付ではありません）")


def to_month(value, label: str = "対象年月") -> pd.Period:
    """A pd.Period (freq M) or text ``YYYY-MM`` as a pd.Period; anything else is an error."""
    if isinstance(value, pd.Period) and value.freqstr.startswith("M"):
        return value
    if isinstance(value, str) and _MONTH_TEXT.match(value):
        return pd.Period(value, freq="M")
    raise StoreError(f"{label}は 2026-10 のような年月で指定してください（{value!r} は使えません）")


def month_text(value, label: str = "対象年月") -> str:
    return to_month(value, label).strftime("%Y-%m")


def checked_choice(value, choices: tuple[str, ...], label: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if value not in choices:
        raise StoreError(f"{label}は {'・'.join(choices)} のどれかにしてください（{value!r} は使えません）")
    return value


def checked_names(value, label: str) -> str:
    """A list of names as JSON text."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise StoreError(f"{label}は名前の一覧で指定してください")
    names = [checked_text(name, label, required=True) for name in value]
    return json.dumps(names, ensure_ascii=False)


def by_whom(by) -> str:
    return checked_text(by, "保存する人の名前", required=True)


def checked_version(value, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise StoreError("読み込んだときの版（expected_version）を指定してください")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StoreError(f"版（expected_version）は1以上の整数で指定してください（{value!r}）")
    return value


def checked_id(value, label: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoreError(f"{label}は整数で指定してください（{value!r}）")
    return value


def conference_values(c: Conference) -> dict:
    kind = checked_choice(c.kind, CONFERENCE_KINDS, "会議の種別")
    values = {
        "office": checked_text(c.office, "事業所", required=True),
        "month": month_text(c.month),
        "held_on": checked_date(c.held_on, "開催日"),
        "kind": kind,
        "attendees": checked_names(c.attendees, "出席者"),
        "outside_participants": checked_names(c.outside_participants, "外部参加者"),
        "presenter": checked_optional_text(c.presenter, "発表者"),
    }
    if values["attendees"] == "[]":
        raise StoreError("出席者を1人以上入力してください")
    if kind == REGIONAL:
        if values["outside_participants"] == "[]":
            raise StoreError("地域連携会議には外部の参加者（ハローワーク、医療機関、企業など）を1人以上入力してください")
        if values["presenter"] is None:
            raise StoreError("地域連携会議では発表者（ケースを報告した人）を入力してください")
    return values


def review_values(r: Review) -> dict:
    values = {
        "office": checked_text(r.office, "事業所", required=True),
        "user_id": checked_text(r.user_id, "利用者ID", required=True),
        "month": month_text(r.month),
        "conference_id": checked_id(r.conference_id, "会議ID"),
    }
    for name in REVIEW_TEXTS:
        values[name] = checked_text(getattr(r, name), FIELD_LABELS[name], limit=LONG_TEXT)
    values["judgement"] = checked_choice(r.judgement, LEVELS, "会議の判断", required=False)
    values["saved_level"] = checked_choice(r.saved_level, LEVELS, "保存時の区分", required=False)
    values["saved_flags"] = flags_json(r.saved_flags)
    return values


def flags_json(value) -> str | None:
    """The flags a review was saved with, as JSON text (None: not known)."""
    if value is None:
        return None
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise StoreError("保存時のフラグは一覧で指定してください")
    flags = []
    for flag in value:
        if not isinstance(flag, Mapping) or set(flag) != {"code", "level", "message"}:
            raise StoreError("保存時のフラグは code・level・message の組で指定してください")
        flags.append({key: checked_text(flag[key], "保存時のフラグ", required=True) for key in ("code", "level", "message")})
    return json.dumps(flags, ensure_ascii=False)


# The action fields a later save may change, each with its check.
ACTION_CHECKS = {
    "content": lambda v: checked_text(v, "内容", required=True, limit=SHORT_TEXT),
    "owner": lambda v: checked_text(v, "担当", required=True, limit=SHORT_TEXT),
    "due_on": lambda v: checked_date(v, "期限", required=False),
    "status": lambda v: checked_choice(v, ACTION_STATES, "状態"),
    "result": lambda v: checked_text(v, "結果"),
}


def action_values(a: Action) -> dict:
    values = {
        "office": checked_text(a.office, "事業所", required=True),
        "user_id": checked_text(a.user_id, "利用者ID", required=True),
        "month": month_text(a.month, "起票した月"),
        "conference_id": checked_id(a.conference_id, "会議ID"),
    }
    values.update({name: check(getattr(a, name)) for name, check in ACTION_CHECKS.items()})
    return values


