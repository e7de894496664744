"""The 就労定着率 on evidence: who counts as employed on the reference day only as far as
anyone knows, and what the office's 就労確認 (checks of employment after the support ended)
change.  FY 2026: R = 2026年3月31日, window 2023年4月1日 – R; a 継続 check counts from
2026年2月28日 (R − 1 month).  All people are synthetic.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from teichaku_nb import retention

from helpers_rules import make_book, user

D = dt.date
TODAY = D(2026, 11, 26)
MONTH = pd.Period("2026-10", "M")


def ended(user_id: str, end=D(2025, 12, 31), **changes) -> dict:
    """Support ended on ``end``, no 離職日: employed on R only on evidence."""
    return user(user_id, **({"hired_on": D(2022, 7, 1), "support_end": end, "status": "支援終了"} | changes))


def check(user_id: str, on, employment: str = "継続", method: str = "企業") -> dict:
    return {"user_id": user_id, "checked_on": on, "employment": employment, "method": method}


def year(users, checks=None, fiscal_year=2026, today=TODAY) -> retention.Retention:
    tables = {"users": users} | ({"employment_checks": checks} if checks is not None else {})
    return retention.of_fiscal_year(make_book(tables), fiscal_year, today=today)


@pytest.mark.parametrize("checks, confirmed", [
    ([check("B01", D(2026, 2, 28))], True),                          # R − 1 month exactly
    ([check("B01", D(2026, 2, 27))], False),                         # the day before
    ([check("B01", D(2026, 5, 10))], True),                          # after R also tells of R
    ([check("B01", D(2026, 3, 10), "離職")], False),                 # not a 継続
    ([], False),
])
def test_an_ended_support_without_a_leaving_date_needs_a_recent_continuing_check(checks, confirmed):
    result = year([user("A01", hired_on=D(2024, 1, 10)), ended("B01")], checks)
    assert result.numerator == 2 and result.rate == 1.0                    # what the office would claim
    assert [u["user_id"] for u in result.unconfirmed] == ([] if confirmed else ["B01"])
    assert result.rate_on_evidence == (1.0 if confirmed else 0.5)


def test_people_still_in_support_or_with_a_leaving_date_need_no_check():
    users = [user("A01", hired_on=D(2024, 1, 10)),                               # in support on R
             ended("B02", status="離職", left_on=D(2026, 4, 30)),                 # 離職日 after R: employed on R
             ended("B03", status="離職", left_on=D(2026, 3, 31)),                 # left on R: not employed
             ended("B04", end=D(2026, 3, 31))]                                     # support ends on R: not before
    result = year(users, [])
    assert result.numerator_users == ["A01", "B02", "B04"] and result.unconfirmed == []
    assert result.rate_on_evidence == result.rate == pytest.approx(3 / 4)


def test_both_rates_and_tiers_and_the_names_to_confirm():
    # 10 people: 8 in support, 2 ended without a check → claimed 10/10, on evidence 8/10
    users = [user(f"A{i:02d}", hired_on=D(2024, 1, 10)) for i in range(1, 9)]
    users += [ended("B01", name="確認 一郎"), ended("B02", end=D(2025, 6, 30), name="確認 次郎")]
    checks = [check("B02", D(2025, 12, 1))]                                  # too early to tell of R
    result = year(users, checks)
    assert (result.rate, result.tier, result.units) == (1.0, "95%以上", 3512)
    assert (result.rate_on_evidence, result.tier_on_evidence) == (0.8, ("80%以上90%未満", 2768))
    data = result.as_dict()
    assert data["rate_on_evidence"] == 0.8 and data["units_on_evidence"] == 2768
    assert data["unconfirmed"] == [
        {"user_id": "B01", "name": "確認 一郎", "support_end": "2025-12-31", "last_check": None, "last_employment": None},
        {"user_id": "B02", "name": "確認 次郎", "support_end": "2025-06-30", "last_check": "2025-12-01",
         "last_employment": "継続"}]


def test_the_projection_judges_on_today_with_checks_from_a_month_before():
    users = [user("A01", hired_on=D(2024, 1, 10)), ended("B01")]
    projection = year(users, [check("B01", D(2026, 10, 26))]).projection       # TODAY − 1 month
    assert projection.unconfirmed == [] and projection.checks_from == D(2026, 10, 26)
    stale = year(users, [check("B01", D(2026, 10, 25))]).projection
    assert [u["user_id"] for u in stale.unconfirmed] == ["B01"]
    assert "unconfirmed" in stale.as_dict() and stale.as_dict()["rate_on_evidence"] == 0.5


def test_a_book_without_the_check_sheet_says_so():
    result = year([user("A01", hired_on=D(2024, 1, 10)), ended("B01")])
    assert [u["user_id"] for u in result.unconfirmed] == ["B01"]
    assert any("就労確認シートがない" in note for note in result.notes)
    quiet = year([user("A01", hired_on=D(2024, 1, 10))])                      # nobody to confirm: no note
    assert not any("就労確認シート" in note for note in quiet.notes)


# --- the 就労確認 recorded in the app (the review store's) -------------------------------------

@pytest.fixture
def store(tmp_path):
    from teichaku_nb.store import open_store
    with open_store(str(tmp_path / "records.teichaku.sqlite"), known_users={"テスト事業所": ["A01", "B01"]}) as opened:
        yield opened


def test_a_check_recorded_in_the_app_confirms_and_a_withdrawn_or_too_old_one_does_not(store):
    book = make_book({"users": [user("A01", hired_on=D(2024, 1, 10)), ended("B01")], "employment_checks": []})
    alone = retention.of_fiscal_year(book, 2026, today=TODAY, checks=store.employment_checks_frame(book.office))
    assert [u["user_id"] for u in alone.unconfirmed] == ["B01"] and alone.rate_on_evidence == 0.5

    old = store.record_employment_check(book.office, "B01", by="佐藤", checked_on=D(2026, 2, 27), employment="継続")
    stale = retention.of_fiscal_year(book, 2026, today=TODAY, checks=store.employment_checks_frame(book.office))
    assert [u["user_id"] for u in stale.unconfirmed] == ["B01"]                  # the day before R − 1 month
    assert stale.unconfirmed[0]["last_check"] == pd.Timestamp(2026, 2, 27)       # but shown as the latest check

    recent = store.record_employment_check(book.office, "B01", by="佐藤", checked_on=D(2026, 3, 20),
                                           employment="継続", method="本人")
    confirmed = retention.of_fiscal_year(book, 2026, today=TODAY, checks=store.employment_checks_frame(book.office))
    assert confirmed.unconfirmed == [] and confirmed.rate_on_evidence == 1.0
    assert confirmed.tier_on_evidence == ("95%以上", 3512)
    assert [u["user_id"] for u in confirmed.projection.unconfirmed] == ["B01"]   # today's needs 2026-10-26 on

    store.withdraw_employment_check(recent.id, by="鈴木", expected_version=1, reason="別の人だった")
    again = retention.of_fiscal_year(book, 2026, today=TODAY, checks=store.employment_checks_frame(book.office))
    assert [u["user_id"] for u in again.unconfirmed] == ["B01"] and again.rate_on_evidence == 0.5
    assert old.id != recent.id


def test_app_checks_add_to_the_workbooks_and_a_book_without_the_sheet_needs_no_note(store):
    users = [user("A01", hired_on=D(2024, 1, 10)), ended("B01")]
    with_sheet = make_book({"users": users, "employment_checks": [check("B01", D(2026, 10, 26))]})
    store.record_employment_check(with_sheet.office, "B01", by="佐藤", checked_on=D(2026, 3, 1), employment="継続")
    both = retention.of_fiscal_year(with_sheet, 2026, today=TODAY, checks=store.employment_checks_frame("テスト事業所"))
    assert both.unconfirmed == [] and both.projection.unconfirmed == []        # R from the store, today from the sheet

    no_sheet = make_book({"users": users})
    result = retention.of_fiscal_year(no_sheet, 2026, today=TODAY, checks=store.employment_checks_frame("テスト事業所"))
    assert result.unconfirmed == [] and [u["user_id"] for u in result.projection.unconfirmed] == ["B01"]
    assert not any("就労確認シートがない" in note for note in result.notes + result.projection.notes)


def test_the_monthly_summary_reads_the_checks_recorded_in_the_app(store):
    from teichaku_nb.report_views import summary_html
    book = make_book({"users": [user("A01", hired_on=D(2024, 1, 10)), ended("B01", name="確認 一郎")],
                      "employment_checks": []})
    before = summary_html(book, MONTH, store=store, today=TODAY)
    assert "就労の確認が要る人（2026年10月末時点・1人）" in before and "確認 一郎" in before
    store.record_employment_check(book.office, "B01", by="佐藤", checked_on=D(2026, 11, 2), employment="継続")
    after = summary_html(book, MONTH, store=store, today=TODAY)
    assert "就労の確認が要る人" not in after


def test_the_app_and_the_monthly_summary_judge_a_past_month_as_of_its_end(tmp_path):
    """October looked at on 6 December: the app's panel and the 月次サマリー both say 2026年10月末時点
    (not today) and list the same people whose employment must be confirmed."""
    import re

    from teichaku_nb.report_views import summary_html

    from test_app_fees import text
    from test_app_models import make_app
    app = make_app(str(tmp_path / "records.teichaku.sqlite"), today=D(2026, 12, 6))
    app.view.checks.selected_index = 0
    panel = app.view.checks.children[0]
    shown = text(panel.rates.value) + text(panel.people.value) + text(panel.money.value)
    summary = text(summary_html(app.model.book, MONTH, store=app.model.store, today=D(2026, 12, 6)))
    for said in (shown, summary):
        assert "2026年10月末時点" in said and "今日" not in said and "12月6日" not in said
        assert "見込み: 2026年10月末時点で就労している人は" in said
    in_app = re.findall(r"(\d{3}) \S+ \S+ \d{4}年\d+月\d+日", text(panel.people.value))
    projection = summary[summary.index("翌年度（2027年度）の見込み（2026年10月末時点）"):]
    in_summary = re.findall(r"(\d{3}) \S+ \S+ \d{4}年\d+月\d+日", projection[:projection.index("対象者（")])
    assert in_app == in_summary == ["015", "020"]
