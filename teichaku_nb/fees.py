"""The conditions of the monthly fee (rules version 2, the 2024 revision), computed once.

The agenda's flags warn about them (``rules``) and the month's billing check counts them
(``billing``); both read the answers here, so a condition is written in one place.  Every
function looks at the month M (m0 its first day, m1 its last) for the people in service,
given as a frame of the workbook's 利用者 rows indexed by 利用者ID, and answers per person.

- the 支援レポート must reach 本人 (本人 or 本人・企業) for M to be billed;
- the 支給決定 must cover M (支給決定開始日 ≤ m1, 受給者証有効期限 ≥ m0);
- 個別支援計画未作成減算 (``plan_missing``): no plan made by m1, the latest plan's review overdue
  all month (計画作成日 + 計画見直し間隔 < m0), or, where the book has 同意日, no consent by m1;
  a plan finalised in the app (the review store) counts as a 支援計画 sheet's plan does;
  30 % of the base units for the 1st and 2nd month in a row, 50 % from the 3rd;
- 支援体制構築未実施減算 (``handover_missing``): 要継続支援 = はい and the handover not in place by
  its deadline (支援終了予定日 − 3 months): the person's consent (引継ぎ同意日), a 引継ぎ contact
  with the employer and one with an outside body (関係機関 / 医療機関); 10 %.

A rule that needs a format 2 column checks only books that have it (``CaseBook.has``).
See docs/fee-check.md.
"""

from __future__ import annotations

import pandas as pd

from .casebook import CaseBook
from .japanese import format_date

YES, NO = "はい", "いいえ"
TO_PERSON = ("本人", "本人・企業")                 # a 支援レポート that reached 本人
HANDOVER = "引継ぎ"                                # 面談記録 区分 of a contact shared for the handover
EMPLOYER_PARTIES = ("企業", "本人・企業")
OUTSIDE_PARTIES = ("関係機関", "医療機関")
PLAN_MISSING_RATES = (0.30, 0.30, 0.50)          # by month in a row: the 1st, the 2nd, the 3rd and after
HANDOVER_MISSING_RATE = 0.10
HANDOVER_LEAD_MONTHS = 3                         # the handover is due this long before the support ends
HANDOVER_WATCH_MONTHS = 6                        # handover_due looks this far ahead


def _first_day(month: pd.Period) -> pd.Timestamp:
    return month.start_time.normalize()


def _last_day(month: pd.Period) -> pd.Timestamp:
    return month.end_time.normalize()


# --- the 支援レポート to 本人 ---------------------------------------------------------------------

def reached_person(reports: pd.DataFrame, month: pd.Period) -> set[str]:
    """Who was given M's 支援レポート as 本人 (``reports``: user_id, month, recipient, from the
    workbook's sheet and the store's standing sendings)."""
    given = reports[(reports["month"] == month) & reports["recipient"].isin(TO_PERSON)]
    return set(given["user_id"])


def reached_employer_only(reports: pd.DataFrame, month: pd.Period) -> set[str]:
    """Who has M's 支援レポート recorded for 企業 only (the fee needs 本人)."""
    of_month = reports[reports["month"] == month]
    return set(of_month["user_id"]) - reached_person(reports, month)


# --- the 支給決定 -------------------------------------------------------------------------------

def decision(book: CaseBook, month: pd.Period, users: pd.DataFrame) -> pd.DataFrame:
    """Per person: ``covered`` (True / False / NA when a date is blank) and ``why`` (Japanese)."""
    m0, m1 = _first_day(month), _last_day(month)
    until = users["certificate_until"]
    start = users["decision_start"] if book.has("users", "decision_start") else pd.Series(pd.NaT, index=users.index)
    checked_start = book.has("users", "decision_start")
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


# --- the 個別支援計画 ----------------------------------------------------------------------------

def _plan_rows(book: CaseBook, m1: pd.Timestamp, users: pd.DataFrame, stored: pd.DataFrame | None) -> pd.DataFrame:
    """The plans made by m1, one row per 支援計画 row and per finalised plan of the review store
    (``stored``: user_id, plan_date, consent_on): user_id, plan_date, consent_on and
    ``checked`` (whether its consent is checked: a store plan always, the workbook's where the
    book has 同意日)."""
    sheet = book.plans[book.plans["user_id"].isin(users.index) & (book.plans["plan_date"] <= m1)]
    has_consent = book.has("plans", "consent_on")
    rows = pd.DataFrame({"user_id": sheet["user_id"].astype(object), "plan_date": sheet["plan_date"],
                         "consent_on": sheet["consent_on"] if has_consent else pd.NaT, "checked": has_consent})
    if stored is not None and len(stored):
        chosen = stored[stored["user_id"].isin(users.index) & (stored["plan_date"] <= m1).fillna(False)]
        rows = pd.concat([rows, pd.DataFrame({
            "user_id": chosen["user_id"].astype(object), "plan_date": chosen["plan_date"],
            "consent_on": chosen["consent_on"], "checked": True})], ignore_index=True)
    return rows.astype({"plan_date": "datetime64[ns]", "consent_on": "datetime64[ns]", "checked": bool})


def plan(book: CaseBook, month: pd.Period, users: pd.DataFrame, stored: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per person, the plan in force at m1: ``made`` (its 計画作成日), ``due`` (when its review
    falls due), ``missing`` (the 減算's condition holds in M) and ``why`` (Japanese).

    ``stored`` (the review store's finalised plans: user_id, plan_date, consent_on) counts
    beside the 支援計画 sheet: a plan made in the app is the plan in force from its 計画作成日,
    and its 同意日 is checked as the sheet's is."""
    m0, m1 = _first_day(month), _last_day(month)
    months = book.settings.plan_review_months
    plans = _plan_rows(book, m1, users, stored)
    made = plans.groupby("user_id")["plan_date"].max().reindex(users.index)
    due = made + pd.DateOffset(months=months)
    no_plan = made.isna()
    overdue = (due < m0).fillna(False)
    missing = no_plan | overdue
    why = pd.Series("", index=users.index, dtype=object)
    why[no_plan] = "個別支援計画がありません"
    why[overdue] = [f"個別支援計画の見直し期限（{format_date(d)}）を過ぎています" for d in due[overdue]]
    latest = plans.merge(made.rename("latest").reset_index(), on="user_id")
    latest = latest[latest["plan_date"] == latest["latest"]]
    checked = users.index.isin(latest[latest["checked"]]["user_id"].unique())
    consented = latest[(latest["consent_on"] <= m1).fillna(False)]["user_id"].unique()
    unconsented = ~missing & checked & ~users.index.isin(consented)
    why[unconsented] = [f"個別支援計画（{format_date(d)} 作成）に本人の同意日がありません" for d in made[unconsented]]
    missing = missing | unconsented
    return pd.DataFrame({"made": made, "due": due, "missing": missing, "why": why})


def plan_missing_months(book: CaseBook, month: pd.Period, users: pd.DataFrame,
                        stored: pd.DataFrame | None = None) -> pd.Series:
    """For each person whose plan is missing in M: how many months in a row it has been (M
    included, counted back while the person was in service); 0 for the others."""
    count = plan(book, month, users, stored)["missing"].astype(int)
    running = count.astype(bool)
    back = month
    while running.any():
        back -= 1
        served = (users["support_start"] <= _last_day(back)).fillna(False)
        still = running & served & plan(book, back, users, stored)["missing"]
        count += still.astype(int)
        running = still
    return count


def plan_missing_rate(months_in_a_row: int) -> float:
    return PLAN_MISSING_RATES[min(months_in_a_row, len(PLAN_MISSING_RATES)) - 1]


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
    months), ``consent`` / ``employer`` / ``outside`` (the day each part was done: 引継ぎ同意日,
    the first 引継ぎ contact with the employer and with an outside body), ``done`` (the day all
    three were), ``in_time`` (done by the deadline) and ``lacking`` (what is missing, Japanese).

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
    consent = users["handover_consent_on"] if book.has("users", "handover_consent_on") \
        else pd.Series(pd.NaT, index=users.index, dtype="datetime64[ns]")
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
                         "in_time": (done <= deadline).fillna(False), "lacking": lacking}, index=users.index)


def handover_missing(book: CaseBook, month: pd.Period, users: pd.DataFrame,
                     state: pd.DataFrame | None = None) -> pd.Series:
    """Who is under 支援体制構築未実施減算 in M: 要継続支援 = はい, the deadline on or before m1,
    and the handover not in place by then (or the office has no 引継ぎの指針: 設定 says いいえ;
    a blank setting is a question for the office, see ``handover_due``)."""
    state = handover(book, month, users) if state is None else state
    return handover_due(book, month, state) & (~state["in_time"] | (book.settings.handover_policy == NO))


def handover_due(book: CaseBook, month: pd.Period, state: pd.DataFrame) -> pd.Series:
    """Who must have the handover in place by M: 要継続支援 = はい and the deadline ≤ m1."""
    return state["needs"].eq(YES).fillna(False) & (state["deadline"] <= _last_day(month)).fillna(False)
