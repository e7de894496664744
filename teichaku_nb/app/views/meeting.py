"""The meeting panel's view: 開催日, 種別, 出席者 (and for a 地域連携会議 the outside participants and
the presenter), and 会議を記録."""

from __future__ import annotations

import ipywidgets as w

from ...markup import render
from ...records import CONFERENCE_KINDS, REGIONAL
from ..common import Guard, month_label
from ..meeting import MeetingModel
from .common import Results
from .dates import DateText


class MeetingView(w.VBox):
    def __init__(self, model: MeetingModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.add_class("teichaku-meeting")
        self.held_on = DateText("開催日")
        self.kind = w.Dropdown(options=CONFERENCE_KINDS, description="種別", layout=w.Layout(width="18em"))
        self.attendees = w.Text(description="出席者", placeholder="山田 花子、佐藤 一郎", layout=w.Layout(width="36em"))
        self.outside = w.Text(description="外部参加者", placeholder="〇〇障害者就業・生活支援センター 田中 様",
                              layout=w.Layout(width="36em"), style={"description_width": "initial"})
        self.presenter = w.Text(description="発表者", layout=w.Layout(width="16em"))
        for name in ("held_on", "kind", "attendees", "outside", "presenter"):
            w.link((model, name), (getattr(self, name), "value"))
            getattr(self, name).add_class(f"teichaku-meeting-{name.replace('_', '-')}")
        # what 会議を記録 did, right below it (common.Results), under who recorded the meeting last
        self.results = Results(model, guard, draw=lambda text, how: render(
            "app/meeting_status.html.j2", saved_note=model.saved_note, message=text, kind=how))
        self.status = self.results.line("save", "meeting-status")
        self.save = self.results.button("会議を記録", "meeting-save", model.save, "会議の記録", line="save", icon="save")
        self.heading = w.HTML()                 # which month's conference the form is for
        self.heading.add_class("teichaku-meeting-heading")
        self.regional = w.HBox([self.outside, self.presenter], layout=w.Layout(flex_flow="row wrap"))
        model.observe(guard.wrap(self._render, "会議の記録の表示"),
                      names=["month", "kind", "saved_note", "message", "message_kind", "context"])
        self._render()
        self.children = [self.heading, w.HBox([self.held_on, self.kind], layout=w.Layout(flex_flow="row wrap")),
                         self.attendees, self.regional, w.HBox([self.save]), self.status]

    def _render(self, _change=None) -> None:
        m = self.model
        self.regional.layout.display = "" if m.kind == REGIONAL else "none"
        # a 地域連携会議 is a サービス管理責任者's to record: for a 支援員 its fields and the save are
        # off, the reason as tooltip (the model refuses it anyway)
        refused = m.refused("regional_presenters")
        for field in (self.outside, self.presenter):
            field.disabled, field.tooltip = bool(refused), refused or None
        blocked = bool(refused) and m.regional
        self.save.disabled, self.save.tooltip = blocked, refused if blocked else None
        self.heading.value = render("app/section_heading.html.j2",
                                    text=f"{month_label(m.month)}の会議" if m.month else "会議")
        self.results.show()
