"""The retention panel's view: 就労定着率 and the fee outlook, the people to confirm, and the
就労確認 form with its list and withdraw row."""

from __future__ import annotations

import ipywidgets as w

from ... import money
from ...japanese import format_date
from ...markup import render
from ...records import CHECK_METHODS, EMPLOYMENT_STATES
from ..checks import ChecksModel
from ..common import Guard
from .common import Results, WithdrawRow, status_line
from .dates import DateText


class ChecksView(w.VBox):
    def __init__(self, model: ChecksModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.add_class("teichaku-checks")
        narrow = {"description_width": "5em"}
        self.rates = w.HTML()
        self.rates.add_class("teichaku-checks-rates")
        self.people = w.HTML()
        self.people.add_class("teichaku-checks-people")
        self.money = w.HTML()
        self.money.add_class("teichaku-checks-money")
        self.user_id = w.Dropdown(description="利用者", style=narrow, layout=w.Layout(width="30em"))
        self.checked_on = DateText("確認日", width="15em", description_width="5em")
        self.employment = w.Dropdown(options=EMPLOYMENT_STATES, description="就労状況", style=narrow,
                                     layout=w.Layout(width="11em"))
        self.method = w.Dropdown(options=CHECK_METHODS, description="確認方法", style=narrow,
                                 layout=w.Layout(width="11em"))
        self.note = w.Text(description="メモ", placeholder="例: 人事担当に電話で確認", style=narrow,
                           layout=w.Layout(width="24em"))
        for name in ("checked_on", "employment", "method", "note"):
            w.link((model, name), (getattr(self, name), "value"))
        self.user_id.observe(guard.wrap(self._chosen, "就労確認の人の選択"), names="value")
        # what each button did, right below it (common.Results)
        self.results = Results(model, guard, draw=status_line)
        self.message = self.results.line("record", "checks-message")
        self.withdraw_message = self.results.line("withdraw", "checks-withdraw-message")
        self.record = self.results.button("就労確認を記録", "checks-record", model.record, "就労確認の記録", line="record",
                                          icon="check", button_style="primary", width="11em")
        self.listing = w.HTML()
        withdrawing = WithdrawRow(model, guard, css="checks-withdraw", what="就労確認の記録の取消",
                                  placeholder="例: 別の人の確認だった", width="30em", results=self.results)
        self.withdraw_choice, self.withdraw_reason, self.withdraw = withdrawing.children
        model.observe(guard.wrap(self._render, "就労定着率と就労確認の表示"),
                      names=["rates", "people", "notes", "records", "message", "message_kind", "user_id", "outlook"])
        wrap = w.Layout(flex_flow="row wrap")
        self.children = [
            self.rates, self.people,
            w.HTML(render("app/section_heading.html.j2", text="就労確認を記録する")),
            w.HBox([self.user_id, self.checked_on], layout=wrap),
            w.HBox([self.employment, self.method, self.note, self.record], layout=wrap),
            self.message, self.listing, withdrawing, self.withdraw_message, self.money]
        self._render()

    def _chosen(self, change) -> None:
        self.model.user_id = change["new"] or ""

    def _render(self, _change=None) -> None:
        m = self.model
        self.rates.value = render("app/checks_rates.html.j2", rates=m.rates, notes=m.notes)
        self.people.value = render("app/checks_people.html.j2", people=m.people, as_of=m.as_of)
        o = m.outlook
        self.money.value = "" if o is None else render(
            "app/checks_money.html.j2", outlook=o, at_risk=[(sentence.removeprefix("この方が"), people)
                                                            for sentence, people in money.by_effect(o.at_risk)])
        options = [("（選んでください）" if m.people else "（確認が要る人はいません）", "")] + [
            (f"{p['user_id']} {p['name']}", p["user_id"]) for p in m.people]
        self.user_id.options = options
        self.user_id.value = m.user_id if m.user_id in {v for _, v in options} else ""
        self.listing.value = render("app/checks_list.html.j2", records=m.records)
        choices = [("（選んでください）", 0)] + [
            (f"{r['user_id']} {r['name']}　{format_date(r['checked_on'])} {r['employment']}", r["id"])
            for r in m.records if not r["withdrawn"]]
        self.withdraw_choice.options = choices
        self.withdraw_choice.value = m.withdraw_id if m.withdraw_id in {v for _, v in choices} else 0
        self.results.show()
