"""The plan section's view: the monitoring form (one row per goal, the decision, its save
button), the draft editor given as a part, and the 個別支援計画書's button and link."""

from __future__ import annotations

import ipywidgets as w

from ...markup import render
from ...records import EVALUATIONS, PLAN_DECISIONS
from ..common import Guard, month_label
from ..exports import FORMATS
from ..plan import NOT_YET, MonitoringModel, PlanDocumentModel
from .common import Results, status_line
from .dates import DateText

EVALUATION_OPTIONS = (("（未評価）", NOT_YET), *((v, v) for v in EVALUATIONS))
DECISION_OPTIONS = (("（未決定）", NOT_YET), *((v, v) for v in PLAN_DECISIONS))


class PlanView(w.VBox):
    """The section: the plan in force, one row per goal, the decision, 「モニタリングを保存」; then
    ``parts`` (the draft editor) and the 個別支援計画書's button and link."""

    def __init__(self, model: MonitoringModel, document: PlanDocumentModel, guard: Guard, *,
                 parts: tuple[w.Widget, ...] = (), **kwargs):
        super().__init__(**kwargs)
        self.model, self.document, self.guard = model, document, guard
        self.add_class("teichaku-plan")
        self.heading = w.HTML()
        self.status = w.HTML()
        self.goals_box = w.VBox()
        self.goals_box.add_class("teichaku-plan-goals")
        self.rows: list[tuple[w.Dropdown, w.Text]] = []
        self.monitored_on = DateText("モニタリング日", width="17em", description_width="7em")
        self.monitored_on.add_class("teichaku-plan-monitored-on")
        self.decision = w.Dropdown(options=DECISION_OPTIONS, description="計画の判断", style={"description_width": "5em"},
                                   layout=w.Layout(width="15em"))
        self.decision.add_class("teichaku-plan-decision")
        for name in ("monitored_on", "decision"):
            w.link((model, name), (getattr(self, name), "value"))
        # what each button did, right below it (common.Results); the document's button has its own
        self.results = Results(model, guard)
        self.message = self.results.line("save", "plan-message")
        self.use_theirs_message = self.results.line("use_theirs", "plan-use-theirs-message",
                                                    shown=lambda: bool(model.conflict))
        self.save_button = self.results.button("モニタリングを保存", "plan-save", model.save, "モニタリングの保存",
                                               line="save", icon="save", button_style="primary")
        self.form_row = w.HBox([self.monitored_on, self.decision, self.save_button],
                               layout=w.Layout(flex_flow="row wrap", align_items="center"))
        self.conflict = w.HTML()
        self.use_theirs = self.results.button("保存されている内容にする", "plan-use-theirs", model.use_theirs,
                                              "保存されている内容への置き換え", line="use_theirs", button_style="warning")
        self.conflict_box = w.VBox([self.conflict, self.use_theirs, self.use_theirs_message])
        self.conflict_box.add_class("teichaku-plan-conflict-box")
        self.doc_fmt = w.ToggleButtons(options=FORMATS, value="pdf", style={"button_width": "5em"},
                                       layout=w.Layout(width="auto"), tooltips=("HTML で作る", "PDF で作る"))
        w.link((document, "fmt"), (self.doc_fmt, "value"))
        self.doc_results = Results(document, guard, message="status", kind="status_kind", draw=status_line)
        self.doc_status = self.doc_results.line("document", "plan-document-status")
        self.doc_button = self.doc_results.button("個別支援計画書を作る", "plan-document", self._make_document,
                                                  "個別支援計画書の作成", line="document", icon="file", button_style="info")
        self.doc_link = w.HTML()
        self.doc_link.add_class("teichaku-plan-document-link")
        model.observe(guard.wrap(self._build_rows, "目標の表示"), names="goals")
        model.observe(guard.wrap(self._sync_rows, "評価の表示"), names="answers")
        model.observe(guard.wrap(self._render, "モニタリングの表示"),
                      names=["user_id", "person", "month", "due", "plan", "dirty", "saved_note", "message",
                             "message_kind", "conflict"])
        document.observe(guard.wrap(self._render_document, "個別支援計画書の表示"),
                         names=["status", "status_kind", "link_uri"])
        self.children = [self.heading, self.status, self.goals_box, self.form_row, self.message, self.conflict_box,
                         *parts,
                         w.HTML(render("app/section_heading.html.j2", text="個別支援計画書（説明・同意・交付に使う書面）")),
                         w.HBox([self.doc_fmt, self.doc_button], layout=w.Layout(flex_flow="row wrap")),
                         self.doc_status, self.doc_link]
        self._pool: list[tuple] = []            # the goals' rows, made once (``_row``)
        self.rows: list[tuple] = []
        self._build_rows()
        self._render()
        self._render_document()

    def _row(self, position: int) -> tuple:
        """The widgets of the goal at ``position``, made once and kept: switching cases only
        changes their values (making widgets is what a switch would wait for)."""
        m = self.model
        while len(self._pool) <= position:
            at = len(self._pool)
            evaluation = w.Dropdown(options=EVALUATION_OPTIONS, description="評価", style={"description_width": "3em"},
                                    layout=w.Layout(width="11em"))
            evaluation.add_class(f"teichaku-plan-evaluation-{at + 1}")
            comment = w.Text(description="コメント", placeholder="本人が読む言葉で短く（例: 9月は遅刻なし）",
                             style={"description_width": "4.5em"}, layout=w.Layout(width="30em"))
            comment.add_class(f"teichaku-plan-comment-{at + 1}")
            for widget, name in ((evaluation, "evaluation"), (comment, "comment")):
                widget.observe(self.guard.wrap(lambda change, p=at, n=name: m.set_answer(p, n, change["new"]),
                                               "評価の入力"), names="value")
            goal = w.HTML()
            self._pool.append((goal, evaluation, comment, w.VBox([
                goal, w.HBox([evaluation, comment], layout=w.Layout(flex_flow="row wrap"))])))
        return self._pool[position]

    def _build_rows(self, _change=None) -> None:
        m = self.model
        boxes, self.rows = [], []
        for position, goal in enumerate(m.goals):
            shown, evaluation, comment, box = self._row(position)
            shown.value = render("app/plan_goal.html.j2", goal=goal)
            self.rows.append((evaluation, comment))
            boxes.append(box)
        self.goals_box.children = boxes
        self._sync_rows()

    def _sync_rows(self, _change=None) -> None:
        for (evaluation, comment), answer in zip(self.rows, self.model.answers):
            if evaluation.value != answer["evaluation"]:
                evaluation.value = answer["evaluation"]
            if comment.value != answer["comment"]:
                comment.value = answer["comment"]

    def _render(self, _change=None) -> None:
        m = self.model
        self.layout.display = "" if m.user_id else "none"
        if m.due:
            self.add_class("teichaku-plan-due")
        else:
            self.remove_class("teichaku-plan-due")
        self.heading.value = render("app/plan_heading.html.j2", person=m.person, dirty=m.dirty,
                                    month_label=month_label(m.month) if m.month else "", saved_note=m.saved_note,
                                    has_plan=bool(m.goals))
        self.status.value = render("app/plan_status.html.j2", plan=m.plan, due=m.due, has_goals=bool(m.goals))
        self.form_row.layout.display = "" if m.goals else "none"
        self.results.show()
        self.conflict.value = render("app/plan_conflict.html.j2", conflict=m.conflict)
        self.conflict_box.layout.display = "" if m.conflict else "none"

    def _make_document(self) -> None:
        self.doc_button.disabled = True
        try:
            self.document.make()
        finally:
            self.doc_button.disabled = False

    def _render_document(self, _change=None) -> None:
        d = self.document
        self.doc_results.show()
        self.doc_link.value = render("app/export_links.html.j2", name=d.link_name, uri=d.link_uri,
                                     checks_name="", checks_uri="")
