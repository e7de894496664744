"""Others' saves, seen within seconds.

Every few seconds the page asks the store whether anything of its office changed
(``Store.change_mark``: one small query).  When it did, ``OthersModel.check`` reads the changes
made through another page, computer or the command line since this page opened
(``Store.changes_by_others``) and sorts them: the case open here, the month's meeting, the other
cases.  The page says who saved what and when, and its 「取り込む」 button
(``ConferenceModel.reload``) brings the saved records in, keeping what is typed here.

The notice stays short: the open case's saves first, then the latest; three are listed and the
rest folded (``SHOWN``).  What the page has read since is no longer news: each read notes the
store's last change first (``change_mark``), and a save up to it is dropped: all of them when
the page takes them in (「取り込む」, another month), the open case's when it is opened, other
cases' when the agenda is read again (``page_read``).

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
SHOWN = 3                 # saves listed in the notice; the rest are folded under 「ほか n件」
WARM_UP_AFTER = 1.0       # seconds after the page is sent before its hidden forms are built
# changes dated a little before the page opened are read too: another computer's clock, or a save
# still being written when the page read the records
MARGIN = dt.timedelta(minutes=2)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _entries(where: str, entries: Iterable[HistoryEntry], *, this_case: bool = False) -> list[dict]:
    """One line per person and kind of record saved in ``where``, the latest (its id sorts the notice)."""
    latest: dict[tuple[str, str], HistoryEntry] = {}
    for e in entries:
        latest[(e.changed_by, e.record_kind)] = e
    return [{"where": where, "by": e.changed_by, "at": format_time(e.changed_at), "id": e.id,
             "what": KIND_LABELS.get(e.record_kind, e.record_kind), "case": this_case} for e in latest.values()]


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
    entries = t.List()     # every line of the notice: the open case's first, then the latest ([{where, by, ...}])

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
        self._read = 0                            # the store's last change when the page last read it all,
        self._page_read = 0                       # ... the agenda (other cases),
        self._case_read: tuple[str, int] = ("", 0)   # ... and the open case

    def start(self, store, office: str) -> None:
        """Watch ``office`` from now: what is saved from here on by others is news."""
        self.store, self.office = store, office
        self._since = _now() - MARGIN
        self._seen = set()
        if store is not None:
            self._mark = store.change_mark(office)
            self._seen = {e.id for e in store.changes_by_others(office, self._since)}
        self.taken_in()

    def _last_change(self) -> int:
        """The store's last change now (before the page reads: what is up to it is read)."""
        return self.store.change_mark(self.office)[1] if self.store is not None else 0

    def taken_in(self) -> None:
        """The page reads the records again: nothing saved so far is news any more."""
        self._read = self._page_read = self._last_change()
        self._case, self._meeting, self._others = [], [], []
        self.case, self.page, self.entries = {}, {}, []

    def read_case(self, user_id: str) -> None:
        """A case is opened (read afresh): its saves so far are no longer news."""
        self._case_read = (user_id, self._last_change())
        self._case = []
        self._others = [e for e in self._others if e.user_id != user_id]
        self._show(*self._shown_for)

    def page_read(self) -> None:
        """The agenda is read again: other cases' saves so far are in it."""
        self._page_read = self._last_change()
        if self._others:
            self._others = [e for e in self._others if e.id > self._page_read]
            self._show(*self._shown_for)

    def _known(self, entry: HistoryEntry, user_id: str) -> bool:
        """The page has read ``entry`` since it was saved."""
        if entry.id <= self._read:
            return True
        case_user, case_read = self._case_read
        if entry.user_id and entry.user_id == case_user and entry.id <= case_read:
            return True
        return bool(entry.user_id) and entry.user_id != user_id and entry.id <= self._page_read

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
        new = [e for e in new if not self._known(e, user_id)]
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
        by_user: dict[str, list[HistoryEntry]] = {}
        for e in self._others:
            by_user.setdefault(e.user_id, []).append(e)
        cases = [{"name": f"{user_id} {names.get(user_id, '')}".strip(), "saves": _who(entries)}
                 for user_id, entries in by_user.items()]
        lines = _entries(f"このケース（{person}・{label}）", self._case, this_case=True)
        lines += _entries(f"{label}の会議の記録", self._meeting)
        for user_id, entries in by_user.items():
            lines += _entries(f"ほかのケース（{user_id} {names.get(user_id, '')}".strip() + "）", entries)
        lines.sort(key=lambda line: (not line["case"], -line["id"]))      # the open case's first, then the latest
        with self.hold_trait_notifications():
            self.entries = lines
            self.case = {"person": person, "month_label": label, "saves": _who(self._case)} if self._case else {}
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
