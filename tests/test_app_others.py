"""Others' saves appear: two pages on one store, without a browser.  A page learns that the
case, the month's meeting or another case was saved elsewhere (who, when, what), and 「取り込む」
brings it in keeping what its user typed.  The page's check is what its poller runs every few
seconds (``ConferenceModel.check_others``); here it is called directly."""

from __future__ import annotations

import datetime as dt

from teichaku_nb.store import open_store

from test_app_models import MONTH, button, db, fill_review, make_app, open_case, sign_in  # noqa: F401 (db: fixture)
from helpers_demo import DEMO_KEY

OFFICE = DEMO_KEY                      # the store keeps the demo office's records under its 事業所番号


def two_pages(db, user_id: str | None = None):
    mine, theirs = make_app(db), make_app(db)
    sign_in(mine, "甲野")
    sign_in(theirs, "乙川")
    if user_id:
        open_case(mine, user_id)
        open_case(theirs, user_id)
    return mine, theirs


def notice(app) -> str:
    return app.view.others.value


def meeting(app):
    """The meeting panel's view (built as when staff open its folded section)."""
    return app.view.meeting.sections[0].build()


def test_a_colleagues_save_of_the_open_case_is_shown_and_taken_in_keeping_what_is_typed(db):
    mine, theirs = two_pages(db, "005")
    fill_review(mine, issues="甲の課題（入力中）")
    assert not mine.model.check_others() and notice(mine) == ""
    fill_review(theirs, workplace="乙の職場の記録")
    theirs.view.review.save_button.click()

    assert mine.model.check_others()
    shown = notice(mine)
    assert "このケース（005" in shown and "2026年10月" in shown and "乙川 さん" in shown and "ケース検討" in shown
    assert mine.view.others_box_copy.layout.display == "" and mine.view.others_box.layout.display == "none"
    assert mine.view.review.texts["workplace"].value == ""               # nothing changes before 取り込む

    mine.view.take_in.click()
    review = mine.view.review
    assert review.texts["workplace"].value == "乙の職場の記録" and review.texts["issues"].value == "甲の課題（入力中）"
    assert mine.model.review.dirty and mine.model.review.version == 1
    assert "乙川 さん" in review.message.value and "職場の現状" in review.message.value
    assert 'data-kind="merged"' in review.message.value and notice(mine) == ""
    review.save_button.click()
    with open_store(db) as store:
        saved = store.review(OFFICE, "005", MONTH)
    assert (saved.workplace, saved.issues, saved.version, saved.updated_by) == (
        "乙の職場の記録", "甲の課題（入力中）", 2, "甲野")


def test_taking_in_a_field_both_changed_shows_both_texts_to_choose(db):
    mine, theirs = two_pages(db, "006")
    fill_review(mine, policy="甲の方針")
    fill_review(theirs, policy="乙の方針", wishes="乙の聞いた意向")
    theirs.view.review.save_button.click()
    assert mine.model.check_others()
    mine.view.take_in.click()
    review = mine.view.review
    assert review.conflict_box.layout.display == "" and list(review.choices) == ["policy"]
    assert review.texts["policy"].value == "甲の方針" and review.texts["wishes"].value == "乙の聞いた意向"
    review.choices["policy"].value = "edit"
    review.combined["policy"].value = "乙と甲の方針"
    button(review, "選んだ内容で保存").click()
    with open_store(db) as store:
        saved = store.review(OFFICE, "006", MONTH)
        history = store.history(user_id="006")
    olds = [h.changes["policy"][0] for h in history if "policy" in h.changes and h.operation == "update"]
    assert (saved.policy, saved.wishes) == ("乙と甲の方針", "乙の聞いた意向") and olds[-1] == "乙の方針"
    assert history[-1].operation == "not_kept" and history[-1].changed_by == "甲野"    # 甲's text, edited away
    assert history[-1].changes == {"policy": ("甲の方針", "乙と甲の方針")}


def test_a_page_does_not_report_its_own_saves(db):
    mine, _theirs = two_pages(db, "007")
    fill_review(mine, workplace="自分の保存")
    mine.view.review.save_button.click()
    mine.model.review.action_content = "職場訪問"
    assert not mine.model.check_others() and notice(mine) == ""


def test_other_cases_saved_elsewhere_are_listed_and_the_agenda_takes_them_in(db):
    mine, theirs = two_pages(db)
    open_case(mine, "012")
    fill_review(mine, wishes="入力中")
    open_case(theirs, "013")
    fill_review(theirs, workplace="乙の記録")
    theirs.view.review.save_button.click()
    assert mine.model.check_others()
    name = mine.model.book.names["013"]
    assert f"013 {name}" in notice(mine) and "ほかのケース" in notice(mine) and "このケース" not in notice(mine)
    row = next(r for r in mine.model.agenda.rows if r["user_id"] == "013")
    assert not row["reviewed"]
    mine.view.take_in.click()
    assert next(r for r in mine.model.agenda.rows if r["user_id"] == "013")["reviewed"]
    assert mine.view.review.texts["wishes"].value == "入力中" and notice(mine) == ""


def test_a_page_opened_after_a_meeting_was_saved_shows_the_saved_meeting(db):
    page = make_app(db)                   # a preheated kernel, prepared before the save
    other = make_app(db)
    sign_in(other, "乙川")
    panel = meeting(other)
    panel.attendees.value = "乙川、丙田"
    panel.save.click()
    page.model.viewer_arrived()
    assert page.model.meeting.attendees == "乙川、丙田"
    assert "記録済み: 乙川 さん" in meeting(page).status.value


def test_the_meeting_saved_elsewhere_is_announced_and_taken_in_keeping_typed_fields(db):
    mine, theirs = two_pages(db)
    mine_panel, their_panel = meeting(mine), meeting(theirs)
    assert "2026年10月の会議" in mine_panel.heading.value and mine.view.meeting.get_title(0).endswith("— 2026年10月")
    mine_panel.attendees.value = "甲野、丁村"                         # typed, not recorded
    their_panel.held_on.value = dt.date(2026, 11, 6)
    their_panel.attendees.value = "乙川"
    their_panel.save.click()

    assert mine.model.check_others()
    assert "2026年10月の会議の記録" in notice(mine) and "乙川 さん" in notice(mine)
    mine.view.take_in.click()
    assert mine.model.meeting.held_on == dt.date(2026, 11, 6)          # only they changed it
    assert mine.model.meeting.attendees == "甲野、丁村"                # both changed: what is typed stays
    status = mine_panel.status.value
    assert "出席者はあなたの入力を残しました" in status and "乙川" in status and "teichaku-attention" in status
    mine_panel.save.click()
    with open_store(db) as store:
        (saved,) = store.conferences(OFFICE, MONTH)
    assert saved.attendees == ("甲野", "丁村") and saved.held_on == dt.date(2026, 11, 6) and saved.version == 2


def test_meeting_names_typed_then_given_up_for_the_recorded_ones_stay_in_the_history(db):
    mine, theirs = two_pages(db)
    mine_panel, their_panel = meeting(mine), meeting(theirs)
    their_panel.attendees.value = "乙川、丙田"
    their_panel.save.click()
    mine.view.reload.click()                                        # both pages show version 1
    their_panel.attendees.value = "乙川"
    their_panel.save.click()
    mine_panel.attendees.value = "甲野、丁村"
    mine_panel.save.click()                                         # both changed 出席者: nothing recorded
    assert "出席者はあなたの入力を残しました" in mine_panel.status.value
    mine_panel.attendees.value = "乙川"                               # 甲 keeps the recorded names after all
    mine_panel.save.click()
    with open_store(db) as store:
        entries = [h for h in store.history() if h.record_kind == "conferences"]
    assert entries[-1].operation == "not_kept" and entries[-1].changed_by == "甲野"
    assert entries[-1].changes == {"attendees": (["甲野", "丁村"], ["乙川"])}


def test_recording_the_meeting_over_a_colleagues_record_merges_instead_of_discarding(db):
    mine, theirs = two_pages(db)
    mine_panel, their_panel = meeting(mine), meeting(theirs)
    their_panel.attendees.value = "乙川、丙田"
    their_panel.save.click()
    mine.view.reload.click()                                        # both pages show version 1
    their_panel.held_on.value = dt.date(2026, 11, 6)
    their_panel.save.click()
    mine_panel.attendees.value = "乙川、丙田、甲野"                     # 甲 has not seen version 2
    mine_panel.save.click()
    assert mine.model.guard.error == ""
    with open_store(db) as store:
        (saved,) = store.conferences(OFFICE, MONTH)
    assert saved.attendees == ("乙川", "丙田", "甲野") and saved.held_on == dt.date(2026, 11, 6)
    assert saved.version == 3
    status = mine_panel.status.value
    assert "乙川 さん" in status and "開催日" in status and "あなたの変更と合わせて会議を記録しました" in status
    assert "teichaku-attention" in status


def test_a_refused_month_switch_says_the_page_stays_on_its_month(db):
    app = make_app(db)
    open_case(app, "007")
    fill_review(app, wishes="書きかけ")
    app.view.header.month.value = "2026-09"
    assert app.model.pending_leave["kind"] == "month"
    app.view.leave_no.click()
    assert app.model.header.month == MONTH and app.model.meeting.month == MONTH
    assert "対象月は変えていません" in app.view.notice.value and "2026年10月" in app.view.notice.value
    assert "2026年10月の会議" in meeting(app).heading.value
    assert app.view.review.texts["wishes"].value == "書きかけ"
    sign_in(app, "甲野")
    app.view.review.save_button.click()
    assert app.view.notice.value == ""                              # saved: the question is over
    app.view.header.month.value = "2026-09"                         # saved: the switch goes through
    assert app.model.meeting.month == "2026-09" and "2026年9月の会議" in meeting(app).heading.value
    assert [app.view.meeting.get_title(0), app.view.exports.get_title(1)] == [
        "会議の記録（開催日・種別・出席者） — 2026年9月", "支援レポートの送付の記録 — 2026年9月"]
    assert app.view.notice.value == ""
