"""The month's fee check (算定チェック): can each person's month be billed, at how many units.

For every person in service in M (the month's agenda):

- the status: 算定可 when every condition holds; 算定不可 with the reasons that fail
  (``decision_not_covering``: the 支給決定 does not cover M; ``contract_missing``: no 利用契約日
  by m1, only for a book with that column; ``report_not_shared``: M's 支援レポート did not reach
  本人); 要確認 when nothing fails but a condition cannot be checked (``decision_unknown``: a
  date is blank; ``tier_unknown``: no retention rate, so no base fee);
- the base units: the fee tier of M's fiscal year (``retention``);
- the 減算 (``plan_missing`` 30 % / 50 %, ``handover_missing`` 10 %, of the base units: ``fees``);
- the 加算: 地域連携会議実施加算 (I 579 units when the サービス管理責任者 of 設定 presented, else
  II 405) for a 地域連携会議 in M with outside participants that reviewed the person, at most
  one a month and four a fiscal year (a fifth is listed as not counted, with the reason);
- the units: base − 減算 + 加算 (0 when 算定不可), and in yen with 1単位の単価 of 設定.

Plain functions over the CaseBook and frames from the review store, like ``rules``.  Not in
it: 利用者負担, the 国保連 claim files and the staffing 加算.  See docs/fee-check.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import pandas as pd

from . import fees, retention
from .casebook import CaseBook
from .japanese import as_month, format_date, format_month
from .rules import agenda, in_service

BILLABLE, NOT_BILLABLE, TO_CHECK = "算定可", "算定不可", "要確認"
STATUSES = (BILLABLE, TO_CHECK, NOT_BILLABLE)
REGIONAL_I, REGIONAL_II = 579, 405               # 地域連携会議実施加算 (units)
REGIONAL_PER_YEAR = 4                            # at most four a fiscal year (and one a month)


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class Reduction:
    code: str
    rate: float
    message: str


@dataclass(frozen=True)
class Addition:
    code: str
    units: int
    message: str


@dataclass
class PersonBill:
    user_id: str
    name: str
    status: str
    reasons: list[Reason] = field(default_factory=list)
    base_units: int | None = None
    reductions: list[Reduction] = field(default_factory=list)
    additions: list[Addition] = field(default_factory=list)
    not_counted: list[Addition] = field(default_factory=list)     # 加算 beyond the caps, and why
    units: int | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("not_counted")
        return data


@dataclass
class Billing:
    month: pd.Period
    office: str
    unit_price: float
    people: list[PersonBill]
    office_notes: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict:
        billable = [p for p in self.people if p.status == BILLABLE]
        units = sum(p.units or 0 for p in billable)
        return {"people": len(self.people), "billable": len(billable),
                "to_check": sum(p.status == TO_CHECK for p in self.people),
                "not_billable": sum(p.status == NOT_BILLABLE for p in self.people),
                "units": units, "yen": int(units * self.unit_price)}

    def as_dict(self) -> dict:
        return {"month": str(self.month), "office": self.office, "unit_price": self.unit_price,
                "people": [p.as_dict() for p in self.people], "totals": self.totals,
                "office_notes": list(self.office_notes)}


def fiscal_year_of(month: pd.Period) -> int:
    return month.year if month.month >= 4 else month.year - 1


# --- 地域連携会議実施加算 ------------------------------------------------------------------------

def regional_additions(regional: pd.DataFrame | None, month: pd.Period, service_manager: str
                       ) -> dict[str, tuple[list[Addition], list[Addition]]]:
    """Per person: (the 加算 counted in M, those not counted and why).  ``regional``: one row per
    person reviewed at a 地域連携会議 with outside participants (user_id, month, held_on, presenter)."""
    if regional is None or regional.empty:
        return {}
    start = pd.Period(year=fiscal_year_of(month), month=4, freq="M")
    rows = regional[(regional["month"] >= start) & (regional["month"] <= month)]
    found: dict[str, tuple[list[Addition], list[Addition]]] = {}
    for user_id, meetings in rows.sort_values(["month", "held_on"]).groupby("user_id", sort=False):
        counted_months: list[pd.Period] = []
        for meeting in meetings.itertuples():
            first_of_month = meeting.month not in counted_months
            countable = first_of_month and len(counted_months) < REGIONAL_PER_YEAR
            if countable:
                counted_months.append(meeting.month)
            if meeting.month != month:
                continue
            kind_i = bool(service_manager) and meeting.presenter == service_manager
            units = REGIONAL_I if kind_i else REGIONAL_II
            label = f"地域連携会議実施加算（{'I' if kind_i else 'II'}）: {format_date(meeting.held_on)}の会議（発表 {meeting.presenter}）"
            counted, skipped = found.setdefault(user_id, ([], []))
            if countable:
                counted.append(Addition("regional_meeting", units, label))
            else:
                why = "月1回までのため算定しません" if not first_of_month else \
                    f"年度{REGIONAL_PER_YEAR}回までのため算定しません（{REGIONAL_PER_YEAR + 1}回目）"
                skipped.append(Addition("regional_meeting", 0, f"{label}。{why}"))
    return found


# --- the month ---------------------------------------------------------------------------------

def month_billing(book: CaseBook, month, *, shared_reports: pd.DataFrame | None = None,
                  regional: pd.DataFrame | None = None, handovers: pd.DataFrame | None = None,
                  today: dt.date | None = None) -> Billing:
    """The fee check of ``month`` (``shared_reports``, ``regional`` and ``handovers`` from the
    review store)."""
    month = as_month(month)
    m1 = month.end_time.normalize()
    users = book.users[in_service(book.users, month)].set_index("user_id", drop=False)
    reports = book.reports[["user_id", "month", "recipient"]]
    if shared_reports is not None and len(shared_reports):
        reports = pd.concat([reports, shared_reports[["user_id", "month", "recipient"]]], ignore_index=True)
    reached = fees.reached_person(reports, month)
    decision = fees.decision(book, month, users)
    no_contract = fees.contract_missing(book, month, users)
    plan = fees.plan(book, month, users)
    months_missing = fees.plan_missing_months(book, month, users.loc[plan["missing"]])
    handover = fees.handover(book, month, users, handovers)
    handover_missing = fees.handover_missing(book, month, users, handover)
    tier = retention.of_fiscal_year(book, fiscal_year_of(month), today=today or min(dt.date.today(), m1.date()))
    additions = regional_additions(regional, month, book.settings.service_manager)
    label = format_month(month)
    order = {c.user_id: i for i, c in enumerate(agenda(book, month).cases)}

    people = []
    for user_id in sorted(users.index, key=lambda u: (order.get(u, len(order)), u)):
        reasons, checks = [], []
        covered = decision.at[user_id, "covered"]
        if pd.isna(covered):
            checks.append(Reason("decision_unknown", decision.at[user_id, "why"]))
        elif not covered:
            reasons.append(Reason("decision_not_covering", decision.at[user_id, "why"]))
        if no_contract[user_id]:
            reasons.append(Reason("contract_missing", f"利用契約日が{label}末までにありません"))
        if user_id not in reached:
            reasons.append(Reason("report_not_shared", f"{label}の支援レポートを本人に渡した記録がありません"))
        if tier.units is None:
            checks.append(Reason("tier_unknown", "就労定着率が出せないため、基本報酬の区分がわかりません"))
        reductions = []
        if plan.at[user_id, "missing"]:
            n = int(months_missing[user_id])
            reductions.append(Reduction("plan_missing", fees.plan_missing_rate(n),
                                        f"個別支援計画未作成減算（{n}か月目）: {plan.at[user_id, 'why']}"))
        if handover_missing[user_id]:
            row = handover.loc[user_id]
            why = "・".join(row["lacking"]) or "引継ぎの指針が定められていません"
            reductions.append(Reduction("handover_missing", fees.HANDOVER_MISSING_RATE,
                                        f"支援体制構築未実施減算: 期限 {format_date(row['deadline'])} までに {why} がありません"
                                        if row["lacking"] else f"支援体制構築未実施減算: {why}"))
        counted, skipped = additions.get(user_id, ([], []))
        status = NOT_BILLABLE if reasons else TO_CHECK if checks else BILLABLE
        bill = PersonBill(user_id, str(users.at[user_id, "name"]), status, reasons + checks, tier.units,
                          reductions, counted, skipped)
        if status == NOT_BILLABLE:
            bill.units = 0
        elif tier.units is not None:
            bill.units = tier.units - sum(int(tier.units * r.rate + 0.5) for r in reductions) \
                + sum(a.units for a in counted)
        people.append(bill)
    notes = []
    due = handover["needs"].eq(fees.YES).fillna(False) & (handover["deadline"] <= m1).fillna(False)
    if due.any() and book.settings.handover_policy != fees.YES:
        notes.append(f"引継ぎの指針と責任者が定められていない（設定「引継ぎの指針」が はい でない）ため、引継ぎの期限を"
                     f"過ぎた {int(due.sum())}人は全員 支援体制構築未実施減算 の対象です")
    return Billing(month, book.office, float(book.settings.unit_price), people, notes)
