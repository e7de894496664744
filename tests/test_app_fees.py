"""The fee check (算定チェック) in the conference app, and the handover recorded there: the
header's counts, the case's status with its reasons, 減算 and 加算, and the review form's
section 「引継ぎ（支援体制構築）」.  Driven the way the views drive the models, on the demo
workbook with a review store in tmp_path (synthetic people only)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from teichaku_nb.app.conference import ConferenceModel
from teichaku_nb.app.views.conference import ConferenceApp
from teichaku_nb.billing import BILLABLE, NOT_BILLABLE, TO_CHECK, reduction_text
from teichaku_nb.office_month import OfficeMonth
from teichaku_nb.store import open_store

from test_app_models import DEMO, PERIOD, TODAY, make_app, open_case, sign_in, sign_out

ENDING = "027"          # the demo's person whose support ends 2026-12-24: the handover was due 2026-09-24,
                        # with consent and the employer, but no outside body: October is a month of the
                        # office's 支援体制構築未実施減算 (everyone billed, 10 %)
LATE = "027 清水 結衣（期限 2026年9月24日までに 関係機関・医療機関との引継ぎ がありません）"


def text(html: str) -> str:
    """What a reader sees of an HTML fragment (tags dropped, spaces squeezed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "records.teichaku.sqlite")


@pytest.fixture
def app(db):
    made = make_app(db)
    sign_in(made, "山田 花子")
    return made


def expected_bill(app, db):
    with open_store(db) as store:
        return OfficeMonth(app.model.book, PERIOD, store, today=TODAY).billing


def test_the_header_counts_the_months_statuses_for_the_office_and_for_a_team(app, db):
    people = expected_bill(app, db).people
    shown = text(app.view.header.billing.value)
    assert shown.startswith("2026年10月の算定チェック（事業所全体）")
    for status in (BILLABLE, TO_CHECK, NOT_BILLABLE):
        assert f"{status} {sum(p.status == status for p in people)}人" in shown
    billed = [p for p in people if p.status == BILLABLE]
    assert f"請求 {sum(p.units for p in billed):,}単位（総費用額 {sum(p.yen for p in billed):,}円）" in shown
    assert "基本報酬の区分 90%以上95%未満（届け出た区分）" in shown

    app.view.header.team.value = "A"
    shown = text(app.view.header.billing.value)
    team = {r["user_id"] for r in app.model.agenda.rows}
    assert "（チーム A）" in shown
    for status in (BILLABLE, TO_CHECK, NOT_BILLABLE):
        assert f"{status} {sum(p.status == status for p in people if p.user_id in team)}人" in shown


def first_page(db) -> ConferenceApp:
    """The first page after the start: its records read with the fee check left for later."""
    model = ConferenceModel(DEMO, db, demo=True, today=TODAY)
    model.load(fee_check=False)
    return ConferenceApp(model)


def test_the_first_page_shows_the_fee_check_once_the_agenda_is_shown(db):
    app = first_page(db)
    assert app.model.agenda.rows and "算定チェック" not in text(app.view.header.billing.value)
    app.warm_up()                                   # while staff read the agenda
    assert text(app.view.header.billing.value).startswith("2026年10月の算定チェック（事業所全体）")


def test_a_case_opened_before_the_warm_up_shows_its_fee_check(db):
    app = first_page(db)
    open_case(app, "003")
    assert "2026年10月の算定チェック" in text(app.view.case.billing.value)
    assert text(app.view.header.billing.value).startswith("2026年10月の算定チェック")


def test_a_case_shows_its_status_and_why(app, db):
    bills = {p.user_id: p for p in expected_bill(app, db).people}
    refused = next(p for p in bills.values() if p.status == NOT_BILLABLE)
    open_case(app, refused.user_id)
    shown = text(app.view.case.billing.value)
    assert "2026年10月の算定チェック 算定不可" in shown and "この月は算定できません" in shown
    assert all(r.message in shown for r in refused.reasons)

    reduced = next(p for p in bills.values() if p.reductions and p.status == BILLABLE)
    open_case(app, reduced.user_id)
    shown = text(app.view.case.billing.value)
    assert "算定可" in shown and f"単位数: {reduced.units:,}単位（総費用額 {reduced.yen:,}円）" in shown
    assert all(f"減算 {reduction_text(r)}" in shown for r in reduced.reductions)
    assert "根拠: 対面: " in shown and "支援レポート: 本人" in shown


def record(view, **values) -> None:
    """Fill the handover section's fields and press the button."""
    press = values.pop("press")
    for name, value in values.items():
        getattr(view, name).value = value
    getattr(view, press).click()


def test_recording_the_handover_updates_the_fee_check_and_a_withdrawal_undoes_it(app, db):
    open_case(app, ENDING)
    view = app.view.handover
    assert "要継続支援 はい（ケース記録の要継続支援）" in text(view.status.value)
    assert "支援体制構築未実施減算（事業所全体）" in text(app.view.case.billing.value)
    assert LATE in text(app.view.header.billing.value)

    record(view, party="関係機関", with_whom="就業・生活支援センター 高橋", shared_on=dt.date(2026, 9, 20),
           press="record_shared")
    assert app.model.guard.error == ""
    assert "記録しました（記録者 山田 花子）" in text(view.message.value)
    assert "支援体制構築未実施減算" not in text(app.view.case.billing.value)       # refreshed at once
    assert LATE not in text(app.view.header.billing.value)
    assert "引継ぎは期限までに済んでいます" in text(view.status.value)
    assert "就業・生活支援センター 高橋" in text(view.listing.value)
    assert "handover_due" not in [f["code"] for f in app.model.case.flags]

    shared = next(r for r in app.model.handover.records if r["label"].startswith("引継ぎの共有（関係機関"))
    view.withdraw_choice.value = shared["id"]
    view.withdraw_reason.value = "別の人の面談だった"
    view.withdraw.click()
    assert app.model.guard.error == ""
    assert "支援体制構築未実施減算" in text(app.view.case.billing.value)
    assert "取消（山田 花子" in text(view.listing.value) and "teichaku-withdrawn" in view.listing.value

    record(view, needs="いいえ", needs_on=dt.date(2026, 10, 5), press="record_needs")
    assert "支援体制構築未実施減算" not in text(app.view.case.billing.value)
    with open_store(db) as store:
        kept = store.handovers(app.model.book.key, ENDING, include_withdrawn=True)
    assert [(h.kind, h.created_by, h.is_withdrawn) for h in kept] == [("shared", "山田 花子", True), ("needs", "山田 花子", False)]


def test_recording_is_an_act_of_its_own_never_part_of_saving_the_review(app, db):
    open_case(app, ENDING)
    app.view.handover.needs.value = "いいえ"
    app.view.review.texts["policy"].value = "引継ぎ先を探す"
    app.view.review.save_button.click()
    assert app.model.guard.error == ""
    with open_store(db) as store:
        assert store.handovers(app.model.book.key) == []

    app.view.review.texts["issues"].value = "まだ保存していない課題"
    record(app.view.handover, needs="いいえ", needs_on=dt.date(2026, 10, 5), press="record_needs")
    assert app.model.guard.error == ""
    assert app.view.review.texts["issues"].value == "まだ保存していない課題" and app.model.review.dirty
    assert "handover_due" not in [f["code"] for f in app.model.case.flags]


def test_a_record_dated_after_the_month_says_from_which_month_it_counts(app):
    open_case(app, ENDING)
    record(app.view.handover, needs="いいえ", needs_on=dt.date(2026, 11, 4), press="record_needs")
    assert "2026年11月4日は2026年10月より後のため、2026年10月の算定チェックには数えず、2026年11月から数えます" \
        in text(app.view.handover.needs_message.value)                          # below 判断を記録
    assert "要継続支援 はい（ケース記録の要継続支援）" in text(app.view.handover.status.value)
    assert "支援体制構築未実施減算" in text(app.view.case.billing.value)


def test_the_handover_section_says_what_is_missing_in_japanese(app):
    open_case(app, ENDING)
    view = app.view.handover
    record(view, needs="", press="record_needs")
    assert "要継続支援を はい か いいえ から選んでから記録してください" in text(view.needs_message.value)
    app.model.guard.clear()
    record(view, party="医療機関", with_whom=" ", press="record_shared")
    assert "相手の名前" in text(view.message.value) and view.needs_message.value == ""
    app.model.guard.clear()
    sign_out(app)
    record(view, press="record_consent")
    assert "サインインした職員がわからないため" in text(view.consent_message.value)
    assert app.model.handover.records == []


def test_typed_text_in_a_handover_record_is_escaped(app):
    open_case(app, ENDING)
    record(app.view.handover, party="企業", with_whom="<script>window.__xss=1</script>", shared_on=dt.date(2026, 10, 20),
           press="record_shared")
    html = app.view.handover.listing.value
    assert "&lt;script&gt;" in html and "<script>" not in html
