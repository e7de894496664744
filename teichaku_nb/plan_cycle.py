"""The individual support plan's cycle at the conference: monitoring each goal, revising the plan.

What the app (and the documents) call, over a CaseBook and the review store:

- ``current_plan``: the plan in force at the end of a month, as the fee check reads it: the
  latest of the workbook's 支援計画 plans and the plans finalised in the app (the store) that
  has the person's 同意日 (and 交付日, where recorded) by then (a tie goes to the store's, which
  the app wrote);
- ``plan_due``: whether a case of the month's agenda has its plan due for review (the flags
  ``plan_review_due`` or ``plan_missing``): monitoring it is part of reviewing the case;
- ``monitoring_form``: the goals of the plan in force, each with what the month's monitoring
  says of it (evaluation, comment), and the saved record with its version;
  ``monitoring_record``: the record to save from the form's answers;
- ``draft_from_review``: the draft of the next plan when the review decided 見直し: the goals
  carried over with their evaluations, 本人の意向 from the review's 本人の意向, the 総合的な方針
  from its 方針, the サービス管理責任者 from 設定, and a period from the month after the review
  for the review interval of 設定.  A person has one draft at a time: an existing one is returned.

A goal is identified by the plan's 計画作成日 and its place in the plan (1.., in the order of
the workbook's rows or of the app plan's goals); see ``store/plans.py``.  Nothing here writes
except ``draft_from_review`` (a draft, never a 同意日 or 交付日).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from . import fees
from .casebook import CaseBook
from .markup import is_blank
from .records import PlanMonitoring, SupportPlan

WORKBOOK, STORE = fees.WORKBOOK, fees.STORE
DUE_FLAGS = ("plan_review_due", "plan_missing")


@dataclass(frozen=True)
class CurrentPlan:
    """A plan in force: ``goals`` are dicts with index (1..), domain, goal, support, due_on
    (a date or None) and, for a workbook plan, status (the sheet's 状況)."""

    source: str                            # WORKBOOK or STORE
    plan_date: dt.date
    goals: tuple[dict, ...]
    consent_on: dt.date | None = None
    delivered_on: dt.date | None = None
    plan: SupportPlan | None = None        # the store's record (source STORE)


def _date(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _text(value) -> str:
    return "" if is_blank(value) else str(value)


def _workbook_plan(book: CaseBook, user_id: str, plan_date: pd.Timestamp) -> CurrentPlan:
    p = book.plans
    mine = p[(p["user_id"] == user_id) & (p["plan_date"] == plan_date)].sort_values("row")
    dates = lambda name: _date(mine[name].dropna().min()) if book.has("plans", name) and mine[name].notna().any() \
        else None
    goals = tuple({"index": n, "domain": _text(r["domain"]), "goal": _text(r["goal"]), "support": _text(r["support"]),
                   "due_on": _date(r["due_on"]), "status": _text(r["status"])}
                  for n, r in enumerate(mine.to_dict("records"), 1))
    return CurrentPlan(WORKBOOK, _date(plan_date), goals, dates("consent_on"), dates("delivered_on"))


def _store_plan(store, office: str, user_id: str, plan_date: pd.Timestamp) -> CurrentPlan:
    finals = [p for p in store.support_plans(office, user_id) if p.is_final and p.plan_date == plan_date.date()]
    plan = max(finals, key=lambda p: p.id)
    goals = tuple({"index": n, "domain": g["domain"], "goal": g["goal"], "support": g["support"],
                   "due_on": g["due_on"]} for n, g in enumerate(plan.goals, 1))
    return CurrentPlan(STORE, plan.plan_date, goals, plan.consent_on, plan.delivered_on, plan)


def current_plan(book: CaseBook, user_id: str, month: pd.Period, store=None) -> CurrentPlan | None:
    """The plan in force at the end of ``month`` (None: the person has none yet): the latest of
    the 支援計画 sheet's plans and the plans finalised in the app whose 同意日 (and 交付日, where
    recorded) is by then, as the fee check reads it (``fees.plan_state``).  A newer plan still
    waiting for consent does not replace it."""
    user_id = str(user_id)
    users = book.users[book.users["user_id"] == user_id].set_index("user_id", drop=False)
    if users.empty:
        return None
    stored = store.plans_frame(book.key) if store is not None else None
    state = fees.plan_state(book, month, users, stored).loc[user_id]
    if pd.isna(state["plan_date"]):
        return None
    if state["source"] == STORE:
        return _store_plan(store, book.key, user_id, state["plan_date"])
    return _workbook_plan(book, user_id, state["plan_date"])


def plan_due(case) -> bool:
    """Whether the agenda's ``case`` has its plan due for review this month (or overdue)."""
    return any(code in DUE_FLAGS for code in case.codes)


# --- the monitoring ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonitoringForm:
    """What the monitoring of a person's month shows: the plan in force, the saved record
    (None: not yet; its ``version`` is the one to save over) and each goal of the plan with
    ``evaluation`` and ``comment`` (blank when not yet evaluated)."""

    user_id: str
    month: pd.Period
    plan: CurrentPlan | None
    monitoring: PlanMonitoring | None
    goals: tuple[dict, ...]

    @property
    def decision(self) -> str:
        return self.monitoring.decision if self.monitoring is not None else ""


def monitoring_form(book: CaseBook, user_id: str, month: pd.Period, store) -> MonitoringForm:
    """The goals to evaluate at the review of ``month``, with what was saved for them.  A saved
    monitoring of another plan (the plan changed since) keeps its record; its evaluations are
    not shown against the new plan's goals."""
    user_id = str(user_id)
    plan = current_plan(book, user_id, month, store)
    saved = store.monitoring(book.key, user_id, month) if store is not None else None
    same_plan = saved is not None and plan is not None and saved.plan_date == plan.plan_date
    by_index = {e["index"]: e for e in saved.evaluations} if same_plan else {}
    goals = tuple(goal | {"evaluation": by_index.get(goal["index"], {}).get("evaluation", ""),
                          "comment": by_index.get(goal["index"], {}).get("comment", "")}
                  for goal in (plan.goals if plan is not None else ()))
    return MonitoringForm(user_id, month, plan, saved, goals)


def monitoring_record(book: CaseBook, form: MonitoringForm, answers: Mapping[int, tuple[str, str]], *,
                      monitored_on: dt.date, decision: str = "") -> PlanMonitoring:
    """The monitoring to save (``Store.save_monitoring(..., expected_version=form.monitoring
    .version or None)``): ``answers`` maps a goal's index to (evaluation, comment); goals not
    answered keep what the form shows."""
    evaluations = []
    for goal in form.goals:
        evaluation, comment = answers.get(goal["index"], (goal["evaluation"], goal["comment"]))
        evaluations.append({"index": goal["index"], "domain": goal["domain"], "goal": goal["goal"],
                            "evaluation": evaluation, "comment": comment})
    return PlanMonitoring(office=book.key, user_id=form.user_id, month=form.month, monitored_on=monitored_on,
                          plan_date=form.plan.plan_date if form.plan is not None else None,
                          evaluations=tuple(evaluations), decision=decision)


# --- revising --------------------------------------------------------------------------------------

def draft_from_review(book: CaseBook, store, user_id: str, month: pd.Period, *, by: str) -> SupportPlan:
    """The draft of the person's next plan, started from the review of ``month`` (see the
    module's docstring); the existing draft when there is one (nothing is written then)."""
    user_id = str(user_id)
    existing = store.plan_draft(book.key, user_id)
    if existing is not None:
        return existing
    form = monitoring_form(book, user_id, month, store)
    review = store.review(book.key, user_id, month)
    goals = [{"domain": g["domain"], "goal": g["goal"], "support": g["support"], "due_on": g["due_on"],
              **({"evaluation": g["evaluation"]} if g["evaluation"] else {})} for g in form.goals]
    start = (month + 1).start_time.date()
    end = (pd.Timestamp(start) + pd.DateOffset(months=book.settings.plan_review_months)).date() - dt.timedelta(days=1)
    return store.create_plan_draft(
        book.key, user_id, by=by, based_on=form.plan.plan_date if form.plan is not None else None,
        review_month=month, period_start=start, period_end=end,
        wishes=review.wishes if review is not None else "", overall_policy=review.policy if review is not None else "",
        goals=goals, service_manager=book.settings.service_manager or "")
