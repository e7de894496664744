"""運営指導の準備: the gaps an inspection would find in the months checked, the fee they put at
risk, and the evidence each month rests on.

For every month of the period, the office's fee check (``office_month.OfficeMonth.billing``,
so ``billing.month_billing``: no rule is computed again here), and for every person in service
that month:

- **the gaps**: the reasons of a 算定不可 month (their codes, as the fee check gives them); each
  減算 of the month (its code, e.g. ``manager_missing``; a 個別支援計画未作成減算 is
  ``plan_missing`` when no plan was in force and ``monitoring_missing`` when the plan in force
  was not reviewed within the months allowed: one gap either way); ``plan_not_delivered``
  (the plan in force is agreed but its 交付日 is blank: the fee check's 要確認 reason); and
  ``no_employer_contact`` (no contact with 企業 in the month: the agenda's flag; an 努力義務,
  shown and never counted in money);
- **the units at risk**: a 算定不可 month's base units (the tier billed), each 減算's units;
  nothing for the other gaps;
- **the evidence** (``Evidence``): what the records hold for the month, each with its day: the
  face-to-face contacts with the person (the one the fee counted marked), the 支援レポート given
  (to whom, when), the plan in force (作成日・同意日・交付日, the last review and the next due),
  the monitorings, the contacts with the employer, the handover, the 地域連携会議 and the 就労確認.

Totals per person and for the office: gaps, units at risk and yen at risk (units × 1単位の単価,
fractions cut: ``billing.to_yen``).  The office's own items (``office_items``: the 引継ぎの指針
and the office-level reductions of 設定) are listed with their state.  See docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from . import fee_table, fees
from .billing import NOT_BILLABLE, TO_CHECK, Billing, PersonBill, sent_reports, to_yen
from .casebook import CaseBook
from .japanese import format_date, format_month
from .office_month import OfficeMonth
from .schema import PARTY_WITH_EMPLOYER, PARTY_WITH_USER

PLAN_NOT_DELIVERED = "plan_not_delivered"
NO_EMPLOYER_CONTACT = "no_employer_contact"
DECISION_UNRECORDED = "decision_unrecorded"
DECISION_NOT_COVERING = "decision_not_covering"          # the fee check's reason
MONITORING_MISSING = "monitoring_missing"
PLAN_MISSING = fee_table.PLAN_MISSING.code
# Gaps shown but never counted in money (an 努力義務, or a thing still to check).
NOT_COUNTED = frozenset({PLAN_NOT_DELIVERED, NO_EMPLOYER_CONTACT, DECISION_UNRECORDED})


@dataclass(frozen=True)
class Gap:
    code: str
    message: str


# What a month's evidence can be, in the order the documents list it.
EVIDENCE_LABELS = {"face_to_face": "対面の支援", "report": "支援レポート", "plan": "個別支援計画",
                   "monitoring": "モニタリング", "employer_contact": "企業との連絡", "handover": "引継ぎ",
                   "regional": "地域連携会議", "employment_check": "就労確認"}


@dataclass(frozen=True)
class Evidence:
    """One record a month rests on: its kind (``EVIDENCE_LABELS``), its day and what it says."""

    kind: str
    on: dt.date | None
    text: str

    @property
    def label(self) -> str:
        return EVIDENCE_LABELS[self.kind]

    @property
    def line(self) -> str:
        """「対面の支援: 2026年10月5日 職場訪問（本人・企業、担当 佐藤）」"""
        day = f"{format_date(self.on)} " if self.on is not None else ""
        return f"{self.label}: {day}{self.text}"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "label": self.label, "date": self.on.isoformat() if self.on else None,
                "text": self.text}


@dataclass
class PersonMonth:
    month: pd.Period
    status: str
    gaps: list[Gap] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    units_at_risk: int = 0

    def as_dict(self) -> dict:
        return {"month": str(self.month), "status": self.status,
                "gaps": [{"code": g.code, "message": g.message} for g in self.gaps],
                "evidence": [e.as_dict() for e in self.evidence], "units_at_risk": self.units_at_risk}


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
    office_items: list[dict] = field(default_factory=list)   # code, label, state, gap (``office_items``)
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


def person_month(bill: PersonBill, month: pd.Period, employer_contact: str | None,
                 evidence: list[Evidence] = (), decision_later: dt.date | None = None,
                 review_overdue: bool = False) -> PersonMonth:
    """One person's month from the fee check (``bill``), the agenda's message of
    ``no_employer_contact`` (None: there was contact with 企業) and the month's ``evidence``.

    ``review_overdue``: the person had a plan in force, and its 個別支援計画未作成減算 comes from a
    review (a new plan or a monitoring) missed within the months allowed: that 減算 is the gap
    ``monitoring_missing`` (without any plan in force it stays ``plan_missing``), with its units.

    ``decision_later``: the 支給決定開始日 in the workbook, when it is after the month and the
    person's support had begun by then.  A workbook keeps one 支給決定, the latest: a month
    before it was covered by an earlier one the workbook no longer shows, so the fee check's
    「支給決定の開始が…の後」 is not a finding there.  Such a month is 要確認
    (``decision_unrecorded``, nothing counted in money), unless it fails on something else too."""
    gaps: list[Gap] = []
    at_risk = 0
    status = bill.status
    codes = {r.code for r in bill.reasons if r.code != PLAN_NOT_DELIVERED}
    unrecorded = status == NOT_BILLABLE and decision_later is not None and codes == {DECISION_NOT_COVERING}
    if unrecorded:
        status = TO_CHECK
        gaps.append(Gap(DECISION_UNRECORDED, f"{format_month(month)}の支給決定がブックにありません（いまの支給決定は "
                                             f"{format_date(decision_later)} から）。更新前の受給者証で確かめてください"))
    if status == NOT_BILLABLE:
        gaps += [Gap(r.code, r.message) for r in bill.reasons]
        at_risk += bill.base_units or 0
    else:
        gaps += [Gap(r.code, r.message) for r in bill.reasons if r.code == PLAN_NOT_DELIVERED]
    for reduction in bill.reductions:
        code = MONITORING_MISSING if reduction.code == PLAN_MISSING and review_overdue else reduction.code
        gaps.append(Gap(code, reduction.message))
        if bill.status != NOT_BILLABLE:          # a month not billed already puts its whole base at risk
            at_risk += reduction.units
    if employer_contact is not None:
        gaps.append(Gap(NO_EMPLOYER_CONTACT, f"{employer_contact}（努力義務: 金額には数えません）"))
    return PersonMonth(month, status, gaps, list(evidence), at_risk)


def reviews_overdue(facts) -> set[str]:
    """Who is in a lapse of the plan while a plan is in force (so its review was missed), from
    the month's ``fees.MonthFacts`` (``person_month``'s ``review_overdue``)."""
    if facts is None:
        return set()
    plan = facts.plan
    return {str(u) for u in plan.index[plan["missing"] & plan["plan_date"].notna()]}


def decisions_later(book: CaseBook, month: pd.Period) -> dict[str, dt.date]:
    """The people whose 支給決定開始日 is after ``month`` while their support had begun by its
    end (``person_month``'s ``decision_later``)."""
    if not book.has("users", "decision_start"):
        return {}
    users = book.users
    end = month.end_time.normalize()
    later = users[(users["decision_start"] > end).fillna(False) & (users["support_start"] <= end).fillna(False)]
    return {str(u): d.date() for u, d in zip(later["user_id"], later["decision_start"])}


def audit(book: CaseBook, months: list[pd.Period], store=None, today: dt.date | None = None) -> Audit:
    """The gaps of ``months`` (in order) for the office of ``book`` (``store``: its records, or None)."""
    months = sorted(months)
    if not months:
        raise ValueError("audit needs at least one month")
    people: dict[str, PersonAudit] = {}
    bills = []
    records = PeriodRecords.read(book, store, months)
    for month in months:
        office_month = OfficeMonth(book, month, store, today=today)
        bill = office_month.billing
        bills.append(bill)
        employer = {case.user_id: flag.message for case in office_month.agenda.cases
                    for flag in case.flags if flag.code == NO_EMPLOYER_CONTACT}
        evidence = records.of_month(month, office_month.agenda.facts)
        later = decisions_later(book, month)
        overdue = reviews_overdue(office_month.agenda.facts)
        for person in bill.people:
            found = people.setdefault(person.user_id, PersonAudit(person.user_id, person.name))
            found.months.append(person_month(person, month, employer.get(person.user_id),
                                             evidence.get(person.user_id, []), later.get(person.user_id),
                                             person.user_id in overdue))
    return Audit(book.office, months[0], months[-1], float(book.settings.unit_price),
                 [people[u] for u in sorted(people)], office_items=office_items(book, bills),
                 office_key=book.key, bills=bills)


# --- the evidence of a month -----------------------------------------------------------------------

def _in(frame: pd.DataFrame, column: str, months: list[pd.Period]) -> pd.DataFrame:
    """The rows of ``frame`` whose day ``column`` falls in the period, with their month."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=[*(frame.columns if frame is not None else []), "period"])
    days = pd.to_datetime(frame[column])
    chosen = frame[(days >= months[0].start_time) & (days <= months[-1].end_time)].copy()
    chosen["period"] = pd.to_datetime(chosen[column]).dt.to_period("M")
    return chosen


def _of_months(frame: pd.DataFrame | None, months: list[pd.Period]) -> pd.DataFrame:
    """The rows of ``frame`` whose ``month`` (the conference's month, as the fee check counts a
    地域連携会議) is in the period."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["user_id", "held_on", "presenter", "period"])
    chosen = frame[frame["month"].isin(months)]
    return chosen.assign(period=chosen["month"])


@dataclass
class PeriodRecords:
    """What the office's records hold for the period, read once: contacts, 支援レポート given,
    monitorings, 地域連携会議 and 就労確認 (the workbook's and the store's)."""

    book: CaseBook
    contacts: pd.DataFrame
    reports: pd.DataFrame
    monitorings: list
    regional: pd.DataFrame
    checks: pd.DataFrame

    @classmethod
    def read(cls, book: CaseBook, store, months: list[pd.Period]) -> PeriodRecords:
        frame = (lambda name: getattr(store, f"{name}_frame")(book.key)) if store is not None else (lambda name: None)
        reports = sent_reports(book, frame("shared_reports"))
        reports = reports[reports["month"].isin(months)]
        checks = [book.employment_checks[["user_id", "checked_on", "employment", "method"]]] \
            if book.has("employment_checks", "user_id") else []
        if store is not None:
            checks.append(frame("employment_checks"))
        checks = pd.concat([c.astype(object) for c in checks], ignore_index=True) if checks else None
        monitorings = store.monitorings(book.key) if store is not None else []
        return cls(book, _in(book.contacts, "date", months), reports,
                   [m for m in monitorings if months[0] <= pd.Period(m.monitored_on, "M") <= months[-1]],
                   _of_months(frame("regional_reviews"), months), _in(checks, "checked_on", months))

    def of_month(self, month: pd.Period, facts) -> dict[str, list[Evidence]]:
        """Each person's evidence for ``month`` (``facts``: the month's ``fees.MonthFacts``)."""
        found: dict[str, list[Evidence]] = {}

        def add(user_id, kind: str, on, text: str) -> None:
            found.setdefault(str(user_id), []).append(Evidence(kind, _day(on), text))

        contacts = self.contacts[self.contacts["period"] == month].sort_values(["date", "row"])
        face_methods = fees.face_to_face_methods(self.book)
        counted = facts.face["met_on"] if facts is not None else pd.Series(dtype="datetime64[ns]")
        for c in contacts.itertuples():
            what = f"{c.method}（{c.party}、担当 {c.staff}）"
            if c.method in face_methods and c.party in PARTY_WITH_USER:
                mark = "　※算定に数えた対面" if counted.get(c.user_id) == c.date else ""
                add(c.user_id, "face_to_face", c.date, what + mark)
            if c.party in PARTY_WITH_EMPLOYER:
                add(c.user_id, "employer_contact", c.date, what)
        for r in self.reports[self.reports["month"] == month].itertuples():
            add(r.user_id, "report", r.sent_on, f"{r.recipient}に渡した")
        if facts is not None:
            for user_id, plan in facts.plan.iterrows():
                if pd.notna(plan["plan_date"]):
                    add(user_id, "plan", plan["plan_date"], plan_text(plan))
            _handover(facts.handover, month, add)
        for m in self.monitorings:
            if pd.Period(m.monitored_on, "M") == month:
                add(m.user_id, "monitoring", m.monitored_on,
                    f"計画（{format_date(m.plan_date)} 作成）の判断: {m.decision or '未決定'}")
        for r in self.regional[self.regional["period"] == month].itertuples():
            add(r.user_id, "regional", r.held_on, f"地域連携会議で検討（説明: {r.presenter or '記録なし'}）")
        for c in self.checks[self.checks["period"] == month].itertuples():
            method = f"（{c.method}に確認）" if isinstance(c.method, str) and c.method else ""
            add(c.user_id, "employment_check", c.checked_on, f"{c.employment}{method}")
        order = list(EVIDENCE_LABELS)
        return {u: sorted(e, key=lambda x: (order.index(x.kind), x.on or dt.date.min)) for u, e in found.items()}


def _day(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def plan_text(plan) -> str:
    """The plan in force: 「作成 …、同意 …、交付 …（最後の見直し …、次の見直し期限 …）」."""
    parts = ["作成"]
    if plan["consent_checked"]:
        parts.append(f"同意 {format_date(plan['consent_on'])}")
        parts.append(f"交付 {format_date(plan['delivered_on'])}" if pd.notna(plan["delivered_on"]) else "交付日 空欄")
    reviewed = plan["reviewed_on"]
    review = [f"最後の見直し {format_date(reviewed)}"] if pd.notna(reviewed) and reviewed != plan["consent_on"] else []
    review += [f"次の見直し期限 {format_date(plan['due'])}"] if pd.notna(plan["due"]) else []
    return "、".join(parts) + (f"（{'、'.join(review)}）" if review else "")


HANDOVER_PARTS = {"consent": "本人の同意", "employer": "企業", "outside": "関係機関"}


def _handover(state: pd.DataFrame, month: pd.Period, add) -> None:
    """The handover of the people who need one (要継続支援 はい), in the months it moved: its
    deadline's, and each part's."""
    due = state[state["needs"].eq(fees.YES).fillna(False)]
    for user_id, row in due.iterrows():
        days = [row["deadline"], *(row[p] for p in HANDOVER_PARTS)]
        if not any(pd.notna(d) and pd.Timestamp(d).to_period("M") == month for d in days):
            continue
        parts = "、".join(f"{label} {format_date(row[p]) if pd.notna(row[p]) else 'なし'}"
                          for p, label in HANDOVER_PARTS.items())
        add(user_id, "handover", None, f"期限 {format_date(row['deadline'])}: {parts}")   # its days are in the text


# --- the office's own items --------------------------------------------------------------------------

def office_items(book: CaseBook, bills: list[Billing]) -> list[dict]:
    """The office's own duties over the period of ``bills`` (the fee checks of its months): the
    引継ぎの指針 (設定) and each office-level reduction, with the months the fee check reduced
    (from 設定, or for 支援体制構築未実施減算 also from the handover records) or what 設定 says.
    ``gap``: the item is one."""
    policy = book.settings.handover_policy
    items = [{"code": "handover_policy", "label": "引継ぎの指針と責任者（支援体制構築）",
              "state": {fees.YES: "定めている（設定: はい）",
                        fees.NO: "定めていない（設定: いいえ）: 支援体制構築未実施減算の対象です"}.get(
                  policy, "設定「引継ぎの指針」が空欄です: 定めているか確認してください"),
              "gap": policy != fees.YES}]
    for kind in fee_table.REDUCTIONS:
        if not kind.office:
            continue
        reduced = [b.month for b in bills if any(r.code == kind.code for p in b.people for r in p.reductions)]
        first, _last = book.settings.months_of(kind.code)
        if reduced:
            state = (f"{format_month(reduced[0])}が減算" if len(reduced) == 1 else
                     f"{format_month(reduced[0])}〜{format_month(reduced[-1])}のうち{len(reduced)}か月が減算")
        elif first == "なし":
            state = "該当なしと判断（設定: なし）"
        else:
            state = "期間中の減算はありません"
        items.append({"code": kind.code, "label": kind.label, "state": state, "gap": bool(reduced)})
    return items


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
             result.yen(m.units_at_risk), "\n".join(e.line for e in m.evidence))
            for p in result.people for m in p.months]


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
