"""Header panel: office, month, team filter, 記録者, the month's fee check (how many people
are 算定可 / 要確認 / 算定不可) and the workbook's problems.

The 記録者 is the person signed in to ``teichaku app`` (``staff.from_environment``: the server
writes who it is into the page's request, and the page's kernel has it in its environment),
never a name typed on the page.  A preheated kernel runs the page before any request, so the
page reads it only once the request has arrived (``sign_in``, called by
``ConferenceModel.sign_in`` / ``viewer_arrived``).  The header shows 「記録者: 名前（役割）」 and,
when the server signs people in with its own accounts (``staff.signs_out_here``), a link to
サインアウト."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping

import pandas as pd
import traitlets as t

from ..billing import BILLABLE, NOT_BILLABLE, TO_CHECK, tier_text
from ..casebook import ERROR, SEVERITY_LABELS, CaseBook, namesakes
from ..rules import default_month, latest_data_month
from ..staff import Staff, from_environment, signs_out_here
from .common import month_label

ALL_TEAMS = ""            # the team filter's value for every team
MONTHS_SHOWN = 36         # how far back the month list goes
LOGOUT = "logout"         # the server's サインアウト route, under its base URL
BASE_URL = "VOILA_BASE_URL"     # the server's base URL, as Voila gives every kernel (preheated or not)


def logout_url(environ: Mapping[str, str] = os.environ) -> str:
    """Where サインアウト goes: the server's ``logout`` route under its base URL (``/logout`` for
    the base ``/`` of ``teichaku app``)."""
    base = environ.get(BASE_URL) or "/"
    return (base if base.endswith("/") else base + "/") + LOGOUT


def month_options(book: CaseBook, today: dt.date) -> list[tuple[str, str]]:
    """(label, YYYY-MM): from the latest month with data back, newest first (last month and back
    when there is none); the months after it up to last month, which have no data, come last and
    say so, so that the list never opens on an empty month."""
    last = pd.Period(today, freq="M") - 1
    latest = latest_data_month(book)
    newest = latest if latest is not None else last
    months = pd.period_range(end=newest, periods=MONTHS_SHOWN, freq="M")[::-1]
    empty = pd.period_range(start=newest + 1, end=last, freq="M")[::-1] if newest < last else []
    return ([(month_label(m), m.strftime("%Y-%m")) for m in months]
            + [(f"{month_label(m)}（データなし）", m.strftime("%Y-%m")) for m in empty])


def team_options(book: CaseBook) -> list[tuple[str, str]]:
    teams = sorted({str(x) for x in book.users["team"].dropna()}) if len(book.users) else []
    return [("すべてのチーム", ALL_TEAMS)] + [(team, team) for team in teams]


def problem_rows(book: CaseBook) -> list[dict]:
    return [{"severity": SEVERITY_LABELS.get(p.severity, p.severity), "sheet": p.sheet or "ファイル全体",
             "row": "" if p.row is None else str(p.row), "column": p.column or "",
             "message": p.message, "error": p.severity == ERROR, "count": p.omitted or 1} for p in book.problems]


def billing_counts(billing, month: str, team: str, teams: dict[str, str]) -> dict:
    """How many people of the team (``ALL_TEAMS``: the office) each status of the month's fee
    check has; ``teams``: 利用者ID → チーム."""
    people = [p for p in billing.people if team == ALL_TEAMS or teams.get(p.user_id) == team]
    billable = [p for p in people if p.status == BILLABLE]
    return {"month_label": month_label(month), "scope": "事業所全体" if team == ALL_TEAMS else f"チーム {team}",
            "billable": len(billable), "to_check": sum(p.status == TO_CHECK for p in people),
            "not_billable": sum(p.status == NOT_BILLABLE for p in people), "notes": list(billing.office_notes),
            "units": sum(p.units or 0 for p in billable), "yen": sum(p.yen or 0 for p in billable),
            "tier": tier_text(billing)}


class HeaderModel(t.HasTraits):
    """What the conference is about (office, month, team) and who records it."""

    office_options = t.List()            # [(label, index as str)]
    office = t.Unicode("")               # index into the books, as text
    office_name = t.Unicode("")
    office_key = t.Unicode("")           # what the store and the documents know the office by (CaseBook.key)
    month_options = t.List()             # [(label, YYYY-MM)]
    month = t.Unicode("")                # YYYY-MM
    team_options = t.List()
    team = t.Unicode(ALL_TEAMS)
    staff = t.Instance(Staff, allow_none=True)    # who is signed in (None: not known yet, or not at all)
    logout = t.Unicode("")               # where サインアウト goes ("": the page offers none)
    problems = t.List()                  # problem_rows(book)
    source_note = t.Unicode("")          # where the workbook is (and whether it is the demo)
    store_note = t.Unicode("")           # where the records are kept
    fatal = t.Unicode("")                # the workbook cannot be used at all
    billing = t.Dict()                   # the month's fee check counts (billing_counts); {} when unknown

    def sign_in(self, environ: Mapping[str, str] | None = None) -> None:
        """Who opened the page, as the server said in its request (``environ``: the kernel's
        environment unless given).  Only once the request has arrived: a preheated kernel
        has it in its environment from then on."""
        environ = os.environ if environ is None else environ
        with self.hold_trait_notifications():
            self.staff = from_environment(environ)
            self.logout = logout_url(environ) if signs_out_here(environ) else ""

    @property
    def recorder(self) -> str:
        """記録者: the signed-in person's name ("" when nobody is known)."""
        return self.staff.name if self.staff is not None else ""

    def set_books(self, books: list[CaseBook]) -> None:
        shared = namesakes(books)
        self.office_options = [(f"{b.office}（{b.key}）" if b.office in shared else b.office, str(i))
                               for i, b in enumerate(books)]
        if self.office not in {v for _, v in self.office_options}:
            self.office = "0" if books else ""

    def set_book(self, book: CaseBook, today: dt.date) -> None:
        """Options and defaults for one office's book (month and team chosen afresh)."""
        self.office_name, self.office_key = book.office, book.key
        self.problems = problem_rows(book)
        options = month_options(book, today)
        chosen = default_month(book, today).strftime("%Y-%m")
        with self.hold_trait_notifications():
            self.month_options = options
            self.month = chosen if chosen in {v for _, v in options} else options[0][1]
            self.team_options = team_options(book)
            self.team = ALL_TEAMS

    @property
    def problem_summary(self) -> str:
        total = sum(p.get("count", 1) for p in self.problems)      # the ones only counted included
        errors = sum(p.get("count", 1) for p in self.problems if p["error"])
        return f"データの問題 {total}件（エラー {errors}件・警告 {total - errors}件）"
