"""運営指導の準備's view: the period (最初の月・最後の月), 「確認する」 and 「確認資料（PDF）を作る」 in
one row, what they did and the bundle's download link right below it, then the result (the
totals, the office's items, the people with gaps and what to do).  Shown only while the model
says a サービス管理責任者 or 管理者 is signed in (``AuditModel.allowed``); the model refuses anyone
else anyway."""

from __future__ import annotations

import ipywidgets as w

from ...markup import render
from ..audit import AuditModel
from ..common import Guard
from .common import Results, status_line

ROW = {"flex_flow": "row wrap", "align_items": "center"}


class AuditView(w.VBox):
    """The period and 「確認する」, the result, and the evidence bundle, for a サービス管理責任者
    or 管理者 only (hidden for everyone else)."""

    def __init__(self, model: AuditModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.add_class("teichaku-audit")
        # what each button did, right below it (common.Results)
        self.results = Results(model, guard, draw=status_line)
        self.first = w.Text(description="最初の月", placeholder="2026-05", style={"description_width": "5em"},
                            layout=w.Layout(width="14em"))
        self.last = w.Text(description="最後の月", placeholder="2026-10", style={"description_width": "5em"},
                           layout=w.Layout(width="14em"))
        for widget, name in ((self.first, "first_month"), (self.last, "last_month")):
            widget.add_class(f"teichaku-audit-{name.replace('_', '-')}")
            w.link((model, name), (widget, "value"))
        self.run = self.results.button("確認する", "audit-run", model.run, "運営指導の準備の確認", line="run",
                                       icon="search", button_style="primary", width="9em")
        self.run_message = self.results.line("run", "audit-message")
        self.result = w.HTML()
        self.result.add_class("teichaku-audit-result")
        self.bundle = self.results.button("確認資料（PDF）を作る", "audit-bundle", self._make_bundle, "確認資料の作成",
                                          line="bundle", icon="file-pdf-o", button_style="info", width="14em")
        self.bundle_message = self.results.line("bundle", "audit-bundle-message")
        self.link = w.HTML()
        self.link.add_class("teichaku-audit-link")
        # the buttons above the result (a long list): both lines and the link right below them
        self.children = [w.HTML(render("app/audit_intro.html.j2")),
                         w.HBox([self.first, self.last, self.run, self.bundle], layout=w.Layout(**ROW)),
                         w.HTML(render("app/audit_bundle_intro.html.j2")), self.run_message, self.bundle_message,
                         self.link, self.result]
        model.observe(guard.wrap(self._render, "運営指導の準備の表示"),
                      names=["allowed", "checked", "people", "office_gaps", "clean", "totals_line", "message",
                             "message_kind", "link_uri"])
        self._render()

    def _make_bundle(self) -> None:
        self.bundle.disabled = True              # a batch of PDFs takes a while: not pressed twice
        try:
            self.model.make_bundle()
        finally:
            self.bundle.disabled = False

    def _render(self, _change=None) -> None:
        m = self.model
        self.layout.display = "" if m.allowed else "none"
        value = render("app/audit_result.html.j2", checked=m.checked, totals_line=m.totals_line,
                       office_gaps=m.office_gaps, people=m.people, clean=m.clean)
        if self.result.value != value:
            self.result.value = value
        self.link.value = render("app/export_links.html.j2", name=m.link_name, uri=m.link_uri,
                                 checks_name="", checks_uri="")
        self.results.show()
