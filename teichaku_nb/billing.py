"""The month's fee check (算定チェック): can each person's month be billed, at how many units.

For every person in service in M (the month's agenda):

- the status: 算定可 when every condition holds; 算定不可 with the reasons that fail
  (``decision_not_covering``: the 支給決定 does not cover M; ``contract_missing``: no 利用契約日
  by m1, only for a book with that column; ``report_not_shared``: M's 支援レポート did not reach
  本人); 要確認 when nothing fails but a condition cannot be checked (``decision_unknown``: a
  date is blank; ``handover_policy_unknown``: a handover is due and 設定 does not say whether
  the office has its 引継ぎの指針; ``tier_unknown``: no retention rate, so no base fee);
- the base units: the fee tier of M's fiscal year (``retention``);
- the 減算 (``plan_missing`` 30 % / 50 %, ``handover_missing`` 10 %, of the base units: ``fees``);
- the 加算: 地域連携会議実施加算 (I 579 units when the サービス管理責任者 of 設定 presented, else
  II 405) for a 地域連携会議 in M with outside participants that reviewed the person, at most
  one a month and four a fiscal year (a fifth is listed as not counted, with the reason);
  就労定着実績体制加算 (300 units for everyone) when the fiscal year's track record holds on
  evidence (``track_record``; when it holds only by counting the unconfirmed, an office note
  says whose employment to confirm);
- the units: base − 減算 + 加算 (0 when 算定不可), and in yen with 1単位の単価 of 設定.

Plain functions over the CaseBook and frames from the review store, like ``rules``.  Not in
it: 利用者負担, the 国保連 claim files and the staffing 加算.  See docs/fee-check.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import pandas as pd

from . import fees, retention, track_record
from .casebook import CaseBook
from .japanese import as_month, format_date, format_month
from .rules import in_service

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


# --- 地域連携会議実施加算 ------------------------------------------------------------------------

def regional_additions(regional: pd.DataFrame | None, month: pd.Period, service_manager: str
                       ) -> dict[str, tuple[list[Addition], list[Addition]]]:
    """Per person: (the 加算 counted in M, those not counted and why).  ``regional``: one row per
    person reviewed at a 地域連携会議 with outside participants (user_id, month, held_on, presenter)."""
    if regional is None or regional.empty:
        return {}
    start = pd.Period(year=retention.fiscal_year_of(month), month=4, freq="M")
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
                  checks: pd.DataFrame | None = None, plans: pd.DataFrame | None = None,
                  today: dt.date | None = None) -> Billing:
    """The fee check of ``month`` (``shared_reports``, ``regional``, ``handovers``, the 就労確認
    ``checks`` and the finalised 個別支援計画 ``plans`` from the review store)."""
    month = as_month(month)
    m1 = month.end_time.normalize()
    users = book.users[in_service(book.users, month)].set_index("user_id", drop=False)
    reports = book.reports[["user_id", "month", "recipient"]]
    if shared_reports is not None and len(shared_reports):
        reports = pd.concat([reports, shared_reports[["user_id", "month", "recipient"]]], ignore_index=True)
    decision = fees.decision(book, month, users)
    plan = fees.plan(book, month, users, plans)
    handover = fees.handover(book, month, users, handovers)
    facts = pd.DataFrame({
        "name": users["name"].astype(str), "covered": decision["covered"], "decision_why": decision["why"],
        "no_contract": fees.contract_missing(book, month, users),
        "reached": users.index.isin(fees.reached_person(reports, month)),
        "employer_only": users.index.isin(fees.reached_employer_only(reports, month)),
        "plan_missing": plan["missing"], "plan_why": plan["why"],
        "plan_months": fees.plan_missing_months(book, month, users.loc[plan["missing"]], plans).reindex(users.index),
        "handover_missing": fees.handover_missing(book, month, users, handover),
        "handover_due": fees.handover_due(book, month, handover),
        "lacking": handover["lacking"], "deadline": handover["deadline"]}, index=users.index).to_dict("index")
    today = today or min(dt.date.today(), m1.date())
    tier = retention.of_fiscal_year(book, retention.fiscal_year_of(month), today=today, checks=checks)
    additions = regional_additions(regional, month, book.settings.service_manager)
    record = track_record.of_fiscal_year(book, retention.fiscal_year_of(month), today=today, checks=checks)
    for_everyone = [Addition("track_record", track_record.TRACK_RECORD_UNITS,
                             f"就労定着実績体制加算（{record.fiscal_year}年度: 支援を終えた{len(record.cohort)}人のうち"
                             f"{track_record.TRACK_RECORD_MONTHS}か月以上働いた人 "
                             f"{track_record.format_share(record.share_on_evidence)}）")] \
        if record.applies_on_evidence else []
    policy = book.settings.handover_policy
    people = [_person(user_id, facts[user_id], format_month(month), tier.units, policy,
                      _with(additions.get(user_id, ([], [])), for_everyone)) for user_id in sorted(facts)]
    people.sort(key=lambda p: STATUSES[::-1].index(p.status))     # 算定不可, 要確認, then 算定可 (stable: by ID)
    due = sum(f["handover_due"] for f in facts.values())
    notes = []
    if due and policy == fees.NO:
        notes.append(f"引継ぎの指針と責任者が定められていない（設定「引継ぎの指針」が いいえ）ため、引継ぎの期限を"
                     f"過ぎた {due}人は全員 支援体制構築未実施減算 の対象です")
    elif due and policy is None:
        notes.append(f"設定「引継ぎの指針」が空欄です。指針と責任者を定めていなければ、引継ぎの期限を過ぎた "
                     f"{due}人は全員 支援体制構築未実施減算 の対象です（はい / いいえ を記入してください）")
    if record.applies_claimed and not record.applies_on_evidence:
        notes.append(f"就労定着実績体制加算は、就労が確かめられていない {len(record.unconfirmed)}人"
                     f"（{'、'.join(record.unconfirmed)}）の42か月以上の就労を就労確認で確かめれば算定できます"
                     f"（確かめられた人だけでは {track_record.format_share(record.share_on_evidence)}、"
                     f"{track_record.TRACK_RECORD_SHARE}%以上が必要）")
    return Billing(month, book.office, float(book.settings.unit_price), people, notes)


def _with(found: tuple[list[Addition], list[Addition]], extra: list[Addition]) -> tuple[list[Addition], list[Addition]]:
    counted, skipped = found
    return counted + extra, skipped


def _person(user_id: str, f: dict, label: str, base_units: int | None, policy: str | None,
            additions: tuple[list[Addition], list[Addition]]) -> PersonBill:
    """One person's month from the facts ``month_billing`` gathered (plain values)."""
    reasons, checks = [], []
    if pd.isna(f["covered"]):
        checks.append(Reason("decision_unknown", f["decision_why"]))
    elif not f["covered"]:
        reasons.append(Reason("decision_not_covering", f["decision_why"]))
    if f["no_contract"]:
        reasons.append(Reason("contract_missing", f"利用契約日が{label}末までにありません"))
    if not f["reached"]:
        reasons.append(Reason("report_not_shared", f"{label}の支援レポートを" + (
            "企業にだけ渡した記録です（本人に渡した記録がありません）" if f["employer_only"]
            else "本人に渡した記録がありません")))
    if f["handover_due"] and policy is None and not f["handover_missing"]:
        checks.append(Reason("handover_policy_unknown", "設定「引継ぎの指針」が空欄のため、支援体制構築未実施減算の"
                                                        "有無を確かめられません（引継ぎの期限を過ぎています）"))
    if base_units is None:
        checks.append(Reason("tier_unknown", "就労定着率が出せないため、基本報酬の区分がわかりません"))
    reductions = []
    if f["plan_missing"]:
        n = int(f["plan_months"])
        reductions.append(Reduction("plan_missing", fees.plan_missing_rate(n),
                                    f"個別支援計画未作成減算（{n}か月目）: {f['plan_why']}"))
    if f["handover_missing"]:
        why = (f"期限 {format_date(f['deadline'])} までに {'・'.join(f['lacking'])} がありません" if f["lacking"]
               else "引継ぎの指針が定められていません")
        reductions.append(Reduction("handover_missing", fees.HANDOVER_MISSING_RATE, f"支援体制構築未実施減算: {why}"))
    counted, skipped = additions
    status = NOT_BILLABLE if reasons else TO_CHECK if checks else BILLABLE
    units = None
    if status == NOT_BILLABLE:
        units = 0
    elif base_units is not None:
        units = base_units - sum(int(base_units * r.rate + 0.5) for r in reductions) + sum(a.units for a in counted)
    return PersonBill(user_id, f["name"], status, reasons + checks, base_units, reductions, counted, skipped, units)


# --- the Excel file ------------------------------------------------------------------------------

EXCEL_HEADERS = ("事業所", "対象月", "利用者ID", "氏名", "状態", "理由", "基本報酬（単位）", "減算", "加算", "単位数")


def table_rows(bill: Billing) -> list[tuple]:
    """One row a person, as the Excel file and the documents show it (Japanese, no codes)."""
    def lines(items) -> str:
        return "\n".join(items)

    return [(bill.office, format_month(bill.month), p.user_id, p.name, p.status, lines(r.message for r in p.reasons),
             p.base_units, lines(f"{r.message}（{r.rate:.0%}）" for r in p.reductions),
             lines([f"{a.message}（{a.units}単位）" for a in p.additions] + [a.message for a in p.not_counted]),
             p.units) for p in bill.people]


def write_excel(bills: list[Billing], path) -> None:
    """The fee check of one office or several: a sheet 算定チェック (one row a person) and a
    sheet 合計 (per office: counts, units, yen and the office's notes)."""
    people = pd.DataFrame([row for bill in bills for row in table_rows(bill)], columns=list(EXCEL_HEADERS))
    totals = pd.DataFrame([(b.office, format_month(b.month), b.totals["people"], b.totals["billable"],
                            b.totals["to_check"], b.totals["not_billable"], b.totals["units"], b.unit_price,
                            b.totals["yen"], "\n".join(b.office_notes)) for b in bills],
                          columns=["事業所", "対象月", "人数", BILLABLE, TO_CHECK, NOT_BILLABLE, "算定可の単位数",
                                   "1単位の単価（円）", "金額（円）", "事業所としての注意"])
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        people.to_excel(writer, sheet_name="算定チェック", index=False)
        totals.to_excel(writer, sheet_name="合計", index=False)
        for sheet, widths in (("算定チェック", (18, 10, 9, 14, 8, 40, 10, 40, 40, 8)),
                              ("合計", (18, 10, 6, 7, 7, 7, 12, 12, 12, 40))):
            ws = writer.sheets[sheet]
            for column, width in zip("ABCDEFGHIJ", widths):
                ws.column_dimensions[column].width = width
