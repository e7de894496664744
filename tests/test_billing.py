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
from teichaku_nb.japanese import format_date

from helpers_rules import MONTH, calm, combine, contact, make_book, user, without

D = dt.date
TODAY = D(2026, 11, 30)
TOP = 3512                                     # 95%以上: the base units of a 100 % office


def bill_of(tables, user_id="U001", *, settings=None, **extra) -> billing.PersonBill:
    result = billing.month_billing(make_book(tables, settings=settings), MONTH, today=TODAY, **extra)
    return next(p for p in result.people if p.user_id == user_id)


def reason_codes(bill: billing.PersonBill) -> list[str]:
    return [r.code for r in bill.reasons]


def served(tables, *months: pd.Period, user_id="U001") -> dict:
    """``tables`` with a 対面 with 本人 and a 支援レポート to 本人 in each of ``months`` (billable)."""
    for month in months:
        tables["contacts"].append(contact(user_id, month.start_time.date() + dt.timedelta(days=9), "対面", "本人"))
        tables["reports"].append({"user_id": user_id, "month": str(month), "sent_on": month.end_time.date(),
                                  "recipient": "本人"})
    return tables


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

@pytest.mark.parametrize("changes, met_on, status, code", [
    ({"decision_start": D(2026, 10, 31)}, D(2026, 10, 31), BILLABLE, None),      # starts on m1, met that day
    ({"decision_start": D(2026, 10, 31)}, None, NOT_BILLABLE, "no_face_to_face"),  # met only before it
    ({"decision_start": D(2026, 11, 1)}, None, NOT_BILLABLE, "decision_not_covering"),
    ({"certificate_until": D(2026, 10, 1)}, D(2026, 10, 1), BILLABLE, None),     # ends on m0, met that day
    ({"certificate_until": D(2026, 10, 1)}, None, NOT_BILLABLE, "no_face_to_face"),  # met only after it
    ({"certificate_until": D(2026, 9, 30)}, None, NOT_BILLABLE, "decision_not_covering"),
    ({"certificate_until": None}, None, TO_CHECK, "decision_unknown"),
    ({"decision_start": None}, None, TO_CHECK, "decision_unknown"),            # the column is there, blank
])
def test_the_decision_must_cover_the_month_and_the_meeting(changes, met_on, status, code):
    tables = calm(**changes)
    if met_on is not None:
        tables["contacts"].append(contact("U001", met_on, "対面", "本人"))
    bill = bill_of(tables)
    assert bill.status == status
    assert reason_codes(bill) == ([code] if code else [])
    if status == TO_CHECK:
        assert bill.units == TOP                                             # billable once checked


def test_a_meeting_outside_the_decision_says_why_it_does_not_count():
    (reason,) = bill_of(calm(certificate_until=D(2026, 10, 5))).reasons     # met 10月10日 and 10月25日
    assert reason.message == ("10月は本人との対面の支援がありません（10月10日の対面は受給者証の有効期限（10月5日）の後です）。"
                              "対面の支援がない月は算定できません")


@pytest.mark.parametrize("contract_on, met_on, status", [
    (D(2026, 10, 31), D(2026, 10, 31), BILLABLE), (D(2026, 10, 31), None, NOT_BILLABLE),
    (D(2026, 11, 1), None, NOT_BILLABLE), (None, None, NOT_BILLABLE)])
def test_the_contract_must_be_signed_before_the_meeting_by_the_months_end(contract_on, met_on, status):
    tables = calm(contract_on=contract_on)
    if met_on is not None:
        tables["contacts"].append(contact("U001", met_on, "対面", "本人"))
    bill = bill_of(tables)
    assert bill.status == status
    if status == NOT_BILLABLE:
        assert reason_codes(bill) == (["no_face_to_face"] if contract_on == D(2026, 10, 31) else ["contract_missing"])


def test_a_format_1_book_is_not_checked_on_format_2_columns():
    # no 利用契約日, 支給決定開始日 or 同意日 columns: nothing is missing for want of them
    book = make_book(calm())
    assert not book.has("users", "contract_on") and not book.has("plans", "consent_on")
    assert bill_of(calm()).status == BILLABLE


# --- 個別支援計画未作成減算 ------------------------------------------------------------------------

@pytest.mark.parametrize("plan_date, months, rate", [
    (D(2026, 7, 31), 0, None),        # due 10月31日 (the last day): the lapse would begin 11月1日
    (D(2026, 7, 1), 1, 0.30),         # due 10月1日 (the 1st): the lapse begins 10月2日, so October is its 1st month
    (D(2026, 6, 30), 1, 0.30),        # due 9月30日: the lapse begins 10月1日
    (D(2026, 5, 31), 2, 0.30),        # due 8月31日: September, then October
    (D(2026, 5, 1), 3, 0.50),         # due 8月1日: the lapse begins 8月2日; October is its 3rd month: 50 %
    (D(2026, 4, 30), 4, 0.50),        # due 7月30日: July, August, September, October
])
def test_plan_missing_counts_the_months_from_the_one_the_lapse_begins_in(plan_date, months, rate):
    tables = calm()
    tables["plans"][0]["plan_date"] = plan_date
    bill = bill_of(tables)
    assert bill.status == BILLABLE
    if rate is None:
        assert bill.reductions == [] and bill.units == TOP
        return
    (reduction,) = bill.reductions
    assert (reduction.code, reduction.rate) == ("plan_missing", rate)
    assert f"個別支援計画未作成減算（{months}か月目）: 個別支援計画（{format_date(plan_date)} 作成）から3か月の見直しがなく" \
        in reduction.message
    assert bill.units == round(TOP * (1 - rate)) and reduction.units == TOP - bill.units


def test_plan_missing_counts_from_the_start_of_service():
    tables = without(calm(support_start=D(2026, 9, 15)), "plans")
    (reduction,) = bill_of(tables).reductions
    assert reduction.rate == 0.30
    assert reduction.message == ("個別支援計画未作成減算（2か月目）: 2026年9月15日（支援の開始）から、"
                                 "同意を得た個別支援計画がありません")


def test_a_plan_agreed_in_the_month_the_lapse_began_ends_it_without_a_reduction():
    # support from 10月1日, the first plan agreed 10月20日: the lapse began and ended in October
    tables = calm(support_start=D(2026, 10, 1))
    tables["plans"][0].update(plan_date=D(2026, 10, 15), consent_on=D(2026, 10, 20))
    assert bill_of(tables).reductions == []
    # agreed 11月2日: October is reduced, the month before the one the plan ended the lapse in
    tables["plans"][0]["consent_on"] = D(2026, 11, 2)
    assert [r.code for r in bill_of(tables).reductions] == ["plan_missing"]


@pytest.mark.parametrize("consent_on, reduced", [(D(2026, 9, 5), False), (D(2026, 11, 2), True), (None, True)])
def test_a_plan_counts_from_the_persons_consent_where_the_book_records_it(consent_on, reduced):
    tables = calm()
    tables["plans"][0]["consent_on"] = consent_on
    bill = bill_of(tables)
    assert bool(bill.reductions) is reduced
    if reduced:       # no earlier plan: the lapse runs from the start of service, 2025年7月10日
        assert bill.reductions[0].message == (
            "個別支援計画未作成減算（16か月目）: 2025年7月10日（支援の開始）から、同意を得た個別支援計画がありません。"
            "新しい計画（2026年9月1日 作成）は本人の同意（と交付）がまだです")


# --- 支援体制構築未実施減算 ------------------------------------------------------------------------

def handover_case(end=D(2026, 12, 31), **changes) -> dict:
    """要継続支援 = はい, support ending on ``end`` (deadline = end − 3 months: 9月30日 by default)."""
    return calm(support_end=end, needs_continuing="はい", **changes)


def codes_of(result: billing.Billing) -> dict[str, list[str]]:
    return {p.user_id: [r.code for r in p.reductions] for p in result.people}


@pytest.mark.parametrize("end, month, reduced", [
    (D(2027, 1, 31), MONTH, False),          # deadline 10月31日: not in the month of the deadline
    (D(2027, 1, 31), MONTH + 1, True),       # …from the month after it
    (D(2027, 1, 31), MONTH + 3, True),       # …through the month the support ends (January)
    (D(2026, 12, 31), MONTH, True),          # deadline 9月30日
])
def test_a_missed_handover_reduces_everyone_billed_from_the_month_after_its_deadline(end, month, reduced):
    later = [MONTH + k for k in (1, 2, 3)]
    tables = combine(served(handover_case(end), *later), served(calm("U002"), *later, user_id="U002"))
    result = billing.month_billing(make_book(tables, settings={"handover_policy": "はい"}), month,
                                   today=month.end_time.date())
    handover = {u: [c for c in found if c == "handover_missing"] for u, found in codes_of(result).items()}
    assert handover == {"U001": ["handover_missing"] * reduced, "U002": ["handover_missing"] * reduced}
    if reduced and month == MONTH:
        (person,) = [p for p in result.people if p.user_id == "U002"]
        assert person.reductions[0].units == TOP - round(TOP * 0.9) and person.units == round(TOP * 0.9)
        assert any(note.startswith("要確認: 支援体制構築未実施減算（10%）を、算定する全員に適用しています。") and
                   f"U001 試験 U001（期限 {format_date(end - pd.DateOffset(months=3))}までに" in note
                   for note in result.office_notes)


@pytest.mark.parametrize("outside_on, reduced", [(D(2026, 9, 30), False), (D(2026, 10, 1), True)])
def test_the_handover_must_be_complete_by_the_deadline(outside_on, reduced):
    # a support ending 2026年12月31日 has its deadline on 9月30日: the outside body on the deadline
    # day is in time; a day later is late, for October and the months after
    tables = served(handover_case(handover_consent_on=D(2026, 9, 1)), MONTH + 1)
    tables["contacts"] += [handover_contact(D(2026, 9, 10), "本人・企業"), handover_contact(outside_on, "医療機関")]
    book = make_book(tables, settings={"handover_policy": "はい"})
    for month in (MONTH, MONTH + 1):
        person = billing.month_billing(book, month, today=D(2026, 12, 1)).people[0]
        assert [r.code for r in person.reductions] == (["handover_missing"] if reduced else [])


def test_a_routine_contact_is_not_a_handover_and_no_support_needed_means_no_reduction():
    tables = handover_case(handover_consent_on=D(2026, 9, 1))
    tables["contacts"] += [contact("U001", D(2026, 9, 10), "対面", "企業"),           # 区分 blank = 定例
                           handover_contact(D(2026, 9, 12), "関係機関")]
    result = billing.month_billing(make_book(tables, settings={"handover_policy": "はい"}), MONTH, today=TODAY)
    assert codes_of(result) == {"U001": ["handover_missing"]}
    assert result.people[0].reductions[0].message == "支援体制構築未実施減算（事業所全体）"
    assert any("間に合わなかった人: U001 試験 U001（期限 2026年9月30日までに 企業との引継ぎ がありません）" in note
               for note in result.office_notes)
    assert bill_of(calm(support_end=D(2026, 12, 31), needs_continuing="いいえ")).reductions == []


def test_an_early_end_before_the_deadline_carries_no_handover():
    left = handover_case(status="離職", left_on=D(2026, 9, 20))          # left before the deadline of 9月30日
    book = make_book(combine(left, calm("U002")), settings={"handover_policy": "はい"})
    assert codes_of(billing.month_billing(book, MONTH, today=TODAY)) == {"U002": []}


def test_without_the_handover_policy_everyone_billed_is_reduced_and_the_office_is_told_once():
    done = handover_case(handover_consent_on=D(2026, 9, 1))
    done["contacts"] += [handover_contact(D(2026, 9, 10), "企業"), handover_contact(D(2026, 9, 12), "関係機関")]
    assert bill_of(done, settings={"handover_policy": "はい"}).reductions == []
    result = billing.month_billing(make_book(combine(done, calm("U002")), settings={"handover_policy": "いいえ"}),
                                   MONTH, today=TODAY)
    assert codes_of(result) == {"U001": ["handover_missing"], "U002": ["handover_missing"]}
    assert result.people[0].reductions[0].message == "支援体制構築未実施減算（事業所全体）"
    assert result.office_notes[-1] == ("引継ぎの指針と責任者が定められていない（設定「引継ぎの指針」が いいえ）ため、"
                                       "算定する全員が 支援体制構築未実施減算（10%）の対象です")


def test_a_blank_handover_policy_is_an_office_question_not_a_persons():
    result = billing.month_billing(make_book(calm()), MONTH, today=TODAY)
    (person,) = result.people
    assert (person.status, person.reductions) == (BILLABLE, [])
    assert result.office_notes[-1].startswith("要確認: 設定「引継ぎの指針」が空欄です。")


@pytest.mark.parametrize("chosen, reduced", [("なし", False), (pd.Period("2026-10", "M"), True),
                                             (pd.Period("2026-11", "M"), False)])
def test_the_offices_own_judgement_of_the_handover_months_replaces_the_default(chosen, reduced):
    tables = combine(handover_case(), calm("U002"))          # a missed deadline: October by default
    book = make_book(tables, settings={"handover_policy": "はい", "handover_missing_from": chosen})
    assert codes_of(billing.month_billing(book, MONTH, today=TODAY)) == \
        {"U001": ["handover_missing"] * reduced, "U002": ["handover_missing"] * reduced}


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
    tables = served(calm(), *{pd.Period(d, "M") for d in earlier})
    bill = bill_of(tables, regional=meetings(*earlier, D(2026, 10, 20)))
    assert bool(bill.additions) is counted and bool(bill.not_counted) is not counted
    if not counted:
        assert bill.units == TOP
        assert bill.not_counted[0].message.endswith("年度4回までのため算定しません（5回目）")


def test_a_meeting_in_a_month_not_billed_does_not_count_toward_the_caps():
    # May–August had meetings, but August could not be billed (no 支援レポート): October is the 4th
    earlier = [D(2026, 5, 1), D(2026, 6, 1), D(2026, 7, 1), D(2026, 8, 1)]
    tables = served(calm(), *(pd.Period(d, "M") for d in earlier[:3]))
    tables["contacts"].append(contact("U001", D(2026, 8, 10), "対面", "本人"))
    bill = bill_of(tables, regional=meetings(*earlier, D(2026, 10, 20)))
    assert [a.code for a in bill.additions] == ["regional_meeting"] and bill.not_counted == []


def test_a_month_that_cannot_be_billed_lists_no_addition_or_reduction():
    tables = without(calm(), "reports")
    tables["plans"][0]["plan_date"] = D(2026, 6, 30)
    bill = bill_of(tables, regional=meetings(D(2026, 10, 20)), settings={"job_coach_filed": "はい"})
    assert (bill.status, bill.additions, bill.reductions, bill.units, bill.yen) == (NOT_BILLABLE, [], [], 0, 0)


# --- the month's totals ------------------------------------------------------------------------

def test_totals_are_the_offices_claim_worked_out_by_hand():
    tables = combine(calm("U001"), calm("U002", certificate_until=None), without(calm("U003"), "reports"),
                     calm("U004"))
    tables["plans"][0]["plan_date"] = D(2026, 6, 30)                         # U001: 30 % off
    result = billing.month_billing(make_book(tables, settings={"unit_price": 11.2}), MONTH, today=TODAY)
    assert [(p.user_id, p.status) for p in result.people] == [
        ("U003", NOT_BILLABLE), ("U002", TO_CHECK), ("U001", BILLABLE), ("U004", BILLABLE)]
    # U001: 3,512 × 0.7 = 2,458.4 → 2,458 units; 2,458 × 11.2 = 27,529.6 → 27,529円
    # U004: 3,512 units; × 11.2 = 39,334.4 → 39,334円
    assert [(p.units, p.yen) for p in result.people[2:]] == [(2458, 27529), (3512, 39334)]
    totals = result.totals
    assert {k: totals[k] for k in ("people", "billable", "to_check", "not_billable")} == \
        {"people": 4, "billable": 2, "to_check": 1, "not_billable": 1}
    assert (totals["base_units"], totals["reduction_units"], totals["units"], totals["yen"]) == \
        (7024, 1054, 5970, 27529 + 39334)
    assert (totals["to_check_units"], totals["to_check_yen"]) == (3512, 39334)
    assert totals["reductions"] == {"plan_missing": 1054}


# --- 就労定着実績体制加算 ----------------------------------------------------------------------------

def finished(user_id: str, **changes) -> dict:
    """Support ended 2022年7月9日 (FY 2022, within the six fiscal years before FY 2026); hired
    2019年1月10日, so the 42-month day is 2022年7月10日."""
    return user(user_id, **({"hired_on": D(2019, 1, 10), "support_end": D(2022, 7, 9), "status": "支援終了"} | changes))


def employed_check(user_id: str, on=D(2023, 1, 10)) -> dict:
    return {"user_id": user_id, "checked_on": on, "employment": "継続", "method": "企業"}


def test_the_track_record_is_billed_as_filed_and_the_office_is_told_when_its_records_do_not_bear_it_out():
    tables = combine(calm(), {"users": [finished("F01")], "employment_checks": [employed_check("F01")]})
    filed = bill_of(tables, settings={"track_record_filed": "はい"})
    assert [(a.code, a.units) for a in filed.additions] == [("track_record", 300)]
    assert filed.units == TOP + 300
    assert filed.additions[0].message == ("就労定着実績体制加算（届出。2026年度の記録: 支援を終えた1人のうち42か月以上働いた人 "
                                          "100.0%）")
    assert bill_of(tables).additions == []                      # not filed: not billed
    result = billing.month_billing(make_book(tables), MONTH, today=TODAY)
    assert any(note.startswith("就労定着実績体制加算の要件を記録で満たしています（100.0%）。届け出れば")
               for note in result.office_notes)


def test_a_track_record_filed_but_held_only_by_the_unconfirmed_tells_the_office_whom_to_confirm():
    tables = combine(calm(), {"users": [finished("F01"), finished("F02")], "employment_checks": [employed_check("F01")]})
    result = billing.month_billing(make_book(tables, settings={"track_record_filed": "はい"}), MONTH, today=TODAY)
    assert [a.code for p in result.people for a in p.additions] == ["track_record"]
    assert any(note.startswith("就労定着実績体制加算を届け出ていますが、記録で確かめられたのは 50.0%（70%以上が必要）です。"
                               "就労が確かめられていない 1人（F02）の就労を就労確認で確かめてください（年間およそ ")
               for note in result.office_notes)
