"""運営指導の準備 (first slice): the gaps an inspection would find in the months checked, and the
fee they put at risk.

For every month of the period, the office's fee check (``office_month.OfficeMonth.billing``,
so ``billing.month_billing``: no rule is computed again here), and for every person in service
that month:

- **the gaps**: the reasons of a 算定不可 month (their codes, as the fee check gives them); each
  減算 of the month (its code, e.g. ``plan_missing``: the plan not reviewed within 3 months, so
  the monitoring a plan needs is this code and is not counted twice); ``plan_not_delivered``
  (the plan in force is agreed but its 交付日 is blank: the fee check's 要確認 reason); and
  ``no_employer_contact`` (no contact with 企業 in the month: the agenda's flag; an 努力義務,
  shown and never counted in money);
- **the units at risk**: a 算定不可 month's base units (the tier billed), each 減算's units;
  nothing for the other gaps;
- **the evidence**: the fee check's evidence strings.

Totals per person and for the office: gaps, units at risk and yen at risk (units × 1単位の単価,
fractions cut: ``billing.to_yen``).  See docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .billing import NOT_BILLABLE, Billing, PersonBill, to_yen
from .casebook import CaseBook
from .office_month import OfficeMonth

PLAN_NOT_DELIVERED = "plan_not_delivered"
NO_EMPLOYER_CONTACT = "no_employer_contact"
# Gaps shown but never counted in money (an 努力義務, or a thing still to check).
NOT_COUNTED = frozenset({PLAN_NOT_DELIVERED, NO_EMPLOYER_CONTACT})


@dataclass(frozen=True)
class Gap:
    code: str
    message: str


@dataclass
class PersonMonth:
    month: pd.Period
    status: str
    gaps: list[Gap] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    units_at_risk: int = 0

    def as_dict(self) -> dict:
        return {"month": str(self.month), "status": self.status,
                "gaps": [{"code": g.code, "message": g.message} for g in self.gaps],
                "evidence": list(self.evidence), "units_at_risk": self.units_at_risk}


@dataclass
class PersonAudit:
    user_id: str
    name: str
    months: list[PersonMonth] = field(default_factory=list)

    @property
    def gaps(self) -> int:
        return sum(len(m.gaps) for m in self.months)

    @property
    def units_at_risk(self) -> int:
        return sum(m.units_at_risk for m in self.months)

    def as_dict(self) -> dict:
        return {"user_id": self.user_id, "name": self.name, "months": [m.as_dict() for m in self.months]}


@dataclass
class Audit:
    office: str
    start: pd.Period
    end: pd.Period
    unit_price: float
    people: list[PersonAudit]
    office_items: list = field(default_factory=list)     # the office's own gaps: not built yet
    office_key: str = ""                                  # its 事業所番号 (CaseBook.key), for the access log
    bills: list[Billing] = field(default_factory=list, repr=False, compare=False)

    def yen(self, units: int) -> int:
        return to_yen(units, self.unit_price)

    @property
    def totals(self) -> dict:
        units = sum(p.units_at_risk for p in self.people)
        return {"gaps": sum(p.gaps for p in self.people), "units_at_risk": units, "yen_at_risk": self.yen(units)}

    def as_dict(self) -> dict:
        return {"office": self.office, "from": str(self.start), "to": str(self.end),
                "people": [p.as_dict() for p in self.people], "office_items": list(self.office_items),
                "totals": self.totals}


def person_month(bill: PersonBill, month: pd.Period, employer_contact: str | None) -> PersonMonth:
    """One person's month from the fee check (``bill``) and the agenda's message of
    ``no_employer_contact`` (None: there was contact with 企業)."""
    gaps: list[Gap] = []
    at_risk = 0
    if bill.status == NOT_BILLABLE:
        gaps += [Gap(r.code, r.message) for r in bill.reasons]
        at_risk += bill.base_units or 0
    else:
        gaps += [Gap(r.code, r.message) for r in bill.reasons if r.code == PLAN_NOT_DELIVERED]
    for reduction in bill.reductions:
        gaps.append(Gap(reduction.code, reduction.message))
        if bill.status != NOT_BILLABLE:          # a month not billed already puts its whole base at risk
            at_risk += reduction.units
    if employer_contact is not None:
        gaps.append(Gap(NO_EMPLOYER_CONTACT, f"{employer_contact}（努力義務: 金額には数えません）"))
    return PersonMonth(month, bill.status, gaps, list(bill.evidence), at_risk)


def audit(book: CaseBook, months: list[pd.Period], store=None, today: dt.date | None = None) -> Audit:
    """The gaps of ``months`` (in order) for the office of ``book`` (``store``: its records, or None)."""
    months = sorted(months)
    if not months:
        raise ValueError("audit needs at least one month")
    people: dict[str, PersonAudit] = {}
    bills = []
    for month in months:
        office_month = OfficeMonth(book, month, store, today=today)
        bill = office_month.billing
        bills.append(bill)
        employer = {case.user_id: flag.message for case in office_month.agenda.cases
                    for flag in case.flags if flag.code == NO_EMPLOYER_CONTACT}
        for person in bill.people:
            found = people.setdefault(person.user_id, PersonAudit(person.user_id, person.name))
            found.months.append(person_month(person, month, employer.get(person.user_id)))
    return Audit(book.office, months[0], months[-1], float(book.settings.unit_price),
                 [people[u] for u in sorted(people)], office_key=book.key, bills=bills)


# --- the Excel file ------------------------------------------------------------------------------

EXCEL_HEADERS = ("事業所", "対象月", "利用者ID", "氏名", "算定", "不備の数", "不備（コード）", "不備の内容",
                 "返還・減額のおそれ（単位）", "返還・減額のおそれ（円）", "根拠")
TOTAL_HEADERS = ("事業所", "期間", "人数", "不備のある人", "不備の数", "返還・減額のおそれ（単位）",
                 "返還・減額のおそれ（円）", "1単位の単価（円）")


def table_rows(result: Audit) -> list[tuple]:
    """One row a person and month (every month, with or without a gap: a filter finds them)."""
    from .japanese import format_month
    return [(result.office, format_month(m.month), p.user_id, p.name, m.status, len(m.gaps),
             "\n".join(g.code for g in m.gaps), "\n".join(g.message for g in m.gaps), m.units_at_risk,
             result.yen(m.units_at_risk), "\n".join(m.evidence)) for p in result.people for m in p.months]


def total_row(result: Audit) -> tuple:
    from .japanese import format_month
    t = result.totals
    return (result.office, f"{format_month(result.start)}〜{format_month(result.end)}", len(result.people),
            sum(1 for p in result.people if p.gaps), t["gaps"], t["units_at_risk"], t["yen_at_risk"], result.unit_price)


def write_excel(results: list[Audit], path) -> None:
    """The audit of one office or several: a sheet 運営指導の準備 (one row a person and month,
    filterable) and a sheet 合計 (per office)."""
    from .excel import new_workbook, write_sheet

    book = new_workbook()
    write_sheet(book, "運営指導の準備", EXCEL_HEADERS, (row for r in results for row in table_rows(r)),
                widths=(18, 10, 9, 14, 8, 8, 22, 60, 12, 12, 50), filtered=True)
    write_sheet(book, "合計", TOTAL_HEADERS, (total_row(r) for r in results), widths=(18, 22, 6, 10, 8, 14, 14, 10))
    book.save(path)
