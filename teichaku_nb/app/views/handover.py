"""The handover section's view: where the handover stands, a row and a button for each record,
the list and its withdraw row."""

from __future__ import annotations

import ipywidgets as w

from ...japanese import format_date
from ...markup import render
from ...records import HANDOVER_PARTIES, NEEDS_VALUES
from ..common import Guard
from ..handover import UNDECIDED, HandoverModel
from .common import Results, WithdrawRow, status_line
from .dates import DateText

NEEDS_OPTIONS = (("（未判断）", UNDECIDED), *((v, v) for v in NEEDS_VALUES))


class HandoverView(w.VBox):
    def __init__(self, model: HandoverModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.add_class("teichaku-handover")
        narrow = {"description_width": "5em"}
        self.status = w.HTML()
        self.needs = w.Dropdown(options=NEEDS_OPTIONS, description="要継続支援", style=narrow,
                                layout=w.Layout(width="14em"))
        self.needs_on = DateText("判断日", width="15em", description_width="5em")
        self.consent_on = DateText("同意日", width="15em", description_width="5em")
        self.party = w.Dropdown(options=HANDOVER_PARTIES, description="相手", style=narrow, layout=w.Layout(width="12em"))
        self.with_whom = w.Text(description="相手の名前", placeholder="例: ○○センター 田中", style=narrow,
                                layout=w.Layout(width="18em"))
        self.shared_on = DateText("日付", width="15em", description_width="5em")
        for name in ("needs", "needs_on", "consent_on", "party", "with_whom", "shared_on"):
            w.link((model, name), (getattr(self, name), "value"))
        # what each button did, right below its row (common.Results)
        self.results = r = Results(model, guard, draw=status_line)
        self.needs_message = r.line("needs", "handover-needs-message")
        self.consent_message = r.line("consent", "handover-consent-message")
        self.message = r.line("shared", "handover-message")
        self.withdraw_message = r.line("withdraw", "handover-withdraw-message")
        self.record_needs = r.button("判断を記録", "handover-needs", model.record_needs, "要継続支援の記録", line="needs")
        self.record_consent = r.button("同意を記録", "handover-consent", model.record_consent, "引継ぎの同意の記録",
                                       line="consent")
        self.record_shared = r.button("引継ぎを記録", "handover-shared", model.record_shared, "引継ぎの記録",
                                      line="shared")
        self.listing = w.HTML()
        withdrawing = WithdrawRow(model, guard, css="handover-withdraw", what="引継ぎの記録の取消",
                                  placeholder="例: 日付を誤って記録した", results=r)
        self.withdraw_choice, self.withdraw_reason, self.withdraw = withdrawing.children
        model.observe(guard.wrap(self._render, "引継ぎの表示"),
                      names=["user_id", "state", "records", "message", "message_kind"])
        wrap = w.Layout(flex_flow="row wrap")
        self.children = [
            w.HTML(render("app/section_heading.html.j2", text="引継ぎ（支援体制構築）")), self.status,
            w.HBox([self.needs, self.needs_on, self.record_needs], layout=wrap), self.needs_message,
            w.HBox([self.consent_on, self.record_consent], layout=wrap), self.consent_message,
            w.HBox([self.party, self.with_whom, self.shared_on, self.record_shared], layout=wrap),
            self.message, self.listing,
            withdrawing, self.withdraw_message]
        self._render()

    def _render(self, _change=None) -> None:
        m = self.model
        self.layout.display = "" if m.user_id else "none"
        self.status.value = render("app/handover_status.html.j2", state=m.state)
        self.listing.value = render("app/handover_list.html.j2", records=m.records)
        options = [("（選んでください）", 0)] + [(f"{r['label']}　{format_date(r['done_on'])}", r["id"])
                                                for r in m.records if not r["withdrawn"]]
        self.withdraw_choice.options = options
        self.withdraw_choice.value = m.withdraw_id if m.withdraw_id in {v for _, v in options} else 0
        self.results.show()
