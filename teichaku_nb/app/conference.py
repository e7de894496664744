"""The conference's model: the panels' models put together.

``ConferenceModel`` loads the workbook(s) and the review store, keeps the header, agenda,
case, review, handover, plan (monitoring, draft, 個別支援計画書) and retention (就労確認) models in step (the
month's fee check read again after a handover is recorded or a plan finalised or agreed), and asks before
leaving a case with unsaved edits (the review's, the monitoring's or the plan draft's).
The page that shows it is ``views/conference.py`` (``ConferenceView``, ``ConferenceApp``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import traitlets as t

from ..casebook import CaseBook
from ..japanese import as_month
from ..plan_cycle import plan_due
from ..paths import BOOK_ENV, DB_ENV, DEMO_ENV, data_dir, demo_book_path
from ..office_month import OfficeMonth
from .agenda import AgendaModel
from .audit import AuditModel
from .case import CaseModel, bill_view
from .checks import ChecksModel
from .common import Guard, log, log_access, month_label
from .exports import ExportModel
from .handover import HandoverModel
from .header import ALL_TEAMS, HeaderModel, billing_counts
from .meeting import MeetingModel
from .panel import Case, Context
from .plan import MonitoringModel, PlanDocumentModel
from .plan_draft import DraftModel
from .review import ReviewModel
from .sending import SendingModel
from .staff_admin import StaffAdminModel
from .watch import OthersModel

LEAVE_LABELS = {"case": "別のケースを開く", "month": "対象月を変える", "team": "チームを変える",
                "office": "事業所を変える"}


class ConferenceModel(t.HasTraits):
    """The whole conference: which book, store, month and case; the panels' models."""

    pending_leave = t.Dict()      # {kind, value, name}: a move that waits for the user's answer
    notice = t.Unicode("")        # a move that was not made (the page stays where it was)
    ready = t.Bool(False)

    def __init__(self, book_path: Path | str | None = None, db_url: str | None = None, *,
                 demo: bool | None = None, today: dt.date | None = None, **kwargs):
        super().__init__(**kwargs)
        self.guard = Guard()
        self.header = HeaderModel()
        self.agenda = AgendaModel()
        self.case = CaseModel()
        self.review = ReviewModel()
        self.exports = ExportModel()
        self.meeting = MeetingModel()
        self.sending = SendingModel()
        self.handover = HandoverModel()
        self.plan = MonitoringModel()                # the plan section: the monitoring,
        self.draft = DraftModel()                    # the next plan's draft,
        self.plan_document = PlanDocumentModel()     # the 個別支援計画書
        self.checks = ChecksModel(shown=False)       # computed when its panel is opened
        self.others = OthersModel()                  # what others saved since this page read it
        self.audit = AuditModel()                    # 運営指導の準備 (サービス管理責任者 and 管理者; computed when asked)
        self.staff_admin = StaffAdminModel()         # a 管理者's accounts and access log (read when opened)
        self.today = today or dt.date.today()
        self.demo = (book_path is None) if demo is None else demo
        self.book_path = Path(book_path) if book_path is not None else demo_book_path()
        self.db_url = db_url
        self.books: list[CaseBook] = []
        self.book: CaseBook | None = None
        self.store = None
        self.office_month: OfficeMonth | None = None     # the month on screen: agenda and fee check
        self.month_review = None
        self.billing = None                          # the month's fee check (billing.Billing)
        self._fee_month = None                       # the month whose fee check is not computed yet
        self.read_change = None                      # the store's change_mark when the office was read
        self._reverting = False
        # the panels that work in the page's context (office, month, day, who is signed in): each gets it
        # whenever it changes (``_set_context``)
        self.panels = (self.case, self.review, self.exports, self.meeting, self.sending, self.handover,
                       self.plan, self.draft, self.plan_document, self.checks, self.audit, self.staff_admin)
        self.context = Context(today=self.today, book_path=self.book_path, db_url=db_url)
        self._set_context()
        # what one panel tells another
        t.dlink((self.plan, "decision"), (self.draft, "decision"))
        t.dlink((self.plan, "dirty"), (self.draft, "monitoring_dirty"))
        t.dlink((self.plan, "plan"), (self.draft, "has_plan"), transform=bool)
        t.dlink((self.meeting, "conference_id"), (self.review, "conference_id"))
        t.dlink((self.exports, "made_users"), (self.sending, "made_users"))
        for panel in (self.plan_document, self.sending, self.exports):      # the open case's person
            t.dlink((self.agenda, "selected"), (panel, "user_id"))
        g = self.guard.wrap
        self.header.observe(lambda _change: self._set_context(month=self.header.month, staff=self.header.staff),
                            names=["month", "staff"])     # first: the month's panels read it below
        self.header.observe(g(self._on_office, "事業所の切り替え"), names="office")
        self.header.observe(g(self._on_month_or_team, "対象月・チームの切り替え"), names=["month", "team"])
        self.agenda.observe(g(self._on_request, "ケースを開く操作"), names="requested")
        self.review.observe(g(self._on_saved, "検討済の表示"), names="saves")
        self.case.observe(g(self._on_actions_changed, "役割分担の件数の表示"), names="actions_changed")
        self.sending.observe(g(lambda _c: self.reload(), "送付の記録後の更新"), names="recorded")
        self.handover.observe(g(self._after_handover, "引継ぎの記録後の更新"), names="recorded")
        self.draft.observe(g(self._after_plan, "個別支援計画の記録後の更新"), names="recorded")
        for saver in (self.plan, self.draft):        # an earlier failure is no longer true once saved
            saver.observe(g(lambda _change: self.guard.clear(), "エラー表示の更新"), names="saves")

    def _set_context(self, **changes) -> None:
        """A new context for every panel: another office or month, the person signed in (``panel.Context``)."""
        self.context = self.context.but(**changes)
        for panel in self.panels:
            panel.context = self.context

    @classmethod
    def from_environment(cls, **kwargs) -> ConferenceModel:
        """BOOK and DB as the launcher passes them (``TEICHAKU_BOOK``, ``TEICHAKU_DB``)."""
        book = os.environ.get(BOOK_ENV) or None
        demo = os.environ.get(DEMO_ENV) == "1" or book is None
        return cls(book, os.environ.get(DB_ENV) or None, demo=demo, **kwargs)

    # -- loading

    def load(self, *, fee_check: bool = True) -> None:
        """Read the workbook and open the store; problems are shown, never raised.  With
        ``fee_check=False`` (the first page) the month's fee check waits until ``fee_check()``."""
        try:
            self._load()
        except Exception as error:   # a workbook we cannot read must not crash the notebook
            self.guard.report(error, "ケース記録の読み込み")
            self.header.fatal = self.guard.error
        self.ready = True
        if fee_check:
            self.fee_check()

    def _load(self) -> None:
        from ..workbook import read_source
        from .prefetch import take
        h = self.header
        h.source_note = (f"デモデータ（架空の人物）を表示しています: {self.book_path}" if self.demo
                         else f"ケース記録: {self.book_path}")
        # once per page (the documents use it too); read ahead while the app started, if it is
        # of the workbook as it is now
        source = take(self.book_path, self.today) or read_source(self.book_path, today=self.today)
        books = source.books
        if source.unreadable:
            h.fatal = source.unreadable[0].message
            h.problems = []
            return
        self.books = books
        self._open_store()
        self._set_context(source=source)
        self._reverting = True
        try:
            h.set_books(books)
        finally:
            self._reverting = False
        self._use_book(int(h.office or 0))

    def _open_store(self) -> None:
        from ..store import StoreError, open_store
        url = self.db_url
        known = {b.key: b.users["user_id"].tolist() for b in self.books}
        try:
            self.store = open_store(url, book_path=self.book_path, known_users=known, books=self.books)
        except Exception as error:   # the agenda can still be read without the records
            self.store = None
            shown = error if isinstance(error, StoreError) else f"{type(error).__name__}: {error}"
            self.header.store_note = f"会議記録のデータベースを開けません（表示のみ・保存はできません）: {shown}"
            log.error("store: %s", error, exc_info=not isinstance(error, StoreError))
            return
        in_user_folder = self.store.location.startswith(str(data_dir()))
        where = "（デモの会議記録はリポジトリの外、利用者ごとのフォルダに保存します）" if in_user_folder else ""
        self.header.store_note = self.store.describe() + where

    def _use_book(self, index: int) -> None:
        self.book = self.books[index]
        self._set_context(book=self.book, store=self.store, office=self.book.key)   # each panel forgets the last
        self.others.start(self.store, self.book.key)
        self.read_change = self.store.change_mark(self.book.key) if self.store else None   # before reading
        self._reverting = True
        try:
            self.header.set_book(self.book, self.today)
        finally:
            self._reverting = False
        self._close_case()
        self.refresh()

    def refresh(self, *, reload_case: bool = True) -> None:
        """Recompute the agenda from the workbook and the latest records in the store (and
        read the open case again unless ``reload_case`` is false)."""
        if self.book is None:
            return
        self.others.page_read()                      # first: what is saved up to now is read below
        month = self.header.month
        if self.meeting.month != month:
            self.meeting.load(month)
        if self.sending.month != month:
            self.sending.load(month)
        if self.checks.month != month:
            self.checks.load(month)
        self.office_month = OfficeMonth(self.book, as_month(month), self.store, today=self.today)
        self.month_review = self.office_month.agenda
        reviewed: set[str] = set()
        counts: dict[str, int] = {}
        if self.store is not None:
            opens = self.office_month.open_actions
            counts = opens["user_id"].value_counts().to_dict() if len(opens) else {}
            reviewed = {r.user_id for r in self.store.reviews(self.book.key, month)}
        self.billing, self._fee_month = None, month
        if self.ready:                   # while ``load`` reads, ``load`` decides
            self.fee_check()
        names = self.book.names
        self.agenda.month_label = month_label(month)
        self.agenda.set_review(self.month_review, team=self.header.team, open_actions=counts,
                               reviewed=reviewed, names=names)
        if self.agenda.selected and reload_case:
            self._open_case(self.agenda.selected)

    def fee_check(self) -> None:
        """The month's fee check, unless it is computed already for the month shown."""
        if self._fee_month is not None:
            month, self._fee_month = self._fee_month, None
            self.billing = self._month_billing(month)

    def _month_billing(self, month: str):
        """The month's fee check, and its counts in the header (for the team chosen); a fee
        check that fails is shown as an error and leaves the agenda usable."""
        h = self.header
        try:
            billing = self.office_month.billing
        except Exception as error:   # the agenda is still read without it
            self.guard.report(error, "算定チェック")
            h.billing = {}
            return None
        teams = dict(zip(self.book.users["user_id"], self.book.users["team"]))
        h.billing = billing_counts(billing, month, h.team, teams)
        return billing

    def _bill_of(self, user_id: str) -> dict:
        self.fee_check()
        person = next((p for p in self.billing.people if p.user_id == user_id), None) if self.billing else None
        return bill_view(person) if person else {}

    def _show_case_state(self, user_id: str) -> None:
        """The open case's level, flags and fee check as read now (the form keeps what is typed)."""
        case = next((c for c in self.month_review.cases if c.user_id == user_id), None)
        if case is None:
            return
        flags = [f.as_dict() for f in case.flags]
        self.case.level, self.case.flags, self.case.bill = case.level, flags, self._bill_of(user_id)
        self.review.shown_level, self.review.shown_flags = case.level, flags

    def _after_handover(self, _change) -> None:
        """A handover was recorded or withdrawn: the agenda and the fee check read it again and
        the case shows them; the review form keeps what is typed."""
        self.refresh(reload_case=False)
        self._show_case_state(self.agenda.selected)

    def _after_plan(self, change) -> None:
        """A plan was finalised or its 同意日・交付日 recorded: as after a handover, and the
        monitoring section says again whether the plan is due this month."""
        self._after_handover(change)
        case = next((c for c in self.month_review.cases if c.user_id == self.agenda.selected), None)
        self.plan.due = case is not None and plan_due(case)

    def reload(self) -> None:
        """「最新の状態に更新」 and 「取り込む」: read what others saved.  What is typed here stays:
        the review and the meeting forms take in only what the other saver changed
        (``ReviewModel.take_in``, ``MeetingModel.take_in``)."""
        self.others.taken_in()
        self.notice = ""
        self.checks.month = ""                       # others may have recorded a 就労確認
        self.meeting.take_in()
        self.audit.outdated()                        # others' saves may change the gaps: checked again on request
        self.refresh(reload_case=False)
        user_id = self.agenda.selected
        if user_id:
            self._show_case_state(user_id)
            for panel in self.panels:
                panel.reload_case()

    def warm_up(self) -> None:
        """What the month's first case switch would otherwise wait for, done while staff look at
        the agenda: the fee check (when the first page left it for now), everyone's profile,
        trend and handover of the month, the panels' templates compiled, and the kernel the
        page's documents run in started (in the background: ``reports.warm_up``)."""
        from ..markup import compile_templates
        from ..reports import warm_up

        warm_up()
        self.fee_check()
        compile_templates("app")
        if self.book is not None and self.header.month:
            self.case.month_facts(self.header.month)
            self.handover.prepare(self.header.month)

    def check_others(self) -> bool:
        """Whether others saved something this page shows (``watch``; the poller calls it)."""
        if self.book is None:
            return False
        return self.others.check(user_id=self.agenda.selected, person=self.review.person, month=self.header.month,
                                 conference_id=self.meeting.conference_id, names=self.book.names)

    def sign_in(self, environ=None) -> None:
        """Who works on the page (the 記録者 of what is saved from it): the person the server
        names in the page's request (``HeaderModel.sign_in``; ``environ``: the kernel's environment
        unless given).  Called once the request has arrived (``opening.AppPage``): a preheated
        kernel builds the page before anyone asks for it."""
        self.header.sign_in(environ)

    def viewer_arrived(self) -> None:
        """A viewer opened the page: who they are (``sign_in``), and the latest records (a
        preheated kernel was prepared before they were saved; one that nobody saved since needs
        no second read)."""
        self.sign_in()
        try:
            if self.book is not None:                # first: what is saved from now on is news
                self.others.start(self.store, self.book.key)
            if self.store is not None and self.store.change_mark(self.book.key) != self.read_change:
                self.meeting.month = self.sending.month = self.checks.month = ""     # read again
                self.refresh()
        except Exception as error:
            self.guard.report(error, "会議記録の読み込み")

    # -- moving between cases, months, teams (asking first when the form has unsaved edits)

    def has_unsaved_edits(self) -> bool:
        """The open case's form holds text that is not saved."""
        return bool(self.agenda.selected) and any(panel.unsaved for panel in self.panels)

    def _on_office(self, change) -> None:
        if self._reverting or not self.books or change["new"] == "":
            return
        if self.has_unsaved_edits():
            self._hold("office", change)
            return
        self._use_book(int(change["new"]))

    def _on_month_or_team(self, change) -> None:
        if self._reverting or self.book is None:
            return
        if self.has_unsaved_edits():
            self._hold(change["name"], change)
            return
        self._close_case()
        self.others.taken_in()
        self.refresh()

    def _hold(self, kind: str, change) -> None:
        """Undo the change on screen and wait for the user's answer."""
        self._reverting = True
        try:
            setattr(self.header, change["name"], change["old"])
        finally:
            self._reverting = False
        self.pending_leave = {"kind": kind, "value": change["new"], "name": change["name"]}

    def _on_request(self, change) -> None:
        user_id = change["new"]
        if not user_id or user_id == self.agenda.selected:
            return
        if self.has_unsaved_edits():
            self.pending_leave = {"kind": "case", "value": user_id, "name": "case"}
            return
        self._open_case(user_id)

    def open_case(self, user_id: str) -> None:
        """Open a case as the agenda's button does (asks first when there are unsaved edits)."""
        self.agenda.request(user_id)

    def confirm_leave(self) -> None:
        """Discard the unsaved edits and make the move that was held."""
        pending, self.pending_leave = self.pending_leave, {}
        if not pending:
            return
        self.review.clear()
        if pending["kind"] == "case":
            self._open_case(pending["value"])
            return
        self.others.taken_in()
        self._reverting = True
        try:
            setattr(self.header, pending["name"], pending["value"])
        finally:
            self._reverting = False
        if pending["kind"] == "office":
            self._use_book(int(pending["value"]))
        else:
            self._close_case()
            self.refresh()

    def cancel_leave(self) -> None:
        """Stay: the case stays open with its text; a month, team or office not changed is said so."""
        pending, self.pending_leave = self.pending_leave, {}
        if pending.get("kind") in ("month", "team", "office"):
            h = self.header
            team = "" if h.team == ALL_TEAMS else f"・{h.team}"
            self.notice = (f"{LEAVE_LABELS[pending['kind']].removesuffix('を変える')}は変えていません。"
                           f"いまも {h.office_name}・{month_label(h.month)}{team} の記録を編集しています")

    def _open_case(self, user_id: str) -> None:
        case = next((c for c in self.month_review.cases if c.user_id == user_id), None)
        month = self.header.month
        self.guard.clear()
        self.notice = ""
        self.others.read_case(user_id)
        name = self.book.names.get(user_id)
        opened = Case(user_id, month, person=f"{user_id} {name if isinstance(name, str) else ''}".strip(),
                      level=case.level if case else "", flags=tuple(f.as_dict() for f in case.flags) if case else (),
                      bill=self._bill_of(user_id), due=case is not None and plan_due(case))
        for panel in self.panels:
            panel.open_case(opened)
        self.agenda.selected = user_id
        self.pending_leave = {}
        failed = log_access(self.context, "case_opened", user_id=user_id, detail=month)
        if failed:                                   # the case stays open: the log lacks it, said at the top
            self.guard.error = f"ケースの記録を開いたことを{failed}"

    def _close_case(self) -> None:
        self.agenda.selected = ""
        for panel in self.panels:
            panel.close_case()
        self.pending_leave = {}

    def _open_count(self, user_id: str) -> int:
        if self.store is None:
            return 0
        return len(self.store.open_actions(self.book.key, user_id, as_of_month=self.header.month))

    def _on_saved(self, _change) -> None:
        self.guard.clear()                           # an earlier failure is no longer true once saved
        self.notice = ""
        user_id = self.review.user_id
        self.agenda.mark_reviewed(user_id, open_actions=self._open_count(user_id))

    def _on_actions_changed(self, _change) -> None:
        user_id = self.case.user_id
        self.agenda.set_open_actions(user_id, self._open_count(user_id))
