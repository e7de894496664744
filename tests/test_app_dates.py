"""Dates typed in the app: Japanese forms are read, anything else is said no to at the field
and never becomes "no date" behind the user's back."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from teichaku_nb.app.dates import asked_day, day_in_month
from teichaku_nb.app.views.dates import DateText
from teichaku_nb.store import open_store

from test_app_fees import text
from test_app_models import make_app, sign_in

D = dt.date


@pytest.mark.parametrize("typed, date", [
    ("2026/10/15", D(2026, 10, 15)), ("2026-10-15", D(2026, 10, 15)), ("2026年10月15日", D(2026, 10, 15)),
    ("令和8年10月15日", D(2026, 10, 15)), ("R8.10.15", D(2026, 10, 15)), ("２０２６／１０／１５", D(2026, 10, 15)),
    ("", None),
])
def test_japanese_dates_are_read(typed, date):
    field = DateText("期限")
    field.text.value = typed
    assert field.value == date and field.error.value == ""


@pytest.mark.parametrize("typed, said", [
    ("10/15", "「10/15」は日付として読めません"),                 # no year
    ("20261/10/15", "日付として読めません"),                     # a five-digit year
    ("2026/2/30", "「2026/2/30」という日付はありません"),
])
def test_a_partial_or_impossible_date_is_refused_at_the_field(typed, said):
    field = DateText("期限")
    field.text.value = typed
    assert field.value == typed                                  # not None: nothing is lost silently
    assert said in text(field.error.value) and "令和8年10月15日 のように年から入力してください" in text(field.error.value)
    field.text.value = "2026/10/15"
    assert field.value == D(2026, 10, 15) and field.error.value == ""


def test_a_date_set_by_the_model_is_shown_year_first():
    field = DateText("送付日")
    field.value = D(2026, 10, 31)
    assert field.text.value == "2026/10/31"
    field.value = None
    assert field.text.value == ""


def test_a_handover_date_that_is_not_a_date_is_refused_and_nothing_is_recorded(tmp_path):
    app = make_app(str(tmp_path / "records.teichaku.sqlite"))
    sign_in(app, "山田 花子")
    from test_app_models import open_case
    open_case(app, "027")
    view = app.view.handover
    view.party.value = "関係機関"
    view.with_whom.value = "架空市 就業・生活支援センター 高橋"
    view.shared_on.text.value = "9/20"
    view.record_shared.click()
    assert "日付" in view.message.value                              # below 引継ぎを記録
    with open_store(str(tmp_path / "records.teichaku.sqlite")) as store:
        assert store.handovers(app.model.book.key) == []


def test_a_due_date_in_the_past_is_asked_about_once(tmp_path):
    from test_app_models import TODAY, open_case
    app = make_app(str(tmp_path / "records.teichaku.sqlite"))
    open_case(app, "003")
    view = app.view.review
    view.action_content.value, view.action_owner.value = "企業と面談", "佐藤"
    view.action_due.text.value = "2026/11/20"                      # before TODAY (11月26日)
    view.add_button.click()
    assert app.model.review.pending_actions == []
    assert "期限（2026年11月20日）は今日より前です" in text(view.action_message.value)    # below the button
    view.add_button.click()                                        # the same date again: added
    assert [a["due_on"] for a in app.model.review.pending_actions] == [D(2026, 11, 20)]
    view.action_content.value, view.action_owner.value = "主治医に連絡", "田村"
    view.action_due.text.value = "11/30"                            # no year: refused, not "no date"
    view.add_button.click()
    assert "期限「11/30」は日付として読めません" in text(view.action_message.value)
    assert len(app.model.review.pending_actions) == 1 and TODAY == D(2026, 11, 26)


@pytest.mark.parametrize("today, in_month, asked", [
    (D(2026, 12, 6), D(2026, 10, 31), None),                       # the October meeting held in December
    (D(2026, 11, 1), D(2026, 10, 31), None),
    (D(2026, 10, 31), D(2026, 10, 31), D(2026, 10, 31)),
    (D(2026, 10, 15), D(2026, 10, 15), D(2026, 10, 15)),            # the month still running
    (D(2026, 9, 30), None, None),                                   # before it: no day to suggest
])
def test_a_date_about_a_month_starts_within_it(today, in_month, asked):
    assert day_in_month("2026-10", today) == in_month and asked_day(pd.Period("2026-10", "M"), today) == asked


def test_an_october_meeting_held_in_december_starts_its_dates_in_october(tmp_path):
    """開催日, モニタリング日 and 判断日 start on 31 October; the days of the person's consent, the
    handover and a 就労確認 are asked (blank), and recording one without its day says so."""
    from test_app_models import MONTH, open_case
    db = str(tmp_path / "records.teichaku.sqlite")
    app = make_app(db, today=D(2026, 12, 6))
    assert app.model.header.month == MONTH == "2026-10"
    assert app.view.meeting.sections[0].build().held_on.text.value == "2026/10/31"
    sign_in(app, "山田 花子")
    open_case(app, "027")
    handover = app.view.handover
    assert handover.needs_on.value == D(2026, 10, 31)
    assert handover.consent_on.value is None and handover.consent_on.text.value == ""
    assert handover.shared_on.value is None
    handover.record_consent.click()                                 # said where the page says what went wrong
    assert "同意日を入力してください" in app.model.guard.error + text(getattr(handover, "consent_message", handover).value
                                                                      if hasattr(handover, "consent_message") else "")
    open_case(app, "003")                                           # a person with a plan to monitor
    assert app.model.plan.goals and app.view.plan.monitored_on.text.value == "2026/10/31"
    app.view.checks.selected_index = 0                              # the 就労定着率 panel opened
    checks = app.view.checks.children[0]
    assert checks.checked_on.value is None
    with open_store(db) as store:
        assert store.handovers(app.model.book.key) == []

    during = make_app(str(tmp_path / "during.teichaku.sqlite"), today=D(2026, 10, 20))
    during.view.header.month.value = "2026-10"
    assert during.model.meeting.held_on == D(2026, 10, 20)


def test_the_month_list_opens_on_the_latest_month_with_data(tmp_path):
    app = make_app(str(tmp_path / "records.teichaku.sqlite"), today=D(2026, 12, 6))
    options = app.view.header.month.options
    assert options[0] == ("2026年10月", "2026-10") and app.view.header.month.value == "2026-10"
    assert options[-1] == ("2026年11月（データなし）", "2026-11")          # after the data: last, and said so
    assert [value for _, value in options].count("2026-11") == 1 and "2026-12" not in dict(options).values()
