"""One person's month (casefile) and its chart: what the case panel and the 支援レポート show."""

import datetime as dt

import pandas as pd
import pytest

from teichaku_nb import casefile, charts
from helpers_rules import MONTH, attendance, calm, combine, contact, make_book


@pytest.fixture
def book():
    tables = calm("U001")
    tables["attendance"][-1] = attendance("U001", "2026-10", scheduled=20, absent=5, late=2, left_early=1)
    tables["contacts"].append(contact("U001", dt.date(2026, 10, 20), "電話", "本人", health=2, sleep=3))
    tables["contacts"].append(contact("U001", dt.date(2026, 10, 22), "電話", "企業", score=1))  # employer: not 本人's rating
    tables["plans"].append({"user_id": "U001", "plan_date": dt.date(2026, 3, 1), "domain": "生活",
                            "goal": "古い計画の目標", "status": "達成"})
    tables["plans"].append({"user_id": "U001", "plan_date": dt.date(2026, 9, 1), "domain": "心身",
                            "goal": "睡眠を7時間とる", "status": "未着手"})
    tables["plans"].append({"user_id": "U001", "plan_date": dt.date(2026, 11, 5), "domain": "職場",
                            "goal": "翌月の計画", "status": "未着手"})
    return make_book(combine(tables, calm("U002")))


def test_profile_gives_the_support_period_at_the_end_of_the_month(book):
    p = casefile.profile(book, "U001", MONTH)
    # hired 2025-01-10: October 2026 is month 22 of employment; support ends 2028-07-09
    assert (p["name"], p["employer"], p["month_n"], p["months_left"]) == ("試験 U001", "架空商事", 22, 21)
    # support from 2025-07-10 (就職日 + 6 months): October 2026 is its 16th month of 36
    assert (p["support_month"], p["support_months"]) == (16, 36)
    assert casefile.profile(book, "U001", pd.Period("2025-06", "M"))["support_month"] is None     # not started yet
    assert p["support_end_effective"] == pd.Timestamp("2028-07-09")
    assert casefile.profile(book, "nobody", MONTH) is None


def test_month_contacts_are_the_users_own_in_the_month_oldest_first(book):
    c = casefile.month_contacts(book, "U001", MONTH)
    assert c["date"].dt.day.tolist() == [10, 20, 22, 25]
    assert c["method"].tolist() == ["対面", "電話", "電話", "職場訪問"]
    assert casefile.month_contacts(book, "U002", "2026-06").empty


def test_trend_has_attendance_and_the_mean_of_scores_given_by_the_person(book):
    t = casefile.trend(book, "U001", MONTH, months=6)
    assert [str(m) for m in t.index] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    october = t.loc[MONTH]
    assert october["attendance_rate"] == pytest.approx(0.75)
    assert october["absence_rate"] == pytest.approx(0.25)
    assert october["late_early"] == 3
    assert october["health"] == pytest.approx(3.0)     # (4 + 2) / 2: the employer's 1 does not count
    assert october["sleep"] == pytest.approx(3.5)
    assert t.loc[pd.Period("2026-05", "M")].isna().all()   # no records that month: gaps, not zeros
    assert t.loc[pd.Period("2026-09", "M"), "attendance_rate"] == 1


def test_current_plan_is_the_latest_made_by_the_end_of_the_month(book):
    plan = casefile.current_plan(book, "U001", MONTH)
    assert plan["goal"].tolist() == ["週5日の勤務を続ける", "睡眠を7時間とる"]
    assert casefile.current_plan(book, "U001", pd.Period("2026-05", "M"))["goal"].tolist() == ["古い計画の目標"]
    assert casefile.current_plan(book, "U001", pd.Period("2026-01", "M")).empty


def test_trend_chart_draws_known_months_and_leaves_gaps(book):
    trend = casefile.trend(book, "U001", MONTH)
    svg = charts.trend_svg(trend)
    for label in ("2026年5月", "6月", "10月", "出勤率（%）", "遅刻・早退（回）", "体調", "業務"):
        assert f">{label}</text>" in svg
    # four months with attendance rows: four bars (the legend swatch is a fifth rect of that colour)
    assert svg.count('fill="#8fb8de"') == 4 + 1
    assert charts.svg_data_uri(svg).startswith("data:image/svg+xml;base64,")
    single = charts.trend_svg(trend.iloc[-1:], scores=False)       # one month: a marker, no line
    assert "<polyline" not in single and "<circle" in single and "自己評価" not in single


def test_summary_bar_chart_draws_one_bar_per_label_largest_first(book):
    from teichaku_nb.markup import render

    chart = charts.bar_chart(pd.Series({"要対応": 2, "注意": 5, "安定": 20, "<b>": 1}), title="区分ごとの人数")
    assert [b["label"] for b in chart["bars"]] == ["安定", "注意", "要対応", "<b>"]
    assert chart["bars"][0]["width"] > chart["bars"][1]["width"] > chart["bars"][2]["width"] > 0
    svg = render("charts/bars.svg.j2", chart=chart)
    assert svg.count("<rect") == 4 and ">区分ごとの人数</text>" in svg and "&lt;b&gt;" in svg and "<b>" not in svg
    # a screen reader reads the drawing as one image: its label carries every count
    assert 'role="img" aria-label="区分ごとの人数：安定 20人、注意 5人、要対応 2人、&lt;b&gt; 1人"' in svg
