"""The monthly review rules (docs/review-rules.md) on small hand-made cases.

Every flag has a case that raises it and a near miss on each side of its threshold.
The month under review is October 2026 (m0 = 10月1日, m1 = 10月31日) unless said otherwise;
``calm()`` is one user whose records raise nothing that month, and each test changes
one thing.  All people are synthetic.
"""

from __future__ import annotations

import datetime as dt
import importlib.util

import pandas as pd
import pytest

from teichaku_nb import retention, rules
from teichaku_nb.rules import ACTION, STABLE, WATCH

from helpers_rules import MONTH, attendance, calm, combine, contact, make_book, user, without

D = dt.date


def review(tables, month=MONTH, *, settings=None, **extra) -> rules.MonthReview:
    return rules.agenda(make_book(tables, settings=settings), month, **extra)


def codes(tables, user_id="U001", **kwargs) -> list[str]:
    return review(tables, **kwargs).case(user_id).codes


def message(tables, code, user_id="U001", **kwargs) -> str:
    case = review(tables, **kwargs).case(user_id)
    return next(f.message for f in case.flags if f.code == code)


def with_contacts(tables, *records, keep_before=None):
    """``tables`` with October's contacts replaced (or all from ``keep_before`` on)."""
    cut = pd.Timestamp(keep_before or D(2026, 10, 1))
    tables = dict(tables)
    tables["contacts"] = [c for c in tables["contacts"] if pd.Timestamp(c["date"]) < cut] + list(records)
    return tables


def with_attendance(tables, *records):
    months = {r["month"] for r in records}
    tables = dict(tables)
    tables["attendance"] = [r for r in tables["attendance"] if r["month"] not in months] + list(records)
    return tables


def test_the_calm_case_raises_nothing_and_is_stable():
    case = review(calm()).case("U001")
    assert case.flags == [] and case.level == STABLE


def test_the_flag_table_is_defined_once_with_levels():
    assert [k.code for k in rules.FLAG_KINDS][:5] == [
        "no_face_to_face", "certificate_expired", "high_absence", "low_condition_score", "plan_missing"]
    assert {k.level for k in rules.FLAG_KINDS[:5]} == {ACTION}
    assert {k.level for k in rules.FLAG_KINDS[5:]} == {WATCH}
    assert "support_ending" not in rules.FLAGS and "handover_due" in rules.FLAGS
    assert len(rules.FLAGS) == 14


# --- who is on the agenda -----------------------------------------------------------------------

@pytest.mark.parametrize("changes, on_agenda", [
    ({}, True),
    ({"support_start": D(2026, 10, 31)}, True),                   # starts on m1
    ({"support_start": D(2026, 11, 1)}, False),                   # starts next month
    ({"support_end": D(2026, 10, 1)}, True),                      # ends on m0
    ({"support_end": D(2026, 9, 30)}, False),                     # ended before M
    ({"status": "離職", "left_on": D(2026, 10, 1)}, True),         # left during M (on m0)
    ({"status": "離職", "left_on": D(2026, 9, 30)}, False),        # left before m0
    ({"status": "離職"}, False),                                   # 離職 without a date: treated as left
    ({"status": "支援終了"}, True),                                 # the rule reads dates, not this status
])
def test_agenda_lists_users_in_service_in_the_month(changes, on_agenda):
    ids = [c.user_id for c in review(calm(**changes)).cases]
    assert ids == (["U001"] if on_agenda else [])


def test_agenda_lists_users_starting_next_month_apart():
    tables = combine(calm("U001"), calm("U002", support_start=D(2026, 11, 1)),
                     calm("U003", support_start=D(2026, 11, 30)), calm("U004", support_start=D(2026, 12, 1)),
                     calm("U005", support_start=D(2026, 11, 15), status="離職", left_on=D(2026, 10, 20)))
    result = review(tables)
    assert [c.user_id for c in result.cases] == ["U001"]
    assert result.starting_next_month == ["U002", "U003"]


# --- 要対応 flags --------------------------------------------------------------------------------

def test_no_face_to_face_raised_when_october_has_only_calls():
    tables = with_contacts(calm(), contact("U001", D(2026, 10, 10), "電話", "本人", score=4),
                           contact("U001", D(2026, 10, 25), "職場訪問", "企業"))
    assert "no_face_to_face" in codes(tables)
    assert message(tables, "no_face_to_face") == ("10月は本人との対面の支援がありません（本人とは電話だけです。"
                                                  "10月25日の職場訪問の相手は企業です。最後の対面: 9月25日）。"
                                                  "対面の支援がない月は算定できません")


@pytest.mark.parametrize("date, method, party, raised", [
    (D(2026, 10, 1), "対面", "本人", False),           # on m0
    (D(2026, 10, 31), "職場訪問", "本人・企業", False),  # on m1, a visit with 本人 and the employer
    (D(2026, 9, 30), "対面", "本人", True),            # the day before m0
    (D(2026, 11, 1), "対面", "本人", True),            # the day after m1
    (D(2026, 10, 15), "対面", "家族", True),           # face to face, but not with 本人
    (D(2026, 10, 15), "オンライン", "本人", True),      # with 本人, but not face to face
])
def test_no_face_to_face_counts_only_face_to_face_with_the_user_inside_the_month(date, method, party, raised):
    tables = with_contacts(calm(), contact("U001", date, method, party), keep_before=D(2026, 9, 1))
    assert ("no_face_to_face" in codes(tables)) is raised


def test_no_face_to_face_says_when_there_was_never_one():
    tables = calm()
    tables["contacts"] = [contact("U001", D(2026, 10, 5), "電話", "本人")]
    assert message(tables, "no_face_to_face") == ("10月は本人との対面の支援がありません（本人とは電話だけです。"
                                                  "対面の記録がありません）。対面の支援がない月は算定できません")


def test_no_face_to_face_names_the_year_when_it_differs():
    tables = calm()
    tables["contacts"] = [contact("U001", D(2025, 12, 20), "対面", "本人"),
                          contact("U001", D(2026, 10, 5), "電話", "本人")]
    assert "最後の対面: 2025年12月20日" in message(tables, "no_face_to_face")


@pytest.mark.parametrize("until, expired, expiring", [
    (D(2026, 9, 30), True, False),     # the day before m0
    (D(2026, 10, 1), False, True),     # on m0: still valid, but expiring
    (None, False, False),              # no date: nothing to say
])
def test_certificate_expired_when_validity_ends_before_m0(until, expired, expiring):
    got = codes(calm(certificate_until=until))
    assert ("certificate_expired" in got) is expired
    assert ("certificate_expiring" in got) is expiring


def test_certificate_expired_message_gives_the_date():
    assert message(calm(certificate_until=D(2026, 9, 30)), "certificate_expired") == \
        "受給者証の有効期限（2026年9月30日）が切れています"


@pytest.mark.parametrize("start, raised", [
    (D(2026, 10, 31), False),   # the decision starts on m1: October is covered
    (D(2026, 11, 1), True),     # starts after M
])
def test_certificate_expired_when_the_decision_starts_after_the_month(start, raised):
    got = codes(calm(decision_start=start))
    assert ("certificate_expired" in got) is raised
    if raised:
        assert message(calm(decision_start=start), "certificate_expired") == "支給決定の開始（2026年11月1日）が10月の後です"


@pytest.mark.parametrize("scheduled, absent, raised", [
    (20, 4, True),      # 0.20 exactly
    (21, 4, False),     # 0.19
    (15, 3, True),      # 0.20 again (a float that must compare equal)
    (0, 0, False),      # no scheduled days: no rate
])
def test_high_absence_at_twenty_percent(scheduled, absent, raised):
    tables = with_attendance(calm(), attendance("U001", "2026-10", scheduled=scheduled, absent=absent))
    assert ("high_absence" in codes(tables)) is raised


def test_high_absence_message_gives_rate_and_days():
    tables = with_attendance(calm(), attendance("U001", "2026-10", scheduled=20, absent=5))
    assert message(tables, "high_absence") == "欠勤率 25%（所定20日・欠勤5日）"


def test_high_absence_needs_the_month_row():
    tables = without(calm(), "attendance", month="2026-10")
    assert "high_absence" not in codes(tables)


@pytest.mark.parametrize("health, raised", [(2, True), (3, False), (1, True)])
def test_low_condition_score_at_two_or_below(health, raised):
    tables = with_contacts(calm(), contact("U001", D(2026, 10, 10), "対面", "本人", score=4, health=health),
                           contact("U001", D(2026, 10, 25), "職場訪問", "本人・企業"))
    assert ("low_condition_score" in codes(tables)) is raised


def test_low_condition_score_names_the_axes_and_the_contact():
    tables = with_contacts(calm(), contact("U001", D(2026, 10, 18), "対面", "本人", score=4, health=2, sleep=1),
                           contact("U001", D(2026, 10, 25), "職場訪問", "本人・企業"))
    assert message(tables, "low_condition_score") == "体調 2・睡眠 1（10月18日の面談）"


def test_low_condition_score_reads_only_the_latest_scored_contact_with_the_user():
    earlier_low = with_contacts(calm(), contact("U001", D(2026, 10, 5), "対面", "本人", score=1),
                                contact("U001", D(2026, 10, 20), "電話", "本人", score=4),
                                contact("U001", D(2026, 10, 25), "職場訪問", "本人・企業"))
    assert "low_condition_score" not in codes(earlier_low)
    # a later contact without scores (the visit on 25th) does not hide a low score
    latest_low = with_contacts(calm(), contact("U001", D(2026, 10, 20), "電話", "本人", score=4, mood=2),
                               contact("U001", D(2026, 10, 25), "職場訪問", "本人・企業"))
    assert message(latest_low, "low_condition_score") == "気分 2（10月20日の電話）"
    # scores written down at a contact with the employer are not the user's own rating
    employer = with_contacts(calm(), contact("U001", D(2026, 10, 10), "対面", "本人", score=4),
                             contact("U001", D(2026, 10, 25), "職場訪問", "企業", score=1))
    assert "low_condition_score" not in codes(employer)
    # a low score last month is not this month's
    last_month = with_contacts(calm(), contact("U001", D(2026, 9, 28), "対面", "本人", score=1),
                               contact("U001", D(2026, 10, 25), "職場訪問", "本人・企業"),
                               keep_before=D(2026, 9, 26))
    assert "low_condition_score" not in codes(last_month)


# --- 注意 flags --------------------------------------------------------------------------------

def test_report_not_shared_when_no_report_for_the_month():
    assert message(without(calm(), "reports"), "report_not_shared") == \
        "10月の支援レポートを本人に渡した記録がないと、この月は算定できません"
    september_only = calm()
    september_only["reports"][0]["month"] = "2026-09"
    assert "report_not_shared" in codes(september_only)
    assert "report_not_shared" not in codes(calm())


@pytest.mark.parametrize("month", ["2026-10", pd.Period("2026-10", "M"), pd.Timestamp("2026-10-31")])
def test_report_not_shared_also_reads_reports_recorded_in_the_store(month):
    store = pd.DataFrame({"user_id": ["U001"], "month": [month], "recipient": ["本人・企業"]})
    assert "report_not_shared" not in codes(without(calm(), "reports"), shared_reports=store)
    other = pd.DataFrame({"user_id": ["U001"], "month": ["2026-09"], "recipient": ["本人"]})
    assert "report_not_shared" in codes(without(calm(), "reports"), shared_reports=other)


@pytest.mark.parametrize("party, raised", [("企業", False), ("本人・企業", False), ("本人", True), ("家族", True)])
def test_no_employer_contact_needs_a_contact_with_the_employer_in_the_month(party, raised):
    tables = with_contacts(calm(), contact("U001", D(2026, 10, 10), "対面", "本人", score=4),
                           contact("U001", D(2026, 10, 25), "電話", party))
    assert ("no_employer_contact" in codes(tables)) is raised


def test_no_employer_contact_cites_the_last_one():
    tables = with_contacts(calm(), contact("U001", D(2026, 10, 10), "対面", "本人", score=4))
    assert message(tables, "no_employer_contact") == "10月は企業との連絡の記録がありません（最後: 9月25日）"


@pytest.mark.parametrize("recipient, raised", [("本人", False), ("本人・企業", False), ("企業", True)])
def test_report_not_shared_needs_the_report_to_reach_the_person(recipient, raised):
    tables = calm()
    tables["reports"][0]["recipient"] = recipient
    assert ("report_not_shared" in codes(tables)) is raised
    if raised:
        assert message(tables, "report_not_shared") == \
            "10月の支援レポートを企業にだけ渡した記録です。本人に渡した記録がないと、この月は算定できません"


@pytest.mark.parametrize("plan_date, code", [
    (D(2026, 6, 30), "plan_missing"),       # review due 9月30日: the lapse begins 10月1日
    (D(2026, 7, 1), "plan_missing"),        # due 10月1日 (the 1st): the lapse begins 10月2日, in October
    (D(2026, 7, 31), "plan_review_due"),    # due 10月31日 (the last day): the lapse would begin in November
    (D(2026, 8, 31), "plan_review_due"),    # due 11月30日 = the end of M+1
    (D(2026, 9, 1), None),                  # due 12月1日
    (D(2026, 11, 5), "plan_missing"),       # made after M: no plan yet in October
])
def test_plan_review_due_by_the_end_of_next_month_and_plan_missing_once_overdue(plan_date, code):
    tables = calm()
    tables["plans"][0]["plan_date"] = plan_date
    got = {"plan_missing", "plan_review_due"} & set(codes(tables))
    assert got == ({code} if code else set())


def test_plan_review_due_reads_the_latest_plan_and_names_it():
    tables = calm()
    tables["plans"] = [dict(tables["plans"][0], plan_date=D(2026, 4, 1)),
                       dict(tables["plans"][0], plan_date=D(2026, 8, 1))]
    assert message(tables, "plan_review_due") == \
        "個別支援計画の見直しが近づいています（前回の見直し 2026年8月1日、見直しの期限 2026年11月1日）"


def test_plan_missing_when_there_is_no_plan_names_the_reduction():
    tables = without(calm(support_start=D(2026, 10, 1)), "plans")
    case = review(tables).case("U001")
    assert case.level == ACTION and "plan_review_due" not in case.codes
    assert message(tables, "plan_missing") == ("2026年10月1日（支援の開始）から、同意を得た個別支援計画がありません。"
                                               "個別支援計画未作成減算（1か月目・30%減算）の対象です")


def test_plan_review_due_follows_a_shorter_interval_and_never_one_longer_than_three_months():
    tables = calm()
    tables["plans"][0]["plan_date"] = D(2026, 8, 1)             # due 11月1日 in 3 months
    assert "plan_review_due" in codes(tables)
    assert "plan_review_due" in codes(tables, settings={"plan_review_months": 6})     # read as 3
    tables["plans"][0]["plan_date"] = D(2026, 9, 5)             # due 11月5日 in 2 months, 12月5日 in 3
    assert "plan_review_due" in codes(tables, settings={"plan_review_months": 2})
    assert "plan_review_due" not in codes(tables)
    tables["plans"][0]["plan_date"] = D(2026, 5, 30)            # 6 months would hide the lapse of 8月31日
    assert "plan_missing" in codes(tables, settings={"plan_review_months": 6})


@pytest.mark.parametrize("until, raised", [
    (D(2026, 11, 29), True),    # the day before the last day of M+1
    (D(2026, 11, 30), False),   # the last day of M+1
    (D(2026, 10, 31), True),
    (D(2026, 9, 30), False),    # already expired (that is the other flag)
])
def test_certificate_expiring_before_the_last_day_of_next_month(until, raised):
    assert ("certificate_expiring" in codes(calm(certificate_until=until))) is raised


def test_certificate_expiring_message_gives_the_date():
    assert message(calm(certificate_until=D(2026, 11, 29)), "certificate_expiring") == \
        "受給者証の有効期限が近づいています（2026年11月29日）"


@pytest.mark.parametrize("end, level", [
    (D(2027, 4, 30), WATCH),    # the end of M+6: watched
    (D(2027, 5, 1), None),      # later: not yet
    (D(2027, 2, 28), ACTION),   # deadline 11月28日, by the end of M+1: act now
    (D(2027, 3, 1), WATCH),     # deadline 12月1日
])
def test_handover_due_six_months_ahead_and_urgent_a_month_before_the_deadline(end, level):
    case = review(calm(support_end=end, needs_continuing="はい")).case("U001")
    flag = next((f for f in case.flags if f.code == "handover_due"), None)
    assert (flag.level if flag else None) == level


def test_handover_due_lists_what_is_missing_and_stops_when_done():
    tables = calm(support_end=D(2027, 1, 15), needs_continuing="はい", handover_consent_on=D(2026, 9, 1))
    assert message(tables, "handover_due") == ("支援終了予定日は 2027年1月15日、引継ぎの期限は 2026年10月15日 です。"
                                               "まだ済んでいないこと: 企業との引継ぎ・関係機関・医療機関との引継ぎ。"
                                               "期限を過ぎています（事業所の支援体制構築未実施減算の対象になりえます）")
    tables["contacts"] += [dict(contact("U001", D(2026, 9, 20), "対面", "企業"), kind="引継ぎ"),
                           dict(contact("U001", D(2026, 10, 20), "電話", "関係機関"), kind="引継ぎ")]
    assert "handover_due" not in codes(tables)


def test_handover_due_asks_for_the_judgement_and_is_quiet_when_no_support_is_needed():
    blank = calm(support_end=D(2027, 3, 31))
    assert message(blank, "handover_due").endswith("要継続支援（支援期間の後も支援が要るか）の判断が記録されていません。")
    assert "handover_due" not in codes(calm(support_end=D(2027, 3, 31), needs_continuing="いいえ"))


def test_support_ending_is_retired():
    assert "support_ending" not in codes(calm(support_end=D(2026, 11, 15), needs_continuing="いいえ"))


@pytest.mark.parametrize("last, raised", [
    (D(2026, 9, 30), True),     # 31 days before m1
    (D(2026, 10, 1), False),    # 30 days before m1
])
def test_contact_gap_more_than_thirty_days(last, raised):
    tables = with_contacts(calm(), contact("U001", last, "電話", "本人"), keep_before=D(2026, 9, 26))
    assert ("contact_gap" in codes(tables)) is raised


def test_contact_gap_counts_only_contacts_with_the_user_up_to_m1():
    tables = with_contacts(calm(), contact("U001", D(2026, 9, 20), "電話", "本人"),
                           contact("U001", D(2026, 10, 20), "電話", "企業"),
                           contact("U001", D(2026, 11, 2), "対面", "本人"), keep_before=D(2026, 9, 1))
    assert message(tables, "contact_gap") == "本人との接触が41日ありません（最後: 9月20日、目安 30日）"


def test_contact_gap_when_there_is_no_contact_at_all():
    tables = calm()
    tables["contacts"] = []
    assert message(tables, "contact_gap") == "本人との接触の記録がありません"


@pytest.mark.parametrize("last, raised", [(D(2026, 9, 1), False), (D(2026, 8, 31), True)])
def test_contact_gap_follows_the_setting_in_days(last, raised):
    tables = with_contacts(calm(), contact("U001", last, "電話", "本人"), keep_before=D(2026, 8, 1))
    assert "contact_gap" in codes(tables)          # default 30 days
    assert ("contact_gap" in codes(tables, settings={"contact_gap_days": 60})) is raised


@pytest.mark.parametrize("absent, raised", [
    (2, True),      # 0% → 10%: up by 0.10
    (1, False),     # 0% → 5%
])
def test_attendance_worsening_when_absence_rises_ten_points(absent, raised):
    tables = with_attendance(calm(), attendance("U001", "2026-10", scheduled=20, absent=absent))
    assert ("attendance_worsening" in codes(tables)) is raised


def test_attendance_worsening_near_miss_of_nine_points():
    tables = with_attendance(calm(), attendance("U001", "2026-10", scheduled=22, absent=2))   # 9.1%
    assert "attendance_worsening" not in codes(tables)


def test_attendance_worsening_a_rise_of_exactly_ten_points_between_floats():
    tables = calm()
    tables["attendance"] = [attendance("U001", f"2026-{m:02d}", scheduled=20, absent=4) for m in (7, 8, 9)] + \
        [attendance("U001", "2026-10", scheduled=20, absent=6)]          # 20% → 30%
    assert message(tables, "attendance_worsening") == "欠勤率 30%（前3か月平均 20%）"


@pytest.mark.parametrize("late, left_early, raised", [(2, 2, True), (2, 1, False)])
def test_attendance_worsening_when_late_and_early_rise_by_three(late, left_early, raised):
    tables = calm()
    tables["attendance"] = [attendance("U001", f"2026-{m:02d}", late=1) for m in (7, 8, 9)] + \
        [attendance("U001", "2026-10", late=late, left_early=left_early)]
    assert ("attendance_worsening" in codes(tables)) is raised


def test_attendance_worsening_message_names_both_measures():
    tables = calm()
    tables["attendance"] = [attendance("U001", "2026-08", late=1), attendance("U001", "2026-09", late=2),
                            attendance("U001", "2026-10", scheduled=20, absent=3, late=3, left_early=2)]
    assert message(tables, "attendance_worsening") == \
        "欠勤率 15%（前2か月平均 0%）、遅刻・早退 5回（前2か月平均 1.5回）"


def test_attendance_worsening_compares_with_up_to_three_earlier_months_with_rows():
    tables = calm()
    tables["attendance"] = [attendance("U001", f"2026-{m:02d}", absent=10) for m in (4, 5, 6)] + \
        [attendance("U001", f"2026-{m:02d}", absent=0) for m in (7, 8, 9)] + \
        [attendance("U001", "2026-10", absent=2)]
    assert "attendance_worsening" in codes(tables)       # April–June are not in the base
    only_one = calm()
    only_one["attendance"] = [attendance("U001", "2026-03"), attendance("U001", "2026-10", absent=2)]
    assert message(only_one, "attendance_worsening") == "欠勤率 10%（前1か月平均 0%）"
    first = calm()
    first["attendance"] = [attendance("U001", "2026-10", absent=3)]
    assert "attendance_worsening" not in codes(first)    # nothing to compare with


def _scores(before: list[int], now: list[int], axis="health") -> dict:
    tables = calm()
    tables["contacts"] = [contact("U001", D(2026, 7 + i % 3, 1 + i), "対面", "本人", score=4, **{axis: s})
                          for i, s in enumerate(before)]
    tables["contacts"] += [contact("U001", D(2026, 10, 5 + i), "対面", "本人", score=4, **{axis: s})
                           for i, s in enumerate(now)]
    tables["contacts"].append(contact("U001", D(2026, 10, 25), "職場訪問", "本人・企業"))
    return tables


@pytest.mark.parametrize("before, now, raised", [
    ([4, 4, 4], [3], True),                          # 4.0 → 3.0: down 1.0
    ([4] * 9 + [3], [3], False),                     # 3.9 → 3.0: down 0.9
    ([4, 4, 3], [3, 3, 2], True),                    # 3.67 → 2.67: 1.0 between floats
    ([4, 4, 4], [3, 4], False),                      # 4.0 → 3.5
])
def test_condition_declining_by_one_point_on_an_axis(before, now, raised):
    assert ("condition_declining" in codes(_scores(before, now))) is raised


def test_condition_declining_names_the_axes_with_both_means():
    tables = calm()
    tables["contacts"] = [contact("U001", D(2026, m, 10), "対面", "本人", score=4) for m in (7, 8, 9)]
    tables["contacts"] += [contact("U001", D(2026, 10, 10), "対面", "本人", score=4, health=2, sleep=3),
                           contact("U001", D(2026, 10, 24), "電話", "本人", score=4, health=2, sleep=2),
                           contact("U001", D(2026, 10, 25), "職場訪問", "本人・企業")]
    assert message(tables, "condition_declining") == "体調 4.0→2.0、睡眠 4.0→2.5（前3か月→10月の平均）"


def test_condition_declining_uses_only_the_three_months_before_and_contacts_with_the_user():
    tables = calm()
    tables["contacts"] = [contact("U001", D(2026, 6, 30), "対面", "本人", score=5),
                          contact("U001", D(2026, 8, 10), "電話", "企業", score=5),
                          contact("U001", D(2026, 10, 10), "対面", "本人", score=3),
                          contact("U001", D(2026, 10, 25), "職場訪問", "本人・企業")]
    assert "condition_declining" not in codes(tables)      # no base: June is too early, August is the employer
    tables["contacts"].append(contact("U001", D(2026, 7, 1), "対面", "本人", score=5))
    assert "condition_declining" in codes(tables)


def _actions(**changes) -> pd.DataFrame:
    row = {"user_id": "U001", "content": "職場訪問の日程を決める", "due_on": D(2026, 10, 30),
           "status": "対応中", "month": pd.Period("2026-09", "M")}
    return pd.DataFrame([row | changes])


@pytest.mark.parametrize("changes, raised", [
    ({}, True),                                          # 期限 10月30日 < m1
    ({"due_on": D(2026, 10, 31)}, False),                # 期限 = m1: not yet past
    ({"status": "完了"}, False),
    ({"status": "中止"}, False),
    ({"month": pd.Period("2026-10", "M")}, False),       # decided at this month's conference
    ({"user_id": "U999"}, False),                        # not on the agenda
])
def test_overdue_action_from_the_store_past_its_due_date_at_m1(changes, raised):
    assert ("overdue_action" in codes(calm(), open_actions=_actions(**changes))) is raised


def test_overdue_action_message_and_absence_without_a_store():
    assert message(calm(), "overdue_action", open_actions=_actions()) == \
        "期限を過ぎた対応があります: 「職場訪問の日程を決める」（期限 10月30日）"
    minimal = pd.DataFrame({"user_id": ["U001"], "content": ["電話する"], "due_on": [pd.Timestamp("2026-09-01")]})
    assert "overdue_action" in codes(calm(), open_actions=minimal)
    assert "overdue_action" not in codes(calm())


def test_store_frames_with_nullable_strings_and_missing_due_dates_plug_in():
    # the shapes the review store hands over: "string" ids, period[M] months, NaT for no 期限
    actions = pd.DataFrame({
        "action_id": pd.array([1, 2], dtype="Int64"),
        "user_id": pd.array(["U001", "U001"], dtype="string"),
        "month": pd.PeriodIndex(["2026-09", "2026-09"], freq="M"),
        "content": pd.array(["主治医に連絡", "期限なしの確認"], dtype="string"),
        "owner": pd.array(["佐藤", "佐藤"], dtype="string"),
        "due_on": pd.to_datetime(pd.Series([D(2026, 10, 2), None], dtype="object")),
        "status": pd.array(["未着手", "対応中"], dtype="string"),
    })
    reports = pd.DataFrame({"user_id": pd.array(["U001"], dtype="string"),
                            "month": pd.PeriodIndex(["2026-10"], freq="M"),
                            "recipient": pd.array(["本人"], dtype="string")})
    case = review(without(calm(), "reports"), shared_reports=reports, open_actions=actions).case("U001")
    assert case.codes == ["overdue_action"]
    assert case.flags[0].message == "期限を過ぎた対応があります: 「主治医に連絡」（期限 10月2日）"
    empty = actions.iloc[0:0]
    assert review(calm(), open_actions=empty, shared_reports=reports.iloc[0:0]).case("U001").codes == []


# --- level and order ---------------------------------------------------------------------------

def test_case_level_is_the_highest_flag_level():
    assert review(calm(certificate_until=D(2026, 9, 1))).case("U001").level == ACTION
    assert review(without(calm(), "reports")).case("U001").level == WATCH
    assert review(calm()).case("U001").level == STABLE


def test_agenda_sorts_by_level_then_number_of_flags_then_id():
    tables = combine(
        calm("U005"),                                                       # 安定
        without(calm("U004"), "reports"),                                   # 注意 ×1
        without(calm("U002"), "reports"),                                   # 注意 ×1
        without(calm("U003", certificate_until=D(2026, 11, 29)), "reports"),  # 注意 ×2
        calm("U006", certificate_until=D(2026, 9, 30)),                     # 要対応 ×1
        without(calm("U001", certificate_until=D(2026, 9, 30)), "reports"),  # 要対応 + 注意
    )
    result = review(tables)
    assert [(c.user_id, c.level, len(c.flags)) for c in result.cases] == [
        ("U001", ACTION, 2), ("U006", ACTION, 1), ("U003", WATCH, 2),
        ("U002", WATCH, 1), ("U004", WATCH, 1), ("U005", STABLE, 0)]
    assert result.level_counts() == {ACTION: 2, WATCH: 3, STABLE: 1}


def test_flags_of_a_case_follow_the_table_order():
    tables = without(calm(certificate_until=D(2026, 9, 30)), "reports")
    assert codes(tables) == ["certificate_expired", "report_not_shared"]


def test_month_review_as_dict_is_the_cli_contract():
    data = review(without(calm(), "reports")).as_dict()
    assert data == {"month": "2026-10", "office": "テスト事業所", "starting_next_month": [], "cases": [
        {"user_id": "U001", "name": "試験 U001", "staff": "佐藤", "level": WATCH, "flags": [
            {"code": "report_not_shared", "level": WATCH, "message":
             "10月の支援レポートを本人に渡した記録がないと、この月は算定できません"}]}]}


def test_agenda_of_an_office_with_nobody_in_service_is_empty():
    result = review({})
    assert result.cases == [] and result.starting_next_month == []
    assert result.level_counts() == {ACTION: 0, WATCH: 0, STABLE: 0}


def test_the_same_rows_through_the_loader_give_the_same_review():
    from teichaku_nb.workbook import casebook_from_records
    tables = combine(calm("U001"), without(calm("U002", certificate_until=D(2026, 11, 2)), "plans"))
    tables = with_attendance(tables, attendance("U001", "2026-10", absent=5))
    loaded = casebook_from_records(tables, today=D(2026, 11, 26))
    assert loaded.ok, loaded.problems
    assert rules.agenda(loaded, MONTH).as_dict() == rules.agenda(make_book(tables), MONTH).as_dict()


# --- the support period -----------------------------------------------------------------------

@pytest.mark.parametrize("hired, on, month_n", [
    (D(2025, 1, 10), D(2025, 1, 10), 1),
    (D(2025, 1, 10), D(2025, 7, 9), 6),
    (D(2025, 1, 10), D(2025, 7, 10), 7),        # the support starts in month 7
    (D(2025, 1, 31), D(2025, 2, 28), 2),        # a month after 31 January is 28 February
    (D(2025, 1, 31), D(2025, 2, 27), 1),
    (D(2025, 1, 10), D(2028, 7, 9), 42),        # the last day of the default period
])
def test_support_periods_month_n_counts_months_since_hiring(hired, on, month_n):
    periods = rules.support_periods(make_book({"users": [user(hired_on=hired)]}), on)
    assert periods.loc[0, "month_n"] == month_n


def test_support_periods_effective_end_and_months_left():
    book = make_book({"users": [user("U001"), user("U002", status="離職", left_on=D(2026, 12, 1))]})
    periods = rules.support_periods(book, D(2026, 10, 31)).set_index("user_id")
    assert periods.loc["U001", "support_start"] == pd.Timestamp("2025-07-10")
    assert periods.loc["U001", "support_end_effective"] == pd.Timestamp("2028-07-09")
    assert periods.loc["U001", "months_left"] == 21
    assert periods.loc["U002", "support_end_effective"] == pd.Timestamp("2026-12-01")
    assert periods.loc["U002", "months_left"] == 2
    assert bool(periods.loc["U001", "in_support"])


def test_cases_carry_the_support_period():
    case = review(calm()).case("U001")
    assert (case.month_n, case.months_left, case.support_end) == (22, 21, D(2028, 7, 9))


# --- 就労定着率 ---------------------------------------------------------------------------------
# FY 2026: R = 2026年3月31日, window 2023年4月1日 – 2026年3月31日.

RETENTION_USERS = [
    user("A01", hired_on=D(2023, 1, 10)),                                                 # employed
    user("A02", hired_on=D(2023, 1, 10), status="離職", left_on=D(2025, 12, 1)),           # left before R
    user("A03", hired_on=D(2023, 1, 10), status="離職", left_on=D(2026, 4, 15)),           # left after R
    user("A04", hired_on=D(2023, 1, 10), status="離職", left_on=D(2026, 3, 31)),           # left on R
    user("A05", hired_on=D(2019, 1, 10), support_end=D(2023, 3, 31), status="支援終了"),    # ended before the window
    user("A06", hired_on=D(2019, 1, 10), support_end=D(2023, 4, 1), status="支援終了"),     # ended on its first day
    user("A07", hired_on=D(2025, 10, 1)),                                                  # support starts 2026-04-01
    user("A08", hired_on=D(2025, 9, 30), support_start=D(2026, 3, 31)),                    # starts on R
    user("A09", hired_on=D(2023, 2, 1), status="離職", left_on=D(2023, 6, 1)),             # left before support began
    user("A10", hired_on=D(2025, 1, 10), status="離職", left_on=D(2026, 6, 1)),            # left after R, before today
]


def test_retention_worked_example_by_hand():
    result = retention.of_fiscal_year(make_book({"users": RETENTION_USERS}), 2026, today=D(2026, 11, 26))
    assert result.reference_day == D(2026, 3, 31) and result.window_start == D(2023, 4, 1)
    assert result.denominator_users == ["A01", "A02", "A03", "A04", "A06", "A08", "A10"]
    assert result.numerator_users == ["A01", "A03", "A06", "A08", "A10"]
    assert (result.numerator, result.denominator) == (5, 7)
    assert result.rate == pytest.approx(5 / 7)
    assert (result.tier, result.units) == ("70%以上80%未満", 2234)
    assert result.left_users == ["A02", "A04"]
    assert any("1か月以内に再就職" in note for note in result.notes)


def test_retention_projection_counts_today_employed_as_employed_next_reference_day():
    result = retention.of_fiscal_year(make_book({"users": RETENTION_USERS}), 2026, today=D(2026, 11, 26))
    p = result.projection
    # FY 2027: R = 2027年3月31日, window 2024年4月1日 –; A03 and A10 left after R but before today
    assert p.fiscal_year == 2027 and p.reference_day == D(2027, 3, 31) and p.window_start == D(2024, 4, 1)
    assert p.denominator_users == ["A01", "A02", "A03", "A04", "A07", "A08", "A10"]
    assert p.numerator_users == ["A01", "A07", "A08"]
    assert (p.tier, p.units) == ("30%以上50%未満", 1433)
    assert any("就労を続けるとして" in note for note in p.notes)
    assert p.projection is None


def test_retention_with_nobody_in_the_window_has_no_rate_and_says_why():
    book = make_book({"users": [user("A05", hired_on=D(2019, 1, 10), support_end=D(2023, 3, 31),
                                     status="支援終了")]})
    result = retention.of_fiscal_year(book, 2026, today=D(2026, 11, 26))
    assert (result.denominator, result.numerator, result.rate, result.tier, result.units) == (0, 0, None, None, None)
    assert any("新たに指定を受けた事業所" in note for note in result.notes)
    empty = retention.of_fiscal_year(make_book({}), 2026, today=D(2026, 11, 26))
    assert empty.rate is None and empty.projection.rate is None


@pytest.mark.parametrize("numerator, denominator, units", [
    (19, 20, 3512), (18, 20, 3348), (179, 199, 2768), (8, 10, 2768), (7, 10, 2234), (69, 100, 1690),
    (1, 2, 1690), (3, 10, 1433), (29, 100, 1074), (0, 1, 1074),
])
def test_fee_tiers_of_2024_at_their_bounds(numerator, denominator, units):
    assert retention.fee_tier(numerator, denominator)[1] == units


def test_retention_in_a_future_year_says_it_is_an_estimate():
    result = retention.of_fiscal_year(make_book({"users": RETENTION_USERS}), 2027, today=D(2026, 11, 26))
    assert any("まだ来ていない" in note for note in result.notes)


def test_retention_as_dict_has_the_contract_keys():
    data = retention.of_fiscal_year(make_book({"users": RETENTION_USERS}), 2026, today=D(2026, 11, 26)).as_dict()
    contract = ["fiscal_year", "reference_day", "denominator", "numerator", "rate", "tier", "units",
                "denominator_users", "numerator_users"]
    assert list(data)[:len(contract) + 1] == contract + ["projection"]
    assert set(data["projection"]) == set(data) - {"projection"}
    assert data["reference_day"] == "2026-03-31" and data["units"] == 2234


def test_rate_and_units_as_staff_read_them():
    assert retention.format_rate(7 / 9) == "77.8%"
    assert retention.format_units(2234) == "2,234単位"
    assert retention.format_rate(None) == "—"


def test_combined_rate_over_offices():
    a = retention.of_fiscal_year(make_book({"users": RETENTION_USERS}), 2026, today=D(2026, 11, 26))
    b = retention.of_fiscal_year(make_book({}), 2026, today=D(2026, 11, 26))
    assert retention.combined_rate([a, b]) == (5, 7, pytest.approx(5 / 7))
    assert retention.combined_rate([b]) == (0, 0, None)


# --- the demo data raises every flag ---------------------------------------------------------

def _demo_ready() -> bool:
    return importlib.util.find_spec("teichaku_nb.demo") is not None


@pytest.mark.skipif(not _demo_ready(), reason="teichaku_nb.demo is not there yet")
def test_the_demo_last_month_raises_every_flag_but_overdue_action(tmp_path):
    from teichaku_nb.demo import make_demo
    from teichaku_nb.workbook import load_source
    end = pd.Period("2026-10", "M")
    make_demo(tmp_path / "demo.xlsx", users=120, months=12, offices=1, seed=1, end=end)
    (book,), _ = load_source(tmp_path / "demo.xlsx")
    raised = {f.code for case in rules.agenda(book, end).cases for f in case.flags}
    assert raised == set(rules.FLAGS) - {"overdue_action"}
