"""The 就労定着実績体制加算 of a fiscal year (docs/fee-check.md) on small hand-made cases.

Fiscal year 2026: the support must have ended from 2020年4月1日 to 2026年3月31日, judged on
2026年6月30日.  Most people are hired on 2021年8月31日: 2025年2月has no 31st, so their 42 months
of work are complete on 2025年2月28日 (the day before 3月1日); their support starts on 2022年3月1日
and is planned to end three years later, on 2025年2月28日.  All people are synthetic.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from teichaku_nb import track_record
from teichaku_nb.track_record import NOT_REACHED, REACHED, UNCONFIRMED
from teichaku_nb.workbook import casebook_from_records

from helpers_rules import make_book, user

D = dt.date
FY = 2026
TODAY = D(2026, 6, 30)
HIRED = D(2021, 8, 31)
DAY_42 = D(2025, 2, 28)


def ended(user_id, hired_on=HIRED, **changes) -> dict:
    """Someone whose support ended (支援終了), with no 離職日."""
    return user(user_id, hired_on=hired_on, status="支援終了", **changes)


def left(user_id, left_on, hired_on=HIRED, **changes) -> dict:
    return user(user_id, hired_on=hired_on, status="離職", left_on=left_on, **changes)


def check(user_id, checked_on, employment="継続", method="企業") -> dict:
    return {"user_id": user_id, "checked_on": checked_on, "employment": employment, "method": method}


def judge(users, checks=(), today=TODAY, fiscal_year=FY) -> track_record.TrackRecord:
    book = make_book({"users": list(users), "employment_checks": list(checks)})
    return track_record.of_fiscal_year(book, fiscal_year, today=today)


# --- the share and the 300 units ---------------------------------------------------------------

def test_exactly_70_percent_earns_the_300_units():
    people = [left(f"R{i}", D(2025, 3, 31)) for i in range(7)] + [left(f"N{i}", D(2024, 12, 31)) for i in range(3)]
    result = judge(people)
    assert len(result.cohort) == 10 and len(result.reached) == 7
    assert result.not_reached == ["N0", "N1", "N2"] and result.unconfirmed == []
    assert result.share_on_evidence == result.share_claimed == 0.7
    assert (result.applies_on_evidence, result.applies_claimed) == (True, True)
    assert (result.units_on_evidence, result.units_claimed, result.units) == (300, 300, 300)
    assert result.notes == []


def test_two_of_three_is_short_of_70_percent():
    result = judge([left("A", D(2025, 3, 31)), left("B", D(2025, 3, 31)), left("C", D(2024, 12, 31))])
    assert result.share_on_evidence == pytest.approx(2 / 3)
    assert track_record.format_share(result.share_on_evidence) == "66.7%"
    assert (result.applies_on_evidence, result.units_on_evidence) == (False, 0)
    assert (result.applies_claimed, result.units_claimed) == (False, 0)


# --- the evidence that employment lasted 42 months ------------------------------------------------

def test_a_leaving_day_on_the_42_month_day_is_reached_the_day_before_is_not():
    result = judge([left("A", D(2025, 2, 28)), left("B", D(2025, 2, 27))])
    a, b = result.person("A"), result.person("B")
    assert a.day_42_months == b.day_42_months == DAY_42
    assert (a.outcome, a.evidence) == (REACHED, "離職日 2025年2月28日（42か月後）")
    assert (b.outcome, b.evidence) == (NOT_REACHED, "離職日 2025年2月27日（42か月より前）")
    assert (a.label, b.label) == ("42か月以上", "42か月未満")


@pytest.mark.parametrize("left_on, outcome", [(D(2026, 2, 28), REACHED), (D(2026, 2, 27), NOT_REACHED)])
def test_42_months_are_complete_the_day_before_the_day_that_corresponds(left_on, outcome):
    # hired 2022年9月1日: 42 months later is 2026年3月1日, so employed through 2月28日 is 42 months
    a = judge([left("A", left_on, hired_on=D(2022, 9, 1))]).person("A")
    assert (a.day_42_months, a.outcome) == (D(2026, 2, 28), outcome)


def test_months_of_work_count_from_the_end_of_transition_support_used_after_hiring():
    # hired 2021年8月31日, then 就労移行支援 until 2021年12月31日: 42 months complete on 2025年6月30日
    person = left("A", D(2025, 6, 29), transition_ended_on=D(2021, 12, 31))
    assert judge([person]).person("A").outcome == NOT_REACHED
    assert judge([dict(person, left_on=D(2025, 6, 30))]).person("A").outcome == REACHED


def test_a_job_change_within_a_month_is_continuous_employment():
    changed = ended("A", left_on=D(2024, 6, 30), rehired_on=D(2024, 7, 30))
    result = judge([changed], [check("A", D(2025, 3, 1))])
    assert (result.person("A").outcome, result.person("A").support_ended_on) == (REACHED, D(2025, 2, 28))
    too_late = dict(changed, rehired_on=D(2024, 7, 31), status="離職")        # a month and a day: a 離職
    assert judge([too_late], [check("A", D(2025, 3, 1))]).person("A").outcome == NOT_REACHED


def test_78_months_or_more_are_listed_apart_outside_the_share():
    # hired 2019年1月10日, support ended 2022年7月9日; 78 months complete on 2025年7月9日
    beyond = ended("A", hired_on=D(2019, 1, 10), support_end=D(2022, 7, 9))
    result = judge([beyond, left("B", D(2025, 3, 31))], [check("A", D(2025, 7, 9))])
    assert (result.cohort, result.beyond, result.share_on_evidence) == (["B"], ["A"], 1.0)
    assert result.person("A").evidence == ("就労確認 2025年7月9日 継続（企業）。78か月以上のため割合に数えていません"
                                           "（告示は42月以上78月未満）")
    assert judge([beyond], [check("A", D(2025, 7, 8))]).person("A").outcome == REACHED


def test_a_still_working_check_counts_from_the_42_month_day_on():
    result = judge([ended("A"), ended("B")],
                   [check("A", D(2025, 2, 28)), check("B", D(2025, 2, 27), method="本人")])
    a, b = result.person("A"), result.person("B")
    assert (a.outcome, a.evidence) == (REACHED, "就労確認 2025年2月28日 継続（企業）")
    assert (b.outcome, b.evidence) == (UNCONFIRMED, "未確認（最後の就労確認 2025年2月27日 継続（本人））")


def test_the_latest_still_working_check_after_42_months_is_named():
    checks = [check("A", D(2025, 6, 1)), check("A", D(2025, 12, 1), method=None), check("A", D(2026, 5, 1), "離職")]
    a = judge([ended("A")], checks).person("A")
    assert (a.outcome, a.evidence) == (REACHED, "就労確認 2025年12月1日 継続")


def test_a_check_saying_the_person_had_left_before_42_months_is_not_reached():
    a = judge([ended("A")], [check("A", D(2024, 10, 1), "離職", "本人")]).person("A")
    assert (a.outcome, a.evidence) == (NOT_REACHED, "就労確認 2024年10月1日 離職（本人）、42か月より前")


def test_a_check_dated_after_the_day_of_the_check_is_not_evidence():
    a = judge([ended("A")], [check("A", D(2026, 7, 1))]).person("A")
    assert (a.outcome, a.evidence) == (UNCONFIRMED, "未確認")


def test_a_leaving_day_decides_over_the_checks():
    a = judge([left("A", D(2024, 12, 31))], [check("A", D(2025, 3, 1))]).person("A")
    assert (a.outcome, a.evidence) == (NOT_REACHED, "離職日 2024年12月31日（42か月より前）")


# --- the unconfirmed: the share both ways ------------------------------------------------------------

def test_an_unconfirmed_person_changes_the_answer():
    people = [left("A", D(2025, 3, 31)), ended("B"), ended("C"), left("D", D(2024, 12, 31))]
    result = judge(people, [check("B", D(2025, 9, 1))])
    assert (result.reached, result.not_reached, result.unconfirmed) == (["A", "B"], ["D"], ["C"])
    assert (result.share_claimed, result.share_on_evidence) == (0.75, 0.5)
    assert (result.applies_claimed, result.applies_on_evidence) == (True, False)
    assert (result.units_claimed, result.units_on_evidence) == (300, 0)
    assert result.notes == [
        "42か月以上の就労を確かめていない人が1人います（未確認）。未確認の人を42か月以上とみなすと 75.0%、"
        "みなさないと 50.0% です。",
        "未確認の人の就労を確かめられれば加算の対象ですが、確かめられた人だけでは70%に届かず、加算の対象になりません。",
    ]


def test_a_format_1_book_has_everyone_without_a_leaving_day_unconfirmed():
    people = [left("A", D(2025, 3, 31)), left("B", D(2024, 12, 31)), ended("C"), ended("D")]
    book = casebook_from_records({"users": people, "contacts": []}, today=TODAY)
    assert book.ok and book.employment_checks.empty
    result = track_record.of_fiscal_year(book, FY, today=TODAY)
    assert (result.reached, result.not_reached, result.unconfirmed) == (["A"], ["B"], ["C", "D"])
    assert result.person("C").evidence == "未確認"
    assert (result.units_claimed, result.units_on_evidence) == (300, 0)
    assert result.notes[0] == ("就労確認シートがないため、離職日のない人はすべて未確認です。"
                               "就職日から42か月後以降の就労状況を就労確認シートに記録してください。")


def test_a_book_with_an_empty_checks_sheet_has_no_note_about_the_sheet():
    result = judge([ended("A")])
    assert result.unconfirmed == ["A"]
    assert not any("就労確認シートがない" in note for note in result.notes)


# --- who is in the cohort ----------------------------------------------------------------------------

@pytest.mark.parametrize("changes, included", [
    ({"service_end": D(2026, 3, 31)}, True),                                  # the window's last day
    ({"service_end": D(2026, 4, 1)}, False),                                  # FY itself
    ({"hired_on": D(2016, 10, 1), "support_end": D(2020, 4, 1)}, True),       # the window's first day
    ({"hired_on": D(2016, 10, 1), "support_end": D(2020, 3, 31)}, False),     # FY−7
])
def test_the_support_must_have_ended_in_the_six_fiscal_years_before(changes, included):
    hired = changes.pop("hired_on", D(2023, 1, 10))
    result = judge([ended("A", hired_on=hired, **changes)])
    assert result.cohort == (["A"] if included else [])
    assert (result.window_start, result.window_end) == (D(2020, 4, 1), D(2026, 3, 31))


def test_a_support_ending_after_the_day_of_the_check_has_not_ended():
    result = judge([ended("A", hired_on=D(2022, 1, 10), service_end=D(2026, 3, 15)),
                    left("B", D(2025, 3, 31))], today=D(2026, 2, 28))
    assert result.cohort == ["B"]
    assert "判定日（2026年2月28日）の時点では対象期間の終わり（2026年3月31日）がまだ来ていないため、" \
           "判定日までに支援が終わった人で計算した見込みです。" in result.notes


def test_someone_who_left_the_job_during_the_support_is_in_the_cohort_and_not_reached():
    # hired 2023年1月10日: support from 2023年7月10日, planned until 2026年7月9日 (after the window)
    result = judge([left("A", D(2024, 5, 1), hired_on=D(2023, 1, 10))])
    a = result.person("A")
    assert (a.support_ended_on, a.day_42_months) == (D(2024, 5, 1), D(2026, 7, 9))
    assert (a.outcome, a.evidence) == (NOT_REACHED, "離職日 2024年5月1日（42か月より前）")


def test_someone_who_left_before_the_support_began_is_not_in_the_cohort():
    result = judge([left("A", D(2023, 3, 1), hired_on=D(2023, 1, 10)), left("B", D(2025, 3, 31))])
    assert result.cohort == ["B"]


def test_an_empty_cohort_cannot_be_judged():
    result = judge([user("A", hired_on=D(2025, 1, 10))])          # still in support
    assert result.cohort == [] and result.share_claimed is None and result.share_on_evidence is None
    assert (result.applies_claimed, result.applies_on_evidence, result.units_claimed, result.units_on_evidence) \
        == (None, None, None, None)
    assert result.notes == ["対象期間（2020年4月1日〜2026年3月31日）に支援が終わった人がいないため、"
                            "就労定着実績体制加算は判定できません。"]


# --- JSON ----------------------------------------------------------------------------------------

def test_as_dict_is_json_with_english_keys_and_japanese_messages():
    result = judge([left("A", D(2025, 2, 28)), ended("B")], [check("B", D(2025, 2, 27))])
    data = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert list(data) == ["office", "fiscal_year", "window_start", "window_end", "judged_on", "cohort", "reached",
                          "not_reached", "unconfirmed", "beyond", "share_claimed", "share_on_evidence", "applies_claimed",
                          "applies_on_evidence", "units_claimed", "units_on_evidence", "people", "notes"]
    assert (data["fiscal_year"], data["window_start"], data["judged_on"]) == (2026, "2020-04-01", "2026-06-30")
    assert (data["share_claimed"], data["share_on_evidence"], data["units_on_evidence"]) == (1.0, 0.5, 0)
    assert data["people"][0] == {"user_id": "A", "name": "試験 A", "hired_on": "2021-08-31",
                                 "support_ended_on": "2025-02-28", "day_42_months": "2025-02-28",
                                 "outcome": "reached", "evidence": "離職日 2025年2月28日（42か月後）"}
    assert data["people"][1]["evidence"] == "未確認（最後の就労確認 2025年2月27日 継続（企業））"
