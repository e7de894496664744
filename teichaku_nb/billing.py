"""The month's fee check (算定チェック): what the office can claim for each person's month.

For every person in service in M (the month's agenda), from the conditions of ``fees``:

- **the status**: 算定可 when every condition holds; 算定不可 with the reasons that fail
  (``decision_not_covering``, ``contract_missing``, ``before_eligible_start``,
  ``no_day_in_service``, ``no_face_to_face``, ``report_not_shared``); 要確認 when nothing fails
  but something cannot be checked (``decision_unknown``, ``report_employer_missing``,
  ``plan_not_delivered``, ``job_change_pending``, ``on_leave``, ``tier_unknown``);
- **the base units**: the tier the office filed (設定 就労定着率区分（届出）), else the tier of
  M's fiscal year computed from the workbook (``retention``);
- **the 減算**, one at a time in the order of ``fee_table.REDUCTIONS``, each step rounded: the
  person's ``plan_missing`` and the office's reductions of M (設定, and the
  支援体制構築未実施減算 from the handover records);
- **the 加算**, added unreduced: 地域連携会議実施加算 (counted toward its caps only in months
  billed), 就労定着実績体制加算 and 職場適応援助者養成研修修了者配置体制加算 (as filed),
  特別地域加算, 初期加算, 利用者負担上限額管理加算; then 福祉・介護職員等処遇改善加算 as a rate
  of the month's units;
- **the units and yen**: 0 when 算定不可; yen = units × 1単位の単価, fractions cut (総費用額).

``Billing.totals`` is the office's whole claim for 就労定着支援 in M.  Plain functions over the
CaseBook and frames from the review store, like ``rules``.  See docs/fee-check.md.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import pandas as pd

from . import fee_table, fees, money, retention, track_record
from .casebook import CaseBook
from .fee_table import REDUCTIONS, ReductionKind
from .japanese import format_date, format_fiscal_year, format_month
from .rules import in_service
from .schema import HOME_VISIT, WORKPLACE_VISIT

BILLABLE, NOT_BILLABLE, TO_CHECK = "算定可", "算定不可", "要確認"
STATUSES = (BILLABLE, TO_CHECK, NOT_BILLABLE)


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class Reduction:
    code: str
    rate: float             # the share taken off the units so far (0.3 = 30 %)
    message: str
    units: int = 0          # the units this step took off (after rounding)


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
    not_counted: list[Addition] = field(default_factory=list)     # 加算 not counted, and why
    units: int | None = None
    yen: int | None = None                                        # 総費用額: units × 単価, fractions cut
    evidence: list[str] = field(default_factory=list)             # what the conditions rest on (Japanese)

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
    tier: str | None = None              # the tier billed
    tier_source: str = ""                # 届出 / 計算

    @property
    def totals(self) -> dict:
        """The office's claim for M: the 算定可 people's base units, reductions, additions
        (処遇改善加算 apart), units and yen; and the 要確認 people's, once checked."""
        billable = [p for p in self.people if p.status == BILLABLE]
        to_check = [p for p in self.people if p.status == TO_CHECK]
        reductions: dict[str, int] = {}
        additions: dict[str, int] = {}
        for person in billable:
            for r in person.reductions:
                reductions[r.code] = reductions.get(r.code, 0) + r.units
            for a in person.additions:
                additions[a.code] = additions.get(a.code, 0) + a.units
        treatment = additions.get(TREATMENT, 0)
        return {"people": len(self.people), "billable": len(billable), "to_check": len(to_check),
                "not_billable": sum(p.status == NOT_BILLABLE for p in self.people),
                "base_units": sum(p.base_units or 0 for p in billable),
                "reduction_units": sum(reductions.values()),
                "addition_units": sum(additions.values()) - treatment, "treatment_units": treatment,
                "units": sum(p.units or 0 for p in billable), "yen": sum(p.yen or 0 for p in billable),
                "to_check_units": sum(p.units or 0 for p in to_check), "to_check_yen": sum(p.yen or 0 for p in to_check),
                "reductions": reductions, "additions": additions}

    def as_dict(self) -> dict:
        return {"month": str(self.month), "office": self.office, "unit_price": self.unit_price,
                "tier": self.tier, "tier_source": self.tier_source,
                "people": [p.as_dict() for p in self.people], "totals": self.totals,
                "office_notes": list(self.office_notes)}


TREATMENT = "treatment_improvement"
LARGER_ONLY = "大きい方のみ"
# The additions the office earns for everyone billed (the others are a person's own).
OFFICE_ADDITIONS = {"track_record": "就労定着実績体制加算", "job_coach": "職場適応援助者養成研修修了者配置体制加算",
                    TREATMENT: "福祉・介護職員等処遇改善加算"}


# --- arithmetic ----------------------------------------------------------------------------------

def times(units: int, rate: Fraction) -> int:
    """units × rate, 四捨五入 to a whole unit (the 留意事項's rounding, not Python's
    round-half-even), in integers: exact."""
    return (2 * units * rate.numerator + rate.denominator) // (2 * rate.denominator)


@functools.lru_cache(maxsize=64)
def exact(number: float) -> Fraction:
    """A decimal as it is written (0.7, 11.2, 10.3), not its binary approximation."""
    return Fraction(str(number))


def to_yen(units: int, unit_price: float) -> int:
    """units × 1単位の単価 in whole yen, fractions cut (exact: 11.2円 × 3,348 = 37,497円)."""
    price = exact(unit_price)
    return units * price.numerator // price.denominator


# --- the person's conditions ------------------------------------------------------------------------

@dataclass
class _Inputs:
    """The frames the check reads besides the workbook (the review store's records)."""
    reports: pd.DataFrame
    plans: pd.DataFrame | None
    monitorings: pd.DataFrame | None
    handovers: pd.DataFrame | None


def sent_reports(book: CaseBook, shared: pd.DataFrame | None) -> pd.DataFrame:
    """The 支援レポート given, as the fee check reads them: the workbook's 支援レポート sheet and
    the store's standing sendings (``shared``): user_id, month, recipient, sent_on."""
    reports = book.reports[["user_id", "month", "recipient", "sent_on"]]
    if shared is not None and len(shared):
        extra = shared.reindex(columns=["user_id", "month", "recipient", "sent_on"])
        reports = pd.concat([reports.astype({"user_id": object, "recipient": object}),
                             extra.astype({"user_id": object, "recipient": object})], ignore_index=True)
    return reports


def _conditions(facts: fees.MonthFacts, inputs: _Inputs) -> dict:
    """Every condition of M for its people (frames indexed by 利用者ID, from ``fees``)."""
    book, month, users = facts.book, facts.month, facts.users
    return {"days": facts.days, "decision": fees.decision(book, month, users),
            "contract": fees.contract_missing(book, month, users),
            "early": fees.before_eligible(month, facts.days), "face": facts.face,
            "report": fees.report_state(book, month, users, inputs.reports), "plan": facts.plan,
            "leave": fees.on_leave(book, month, users)}


# What a person's status and units read of each condition (``_status``, ``_person``).
_READ = {"days": ["first", "pending_first", "eligible"],
         "face": ["met_on", "pending_met_on", "how", "why", "serving"],
         "report": ["to_person", "to_employer", "consent"],
         "plan": ["plan_date", "consent_on", "delivered_on", "undelivered", "consent_checked", "missing",
                  "lapse_month", "why"]}


def _by_person(c: dict) -> dict[str, dict]:
    """The conditions of ``_conditions`` person by person: 利用者ID → {condition: its row or value}."""
    ids = list(c["days"].index)
    columns = {name: (frame[_READ[name]] if name in _READ else frame).to_dict("records")
               if isinstance(frame, pd.DataFrame) else frame.tolist() for name, frame in c.items()}
    return {user_id: {name: values[i] for name, values in columns.items()} for i, user_id in enumerate(ids)}


def _status(user_id: str, c: dict, users: pd.DataFrame, month: pd.Period) -> tuple[list[Reason], list[Reason], list[str]]:
    """(reasons the month cannot be billed, things to check, evidence) for one person (``c``: the
    person's conditions, from ``_by_person``)."""
    label = format_month(month)
    reasons, checks, evidence = [], [], []
    days, decision, face, report, plan = (c[k] for k in ("days", "decision", "face", "report", "plan"))
    if pd.isna(decision["covered"]):
        checks.append(Reason("decision_unknown", decision["why"]))
    elif not decision["covered"]:
        reasons.append(Reason("decision_not_covering", decision["why"]))
    if c["contract"]:
        reasons.append(Reason("contract_missing", f"利用契約日が{label}末までにありません"))
    if c["early"]:
        reasons.append(Reason("before_eligible_start",
                              f"働き始めて6か月たつのは {format_date(days['eligible'])} です（就職日 "
                              f"{format_date(users.at[user_id, 'hired_on'])}）。それより前の月は算定できません"))
    in_service = pd.notna(days["first"])
    if not in_service and not reasons and pd.isna(days["pending_first"]):
        reasons.append(Reason("no_day_in_service", f"{label}は、支援の期間・利用契約・支給決定がそろう日がありません"))
    if pd.notna(face["met_on"]):
        evidence.append(f"対面: {face['how']}")
    elif pd.notna(face["pending_met_on"]):
        checks.append(Reason("job_change_pending", fees.job_change_text(users, user_id, month)))
    elif face["serving"]:
        reasons.append(Reason("no_face_to_face", face["why"]))
    if pd.isna(report["to_person"]):
        employer_only = pd.notna(report["to_employer"])
        reasons.append(Reason("report_not_shared", f"{label}の支援レポートを" + (
            "企業にだけ渡した記録です（本人に渡した記録がありません）" if employer_only
            else "本人に渡した記録がありません")))
    else:
        evidence.append(f"支援レポート: 本人 {fees.day_text(report['to_person'], month)}")
        if report["consent"] and pd.isna(report["to_employer"]):
            checks.append(Reason("report_employer_missing",
                                 f"企業共有同意が はい ですが、{label}の支援レポートを企業に渡した記録がありません"
                                 f"（企業用を渡したら記録してください）"))
        elif report["consent"]:
            evidence.append(f"支援レポート: 企業 {fees.day_text(report['to_employer'], month)}")
    if plan["undelivered"] and not plan["missing"]:
        checks.append(Reason("plan_not_delivered",
                             f"個別支援計画（{format_date(plan['plan_date'])} 作成、同意 {format_date(plan['consent_on'])}）"
                             f"の交付日が空欄です。交付していなければ個別支援計画未作成減算の対象です"))
    elif pd.notna(plan["plan_date"]) and not plan["missing"]:
        evidence.append(f"個別支援計画: {format_date(plan['plan_date'])} 作成"
                        + (f"、同意 {format_date(plan['consent_on'])}" if plan["consent_checked"] else "")
                        + (f"、交付 {format_date(plan['delivered_on'])}" if pd.notna(plan["delivered_on"]) else ""))
    if c["leave"]:
        checks.append(Reason("on_leave", f"{label}はすべて休職していました（勤怠の 休職）。休職中の月を算定できるかは"
                                         "指定権者に確認してください"))
    return reasons, checks, evidence


def _statuses(book: CaseBook, month: pd.Period, user_ids, inputs: _Inputs) -> dict[str, str]:
    """The status of these people's month M (those in service then)."""
    users = book.users[in_service(book.users, month) & book.users["user_id"].isin(list(user_ids))] \
        .set_index("user_id", drop=False)
    facts = fees.MonthFacts(book, month, users, inputs.plans, inputs.monitorings, inputs.handovers)
    found = {}
    for user_id, conditions in _by_person(_conditions(facts, inputs)).items():
        reasons, checks, _ = _status(user_id, conditions, users, month)
        found[user_id] = NOT_BILLABLE if reasons else TO_CHECK if checks else BILLABLE
    return found


# --- the basic fee's tier --------------------------------------------------------------------------

def _tier(book: CaseBook, month: pd.Period, today: dt.date, checks) -> tuple[str | None, int | None, str, list[str]]:
    """The tier billed in M: (label, units, 届出 / 計算, office notes)."""
    fiscal_year = retention.fiscal_year_of(month)
    result = retention.of_fiscal_year(book, fiscal_year, today=today, checks=checks, projection=False)
    filed = book.settings.filed_tier
    designated = book.settings.designated_on
    new_office = designated is not None and designated > result.window_start
    notes = []
    if filed is not None:
        label, units, source = filed, fee_table.TIER_UNITS[filed], "届出"
    elif new_office:
        label, units, source = None, None, ""
        notes.append(f"指定日（{format_date(designated)}）から3年たっていないため就労定着率は計算しません。"
                     "設定「就労定着率区分（届出）」に届け出た区分を記入してください")
    else:
        label, units, source = result.tier, result.units, "計算"
        if label is not None:
            notes.append(f"基本報酬は、ケース記録から計算した{format_fiscal_year(fiscal_year)}の就労定着率"
                         f"（{retention.format_rate(result.rate)}、区分 {label}）で算定しています。届け出た区分があれば設定「就労定着率区分（届出）」に記入してください")
    evidence_label, evidence_units = result.tier_on_evidence
    if units is not None and not new_office and evidence_units is not None and evidence_units < units:
        people, _, _ = money.billed_per_month(book, month)
        yearly = money.yen(units - evidence_units, exact(book.settings.unit_price), people, 12)
        notes.append(f"算定している区分（{label}、{units:,}単位）は、就労が確かめられた人だけで数えた区分"
                     f"（{evidence_label}、{evidence_units:,}単位）より高く、差は年間およそ {yearly:,}円です。"
                     f"就労確認で確かめられていない {len(result.unconfirmed)}人"
                     f"（{'、'.join(u['user_id'] for u in result.unconfirmed)}）の就労を確かめてください"
                     "（確かめられないと、運営指導で返還を求められることがあります）")
    if filed is not None and not new_office and result.tier is not None and result.tier != filed:
        notes.append(f"届け出た区分（{filed}）と、ケース記録から計算した区分（{result.tier}、就労定着率 "
                     f"{retention.format_rate(result.rate)}）が違います")
    return label, units, source, notes


# --- the office's reductions ---------------------------------------------------------------------------

def _from_settings(book: CaseBook, kind: ReductionKind, month: pd.Period) -> int:
    """The month of the reduction M is (1..) by its 設定 months; 0: not in them."""
    first, last = book.settings.months_of(kind.code)
    if not isinstance(first, pd.Period) or month < first or (last is not None and month > last):
        return 0
    return (month - first).n + 1


def _office_reductions(book: CaseBook, month: pd.Period, handover: pd.DataFrame, names: dict[str, str]
                       ) -> tuple[list[tuple[ReductionKind, int, str]], list[str]]:
    """The office-level reductions of M, each (kind, its month number, the line on a person's
    row), and the office notes that say why once."""
    found, notes = [], []
    for kind in REDUCTIONS:
        if not kind.office or kind is fee_table.HANDOVER:
            continue
        n = _from_settings(book, kind, month)
        if n:
            first = book.settings.months_of(kind.code)[0]
            found.append((kind, n, f"{kind.label}（事業所全体。{format_month(first)}から{n}か月目）"))
            notes.append(f"{kind.label}: 設定により{format_month(first)}から{n}か月目。算定する全員が対象です")
    kind, policy = fee_table.HANDOVER, book.settings.handover_policy
    chosen, _ = book.settings.months_of(kind.code)
    late = handover[fees.handover_months(month, handover)]
    evidence = "、".join(f"{u} {names.get(u, '')}（期限 {format_date(row['deadline'])}までに "
                        f"{'・'.join(row['lacking'])} がありません）" for u, row in late.iterrows())
    line = f"{kind.label}（事業所全体）"
    if chosen == "なし":
        if len(late):
            notes.append(f"{kind.label}: 設定で「なし」と判断しています（引継ぎが期限に間に合わなかった人: {evidence}）")
    elif isinstance(chosen, pd.Period):
        if _from_settings(book, kind, month):
            found.append((kind, 1, line))
            notes.append(f"{kind.label}（10%）: 設定により{format_month(chosen)}から。算定する全員が対象です")
    elif policy == fees.NO:
        found.append((kind, 1, line))
        notes.append(f"引継ぎの指針と責任者が定められていない（設定「引継ぎの指針」が いいえ）ため、"
                     f"算定する全員が {kind.label}（10%）の対象です")
    elif len(late):
        found.append((kind, 1, line))
        notes.append(f"要確認: {kind.label}（10%）を、算定する全員に適用しています。引継ぎが期限（支援終了予定日の3か月前）に"
                     f"間に合わなかった人: {evidence}。減算の月は、期限の翌月からその人の支援終了予定日の月までとしています。"
                     "指定権者の判断が違うときは、設定「支援体制構築未実施減算の開始月・終了月」に記入してください")
    if policy is None and chosen is None:
        notes.append(f"要確認: 設定「引継ぎの指針」が空欄です。指針と責任者を定めていなければ、算定する全員が"
                     f"{kind.label}（10%）の対象です（はい / いいえ を記入してください）")
    return found, notes


# --- additions ----------------------------------------------------------------------------------------

def regional_additions(regional: pd.DataFrame | None, month: pd.Period, service_manager: str,
                       billed: set[tuple[str, pd.Period]] | None = None
                       ) -> dict[str, tuple[list[Addition], list[Addition]]]:
    """Per person: (the 加算 counted in M, those not counted and why).  ``regional``: one row per
    person reviewed at a 地域連携会議 with outside participants (user_id, month, held_on,
    presenter).  A meeting counts toward the caps (one a month, four a fiscal year) only in a
    month the person is billed (``billed``: (user_id, month) pairs; None: every month)."""
    if regional is None or regional.empty:
        return {}
    start = pd.Period(year=retention.fiscal_year_of(month), month=4, freq="M")
    rows = regional[(regional["month"] >= start) & (regional["month"] <= month)]
    found: dict[str, tuple[list[Addition], list[Addition]]] = {}
    for user_id, meetings in rows.sort_values(["month", "held_on"]).groupby("user_id", sort=False):
        counted_months: list[pd.Period] = []
        for meeting in meetings.itertuples():
            billed_then = billed is None or (user_id, meeting.month) in billed
            first_of_month = meeting.month not in counted_months
            countable = billed_then and first_of_month and len(counted_months) < fee_table.REGIONAL_PER_YEAR
            if countable:
                counted_months.append(meeting.month)
            if meeting.month != month:
                continue
            kind_i = bool(service_manager) and meeting.presenter == service_manager
            units = fee_table.REGIONAL_I if kind_i else fee_table.REGIONAL_II
            label = f"地域連携会議実施加算（{'I' if kind_i else 'II'}）: {format_date(meeting.held_on)}の会議（発表 {meeting.presenter}）"
            counted, skipped = found.setdefault(user_id, ([], []))
            if countable:
                counted.append(Addition("regional_meeting", units, label))
            elif billed_then:
                why = "月1回までのため算定しません" if not first_of_month else \
                    f"年度{fee_table.REGIONAL_PER_YEAR}回までのため算定しません（{fee_table.REGIONAL_PER_YEAR + 1}回目）"
                skipped.append(Addition("regional_meeting", 0, f"{label}。{why}"))
    return found


def _billed_months(book: CaseBook, month: pd.Period, regional: pd.DataFrame | None, inputs: _Inputs,
                   statuses: dict[str, str]) -> set[tuple[str, pd.Period]] | None:
    """The (person, month) pairs billed among those with a 地域連携会議 this fiscal year."""
    if regional is None or regional.empty:
        return None
    start = pd.Period(year=retention.fiscal_year_of(month), month=4, freq="M")
    rows = regional[(regional["month"] >= start) & (regional["month"] <= month)]
    billed = {(u, month) for u, s in statuses.items() if s != NOT_BILLABLE}
    for earlier, meetings in rows[rows["month"] < month].groupby("month"):
        found = _statuses(book, earlier, set(meetings["user_id"]), inputs)
        billed |= {(u, earlier) for u, s in found.items() if s != NOT_BILLABLE}
    return billed


def _own_additions(book: CaseBook, month: pd.Period, users: pd.DataFrame, c: dict
                   ) -> dict[str, tuple[list[Addition], list[Addition]]]:
    """The additions of a person's own, for those whose 利用者 row asks for one: 特別地域加算 (a
    自宅訪問 of someone living in a designated area, or a 職場訪問 of someone working in one),
    初期加算 (the month the support starts, once a plan is made), 利用者負担上限額管理加算."""
    found: dict[str, tuple[list[Addition], list[Addition]]] = {}
    label = format_month(month)
    asks = {column: users[column].eq(fees.YES).fillna(False) if column in users else pd.Series(False, index=users.index)
            for column in ("remote_home", "remote_workplace", "from_other_office", "cap_management")}
    remote = users.index[asks["remote_home"] | asks["remote_workplace"]]
    if len(remote):
        face = fees.face_contacts(book, month, users.loc[remote], c["days"].loc[remote])
        face = face[face["counts"]]
        for user_id in remote:
            counted, skipped = found.setdefault(user_id, ([], []))
            for column, visit in (("remote_home", HOME_VISIT), ("remote_workplace", WORKPLACE_VISIT)):
                if not asks[column][user_id]:
                    continue
                at = face[(face["user_id"] == user_id) & (face["method"] == visit)]
                if len(at):
                    counted.append(Addition("special_area", fee_table.SPECIAL_AREA_UNITS,
                                            f"特別地域加算: {fees.day_text(at['date'].iloc[0], month)}の{visit}"))
                    skipped.clear()
                    break
                skipped.append(Addition("special_area", 0, f"特別地域加算: {label}は本人との{visit}の記録がないため"
                                                           "算定しません"))
    start = c["days"]["support_start"].where(c["days"]["support_start"] > c["days"]["eligible"], c["days"]["eligible"])
    for user_id in users.index[asks["from_other_office"] & (start.dt.to_period("M") == month).fillna(False)]:
        plan = c["plan"].loc[user_id]
        counted, skipped = found.setdefault(user_id, ([], []))
        if pd.notna(plan["plan_date"]) or pd.notna(plan["pending"]):
            counted.append(Addition("initial", fee_table.INITIAL_UNITS,
                                    f"初期加算: 利用開始の月（{format_date(start[user_id])}から）。一体的に運営していない"
                                    "事業所からの受入れ"))
        else:
            skipped.append(Addition("initial", 0, "初期加算: 利用開始の月ですが、個別支援計画がまだないため算定しません"))
    for user_id in users.index[asks["cap_management"]]:
        found.setdefault(user_id, ([], []))[0].append(
            Addition("cap_management", fee_table.CAP_MANAGEMENT_UNITS, "利用者負担上限額管理加算"))
    return found


def _office_additions(book: CaseBook, month: pd.Period, today: dt.date, checks) -> tuple[list[Addition], list[str]]:
    """The additions for everyone billed (as filed), and notes on what the records say of them."""
    additions, notes = [], []
    fiscal_year = retention.fiscal_year_of(month)
    record = track_record.of_fiscal_year(book, fiscal_year, today=today, checks=checks)
    filed = book.settings.track_record_filed == fees.YES
    share = track_record.format_share(record.share_on_evidence)
    if filed:
        additions.append(Addition("track_record", fee_table.TRACK_RECORD_UNITS,
                                  f"就労定着実績体制加算（届出。{format_fiscal_year(fiscal_year)}の記録: "
                                  f"支援を終えた{len(record.cohort)}人のうち{track_record.TRACK_RECORD_MONTHS}か月以上働いた人 "
                                  f"{share}）"))
        if not record.applies_on_evidence:
            monthly = money.yen(fee_table.TRACK_RECORD_UNITS, exact(book.settings.unit_price),
                                money.billed_per_month(book, month)[0], 12)
            why = (f"就労が確かめられていない {len(record.unconfirmed)}人（{'、'.join(record.unconfirmed)}）の就労を"
                   f"就労確認で確かめてください" if record.applies_claimed else "記録では要件を満たしていません")
            notes.append(f"就労定着実績体制加算を届け出ていますが、記録で確かめられたのは {share}"
                         f"（{track_record.TRACK_RECORD_SHARE}%以上が必要）です。{why}（年間およそ {monthly:,}円）")
    elif record.applies_on_evidence:
        notes.append(f"就労定着実績体制加算の要件を記録で満たしています（{share}）。届け出れば1人1か月"
                     f"{fee_table.TRACK_RECORD_UNITS}単位を算定できます（設定「就労定着実績体制加算（届出）」）")
    if book.settings.job_coach_filed == fees.YES:
        additions.append(Addition("job_coach", fee_table.JOB_COACH_UNITS, "職場適応援助者養成研修修了者配置体制加算（届出）"))
    return additions, notes


# --- the month ---------------------------------------------------------------------------------------

def month_billing(book: CaseBook, month: pd.Period, *, shared_reports: pd.DataFrame | None = None,
                  regional: pd.DataFrame | None = None, handovers: pd.DataFrame | None = None,
                  checks: pd.DataFrame | None = None, plans: pd.DataFrame | None = None,
                  monitorings: pd.DataFrame | None = None, today: dt.date | None = None,
                  review=None) -> Billing:
    """The fee check of ``month`` (``shared_reports``, ``regional``, ``handovers``, the 就労確認
    ``checks``, the finalised 個別支援計画 ``plans`` and the ``monitorings`` that kept a plan,
    from the review store).  ``review``: M's agenda computed from the same records, when there
    is one: its facts (the days in service, face to face, the plan, the handover) are not
    computed again."""
    today = today or min(dt.date.today(), month.end_time.date())
    inputs = _Inputs(sent_reports(book, shared_reports), plans, monitorings, handovers)
    if review is not None and review.facts is not None and review.facts.month == month:
        facts = review.facts
    else:
        users = book.users[in_service(book.users, month)].set_index("user_id", drop=False)
        facts = fees.MonthFacts(book, month, users, plans, monitorings, handovers)
    users = facts.users
    c = _conditions(facts, inputs)
    handover = facts.handover
    per_person = _by_person(c)
    found = {u: _status(u, conditions, users, month) for u, conditions in per_person.items()}
    statuses = {u: NOT_BILLABLE if r else TO_CHECK if k else BILLABLE for u, (r, k, _) in found.items()}
    tier, base_units, tier_source, notes = _tier(book, month, today, checks)
    office, office_notes = _office_reductions(book, month, handover, book.names)
    everyone, addition_notes = _office_additions(book, month, today, checks)
    regional_found = regional_additions(regional, month, book.settings.service_manager,
                                        _billed_months(book, month, regional, inputs, statuses))
    own_found = _own_additions(book, month, users, c)
    people = []
    for user_id in sorted(users.index):
        reasons, to_check, evidence = found[user_id]
        if base_units is None:
            to_check = to_check + [Reason("tier_unknown", "就労定着率の区分がわからないため、基本報酬がわかりません")]
        counted, skipped = regional_found.get(user_id, ([], []))
        own, own_skipped = own_found.get(user_id, ([], []))
        people.append(_person(book, user_id, users.at[user_id, "name"], reasons, to_check, evidence, base_units,
                              per_person[user_id]["plan"], office, counted + everyone + own, skipped + own_skipped))
    people.sort(key=lambda p: STATUSES[::-1].index(p.status))     # 算定不可, 要確認, then 算定可 (stable: by ID)
    if book.settings.treatment_class is not None and book.settings.treatment_rate is None:
        notes.append("処遇改善加算の率が空欄のため、処遇改善加算は算定していません（設定「処遇改善加算の率（%）」）")
    return Billing(month, book.office, float(book.settings.unit_price), people,
                   notes + office_notes + addition_notes, tier, tier_source)


def _person(book: CaseBook, user_id: str, name: str, reasons: list[Reason], to_check: list[Reason],
            evidence: list[str], base_units: int | None, plan, office: list, additions: list[Addition],
            skipped: list[Addition]) -> PersonBill:
    """One person's month: the status, then the units step by step."""
    status = NOT_BILLABLE if reasons else TO_CHECK if to_check else BILLABLE
    name = str(name)
    if status == NOT_BILLABLE:
        return PersonBill(user_id, name, status, reasons + to_check, base_units, units=0, yen=0, evidence=evidence)
    steps = list(office)
    if plan["missing"]:
        steps.append((fee_table.PLAN_MISSING, plan["lapse_month"], fees.plan_missing_message(plan)))
    steps = _larger_only(book, steps)
    steps.sort(key=lambda step: REDUCTIONS.index(step[0]))
    if base_units is None:
        reductions = [Reduction(k.code, round(1 - fee_table.factor(k, n), 2), m) for k, n, m in steps]
        return PersonBill(user_id, name, status, to_check, None, reductions, additions, skipped, evidence=evidence)
    units, reductions = base_units, []
    for kind, n, message in steps:
        multiplier = fee_table.factor(kind, n)
        after = times(units, exact(multiplier))
        reductions.append(Reduction(kind.code, round(1 - multiplier, 2), message, units - after))
        units = after
    units += sum(a.units for a in additions)
    settings = book.settings
    if settings.treatment_class is not None and settings.treatment_rate is not None:
        treatment = times(units, exact(settings.treatment_rate) / 100)
        additions = additions + [Addition(TREATMENT, treatment, f"福祉・介護職員等処遇改善加算（{settings.treatment_class}）: "
                                                                f"{units:,}単位 × {settings.treatment_rate:g}%")]
        units += treatment
    return PersonBill(user_id, name, status, to_check, base_units, reductions, additions, skipped, units,
                      to_yen(units, settings.unit_price), evidence)


def _larger_only(book: CaseBook, steps: list) -> list:
    """Where 個別支援計画未作成減算 and サービス管理責任者欠如減算 fall in one month, only the one
    that takes off more (平成30年度 Q&A; 設定 can say 両方)."""
    kinds = {step[0]: step for step in steps}
    plan, manager = kinds.get(fee_table.PLAN_MISSING), kinds.get(fee_table.MANAGER_MISSING)
    if plan is None or manager is None or book.settings.plan_and_manager != LARGER_ONLY:
        return steps
    plan_factor, manager_factor = fee_table.factor(plan[0], plan[1]), fee_table.factor(manager[0], manager[1])
    dropped = plan if plan_factor >= manager_factor else manager
    kept = manager if dropped is plan else plan
    note = f"（{dropped[0].label}と重なるため、減る単位数の大きい方だけ）"
    return [(k, n, m + note) if (k, n, m) == kept else (k, n, m) for k, n, m in steps if (k, n, m) != dropped]


# --- as staff read it ------------------------------------------------------------------------------

TIER_SOURCES = {"届出": "届け出た区分", "計算": "ケース記録から計算した区分"}


def reduction_text(r: Reduction) -> str:
    """個別支援計画未作成減算（1か月目）: …（30%減、−1,054単位）."""
    units = f"、−{r.units:,}単位" if r.units else ""
    return f"{r.message}（{r.rate:.0%}減{units}）"


def addition_text(a: Addition) -> str:
    return f"{a.message}（+{a.units:,}単位）"


def tier_text(bill: Billing) -> str:
    return f"{bill.tier}（{TIER_SOURCES[bill.tier_source]}）" if bill.tier else "わかりません"


def claim_sentence(totals: dict, unit_price: float | None = None) -> str:
    """The claim in one line: base − reductions + additions + 処遇改善加算 = units (yen)."""
    price = f"、1単位 {unit_price:.2f}円" if unit_price is not None else ""
    text = (f"算定可 {totals['billable']}人: 基本報酬 {totals['base_units']:,}単位 − 減算 {totals['reduction_units']:,}単位"
            f" ＋ 加算 {totals['addition_units']:,}単位")
    if totals["treatment_units"]:
        text += f" ＋ 処遇改善加算 {totals['treatment_units']:,}単位"
    text += f" ＝ {totals['units']:,}単位（総費用額 {totals['yen']:,}円{price}）"
    if totals["to_check"]:
        text += (f"。要確認 {totals['to_check']}人を確かめて算定できれば、さらに {totals['to_check_units']:,}単位"
                 f"（{totals['to_check_yen']:,}円）")
    return text


def office_wide_label(code: str) -> str | None:
    """The name of a 減算 or 加算 the office gives everyone billed (None: a person's own)."""
    kind = fee_table.REDUCTIONS_BY_CODE.get(code)
    return (kind.label if kind.office else None) if kind is not None else OFFICE_ADDITIONS.get(code)


def is_office_wide(item: Reduction | Addition) -> bool:
    """Whether a row's 減算 or 加算 is one the office gives everyone billed."""
    return office_wide_label(item.code) is not None


def office_wide(bill: Billing) -> list[str]:
    """The 減算 and 加算 the office gives everyone billed in M, once each (Japanese)."""
    found: dict[str, str] = {}
    for person in bill.people:
        for r in person.reductions:
            if is_office_wide(r):
                found.setdefault(r.code, f"{r.message.split('（')[0]}（{r.rate:.0%}減）")
        for a in person.additions:
            if is_office_wide(a):
                found.setdefault(a.code, a.message.split(":")[0] if a.code == TREATMENT
                                 else f"{a.message}（+{a.units:,}単位）")
    return list(found.values())


def summed(bills: list[Billing]) -> dict:
    """The totals of several offices (their numbers added up)."""
    keys = ("people", "billable", "to_check", "not_billable", "base_units", "reduction_units", "addition_units",
            "treatment_units", "units", "yen", "to_check_units", "to_check_yen")
    return {key: sum(b.totals[key] for b in bills) for key in keys}


# --- the Excel file ------------------------------------------------------------------------------

EXCEL_HEADERS = ("事業所", "対象月", "利用者ID", "氏名", "状態", "理由", "基本報酬（単位）", "減算", "加算", "単位数",
                 "金額（円）", "根拠")


def table_rows(bill: Billing) -> list[tuple]:
    """One row a person, as the Excel file and the documents show it (Japanese, no codes)."""
    def lines(items) -> str:
        return "\n".join(items)

    return [(bill.office, format_month(bill.month), p.user_id, p.name, p.status, lines(r.message for r in p.reasons),
             p.base_units, lines(reduction_text(r) for r in p.reductions),
             lines([addition_text(a) for a in p.additions] + [a.message for a in p.not_counted]),
             p.units, p.yen, lines(p.evidence)) for p in bill.people]


TOTAL_HEADERS = ("事業所", "対象月", "人数", BILLABLE, TO_CHECK, NOT_BILLABLE, "基本報酬の区分", "基本報酬（単位）",
                 "減算（単位）", "加算（単位）", "処遇改善加算（単位）", "算定可の単位数", "1単位の単価（円）",
                 "金額（円）", "要確認の単位数", "要確認の金額（円）", "事業所としての注意")


def total_row(bill: Billing) -> tuple:
    t = bill.totals
    tier = tier_text(bill) if bill.tier else "—"
    return (bill.office, format_month(bill.month), t["people"], t["billable"], t["to_check"], t["not_billable"], tier,
            t["base_units"], -t["reduction_units"], t["addition_units"], t["treatment_units"], t["units"],
            bill.unit_price, t["yen"], t["to_check_units"], t["to_check_yen"], "\n".join(bill.office_notes))


def write_excel(bills: list[Billing], path) -> None:
    """The fee check of one office or several: a sheet 算定チェック (one row a person) and a
    sheet 合計 (per office: counts, units, yen and the office's notes)."""
    from .excel import new_workbook, write_sheet

    book = new_workbook()
    write_sheet(book, "算定チェック", EXCEL_HEADERS, (row for bill in bills for row in table_rows(bill)),
                widths=(18, 10, 9, 14, 8, 40, 10, 40, 40, 8, 10, 40))
    write_sheet(book, "合計", TOTAL_HEADERS, (total_row(b) for b in bills),
                widths=(18, 10, 6, 7, 7, 7, 14, 12, 10, 10, 10, 12, 10, 12, 12, 12, 60))
    book.save(path)
