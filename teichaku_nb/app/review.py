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

import traitlets as t

from markupsafe import Markup

from ..markup import render
from ..errors import FormError
from ..japanese import as_month, format_date, format_time
from ..merging import MERGE_LABELS, SNAPSHOT, changed_fields, merge_review, review_fields, with_fields
from ..records import EMPLOYER, READER_FIELDS, REVIEW_FIELDS, TO_EMPLOYER, Action, Review, suggestion
from ..documents import COPY_LABELS
from ..store import Conflict, StoreError
from ..store.checks import LONG_TEXT, SHORT_TEXT
from .common import check_lengths, who_records
from .dates import HINT as DATE_HINT
from .panel import Case, CaseForm

# The form's text fields, in the order shown (store field, label).
TEXT_FIELDS = tuple((f.name, f.label) for f in REVIEW_FIELDS)
FIELDS = tuple(name for name, _ in TEXT_FIELDS) + ("judgement",)
LABELS = dict(TEXT_FIELDS) | {"judgement": "会議の判断"}
TEXTS = frozenset(LABELS) - {"judgement"}
MAX_MERGES = 5               # saves by others met in a row before giving up (each one merged)
NO_JUDGEMENT = ""


# One text trait for each of the review's fields, as ``records.REVIEW_FIELDS`` declares them
# (職場 … 次回確認事項, and 本人へ / 企業へ: the words of the person's and the employer's 支援レポート).
ReviewTexts = type("ReviewTexts", (t.HasTraits,), {f.name: t.Unicode("") for f in REVIEW_FIELDS})


class ReviewModel(CaseForm, ReviewTexts):
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
        article = support_report_html(self.book, as_month(self.month), self.user_id, audience, store=self.store,
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
        by = who_records(self.store, self.staff, "ケース検討", "保存", user_id=self.user_id)
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
