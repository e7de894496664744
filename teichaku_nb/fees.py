"""The conditions of the monthly fee (the 2024 rules, docs/fee-check.md), computed once.

The agenda's flags warn about them (``rules``) and the month's fee check counts them
(``billing``); both read the answers here, so a condition is written in one place.  Every
function looks at the month M (m0 its first day, m1 its last) for the people in service, given
as a frame of the workbook's 利用者 rows indexed by 利用者ID, and answers per person.

- **Days in service** (``service_days``): from the later of 支援開始日, the day six months of
  work have passed, 利用契約日 and 支給決定開始日, to the earlier of the service's end
  (``periods.ended_on``) and 受給者証有効期限.  The 支給決定 and the contract are also reasons
  of their own (``decision``, ``contract_missing``).
- **Face to face** (``face_to_face``): at least one 対面 with 本人 (対面, 職場訪問 or 自宅訪問, with
  本人 or 本人・企業) on a day in service; オンライン only where the 指定権者 allowed it (設定).
- **The 支援レポート** (``report_state``): M's report reached 本人; with 企業共有同意 = はい the
  employer's copy is checked too.
- **The plan in force and its reviews** (``plan_state``): a plan is in force from its 同意日 (and
  交付日 where recorded); it is reviewed at least every 3 months (a new plan, or a monitoring that
  keeps it); a lapse reduces the months from the one it begins in to the month before the one a
  plan in force ends it: 30 % in its 1st and 2nd month, 50 % from the 3rd.
- **The handover** (``handover``): per person, the evidence of the 支援体制構築 (consent, the
  employer, an outside body, by 支援終了予定日 − 3 months); the reduction itself is the office's
  (``handover_months``).

``MonthFacts`` holds them for one month and the people in service, each computed when first
asked for: the agenda computes them, and the fee check of the same month can take them from it.

A rule that needs a later format's column checks only books that have it (``CaseBook.has``).
Nothing here reads files or opens a database: the review store's records come in as frames.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import periods
from .casebook import CaseBook
from .fee_table import PLAN_MISSING, factor
from .japanese import format_date
from .schema import FACE_TO_FACE, PARTY_WITH_EMPLOYER, PARTY_WITH_USER

YES, NO = "はい", "いいえ"
TO_PERSON = PARTY_WITH_USER                      # a 支援レポート that reached 本人: 本人, 本人・企業
TO_EMPLOYER = PARTY_WITH_EMPLOYER                # …that reached the employer: 企業, 本人・企業
ONLINE = "オンライン"
HANDOVER = "引継ぎ"                                # 面談記録 区分 of a contact shared for the handover
EMPLOYER_PARTIES = ("企業", "本人・企業")
OUTSIDE_PARTIES = ("関係機関", "医療機関")
HANDOVER_LEAD_MONTHS = 3                         # the handover is due this long before the support ends
HANDOVER_WATCH_MONTHS = 6                        # handover_due looks this far ahead
WORKBOOK, STORE = "workbook", "store"           # where a plan was written: the 支援計画 sheet, or the app


def _first_day(month: pd.Period) -> pd.Timestamp:
    return month.start_time.normalize()


def _last_day(month: pd.Period) -> pd.Timestamp:
    return month.end_time.normalize()


def day_text(day, month: pd.Period) -> str:
    """10月5日, or 2025年10月5日 when the year is not M's."""
    return format_date(day, year=pd.Timestamp(day).year != month.year)


def _dates(book: CaseBook, table: str, frame: pd.DataFrame, column: str) -> pd.Series:
    """A date column where the book has it; NaT where it does not."""
    if book.has(table, column) and column in frame:
        return frame[column]
    return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")


# --- the 支給決定 and the contract ----------------------------------------------------------------

def decision(book: CaseBook, month: pd.Period, users: pd.DataFrame) -> pd.DataFrame:
    """Per person: ``covered`` (True / False / NA when a date is blank) and ``why`` (Japanese)."""
    m0, m1 = _first_day(month), _last_day(month)
    until = users["certificate_until"]
    checked_start = book.has("users", "decision_start")
    start = _dates(book, "users", users, "decision_start")
    late = (start > m1).fillna(False)
    expired = (until < m0).fillna(False)
    unknown = until.isna() | (start.isna() if checked_start else False)
    covered = pd.Series(pd.NA, index=users.index, dtype="boolean")
    covered[~unknown] = True
    covered[late | expired] = False
    why = pd.Series("", index=users.index, dtype=object)
    why[expired] = [f"受給者証の有効期限（{format_date(d)}）が切れています" for d in until[expired]]
    why[late] = [f"支給決定の開始（{format_date(d)}）が{month.month}月の後です" for d in start[late]]
    blank = unknown & ~(late | expired)
    why[blank] = "受給者証有効期限" + ("・支給決定開始日" if checked_start else "") + "が空欄のため確かめられません"
    return pd.DataFrame({"covered": covered, "why": why})


def contract_missing(book: CaseBook, month: pd.Period, users: pd.DataFrame) -> pd.Series:
    """Who has no 利用契約日 by m1 (only for a book with the column: else nobody)."""
    if not book.has("users", "contract_on"):
        return pd.Series(False, index=users.index)
    contract = users["contract_on"]
    return (contract.isna() | (contract > _last_day(month))).fillna(True)


# --- the days in service -------------------------------------------------------------------------

# Why a day does not count, by the bound it falls outside of (the message names the bound's date).
_BEFORE = {"support_start": "支援開始日", "eligible": "働き始めて6か月たつ日", "contract_on": "利用契約日",
           "decision_start": "支給決定の開始"}
_AFTER = {"planned_end": "支援の終わり（利用終了日・支援終了予定日）", "left_on": "離職日",
          "certificate_until": "受給者証の有効期限"}


def service_days(book: CaseBook, month: pd.Period, users: pd.DataFrame) -> pd.DataFrame:
    """Per person, the days of M the person was a 就労定着支援 user: ``first`` and ``last`` (NaT:
    none), each bound of the period (the columns of ``_BEFORE`` and ``_AFTER``), ``eligible``
    (the day six months of work have passed), and for a job change the workbook has not recorded
    (``periods.job_change_pending``) the days after 離職日 that would count if there was one:
    ``pending_first`` .. ``pending_last``."""
    m0, m1 = _first_day(month), _last_day(month)
    bounds = pd.DataFrame({
        "support_start": users["support_start"], "eligible": periods.eligible_start(users),
        "contract_on": _dates(book, "users", users, "contract_on"),
        "decision_start": _dates(book, "users", users, "decision_start"),
        "planned_end": periods.planned_end(users), "left_on": periods.left_on(users),
        "certificate_until": users["certificate_until"]}, index=users.index)
    first = pd.concat([bounds[list(_BEFORE)], pd.Series(m0, index=users.index)], axis=1).max(axis=1)
    last = pd.concat([bounds[list(_AFTER)], pd.Series(m1, index=users.index)], axis=1).min(axis=1)
    undated = (users["status"] == periods.LEFT).fillna(False) & users["left_on"].isna()
    empty = (first > last) | undated
    pending = periods.job_change_pending(users)
    pending_first = (users["left_on"] + pd.Timedelta(days=1)).clip(lower=first)
    pending_last = pd.concat([periods.job_change_deadline(users), bounds[["planned_end", "certificate_until"]],
                              pd.Series(m1, index=users.index)], axis=1).min(axis=1)
    pending &= (pending_first <= pending_last).fillna(False)
    return bounds.assign(
        first=first.where(~empty).astype("datetime64[ns]"), last=last.where(~empty).astype("datetime64[ns]"),
        pending_first=pending_first.where(pending).astype("datetime64[ns]"),
        pending_last=pending_last.where(pending).astype("datetime64[ns]"))


def before_eligible(month: pd.Period, days: pd.DataFrame) -> pd.Series:
    """Who is on the agenda by their 支援開始日 but has not yet worked six months by m1."""
    return (days["eligible"] > _last_day(month)).fillna(False)


def outside_reason(day: pd.Timestamp, bounds, month: pd.Period) -> str:
    """Why ``day`` is not a day in service (``bounds``: a row of ``service_days``)."""
    for column, label in _BEFORE.items():
        if pd.notna(bounds[column]) and day < bounds[column]:
            return f"{label}（{day_text(bounds[column], month)}）より前です"
    for column, label in _AFTER.items():
        if pd.notna(bounds[column]) and day > bounds[column]:
            return f"{label}（{day_text(bounds[column], month)}）の後です"
    return "支援の期間の外です"


# --- face to face ----------------------------------------------------------------------------------

def face_to_face_methods(book: CaseBook) -> tuple[str, ...]:
    """The 方法 that count as 対面 (オンライン only where the 指定権者 allowed it: 設定)."""
    return FACE_TO_FACE + ((ONLINE,) if book.settings.online_counts == YES else ())


def face_contacts(book: CaseBook, month: pd.Period, users: pd.DataFrame, days: pd.DataFrame) -> pd.DataFrame:
    """M's face-to-face contacts with 本人 of these people, each with ``counts`` (on a day in
    service) and ``pending`` (on a day a job change not recorded yet would add), by date."""
    m0, m1 = _first_day(month), _last_day(month)
    c = book.contacts
    c = c[c["user_id"].isin(users.index) & (c["date"] >= m0) & (c["date"] <= m1)
          & c["party"].isin(PARTY_WITH_USER) & c["method"].isin(face_to_face_methods(book))]
    c = c.sort_values(["date", "row"]).join(days[["first", "last", "pending_first", "pending_last"]], on="user_id")
    return c.assign(counts=(c["date"] >= c["first"]) & (c["date"] <= c["last"]),
                    pending=(c["date"] >= c["pending_first"]) & (c["date"] <= c["pending_last"]))


def face_to_face(book: CaseBook, month: pd.Period, users: pd.DataFrame, days: pd.DataFrame) -> pd.DataFrame:
    """Per person: ``met_on`` (the first 対面 with 本人 on a day in service in M; NaT: none),
    ``pending_met_on`` (one only on the days a job change would add), ``how`` (the contact that
    counted, Japanese), ``why`` (why none counted, Japanese) and ``serving`` (whether M has days
    in service at all: without, the month fails on the period, not on the meeting)."""
    counting = face_contacts(book, month, users, days)
    first_inside = counting[counting["counts"]].drop_duplicates("user_id").set_index("user_id")
    met_on = first_inside["date"].reindex(users.index)
    how = pd.Series([f"{day_text(d, month)}の{m}（{p}）" for d, m, p in
                     zip(first_inside["date"], first_inside["method"], first_inside["party"])],
                    index=first_inside.index, dtype=object).reindex(users.index, fill_value="")
    why = pd.Series("", index=users.index, dtype=object)
    unmet = users.index[met_on.isna()]
    c = book.contacts[book.contacts["user_id"].isin(unmet)]
    in_month = c[(c["date"] >= _first_day(month)) & (c["date"] <= _last_day(month))]
    last_met = c[(c["date"] < _first_day(month)) & c["method"].isin(face_to_face_methods(book))
                 & c["party"].isin(PARTY_WITH_USER)].groupby("user_id")["date"].max()
    of_person = dict(tuple(in_month.groupby("user_id", sort=False))) if len(in_month) else {}
    for user_id in unmet:
        why[user_id] = _why_no_face_to_face(book, month, of_person.get(user_id, in_month.iloc[:0]),
                                            days.loc[user_id], last_met.get(user_id))
    return pd.DataFrame({"met_on": met_on, "how": how, "why": why,
                         "pending_met_on": counting[counting["pending"]].groupby("user_id")["date"].min()
                         .reindex(users.index),
                         "serving": days["first"].notna() | days["pending_first"].notna()})


def _why_no_face_to_face(book: CaseBook, month: pd.Period, contacts: pd.DataFrame, bounds, last_met) -> str:
    """Why none of the person's contacts in M (``contacts``) counts as the month's face-to-face
    support (``last_met``: the last face-to-face meeting before M, or None), ending with what
    that means for the fee."""
    head, tail = f"{month.month}月は本人との対面の支援がありません", "。対面の支援がない月は算定できません"
    last = f"最後の対面: {day_text(last_met, month)}" if last_met is not None else "対面の記録がありません"
    if contacts.empty:                  # no contact in M at all (most of those not met): said at once
        return f"{head}（{last}）{tail}"
    methods = face_to_face_methods(book)
    is_face = contacts["method"].isin(methods)
    with_person = contacts["party"].isin(PARTY_WITH_USER)
    face = contacts[is_face & with_person].sort_values("date")
    if len(face):
        first = face.iloc[0]
        return f"{head}（{day_text(first['date'], month)}の{first['method']}は{outside_reason(first['date'], bounds, month)}）{tail}"
    parts = []
    others = contacts[with_person & ~is_face]
    if len(others):
        note = "（オンラインは対面に数えません）" if ONLINE in set(others["method"]) else ""
        parts.append(f"本人とは{'・'.join(dict.fromkeys(others.sort_values('date')['method']))}だけです{note}")
    employer_only = contacts[is_face & ~with_person].sort_values("date")
    if len(employer_only):
        first = employer_only.iloc[0]
        parts.append(f"{day_text(first['date'], month)}の{first['method']}の相手は{first['party']}です")
    parts.append(last)
    return f"{head}（{'。'.join(parts)}）{tail}"


# --- the 支援レポート -------------------------------------------------------------------------------

def report_state(book: CaseBook, month: pd.Period, users: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Per person: ``to_person`` / ``to_employer`` (the first 送付日 of M's 支援レポート to 本人 /
    to the employer; NaT: none recorded), ``consent`` (企業共有同意 = はい) and ``recorded``
    (any record for M).  ``reports``: user_id, month, recipient, sent_on (the workbook's sheet
    and the store's standing sendings)."""
    of_month = reports[(reports["month"] == month) & reports["user_id"].isin(users.index)]

    def first(recipients) -> pd.Series:
        chosen = of_month[of_month["recipient"].isin(recipients)]
        sent = pd.to_datetime(chosen["sent_on"]) if "sent_on" in chosen else pd.Series(pd.NaT, index=chosen.index)
        days = pd.DataFrame({"user_id": chosen["user_id"].astype(object), "sent_on": sent.fillna(_first_day(month))})
        return days.groupby("user_id")["sent_on"].min().reindex(users.index)

    return pd.DataFrame({"to_person": first(TO_PERSON), "to_employer": first(TO_EMPLOYER),
                         "consent": users["employer_consent"].eq(YES).fillna(False).astype(bool),
                         "recorded": users.index.isin(of_month["user_id"])}, index=users.index)


def reached_person(reports: pd.DataFrame, month: pd.Period) -> set[str]:
    """Who was given M's 支援レポート as 本人 (``reports``: user_id, month, recipient)."""
    given = reports[(reports["month"] == month) & reports["recipient"].isin(TO_PERSON)]
    return set(given["user_id"])


def reached_employer_only(reports: pd.DataFrame, month: pd.Period) -> set[str]:
    """Who has M's 支援レポート recorded for 企業 only (the fee needs 本人)."""
    of_month = reports[reports["month"] == month]
    return set(of_month["user_id"]) - reached_person(reports, month)


# --- the 個別支援計画: the plan in force and its reviews -------------------------------------------

def plan_reviews(book: CaseBook, users: pd.DataFrame, stored: pd.DataFrame | None = None,
                 monitorings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every plan and every monitoring that kept one, for these people, in order: user_id, kind
    (plan / monitoring), source (workbook / store), plan_date, consent_on, delivered_on,
    ``in_force`` (the day it counts from: the 同意日, or the 交付日 where it is later and
    recorded; the 計画作成日 of a book without 同意日; NaT: not yet), ``anchor`` (the day the next
    review is counted from: the 同意日, or the monitoring's day), ``due`` (the day the next review
    falls due: the day that corresponds to the anchor ``review_months`` later, or that month's
    last day), ``undelivered`` (consented, and the 交付日 is checked but blank) and
    ``consent_checked``."""
    p = book.plans[book.plans["user_id"].isin(users.index)]
    has_consent, has_delivery = book.has("plans", "consent_on"), book.has("plans", "delivered_on")
    sheet = p.groupby(["user_id", "plan_date"], sort=False, observed=True).agg(
        consent_on=("consent_on", "min"), delivered_on=("delivered_on", "min"), row=("row", "min")).reset_index()
    rows = pd.DataFrame({"user_id": sheet["user_id"].astype(object), "kind": "plan", "source": WORKBOOK,
                         "plan_date": sheet["plan_date"],
                         "consent_on": sheet["consent_on"] if has_consent else sheet["plan_date"],
                         "delivered_on": sheet["delivered_on"] if has_delivery else pd.NaT,
                         "consent_checked": has_consent, "delivery_checked": has_consent and has_delivery,
                         "order": sheet["row"].astype(float)})
    frames = [rows]
    if stored is not None and len(stored):
        mine = stored[stored["user_id"].isin(users.index)]
        frames.append(pd.DataFrame({"user_id": mine["user_id"].astype(object), "kind": "plan", "source": STORE,
                                    "plan_date": mine["plan_date"], "consent_on": mine["consent_on"],
                                    "delivered_on": mine["delivered_on"], "consent_checked": True,
                                    "delivery_checked": True, "order": float("inf")}))
    if monitorings is not None and len(monitorings):
        mine = monitorings[monitorings["user_id"].isin(users.index)]
        frames.append(pd.DataFrame({"user_id": mine["user_id"].astype(object), "kind": "monitoring", "source": STORE,
                                    "plan_date": mine["plan_date"], "consent_on": mine["monitored_on"],
                                    "delivered_on": mine["monitored_on"], "consent_checked": False,
                                    "delivery_checked": False, "order": float("inf")}))
    reviews = pd.concat(frames, ignore_index=True).astype(
        {"plan_date": "datetime64[ns]", "consent_on": "datetime64[ns]", "delivered_on": "datetime64[ns]",
         "consent_checked": bool, "delivery_checked": bool})
    later = reviews["delivery_checked"] & (reviews["delivered_on"] > reviews["consent_on"]).fillna(False)
    reviews["in_force"] = reviews["consent_on"].where(~later, reviews["delivered_on"])
    reviews["anchor"] = reviews["consent_on"]
    due = periods.months_later(reviews["anchor"], book.settings.review_months, missing=periods.LAST_DAY)
    reviews["due"] = pd.concat([due, reviews["in_force"]], axis=1).max(axis=1, skipna=False)
    reviews["undelivered"] = reviews["delivery_checked"] & reviews["consent_on"].notna() & reviews["delivered_on"].isna()
    reviews["monitoring"] = reviews["kind"].eq("monitoring")          # a plan comes before a monitoring of the day
    return reviews.sort_values(["user_id", "in_force", "monitoring", "plan_date", "order"], kind="stable",
                               na_position="last").reset_index(drop=True)


_NAT = np.iinfo(np.int64).min          # NaT as a day number


def _day_numbers(values) -> np.ndarray:
    """Dates as whole days since 1970 (NaT: ``_NAT``), for the plan's timeline."""
    return np.asarray(pd.to_datetime(pd.Series(values)).values.astype("datetime64[D]").astype(np.int64))


def _month_number(day: int) -> int:
    """The month of a day number, as months since 1970-01."""
    date = dt.date.fromordinal(day + _EPOCH_ORDINAL)
    return (date.year - 1970) * 12 + date.month - 1


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _lapses(positions, in_force, due, monitoring, start: int) -> tuple[list[tuple], list[tuple]]:
    """One person's covered spans and lapses from ``start`` (the first day of service, a day
    number), from their reviews in order (``positions`` into the arrays of ``plan_reviews``).  A
    plan in force, or a monitoring of one, covers from its day to the day its next review falls
    due; a lapse is a span of days no review covers.  Returns (covered: [(from, to, position)],
    lapses: [(begins, the position of the review that ended it or -1, of the review before it or
    -1)])."""
    covered, lapses = [], []
    seen_plan, reach, last = False, None, -1
    for i in positions:
        if in_force[i] == _NAT or (monitoring[i] and not seen_plan):
            continue
        seen_plan = True
        gap_from = start if reach is None else max(reach + 1, start)
        if in_force[i] > gap_from:
            lapses.append((gap_from, i, last))
        covered.append((in_force[i], due[i], i))
        reach = due[i] if reach is None else max(reach, due[i])
        last = i
    lapses.append((start if reach is None else max(reach + 1, start), -1, last))
    return covered, lapses


def plan_state(book: CaseBook, month: pd.Period, users: pd.DataFrame, stored: pd.DataFrame | None = None,
               monitorings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per person, the 個別支援計画 at M:

    - ``plan_date``, ``source``, ``consent_on``, ``delivered_on``, ``undelivered``,
      ``consent_checked``: the plan in force at m1 (the latest whose 同意日, and 交付日 where
      recorded, is by m1; NaT: none; a book without 同意日 counts from the 計画作成日);
    - ``pending``: the 計画作成日 of a newer plan made by m1 that is not in force yet;
    - ``reviewed_on`` and ``due``: the last review by m1 and the day the next is due;
    - ``missing``: 個別支援計画未作成減算 applies in M; ``lapse_from`` the day the lapse began,
      ``lapse_month`` the month of the lapse M is (1..), ``rate`` (0.3 / 0.5) and ``why``."""
    m1, this_month = int(_day_numbers([_last_day(month)])[0]), month.year * 12 + month.month - 1 - 1970 * 12
    reviews = plan_reviews(book, users, stored, monitorings)
    in_force, due, anchor, made = (_day_numbers(reviews[c]).tolist() for c in ("in_force", "due", "anchor", "plan_date"))
    monitoring, order = reviews["monitoring"].tolist(), reviews["order"].tolist()
    starts = _day_numbers(pd.concat([users["support_start"], periods.eligible_start(users)], axis=1)
                          .max(axis=1)).tolist()
    positions = {user_id: at.tolist() for user_id, at in reviews.groupby("user_id", sort=False).indices.items()}
    none: list[int] = []
    chosen, pending_at, reviewed, due_at, lapse_from, lapse_n, befores = ([] for _ in range(7))
    for user_id, start in zip(users.index, starts):
        mine = positions.get(user_id, none)
        covered, lapses = _lapses(mine, in_force, due, monitoring, start)
        plans = [i for i in mine if not monitoring[i] and in_force[i] != _NAT and in_force[i] <= m1]
        current = max(plans, key=lambda i: (made[i], order[i]), default=-1)
        newer = [i for i in mine if not monitoring[i] and made[i] <= m1 and (in_force[i] == _NAT or in_force[i] > m1)
                 and (current < 0 or made[i] > made[current])]
        known = [(to, i) for since, to, i in covered if since <= m1]
        lapse = next(((begins, ended, before) for begins, ended, before in lapses
                      if _month_number(begins) <= this_month
                      and (ended < 0 or _month_number(in_force[ended]) > this_month)), None)
        chosen.append(current)
        pending_at.append(max(newer, key=lambda i: made[i], default=-1))
        reviewed.append(max((anchor[i] for _, i in known), default=_NAT))
        due_at.append(max((to for to, _ in known), default=_NAT))
        lapse_from.append(_NAT if lapse is None else lapse[0])
        lapse_n.append(0 if lapse is None else this_month - _month_number(lapse[0]) + 1)
        befores.append(-1 if lapse is None else lapse[2])

    def taken(column: str, at: list[int]) -> pd.Series:
        """The column of ``reviews`` at these positions (-1: none), aligned to the people."""
        at = np.asarray(at, dtype=np.int64)
        picked = reviews[column].iloc[np.where(at >= 0, at, 0)].reset_index(drop=True) if len(reviews) \
            else pd.Series([None] * len(at), dtype=reviews[column].dtype)
        return pd.Series(picked.where(pd.Series(at >= 0)).to_numpy(), index=users.index)

    def dates(numbers: list[int]) -> pd.Series:
        days = pd.Series(np.asarray(numbers, dtype=np.int64), index=users.index)
        return pd.to_datetime(days.where(days != _NAT).astype("float"), unit="D")

    frame = pd.DataFrame({
        "plan_date": taken("plan_date", chosen), "source": taken("source", chosen),
        "consent_on": taken("consent_on", chosen), "delivered_on": taken("delivered_on", chosen),
        "undelivered": taken("undelivered", chosen).fillna(False).astype(bool),
        "consent_checked": taken("consent_checked", chosen).fillna(False).astype(bool),
        "pending": taken("plan_date", pending_at), "reviewed_on": dates(reviewed), "due": dates(due_at),
        "missing": pd.Series(lapse_n, index=users.index) > 0, "lapse_from": dates(lapse_from),
        "lapse_month": pd.Series(lapse_n, index=users.index, dtype=int)}, index=users.index)
    for column in ("plan_date", "consent_on", "delivered_on", "pending"):
        frame[column] = pd.to_datetime(frame[column])
    frame["rate"] = [round(1 - factor(PLAN_MISSING, n), 2) if n else 0.0 for n in lapse_n]
    frame["why"] = [_lapse_why(begins, reviews.iloc[before].to_dict() if before >= 0 else None, pending,
                               book.settings.review_months) if n else ""
                    for begins, before, pending, n in zip(frame["lapse_from"], befores, frame["pending"], lapse_n)]
    return frame


def _lapse_why(begins, before: dict | None, pending, months: int) -> str:
    """What began the lapse (Japanese): no plan in force at the start, or a review overdue
    (``before``: the last review before it, a row of ``plan_reviews``)."""
    if before is None:
        text = f"{format_date(begins)}（支援の開始）から、同意を得た個別支援計画がありません"
    else:
        what = f"モニタリング（継続、{format_date(before['anchor'])}）" if before["monitoring"] else \
            f"個別支援計画（{format_date(before['plan_date'])} 作成）" + (
                f"の同意（{format_date(before['anchor'])}）" if before["consent_checked"] else "")
        text = f"{what}から{months}か月の見直しがなく、{format_date(begins)}から計画が切れています"
    if pd.notna(pending):
        text += f"。新しい計画（{format_date(pending)} 作成）は本人の同意（と交付）がまだです"
    return text


def plan_missing_message(row) -> str:
    """個別支援計画未作成減算（3か月目）: … (a row of ``plan_state`` where ``missing``)."""
    return f"{PLAN_MISSING.label}（{row['lapse_month']}か月目）: {row['why']}"


# --- the handover (引継ぎ) ------------------------------------------------------------------------

def _recorded(recorded: pd.DataFrame | None, users: pd.DataFrame, m1: pd.Timestamp, kind: str) -> pd.DataFrame:
    """The store's standing handover records of ``kind`` for these people, dated by m1."""
    if recorded is None or recorded.empty:
        return pd.DataFrame({"user_id": [], "value": [], "party": [], "done_on": pd.Series([], dtype="datetime64[ns]")})
    chosen = recorded["user_id"].isin(users.index) & recorded["kind"].eq(kind).fillna(False) \
        & (recorded["done_on"] <= m1).fillna(False)
    return recorded[chosen].sort_values(["done_on", "id"] if "id" in recorded else ["done_on"], kind="stable")


def handover(book: CaseBook, month: pd.Period, users: pd.DataFrame,
             recorded: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per person: ``needs`` (要継続支援: はい / いいえ / None), ``deadline`` (支援終了予定日 − 3
    months; NaT where the service ended early, by 離職 or 利用終了日, on or before it),
    ``consent`` / ``employer`` / ``outside`` (the day each part was done: 引継ぎ同意日, the first
    引継ぎ contact with the employer and with an outside body), ``done`` (the day all three
    were), ``in_time`` (done by the deadline) and ``lacking`` (what is missing, Japanese).

    ``recorded`` (from the review store: user_id, kind needs / consent / shared, value, party,
    done_on[, id]) adds the records made in the app, those dated by m1 only: the latest 要継続支援
    judgement replaces the workbook's, and each part is done on the earliest day of either."""
    m1 = _last_day(month)
    needs = users["needs_continuing"] if book.has("users", "needs_continuing") else pd.Series(None, index=users.index)
    needs = needs.astype(object).where(needs.notna(), None)
    judged = _recorded(recorded, users, m1, "needs").groupby("user_id")["value"].last()
    for user_id, value in judged.items():
        needs[user_id] = str(value)
    deadline = users["support_end"] - pd.DateOffset(months=HANDOVER_LEAD_MONTHS)
    early = (periods.ended_on(users) < users["support_end"]) & (periods.ended_on(users) <= deadline)
    deadline = deadline.where(~early.fillna(False))
    consent = _dates(book, "users", users, "handover_consent_on")
    consented = _recorded(recorded, users, m1, "consent").groupby("user_id")["done_on"].min().reindex(users.index)
    consent = pd.concat([consent.where(consent <= m1), consented], axis=1).min(axis=1)
    contacts = book.contacts[book.contacts["user_id"].isin(users.index) & (book.contacts["kind"] == HANDOVER)
                             & (book.contacts["date"] <= m1)]
    stored = _recorded(recorded, users, m1, "shared")
    shared = pd.concat([contacts[["user_id", "party", "date"]].astype({"user_id": object, "party": object}),
                        pd.DataFrame({"user_id": stored["user_id"].astype(object), "party": stored["party"].astype(object),
                                      "date": stored["done_on"]})], ignore_index=True)

    def first(parties) -> pd.Series:
        return shared[shared["party"].isin(parties)].groupby("user_id")["date"].min().reindex(users.index)

    parts = pd.DataFrame({"consent": consent, "employer": first(EMPLOYER_PARTIES), "outside": first(OUTSIDE_PARTIES)})
    done = parts.max(axis=1).where(parts.notna().all(axis=1))
    labels = {"consent": "本人の同意（引継ぎ同意日）", "employer": "企業との引継ぎ", "outside": "関係機関・医療機関との引継ぎ"}
    late = {c: (parts[c].isna() | (parts[c] > deadline)).to_numpy(bool) for c in parts.columns}
    lacking = [[labels[c] for c, missing in zip(parts.columns, row) if missing] for row in zip(*late.values())]
    return pd.DataFrame({"needs": needs, "deadline": deadline, **parts, "done": done,
                         "in_time": (done <= deadline).fillna(False), "lacking": lacking,
                         "planned_end": users["support_end"], "ended_on": periods.ended_on(users)}, index=users.index)


def handover_due(month: pd.Period, state: pd.DataFrame) -> pd.Series:
    """Who must have had the handover in place by M: 要継続支援 = はい and the deadline ≤ m1."""
    return state["needs"].eq(YES).fillna(False) & (state["deadline"] <= _last_day(month)).fillna(False)


def handover_late(month: pd.Period, state: pd.DataFrame) -> pd.Series:
    """Whose handover was not in place by a deadline that has passed by m1."""
    return handover_due(month, state) & ~state["in_time"]


def handover_months(month: pd.Period, state: pd.DataFrame) -> pd.Series:
    """Whose missed deadline puts M in the default months of the office's 支援体制構築未実施減算:
    from the month after the deadline through the month the person's support was planned to
    end (or ended, if sooner)."""
    late = state["needs"].eq(YES).fillna(False) & ~state["in_time"] & state["deadline"].notna()
    after = (state["deadline"].dt.to_period("M") < month).fillna(False)
    last = pd.concat([state["planned_end"], state["ended_on"]], axis=1).min(axis=1).dt.to_period("M")
    return late & after & (last >= month).fillna(False)


# --- leave and job changes ----------------------------------------------------------------------------

def on_leave(book: CaseBook, month: pd.Period, users: pd.DataFrame) -> pd.Series:
    """Who spent the whole of M on leave (勤怠 休職 = はい)."""
    a = book.attendance
    if not book.has("attendance", "on_leave"):
        return pd.Series(False, index=users.index)
    leave = a[(a["month"] == month) & a["on_leave"].eq(YES).fillna(False)]
    return pd.Series(users.index.isin(leave["user_id"]), index=users.index)


def job_change_text(users: pd.DataFrame, user_id: str, month: pd.Period) -> str:
    """離職日 10月5日 の後、11月5日 までに再就職していれば … (a job change not recorded)."""
    left = users.at[user_id, "left_on"]
    deadline = periods.months_after(left, periods.JOB_CHANGE_MONTHS, missing=periods.LAST_DAY)
    return (f"離職日（{day_text(left, month)}）の後の対面の支援です。{day_text(deadline, month)}までに再就職していれば"
            f"転職として支援が続き算定できます（利用者シートの 再就職日 に記入してください）。状況が 利用中 のままです")


# --- the month's facts, computed once -----------------------------------------------------------------

@dataclass
class MonthFacts:
    """The conditions of M for the people in service (``users``, indexed by 利用者ID), each
    computed when first asked for.  ``stored_plans``, ``monitorings`` and ``handovers`` are the
    review store's frames (None without a store)."""

    book: CaseBook
    month: pd.Period
    users: pd.DataFrame
    stored_plans: pd.DataFrame | None = None
    monitorings: pd.DataFrame | None = None
    handovers: pd.DataFrame | None = None

    @functools.cached_property
    def days(self) -> pd.DataFrame:
        return service_days(self.book, self.month, self.users)

    @functools.cached_property
    def face(self) -> pd.DataFrame:
        return face_to_face(self.book, self.month, self.users, self.days)

    @functools.cached_property
    def plan(self) -> pd.DataFrame:
        return plan_state(self.book, self.month, self.users, self.stored_plans, self.monitorings)

    @functools.cached_property
    def handover(self) -> pd.DataFrame:
        return handover(self.book, self.month, self.users, self.handovers)
