"""The draft of the next 個別支援計画, in the plan section of the review form.

When the monitoring decided 「見直し」 (or the person has no plan yet), 「次の計画の案を作る」 starts
the draft (``plan_cycle.draft_from_review``: the goals carried over with their evaluations, 本人の
意向 and 総合的な方針 from the review, the サービス管理責任者 from 設定).  The draft is edited over
several days (計画期間, 本人の意向, 総合的な方針, サービス管理責任者, goals added and removed) and saved with
「案を保存」; a save that meets someone else's newer one is merged field by field (``plan.save_merged``),
fields both changed keep the typed text and show the saved one with who saved it.  「計画を確定」
makes it the plan with its 計画作成日, once staff answer 「確定する」 to the question it asks first (a
plan finalised cannot go back to a draft); a goal whose 期限 is outside the 計画期間 is said
beside the goal and in that question, never refused.  The person's 同意日 and the 交付日 are then recorded on purpose
(「同意日・交付日を記録」): nothing else records them, making the document included.  The draft a
person has is reopened whenever the case is opened; a finalised plan stays shown until both
dates are recorded.  確定 and the 同意日・交付日 are a サービス管理責任者's to record (or a 管理者's:
``staff.ALLOWED``): a 支援員 drafts and saves, and is refused those two in Japanese (the view disables
their buttons too, with the reason as tooltip).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import traitlets as t

from .. import plan_cycle
from ..errors import FormError
from ..japanese import as_month, format_date, format_time
from ..merging import merge_fields
from ..records import DRAFT, FINAL, PLAN_STATUSES
from ..store.checks import LONG_TEXT, SHORT_TEXT
from .common import check_lengths, month_label, who_records
from .dates import HINT as DATE_HINT
from .plan import REVISE, conflict_rows, save_merged, taken_text
from .panel import Case, CaseForm

GOAL_FIELDS = ("domain", "goal", "support", "due_on")
UNNAMED = "（サインインした職員不明）"     # who typed a replaced draft, when nobody is known to be signed in
LABELS = {"period_start": "計画期間の開始", "period_end": "計画期間の終了", "wishes": "本人の意向",
          "overall_policy": "総合的な方針", "goals": "目標", "service_manager": "サービス管理責任者"}


def _goal(goal: Mapping) -> dict:
    """A goal as the form keeps it (the evaluation carried over, when there is one)."""
    found = {name: goal.get(name) or ("" if name != "due_on" else None) for name in GOAL_FIELDS}
    if goal.get("evaluation"):
        found["evaluation"] = goal["evaluation"]
    return found


def _goals_text(goals) -> str:
    def due(value) -> str:
        return format_date(value) if isinstance(value, dt.date) else (value or "—")
    return "\n".join(f"{n}. 【{g.get('domain') or '領域なし'}】{g.get('goal') or '（目標なし）'} / 支援内容: "
                     f"{g.get('support') or '—'} / 期限: {due(g.get('due_on'))}" for n, g in enumerate(goals, 1)) \
        or "（目標なし）"


def due_outside(goals, start, end) -> dict[int, str]:
    """Goal position → a warning, for each goal whose 期限 is outside the 計画期間 (a date before
    its start or after its end); a period or 期限 not given (or not a date) warns of nothing."""
    found = {}
    for position, goal in enumerate(goals):
        due = goal.get("due_on")
        if not isinstance(due, dt.date):
            continue
        if isinstance(start, dt.date) and due < start:
            found[position] = (f"目標{position + 1}の期限（{format_date(due)}）が計画期間の開始"
                               f"（{format_date(start)}）より前です")
        elif isinstance(end, dt.date) and due > end:
            found[position] = (f"目標{position + 1}の期限（{format_date(due)}）が計画期間の終了"
                               f"（{format_date(end)}）より後です")
    return found


def _shown(name: str, value) -> str:
    if name == "goals":
        return _goals_text(value or ())
    if name in ("period_start", "period_end"):
        return format_date(value) if isinstance(value, dt.date) else (value or "（空欄）")
    return value or "（空欄）"


class DraftModel(CaseForm):
    """The person's draft (or the plan finalised but not yet agreed and handed over)."""

    user_id = t.Unicode("")
    month = t.Unicode("")
    person = t.Unicode("")
    decision = t.Unicode("")             # the monitoring form's decision (linked by the conference)
    monitoring_dirty = t.Bool(False)     # the monitoring has unsaved edits (linked)
    has_plan = t.Bool(True)              # the person has a plan in force (linked)
    plan_id = t.Int(0)
    version = t.Int(0)
    status = t.Unicode("")               # "" none shown / draft / final
    period_start = t.Any(None)
    period_end = t.Any(None)
    wishes = t.Unicode("")
    overall_policy = t.Unicode("")
    service_manager = t.Unicode("")
    goals = t.List()                     # [{domain, goal, support, due_on[, evaluation]}]
    goal_rows = t.Int(0)                 # counts goals added, removed or read: the view rebuilds its rows
    plan_date = t.Any(None)              # 計画作成日 to finalise with (today unless changed)
    consent_on = t.Any(None)             # 同意日 / 交付日 to record
    delivered_on = t.Any(None)
    info = t.Dict()                      # the stored plan as shown: status, dates, who saved it
    dirty = t.Bool(False)
    message = t.Unicode("")
    message_kind = t.Unicode("")
    conflict = t.Dict()                  # {saved_by, saved_at, rows}
    asking = t.Unicode("")               # the question before 確定 (it cannot be undone); "" when not asked
    due_warnings = t.Dict()              # goal position → its 期限 is outside the 計画期間 (``due_outside``)
    recorded = t.Int(0)                  # counts finalising and 同意日・交付日: the fee check is read again
    saves = t.Int(0)                     # counts every step done (an earlier failure shown is no longer true)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._base: dict = {}
        self._typed: dict = {}           # fields both changed: what was typed here (the history keeps it
                                         # when the next save does not)
        self.observe(self._update_dirty, names=[*LABELS, "status"])
        self.observe(self._check_dues, names=["goals", "period_start", "period_end"])
        # a question asked before 確定 is about the draft as it was: any change withdraws it
        self.observe(self._unask, names=[*LABELS, "plan_date", "plan_id", "status", "dirty", "user_id"])

    def _check_dues(self, _change=None) -> None:
        self.due_warnings = due_outside(self.goals, self.period_start, self.period_end)

    def _unask(self, _change=None) -> None:
        self.asking = ""

    # -- state

    def values(self) -> dict:
        found = {name: getattr(self, name) for name in LABELS}
        found["goals"] = [_goal(g) for g in self.goals]
        return found

    @staticmethod
    def _values_of(plan) -> dict:
        found = {name: getattr(plan, name) for name in LABELS}
        found["goals"] = [_goal(g) for g in plan.goals]
        return found

    def _update_dirty(self, _change=None) -> None:
        self.dirty = self.status == DRAFT and self.values() != self._base

    def _fill(self, values: Mapping) -> None:
        with self.hold_trait_notifications():
            for name in LABELS:
                if name in ("period_start", "period_end"):
                    setattr(self, name, values[name])
                elif name != "goals":
                    setattr(self, name, values[name] or "")
            self.goals = [_goal(g) for g in values["goals"]]
            self.goal_rows += 1
        self._update_dirty()

    def _current(self):
        """The person's draft, else their latest finalised plan still lacking 同意日 or 交付日."""
        if self.store is None or not self.user_id:
            return None
        draft = self.store.plan_draft(self.office, self.user_id)
        if draft is not None:
            return draft
        waiting = [p for p in self.store.support_plans(self.office, self.user_id)
                   if p.is_final and (p.consent_on is None or p.delivered_on is None)]
        return waiting[-1] if waiting else None

    def _show(self, plan) -> None:
        """Show ``plan`` (None: none); the dates typed for 確定 and 同意・交付 stay while it is the same plan."""
        same = plan is not None and plan.id == self.plan_id
        with self.hold_trait_notifications():
            self.conflict = {}
            self.plan_id, self.version = (plan.id, plan.version) if plan is not None else (0, 0)
            self.status = "" if plan is None else plan.status
            self.info = {} if plan is None else {
                "status": PLAN_STATUSES.get(plan.status, plan.status), "plan_date": plan.plan_date,
                "consent_on": plan.consent_on, "delivered_on": plan.delivered_on,
                "review_month": month_label(str(plan.review_month)) if plan.review_month is not None else "",
                "saved": f"{plan.updated_by} さん（{format_time(plan.updated_at)}、版 {plan.version}）",
                "summary": self._values_of(plan)}
            if not same:
                self._typed = {}
                self.plan_date = self.today
                self.consent_on = plan.consent_on if plan is not None else None
                self.delivered_on = plan.delivered_on if plan is not None else None
            self._base = self._values_of(plan) if plan is not None else {}
            self._fill(self._base or {name: None for name in LABELS} | {"goals": []})

    def open_case(self, case: Case) -> None:
        self.load(case.user_id, case.month, person=case.person)

    def load(self, user_id: str, month: str, *, person: str = "") -> None:
        with self.hold_trait_notifications():
            self.user_id, self.month, self.person = user_id, month, person
            self.message = self.message_kind = ""
            self._show(self._current())

    def clear(self) -> None:
        with self.hold_trait_notifications():
            self.user_id, self.person, self.message, self.message_kind = "", "", "", ""
            self._show(None)

    # -- the goals being written

    def set_goal(self, position: int, name: str, value) -> None:
        if position >= len(self.goals) or self.goals[position].get(name) == value:
            return
        goals = [dict(g) for g in self.goals]
        goals[position][name] = value
        self.goals = goals

    def add_goal(self) -> None:
        self._draft_only()
        self.goals = [*self.goals, {"domain": "", "goal": "", "support": "", "due_on": None}]
        self.goal_rows += 1

    def remove_goal(self, position: int) -> None:
        self._draft_only()
        goals = list(self.goals)
        del goals[position]
        self.goals = goals
        self.goal_rows += 1

    # -- the steps

    def _by(self, doing: str, action: str | None = None) -> str:
        """The 記録者 (the signed-in person); ``action``: a step their role must allow
        (``staff.ALLOWED``: 確定 and the 同意日・交付日 need a サービス管理責任者)."""
        return who_records(self.store, self.staff, "計画", doing, user_id=self.user_id, action=action)

    def _draft_only(self) -> None:
        if self.status != DRAFT:
            raise FormError("作成中の計画案がありません。先に「次の計画の案を作る」を押してください")

    def create(self) -> None:
        """「次の計画の案を作る」: the draft from the review (the existing one, when there is one)."""
        by = self._by("案を作成")
        if self.has_plan and self.decision != REVISE:
            raise FormError("計画の判断を「見直し」にしてモニタリングを保存してから、案を作ってください")
        if self.monitoring_dirty:
            raise FormError("モニタリングに保存していない変更があります。先に「モニタリングを保存」を押してください")
        draft = plan_cycle.draft_from_review(self.book, self.store, self.user_id, as_month(self.month), by=by)
        self._show(draft)
        self.message, self.message_kind = (f"次の計画の案を開きました（{self.info['saved']}）。目標・本人の意向・総合的な"
                                           "方針を直して「案を保存」を押してください（何日かに分けて直せます）"), "ok"
        self.saves += 1

    def save(self) -> bool:
        """「案を保存」: save the draft; someone's newer save is merged (see the module's docstring)."""
        by = self._by("保存")
        self._draft_only()
        self._check_lengths()
        plan_id = self.plan_id

        def save(values: dict, expected: int | None):
            return self.store.update_plan(plan_id, values, by=by, expected_version=expected, not_kept=self._typed)
        result = save_merged(save, self._values_of, self._base, self.values(), self.version)
        if result.saved is None:
            conflict = result.conflict
            self._typed |= {c.name: c.mine for c in result.conflicts}
            with self.hold_trait_notifications():
                self._base, self.version = result.theirs, conflict.current.version
                self._fill(result.values)
                self.conflict = {"saved_by": conflict.saved_by, "saved_at": format_time(conflict.saved_at),
                                 "rows": conflict_rows(result.conflicts, LABELS, _shown)}
                self.message = (f"{conflict.saved_by} さんも同じ項目を変えて先に保存しました（保存していません）。"
                                "あなたの入力は残っています。下の保存されている内容を見て直してから、もう一度「案を保存」を"
                                "押してください")
                self.message_kind = "conflict"
            return False
        self._typed = {}
        self._show(result.saved)
        merged = taken_text(result.taken, LABELS)
        self.message = (f"{merged}{'あなたの変更と合わせて' if result.taken else ''}計画案を保存しました"
                        f"（{format_time(result.saved.updated_at)}、記録者 {by}、版 {result.saved.version}）")
        self.message_kind = "merged" if result.taken else "ok"
        self.saves += 1
        return True

    def _check_lengths(self) -> None:
        check_lengths([("本人の意向", self.wishes, LONG_TEXT), ("総合的な方針", self.overall_policy, LONG_TEXT),
                       ("サービス管理責任者", self.service_manager, SHORT_TEXT),
                       *((f"目標{n}の目標", g.get("goal"), SHORT_TEXT) for n, g in enumerate(self.goals, 1)),
                       *((f"目標{n}の支援内容", g.get("support"), LONG_TEXT) for n, g in enumerate(self.goals, 1))])

    def _can_finalise(self) -> str:
        by = self._by("確定", "plan_finalise")
        self._draft_only()
        if self.dirty:
            raise FormError("計画案に保存していない変更があります。先に「案を保存」を押してから確定してください")
        if not isinstance(self.plan_date, dt.date):
            raise FormError(f"計画作成日を入力してください。{DATE_HINT}")
        if not any((g.get("goal") or "").strip() for g in self.goals):      # as the store says (asked for nothing)
            raise FormError("目標が1つもありません。目標を1つ以上入れてから確定してください")
        return by

    def ask_finalise(self) -> None:
        """「計画を確定」: what can be checked here is checked, then the question (``asking``):
        「確定する」 (``finalise``) or 「やめる」 (``cancel_finalise``)."""
        self._can_finalise()
        warnings = "".join(f"{text}。" for text in self.due_warnings.values())
        self.asking = (f"{self.person or 'この人'} さんの計画を、計画作成日 {format_date(self.plan_date)} で確定しますか。"
                       "確定すると案には戻せません（直すときは、次の見直しで新しい案を作ります）。"
                       + (f"ご注意: {warnings}このままでよければ確定してください。" if warnings else ""))

    def cancel_finalise(self) -> None:
        """「やめる」: nothing is finalised; the draft stays as it is."""
        self.asking = ""
        self.message, self.message_kind = "確定はしていません（計画案はそのままです）", "ok"

    def finalise(self) -> None:
        """「確定する」, after the question: the draft becomes the plan with its 計画作成日 (not yet agreed)."""
        if not self.asking:
            raise FormError("確定する前に「計画を確定」を押して、確認に答えてください")
        try:
            by = self._can_finalise()
            plan = self.store.finalise_plan(self.plan_id, by=by, expected_version=self.version,
                                            plan_date=self.plan_date)
        except Exception:
            self.asking = ""                         # refused: the question is over, the reason is shown
            raise
        self._show(plan)
        self.message = (f"計画を確定しました（計画作成日 {format_date(plan.plan_date)}、記録者 {by}）。本人に説明して"
                        "同意を得て、計画書を渡したら、同意日・交付日を記録してください")
        self.message_kind = "ok"
        self.asking = ""
        self.saves += 1
        self.recorded += 1

    def record_consent(self) -> None:
        """「同意日・交付日を記録」: the dates given (either or both) on the finalised plan."""
        by = self._by("記録", "plan_consent")
        if self.status != FINAL:
            raise FormError("同意日・交付日は確定した計画に記録します。先に「計画を確定」を押してください")
        shown = self.info
        dates = {name: value for name, value in (("consent_on", self.consent_on), ("delivered_on", self.delivered_on))
                 if value is not None and value != shown.get(name)}
        if not dates:
            raise FormError(f"記録する同意日か交付日を入力してください。{DATE_HINT}")
        plan = self.store.record_plan_consent(self.plan_id, by=by, expected_version=self.version, **dates)
        self._show(plan)
        said = "・".join(f"{label} {format_date(getattr(plan, name))}" for name, label in
                         (("consent_on", "同意日"), ("delivered_on", "交付日")) if name in dates)
        self.message, self.message_kind = f"{said} を記録しました（記録者 {by}）", "ok"
        self.saves += 1
        self.recorded += 1

    def take_in(self) -> None:
        """「取り込む」: read the person's plan again, keeping what is typed in the draft."""
        if self.store is None or not self.user_id:
            return
        theirs = self.store.support_plan(self.plan_id) if self.plan_id else self._current()
        if theirs is None or (theirs.id == self.plan_id and theirs.version == self.version):
            return
        if not self.dirty or theirs.id != self.plan_id or theirs.status != DRAFT:
            typed = self.dirty
            if typed:
                self._keep_replaced()
            self._show(theirs if theirs.withdrawn_at is None else self._current())
            self.message = (f"{theirs.updated_by} さんが {format_time(theirs.updated_at)} に保存した計画を読み込みました"
                            + ("（入力中の案は保存されずに置き換わりました）" if typed else ""))
            self.message_kind = "merged" if typed else "ok"
            return
        values = self._values_of(theirs)
        merged, conflicts = merge_fields(self._base, self.values(), values, names=list(LABELS))
        self._typed |= {c.name: c.mine for c in conflicts}
        with self.hold_trait_notifications():
            self._base, self.version = values, theirs.version
            self._fill(merged)
            self.conflict = {} if not conflicts else {
                "saved_by": theirs.updated_by, "saved_at": format_time(theirs.updated_at),
                "rows": conflict_rows(conflicts, LABELS, _shown)}
            self.message = (f"{theirs.updated_by} さんが {format_time(theirs.updated_at)} に保存した計画案を読み込みました。"
                            "入力中の内容は残っています（まだ保存されていません）")
            self.message_kind = "merged"


    def _keep_replaced(self) -> None:
        """The draft typed here is replaced by someone's newer plan: what was typed and not saved
        goes to the history (``Store.record_not_kept``), under the 記録者 (or, with nobody known to
        be signed in, as typed by an unknown person: ``UNNAMED``)."""
        plan = self.store.support_plan(self.plan_id) if self.plan_id else None
        if plan is None:
            return
        typed = {name: value for name, value in self.values().items() if value != self._base.get(name)}
        self.store.record_not_kept(plan, typed, by=self.recorder or UNNAMED)
