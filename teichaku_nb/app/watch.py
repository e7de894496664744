"""Others' saves, seen within seconds.

Every few seconds the page asks the store whether anything of its office changed
(``Store.change_mark``: one small query).  When it did, ``OthersModel.check`` reads the changes
made through another page, computer or the command line since this page opened
(``Store.changes_by_others``) and sorts them: the case open here, the month's meeting, the other
cases.  The page says who saved what and when, and its 「取り込む」 button
(``ConferenceModel.reload``) brings the saved records in, keeping what is typed here.

``Poller`` runs the check on the kernel's own event loop, so it never runs beside a click.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable, Mapping

import traitlets as t

from ..japanese import format_time
from ..records import KIND_LABELS, HistoryEntry
from .common import log, month_label

POLL_SECONDS = 3.0
WARM_UP_AFTER = 1.0       # seconds after the page is sent before its hidden forms are built
# changes dated a little before the page opened are read too: another computer's clock, or a save
# still being written when the page read the records
MARGIN = dt.timedelta(minutes=2)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _who(entries: Iterable[HistoryEntry]) -> list[dict]:
    """Who saved what, when: one line per person and kind of record, the latest time."""
    latest: dict[tuple[str, str], HistoryEntry] = {}
    for e in entries:
        latest[(e.changed_by, e.record_kind)] = e
    return [{"by": e.changed_by, "at": format_time(e.changed_at), "what": KIND_LABELS.get(e.record_kind, e.record_kind)}
            for e in sorted(latest.values(), key=lambda e: e.changed_at)]


def _month_of(entry: HistoryEntry) -> str | None:
    """The month a new record is for (its creation lists every field)."""
    month = entry.changes.get("month", (None, None))[1]
    return str(month)[:7] if month else None


class OthersModel(t.HasTraits):
    """What others saved since this page read it: for the open case and for the rest of the page."""

    case = t.Dict()        # {person, month_label, saves: [{by, at, what}]}: the open case; {} when none
    page = t.Dict()        # {month_label, meeting: [...], cases: [{name, saves: [...]}]}; {} when none

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.store = None
        self.office = ""
        self._mark = None
        self._since = _now()
        self._seen: set[int] = set()
        self._case: list[HistoryEntry] = []
        self._meeting: list[HistoryEntry] = []
        self._others: list[HistoryEntry] = []
        self._shown_for: tuple = ("", "", {})     # the case, month and names the notices name

    def start(self, store, office: str) -> None:
        """Watch ``office`` from now: what is saved from here on by others is news."""
        self.store, self.office = store, office
        self._since = _now() - MARGIN
        self._seen = set()
        if store is not None:
            self._mark = store.change_mark(office)
            self._seen = {e.id for e in store.changes_by_others(office, self._since)}
        self.taken_in()

    def taken_in(self) -> None:
        """The page read the records again: nothing is news any more."""
        self._case, self._meeting, self._others = [], [], []
        self.case, self.page = {}, {}

    def read_case(self, user_id: str) -> None:
        """A case was opened (read afresh): its saves are no longer news."""
        self._case = []
        self._others = [e for e in self._others if e.user_id != user_id]
        self._show(*self._shown_for)

    def check(self, *, user_id: str, person: str, month: str, conference_id: int,
              names: Mapping[str, str]) -> bool:
        """Look for others' saves; True when there is something new to show."""
        if self.store is None:
            return False
        self._shown_for = (person, month, names)
        mark = self.store.change_mark(self.office)
        if mark == self._mark:
            return False
        self._mark = mark
        new = [e for e in self.store.changes_by_others(self.office, self._since) if e.id not in self._seen]
        self._seen |= {e.id for e in new}
        found = False
        for entry in new:
            if entry.record_kind == "conferences":
                if entry.record_id == conference_id or _month_of(entry) == month:
                    self._meeting.append(entry)
                    found = True
            elif entry.user_id and entry.user_id == user_id:
                self._case.append(entry)
                found = True
            elif entry.user_id:
                self._others.append(entry)
                found = True
        if found:
            self._show(person, month, names)
        return found

    def _show(self, person: str, month: str, names: Mapping[str, str]) -> None:
        label = month_label(month) if month else ""
        self.case = {"person": person, "month_label": label, "saves": _who(self._case)} if self._case else {}
        by_user: dict[str, list[HistoryEntry]] = {}
        for e in self._others:
            by_user.setdefault(e.user_id, []).append(e)
        cases = [{"name": f"{user_id} {names.get(user_id, '')}".strip(), "saves": _who(entries)}
                 for user_id, entries in by_user.items()]
        self.page = ({"month_label": label, "meeting": _who(self._meeting), "cases": cases}
                     if self._meeting or cases else {})


def kernel_loop():
    """The event loop of this thread (in a notebook cell: the kernel's), or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        try:
            return asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return None


class Poller:
    """Calls ``check`` every ``seconds`` on the kernel's event loop while the kernel runs.  A failing
    check is logged and the next one still runs.  ``start`` may be called from any thread."""

    def __init__(self, check: Callable[[], object], seconds: float = POLL_SECONDS):
        self.check, self.seconds = check, seconds
        self._loop = None

    def start(self, loop=None) -> bool:
        """False when there is no event loop to run on (a plain script): nothing is watched."""
        self._loop = loop or kernel_loop()
        if self._loop is None:
            return False
        self._loop.call_soon_threadsafe(self._schedule)
        return True

    def once(self, work: Callable[[], object]) -> None:
        """Run ``work`` once, ``WARM_UP_AFTER`` seconds from now, on the same loop (once the page has been
        drawn: the browser draws the agenda first, then receives what ``work`` builds)."""
        def run() -> None:
            try:
                work()
            except Exception as error:      # only a head start: the page works without it
                log.warning("warm-up: %s", error)
        self._loop.call_soon_threadsafe(self._loop.call_later, WARM_UP_AFTER, run)

    def _schedule(self) -> None:
        self._loop.call_later(self.seconds, self._tick)

    def _tick(self) -> None:
        try:
            self.check()
        except Exception as error:          # the page goes on; the next check may succeed
            log.warning("others' saves: %s", error)
        self._schedule()
