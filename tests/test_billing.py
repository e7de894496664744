"""The month's fee check (docs/fee-check.md) on small hand-made cases.

October 2026 (m0 = 10月1日, m1 = 10月31日) as in the rules tests: ``calm()`` is one person
whose month can be billed; each test changes one thing.  The retention rate of the office
(one person, employed) is 100 %, so the base fee is the top tier's 3,512 units.
All people are synthetic.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from teichaku_nb import billing
from teichaku_nb.billing import BILLABLE, NOT_BILLABLE, TO_CHECK

from helpers_rules import MONTH, calm, combine, contact, make_book, user, without

D = dt.date
TODAY = D(2026, 11, 30)
TOP = 3512                                     # 95%以上: the base units of a 100 % office


def bill_of(tables, user_id="U001", *, settings=None, **extra) -> billing.PersonBill:
    result = billing.month_billing(make_book(tables, settings=settings), MONTH, today=TODAY, **extra)
    return next(p for p in result.people if p.user_id == user_id)


def reason_codes(bill: billing.PersonBill) -> list[str]:
    return [r.code for r in bill.reasons]


def handover_contact(date, party) -> dict:
    return dict(contact("U001", date, "対面", party), kind="引継ぎ")


def test_a_calm_month_is_billable_at_the_base_units():
    bill = bill_of(calm())
    assert (bill.status, bill.reasons, bill.reductions, bill.additions) == (BILLABLE, [], [], [])
    assert bill.base_units == bill.units == TOP


# --- the 支援レポート must reach 本人 --------------------------------------------------------------

@pytest.mark.parametrize("recipient, status", [("本人", BILLABLE), ("本人・企業", BILLABLE), ("企業", NOT_BILLABLE)])
def test_the_report_must_reach_the_person(recipient, status):
    tables = calm()
    tables["reports"][0]["recipient"] = recipient
    bill = bill_of(tables)
    assert bill.status == status
    if status == NOT_BILLABLE:
        assert bill.units == 0 and reason_codes(bill) == ["report_not_shared"]
        assert bill.reasons[0].message == "2026年10月の支援レポートを企業にだけ渡した記録です（本人に渡した記録がありません）"


def test_a_sending_recorded_in_the_store_counts_for_the_person_only():
    tables = without(calm(), "reports")
    assert bill_of(tables).status == NOT_BILLABLE
    given = pd.DataFrame({"user_id": ["U001"], "month": [MONTH], "recipient": ["本人"]})
    assert bill_of(tables, shared_reports=given).status == BILLABLE
    employer = given.assign(recipient=["企業"])
    assert bill_of(tables, shared_reports=employer).status == NOT_BILLABLE


# --- the 支給決定 and the contract ---------------------------------------------------------------

@pytest.mark.parametrize("changes, status, code", [
    ({"decision_start": D(2026, 10, 31)}, BILLABLE, None),                  # starts on m1
    ({"decision_start": D(2026, 11, 1)}, NOT_BILLABLE, "decision_not_covering"),
    ({"certificate_until": D(2026, 10, 1)}, BILLABLE, None),                # ends on m0
    ({"certificate_until": D(2026, 9, 30)}, NOT_BILLABLE, "decision_not_covering"),
    ({"certificate_until": None}, TO_CHECK, "decision_unknown"),
    ({"decision_start": None}, TO_CHECK, "decision_unknown"),               # the column is there, blank
])
def test_the_decision_must_cover_the_month(changes, status, code):
    bill = bill_of(calm(**changes))
    assert bill.status == status
    assert reason_codes(bill) == ([code] if code else [])
    if status == TO_CHECK:
        assert bill.units == TOP                                             # billable once checked


@pytest.mark.parametrize("contract_on, status", [
    (D(2026, 10, 31), BILLABLE), (D(2026, 11, 1), NOT_BILLABLE), (None, NOT_BILLABLE)])
def test_the_contract_must_be_signed_by_the_months_end(contract_on, status):
    bill = bill_of(calm(contract_on=contract_on))
    assert bill.status == status
    if status == NOT_BILLABLE:
        assert reason_codes(bill) == ["contract_missing"]


def test_a_format_1_book_is_not_checked_on_format_2_columns():
    # no 利用契約日, 支給決定開始日 or 同意日 columns: nothing is missing for want of them
    book = make_book(calm())
    assert not book.has("users", "contract_on") and not book.has("plans", "consent_on")
    assert bill_of(calm()).status == BILLABLE


# --- 個別支援計画未作成減算 ------------------------------------------------------------------------

@pytest.mark.parametrize("plan_date, months, rate", [
    (D(2026, 7, 1), 0, None),         # due 10月1日 = m0: not overdue all month
    (D(2026, 6, 30), 1, 0.30),        # due 9月30日: October is the 1st month
    (D(2026, 5, 31), 2, 0.30),        # due 8月31日: September and October
    (D(2026, 4, 30), 3, 0.50),        # due 7月30日: August, September, October: from the 3rd month 50 %
])
def test_plan_missing_counts_the_months_in_a_row(plan_date, months, rate):
    tables = calm()
    tables["plans"][0]["plan_date"] = plan_date
    bill = bill_of(tables)
    assert bill.status == BILLABLE
    if rate is None:
        assert bill.reductions == [] and bill.units == TOP
        return
    (reduction,) = bill.reductions
    assert (reduction.code, reduction.rate) == ("plan_missing", rate)
    assert f"（{months}か月目）" in reduction.message
    assert bill.units == TOP - round(TOP * rate)


def test_plan_missing_counts_only_months_in_service():
    tables = without(calm(support_start=D(2026, 9, 15)), "plans")
    (reduction,) = bill_of(tables).reductions
    assert reduction.rate == 0.30 and "（2か月目）: 個別支援計画がありません" in reduction.message


@pytest.mark.parametrize("consent_on, reduced", [(D(2026, 9, 5), False), (D(2026, 11, 2), True), (None, True)])
def test_a_plan_needs_the_persons_consent_where_the_book_records_it(consent_on, reduced):
    tables = calm()
    tables["plans"][0]["consent_on"] = consent_on
    bill = bill_of(tables)
    assert bool(bill.reductions) is reduced
    if reduced:
        assert bill.reductions[0].message.endswith("個別支援計画（2026年9月1日 作成）に本人の同意日がありません")


# --- 支援体制構築未実施減算 ------------------------------------------------------------------------

def handover_case(end=D(2027, 1, 31), **changes) -> dict:
    """要継続支援 = はい, support ending on ``end`` (deadline = end − 3 months)."""
    return calm(support_end=end, needs_continuing="はい", **changes)


@pytest.mark.parametrize("end, reduced", [
    (D(2027, 1, 31), True),           # deadline 10月31日 = m1: due in October
    (D(2027, 2, 1), False),           # deadline 11月1日
])
def test_handover_missing_from_the_month_of_its_deadline(end, reduced):
    bill = bill_of(handover_case(end))
    assert [r.code for r in bill.reductions] == (["handover_missing"] if reduced else [])
    if reduced:
        assert bill.units == TOP - round(TOP * 0.10)
        assert bill.reductions[0].message == ("支援体制構築未実施減算: 期限 2026年10月31日 までに 本人の同意（引継ぎ同意日）・"
                                              "企業との引継ぎ・関係機関・医療機関との引継ぎ がありません")


@pytest.mark.parametrize("outside_on, reduced", [(D(2026, 10, 31), False), (D(2026, 11, 1), True)])
def test_the_handover_must_be_complete_by_the_deadline(outside_on, reduced):
    # a support ending 2027年1月31日 has its deadline on 10月31日: the outside body on the
    # deadline day is in time; a day later is late, in October and in the months after
    tables = handover_case(D(2027, 1, 31), handover_consent_on=D(2026, 9, 1))
    tables["contacts"] += [handover_contact(D(2026, 9, 10), "本人・企業"), handover_contact(outside_on, "医療機関")]
    book = make_book(tables, settings={"handover_policy": "はい"})
    for month, today in ((MONTH, TODAY), (MONTH + 1, D(2026, 12, 1))):
        person = billing.month_billing(book, month, today=today).people[0]
        assert [r.code for r in person.reductions] == (["handover_missing"] if reduced else [])


def test_a_routine_contact_is_not_a_handover_and_no_support_needed_means_no_reduction():
    tables = handover_case(handover_consent_on=D(2026, 9, 1))
    tables["contacts"] += [contact("U001", D(2026, 9, 10), "対面", "企業"),           # 区分 blank = 定例
                           handover_contact(D(2026, 9, 12), "関係機関")]
    (reduction,) = bill_of(tables, settings={"handover_policy": "はい"}).reductions
    assert reduction.message.endswith("企業との引継ぎ がありません")
    assert bill_of(calm(support_end=D(2027, 1, 31), needs_continuing="いいえ")).reductions == []


def test_without_the_handover_policy_everyone_due_is_reduced_and_the_office_is_told_once():
    done = handover_case(handover_consent_on=D(2026, 9, 1))
    done["contacts"] += [handover_contact(D(2026, 9, 10), "企業"), handover_contact(D(2026, 9, 12), "関係機関")]
    assert bill_of(done, settings={"handover_policy": "はい"}).reductions == []
    second = calm("U002", support_end=D(2027, 1, 31), needs_continuing="はい")
    result = billing.month_billing(make_book(combine(done, second), settings={"handover_policy": "いいえ"}),
                                   MONTH, today=TODAY)
    assert [[r.code for r in p.reductions] for p in result.people] == [["handover_missing"], ["handover_missing"]]
    assert result.people[0].reductions[0].message == "支援体制構築未実施減算: 引継ぎの指針が定められていません"
    assert result.office_notes == ["引継ぎの指針と責任者が定められていない（設定「引継ぎの指針」が いいえ）ため、"
                                   "引継ぎの期限を過ぎた 2人は全員 支援体制構築未実施減算 の対象です"]


def test_a_blank_handover_policy_leaves_a_complete_handover_to_check():
    done = handover_case(handover_consent_on=D(2026, 9, 1))
    done["contacts"] += [handover_contact(D(2026, 9, 10), "企業"), handover_contact(D(2026, 9, 12), "関係機関")]
    result = billing.month_billing(make_book(done), MONTH, today=TODAY)
    (person,) = result.people
    assert (person.status, reason_codes(person), person.reductions) == (TO_CHECK, ["handover_policy_unknown"], [])
    assert result.office_notes[0].startswith("設定「引継ぎの指針」が空欄です。")


# --- 地域連携会議実施加算 --------------------------------------------------------------------------

def meetings(*days, presenter="河野 聡") -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["U001"] * len(days), "month": [pd.Period(d, "M") for d in days],
                         "held_on": pd.to_datetime(list(days)), "presenter": [presenter] * len(days)})


def test_a_regional_meeting_presented_by_the_service_manager_is_type_i():
    settings = {"service_manager": "河野 聡"}
    bill = bill_of(calm(), settings=settings, regional=meetings(D(2026, 10, 20)))
    assert [(a.code, a.units) for a in bill.additions] == [("regional_meeting", 579)]
    assert bill.units == TOP + 579
    other = bill_of(calm(), settings=settings, regional=meetings(D(2026, 10, 20), presenter="佐藤"))
    assert [a.units for a in other.additions] == [405] and "（II）" in other.additions[0].message


def test_one_regional_meeting_a_month_counts():
    bill = bill_of(calm(), regional=meetings(D(2026, 10, 5), D(2026, 10, 20)))
    assert [a.units for a in bill.additions] == [405]
    assert [a.message.endswith("月1回までのため算定しません") for a in bill.not_counted] == [True]


@pytest.mark.parametrize("earlier, counted", [
    ([D(2026, 5, 1), D(2026, 6, 1), D(2026, 7, 1)], True),                    # October is the 4th
    ([D(2026, 5, 1), D(2026, 6, 1), D(2026, 7, 1), D(2026, 8, 1)], False),     # October is the 5th
    ([D(2026, 2, 1), D(2026, 3, 1), D(2026, 6, 1), D(2026, 7, 1)], True),     # Feb, Mar: last fiscal year
])
def test_four_regional_meetings_a_fiscal_year_count(earlier, counted):
    bill = bill_of(calm(), regional=meetings(*earlier, D(2026, 10, 20)))
    assert bool(bill.additions) is counted and bool(bill.not_counted) is not counted
    if not counted:
        assert bill.units == TOP
        assert bill.not_counted[0].message.endswith("年度4回までのため算定しません（5回目）")


# --- the month's totals ------------------------------------------------------------------------

def test_totals_count_the_statuses_and_the_units_of_billable_people_in_yen():
    tables = combine(calm("U001"), calm("U002", certificate_until=None), without(calm("U003"), "reports"))
    tables["plans"][0]["plan_date"] = D(2026, 6, 30)                         # U001: 30 % off
    result = billing.month_billing(make_book(tables, settings={"unit_price": 11.2}), MONTH, today=TODAY)
    assert [(p.user_id, p.status) for p in result.people] == [
        ("U003", NOT_BILLABLE), ("U002", TO_CHECK), ("U001", BILLABLE)]
    units = TOP - round(TOP * 0.30)
    assert result.totals == {"people": 3, "billable": 1, "to_check": 1, "not_billable": 1,
                             "units": units, "yen": int(units * 11.2)}


# --- 就労定着実績体制加算 ----------------------------------------------------------------------------

def finished(user_id: str, **changes) -> dict:
    """Support ended 2022年7月9日 (FY 2022, within the six fiscal years before FY 2026); hired
    2019年1月10日, so the 42-month day is 2022年7月10日."""
    return user(user_id, **({"hired_on": D(2019, 1, 10), "support_end": D(2022, 7, 9), "status": "支援終了"} | changes))


def employed_check(user_id: str, on=D(2023, 1, 10)) -> dict:
    return {"user_id": user_id, "checked_on": on, "employment": "継続", "method": "企業"}


def test_the_track_record_adds_300_units_for_everyone_when_it_holds_on_evidence():
    tables = combine(calm(), {"users": [finished("F01")], "employment_checks": [employed_check("F01")]})
    bill = bill_of(tables)
    assert [(a.code, a.units) for a in bill.additions] == [("track_record", 300)]
    assert bill.units == TOP + 300
    assert "就労定着実績体制加算（2026年度: 支援を終えた1人のうち42か月以上働いた人 100.0%）" == bill.additions[0].message


def test_the_track_record_held_only_by_the_unconfirmed_is_not_added_and_the_office_is_told_whom_to_confirm():
    tables = combine(calm(), {"users": [finished("F01"), finished("F02")], "employment_checks": [employed_check("F01")]})
    result = billing.month_billing(make_book(tables), MONTH, today=TODAY)
    assert [a.code for p in result.people for a in p.additions] == []
    assert result.office_notes == ["就労定着実績体制加算は、就労が確かめられていない 1人（F02）の42か月以上の就労を就労確認で"
                                   "確かめれば算定できます（確かめられた人だけでは 50.0%、70%以上が必要）"]
