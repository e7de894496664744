"""The sending panel's view: recipient, day and whom, 送付を記録, the month's list and its
withdraw row."""

from __future__ import annotations

import ipywidgets as w

from ...japanese import format_date
from ...markup import render
from ...records import RECIPIENTS
from ..common import Guard
from ..sending import SCOPES, SendingModel
from .common import Results, WithdrawRow, status_line
from .dates import DateText


class SendingView(w.VBox):
    def __init__(self, model: SendingModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.add_class("teichaku-sending")
        self.recipient = w.Dropdown(options=RECIPIENTS, description="送付先", layout=w.Layout(width="16em"))
        self.sent_on = DateText("送付日")
        self.scope = w.Dropdown(options=SCOPES, description="対象", layout=w.Layout(width="24em"))
        for name in ("recipient", "sent_on", "scope"):
            w.link((model, name), (getattr(self, name), "value"))
        # what each button did, right below it (common.Results), never under the open case's name
        self.results = Results(model, guard, draw=status_line)
        self.message = self.results.line("record", "sending-message")
        self.withdraw_message = self.results.line("withdraw", "sending-withdraw-message")
        self.record = self.results.button("送付を記録", "sending-record", model.record, "送付の記録", line="record",
                                          icon="check", button_style="primary", width="9em")
        self.listing = w.HTML()
        self.listing.add_class("teichaku-sending-list")
        withdrawing = WithdrawRow(model, guard, css="sending-withdraw", what="送付の記録の取消",
                                  placeholder="例: 送付先を取り違えた", width="28em", results=self.results)
        self.withdraw_choice, self.withdraw_reason, self.withdraw = withdrawing.children
        model.observe(guard.wrap(self._render, "送付の記録の表示"), names=["records", "message", "message_kind", "month"])
        self._render()
        self.children = [
            w.HTML(render("app/sending_intro.html.j2")),
            w.HBox([self.recipient, self.sent_on, self.scope, self.record], layout=w.Layout(flex_flow="row wrap")),
            self.message, self.listing,
            withdrawing, self.withdraw_message]

    def _render(self, _change=None) -> None:
        m = self.model
        self.listing.value = render("app/sending_list.html.j2", records=m.records)
        options = [("（選んでください）", 0)] + [
            (f"{r['user_id']} {r['name']}　{r['recipient']}　{format_date(r['sent_on'])}", r["id"])
            for r in m.records if not r["withdrawn"]]
        self.withdraw_choice.options = options
        self.withdraw_choice.value = m.withdraw_id if m.withdraw_id in {v for _, v in options} else 0
        self.results.show()
