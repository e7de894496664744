"""What every panel of the conference works in: one context, set by the conference.

A panel's model (``Panel``) holds the ``Context`` of the page: the office's casebook, the
store, the office's key, the month on screen, the day, who works on the page (the signed-in
``staff.Staff``: their name is the 記録者 of what they save) and the workbook as the page read
it.  The conference builds a new context when any of them changes (another office or month,
the person known once the page's request arrived) and gives it to every registered panel at
once; a panel reads ``self.book``, ``self.store``, ``self.staff`` … from it and never keeps its
own copy, and reacts to what concerns it in ``context_changed``.  A model imports no widgets:
its view (the panel's ``…View``, in ``views/``) draws it.  Learned from aiidalab-qe's
``common/mvc.py`` and ``common/panel.py`` (models that hold state, views that observe them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import traitlets as t

from ..staff import Refused, Staff


@dataclass(frozen=True)
class Context:
    """Where the page works: its office, month and day, and who works on it (``staff``)."""

    book: object = None                   # the office's CaseBook (None before a workbook is read)
    store: object = None                  # the conference store (None: read only)
    office: str = ""                      # the office's key (CaseBook.key)
    month: str = ""                       # YYYY-MM on screen
    today: dt.date = field(default_factory=dt.date.today)
    staff: Staff | None = None            # the signed-in person (None: not known, nothing can be saved)
    book_path: Path | None = None         # the workbook (or folder) the page read
    db_url: str | None = None             # the store as asked for (None: beside the workbook)
    source: object = None                 # the workbook as the page read it (workbook.Source)

    def but(self, **changes) -> Context:
        """This context with some of it changed."""
        return replace(self, **changes)

    @property
    def recorder(self) -> str:
        """記録者: the signed-in person's name ("" when nobody is known)."""
        return self.staff.name if self.staff is not None else ""


@dataclass(frozen=True)
class Case:
    """The case opened: whose, in which month, and what the agenda says of it."""

    user_id: str
    month: str                            # YYYY-MM
    person: str = ""                      # 利用者ID and name, as headings name the person
    level: str = ""                       # 要対応 / 注意 / 安定 (rules.agenda)
    flags: tuple = ()                     # the case's flags ({code, level, message})
    bill: dict = field(default_factory=dict)     # the month's fee check for the case (case.bill_view)
    due: bool = False                     # the plan is due for review this month


class Panel(t.HasTraits):
    """A panel's model: state and logic, no widgets.  ``context`` is set by the conference
    for every registered panel; ``context_changed(old, new)`` is where a panel forgets what
    belonged to the old office or month.  A panel about the open case answers
    ``open_case``, ``close_case`` and ``reload_case`` (others' saves taken in, typed text
    kept) and says whether it holds ``unsaved`` edits; the conference asks every panel."""

    context = t.Instance(Context, kw={})

    @t.observe("context")
    def _on_context(self, change) -> None:
        old = change["old"] if isinstance(change["old"], Context) else Context()
        self.context_changed(old, change["new"])

    def context_changed(self, old: Context, new: Context) -> None:
        """Called after the context changed (another office, month or person signed in)."""

    def open_case(self, case: Case) -> None:
        """A case was opened: read what this panel shows of it."""

    def close_case(self) -> None:
        """No case is open: show none."""

    def reload_case(self) -> None:
        """Read the open case again, taking in what others saved and keeping what is typed."""

    @property
    def unsaved(self) -> bool:
        """This panel holds typed text about the open case that is not saved."""
        return False

    @property
    def book(self):
        return self.context.book

    @property
    def store(self):
        return self.context.store

    @property
    def office(self) -> str:
        return self.context.office

    @property
    def today(self) -> dt.date:
        return self.context.today

    @property
    def staff(self) -> Staff | None:
        return self.context.staff

    @property
    def recorder(self) -> str:
        """記録者: the signed-in person's name (``Context.recorder``)."""
        return self.context.recorder

    def refused(self, action: str) -> str:
        """Why the signed-in person's role may not do ``action`` (``staff.ALLOWED``), in Japanese;
        "" when it may, or when nobody is known (saving is refused then anyway: ``who_records``).
        The views disable such buttons with it as their tooltip; the models check again."""
        try:
            if self.staff is not None:
                self.staff.check(action)
        except Refused as error:
            return str(error)
        return ""


class CaseForm(Panel):
    """A panel whose form about the open case is typed and saved (the review, the monitoring,
    the plan draft): it has ``clear()``, ``take_in()`` (others' saves merged, typed text kept)
    and ``dirty``."""

    def close_case(self) -> None:
        self.clear()

    def reload_case(self) -> None:
        self.take_in()

    @property
    def unsaved(self) -> bool:
        return self.dirty


def moved(old: Context, new: Context, *names: str) -> bool:
    """Whether any of ``names`` differs between two contexts (default: the office's records:
    book, store, office).  A book or store is the same only if it is the same object."""
    for name in names or ("book", "store", "office"):
        before, after = getattr(old, name), getattr(new, name)
        if before is after or (isinstance(before, str) and before == after):
            continue
        return True
    return False
