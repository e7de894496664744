"""The plan cycle's records: the Store's methods for the monitorings and the support plans.

- A monitoring (``PlanMonitoring``) is kept with the review of the same office, person and
  month: one record, versioned like the review (``expected_version``; a stale one raises
  ``Conflict`` and nothing changes).  A goal is identified by the plan's 計画作成日
  (``plan_date``) and its place in that plan (``index``, 1.. in the order of the workbook's
  rows or of the plan's goals); its 領域 and 目標 are kept as they were written when it was
  evaluated, so the record still says what was evaluated after the workbook changes.
- A support plan (``SupportPlan``) is the next plan being written: one draft per person at a
  time, edited over several days (``update_plan``), finalised with its 計画作成日
  (``finalise_plan``: at least one goal, each with 領域 and 目標).  The person's 同意日 and the
  交付日 are a separate, explicit step (``record_plan_consent``): nothing else records them,
  making the document included.  A finalised plan is not edited (a revision is a new draft);
  a mistaken one is withdrawn (kept, no longer counted).

``plans_frame`` gives the finalised plans that stand to ``fees.plan``: from their 計画作成日
they count as the plan in force exactly as a 支援計画 sheet's plan does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping

import pandas as pd
import sqlalchemy as sa

from ..japanese import JST, format_date, format_month
from ..records import (DRAFT, EVALUATIONS, FINAL, KEEP, PLAN_DECISIONS, PLAN_DOMAINS, PlanMonitoring,
                       SupportPlan)
from .checks import (LONG_TEXT, Conflict, StoreError, by_whom, checked_date, checked_id, checked_text,
                     checked_version, month_text, to_month)
from .tables import t_plan_monitorings, t_support_plans

__all__ = ["PLAN_EDITS", "PlanRecords", "monitoring_values", "stored_goal"]

MAX_COMMENT = LONG_TEXT             # characters: a monitoring comment (the app's limit too)
PLAN_EDITS = ("period_start", "period_end", "wishes", "overall_policy", "goals", "service_manager")
_GOAL_LABELS = {"domain": "領域", "goal": "目標", "support": "支援内容", "due_on": "期限", "evaluation": "評価"}


def _today() -> dt.date:
    return dt.datetime.now(JST).date()


def _not_after_today(day: dt.date, label: str) -> dt.date:
    if day > _today():
        raise StoreError(f"{label} {format_date(day)} は今日より後です。{label}には済んだ日を指定してください")
    return day


def stored_goal(goal: Mapping) -> dict:
    """A goal as read back from the store (期限 as a date)."""
    found = dict(goal)
    if found.get("due_on"):
        found["due_on"] = dt.date.fromisoformat(found["due_on"])
    else:
        found["due_on"] = None
    return found


# --- the monitoring ----------------------------------------------------------------------------

def _items(value, label: str) -> list[Mapping]:
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise StoreError(f"{label}は一覧で指定してください")
    items = list(value)
    if not all(isinstance(item, Mapping) for item in items):
        raise StoreError(f"{label}は目標ごとの組（辞書）の一覧で指定してください")
    return items


def _evaluation(item: Mapping, seen: set[int]) -> dict:
    index = item.get("index")
    if isinstance(index, bool) or not isinstance(index, int) or index < 1:
        raise StoreError(f"目標の番号（index）は1以上の整数で指定してください（{index!r}）")
    if index in seen:
        raise StoreError(f"目標{index}の評価が2つあります")
    seen.add(index)
    where = f"目標{index}の"
    evaluation = item.get("evaluation") or ""
    if evaluation not in ("", *EVALUATIONS):
        raise StoreError(f"{where}評価は {'・'.join(EVALUATIONS)} のどれか（まだなら空欄）にしてください"
                         f"（{evaluation!r} は使えません）")
    comment = checked_text(item.get("comment"), f"{where}コメント")
    if len(comment) > MAX_COMMENT:
        raise StoreError(f"{where}コメントが長すぎます（{len(comment):,}文字）。{MAX_COMMENT:,}文字以内にしてください")
    return {"index": index, "domain": checked_text(item.get("domain"), f"{where}領域"),
            "goal": checked_text(item.get("goal"), f"{where}目標"), "evaluation": evaluation, "comment": comment}


def monitoring_values(m: PlanMonitoring) -> dict:
    """A monitoring's columns, every value checked (Japanese errors)."""
    seen: set[int] = set()
    evaluations = sorted((_evaluation(item, seen) for item in _items(m.evaluations, "目標の評価")),
                         key=lambda e: e["index"])
    decision = m.decision or ""
    if decision not in ("", *PLAN_DECISIONS):
        raise StoreError(f"計画の判断は {'・'.join(PLAN_DECISIONS)} のどちらか（まだなら空欄）にしてください"
                         f"（{decision!r} は使えません）")
    return {
        "office": checked_text(m.office, "事業所", required=True),
        "user_id": checked_text(m.user_id, "利用者ID", required=True),
        "month": month_text(m.month),
        "monitored_on": _not_after_today(checked_date(m.monitored_on, "モニタリング日"), "モニタリング日"),
        "plan_date": checked_date(m.plan_date, "計画作成日", required=False),
        "evaluations": json.dumps(evaluations, ensure_ascii=False),
        "decision": decision,
    }


# --- the support plan --------------------------------------------------------------------------

def _goal(item: Mapping, number: int) -> dict:
    where = f"目標{number}の"
    unknown = sorted(set(item) - set(_GOAL_LABELS))
    if unknown:
        raise StoreError(f"{where}{'、'.join(map(str, unknown))} は目標の項目ではありません"
                         f"（{'・'.join(_GOAL_LABELS.values())}）")
    domain = item.get("domain") or ""
    if domain not in ("", *PLAN_DOMAINS):
        raise StoreError(f"{where}領域は {'・'.join(PLAN_DOMAINS)} のどれかにしてください（{domain!r} は使えません）")
    evaluation = item.get("evaluation") or ""
    if evaluation not in ("", *EVALUATIONS):
        raise StoreError(f"{where}評価は {'・'.join(EVALUATIONS)} のどれかにしてください（{evaluation!r} は使えません）")
    due = checked_date(item.get("due_on"), f"{where}期限", required=False)
    goal = {"domain": domain, "goal": checked_text(item.get("goal"), f"{where}目標"),
            "support": checked_text(item.get("support"), f"{where}支援内容"),
            "due_on": due.isoformat() if due else None}
    if evaluation:
        goal["evaluation"] = evaluation
    return goal


def goals_json(value) -> str:
    return json.dumps([_goal(item, n) for n, item in enumerate(_items(value, "目標"), 1)], ensure_ascii=False)


_PLAN_CHECKS = {
    "period_start": lambda v: checked_date(v, "計画期間の開始", required=False),
    "period_end": lambda v: checked_date(v, "計画期間の終了", required=False),
    "wishes": lambda v: checked_text(v, "本人の意向", limit=LONG_TEXT),
    "overall_policy": lambda v: checked_text(v, "総合的な方針", limit=LONG_TEXT),
    "goals": goals_json,
    "service_manager": lambda v: checked_text(v, "サービス管理責任者"),
}


def plan_edits(changes: Mapping[str, object]) -> dict:
    """The fields of a draft being written, checked (Japanese errors)."""
    unknown = sorted(set(changes) - set(PLAN_EDITS))
    if unknown:
        raise StoreError(f"計画案の {'、'.join(map(str, unknown))} は変更できません（変更できるのは 計画期間・"
                         "本人の意向・総合的な方針・目標・サービス管理責任者。同意日・交付日は record_plan_consent で）")
    return {name: _PLAN_CHECKS[name](value) for name, value in changes.items()}


def _check_period(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and end < start:
        raise StoreError(f"計画期間の終了（{format_date(end)}）が開始（{format_date(start)}）より前です")


def _final_goals(goals: str) -> None:
    found = json.loads(goals)
    if not any(g["goal"].strip() for g in found):
        raise StoreError("目標が1つもありません。目標を1つ以上入れてから確定してください")
    for number, goal in enumerate(found, 1):
        if not goal["goal"].strip():
            raise StoreError(f"目標{number}の目標が空欄です。書くか、その目標を削除してから確定してください")
        if not goal["domain"]:
            raise StoreError(f"目標{number}の領域（{'・'.join(PLAN_DOMAINS)}）を選んでから確定してください")


class PlanRecords:
    """Mixed into ``Store``: it gives ``_write``, ``_insert``, ``_update``, ``_locked``,
    ``_withdraw``, ``_select``, ``_record``, ``_log_not_kept`` and ``_check_user``."""

    # -- the monitoring

    def save_monitoring(self, monitoring: PlanMonitoring, *, by: str, expected_version: int | None,
                        not_kept: Mapping[str, object] | None = None) -> PlanMonitoring:
        """Save the monitoring of (office, user_id, month), like ``save_review``:
        ``expected_version`` None for a new one; a stale version raises ``Conflict``;
        ``not_kept`` (what was typed and not kept) goes to the history with the save."""
        by = by_whom(by)
        values = monitoring_values(monitoring)
        expected = checked_version(expected_version, required=False)
        office, user_id, month = values["office"], values["user_id"], values["month"]
        self._check_user(office, user_id)
        table = t_plan_monitorings
        key = (table.c.office == office, table.c.user_id == user_id, table.c.month == month)
        try:
            with self._write() as conn:
                current = self._locked(conn, table, *key)
                if current is None:
                    if expected is not None:
                        raise StoreError(f"{user_id} の{format_month(to_month(month))}のモニタリングは保存されていません"
                                         "（版を指定せずに新しく保存してください）")
                    row = self._insert(conn, table, values, by=by)
                else:
                    row = self._update(conn, table, current, values, expected, by=by, label="モニタリング")
                self._log_not_kept(conn, table, row, not_kept, by=by)
        except sa.exc.IntegrityError:
            current = self.monitoring(office, user_id, month)
            if current is None:
                raise
            raise Conflict("モニタリング", current, expected) from None
        return self._record(table, row)

    def monitoring(self, office: str, user_id: str, month) -> PlanMonitoring | None:
        table = t_plan_monitorings
        found = self._select(table, table.c.office == office, table.c.user_id == user_id,
                             table.c.month == month_text(month))
        return found[0] if found else None

    def monitorings(self, office: str | None = None, month=None, *, user_id: str | None = None) -> list[PlanMonitoring]:
        """Monitorings by office, month and person (of one month or person when given)."""
        table = t_plan_monitorings
        where = [c for c in (table.c.office == office if office is not None else None,
                             table.c.month == month_text(month) if month is not None else None,
                             table.c.user_id == user_id if user_id is not None else None) if c is not None]
        return self._select(table, *where, order=(table.c.office, table.c.month, table.c.user_id))

    def monitorings_frame(self, office: str) -> pd.DataFrame:
        """The monitorings that decided to keep the plan (継続): each is a review of the plan
        (``fees.plan_state``): user_id, monitored_on (datetime64), plan_date."""
        records = [m for m in self.monitorings(office) if m.decision == KEEP]
        return pd.DataFrame({
            "user_id": pd.array([r.user_id for r in records], dtype="string"),
            "monitored_on": pd.to_datetime(pd.Series([r.monitored_on for r in records], dtype="object")),
            "plan_date": pd.to_datetime(pd.Series([r.plan_date for r in records], dtype="object")),
        })

    # -- the support plan

    def create_plan_draft(self, office: str, user_id: str, *, by: str, based_on: dt.date | None = None,
                          review_month=None, **fields) -> SupportPlan:
        """Start the draft of a person's next plan (``fields``: any of ``PLAN_EDITS``).  A person
        has one draft at a time: while one stands, this is an error naming it."""
        by = by_whom(by)
        values = {"office": checked_text(office, "事業所", required=True),
                  "user_id": checked_text(user_id, "利用者ID", required=True),
                  "based_on": checked_date(based_on, "元の計画の作成日", required=False),
                  "review_month": None if review_month is None else month_text(review_month, "見直しを決めた月"),
                  "status": DRAFT, **plan_edits(fields)}
        _check_period(values.get("period_start"), values.get("period_end"))
        self._check_user(values["office"], values["user_id"])
        table = t_support_plans
        with self._write() as conn:
            standing = conn.execute(sa.select(table.c.id).where(
                table.c.office == values["office"], table.c.user_id == values["user_id"], table.c.status == DRAFT,
                table.c.withdrawn_at.is_(None))).first()
            if standing is not None:
                raise StoreError(f"{values['user_id']} さんには作成中の計画案（ID {standing.id}）があります。"
                                 "その計画案を続けて編集してください")
            row = self._insert(conn, table, values, by=by)
        return self._record(table, row)

    def _plan_change(self, plan_id: int, values_of, *, by: str, expected_version: int, final: bool,
                     not_kept: Mapping[str, object] | None = None) -> SupportPlan:
        """Change a plan that stands and is a draft (``final`` False) or finalised (True):
        ``values_of(current row)`` gives the new values; ``not_kept`` goes to the history."""
        by = by_whom(by)
        plan_id = checked_id(plan_id, "計画ID")
        expected = checked_version(expected_version, required=True)
        table = t_support_plans
        with self._write() as conn:
            current = self._locked(conn, table, table.c.id == plan_id)
            if current is None:
                raise StoreError(f"計画ID {plan_id} の記録はありません")
            if current.version != expected:
                raise Conflict("計画", self._record(table, current), expected)
            if current.withdrawn_at is not None:
                raise StoreError(f"計画ID {plan_id} は {current.withdrawn_by} さんが取り消し済みです")
            if final and current.status != FINAL:
                raise StoreError("同意日・交付日は確定した計画に記録します。先に計画を確定してください")
            if not final and current.status != DRAFT:
                raise StoreError("確定した計画は変更できません。見直すときは新しい計画案を作ってください")
            row = self._update(conn, table, current, values_of(current), expected, by=by, label="計画")
            self._log_not_kept(conn, table, row, not_kept, by=by)
        return self._record(table, row)

    def update_plan(self, plan_id: int, changes: Mapping[str, object], *, by: str,
                    expected_version: int, not_kept: Mapping[str, object] | None = None) -> SupportPlan:
        """Change some of a draft's ``PLAN_EDITS`` (計画期間, 本人の意向, 総合的な方針, 目標,
        サービス管理責任者); ``not_kept`` (what was typed and not kept) goes to the history."""
        values = plan_edits(changes)

        def new_values(current) -> dict:
            _check_period(values.get("period_start", current.period_start), values.get("period_end", current.period_end))
            return values
        return self._plan_change(plan_id, new_values, by=by, expected_version=expected_version, final=False,
                                 not_kept=not_kept)

    def finalise_plan(self, plan_id: int, *, by: str, expected_version: int, plan_date: dt.date) -> SupportPlan:
        """Make a draft the plan (確定) with its 計画作成日 (never after today, after the plan it
        revises): it needs at least one goal, each with 領域 and 目標."""
        day = _not_after_today(checked_date(plan_date, "計画作成日"), "計画作成日")

        def new_values(current) -> dict:
            _final_goals(current.goals)
            if current.based_on is not None and day <= current.based_on:
                raise StoreError(f"計画作成日 {format_date(day)} が元の計画（{format_date(current.based_on)} 作成）"
                                 "より前です。元の計画より後の日にしてください")
            return {"status": FINAL, "plan_date": day}
        return self._plan_change(plan_id, new_values, by=by, expected_version=expected_version, final=False)

    def record_plan_consent(self, plan_id: int, *, by: str, expected_version: int, consent_on: dt.date | None = None,
                            delivered_on: dt.date | None = None) -> SupportPlan:
        """Record the person's 同意日 and / or the 交付日 of a finalised plan (each on or after
        its 計画作成日, never after today); a date not given is left as it is."""
        values = {}
        for name, value, label in (("consent_on", consent_on, "同意日"), ("delivered_on", delivered_on, "交付日")):
            if value is not None:
                values[name] = _not_after_today(checked_date(value, label), label)
        if not values:
            raise StoreError("同意日か交付日を指定してください")

        def new_values(current) -> dict:
            for name, label in (("consent_on", "同意日"), ("delivered_on", "交付日")):
                if name in values and values[name] < current.plan_date:
                    raise StoreError(f"{label} {format_date(values[name])} が計画作成日"
                                     f"（{format_date(current.plan_date)}）より前です")
            return values
        return self._plan_change(plan_id, new_values, by=by, expected_version=expected_version, final=True)

    def withdraw_plan(self, plan_id: int, *, by: str, expected_version: int, reason: str = "") -> SupportPlan:
        """Withdraw a mistaken plan or a draft given up: it stays (who, when, why), no longer
        counts, and a new draft can be started."""
        return self._withdraw(t_support_plans, plan_id, by=by, expected_version=expected_version, reason=reason,
                              id_label="計画ID", label="計画")

    def support_plan(self, plan_id: int) -> SupportPlan | None:
        found = self._select(t_support_plans, t_support_plans.c.id == plan_id)
        return found[0] if found else None

    def support_plans(self, office: str | None = None, user_id: str | None = None, *,
                      include_withdrawn: bool = False) -> list[SupportPlan]:
        """The plans written in the app, oldest first; withdrawn ones only with ``include_withdrawn``."""
        table = t_support_plans
        where = [c for c in (table.c.office == office if office is not None else None,
                             table.c.user_id == user_id if user_id is not None else None,
                             None if include_withdrawn else table.c.withdrawn_at.is_(None)) if c is not None]
        return self._select(table, *where, order=(table.c.office, table.c.user_id))

    def plan_draft(self, office: str, user_id: str) -> SupportPlan | None:
        """The person's draft being written, if any."""
        drafts = [p for p in self.support_plans(office, user_id) if p.status == DRAFT]
        return drafts[-1] if drafts else None

    def plans_frame(self, office: str) -> pd.DataFrame:
        """The finalised plans that stand (``fees.plan(stored=...)``): user_id, plan_date,
        consent_on, delivered_on (datetime64), plan_id."""
        records = [p for p in self.support_plans(office) if p.is_final]
        dates = lambda name: pd.to_datetime(pd.Series([getattr(r, name) for r in records], dtype="object"))
        return pd.DataFrame({
            "user_id": pd.array([r.user_id for r in records], dtype="string"),
            "plan_date": dates("plan_date"), "consent_on": dates("consent_on"), "delivered_on": dates("delivered_on"),
            "plan_id": pd.array([r.id for r in records], dtype="Int64"),
        })
