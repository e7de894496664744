"""The plan draft's view: the editor of the next plan, its 確定 (asked first), and the 同意日・交付日
of a finalised plan."""

from __future__ import annotations

import ipywidgets as w

from ...markup import render
from ...records import DRAFT, FINAL, PLAN_DOMAINS
from ...store.checks import LONG_TEXT
from ..common import Guard
from ..plan import REVISE
from ..plan_draft import DraftModel
from .common import Counted, Results
from .dates import DateText

DOMAIN_OPTIONS = (("（選択）", ""), *((d, d) for d in PLAN_DOMAINS))


class DraftView(w.VBox):
    """The draft editor, its 確定 (asked first), and the 同意日・交付日 of a finalised plan; what
    each button did right below it (``common.Results``)."""

    def __init__(self, model: DraftModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model, self.guard = model, guard
        self.add_class("teichaku-draft")
        # the first line, below 「次の計画の案を作る」 at the top of the editor, is always there: a
        # message no button caused goes to it (another page's plan taken in)
        self.results = r = Results(model, guard)
        drafting, final = (lambda: model.status == DRAFT), (lambda: model.status == FINAL)
        self.message = r.line("top", "draft-message")
        self.save_message = r.line("save", "draft-save-message", shown=drafting)
        self.finalise_message = r.line("finalise", "draft-finalise-message", shown=drafting, instead="consent")
        self.consent_message = r.line("consent", "draft-consent-message", shown=final)
        self.heading = w.HTML()
        self.create = r.button("次の計画の案を作る", "draft-create", model.create, "次の計画の案の作成", line="top",
                               icon="plus", button_style="info")
        self.create.layout.align_self = "flex-start"
        self.hint = w.HTML()
        wide = {"description_width": "9em"}
        self.period_start = DateText("計画期間（開始）", width="19em", description_width="9em")
        self.period_end = DateText("（終了）", width="14em", description_width="4em")
        self.service_manager = w.Text(description="サービス管理責任者", style=wide, layout=w.Layout(width="24em"))
        self.wishes = w.Textarea(description="本人の意向", style=wide, layout=w.Layout(width="98%", height="4em"))
        self.overall_policy = w.Textarea(description="総合的な方針", style=wide, layout=w.Layout(width="98%", height="4em"))
        for name in ("period_start", "period_end", "service_manager", "wishes", "overall_policy"):
            getattr(self, name).add_class(f"teichaku-draft-{name.replace('_', '-')}")
            w.link((model, name), (getattr(self, name), "value"))
        self.goals_box = w.VBox()
        self.rows: list[dict] = []
        self.warnings: list[w.HTML] = []          # beside each goal: its 期限 outside the 計画期間
        self.remove_buttons: list[w.Button] = []
        self.add_goal = r.button("目標を追加", "draft-add-goal", model.add_goal, "目標の追加", line="save", icon="plus")
        self.save_button = r.button("案を保存", "draft-save", model.save, "計画案の保存", line="save", icon="save",
                                    button_style="primary")
        self.plan_date = DateText("計画作成日", width="16em", description_width="6em")
        self.finalise = r.button("計画を確定", "draft-finalise", model.ask_finalise, "計画の確定", line="finalise",
                                 button_style="warning")
        # the question before 確定 (it cannot be undone): the safe answer is the primary button
        self.confirm_text = w.HTML()
        self.finalise_yes = r.button("確定する", "draft-finalise-yes", model.finalise, "計画の確定", line="finalise")
        self.finalise_no = r.button("やめる", "draft-finalise-no", model.cancel_finalise, "確定の取りやめ",
                                    line="finalise", button_style="primary")
        self.confirm = w.VBox([self.confirm_text, w.HBox([self.finalise_no, self.finalise_yes])])
        self.confirm.add_class("teichaku-confirm")
        self.editor = w.VBox([
            w.HBox([self.period_start, self.period_end, self.service_manager], layout=w.Layout(flex_flow="row wrap")),
            Counted(self.wishes, LONG_TEXT), Counted(self.overall_policy, LONG_TEXT), self.goals_box,
            w.HBox([self.add_goal, self.save_button], layout=w.Layout(flex_flow="row wrap")), self.save_message,
            w.HBox([self.plan_date, self.finalise], layout=w.Layout(flex_flow="row wrap", align_items="center")),
            self.confirm, self.finalise_message])
        self.summary = w.HTML()
        self.consent_on = DateText("同意日", width="15em", description_width="4em")
        self.delivered_on = DateText("交付日", width="15em", description_width="4em")
        for name in ("plan_date", "consent_on", "delivered_on"):
            getattr(self, name).add_class(f"teichaku-draft-{name.replace('_', '-')}")
            w.link((model, name), (getattr(self, name), "value"))
        self.record_consent = r.button("同意日・交付日を記録", "draft-consent", model.record_consent,
                                       "同意日・交付日の記録", line="consent", button_style="warning")
        self.final = w.VBox([self.summary, w.HBox([self.consent_on, self.delivered_on, self.record_consent],
                                                  layout=w.Layout(flex_flow="row wrap", align_items="center")),
                             self.consent_message])
        self.conflict = w.HTML()
        model.observe(guard.wrap(self._build_rows, "目標の表示"), names="goal_rows")
        model.observe(guard.wrap(self._sync_rows, "目標の表示"), names="goals")
        model.observe(guard.wrap(self._render_warnings, "目標の期限の表示"), names="due_warnings")
        model.observe(guard.wrap(self._render, "計画案の表示"),
                      names=["user_id", "person", "status", "info", "dirty", "decision", "has_plan", "message",
                             "message_kind", "conflict", "asking", "context"])
        self.children = [self.heading, self.hint, self.create, self.message, self.editor, self.final,
                         self.conflict]
        self._build_rows()
        self._render()

    def _build_rows(self, _change=None) -> None:
        m, g = self.model, self.guard
        rows, self.rows, self.warnings, self.remove_buttons = [], [], [], []
        for position, goal in enumerate(m.goals):
            n = position + 1
            row = {"domain": w.Dropdown(options=DOMAIN_OPTIONS, description=f"目標{n} 領域",
                                        style={"description_width": "6em"}, layout=w.Layout(width="14em")),
                   "due_on": DateText("期限", width="15em", description_width="3em"),
                   "goal": w.Text(description="目標", style={"description_width": "6em"}, layout=w.Layout(width="98%")),
                   "support": w.Textarea(description="支援内容", style={"description_width": "6em"},
                                         layout=w.Layout(width="98%", height="3.2em"))}
            for name, widget in row.items():
                widget.add_class(f"teichaku-draft-goal-{name.replace('_', '-')}-{n}")
                widget.observe(g.wrap(lambda change, p=position, k=name: m.set_goal(p, k, change["new"]), "目標の入力"),
                               names="value")
            remove = self.results.button("この目標を削除", f"draft-remove-goal-{n}", lambda p=position: m.remove_goal(p),
                                         "目標の削除", line="save", icon="trash")
            carried = w.HTML(render("app/muted.html.j2", text=f"前回の評価: {goal['evaluation']}"
                                    if goal.get("evaluation") else ""))
            warning = w.HTML()
            warning.add_class(f"teichaku-draft-goal-warning-{n}")
            self.rows.append(row)
            self.warnings.append(warning)
            self.remove_buttons.append(remove)
            box = w.VBox([w.HBox([row["domain"], row["due_on"], carried, remove],
                                 layout=w.Layout(flex_flow="row wrap", align_items="center")),
                          warning, row["goal"], Counted(row["support"], LONG_TEXT)])
            box.add_class("teichaku-draft-goal")
            rows.append(box)
        self.goals_box.children = rows
        self._sync_rows()
        self._render_warnings()

    def _sync_rows(self, _change=None) -> None:
        for row, goal in zip(self.rows, self.model.goals):
            for name, widget in row.items():
                value = goal.get(name)
                if name != "due_on":
                    value = value or ""
                if widget.value != value:
                    widget.value = value

    def _render_warnings(self, _change=None) -> None:
        """A goal whose 期限 is outside the 計画期間 says so beside it (a warning, not a refusal)."""
        found = self.model.due_warnings
        for position, warning in enumerate(self.warnings):
            value = render("app/notice.html.j2", text=found.get(position, ""))
            if warning.value != value:
                warning.value = value

    def _render(self, _change=None) -> None:
        m = self.model
        self.layout.display = "" if m.user_id else "none"
        self.heading.value = render("app/plan_draft_heading.html.j2", person=m.person, status=m.status,
                                    info=m.info, dirty=m.dirty)
        can_create = not m.status and (m.decision == REVISE or not m.has_plan)
        self.create.layout.display = "" if can_create else "none"
        self.hint.value = render("app/muted.html.j2", text="" if m.status or can_create else
                                 "モニタリングで計画の判断を「見直し」にして保存すると、次の計画の案を作れます")
        self.editor.layout.display = "" if m.status == DRAFT else "none"
        self.final.layout.display = "" if m.status == FINAL else "none"
        self.summary.value = render("app/plan_draft_summary.html.j2", info=m.info) if m.status == FINAL else ""
        self.confirm_text.value = render("app/confirm_question.html.j2", text=m.asking)
        self.confirm.layout.display = "" if m.asking else "none"
        # 確定 and the 同意日・交付日 need a サービス管理責任者: off for a 支援員, the reason as tooltip (the model
        # refuses them anyway)
        finalising, consenting = m.refused("plan_finalise"), m.refused("plan_consent")
        self.finalise.disabled = bool(m.asking) or bool(finalising)      # answer the question first
        self.finalise.tooltip = self.finalise_yes.tooltip = finalising or None
        self.finalise_yes.disabled = bool(finalising)
        self.record_consent.disabled, self.record_consent.tooltip = bool(consenting), consenting or None
        self.results.show()
        self.conflict.value = render("app/plan_conflict.html.j2", conflict=m.conflict)
