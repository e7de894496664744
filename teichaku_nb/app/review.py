"""Review form: what the conference decides about the open case, saved to the review store.

A save that finds a newer version (someone saved first) keeps nothing of ours in the store:
the form shows both versions and the user chooses to keep theirs or save ours over it.
Sections with buttons of their own (the handover: ``handover``) follow the save button;
saving the review never records them.
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as w
import traitlets as t

from ..markup import render
from ..errors import FormError
from ..japanese import format_time
from ..records import REVIEW_FIELDS, Action, Review
from ..rules import LEVELS
from ..store import Conflict, StoreError
from .common import Guard, button, month_label

# The form's text fields, in the order shown (store field, label).
TEXT_FIELDS = tuple((f.name, f.label) for f in REVIEW_FIELDS)
FIELDS = tuple(name for name, _ in TEXT_FIELDS) + ("judgement",)
LABELS = dict(TEXT_FIELDS) | {"judgement": "会議の判断"}
NO_JUDGEMENT = ""


class ReviewModel(t.HasTraits):
    workplace = t.Unicode("")
    life = t.Unicode("")
    health = t.Unicode("")
    issues = t.Unicode("")
    discussion = t.Unicode("")
    policy = t.Unicode("")
    wishes = t.Unicode("")
    next_check = t.Unicode("")
    judgement = t.Unicode(NO_JUDGEMENT)      # "" or 要対応 / 注意 / 安定

    # the next action being typed, and the ones added but not yet saved
    action_content = t.Unicode("")
    action_owner = t.Unicode("")
    action_due = t.Any(None)                 # datetime.date or None
    pending_actions = t.List()               # [{content, owner, due_on}]
    month_actions = t.List()                 # actions saved for this month: [{content, owner, due_on, status}]

    user_id = t.Unicode("")
    person = t.Unicode("")                   # who the form is about, as the heading names them: 003 池田 誠
    month = t.Unicode("")
    recorder = t.Unicode("")
    version = t.Int(0)                       # the stored version the form was read from (0: none yet)
    saved_note = t.Unicode("")               # who saved it last, when
    dirty = t.Bool(False)
    message = t.Unicode("")
    message_kind = t.Unicode("")             # ok / error / conflict
    conflict = t.Dict()                      # {version, saved_by, saved_at, theirs: {field: value}}
    saves = t.Int(0)                         # counts successful saves
    conference_id = t.Int(0)                 # the month's conference (linked from the meeting panel), 0: none
    shown_level = t.Unicode("")              # the level and flags shown for the case: a save keeps them,
    shown_flags = t.List()                   # so the 会議録 prints what the conference saw

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.store = None
        self.office = ""
        self._snapshot = dict.fromkeys(FIELDS, "")
        self.observe(self._update_dirty, names=[*FIELDS, "pending_actions", "action_content", "action_owner",
                                                "action_due"])

    def set_context(self, store, office: str) -> None:
        self.store, self.office = store, office

    # -- state

    def values(self) -> dict:
        return {name: getattr(self, name) for name in FIELDS}

    def _update_dirty(self, _change=None) -> None:
        self.dirty = (self.values() != self._snapshot or bool(self.pending_actions)
                      or bool(self.action_content.strip() or self.action_owner.strip()) or self.action_due is not None)

    def _fill(self, values: dict) -> None:
        with self.hold_trait_notifications():
            for name in FIELDS:
                setattr(self, name, values.get(name) or "")
        self._snapshot = self.values()
        self._update_dirty()

    @staticmethod
    def _review_values(review: Review | None) -> dict:
        if review is None:
            return dict.fromkeys(FIELDS, "")
        return {name: getattr(review, name) or "" for name in FIELDS}

    def load(self, user_id: str, month: str) -> None:
        """Read the saved review of the case (or an empty form) and this month's actions."""
        review = self.store.review(self.office, user_id, month) if self.store is not None else None
        with self.hold_trait_notifications():
            self.user_id, self.month = user_id, month
            self.pending_actions = []
            self.action_content = self.action_owner = ""
            self.action_due = None
            self.conflict = {}
            self.message = self.message_kind = ""
            self._set_saved(review)
            self._fill(self._review_values(review))
            self._load_month_actions()

    def clear(self) -> None:
        with self.hold_trait_notifications():
            self.user_id = ""
            self.pending_actions, self.month_actions = [], []
            self.action_content = self.action_owner = ""
            self.action_due = None
            self.conflict = {}
            self.message = self.message_kind = ""
            self.version, self.saved_note = 0, ""
            self._fill({})

    def _set_saved(self, review: Review | None) -> None:
        self.version = review.version if review is not None else 0
        self.saved_note = (f"最終保存: {review.updated_by} さん（{format_time(review.updated_at)}、版 {review.version}）"
                           if review is not None else "まだ保存されていません")

    def _load_month_actions(self) -> None:
        if self.store is None or not self.user_id:
            self.month_actions = []
            return
        self.month_actions = [{"id": a.id, "content": a.content, "owner": a.owner, "due_on": a.due_on,
                               "status": a.status}
                              for a in self.store.actions(self.office, self.user_id, month=self.month)]

    # -- actions (役割分担) added at this conference

    def add_action(self) -> None:
        content, owner = self.action_content.strip(), self.action_owner.strip()
        if not content:
            raise FormError("役割分担の内容を入力してください")
        if not owner:
            raise FormError("役割分担の担当を入力してください")
        due = self.action_due
        if due is not None and not isinstance(due, dt.date):
            raise FormError("期限は日付で入力してください")
        with self.hold_trait_notifications():
            self.pending_actions = [*self.pending_actions, {"content": content, "owner": owner, "due_on": due}]
            self.action_content = self.action_owner = ""
            self.action_due = None
            self.message, self.message_kind = "役割分担を追加しました（保存すると記録されます）", "ok"

    def remove_pending(self, index: int) -> None:
        items = list(self.pending_actions)
        del items[index]
        self.pending_actions = items

    # -- saving

    def _check_can_save(self) -> str:
        if self.store is None:
            raise StoreError("会議記録のデータベースが開けていないため保存できません")
        if not self.user_id:
            raise FormError("ケースが選ばれていません")
        by = self.recorder.strip()
        if not by:
            raise FormError("記録者（画面上部）に名前を入力してから保存してください")
        if self.action_content.strip():
            raise FormError("入力中の役割分担があります。「役割分担を追加」を押すか、内容を消してから保存してください")
        return by

    def save(self) -> bool:
        """Save the form; True when saved.  A conflict fills ``conflict`` and saves nothing."""
        by = self._check_can_save()
        return self._save(by, expected=self.version or None)

    def _save(self, by: str, expected: int | None) -> bool:
        judgement = self.judgement or None
        review = Review(office=self.office, user_id=self.user_id, month=self.month,
                        **{name: getattr(self, name) for name, _ in TEXT_FIELDS}, judgement=judgement,
                        conference_id=self.conference_id or None, saved_level=self.shown_level or None,
                        saved_flags=tuple(self.shown_flags) if self.shown_level else None)
        try:
            saved = self.store.save_review(review, by=by, expected_version=expected)
        except Conflict as conflict:
            theirs = conflict.current
            self.conflict = {"version": theirs.version, "saved_by": conflict.saved_by,
                             "saved_at": format_time(conflict.saved_at), "theirs": self._review_values(theirs)}
            self.message, self.message_kind = str(conflict), "conflict"
            return False
        added = 0
        pending = list(self.pending_actions)
        try:
            for item in pending:
                self.store.add_action(Action(office=self.office, user_id=self.user_id, month=self.month,
                                             content=item["content"], owner=item["owner"], due_on=item["due_on"],
                                             conference_id=self.conference_id or None), by=by)
                added += 1
        finally:
            self.pending_actions = pending[added:]
            self._load_month_actions()
        with self.hold_trait_notifications():
            self.conflict = {}
            self._set_saved(saved)
            self._snapshot = self.values()
            self._update_dirty()
            extra = f"、役割分担 {added}件を追加" if added else ""
            self.message = f"保存しました（{format_time(saved.updated_at)}、記録者 {by}、版 {saved.version}{extra}）"
            self.message_kind = "ok"
        self.saves += 1
        return True

    def keep_mine(self) -> bool:
        """After a conflict: save this form over the newer version."""
        if not self.conflict:
            raise FormError("競合はありません")
        by = self._check_can_save()
        return self._save(by, expected=self.conflict["version"])

    def take_theirs(self) -> None:
        """After a conflict: drop this form's text and show the saved version (pending actions stay)."""
        if not self.conflict:
            raise FormError("競合はありません")
        self.load_keeping_pending()

    def load_keeping_pending(self) -> None:
        pending = list(self.pending_actions)
        self.load(self.user_id, self.month)
        self.pending_actions = pending
        self.message, self.message_kind = "保存されている内容を表示しました", "ok"


class ReviewView(w.VBox):
    def __init__(self, model: ReviewModel, guard: Guard, *, sections: tuple[w.Widget, ...] = (), **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.guard = guard
        self.add_class("teichaku-review")
        style = {"description_width": "7em"}
        self.heading = w.HTML()
        self.texts = {}
        for name, label in TEXT_FIELDS:
            area = w.Textarea(description=label, style=style, layout=w.Layout(width="98%", height="4.2em"))
            area.add_class(f"teichaku-field-{name}")
            w.link((model, name), (area, "value"))
            self.texts[name] = area
        self.judgement = w.Dropdown(description="会議の判断", style=style,
                                    options=[("（未選択）", NO_JUDGEMENT)] + [(x, x) for x in LEVELS])
        self.judgement.add_class("teichaku-field-judgement")
        w.link((model, "judgement"), (self.judgement, "value"))

        self.action_content = w.Text(description="内容", style={"description_width": "3em"},
                                     layout=w.Layout(width="40%"))
        self.action_content.add_class("teichaku-action-content")
        self.action_owner = w.Text(description="担当", style={"description_width": "3em"},
                                   layout=w.Layout(width="22%"))
        self.action_owner.add_class("teichaku-action-owner")
        self.action_due = w.DatePicker(description="期限", style={"description_width": "3em"},
                                       layout=w.Layout(width="24%"))
        self.action_due.add_class("teichaku-action-due")
        for name in ("action_content", "action_owner", "action_due"):
            w.link((model, name), (getattr(self, name), "value"))
        self.add_button = button(guard, "役割分担を追加", "add-action", model.add_action, "役割分担の追加", icon="plus")
        self.pending_box = w.VBox()
        self.month_actions = w.HTML()

        self.save_button = button(guard, "保存", "save", model.save, "保存", width=None,
                                  button_style="primary", icon="save")
        self.message = w.HTML()
        self.message.add_class("teichaku-review-message")
        self.conflict = w.HTML()
        self.conflict.add_class("teichaku-conflict")
        self.keep_mine = button(guard, "自分の内容で上書き保存", "keep-mine", model.keep_mine, "上書き保存",
                                button_style="danger")
        self.take_theirs = button(guard, "保存されている内容を採用", "take-theirs", model.take_theirs,
                                  "保存されている内容の読み込み")
        self.conflict_box = w.VBox([self.conflict, w.HBox([self.keep_mine, self.take_theirs])])

        model.observe(guard.wrap(self._render, "検討記録の表示"),
                      names=["user_id", "person", "saved_note", "dirty", "message", "message_kind", "conflict",
                             "pending_actions", "month_actions"])
        self.save_bar = w.HBox([self.save_button, self.message])
        self.save_bar.add_class("teichaku-save-bar")       # kept in view while the form is edited (app.css)
        self._render()
        self.children = [self.heading, *self.texts.values(), self.judgement,
                         w.HTML(render("app/section_heading.html.j2", text="役割分担（この会議で決めたこと）")),
                         self.month_actions, self.pending_box,
                         w.HBox([self.action_content, self.action_owner, self.action_due, self.add_button],
                                layout=w.Layout(flex_flow="row wrap")),
                         self.save_bar, self.conflict_box, *sections]

    def _render(self, _change=None) -> None:
        m = self.model
        self.layout.display = "" if m.user_id else "none"
        self.heading.value = render("app/review_heading.html.j2", person=m.person,
                                    month_label=month_label(m.month) if m.month else "",
                                    dirty=m.dirty, saved_note=m.saved_note)
        self.message.value = render("app/review_message.html.j2", message=m.message, kind=m.message_kind)
        self.month_actions.value = render("app/review_month_actions.html.j2", actions=m.month_actions)
        pending = []
        for i, item in enumerate(m.pending_actions):
            remove = w.Button(description="取消", layout=w.Layout(width="4em"))
            remove.on_click(self.guard.wrap(lambda _b, i=i: m.remove_pending(i), "役割分担の取消"))
            pending.append(w.HBox([w.HTML(render("app/review_pending_action.html.j2", item=item)), remove]))
        self.pending_box.children = pending
        theirs = m.conflict.get("theirs", {})
        rows = [(LABELS[name], getattr(m, name), theirs[name]) for name in FIELDS   # where the versions differ
                if m.conflict and getattr(m, name) != theirs[name]]
        self.conflict.value = render("app/review_conflict.html.j2", conflict=m.conflict, rows=rows)
        self.conflict_box.layout.display = "" if m.conflict else "none"
