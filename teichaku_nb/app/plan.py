"""The plan section of the review form: 個別支援計画のモニタリング.

For the plan in force (``plan_cycle.monitoring_form``) each goal is shown with its 領域, 目標,
支援内容 and 期限, and the conference records an evaluation (達成 / 継続 / 見直し), a short
comment and the date, then decides for the plan (継続 / 見直し).  The monitoring is saved with
its own button (「モニタリングを保存」), never by saving the review; typed and unsaved, it counts
as an unsaved edit of the case like the review form's text.

A save that meets a newer version by someone else is merged goal by goal and field by field
(``merging.merge_fields``, through ``save_merged``, which the plan draft uses too): what only
they changed is taken in, what only this page changed is saved; fields both changed stop the
save with both texts shown, the typed text kept in the form.

The 個別支援計画書 is made from the section (``PlanDocumentModel``) through
``reports.make_plan_document`` and offered as a download link, as the export panel does;
making it records nothing (no 交付日) but the access log's ``document_made`` (a log that cannot
be written is said in red below the button; the document stays offered).  The draft of the next
plan is ``plan_draft``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import traitlets as t

from .. import plan_cycle
from ..errors import FormError
from ..japanese import as_month, format_date, format_time
from ..merging import FieldConflict, changed_fields, merge_fields
from ..records import PLAN_DECISIONS
from ..store import Conflict, StoreError
from ..store.checks import LONG_TEXT
from .common import check_lengths, log_documents, who_records
from .dates import day_in_month
from .exports import download, out_dir_for
from .panel import Case, CaseForm, Context, Panel, moved

MAX_MERGES = 5                  # saves by others met in a row before giving up (each one merged)
NOT_YET = ""
REVISE = PLAN_DECISIONS[-1]     # 見直し
SOURCE_LABELS = {plan_cycle.WORKBOOK: "ケース記録の支援計画シート", plan_cycle.STORE: "このアプリで確定した計画"}


# --- saving with a merge (the monitoring and the plan draft) -----------------------------------------

@dataclass
class Merged:
    """What ``save_merged`` did: ``saved`` the stored record (None: not saved, ``conflicts``
    holds the fields both changed, ``theirs`` the values stored now); ``taken`` (who, when,
    names) for each save by others merged in."""

    saved: object = None
    values: dict = field(default_factory=dict)          # the values saved, or to keep in the form
    conflicts: list[FieldConflict] = field(default_factory=list)
    theirs: dict = field(default_factory=dict)
    conflict: Conflict | None = None
    taken: list[tuple[str, str, list[str]]] = field(default_factory=list)


def save_merged(save: Callable[[dict, int | None], object], values_of: Callable[[object], dict],
                base: Mapping, mine: dict, expected: int | None) -> Merged:
    """Save ``mine`` (``save(values, expected_version)``); when someone saved first, merge with
    theirs (``values_of(conflict.current)``) field by field from ``base`` and save again
    against their version.  Fields both changed are not saved: they are returned."""
    result = Merged()
    for _attempt in range(MAX_MERGES):
        try:
            result.saved, result.values = save(mine, expected), mine
            return result
        except Conflict as conflict:
            theirs = values_of(conflict.current)
            merged, conflicts = merge_fields(base, mine, theirs, names=list(mine))
            if conflicts:
                result.values, result.conflicts, result.theirs, result.conflict = merged, conflicts, theirs, conflict
                return result
            taken = changed_fields(base, mine, {k: theirs.get(k) for k in mine})
            if taken:
                result.taken.append((conflict.saved_by, format_time(conflict.saved_at), taken))
            base, mine, expected = theirs, merged, conflict.current.version
    raise StoreError("ほかの人の保存が続いたため保存できませんでした。もう一度保存してください")


def taken_text(taken: list[tuple[str, str, list[str]]], labels: Mapping[str, str]) -> str:
    """「乙川 さんが 14:02 に保存した 目標1の評価 を取り込み、」 for each save merged in."""
    return "".join(f"{who} さんが {when} に保存した{'・'.join(labels.get(n, n) for n in names)}を取り込み、"
                   for who, when, names in taken)


def conflict_rows(conflicts: list[FieldConflict], labels: Mapping[str, str], shown: Callable) -> list[dict]:
    return [{"label": labels.get(c.name, c.name), "mine": shown(c.name, c.mine), "theirs": shown(c.name, c.theirs)}
            for c in conflicts]


def _date_text(value) -> str:
    if isinstance(value, dt.date):
        return format_date(value)
    return "" if value is None else str(value)


# --- the monitoring --------------------------------------------------------------------------------

def _keys(index: int) -> tuple[str, str]:
    return f"evaluation_{index}", f"comment_{index}"


class MonitoringModel(CaseForm):
    """The monitoring of the open case's plan for the month (``plan_cycle.monitoring_form``)."""

    user_id = t.Unicode("")
    month = t.Unicode("")                # YYYY-MM
    person = t.Unicode("")               # 011 佐藤 愛: the heading names them
    due = t.Bool(False)                  # the plan is due for review this month (plan_cycle.plan_due)
    plan = t.Dict()                      # the plan in force: {source, plan_date, consent_on, delivered_on}; {} none
    goals = t.List()                     # [{index, domain, goal, support, due_on}]: read only
    answers = t.List()                   # per goal, in order: {evaluation, comment}
    decision = t.Unicode(NOT_YET)        # 継続 / 見直し / "" (not yet)
    monitored_on = t.Any(None)           # datetime.date (within the month unless saved), None or typed text
    version = t.Int(0)                   # the stored version the form was read from (0: none yet)
    saved_note = t.Unicode("")
    dirty = t.Bool(False)
    message = t.Unicode("")
    message_kind = t.Unicode("")         # ok / merged / conflict
    conflict = t.Dict()                  # {saved_by, saved_at, rows: [{label, mine, theirs}]}
    saves = t.Int(0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._form: plan_cycle.MonitoringForm | None = None
        self._base: dict = {}            # the stored values the form was read from: what a save merges from
        self._theirs: dict = {}          # after a conflict: the values stored now
        self._typed: dict = {}           # fields both changed: what was typed here (kept in the history
                                         # when the saved text is chosen over it)
        self.observe(self._update_dirty, names=["answers", "decision", "monitored_on"])

    # -- state

    def values(self) -> dict:
        found = {"decision": self.decision, "monitored_on": self.monitored_on}
        for goal, answer in zip(self.goals, self.answers):
            evaluation, comment = _keys(goal["index"])
            found[evaluation], found[comment] = answer["evaluation"], answer["comment"]
        return found

    def labels(self) -> dict:
        found = {"decision": "計画の判断", "monitored_on": "モニタリング日"}
        for goal in self.goals:
            evaluation, comment = _keys(goal["index"])
            found[evaluation] = f"目標{goal['index']}（{goal['domain'] or '領域なし'}）の評価"
            found[comment] = f"目標{goal['index']}のコメント"
        return found

    def _update_dirty(self, _change=None) -> None:
        self.dirty = bool(self.user_id) and bool(self.goals) and self.values() != self._base

    def _fill(self, values: Mapping) -> None:
        with self.hold_trait_notifications():
            self.decision = values.get("decision") or NOT_YET
            self.monitored_on = values.get("monitored_on")
            self.answers = [{"evaluation": values.get(_keys(g["index"])[0]) or NOT_YET,
                             "comment": values.get(_keys(g["index"])[1]) or ""} for g in self.goals]

    def _values_of(self, saved) -> dict:
        """A stored monitoring as the form's values (its evaluations only when it is of the plan shown)."""
        plan = self._form.plan if self._form is not None else None
        same = saved is not None and plan is not None and saved.plan_date == plan.plan_date
        by_index = {e["index"]: e for e in saved.evaluations} if same else {}
        found = {"decision": saved.decision if saved is not None else NOT_YET,
                 "monitored_on": saved.monitored_on if saved is not None else day_in_month(self.month, self.today)}
        for goal in self.goals:
            evaluation, comment = _keys(goal["index"])
            found[evaluation] = by_index.get(goal["index"], {}).get("evaluation", NOT_YET)
            found[comment] = by_index.get(goal["index"], {}).get("comment", "")
        return found

    def _set_saved(self, saved) -> None:
        self.version = saved.version if saved is not None else 0
        self.saved_note = (f"最終保存: {saved.updated_by} さん（{format_time(saved.updated_at)}、版 {saved.version}）"
                           if saved is not None else "まだ保存されていません")

    def open_case(self, case: Case) -> None:
        self.load(case.user_id, case.month, person=case.person, due=case.due)

    def load(self, user_id: str, month: str, *, person: str = "", due: bool = False) -> None:
        """Read the plan in force and the month's saved monitoring (or an empty form)."""
        form = plan_cycle.monitoring_form(self.book, user_id, as_month(month), self.store)
        plan = form.plan
        with self.hold_trait_notifications():
            self.user_id, self.month, self.person, self.due = user_id, month, person, due
            self._form = form
            self.plan = {} if plan is None else {
                "source": SOURCE_LABELS.get(plan.source, plan.source), "plan_date": plan.plan_date,
                "consent_on": plan.consent_on, "delivered_on": plan.delivered_on}
            self.goals = [{k: g[k] for k in ("index", "domain", "goal", "support", "due_on")} for g in form.goals]
            self.message = self.message_kind = ""
            self.conflict, self._theirs, self._typed = {}, {}, {}
            self._set_saved(form.monitoring)
            self._base = self._values_of(form.monitoring)
            self._fill(self._base)
        self._update_dirty()

    def clear(self) -> None:
        with self.hold_trait_notifications():
            self.user_id, self.person, self.message, self.message_kind = "", "", "", ""
            self.plan, self.goals, self.answers, self.conflict = {}, [], [], {}
            self.decision, self.monitored_on, self.version, self.saved_note = NOT_YET, None, 0, ""
            self._form, self._base, self._theirs, self._typed = None, {}, {}, {}
        self._update_dirty()

    def set_answer(self, position: int, name: str, value: str) -> None:
        """The view changed a goal's evaluation or comment (``name``)."""
        if position >= len(self.answers) or self.answers[position][name] == value:
            return
        answers = [dict(a) for a in self.answers]
        answers[position][name] = value
        self.answers = answers

    # -- saving

    def _by(self) -> str:
        by = who_records(self.store, self.staff, "モニタリング", "保存", user_id=self.user_id)
        if not self.goals:
            raise FormError("今の個別支援計画がないため、モニタリングは記録できません（次の計画の案を作ってください）")
        return by

    def _store_save(self, by: str):
        def save(values: dict, expected: int | None):
            answers = {g["index"]: (values[_keys(g["index"])[0]], values[_keys(g["index"])[1]]) for g in self.goals}
            record = plan_cycle.monitoring_record(self.book, self._form, answers, monitored_on=values["monitored_on"],
                                                  decision=values["decision"])
            return self.store.save_monitoring(record, by=by, expected_version=expected,
                                              not_kept=self._not_kept(values, self._typed))
        return save

    def _not_kept(self, values: Mapping, typed: Mapping) -> dict:
        """What was typed into fields both changed (``typed``: form names), as a monitoring keeps
        it: the goals' evaluations are the form's (``values``) with the typed ones in."""
        found = {name: typed[name] for name in ("decision", "monitored_on") if name in typed}
        if any(name.startswith(("evaluation_", "comment_")) for name in typed):
            shown = dict(values) | dict(typed)
            found["evaluations"] = [
                {"index": g["index"], "domain": g["domain"] or "", "goal": g["goal"] or "",
                 "evaluation": shown.get(_keys(g["index"])[0]) or "", "comment": shown.get(_keys(g["index"])[1]) or ""}
                for g in self.goals]
        return found

    def save(self) -> bool:
        """Save the monitoring; True when saved.  Someone else's newer save is merged (see the
        module's docstring); fields both changed stop the save and are shown."""
        by = self._by()
        check_lengths((f"目標{n}のコメント", a.get("comment"), LONG_TEXT) for n, a in enumerate(self.answers, 1))
        result = save_merged(self._store_save(by), self._values_of, self._base, self.values(), self.version or None)
        if result.saved is None:
            self._show_conflict(result)
            return False
        saved = result.saved
        with self.hold_trait_notifications():
            self.conflict, self._theirs, self._typed = {}, {}, {}
            self._set_saved(saved)
            self._base = self._values_of(saved)
            self._fill(self._base)
            merged = taken_text(result.taken, self.labels())
            self.message = (f"{merged}{'あなたの変更と合わせて' if result.taken else ''}モニタリングを保存しました"
                            f"（{format_time(saved.updated_at)}、記録者 {by}、版 {saved.version}）")
            self.message_kind = "merged" if result.taken else "ok"
        self._update_dirty()
        self.saves += 1
        return True

    def _show_conflict(self, result: Merged) -> None:
        """Both changed the same fields: the form keeps the typed text (their other changes come
        in); both texts are shown; saving again saves the form over their version."""
        conflict = result.conflict
        self._typed |= {c.name: c.mine for c in result.conflicts}
        with self.hold_trait_notifications():
            self._fill(result.values)
            self._base, self._theirs = result.theirs, result.theirs
            self._set_saved(conflict.current)
            self.conflict = {"saved_by": conflict.saved_by, "saved_at": format_time(conflict.saved_at),
                             "rows": conflict_rows(result.conflicts, self.labels(), _shown),
                             "names": [c.name for c in result.conflicts]}
            self.message = (f"{conflict.saved_by} さんも同じ項目を変えて先に保存しました（保存していません）。"
                            "下の両方の内容を見て、フォームを直すか「保存されている内容にする」を押してから、"
                            "もう一度「モニタリングを保存」を押してください")
            self.message_kind = "conflict"
        self._update_dirty()

    def use_theirs(self) -> None:
        """After a conflict: the fields both changed take the saved text (the rest stays typed).
        What was typed into them goes to the history now (``Store.record_not_kept``)."""
        if not self.conflict:
            raise FormError("競合はありません")
        names = self.conflict["names"]
        typed = {name: self._typed[name] for name in names if name in self._typed}
        stored = self.store.monitoring(self.office, self.user_id, self.month) if self.store is not None else None
        if typed and stored is not None:
            self.store.record_not_kept(stored, self._not_kept(self.values(), typed), by=self._by())
        self._typed = {name: value for name, value in self._typed.items() if name not in names}
        values = self.values() | {name: self._theirs.get(name) for name in names}
        with self.hold_trait_notifications():
            self._fill(values)
            self.conflict = {}
            self.message, self.message_kind = "保存されている内容にしました（ほかの項目は入力したままです）", "merged"
        self._update_dirty()

    def take_in(self) -> None:
        """「取り込む」: read the saved monitoring again, keeping what is typed here (a field only
        the other saver changed comes in; fields both changed are shown, as when saving)."""
        if self.store is None or not self.user_id:
            return
        theirs = self.store.monitoring(self.office, self.user_id, self.month)
        if theirs is None or theirs.version == self.version:
            return
        if not self.dirty:
            self.load(self.user_id, self.month, person=self.person, due=self.due)
            self.message, self.message_kind = (f"{theirs.updated_by} さんが {format_time(theirs.updated_at)} に"
                                               "保存したモニタリングを読み込みました"), "ok"
            return
        values = self._values_of(theirs)
        merged, conflicts = merge_fields(self._base, self.values(), values, names=list(values))
        if conflicts:
            self._show_conflict(Merged(values=merged, conflicts=conflicts, theirs=values,
                                       conflict=Conflict("モニタリング", theirs, self.version or None)))
            return
        with self.hold_trait_notifications():
            self._fill(merged)
            self._base = values
            self._set_saved(theirs)
            self.message = (f"{theirs.updated_by} さんが {format_time(theirs.updated_at)} に保存したモニタリングを"
                            "読み込みました。入力中の内容は残っています（まだ保存されていません）")
            self.message_kind = "merged"
        self._update_dirty()


def _shown(name: str, value) -> str:
    if name == "monitored_on":
        return _date_text(value)
    return value or "（空欄）"


# --- the 個別支援計画書 ---------------------------------------------------------------------------------

class PlanDocumentModel(Panel):
    """Makes the open case's 個別支援計画書 (HTML or PDF) and offers it as a download link."""

    user_id = t.Unicode("")
    fmt = t.Unicode("pdf")
    status = t.Unicode("")
    status_kind = t.Unicode("ok")        # ok (green) / error (red: not made, or made and not in the access log)
    link_name = t.Unicode("")
    link_uri = t.Unicode("")

    def context_changed(self, old: Context, new: Context) -> None:
        if moved(old, new, "month", "office"):
            self._forget()

    @t.observe("user_id")
    def _forget(self, _change=None) -> None:
        self.status = self.link_name = self.link_uri = ""

    def make(self) -> Path:
        """The document, from the person's draft or the plan in force; records nothing."""
        from ..reports import make_plan_document
        c = self.context
        if c.book_path is None or not c.month:
            raise FormError("ケース記録が読み込まれていません")
        if not self.user_id:
            raise FormError("ケースを開いてから作ってください")
        self.status = self.link_name = self.link_uri = ""
        self.status_kind = "ok"
        out = out_dir_for(c.book_path, c.month)
        path = make_plan_document(c.book_path, self.user_id, month=c.month, db=c.db_url, fmt=self.fmt,
                                  out_dir=out, office=self.office or None, source=c.source)
        self.link_name, self.link_uri = download([path], path.name)
        self.status = f"個別支援計画書を作成しました（{self._still_to_record()}）。保存先: {out}"
        failed = log_documents(c, [path.name], user_id=self.user_id, detail=c.month)
        if failed:                       # the document stays offered; the status says the log lacks it
            self.status, self.status_kind = f"{self.status}。計画書を作ったことを{failed}", "error"
        return path

    def _still_to_record(self) -> str:
        """What the plan printed still lacks (``plan_document.printed_plan``, as the document read
        it): 同意日 and 交付日 are asked for only while they are not recorded."""
        from ..plan_document import printed_plan

        plan = printed_plan(self.book, self.user_id, as_month(self.context.month), self.store)
        if plan.consent_on is None:
            return "作っただけでは交付の記録になりません。本人に渡したら「同意日・交付日を記録」で記録してください"
        if plan.delivered_on is None:
            return (f"同意日 {format_date(plan.consent_on)} は記録済みです。作っただけでは交付の記録になりません。"
                    "本人に渡したら「同意日・交付日を記録」で交付日を記録してください")
        return f"同意日 {format_date(plan.consent_on)}・交付日 {format_date(plan.delivered_on)} は記録済みです"
