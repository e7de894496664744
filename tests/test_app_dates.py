"""Dates typed in the app: Japanese forms are read, anything else is said no to at the field
and never becomes "no date" behind the user's back."""

from __future__ import annotations

import datetime as dt

import pytest

from teichaku_nb.app.dates import DateText
from teichaku_nb.store import open_store

from test_app_fees import text
from test_app_models import make_app

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
    app.view.header.recorder.value = "山田 花子"
    from test_app_models import open_case
    open_case(app, "027")
    view = app.view.handover
    view.party.value = "関係機関"
    view.with_whom.value = "架空市 就業・生活支援センター 高橋"
    view.shared_on.text.value = "9/20"
    view.record_shared.click()
    assert "日付" in app.model.guard.error
    with open_store(str(tmp_path / "records.teichaku.sqlite")) as store:
        assert store.handovers(app.model.book.office) == []


def test_a_due_date_in_the_past_is_asked_about_once(tmp_path):
    from test_app_models import TODAY, open_case
    app = make_app(str(tmp_path / "records.teichaku.sqlite"))
    open_case(app, "003")
    view = app.view.review
    view.action_content.value, view.action_owner.value = "企業と面談", "佐藤"
    view.action_due.text.value = "2026/11/20"                      # before TODAY (11月26日)
    view.add_button.click()
    assert app.model.review.pending_actions == []
    assert "期限（2026年11月20日）は今日より前です" in text(view.message.value)
    view.add_button.click()                                        # the same date again: added
    assert [a["due_on"] for a in app.model.review.pending_actions] == [D(2026, 11, 20)]
    view.action_content.value, view.action_owner.value = "主治医に連絡", "田村"
    view.action_due.text.value = "11/30"                            # no year: refused, not "no date"
    view.add_button.click()
    assert "期限「11/30」は日付として読めません" in app.model.guard.error
    assert len(app.model.review.pending_actions) == 1 and TODAY == D(2026, 11, 26)
