"""The money outlook (docs/fee-check.md, "Money (見込み)") on small hand-made offices.

October 2026 as in the rules tests; today is 2026年10月31日.  ``calm()`` people were hired
2025年1月10日, so their support runs 2025年7月10日 to 2028年7月9日: in service in every month
of November 2025 to October 2026, and employed on both reference days.  All people are
synthetic.
"""

from __future__ import annotations

import datetime as dt

import pytest

from teichaku_nb import money, rules
from teichaku_nb.rules import ACTION, WATCH

from helpers_rules import MONTH, attendance, calm, combine, make_book, without

D = dt.date
TODAY = D(2026, 10, 31)


def office(n: int, *extra: dict) -> dict:
    """``n`` calm people U001.. and the extra parts."""
    return combine(*(calm(f"U{i:03d}") for i in range(1, n + 1)), *extra)


def absent(tables: dict, user_id: str) -> dict:
    """``user_id`` missed 5 of 20 days in October: high_absence, 要対応."""
    tables["attendance"] = [attendance(user_id, "2026-10", absent=5) if (r["user_id"], str(r["month"])) ==
                            (user_id, "2026-10") else r for r in tables["attendance"]]
    return tables


def ten_people() -> dict:
    """U001..U008 calm; U009 left on 2026年6月30日 (after the FY2026 reference day, before
    today); U010 hired 2025年11月10日, so in service from 2026年5月10日.

    FY2026 (R = 2026年3月31日): U001..U009, all employed on R → 9/9 = 100 %, 95%以上, 3,512.
    FY2027 projection (R = 2027年3月31日): U001..U010, U009 not employed → 9/10 = 90 %,
    90%以上95%未満, 3,348.  One more leaving: 8/10 = 80 %, 80%以上90%未満, 2,768.
    In service, November 2025 to October 2026: U001..U008 12 months each (96), U009 November
    to June (8), U010 May to October (6): 110 person-months, 110/12 a month.
    """
    return office(8, calm("U009", status="離職", left_on=D(2026, 6, 30)),
                  calm("U010", hired_on=D(2025, 11, 10)))


def outlook_of(tables, **settings) -> money.MoneyOutlook:
    return money.outlook(make_book(tables, settings=settings or None), MONTH, today=TODAY)


def test_one_leaving_that_crosses_a_tier_costs_the_difference_a_year():
    tables = without(ten_people(), "reports", user_id="U003")                  # U003: 注意
    result = outlook_of(tables)
    assert (result.fiscal_year, result.unit_price, result.months_counted) == (2026, 10.0, 12)
    assert result.average_billed == pytest.approx(110 / 12)
    (person,) = result.at_risk
    assert (person.user_id, person.level) == ("U003", WATCH)
    assert person.reasons == ["10月の支援レポートを本人に渡した記録がないと、この月は算定できません"]
    assert (person.rate_if_leaves, person.tier_if_leaves, person.units_if_leaves) == (0.8, "80%以上90%未満", 2768)
    # (3,348 − 2,768) units × 10円 × 110/12 people a month × 12 months = 580 × 10 × 110 = 638,000円
    assert person.yen_per_year_difference == 638_000
    assert person.sentence == ("この方が離職すると、見込みの就労定着率は 90.0% → 80.0%、区分は 90%以上95%未満 → "
                               "80%以上90%未満 になり、基本報酬は年間およそ 638,000円 減る見込みです")
    assert result.leavings_until_lower_tier == 1


def test_the_base_fee_in_yen_for_this_year_and_the_projected_one():
    result = outlook_of(ten_people())
    current, projected = result.current, result.projected
    assert (current.fiscal_year, current.tier, current.units) == (2026, "95%以上", 3512)
    # 3,512 × 10 = 35,120円; × 110/12 = 321,933.3 → 321,933円 a month; × 12 = 3,512 × 10 × 110 = 3,863,200円
    assert (current.yen_per_person_month, current.yen_per_month, current.yen_per_year) == (35_120, 321_933, 3_863_200)
    assert (projected.fiscal_year, projected.tier, projected.units) == (2027, "90%以上95%未満", 3348)
    # 3,348 × 10 = 33,480円; × 110/12 = 306,900円 a month; × 12 = 3,682,800円
    assert (projected.yen_per_person_month, projected.yen_per_month, projected.yen_per_year) == (33_480, 306_900, 3_682_800)
    assert projected.sentence == ("2027年度（就労定着率 90.0%、区分 90%以上95%未満）: 1人1か月 3,348単位 = 33,480円、"
                                  "事業所で月およそ 306,900円、年間およそ 3,682,800円")


def test_the_unit_price_comes_from_the_settings():
    result = outlook_of(without(ten_people(), "reports", user_id="U003"), unit_price=11.2)
    assert result.unit_price == 11.2
    # 3,348 × 11.2 = 37,497.6 → 37,497円 a person-month
    assert result.projected.yen_per_person_month == 37_497
    # 580 × 11.2 × 110/12 × 12 = 580 × 11.2 × 110 = 714,560円
    assert result.at_risk[0].yen_per_year_difference == 714_560
    assert "1単位の単価は設定の 11.2円 です。円未満は切り捨てています。" in result.assumptions


def test_a_leaving_that_keeps_the_tier_is_listed_with_nothing_at_stake():
    # 20 employed: 100 %; one leaving makes 19/20 = 95 %, still 95%以上
    result = outlook_of(without(office(20), "reports", user_id="U007"))
    (person,) = result.at_risk
    assert (person.user_id, person.rate_if_leaves, person.tier_if_leaves) == ("U007", 0.95, "95%以上")
    assert (person.units_if_leaves, person.yen_per_year_difference) == (3512, 0)
    assert person.sentence == ("この方が離職すると、見込みの就労定着率は 100.0% → 95.0% になりますが、"
                               "区分（95%以上）は変わらず、基本報酬は変わらない見込みです")
    # 20/20 down to 18/20 = 90 % is the next tier: two leavings
    assert result.leavings_until_lower_tier == 2
    assert result.margin_sentence == "見込みの区分（95%以上）は、就労中の方があと 2人 離職すると 90%以上95%未満 に下がります"


def test_at_risk_lists_action_before_watch_then_by_id_and_leaves_out_the_stable():
    tables = without(ten_people(), "reports", user_id="U002")                  # U002: 注意
    tables = without(tables, "reports", user_id="U005")                        # U005: 注意
    tables = absent(tables, "U006")                                            # U006: 要対応
    result = outlook_of(tables)
    assert [(a.user_id, a.level) for a in result.at_risk] == [("U006", ACTION), ("U002", WATCH), ("U005", WATCH)]
    assert result.at_risk[0].reasons == ["欠勤率 25%（所定20日・欠勤5日）", "欠勤率 25%（前3か月平均 0%）"]
    review = rules.agenda(make_book(tables), MONTH)
    assert review.case("U001").level == rules.STABLE
    assert "U001" not in [a.user_id for a in result.at_risk]


def test_someone_who_left_this_month_is_not_at_risk():
    # U021 left on 10月15日: on October's agenda (注意, no report), but not employed today
    tables = without(office(20, calm("U021", status="離職", left_on=D(2026, 10, 15))), "reports", user_id="U021")
    review = rules.agenda(make_book(tables), MONTH)
    assert review.case("U021").level == WATCH
    assert outlook_of(tables).at_risk == []


def test_a_given_review_is_used():
    book = make_book(ten_people())
    review = rules.agenda(book, MONTH)
    review.case("U004").level = WATCH                                          # as if flagged
    result = money.outlook(book, MONTH, review=review, today=TODAY)
    assert [a.user_id for a in result.at_risk] == ["U004"]


def test_a_young_office_averages_only_the_months_with_people_in_service():
    # both hired 2025年10月10日: support from 2026年4月10日, so April to October: 7 months
    result = outlook_of(combine(calm("U001", hired_on=D(2025, 10, 10)), calm("U002", hired_on=D(2025, 10, 10))))
    assert (result.months_counted, result.average_billed) == (7, 2.0)
    assert "1か月あたりの算定人数は、2026年4月〜2026年10月の7か月の平均（2人）です。" in result.assumptions
    assert "2026年4月より前は支援期間中の人がいないため、平均に含めていません。" in result.assumptions


def test_the_assumptions_say_it_is_an_estimate_and_what_is_left_out():
    text = "\n".join(outlook_of(ten_people()).assumptions)
    assert "見込み" in text and "職員向け" in text
    assert "2025年11月〜2026年10月の12か月の平均（9.2人）" in text
    assert "2026年10月末時点で就労している人が基準日（2027年3月31日）まで就労を続ける" in text
    assert "減算" in text and "加算" in text and "含みません" in text
    assert "支援期間中だった人数で数えています" in text


def test_as_dict_has_english_keys():
    data = outlook_of(without(ten_people(), "reports", user_id="U003")).as_dict()
    assert list(data) == ["month", "office", "fiscal_year", "unit_price", "average_billed", "months_counted",
                          "current", "projected", "at_risk", "leavings_until_lower_tier", "margin_sentence",
                          "assumptions"]
    assert data["month"] == "2026-10"
    assert list(data["projected"]) == ["fiscal_year", "rate", "tier", "units", "yen_per_person_month",
                                       "yen_per_month", "yen_per_year", "sentence"]
    assert list(data["at_risk"][0]) == ["user_id", "name", "level", "reasons", "rate_if_leaves", "tier_if_leaves",
                                        "units_if_leaves", "yen_per_year_difference", "sentence"]
    assert data["at_risk"][0]["yen_per_year_difference"] == 638_000
