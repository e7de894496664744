"""The fee check to the letter of the 2024 rules (docs/fee-check.md), each rule at its boundary.

October 2026 as in the other fee-check tests (``helpers_rules.calm``: one person in service,
met face to face on 10月10日 and 10月25日, the report to 本人 sent 10月31日).  Units are worked
out by hand in the tests.  All people are synthetic.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from teichaku_nb import billing, periods, retention, rules
from teichaku_nb.billing import BILLABLE, NOT_BILLABLE, TO_CHECK
from teichaku_nb.workbook import casebook_from_records

from helpers_rules import MONTH, calm, combine, contact, make_book, user

D = dt.date
TODAY = D(2026, 11, 30)
TOP = 3512


def bill_of(tables, user_id="U001", *, month=MONTH, settings=None, today=TODAY, **extra) -> billing.PersonBill:
    result = billing.month_billing(make_book(tables, settings=settings), month, today=today, **extra)
    return next(p for p in result.people if p.user_id == user_id)


def codes(bill) -> list[str]:
    return [r.code for r in bill.reasons]


def met_only_on(tables, *days, method="対面", party="本人") -> dict:
    """``tables`` with October's contacts with 本人 replaced by face-to-face meetings on ``days``."""
    tables["contacts"] = [c for c in tables["contacts"] if c["date"] < D(2026, 10, 1)]
    tables["contacts"] += [contact("U001", day, method, party) for day in days]
    return tables


# --- when the support may start: six months of work ----------------------------------------------

@pytest.mark.parametrize("hired_on, start, end", [
    (D(2026, 8, 28), D(2027, 2, 28), D(2030, 2, 27)),
    (D(2026, 8, 29), D(2027, 3, 1), D(2030, 2, 28)),       # 2027 has no 2月29日: the 1st of March
    (D(2026, 8, 30), D(2027, 3, 1), D(2030, 2, 28)),
    (D(2026, 8, 31), D(2027, 3, 1), D(2030, 2, 28)),
    (D(2026, 4, 1), D(2026, 10, 1), D(2029, 9, 30)),       # the 留意事項's example
    (D(2026, 3, 31), D(2026, 10, 1), D(2029, 9, 30)),      # no 9月31日
])
def test_the_support_starts_the_day_six_months_of_work_have_passed_and_lasts_three_years(hired_on, start, end):
    book = casebook_from_records({"users": [user(hired_on=hired_on)], "contacts": []}, today=D(2026, 12, 6))
    (row,) = book.users.to_dict("records")
    assert (row["support_start"].date(), row["support_end"].date()) == (start, end)


def test_the_three_years_count_from_the_support_start_not_the_hire():
    # hired 2025年1月10日 but the support began late, 2025年11月1日: it ends 2028年10月31日
    book = casebook_from_records({"users": [user(support_start=D(2025, 11, 1))], "contacts": []})
    assert book.users["support_end"].iloc[0].date() == D(2028, 10, 31)


def test_transition_support_after_hiring_moves_the_six_months():
    book = casebook_from_records({"users": [user(hired_on=D(2024, 4, 1), transition_ended_on=D(2024, 6, 30))],
                                  "contacts": []})
    assert book.users["support_start"].iloc[0].date() == D(2025, 1, 1)     # the 留意事項's example


def test_a_support_start_typed_too_early_is_a_warning_and_its_months_are_not_billed():
    # hired 2026年3月31日: six months pass at the end of 9月30日, the support may start 10月1日
    tables = calm(hired_on=D(2026, 3, 31), support_start=D(2026, 9, 30))
    tables["contacts"].append(contact("U001", D(2026, 9, 30), "対面", "本人"))
    tables["reports"].append({"user_id": "U001", "month": "2026-09", "sent_on": D(2026, 9, 30), "recipient": "本人"})
    book = casebook_from_records(tables, settings={"filed_tier": "95%以上"}, today=TODAY)
    (warning,) = [p for p in book.problems if p.code == "fee_rule"]
    assert (warning.severity, warning.sheet, warning.column) == ("warning", "利用者", "支援開始日")
    assert warning.message.endswith("支援開始日 2026年9月30日 は、働き始めて6か月たつ日（2026年10月1日）より前です。"
                                    "それより前の月は算定できません")
    september = billing.month_billing(book, MONTH - 1, today=TODAY).people[0]
    assert (september.status, codes(september)) == (NOT_BILLABLE, ["before_eligible_start"])
    assert billing.month_billing(book, MONTH, today=TODAY).people[0].status == BILLABLE


# --- the end of the service: 離職日, 利用終了日, the 支給決定 --------------------------------------------

@pytest.mark.parametrize("met_on, status", [(D(2026, 10, 15), BILLABLE), (D(2026, 10, 16), NOT_BILLABLE)])
def test_a_meeting_on_the_day_of_leaving_counts_the_day_after_does_not(met_on, status):
    tables = met_only_on(calm(status="離職", left_on=D(2026, 10, 15)), met_on)
    bill = bill_of(tables)
    assert bill.status == status
    if status == NOT_BILLABLE:
        assert bill.reasons[0].message == ("10月は本人との対面の支援がありません（10月16日の対面は離職日（10月15日）の後です）。"
                                           "対面の支援がない月は算定できません")


@pytest.mark.parametrize("service_end, status", [(D(2026, 10, 9), NOT_BILLABLE), (D(2026, 10, 10), BILLABLE)])
def test_the_service_ends_on_its_end_day(service_end, status):
    tables = met_only_on(calm(service_end=service_end), D(2026, 10, 10))
    assert bill_of(tables).status == status


def test_the_end_of_a_decision_stops_billing_but_never_moves_the_period_or_the_handover():
    tables = calm(certificate_until=D(2026, 9, 30), support_end=D(2027, 3, 31), needs_continuing="はい")
    book = make_book(tables)
    period = rules.support_periods(book, D(2026, 10, 31)).iloc[0]
    assert period["support_end_effective"].date() == D(2027, 3, 31)
    person = billing.month_billing(book, MONTH, today=TODAY).people[0]
    assert codes(person) == ["decision_not_covering"]
    case = rules.agenda(book, MONTH).case("U001")
    handover = next(f for f in case.flags if f.code == "handover_due")
    assert "引継ぎの期限は 2026年12月31日 です" in handover.message


# --- a change of job --------------------------------------------------------------------------------

def test_a_job_change_within_a_month_keeps_the_service_going():
    # left 10月5日, the new job from 10月20日 (within 11月5日): still in service, October billable
    changed = met_only_on(calm(left_on=D(2026, 10, 5), rehired_on=D(2026, 10, 20)), D(2026, 10, 25))
    assert bill_of(changed).status == BILLABLE
    assert rules.agenda(make_book(changed), MONTH + 2).cases[0].user_id == "U001"
    # a new job from 11月6日 is not within a month: the service ended on 10月5日
    late = met_only_on(calm(status="離職", left_on=D(2026, 10, 5), rehired_on=D(2026, 11, 6)), D(2026, 10, 25))
    assert bill_of(late).status == NOT_BILLABLE
    assert rules.agenda(make_book(late), MONTH + 1).cases == []


def test_a_leaving_not_yet_followed_by_a_recorded_new_job_is_to_check_for_a_month():
    # 状況 利用中 with 離職日 10月5日 and no 再就職日: the meeting of 10月25日 counts only if the
    # person has a new job by 11月5日
    tables = met_only_on(calm(left_on=D(2026, 10, 5)), D(2026, 10, 25))
    bill = bill_of(tables)
    assert (bill.status, codes(bill)) == (TO_CHECK, ["job_change_pending"])
    assert bill.reasons[0].message.startswith("離職日（10月5日）の後の対面の支援です。11月5日までに再就職していれば")
    assert [c.user_id for c in rules.agenda(make_book(tables), MONTH + 1).cases] == ["U001"]   # until 11月5日
    assert rules.agenda(make_book(tables), MONTH + 2).cases == []
    # met before leaving: the month of leaving is billable as it is
    assert bill_of(met_only_on(calm(left_on=D(2026, 10, 5)), D(2026, 10, 3))).status == BILLABLE


def test_a_job_change_counts_as_continuous_employment_for_the_retention_rate():
    people = [user("A", hired_on=D(2023, 1, 10), left_on=D(2026, 3, 10), rehired_on=D(2026, 4, 1)),
              user("B", hired_on=D(2023, 1, 10), left_on=D(2026, 3, 10), status="離職")]
    result = retention.of_fiscal_year(make_book({"users": people}), 2026, today=TODAY)
    assert (result.denominator_users, result.numerator_users) == (["A", "B"], ["A"])


# --- leave -------------------------------------------------------------------------------------------

def test_a_month_wholly_on_leave_is_to_check():
    tables = calm()
    tables["attendance"][-1].update(worked_days=0, on_leave="はい")
    bill = bill_of(tables)
    assert (bill.status, codes(bill)) == (TO_CHECK, ["on_leave"])
    assert bill.units == TOP


# --- face to face --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, party, online_counts, status", [
    ("職場訪問", "本人・企業", None, BILLABLE),
    ("職場訪問", "企業", None, NOT_BILLABLE),           # the employer alone
    ("電話", "本人", None, NOT_BILLABLE),
    ("オンライン", "本人", None, NOT_BILLABLE),
    ("オンライン", "本人", "はい", BILLABLE),             # where the 指定権者 allowed it in writing
])
def test_only_a_face_to_face_meeting_with_the_person_makes_the_month(method, party, online_counts, status):
    tables = met_only_on(calm(), D(2026, 10, 12), method=method, party=party)
    settings = {"online_counts": online_counts} if online_counts else None
    bill = bill_of(tables, settings=settings)
    assert bill.status == status
    if status == NOT_BILLABLE:
        assert codes(bill) == ["no_face_to_face"]


def test_the_agenda_flag_and_the_fee_check_read_the_same_meeting():
    tables = met_only_on(calm(status="離職", left_on=D(2026, 10, 15)), D(2026, 10, 16))
    flag = next(f for f in rules.agenda(make_book(tables), MONTH).case("U001").flags if f.code == "no_face_to_face")
    assert flag.message == bill_of(tables).reasons[0].message


# --- the 支援レポート to 本人, and to the employer with consent ------------------------------------------

@pytest.mark.parametrize("consent, recipient, status", [
    ("はい", "本人", TO_CHECK), ("はい", "本人・企業", BILLABLE), ("いいえ", "本人", BILLABLE),
    ("いいえ", "企業", NOT_BILLABLE)])
def test_the_report_reaches_the_person_and_with_consent_the_employer(consent, recipient, status):
    tables = calm(employer_consent=consent)
    tables["reports"][0]["recipient"] = recipient
    bill = bill_of(tables)
    assert bill.status == status
    if status == TO_CHECK:
        assert codes(bill) == ["report_employer_missing"]


def test_a_billable_month_names_what_it_rests_on():
    assert bill_of(calm()).evidence == ["対面: 10月10日の対面（本人）", "支援レポート: 本人 10月31日",
                                        "個別支援計画: 2026年9月1日 作成"]
    tables = signed(calm(employer_consent="はい"), D(2026, 9, 5), D(2026, 9, 6))
    tables["reports"][0]["recipient"] = "本人・企業"
    assert bill_of(tables).evidence == ["対面: 10月10日の対面（本人）", "支援レポート: 本人 10月31日", "支援レポート: 企業 10月31日",
                                        "個別支援計画: 2026年9月1日 作成、同意 2026年9月5日、交付 2026年9月6日"]


def test_a_report_sent_after_the_month_counts_for_it():
    tables = calm()
    tables["reports"][0]["sent_on"] = D(2026, 11, 9)
    assert bill_of(tables).status == BILLABLE


# --- the plan in force -----------------------------------------------------------------------------------

def signed(tables, consent_on, delivered_on) -> dict:
    tables["plans"][0].update(consent_on=consent_on, delivered_on=delivered_on)
    return tables


@pytest.mark.parametrize("delivered_on, status, reduced", [
    (D(2026, 9, 6), BILLABLE, False),
    (None, TO_CHECK, False),                 # consented, 交付日 blank: to check, not reduced
    (D(2026, 11, 2), BILLABLE, True),        # handed over after October: not October's plan
])
def test_a_plan_is_in_force_once_agreed_and_handed_over(delivered_on, status, reduced):
    bill = bill_of(signed(calm(), D(2026, 9, 5), delivered_on))
    assert bill.status == status and bool(bill.reductions) is reduced
    if status == TO_CHECK:
        assert codes(bill) == ["plan_not_delivered"]
        assert bill.reasons[0].message == ("個別支援計画（2026年9月1日 作成、同意 2026年9月5日）の交付日が空欄です。"
                                           "交付していなければ個別支援計画未作成減算の対象です")


def test_a_new_plan_waiting_for_consent_leaves_the_agreed_one_in_force():
    tables = signed(calm(), D(2026, 9, 5), D(2026, 9, 5))           # due 12月5日
    tables["plans"].append(dict(tables["plans"][0], plan_date=D(2026, 10, 20), consent_on=None, delivered_on=None))
    assert bill_of(tables).reductions == []
    state = rules.agenda(make_book(tables), MONTH).case("U001")
    assert "plan_missing" not in state.codes


def test_a_review_interval_over_three_months_is_a_warning_and_read_as_three():
    book = casebook_from_records(calm(), settings={"plan_review_months": 6}, today=TODAY)
    (warning,) = [p for p in book.problems if p.code == "fee_rule"]
    assert (warning.sheet, warning.severity) == ("設定", "warning")
    assert "6か月は長すぎます" in warning.message and book.settings.review_months == 3


# --- reductions one at a time, additions unreduced, 処遇改善加算 last ------------------------------

def test_two_reductions_and_additions_worked_out_by_hand():
    # the filed tier 90%以上95%未満: 3,348 units.  The plan lapsed 8月2日 (due 8月1日): October is
    # its 3rd month, 50 %; the office has no handover policy: 10 %.  A 地域連携会議 (I) 579 units,
    # then 処遇改善加算 (I) 10.3 %.
    tables = calm()
    tables["plans"][0]["plan_date"] = D(2026, 5, 1)
    regional = pd.DataFrame({"user_id": ["U001"], "month": [MONTH], "held_on": pd.to_datetime([D(2026, 10, 20)]),
                             "presenter": ["河野 聡"]})
    settings = {"filed_tier": "90%以上95%未満", "handover_policy": "いいえ", "service_manager": "河野 聡",
                "treatment_class": "I", "treatment_rate": 10.3, "unit_price": 11.2}
    bill = bill_of(tables, settings=settings, regional=regional)
    assert bill.base_units == 3348
    assert [(r.code, r.rate, r.units) for r in bill.reductions] == [
        ("plan_missing", 0.5, 1674),              # 3,348 × 0.5 = 1,674
        ("handover_missing", 0.1, 167)]           # 1,674 × 0.9 = 1,506.6 → 1,507 (not 3,348 − 1,674 − 335)
    assert [(a.code, a.units) for a in bill.additions] == [
        ("regional_meeting", 579),                # 1,507 + 579 = 2,086
        ("treatment_improvement", 215)]           # 2,086 × 10.3 % = 214.858 → 215
    assert bill.units == 2301
    assert bill.yen == 25771                      # 2,301 × 11.2円 = 25,771.2 → 25,771円


@pytest.mark.parametrize("first, last, month_number, factor", [
    ("2026-06", None, 5, 0.5), ("2026-07", None, 4, 0.7), ("2026-07", "2026-09", 0, None)])
def test_the_service_manager_missing_reduction_from_its_months(first, last, month_number, factor):
    settings = {"manager_missing_from": first} | ({"manager_missing_to": last} if last else {})
    bill = bill_of(calm(), settings={k: pd.Period(v, "M") for k, v in settings.items()})
    if factor is None:
        assert bill.reductions == []
        return
    (reduction,) = bill.reductions
    assert reduction.code == "manager_missing" and f"から{month_number}か月目" in reduction.message
    assert bill.units == round(TOP * factor)


@pytest.mark.parametrize("first, factor", [("2026-09", 0.7), ("2026-08", 0.5)])
def test_the_staff_shortage_reduction_is_50_percent_from_its_third_month(first, factor):
    bill = bill_of(calm(), settings={"staff_shortage_from": pd.Period(first, "M")})
    assert [r.code for r in bill.reductions] == ["staff_shortage"] and bill.units == round(TOP * factor)


@pytest.mark.parametrize("code, units", [
    ("abuse_prevention_missing", 3477),      # 3,512 × 0.99 = 3,476.88 → 3,477
    ("continuity_plan_missing", 3477),
    ("information_unpublished", 3336),       # 3,512 × 0.95 = 3,336.4 → 3,336
])
def test_an_office_reduction_set_in_the_settings_reduces_everyone_billed(code, units):
    settings = {f"{code}_from": pd.Period("2026-10", "M")}
    result = billing.month_billing(make_book(combine(calm("U001"), calm("U002")), settings=settings), MONTH,
                                   today=TODAY)
    assert [(p.units, [r.code for r in p.reductions]) for p in result.people] == [(units, [code])] * 2
    assert result.totals["reductions"] == {code: 2 * (TOP - units)}


@pytest.mark.parametrize("together, expected", [("大きい方のみ", ["manager_missing"]),
                                                ("両方", ["manager_missing", "plan_missing"])])
def test_plan_missing_and_the_service_manager_missing_in_one_month(together, expected):
    tables = calm()
    tables["plans"][0]["plan_date"] = D(2026, 6, 30)                   # plan_missing: 30 %
    settings = {"manager_missing_from": pd.Period("2026-06", "M"), "plan_and_manager": together}   # 50 %
    bill = bill_of(tables, settings=settings)
    assert [r.code for r in bill.reductions] == expected
    if together == "大きい方のみ":
        assert bill.units == round(TOP * 0.5)
        assert bill.reductions[0].message.endswith("（個別支援計画未作成減算と重なるため、減る単位数の大きい方だけ）")
    else:
        assert bill.units == round(round(TOP * 0.5) * 0.7)            # 1,756 × 0.7 = 1,229.2 → 1,229


# --- the additions ---------------------------------------------------------------------------------------

def test_the_special_area_addition_needs_a_visit_at_home_or_at_work_in_the_area():
    tables = calm(remote_home="はい")
    unknown = bill_of(tables)                                 # met at 対面 and a 職場訪問: not at home
    assert unknown.additions == []
    assert unknown.not_counted[0].message == "特別地域加算: 2026年10月は本人との自宅訪問の記録がないため算定しません"
    tables["contacts"][-2]["method"] = "自宅訪問"             # the 10月10日 meeting, at home
    home = bill_of(tables)
    assert (home.status, [(a.code, a.units, a.message) for a in home.additions]) == (
        BILLABLE, [("special_area", 240, "特別地域加算: 10月10日の自宅訪問")])
    work = bill_of(calm(remote_workplace="はい"))                 # the 職場訪問 of 10月25日
    assert [(a.code, a.units) for a in work.additions] == [("special_area", 240)]


def test_the_initial_addition_once_in_the_month_the_support_starts():
    tables = calm(support_start=D(2026, 10, 1), from_other_office="はい")
    tables["plans"][0].update(plan_date=D(2026, 10, 5))
    october = bill_of(tables)
    assert [(a.code, a.units) for a in october.additions] == [("initial", 900)]
    november = bill_of(combine(tables, {"contacts": [contact("U001", D(2026, 11, 10))],
                                        "reports": [{"user_id": "U001", "month": "2026-11", "sent_on": D(2026, 11, 30),
                                                     "recipient": "本人"}]}), month=MONTH + 1, today=D(2026, 12, 1))
    assert [a.code for a in november.additions] == []


def test_the_cap_management_and_job_coach_additions():
    bill = bill_of(calm(cap_management="はい"), settings={"job_coach_filed": "はい"})
    assert [(a.code, a.units) for a in bill.additions] == [("job_coach", 120), ("cap_management", 150)]
    assert bill.units == TOP + 270


def test_a_treatment_improvement_class_without_its_rate_is_an_error_and_adds_nothing():
    book = casebook_from_records(calm(), settings={"treatment_class": "I"}, today=TODAY)
    (error,) = [p for p in book.problems if p.code == "inconsistent"]
    assert error.message == ("設定: 「処遇改善加算の区分」があるのに「処遇改善加算の率（%）」が空欄です"
                             "（処遇改善加算は両方がそろったときだけ算定します）")
    result = billing.month_billing(book, MONTH, today=TODAY)
    assert result.people[0].units == TOP and any("処遇改善加算の率が空欄のため" in n for n in result.office_notes)


# --- the tier billed --------------------------------------------------------------------------------

def test_the_filed_tier_is_billed_and_a_higher_tier_than_the_evidence_is_told_in_yen():
    # FY 2026: U001 in support and F01 whose support ended with no 就労確認: 2 of 2 counted as
    # employed (95%以上), 1 of 2 on evidence (50%以上70%未満: 1,690)
    ended = user("F01", hired_on=D(2022, 1, 10), status="支援終了", support_end=D(2025, 7, 9))
    result = billing.month_billing(make_book(combine(calm(), {"users": [ended]}),
                                             settings={"filed_tier": "90%以上95%未満"}), MONTH, today=TODAY)
    (person,) = result.people
    assert (result.tier, result.tier_source, person.base_units) == ("90%以上95%未満", "届出", 3348)
    (note,) = [n for n in result.office_notes if n.startswith("算定している区分")]
    # (3,348 − 1,690) units × 10円 × 1 person a month (the average of the months with anyone) × 12
    assert note.startswith("算定している区分（90%以上95%未満、3,348単位）は、就労が確かめられた人だけで数えた区分"
                           "（50%以上70%未満、1,690単位）より高く、差は年間およそ 198,960円です。")
    assert "（F01）" in note


def test_a_newly_designated_office_bills_its_filed_tier_and_without_one_cannot_tell():
    settings = {"designated_on": D(2025, 4, 1)}
    (person,) = billing.month_billing(make_book(calm(), settings=settings), MONTH, today=TODAY).people
    assert (person.status, codes(person)) == (TO_CHECK, ["tier_unknown"])
    filed = billing.month_billing(make_book(calm(), settings=settings | {"filed_tier": "70%以上80%未満"}), MONTH,
                                  today=TODAY)
    assert (filed.people[0].status, filed.people[0].units) == (BILLABLE, 2234)


def test_the_retention_window_counts_a_use_that_ended_early_by_its_end():
    # 利用終了日 2023年3月1日: the use ended before FY 2026's window (from 2023年4月1日)
    early = user("E01", hired_on=D(2022, 1, 10), status="支援終了", service_end=D(2023, 3, 1))
    result = retention.of_fiscal_year(make_book({"users": [early, user("U001")]}), 2026, today=TODAY)
    assert result.denominator_users == ["U001"]


# --- the workbook's settings -------------------------------------------------------------------------

def test_office_reduction_months_are_read_and_checked():
    book = casebook_from_records(calm(), settings={"manager_missing_from": "2026-07", "manager_missing_to": "2026-05",
                                                   "handover_missing_from": "なし", "information_unpublished_from": "七月"},
                                 today=TODAY)
    assert book.settings.handover_missing_from == "なし"
    assert book.settings.manager_missing_from == pd.Period("2026-07", "M")
    messages = sorted(p.message for p in book.problems)
    assert any("「情報公表未報告減算の開始月」: 「七月」は年月として読めません" in m for m in messages)
    assert "設定: 「サービス管理責任者欠如減算」の終了月 2026年5月 が開始月 2026年7月 より前です" in messages


def test_a_rehiring_more_than_a_month_after_leaving_is_a_warning():
    tables = calm(status="離職", left_on=D(2026, 9, 5), rehired_on=D(2026, 10, 6))
    (warning,) = [p for p in casebook_from_records(tables, today=TODAY).problems if p.code == "fee_rule"]
    assert warning.message.endswith("再就職日 2026年10月6日 が離職日 2026年9月5日 から1か月を超えているため、"
                                    "転職（就労の継続）とはみなしません")


def test_a_month_later_is_the_corresponding_day_or_the_next_first_or_the_last_day():
    days = pd.Series(pd.to_datetime([D(2026, 1, 31), D(2026, 1, 15)]))
    assert list(periods.months_later(days, 1, missing=periods.LAST_DAY).dt.date) == [D(2026, 2, 28), D(2026, 2, 15)]
    assert list(periods.months_later(days, 1, missing=periods.NEXT_FIRST).dt.date) == [D(2026, 3, 1), D(2026, 2, 15)]
