"""The panel 「就労定着率と就労確認」: the rates claimed and on evidence, the people whose
employment must be confirmed, and the 就労確認 recorded there.  Driven the way the view drives
the model, on the demo workbook with a review store in tmp_path (synthetic people only).

On the demo's October, judged as of the month's end as the 月次サマリー is (2026年10月末時点; TODAY
is 2026年11月26日): FY 2026 (R = 2026年3月31日) counts 27 of 29 employed, all on evidence; the
projection for FY 2027 counts 32 of 36 (033 left on 2026年10月9日 with no new job recorded), but two
have no 就労確認 継続 from 2026年9月30日 on (015: latest check 2026年10月17日 離職; 020: 2026年7月9日
継続; 030's 2026年10月9日 継続 counts), so on evidence 30 of 36.  The 確認日 starts blank: October is
over, and the day of a check is the day it was done.
"""

from __future__ import annotations

import datetime as dt

import pytest

from teichaku_nb.store import open_store

from test_app_fees import text
from test_app_models import make_app, sign_in, sign_out

D = dt.date


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "records.teichaku.sqlite")


@pytest.fixture
def app(db):
    made = make_app(db)
    sign_in(made, "山田 花子")
    made.view.checks.selected_index = 0          # staff open the panel
    return made


def record(view, **values) -> None:
    """Fill the panel's form and press 「就労確認を記録」."""
    for name, value in values.items():
        getattr(view, name).value = value
    view.record.click()


def rates(app) -> str:
    return text(app.view.checks.children[0].rates.value)


def people(app) -> str:
    return text(app.view.checks.children[0].people.value)


def test_the_panel_shows_both_rates_with_tiers_and_whom_to_confirm(app):
    assert app.view.checks.get_title(0) == "就労定着率と就労確認"
    shown = rates(app)
    assert ("2026年度の基本報酬 2026年3月31日 93.1% （就労中 27人 / 対象 29人） 90%以上95%未満・3,348単位 "
            "93.1% （就労中 27人 / 対象 29人） 90%以上95%未満・3,348単位") in shown
    assert ("翌年度（2027年度）の見込み 2027年3月31日 2026年10月末時点 88.9% （就労中 32人 / 対象 36人） "
            "80%以上90%未満・2,768単位 83.3% （就労中 30人 / 対象 36人） 80%以上90%未満・2,768単位 確認が要る人 2人") in shown
    assert "見込み: 2026年10月末時点で就労している人は" in shown
    listed = people(app)
    assert "就労の確認が要る人（2026年10月末時点・2人）" in listed
    assert "020 木村 浩二 2025年12月3日 2026年7月9日 継続 2027年度の見込み 2026年9月30日" in listed
    assert "015 後藤 麻衣 2026年7月14日 2026年10月17日 離職（利用者シートの離職日を確かめてください）" in listed
    assert "030 藤井 美咲" not in listed                             # confirmed on 10月9日, as of October's end
    view = app.view.checks.children[0]
    assert [value for _, value in view.user_id.options] == ["", "015", "020"]
    assert view.user_id.value == ""                                  # nobody is chosen for the user
    assert view.checked_on.value is None and view.employment.value == "継続"


def test_the_panel_says_what_the_rate_means_in_yen_and_who_is_at_risk(app):
    view = app.view.checks.children[0]
    shown = text(view.money.value)
    assert "基本報酬の金額の見込み（2026年10月時点・職員向けの見込み）" in shown
    # the projection: 2,768 units × 10円 × 25.75 people a month (309 person-months over the 12
    # months to October) × 12 = 8,553,120円; October's 要対応 and 注意 people still employed: one
    # leaving takes it from 32/36 to 31/36, the same tier; four leavings would drop it
    assert "2027年度（就労定着率 88.9%、区分 80%以上90%未満）: 1人1か月 2,768単位 = 27,680円、事業所で月およそ 712,760円、" \
        "年間およそ 8,553,120円" in shown
    assert ("離職すると、見込みの就労定着率は 88.9% → 86.1% になりますが、区分（80%以上90%未満）は変わらず、"
            "基本報酬は変わらない見込みです") in shown
    assert "見込みの区分（80%以上90%未満）は、就労中の方があと 4人 離職すると 70%以上80%未満 に下がります" in shown
    assert "要対応 001 青木 蓮" in shown and "注意 029 山田 誠" in shown and "010 後藤 翔太" not in shown
    assert "見込みの前提" in shown and "金額はすべて見込みです" in shown


def test_recording_a_check_confirms_the_person_and_a_withdrawal_undoes_it(app, db):
    view = app.view.checks.children[0]
    record(view, user_id="020", checked_on=D(2026, 11, 20), method="企業", note="人事の担当に電話")
    assert app.model.guard.error == ""
    assert ("020 木村 浩二 の就労確認（2026年11月20日・継続）を記録しました（記録者 山田 花子）。"
            "確認が要る人の一覧から外れました") in text(view.message.value)
    assert "就労の確認が要る人（2026年10月末時点・1人）" in people(app) and "木村 浩二" not in people(app)
    assert "86.1% （就労中 31人 / 対象 36人） 80%以上90%未満・2,768単位 確認が要る人 1人" in rates(app)
    assert "020 木村 浩二 2026年11月20日 継続 企業 人事の担当に電話 山田 花子" in text(view.listing.value)
    assert [value for _, value in view.user_id.options] == ["", "015"] and view.user_id.value == ""
    with open_store(db) as store:
        kept = store.employment_checks(app.model.book.key)
    assert [(c.user_id, c.checked_on, c.employment, c.method, c.created_by) for c in kept] == [
        ("020", D(2026, 11, 20), "継続", "企業", "山田 花子")]

    view.withdraw_choice.value = kept[0].id
    view.withdraw_reason.value = "別の人の確認だった"
    view.withdraw.click()
    assert app.model.guard.error == ""
    assert "取り消しました" in text(view.withdraw_message.value) and view.message.value == ""   # below 取消
    assert "就労の確認が要る人（2026年10月末時点・2人）" in people(app) and "020 木村 浩二" in people(app)
    assert "83.3% （就労中 30人 / 対象 36人）" in rates(app)
    listing = text(view.listing.value)
    assert "取消（山田 花子" in listing and "別の人の確認だった）" in listing and "teichaku-withdrawn" in view.listing.value


def test_a_check_too_old_or_saying_left_keeps_the_person_on_the_list(app):
    view = app.view.checks.children[0]
    record(view, user_id="020", checked_on=D(2026, 9, 25))
    assert "まだ確認が要ります: 2026年9月30日以降の確認が必要です" in text(view.message.value)
    assert "020 木村 浩二 2025年12月3日 2026年9月25日 継続" in people(app)

    record(view, user_id="015", checked_on=D(2026, 11, 24), employment="離職", method="本人")
    assert "離職の確認では就労定着率は変わりません" in text(view.message.value)
    assert "015 後藤 麻衣 2026年7月14日 2026年11月24日 離職" in people(app)
    assert "就労の確認が要る人（2026年10月末時点・2人）" in people(app)


def test_recording_needs_a_person_chosen_someone_signed_in_and_a_withdrawal_a_reason(app, db):
    view = app.view.checks.children[0]
    view.record.click()
    assert "就労確認を記録する人を選んでください" in text(view.message.value)
    app.model.guard.clear()
    sign_out(app)
    record(view, user_id="020")
    assert ("就労確認の記録ができませんでした: サインインした職員がわからないため、就労確認を記録できません。"
            "ページを開き直してください") == text(view.message.value)
    app.model.guard.clear()
    sign_in(app, "山田 花子")
    record(view, user_id="020")                                     # October is over: the day is asked
    assert "確認日（就労を確かめた日）を入力してください" in app.model.guard.error + text(view.message.value)
    app.model.guard.clear()
    record(view, user_id="020", checked_on=D(2026, 11, 20))
    view.withdraw_choice.value = app.model.checks.records[0]["id"]
    view.withdraw.click()
    assert "取り消す理由を入力してください" in text(view.withdraw_message.value)
    with open_store(db) as store:
        assert [c.is_withdrawn for c in store.employment_checks(app.model.book.key, include_withdrawn=True)] == [False]


def test_a_check_recorded_elsewhere_shows_after_reload_and_typed_text_is_escaped(app, db):
    with open_store(db) as store:
        store.record_employment_check(app.model.book.key, "020", by="佐藤", checked_on=D(2026, 11, 2),
                                      employment="継続", note="<script>window.__xss=1</script>")
    assert "020 木村 浩二" in people(app)
    app.view.reload.click()
    assert "020 木村 浩二" not in people(app) and "就労の確認が要る人（2026年10月末時点・1人）" in people(app)
    html = app.view.checks.children[0].listing.value
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_another_month_shows_its_fiscal_year(app):
    app.view.header.month.value = "2026-03"
    assert "2025年度の基本報酬 2025年3月31日" in rates(app)
    assert "翌年度（2026年度）の見込み" in rates(app)


def test_the_folded_panel_is_computed_when_staff_open_it(db):
    made = make_app(db)
    assert made.model.checks.rates == []                   # the first page does not wait for it
    made.view.checks.selected_index = 0
    assert "2026年度の基本報酬 2026年3月31日 93.1%" in rates(made)
    made.view.checks.selected_index = None
    made.view.header.month.value = "2026-09"
    made.view.checks.selected_index = 0
    assert "2026年度の基本報酬 2026年3月31日" in rates(made)
