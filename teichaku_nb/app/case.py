"""Case panel: one person's month (profile, support period, the month's fee check, trend
chart, contacts, plan) and the actions carried over from earlier conferences, with controls to
close or continue them."""

from __future__ import annotations

import pandas as pd
import traitlets as t

from .. import billing, casefile, charts
from ..schema import SCORE_COLUMNS, SCORE_LABELS
from ..errors import FormError
from ..japanese import as_month, format_time
from ..merging import merge_fields
from ..records import CANCELLED, DONE, FIELD_LABELS, IN_PROGRESS
from ..store import Conflict, StoreError
from .common import day, who_records
from .panel import Case, Context, Panel, moved

CLOSE, CANCEL, CONTINUE = DONE, CANCELLED, IN_PROGRESS
ACTION_OTHERS = ("content", "owner", "due_on")           # what else another's change may have touched
ACTION_SHOWN = (*ACTION_OTHERS, "status")
MAX_MERGES = 5


def _verb(status: str) -> str:
    return "継続" if status == CONTINUE else status


def _plain(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def support_text(profile: dict) -> str:
    """就職後 n か月目、支援 k/36 か月目（残り m か月）."""
    month_n, left = profile.get("month_n"), profile.get("months_left")
    if month_n is None:
        return "支援期間: —"
    k, total = profile.get("support_month"), profile.get("support_months")
    support = f"支援 {k}/{total}か月目" if k is not None else "支援開始前"
    rest = f"（支援終了まで残り {int(left)}か月）" if left is not None else ""
    return f"就職後 {int(month_n)}か月目・{support}{rest}"


def score_text(contact: dict) -> str:
    """The self-ratings of a contact, e.g. 体調4 睡眠3 ("" when none was rated)."""
    return " ".join(f"{SCORE_LABELS[a]}{contact[a]}" for a in SCORE_COLUMNS if contact.get(a) is not None)


def bill_view(person) -> dict:
    """A ``billing.PersonBill`` as the case panel shows it (texts in Japanese)."""
    return {"status": person.status, "reasons": [r.message for r in person.reasons],
            "reductions": [billing.reduction_text(r) for r in person.reductions],
            "additions": [billing.addition_text(a) for a in person.additions],
            "not_counted": [a.message for a in person.not_counted], "base_units": person.base_units,
            "units": person.units, "yen": person.yen, "evidence": list(person.evidence)}


class CaseModel(Panel):
    """The open case's facts (read from the workbook through ``casefile``) and its carried-over
    actions (from the review store)."""

    user_id = t.Unicode("")
    month = t.Unicode("")              # YYYY-MM
    level = t.Unicode("")
    flags = t.List()                   # [{code, level, message}]
    bill = t.Dict()                    # the month's fee check for the case (bill_view); {} when unknown
    profile = t.Dict()
    contacts = t.List()
    plan = t.List()
    chart_svg = t.Unicode("")         # the 6-month chart (charts.trend_svg)
    chart_note = t.Unicode("")
    open_actions = t.List()            # [{id, version, month, content, owner, due_on, status}]
    message = t.Unicode("")
    message_kind = t.Unicode("ok")     # ok (green) / merged (amber: saved with another's change) / error (red:
    #                                    not saved); app.css colours the message
    actions_changed = t.Int(0)         # counts changes, so the conference can update the agenda
    loaded = t.Int(0)                  # counts loads: the view draws a loaded case once

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loading = False             # a case is being read: its view draws it once it is all there (``loaded``)
        self._facts: dict[str, tuple[dict, dict]] = {}

    def context_changed(self, old: Context, new: Context) -> None:
        if moved(old, new):
            self._facts = {}

    def open_case(self, case: Case) -> None:
        self.load(case.user_id, case.month, level=case.level, flags=list(case.flags), bill=case.bill)

    def close_case(self) -> None:
        self.clear()

    def reload_case(self) -> None:
        self.reload_actions()

    def month_facts(self, month: str) -> tuple[dict, dict]:
        """Everyone's profile and 6-month trend at ``month`` (``casefile.profiles``, ``trends``),
        computed when the month's first case is opened: the workbook does not change while the
        page is open, and a switch to the next case then only looks them up."""
        if month not in self._facts:
            period = as_month(month)
            self._facts[month] = (casefile.profiles(self.book, period), casefile.trends(self.book, period, months=6))
        return self._facts[month]

    def clear(self) -> None:
        with self.hold_trait_notifications():
            self.user_id = ""
            self.profile, self.contacts, self.plan, self.open_actions = {}, [], [], []
            self.chart_svg, self.chart_note, self.message = "", "", ""
            self.flags, self.level, self.bill = [], "", {}

    def load(self, user_id: str, month: str, *, level: str = "", flags: list | None = None,
             bill: dict | None = None) -> None:
        profiles, trends = self.month_facts(month)
        profile = profiles.get(user_id)
        if profile is None:
            raise FormError(f"利用者ID {user_id} はケース記録にありません")
        self.loading = True
        try:
            self._fill(user_id, month, level, flags, bill, profile, trends[user_id])
        finally:
            self.loading = False
        self.loaded += 1

    def _fill(self, user_id: str, month: str, level: str, flags, bill, profile, trend) -> None:
        book = self.book
        no_data = trend.isna().all().all()
        with self.hold_trait_notifications():
            self.user_id, self.month = user_id, month
            self.level, self.flags, self.bill = level, list(flags or []), dict(bill or {})
            self.profile = {k: _plain(v) for k, v in profile.items()}
            self.contacts = _records(casefile.month_contacts(book, user_id, as_month(month)))
            self.plan = _records(casefile.current_plan(book, user_id, as_month(month)))
            self.chart_svg = "" if no_data else charts.trend_svg(trend)
            self.chart_note = "直近6か月の勤怠と自己評価の記録がありません" if no_data else ""
            self.message = ""
            self.reload_actions()

    def reload_actions(self) -> None:
        if self.store is None or not self.user_id:
            self.open_actions = []
            return
        self.open_actions = [
            {"id": a.id, "version": a.version, "month": a.month.strftime("%Y-%m"), "content": a.content,
             "owner": a.owner, "due_on": a.due_on, "status": a.status}
            for a in self.store.open_actions(self.office, self.user_id, as_of_month=self.month)]

    def set_action_status(self, action_id: int, status: str) -> None:
        """Close (完了 / 中止) or continue (対応中) a carried-over action."""
        by = who_records(self.store, self.staff, "役割分担", "更新")
        found = next((a for a in self.open_actions if a["id"] == action_id), None)
        if found is None:
            raise FormError(f"役割分担ID {action_id} はこのケースの継続中の役割分担にありません")
        message, kind, saved = self._update_status(found, status, by)
        self.reload_actions()
        with self.hold_trait_notifications():
            self.message, self.message_kind = message, kind
        if saved:
            self.actions_changed += 1

    def _update_status(self, found: dict, status: str, by: str) -> tuple[str, str, bool]:
        """Save the status under ``by`` (the 記録者) merged with what others changed meanwhile
        (``merging``): their other fields stay; a status they changed differently is not saved
        over.  Returns (the message, its kind, whether it was saved): ok, merged when another's
        change was met (kept, or the same status), error when nothing was saved."""
        base, taken, who = {"status": found["status"]}, [], ""
        expected, current = found["version"], found
        for _attempt in range(MAX_MERGES):
            try:
                self.store.update_action(found["id"], {"status": status}, by=by, expected_version=expected)
                break
            except Conflict as conflict:
                theirs = conflict.current
                if merge_fields(base, {"status": status}, {"status": theirs.status})[1]:
                    self.reload_actions()
                    return self._conflict_text(found, status, conflict), "error", False
                who = f"{conflict.saved_by} さんが {format_time(conflict.saved_at)} に変えた"
                taken += [FIELD_LABELS[k] for k in ACTION_OTHERS
                          if getattr(theirs, k) != current.get(k) and FIELD_LABELS[k] not in taken]
                if theirs.status == status:
                    return (f"「{found['content']}」は {conflict.saved_by} さんが既に{_verb(status)}にしていました",
                            "merged", True)
                base, expected = {"status": theirs.status}, theirs.version
                current = {k: getattr(theirs, k) for k in ACTION_SHOWN}
        else:
            raise StoreError("ほかの人の更新が続いたため保存できませんでした。もう一度押してください")
        kept = f"（{who}{'・'.join(taken)}はそのまま残しています）" if taken else ""
        return f"「{found['content']}」を{_verb(status)}にしました{kept}", "merged" if taken else "ok", True

    def _conflict_text(self, mine: dict, status: str, conflict: Conflict) -> str:
        """Both versions of an action someone else changed first: theirs as saved now, and
        what this user pressed (not saved).  The list shows theirs; pressing again applies mine."""
        theirs = conflict.current
        still_open = any(a["id"] == theirs.id for a in self.open_actions)
        return (f"「{mine['content']}」は {conflict.saved_by} さんが {format_time(conflict.saved_at)} に更新していました。"
                f"保存されている内容: 状態 {theirs.status}・担当 {theirs.owner or '—'}・期限 {day(theirs.due_on)}"
                f"{'・結果 ' + theirs.result if theirs.result else ''}。"
                f"あなたの操作（{_verb(status)}）は保存していません。"
                + ("そちらにする場合は、もう一度押してください。" if still_open else
                   "この役割分担は閉じられたため、継続中の一覧から外しました。"))

    def close_action(self, action_id: int) -> None:
        self.set_action_status(action_id, CLOSE)

    def cancel_action(self, action_id: int) -> None:
        self.set_action_status(action_id, CANCEL)

    def continue_action(self, action_id: int) -> None:
        self.set_action_status(action_id, CONTINUE)
