"""The review form's view: the conference's fields, the words for the 支援レポート's readers with
their suggestion and preview, 会議の判断, new actions, the save bar and the conflict rows; the
plan and handover sections follow it."""

from __future__ import annotations

from functools import partial

import ipywidgets as w

from ...markup import render
from ...records import EMPLOYER, READER_FIELDS, REACH_LABELS, REVIEW_FIELDS, SELF, STAFF, TO_EMPLOYER, TO_PERSON
from ...rules import LEVELS
from ...store.checks import LONG_TEXT
from ..common import Guard, month_label
from ..review import NO_JUDGEMENT, ReviewModel
from .common import Counted, Results
from .dates import DateText


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
