"""The conference's page: the panels' views laid out (``ConferenceView``), and what the notebook
shows (``ConferenceApp``: the model, its view, and the watch for others' saves).

The folded panels and the open case's panel with its forms are built when first needed
(``views/lazy.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w
import traitlets as t

from ...markup import render
from ...server.page import UNSAVED_CLASS
from ..common import month_label, setup_logging
from ..conference import LEAVE_LABELS, ConferenceModel
from ..watch import SHOWN, Poller
from .agenda import AgendaView
from .audit import AuditView
from .case import CaseView
from .checks import ChecksView
from .common import button
from .exports import ExportView
from .handover import HandoverView
from .header import HeaderView
from .lazy import Folded, Lazy
from .meeting import MeetingView
from .plan import PlanView
from .plan_draft import DraftView
from .review import ReviewView
from .sending import SendingView
from .staff_admin import StaffAdminView

MEETING_TITLE = "会議の記録（開催日・種別・出席者）"
EXPORT_TITLE = "帳票の出力（会議録・支援レポート・月次サマリー）"
SENDING_TITLE = "支援レポートの送付の記録"
STAFF_ADMIN_TITLE = "職員アカウントとアクセス記録（管理者）"
AUDIT_TITLE = "運営指導の準備（サービス管理責任者・管理者）"


@dataclass(frozen=True)
class CaseForms:
    """The open case's views, built together: its panel, and its review form with the plan and
    handover sections."""

    case: CaseView
    review: ReviewView
    plan: PlanView
    handover: HandoverView


class ConferenceView(w.VBox):
    """The page: header, error banner, agenda on the left, the open case and its review on the right."""

    def __init__(self, model: ConferenceModel, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        g = model.guard
        self.add_class("teichaku-app")
        self.error = w.HTML()
        self.error.add_class("teichaku-error")
        self.dismiss = w.Button(description="閉じる", layout=w.Layout(width="5em"))
        self.dismiss.on_click(g.wrap(lambda _b: g.clear(), "エラー表示を閉じる操作"))
        self.error_box = w.HBox([self.error, self.dismiss])
        self.error_box_copy = w.HBox([self.error, self.dismiss])   # the same widgets, shown in the case column's head too
        g.observe(self._render_error, names="error")
        self.header = HeaderView(model.header, g)
        self.agenda = AgendaView(model.agenda, g, layout=w.Layout(width="40%", min_width="24em",
                                                                  padding="0 12px 0 0"))
        self.agenda.add_class("teichaku-agenda-column")       # scrolls on its own beside the case (app.css)
        self.exports = Folded([(EXPORT_TITLE, lambda: ExportView(model.exports, g)),
                               (SENDING_TITLE, lambda: SendingView(model.sending, g))])
        self.meeting = Folded([(MEETING_TITLE, lambda: MeetingView(model.meeting, g))])
        self.checks = Folded([("就労定着率と就労確認", lambda: ChecksView(model.checks, g))])
        t.dlink((self.checks.sections[0], "shown"), (model.checks, "shown"))     # computed while open
        self._role_panels()
        self.placeholder = w.HTML(render("app/placeholder.html.j2"))
        self.leave_text = w.HTML()
        # the safe answer is the primary button, first; the one that loses the text is plain, outlined in red
        self.leave_yes = button(g, "変更を破棄して移動", "leave-discard", model.confirm_leave, "移動")
        self.leave_no = button(g, "このまま編集を続ける", "leave-stay", model.cancel_leave, "移動の取りやめ",
                               button_style="primary")
        self.leave_box = w.VBox([self.leave_text, w.HBox([self.leave_no, self.leave_yes])])
        self.leave_box.add_class("teichaku-leave")
        model.observe(g.wrap(self._render_leave, "確認の表示"), names="pending_leave")
        model.agenda.observe(g.wrap(self._render_case_area, "ケースの表示"), names="selected")
        model.header.observe(g.wrap(self._render_case_area, "ケースの表示"), names="fatal")
        for edited in (model.review, model.plan, model.draft):
            edited.observe(g.wrap(self._render_unsaved, "未保存の確認"), names="dirty")
        model.agenda.observe(g.wrap(self._render_unsaved, "未保存の確認"), names="selected")
        self.others = w.HTML(layout=w.Layout(flex="1 1 auto"))
        self.take_in = button(g, "取り込む", "take-in", model.reload, "ほかの人の保存の取り込み", icon="download",
                              button_style="warning", width=None)
        self.take_in.layout = w.Layout(flex="0 0 auto", min_width="7.5em", align_self="center")
        self.others_box = w.HBox([self.others, self.take_in])       # at the top of the page, and
        self.others_box_copy = w.HBox([self.others, self.take_in])  # the same widgets in the case's head
        self.notice = w.HTML()
        self.notice.add_class("teichaku-notice")
        self.others.add_class("teichaku-others")
        model.others.observe(g.wrap(self._render_others, "ほかの人の保存の表示"), names=["case", "page", "entries"])
        model.observe(g.wrap(self._render_others, "移動の取りやめの表示"), names="notice")
        self.reload = button(g, "最新の状態に更新", "reload", model.reload, "最新の状態への更新", icon="refresh",
                             tooltip="ほかの人が保存した検討記録を読み直します（入力中の内容は残ります）")
        # who, the level and the question before leaving stay in view at the top of the case
        # column (sticky, app.css); the form's save bar stays at the bottom of the screen
        self.case_head = w.VBox([self.notice, self.leave_box, self.others_box_copy,
                                 self.error_box_copy])
        self.case_head.add_class("teichaku-case-head")
        self.right = w.VBox([self.case_head, self.placeholder], layout=w.Layout(width="60%"))
        self.right.add_class("teichaku-case-column")
        # the open case's panel and its forms: two thirds of the page's widgets, none shown before
        # a case is opened, so built when the first case is opened or once the agenda is shown
        # (the page's warm-up, ``ConferenceApp.watch``), whichever comes first
        self.forms = Lazy(self._make_forms, self._place_forms)
        self.body = w.HBox([self.agenda, self.right], layout=w.Layout(width="100%"))
        self.body.add_class("teichaku-body")
        self._render_error()
        self._render_leave()
        self._render_case_area()
        self._render_titles()
        model.meeting.observe(g.wrap(self._render_titles, "会議の記録の表示"), names="month")
        model.header.observe(g.wrap(self._render_titles, "対象月の表示"), names="month")
        self.children = [w.HTML(render("app/style.html.j2")), self.header, self.meeting, w.HBox([self.reload]),
                         self.others_box, self.error_box, self.body, self.exports, self.checks, self.audit,
                         self.staff_admin]
        model.agenda.observe(g.wrap(self._show_forms, "ケースの表示"), names="selected")

    def _make_forms(self) -> CaseForms:
        m, g = self.model, self.model.guard
        case = CaseView(m.case, g)
        handover = HandoverView(m.handover, g)
        plan = PlanView(m.plan, m.plan_document, g, parts=(DraftView(m.draft, g),))
        return CaseForms(case, ReviewView(m.review, g, sections=(plan, handover)), plan, handover)

    def _place_forms(self, forms: CaseForms) -> None:
        self.case_head.children = [forms.case.title, *self.case_head.children]
        self.right.children = [*self.right.children, forms.case, forms.review]

    def _show_forms(self, _change=None) -> None:
        self.forms.shown = bool(self.model.agenda.selected)

    @property
    def case(self) -> CaseView:
        return self.forms.build().case

    @property
    def review(self) -> ReviewView:
        return self.forms.build().review

    @property
    def plan(self) -> PlanView:
        return self.forms.build().plan

    @property
    def handover(self) -> HandoverView:
        return self.forms.build().handover

    def _render_error(self, _change=None) -> None:
        message = self.model.guard.error
        self.error.value = render("app/error_banner.html.j2", message=message)
        display = "" if message else "none"
        self.error_box.layout.display = display
        self.error_box_copy.layout.display = display if self.model.agenda.selected else "none"

    def _render_others(self, _change=None) -> None:
        m = self.model
        self.others.value = render("app/others_notice.html.j2", entries=m.others.entries, shown=SHOWN)
        shown = bool(m.others.case or m.others.page)
        opened = bool(m.agenda.selected)
        self.others_box.layout.display = "" if shown and not opened else "none"
        self.others_box_copy.layout.display = "" if shown and opened else "none"
        self.notice.value = render("app/notice.html.j2", text=m.notice)

    def _render_titles(self, _change=None) -> None:
        """The month each folded panel is for, in its title (it is read even while folded)."""
        def titled(text: str, month: str) -> str:
            return f"{text} — {month_label(month)}" if month else text
        m = self.model
        self.meeting.set_title(0, titled(MEETING_TITLE, m.meeting.month))
        self.exports.set_title(0, titled(EXPORT_TITLE, m.header.month))
        self.exports.set_title(1, titled(SENDING_TITLE, m.header.month))

    def _role_panels(self) -> None:
        """The panels of some roles (運営指導の準備, the 管理者's): on the page for everyone (hidden; each
        view is built when opened), shown only once the page knows who signed in and that they may
        use it: widgets made then could reach a browser still loading the page."""
        model, g = self.model, self.model.guard
        self.audit = Folded([(AUDIT_TITLE, lambda: AuditView(model.audit, g))])
        self.audit.add_class("teichaku-audit-panel")
        self.staff_admin = Folded([(STAFF_ADMIN_TITLE, lambda: StaffAdminView(model.staff_admin, g))])
        self.staff_admin.add_class("teichaku-staff-admin-panel")
        t.dlink((self.staff_admin.sections[0], "shown"), (model.staff_admin, "shown"))   # read while open
        for folded, panel in ((self.audit, model.audit), (self.staff_admin, model.staff_admin)):
            panel.observe(g.wrap(lambda _change, f=folded, p=panel: self._render_allowed(f, p), "役割ごとの画面の表示"),
                          names="allowed")
            self._render_allowed(folded, panel)

    @staticmethod
    def _render_allowed(folded: Folded, panel) -> None:
        """A panel of some roles (運営指導の準備, the 管理者's) is on screen only while its model says the
        signed-in person may use it (``allowed``), folded again for anyone else."""
        if panel.allowed:
            folded.layout.display = ""
        else:
            folded.layout.display = "none"
            folded.selected_index = None

    def _render_leave(self, _change=None) -> None:
        pending = self.model.pending_leave
        if pending:
            self.leave_text.value = render("app/leave_notice.html.j2",
                                           what=LEAVE_LABELS.get(pending["kind"], "移動する"))
            self.leave_box.layout.display = ""
        else:
            self.leave_text.value = ""
            self.leave_box.layout.display = "none"

    def _render_unsaved(self, _change=None) -> None:
        """Mark the page while closing it would lose text (the page script asks then:
        ``teichaku_nb.server.page``)."""
        if self.model.has_unsaved_edits():
            self.add_class(UNSAVED_CLASS)
        else:
            self.remove_class(UNSAVED_CLASS)

    def _render_case_area(self, _change=None) -> None:
        fatal = bool(self.model.header.fatal)
        self.body.layout.display = "none" if fatal else ""
        self.placeholder.layout.display = "none" if self.model.agenda.selected else ""
        self._render_error()
        self._render_others()


class ConferenceApp:
    """The page's models and view (``opening.AppPage`` builds it from the records it read:
    ``ConferenceModel.from_environment()``), then ``watch()`` once the page is shown."""

    def __init__(self, model: ConferenceModel):
        setup_logging()
        self.model = model
        if not model.ready:                # ``opening.AppPage`` reads before it builds
            model.load()
        self.view = ConferenceView(model)
        self.poller = Poller(model.check_others)

    def watch(self, loop=None) -> None:
        """From now on, look for others' saves every few seconds on the kernel's event loop
        (``loop``: this thread's when not given), and prepare the first case switch."""
        if self.poller.start(loop):
            self.poller.once(self.warm_up)

    def warm_up(self) -> None:
        """While staff read the agenda: the forms built (a page built once the browser drew it
        left them for now; a page built before the browser connected has them already: widgets
        made while it receives the page's could reach it before their parts), the month's
        facts prepared."""
        self.view.forms.build()
        self.model.warm_up()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
