"""Review form: what the conference decides about the open case, saved to the review store.

A save that finds a newer version (someone saved first) is merged field by field with it
(``merging``): what only they changed is kept, what only this form changed is saved, and the
user is told what came from whom.  Only fields both changed to different texts are shown side
by side, for the user to choose (mine / theirs / a text edited from both) before saving.
Sections with buttons of their own (the handover: ``handover``) follow the save button;
saving the review never records them.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import ipywidgets as w
import traitlets as t

from markupsafe import Markup

from ..markup import render
from ..errors import FormError
from ..japanese import format_date, format_time
from ..merging import MERGE_LABELS, SNAPSHOT, changed_fields, merge_review, review_fields, with_fields
from ..records import (EMPLOYER, READER_FIELDS, REACH_LABELS, REVIEW_FIELDS, SELF, STAFF, TO_EMPLOYER, TO_PERSON,
                       Action, Review, suggestion)
from ..documents import COPY_LABELS
from ..rules import LEVELS
from ..store import Conflict, StoreError
from ..store.checks import LONG_TEXT, SHORT_TEXT
from .common import Counted, Guard, Results, button, check_lengths, month_label, who_records
from .dates import HINT as DATE_HINT
from .dates import DateText
from .panel import Case, CaseForm

# The form's text fields, in the order shown (store field, label).
TEXT_FIELDS = tuple((f.name, f.label) for f in REVIEW_FIELDS)
FIELDS = tuple(name for name, _ in TEXT_FIELDS) + ("judgement",)
LABELS = dict(TEXT_FIELDS) | {"judgement": "会議の判断"}
TEXTS = frozenset(LABELS) - {"judgement"}
MAX_MERGES = 5               # saves by others met in a row before giving up (each one merged)
NO_JUDGEMENT = ""


class ReviewModel(CaseForm):
    workplace = t.Unicode("")
    life = t.Unicode("")
    health = t.Unicode("")
    issues = t.Unicode("")
    discussion = t.Unicode("")
    policy = t.Unicode("")
    wishes = t.Unicode("")
    next_check = t.Unicode("")
    to_person = t.Unicode("")                # 本人へ: the words of the person's 支援レポート
    to_employer = t.Unicode("")              # 企業へ: the words of the employer's (with consent only)
    judgement = t.Unicode(NO_JUDGEMENT)      # "" or 要対応 / 注意 / 安定
    employer_consent = t.Bool(False)         # 企業共有同意 はい: an employer copy is made
    preview = t.Unicode("")                  # a copy of the 支援レポート as it would be made now (HTML)
    reader_message = t.Unicode("")           # the result of a suggestion or preview, beside its buttons
    reader_kind = t.Unicode("")              # ok / warning / error (common.Results)

    # the next action being typed, and the ones added but not yet saved
    action_content = t.Unicode("")
    action_owner = t.Unicode("")
    action_due = t.Any(None)                 # datetime.date or None
    pending_actions = t.List()               # [{content, owner, due_on}]
    month_actions = t.List()                 # actions saved for this month: [{content, owner, due_on, status}]

    user_id = t.Unicode("")
    person = t.Unicode("")                   # who the form is about, as the heading names them: 003 池田 誠
    month = t.Unicode("")
    version = t.Int(0)                       # the stored version the form was read from (0: none yet)
    saved_note = t.Unicode("")               # who saved it last, when
    dirty = t.Bool(False)
    message = t.Unicode("")
    message_kind = t.Unicode("")             # ok / merged / conflict (merged: amber, also for a question)
    conflict = t.Dict()                      # {version, saved_by, saved_at, fields: [{name, label, mine, theirs, ...}]}
    choices = t.Dict()                       # after a conflict: field → mine / theirs / edit
    combined = t.Dict()                      # field → the edited text (choice edit)
    saves = t.Int(0)                         # counts successful saves
    conference_id = t.Int(0)                 # the month's conference (linked from the meeting panel), 0: none
    shown_level = t.Unicode("")              # the level and flags shown for the case: a save keeps them,
    shown_flags = t.List()                   # so the 会議録 prints what the conference saw

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._snapshot = dict.fromkeys(FIELDS, "")
        self._base: Review | None = None     # the review the form was read from: what a save merges from
        self._merge = None                   # after a conflict: their review, stored now
        self._past_due_asked = None          # a 期限 before today, asked about once
        self._merge_conflict = None
        self.observe(self._update_dirty, names=[*FIELDS, "pending_actions", "action_content", "action_owner",
                                                "action_due"])

    # -- the 支援レポート's words, written for its readers

    def suggest(self, reach: str) -> None:
        """Fill a blank reader field with a first text from the review's own fields, to edit."""
        field = READER_FIELDS[reach]
        if reach == TO_EMPLOYER and not self.employer_consent:
            raise FormError("企業共有同意が「はい」ではないため、企業用の支援レポートは作りません")
        if getattr(self, field.name).strip():
            self.reader_message, self.reader_kind = (f"「{field.label}」には入力があります。下書きを入れるときは、"
                                                     "先に消してください"), "warning"
            return
        text = suggestion(self.values(), reach)
        if not text:
            self.reader_message, self.reader_kind = "下書きのもとになるケース検討の記入がありません", "warning"
            return
        setattr(self, field.name, text)
        self.reader_kind = "ok"
        self.reader_message = (f"「{field.label}」に下書きを入れました。読み手に向けて書き直してから保存してください"
                               "（事業所内の言葉が残っていないか確かめてください）")

    def show_preview(self, audience: str) -> None:
        """The 支援レポート of the open case as it would be made from the form now (not saved)."""
        from ..report_views import support_report_html

        if self.book is None or not self.user_id:
            raise FormError("利用者を選んでください")
        if audience == EMPLOYER and not self.employer_consent:
            raise FormError("企業共有同意が「はい」ではないため、企業用の支援レポートは作りません")
        article = support_report_html(self.book, self.month, self.user_id, audience, store=self.store,
                                      texts=self.values())
        self.preview = render("app/review_preview.html.j2", article=Markup(article), css=Markup(_report_css()),
                              label=f"{COPY_LABELS[audience]}のプレビュー")
        self.reader_kind = "ok"
        self.reader_message = (f"{COPY_LABELS[audience]}の支援レポートを、いま入力されている内容で表示しています"
                               "（まだ保存も作成もしていません）")

    def hide_preview(self) -> None:
        self.preview, self.reader_message = "", ""

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

    def open_case(self, case: Case) -> None:
        self.person = case.person
        self.employer_consent = self.book.shares_with_employer(case.user_id)
        self.load(case.user_id, case.month)
        self.shown_level, self.shown_flags = case.level, list(case.flags)     # what a save keeps

    def load(self, user_id: str, month: str) -> None:
        """Read the saved review of the case (or an empty form) and this month's actions."""
        review = self.store.review(self.office, user_id, month) if self.store is not None else None
        with self.hold_trait_notifications():
            self.user_id, self.month = user_id, month
            self.pending_actions = []
            self.action_content = self.action_owner = ""
            self.action_due = None
            self.conflict, self._merge = {}, None
            self.message = self.message_kind = ""
            self.preview = self.reader_message = ""
            self._base = review
            self._set_saved(review)
            self._fill(self._review_values(review))
            self._load_month_actions()

    def clear(self) -> None:
        with self.hold_trait_notifications():
            self.user_id = ""
            self.pending_actions, self.month_actions = [], []
            self.action_content = self.action_owner = ""
            self.action_due = None
            self.conflict, self._merge, self._base = {}, None, None
            self.message = self.message_kind = ""
            self.preview = self.reader_message = ""
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

    def take_in(self) -> None:
        """Read the case's saved review again, keeping what is typed here: a field only the other
        saver changed comes into the form; fields both changed are shown side by side, as when
        saving (``conflict``).  Actions added but not saved stay."""
        if self.store is None or not self.user_id:
            return
        self._load_month_actions()
        theirs = self.store.review(self.office, self.user_id, self.month)
        if theirs is None or theirs.version == self.version:
            return
        if not self.dirty:
            with self.hold_trait_notifications():
                self._base, self.conflict, self._merge = theirs, {}, None
                self._set_saved(theirs)
                self._fill(self._review_values(theirs))
                self.message, self.message_kind = (f"{theirs.updated_by} さんが {format_time(theirs.updated_at)} に"
                                                   "保存した内容を読み込みました"), "ok"
            return
        mine = self._form_review()
        merged, conflicts = merge_review(self._base, mine, theirs)
        taken = changed_fields(review_fields(self._base), review_fields(mine), review_fields(theirs))
        conflict = Conflict("ケース検討", theirs, self.version or None)
        with self.hold_trait_notifications():
            for name in FIELDS:
                setattr(self, name, getattr(merged, name) or "")
            self._snapshot = self._review_values(theirs)   # what is stored: the rest is this form's
            self._update_dirty()
            if conflicts:          # the base stays: 「選んだ内容で保存」 merges from it
                self._show_conflict(conflict, conflicts)
                return
            self._base = theirs
            self._set_saved(theirs)
            who, when, labels = _taken(conflict, taken)
            took = f"の{'・'.join(labels)}" if labels else ""
            self.message = (f"{who} さんが {when} に保存した内容{took}を読み込みました。"
                            "入力中の内容は残っています（まだ保存されていません）")
            self.message_kind = "merged"

    # -- actions (役割分担) added at this conference

    def add_action(self) -> None:
        content, owner = self.action_content.strip(), self.action_owner.strip()
        if not content:
            raise FormError("役割分担の内容を入力してください")
        if not owner:
            raise FormError("役割分担の担当を入力してください")
        check_lengths([("役割分担の内容", content, SHORT_TEXT), ("役割分担の担当", owner, SHORT_TEXT)], "追加")
        due = self.action_due
        if due is not None and not isinstance(due, dt.date):
            raise FormError(f"期限「{due}」は日付として読めません。{DATE_HINT}")
        if due is not None and due < self.today and self._past_due_asked != due:
            self._past_due_asked = due                  # asked once: pressing again adds it
            self.message, self.message_kind = (f"期限（{format_date(due)}）は今日より前です。このままでよければ、"
                                               "もう一度「役割分担を追加」を押してください"), "merged"
            return
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
        by = who_records(self.store, self.recorder, "ケース検討", "保存", user_id=self.user_id)
        if self.action_content.strip():
            raise FormError("入力中の役割分担があります。「役割分担を追加」を押すか、内容を消してから保存してください")
        check_lengths((label, getattr(self, name), LONG_TEXT) for name, label in TEXT_FIELDS)
        return by

    def _form_review(self) -> Review:
        return Review(office=self.office, user_id=self.user_id, month=self.month,
                      **{name: getattr(self, name) for name, _ in TEXT_FIELDS}, judgement=self.judgement or None,
                      conference_id=self.conference_id or None, saved_level=self.shown_level or None,
                      saved_flags=tuple(self.shown_flags) if self.shown_level else None)

    def save(self) -> bool:
        """Save the form; True when saved.  If someone saved first, the changes are merged
        field by field (``merging``): saved when only different fields changed, else
        ``conflict`` lists the fields both changed and nothing is saved until they are chosen."""
        by = self._check_can_save()
        return self._save(by, self._base, self._form_review(), self.version or None)

    def _save(self, by: str, base: Review | None, mine: Review, expected: int | None, taken=(),
              typed: dict | None = None) -> bool:
        """``typed``: the texts typed into fields both changed; those the save does not keep go
        to the history with it (``Store.save_review(not_kept=...)``)."""
        taken = list(taken)                          # (who, when, [labels]) merged in from others
        for _attempt in range(MAX_MERGES):
            try:
                saved = self.store.save_review(mine, by=by, expected_version=expected, not_kept=typed)
                break
            except Conflict as conflict:
                theirs = conflict.current
                merged, conflicts = merge_review(base, mine, theirs)
                fields_taken = changed_fields(review_fields(base), review_fields(mine), review_fields(theirs))
                if conflicts:
                    self._show_conflict(conflict, conflicts)
                    return False
                if fields_taken:
                    taken.append(_taken(conflict, fields_taken))
                base, mine, expected = theirs, merged, theirs.version
        else:
            raise StoreError("ほかの人の保存が続いたため保存できませんでした。もう一度「保存」を押してください")
        self._saved(by, saved, taken)
        return True

    def _saved(self, by: str, saved: Review, taken: list) -> None:
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
            self.conflict, self._merge = {}, None
            self._base = saved
            self._set_saved(saved)
            self._fill(self._review_values(saved))
            extra = f"、役割分担 {added}件を追加" if added else ""
            merged = "".join(f"{who} さんが {when} に保存した{'・'.join(labels)}を取り込み、"
                             for who, when, labels in taken)
            self.message = (f"{merged}{'あなたの変更と合わせて' if taken else ''}"
                            f"保存しました（{format_time(saved.updated_at)}、記録者 {by}、版 {saved.version}{extra}）")
            self.message_kind = "merged" if taken else "ok"
        self.saves += 1

    def _show_conflict(self, conflict: Conflict, conflicts: list) -> None:
        """Both changed the same fields: show them; nothing is saved until each is chosen."""
        theirs = conflict.current
        self._merge, self._merge_conflict = theirs, conflict
        self.choices, self.combined = {}, {}
        rows = [{"name": c.name, "label": c.label, "text": c.name in TEXTS, "mine": shown(c.name, c.mine),
                 "theirs": shown(c.name, c.theirs), "combined": _combined(c.mine, c.theirs)} for c in conflicts]
        with self.hold_trait_notifications():
            self.conflict = {"version": theirs.version, "saved_by": conflict.saved_by,
                             "saved_at": format_time(conflict.saved_at), "fields": rows}
            self.message = (f"{conflict.saved_by} さんも同じ項目を変えて先に保存しました。"
                            "項目ごとに残す内容を選んで「選んだ内容で保存」を押してください")
            self.message_kind = "conflict"

    def choose(self, name: str, choice: str | None, combined: str | None = None) -> None:
        """After a conflict: keep mine / theirs / an edited text (``combined``) for one field."""
        self.choices = self.choices | {name: choice}
        if combined is not None:
            self.combined = self.combined | {name: combined}

    def save_merge(self) -> bool:
        """After a conflict: save the form merged with theirs, the fields both changed as
        chosen, against their version."""
        if not self.conflict or self._merge is None:
            raise FormError("競合はありません")
        by = self._check_can_save()
        theirs, conflict, mine = self._merge, self._merge_conflict, self._form_review()
        merged, conflicts = merge_review(self._base, mine, theirs)
        if {c.name for c in conflicts} != {row["name"] for row in self.conflict["fields"]}:
            self._show_conflict(conflict, conflicts)        # the form changed meanwhile
            return False
        missing = [c.label for c in conflicts if self.choices.get(c.name) is None]
        if missing:
            raise FormError(f"{'・'.join(missing)}はどちらを残すか選んでください")
        values, stored = review_fields(merged), review_fields(theirs)
        for row in self.conflict["fields"]:
            name, choice = row["name"], self.choices[row["name"]]
            if choice == "theirs":
                values[name] = stored[name]
            elif choice == "edit":
                values[name] = self.combined.get(name, row["combined"])
        fields_taken = changed_fields(review_fields(self._base), review_fields(mine), stored)
        typed = {row["name"]: getattr(mine, row["name"]) for row in self.conflict["fields"] if row["name"] in LABELS}
        return self._save(by, theirs, with_fields(merged, values), theirs.version,
                          [_taken(conflict, fields_taken)] if fields_taken else (), typed=typed)


def _report_css() -> str:
    """The documents' style sheet, so that a preview looks as the copy will."""
    from ..reports import TEMPLATE_DIR, TEMPLATE_NAME

    return (TEMPLATE_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


def _taken(conflict: Conflict, names: list[str]) -> tuple[str, str, list[str]]:
    """Who saved what the merge took from them, and when (for the message)."""
    return conflict.saved_by, format_time(conflict.saved_at), [MERGE_LABELS[name] for name in names]


def shown(name: str, value) -> str:
    """A field's value as the conflict table shows it."""
    if name == SNAPSHOT:
        return f"{value[0]}（フラグ {len(value[1] or ())}件）" if value else "（なし）"
    if name == "judgement":
        return value or "（未選択）"
    return "" if value is None else str(value)


def _combined(mine, theirs) -> str:
    """Both texts, for editing one from them (theirs first: it was saved first)."""
    return "\n".join(x for x in (theirs, mine) if x)


class ReviewView(w.VBox):
    def __init__(self, model: ReviewModel, guard: Guard, *, sections: tuple[w.Widget, ...] = (), **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.guard = guard
        self.add_class("teichaku-review")
        style = {"description_width": "7em"}
        self.heading = w.HTML()
        self.texts = {}
        self.counted: dict[str, Counted] = {}
        for field in REVIEW_FIELDS:
            area = w.Textarea(description=field.label if field.reach == STAFF else "", style=style,
                              layout=w.Layout(width="98%", height="4.2em" if field.reach == STAFF else "7em"))
            area.add_class(f"teichaku-field-{field.name}")
            area.add_class(f"teichaku-reach-{field.reach}")
            w.link((model, field.name), (area, "value"))
            self.texts[field.name] = area
            self.counted[field.name] = Counted(area, LONG_TEXT)     # 「123 / 1000字」 under it
        self.readers = self._reader_section()
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
        self.action_due = DateText("期限", width="14em", description_width="3em")
        self.action_due.add_class("teichaku-action-due")
        for name in ("action_content", "action_owner", "action_due"):
            w.link((model, name), (getattr(self, name), "value"))
        # what each button did, right below it (common.Results): 保存's in the save bar, kept in view
        self.results = Results(model, guard)
        self.message = self.results.line("save", "review-message")
        self.action_message = self.results.line("action", "action-message")
        self.merge_message = self.results.line("merge", "merge-message", shown=lambda: bool(model.conflict))
        self.add_button = self.results.button("役割分担を追加", "add-action", model.add_action, "役割分担の追加",
                                              line="action", icon="plus")
        self.pending_box = w.VBox()
        self.month_actions = w.HTML()

        self.save_button = self.results.button("保存", "save", model.save, "保存", line="save", width=None,
                                               button_style="primary", icon="save")
        self.conflict = w.HTML()
        self.conflict.add_class("teichaku-conflict")
        self.merge_rows = w.VBox()
        self.choices: dict[str, w.RadioButtons] = {}      # after a conflict: field → mine / theirs / edit
        self.combined: dict[str, w.Textarea] = {}         # field → the text edited from both
        self.save_merge = self.results.button("選んだ内容で保存", "save-merge", model.save_merge, "選んだ内容の保存",
                                              line="merge", button_style="warning", icon="save")
        self.save_merge.layout.align_self = "flex-start"
        self.conflict_box = w.VBox([self.conflict, self.merge_rows, self.save_merge, self.merge_message])
        self.conflict_box.add_class("teichaku-conflict-box")
        model.observe(guard.wrap(self._render_merge, "競合の表示"), names=["conflict"])
        model.observe(guard.wrap(self._render, "検討記録の表示"),
                      names=["user_id", "person", "saved_note", "dirty", "message", "message_kind", "conflict",
                             "pending_actions", "month_actions"])
        self.save_bar = w.HBox([self.save_button, self.message])
        self.save_bar.add_class("teichaku-save-bar")       # kept in view while the form is edited (app.css)
        self._render()
        staff = [self.counted[f.name] for f in REVIEW_FIELDS if f.reach == STAFF]
        self.children = [self.heading,
                         w.HTML(render("app/section_heading.html.j2",
                                       text=f"会議の記録（{REACH_LABELS[STAFF]}。支援レポートには載りません）")),
                         *staff, self.judgement, self.readers,
                         w.HTML(render("app/section_heading.html.j2", text="役割分担（この会議で決めたこと）")),
                         self.month_actions, self.pending_box,
                         w.HBox([self.action_content, self.action_owner, self.action_due, self.add_button],
                                layout=w.Layout(flex_flow="row wrap")),
                         self.action_message, self.save_bar, self.conflict_box, *sections]

    def _reader_section(self) -> w.VBox:
        """The 支援レポート's words: one field for each reader, with where it goes, a suggestion
        from the review and a preview of the copy; each button's result right below it."""
        m, guard = self.model, self.guard
        self.reader_results = Results(m, guard, message="reader_message", kind="reader_kind")
        self.reach_notes: dict[str, w.HTML] = {}
        self.suggest_buttons: dict[str, w.Button] = {}
        rows = []
        for reach in (TO_PERSON, TO_EMPLOYER):
            field = READER_FIELDS[reach]
            note = w.HTML()
            note.add_class(f"teichaku-reach-note-{reach}")
            self.reach_notes[reach] = note
            line = self.reader_results.line(reach, f"suggest-message-{reach}")
            suggest = self.reader_results.button("ケース検討から下書き", f"suggest-{reach}", lambda r=reach: m.suggest(r),
                                                 "下書きの作成", line=reach, width="auto", icon="pencil")
            self.suggest_buttons[reach] = suggest
            rows += [w.HBox([note, suggest], layout=w.Layout(align_items="center", justify_content="space-between",
                                                             width="98%")),
                     line, self.counted[field.name]]
        preview = partial(self.reader_results.button, line="preview", width=None)
        self.preview_buttons = {
            SELF: preview("本人用を確認", "preview-person", lambda: m.show_preview(SELF), "プレビュー", icon="eye"),
            EMPLOYER: preview("企業用を確認", "preview-employer", lambda: m.show_preview(EMPLOYER), "プレビュー",
                              icon="eye")}
        self.hide_preview = preview("プレビューを閉じる", "preview-close", m.hide_preview, "プレビュー")
        self.reader_message = self.reader_results.line("preview", "reader-message")
        self.preview = w.HTML()
        self.preview.add_class("teichaku-preview")
        m.observe(guard.wrap(self._render_readers, "支援レポートの欄の表示"),
                  names=["employer_consent", "preview", "reader_message", "reader_kind", "user_id"])
        self._render_readers()
        return w.VBox([w.HTML(render("app/section_heading.html.j2", text="支援レポートに載せる文（読み手に向けて書きます）")),
                       *rows, w.HBox([*self.preview_buttons.values(), self.hide_preview],
                                     layout=w.Layout(flex_flow="row wrap", align_items="center")),
                       self.reader_message, self.preview])

    def _render_readers(self, _change=None) -> None:
        m = self.model
        for reach, note in self.reach_notes.items():
            field = READER_FIELDS[reach]
            closed = reach == TO_EMPLOYER and not m.employer_consent
            note.value = render("app/review_reach.html.j2", label=field.label, closed=closed,
                                where=REACH_LABELS[reach])
            self.texts[field.name].disabled = closed
            self.suggest_buttons[reach].disabled = closed
            self.suggest_buttons[reach].layout.display = "none" if closed else ""
        self.preview_buttons[EMPLOYER].disabled = not m.employer_consent
        self.hide_preview.layout.display = "" if m.preview else "none"
        self.reader_results.show()
        self.preview.value = m.preview

    def _render(self, _change=None) -> None:
        m = self.model
        self.layout.display = "" if m.user_id else "none"
        self.heading.value = render("app/review_heading.html.j2", person=m.person,
                                    month_label=month_label(m.month) if m.month else "",
                                    dirty=m.dirty, saved_note=m.saved_note)
        self.results.show()
        self.month_actions.value = render("app/review_month_actions.html.j2", actions=m.month_actions)
        pending = []
        for i, item in enumerate(m.pending_actions):
            remove = w.Button(description="取消", layout=w.Layout(width="4em"))
            remove.on_click(self.guard.wrap(lambda _b, i=i: m.remove_pending(i), "役割分担の取消"))
            pending.append(w.HBox([w.HTML(render("app/review_pending_action.html.j2", item=item)), remove]))
        self.pending_box.children = pending
        self.conflict.value = render("app/review_conflict.html.j2", conflict=m.conflict)
        self.conflict_box.layout.display = "" if m.conflict else "none"

    def _render_merge(self, _change=None) -> None:
        """One row per field both changed: both texts, the choice, and a text to edit from both."""
        m = self.model
        rows, self.choices, self.combined = [], {}, {}
        for field in m.conflict.get("fields", ()):
            name = field["name"]
            table = w.HTML(render("app/review_conflict_field.html.j2", field=field, saved_by=m.conflict["saved_by"]))
            options = [("自分の内容", "mine"), ("保存されている内容", "theirs")]
            if field["text"]:
                options.append(("両方から編集", "edit"))
            choice = w.RadioButtons(options=options, index=None, description="残す内容",
                                    style={"description_width": "5em"})
            choice.add_class(f"teichaku-merge-{name}")
            text = w.Textarea(value=field["combined"], layout=w.Layout(width="98%", height="5em", display="none"))
            text.add_class(f"teichaku-combined-{name}")

            def chosen(_change=None, name=name, choice=choice, text=text):
                text.layout.display = "" if choice.value == "edit" else "none"
                m.choose(name, choice.value, text.value)

            choice.observe(self.guard.wrap(chosen, "残す内容の選択"), names="value")
            text.observe(self.guard.wrap(chosen, "残す内容の選択"), names="value")
            self.choices[name], self.combined[name] = choice, text
            rows.append(w.VBox([table, choice, text]))
        self.merge_rows.children = rows
