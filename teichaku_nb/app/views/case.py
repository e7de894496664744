"""The case panel's view: the open case's facts, chart and contacts, and its carried-over actions
with their 完了 / 継続 / 中止 buttons."""

from __future__ import annotations

import ipywidgets as w

from ... import charts
from ...markup import render
from ..case import CaseModel, score_text, support_text
from ..common import Guard, month_label
from .common import Results

PROFILE_LABELS = (("kana", "フリガナ"), ("staff", "担当支援員"), ("team", "チーム"), ("employer", "企業名"),
                  ("job", "職種"), ("hired_on", "就職日"), ("support_start", "支援開始日"),
                  ("support_end", "支援終了予定日"), ("certificate_until", "受給者証有効期限"),
                  ("status", "状況"), ("left_on", "離職日"), ("employer_consent", "企業共有同意"))


class CaseView(w.VBox):
    def __init__(self, model: CaseModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.guard = guard
        self.add_class("teichaku-case")
        self.title = w.HTML()           # who and the level: the conference keeps it in view (sticky)
        self.title.add_class("teichaku-case-head-title")
        self.summary = w.HTML()         # the support period and the flags, first
        self.summary.add_class("teichaku-case-summary")
        self.billing = w.HTML()
        self.billing.add_class("teichaku-case-billing")
        self.body = w.HTML()            # the rest in one piece: facts, chart, contacts, plan
        self.actions_box = w.VBox()
        self.results = Results(model, guard)         # what 完了 / 継続 / 中止 did, right below the list
        self.message = self.results.line("actions", "case-message")
        model.observe(guard.wrap(self._render, "ケースの表示"),
                      names=["loaded", "user_id", "profile", "contacts", "plan", "chart_svg", "flags", "bill"])
        model.observe(guard.wrap(self._render_actions, "役割分担の表示"), names=["open_actions", "message", "message_kind"])
        self._render()
        self._render_actions()
        self.children = [self.summary, self.billing, self.body,
                         w.HTML(render("app/section_heading.html.j2", text="前回までの役割分担（継続中）")),
                         self.actions_box, self.message]

    def _render(self, _change=None) -> None:
        m = self.model
        if m.loading:                    # drawn once when the load is done (``loaded``)
            return
        p = m.profile
        if not m.user_id or not p:
            self.layout.display = self.title.layout.display = "none"
            return
        self.layout.display = self.title.layout.display = ""
        self.title.value = render("app/case_title.html.j2", user_id=m.user_id, name=p.get("name"), level=m.level)
        self.summary.value = render("app/case_summary.html.j2", support=support_text(p), flags=m.flags)
        self.billing.value = render("app/case_billing.html.j2", bill=m.bill, month_label=month_label(m.month))
        self.body.value = render(
            "app/case_body.html.j2", facts=[(label, p.get(k)) for k, label in PROFILE_LABELS], month_label=month_label(m.month),
            uri=charts.svg_data_uri(m.chart_svg) if m.chart_svg else "", chart_note=m.chart_note,
            contacts=[dict(c, scores=score_text(c)) for c in m.contacts], plan=m.plan)

    def _render_actions(self, _change=None) -> None:
        m = self.model
        rows = []
        for action in m.open_actions:
            text = w.HTML(render("app/case_action.html.j2", action=action, month_label=month_label(action["month"])),
                          layout=w.Layout(flex="1"))
            buttons = []
            for label, css, method, what in (("完了", "close", m.close_action, "完了にする操作"),
                                             ("継続", "continue", m.continue_action, "継続にする操作"),
                                             ("中止", "cancel", m.cancel_action, "中止にする操作")):
                buttons.append(self.results.button(label, f"action-{css}", lambda f=method, i=action["id"]: f(i),
                                                   what, line="actions", width="4.5em"))
            rows.append(w.HBox([text, *buttons]))
        if not rows:
            rows = [w.HTML(render("app/muted.html.j2", text="継続中の役割分担はありません"))]
        self.actions_box.children = rows
        self.results.show()
