"""The 個別支援計画書: the person's plan on one or two A4 pages, to explain, sign and hand over.

``plan_html(book, month, user_id, store=...)`` gathers what it shows; the report notebook
``plan.ipynb`` displays it (``report_views.show_plan``) and ``reports`` exports it as HTML or
PDF like the other documents.

Which plan: the person's latest plan written in the app (a draft, printed as 案, or a
finalised one) when there is one, unless the workbook's 支援計画 sheet has a plan made after
that finalised one; otherwise the workbook's plan in force at the end of ``month``.

What it shows is the person's own: who, the plan period, 本人の意向, the 総合的な方針, the
goals with 領域, 支援内容 and 期限, the monitoring of the previous plan's goals (the latest
evaluations and their comments), the サービス管理責任者, and lines for the 説明日, the person's
consent and signature and the 交付日 (filled in where the dates are recorded).  Never a flag,
a review's internal fields (現状, 課題, 検討内容, 会議の判断), a contact's note or a data problem.
Making it records nothing: 同意日 and 交付日 are recorded on purpose (``Store.record_plan_consent``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from . import casefile
from .casebook import CaseBook
from .errors import StaffError
from .japanese import format_date
from .markup import in_office_dates, render, shown
from .plan_cycle import CurrentPlan, current_plan

TITLE = "個別支援計画書"


class PlanDocumentError(StaffError, ValueError):
    """No plan to print for this person; the message is Japanese, for staff."""


@dataclass(frozen=True)
class PrintedPlan:
    """The plan the document shows."""

    draft: bool                            # printed as 案 (not finalised yet)
    plan_date: dt.date | None
    period: tuple[dt.date | None, dt.date | None]
    wishes: str
    overall_policy: str
    goals: tuple[dict, ...]                # domain, goal, support, due_on
    service_manager: str
    previous: dt.date | None               # the 計画作成日 of the plan it follows (for the monitoring)
    consent_on: dt.date | None = None
    delivered_on: dt.date | None = None


def _from_store(plan, book: CaseBook) -> PrintedPlan:
    end = plan.period_end
    if end is None and plan.period_start is not None:
        end = _period_end(plan.period_start, book)
    return PrintedPlan(not plan.is_final, plan.plan_date, (plan.period_start, end), plan.wishes, plan.overall_policy,
                       plan.goals, plan.service_manager or book.settings.service_manager or "", plan.based_on,
                       plan.consent_on, plan.delivered_on)


def _period_end(start: dt.date, book: CaseBook) -> dt.date:
    return (pd.Timestamp(start) + pd.DateOffset(months=book.settings.plan_review_months)).date() - dt.timedelta(days=1)


def _from_workbook(current: CurrentPlan, book: CaseBook, user_id: str, month: pd.Period, store) -> PrintedPlan:
    """A workbook plan: 本人の意向 and the 方針 from the month's review when there is one."""
    review = store.review(book.key, user_id, month) if store is not None else None
    plans = book.plans
    earlier = plans[(plans["user_id"] == user_id) & (plans["plan_date"] < pd.Timestamp(current.plan_date))]
    previous = earlier["plan_date"].max().date() if len(earlier) else None
    return PrintedPlan(False, current.plan_date, (current.plan_date, _period_end(current.plan_date, book)),
                       review.wishes if review is not None else "", review.policy if review is not None else "",
                       current.goals, book.settings.service_manager or "", previous,
                       current.consent_on, current.delivered_on)


def printed_plan(book: CaseBook, user_id: str, month: pd.Period, store=None) -> PrintedPlan:
    """The plan the 個別支援計画書 of ``user_id`` shows (see the module's docstring)."""
    stored = store.support_plans(book.key, user_id) if store is not None else []
    latest = stored[-1] if stored else None
    current = current_plan(book, user_id, month, None)
    if latest is not None and not (latest.is_final and current is not None and current.plan_date > latest.plan_date):
        return _from_store(latest, book)
    if current is None:
        raise PlanDocumentError(f"利用者ID {user_id} には個別支援計画がありません（支援計画シートにも、"
                                "アプリで作った計画案にもありません）")
    return _from_workbook(current, book, user_id, month, store)


def _monitoring(store, book: CaseBook, user_id: str, previous: dt.date | None) -> tuple[dt.date | None, list]:
    """The latest monitoring of the plan made on ``previous``: (its day, [(目標, 評価, コメント)])."""
    if store is None or previous is None:
        return None, []
    found = [m for m in store.monitorings(book.key, user_id=user_id) if m.plan_date == previous]
    if not found:
        return None, []
    latest = found[-1]
    return latest.monitored_on, [(f"【{e['domain'] or '—'}】{e['goal']}", e["evaluation"] or "未評価", e["comment"])
                                 for e in latest.evaluations]


@in_office_dates
def plan_html(book: CaseBook, month: pd.Period, user_id: str, *, store=None) -> str:
    """The 個別支援計画書 of ``user_id`` (HTML, for the report template)."""
    user_id = str(user_id)
    profile = casefile.profile(book, user_id, month)
    if profile is None:
        raise PlanDocumentError(f"利用者ID {user_id} は {book.office} のケース記録にありません")
    plan = printed_plan(book, user_id, month, store)
    monitored_on, monitoring = _monitoring(store, book, user_id, plan.previous)
    start, end = plan.period
    facts = [("氏名", f"{shown(profile['name'], '')} 様"), ("勤務先", profile["employer"]),
             ("支援期間", f"{shown(profile['support_start'])}〜{shown(profile['support_end'])}"),
             ("計画期間", f"{shown(start)}〜{shown(end)}" if start is not None else None),
             ("計画作成日", plan.plan_date if plan.plan_date is not None else "（確定後に記入）")]
    return render(
        "documents/plan.html.j2", title=TITLE + ("（案）" if plan.draft else ""), draft=plan.draft, facts=facts,
        wishes=plan.wishes, overall_policy=plan.overall_policy,
        goals=[(g["domain"] or "—", g["goal"], g["support"], g["due_on"]) for g in plan.goals],
        monitoring=monitoring, monitored_on=monitored_on, previous=plan.previous,
        service_manager=plan.service_manager, office=book.office, office_number=book.settings.office_number,
        consent_on=format_date(plan.consent_on) if plan.consent_on else None,
        delivered_on=format_date(plan.delivered_on) if plan.delivered_on else None)
