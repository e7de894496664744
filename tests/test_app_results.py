"""What a button did is said beside it, and what staff must answer before an act is asked where
they are: the panels without a browser, driven as the page drives them (``.value =``,
``.click()``), on the bundled demo with a store in tmp_path.  The browser's view of the same (at
1366×800) is tests/test_app_hand.py.  All people are synthetic."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from teichaku_nb.store import Review, StoreError, open_store
from teichaku_nb.store.checks import LONG_TEXT, SHORT_TEXT

from test_app_models import (MONTH, db, fill_review, make_app, message_kind, open_case, open_panel,  # noqa: F401
                             sign_in, sign_out)

NO_PLAN = "008"                      # the demo's person without a 個別支援計画


def said(widget) -> str:
    """The text of an HTML widget, without its tags."""
    return re.sub(r"<[^>]+>", "", widget.value).strip()


def draft_view(app):
    return app.view.plan.children[6]


# --- 1. the message where the hand is ----------------------------------------------------------------

def test_a_refused_check_is_said_below_its_button_and_the_next_result_replaces_it(db):
    app = make_app(db)
    sign_in(app, "山田 花子")
    checks = open_panel(app.view.checks, 0)
    checks.record.click()                                            # nobody chosen
    assert "就労確認を記録する人を選んでください" in said(checks.message)
    assert "teichaku-failed" in checks.message.value                 # an error: red
    assert app.model.guard.error == "" and app.view.error_box.layout.display == "none"   # not at the top
    checks.user_id.value, checks.checked_on.value = "020", dt.date(2026, 11, 20)
    checks.record.click()
    assert "020 木村 浩二 の就労確認" in said(checks.message) and "選んでください" not in said(checks.message)
    assert "teichaku-failed" not in checks.message.value
    checks.withdraw.click()                                          # nothing chosen to withdraw
    assert "取り消す就労確認の記録を選んでください" in said(checks.withdraw_message)
    assert checks.message.value == ""                                # one result at a time: the latest


def test_a_sending_error_is_said_in_the_sending_panel_not_under_the_open_case(db):
    app = make_app(db)
    sign_in(app, "山田 花子")
    open_case(app, "003")
    sending = open_panel(app.view.exports, 1)
    sending.scope.value = "made"                                     # no 支援レポート made on this page
    sending.record.click()
    assert "2026年10月の支援レポートをまだ作成していません" in said(sending.message)
    assert "teichaku-failed" in sending.message.value
    assert app.model.guard.error == ""
    assert app.view.error_box_copy.layout.display == "none"          # nothing under 003 池田 誠's name


def test_a_failed_draft_save_replaces_the_green_message_of_the_draft_opened(db):
    app = make_app(db)
    open_case(app, NO_PLAN)
    sign_in(app, "甲野")
    draft = draft_view(app)
    draft.create.click()
    assert "次の計画の案を開きました" in said(draft.message) and message_kind(draft.message) == "ok"
    sign_out(app)
    draft.wishes.value = "書きかけの意向"
    draft.save_button.click()
    assert draft.message.value == ""                                 # the old 「…開きました」 is gone
    assert "サインインした職員がわからないため、計画を保存できません。ページを開き直してください" in said(draft.save_message)
    assert message_kind(draft.save_message) == "error" and app.model.guard.error == ""


def test_a_bug_behind_a_button_is_logged_with_its_traceback_and_said_beside_the_button(db, caplog, monkeypatch):
    app = make_app(db)
    sign_in(app, "山田 花子")
    open_case(app, "004")
    fill_review(app, workplace="記入")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(app.model.store, "save_review", broken)
    with caplog.at_level(logging.ERROR, logger="teichaku_nb.app"):
        app.view.review.save_button.click()
    message = said(app.view.review.message)
    assert "保存ができませんでした（RuntimeError: boom）" in message and "管理者に連絡" in message
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)
    assert app.model.guard.error == ""


def test_a_message_no_button_caused_goes_to_the_forms_first_line(db):
    """Another page's save taken in is said at the save bar, not beside the button pressed last."""
    mine, theirs = make_app(db), make_app(db)
    for page, name in ((mine, "甲野"), (theirs, "乙川")):
        sign_in(page, name)
        open_case(page, "005")
    review = mine.view.review
    review.action_content.value = "内容だけ"
    review.add_button.click()                                        # refused below the action row
    assert "担当" in said(review.action_message)
    fill_review(theirs, workplace="乙の職場の記録")
    theirs.view.review.save_button.click()
    mine.view.take_in.click()
    assert "乙川 さん" in said(review.message) and review.action_message.value == ""


# --- 2. the people of the last 支援レポート batch ----------------------------------------------------

@pytest.mark.slow
def test_the_support_reports_people_stay_offered_while_the_minutes_and_summary_are_made(db):
    app = make_app(db)
    sign_in(app, "田村 浩")
    open_case(app, "005")
    export = open_panel(app.view.exports, 0)
    export.scope.value, export.audience.value = "case", "本人"
    export.button.click()
    assert "1件を作成しました" in said(export.status)
    for kind in ("minutes", "summary"):                              # everything else made afterwards
        export.kind.value = kind
        export.scope.value = "all"
        export.button.click()
        assert "作成しました" in said(export.status), said(export.status)
    assert app.model.sending.made_users == ["005"]
    sending = open_panel(app.view.exports, 1)
    sending.scope.value = "made"
    sending.sent_on.value = dt.date(2026, 11, 5)
    sending.record.click()
    assert "1人の送付を記録しました" in said(sending.message)
    with open_store(db) as store:
        assert [r.user_id for r in store.issued_reports(None, MONTH)] == ["005"]

    app.view.header.month.value = "2026-09"                          # another month: its own batch (none)
    assert app.model.sending.made_users == []
    app.view.header.month.value = MONTH                              # back: this month's people again
    assert app.model.sending.made_users == ["005"]


# --- 3. the notice of others' saves -----------------------------------------------------------------

def _others_save(page, user_ids) -> None:
    for user_id in user_ids:
        open_case(page, user_id)
        fill_review(page, workplace=f"{user_id} の記録")
        page.view.review.save_button.click()


def test_the_notice_lists_the_open_case_and_the_latest_and_folds_the_rest(db):
    mine, theirs = make_app(db), make_app(db)
    sign_in(mine, "甲野")
    sign_in(theirs, "乙川")
    open_case(mine, "005")
    _others_save(theirs, ["005", "012", "013", "022", "023", "029"])
    assert mine.model.check_others()
    notice = mine.view.others.value
    shown, folded = notice.split("<details", 1)
    assert shown.count("<li>") == 3 and "ほか 3件" in folded and folded.count("<li>") == 3
    assert re.search(r"<li><b>このケース（005 [^<]+・2026年10月）</b>: 乙川 さん", shown)     # the open case first
    names = mine.model.book.names
    assert f"ほかのケース（029 {names['029']}）" in shown and f"ほかのケース（023 {names['023']}）" in shown
    assert f"ほかのケース（012 {names['012']}）" in folded                 # the oldest are folded


def test_saves_the_page_has_read_since_are_no_longer_news(db):
    mine, theirs = make_app(db), make_app(db)
    sign_in(mine, "甲野")
    sign_in(theirs, "乙川")
    open_case(mine, "007")
    _others_save(theirs, ["013"])
    mine.view.reload.click()                                         # read before the poll saw it
    assert not mine.model.check_others() and mine.view.others.value == ""
    _others_save(theirs, ["012"])
    open_case(mine, "012")                                           # opened: read afresh
    assert not mine.model.check_others() and mine.view.others.value == ""
    _others_save(theirs, ["022"])
    assert mine.model.check_others() and "022" in mine.view.others.value
    mine.view.take_in.click()                                        # taken in: gone
    assert mine.view.others.value == "" and not mine.model.check_others()


# --- 4. asked before what cannot be undone ------------------------------------------------------------

def _a_draft_to_finalise(db):
    app = make_app(db)
    open_case(app, NO_PLAN)
    sign_in(app, "甲野")
    draft = draft_view(app)
    draft.create.click()
    draft.add_goal.click()
    row = draft.rows[-1]
    row["domain"].value, row["goal"].value = "職場", "遅刻しない"
    draft.save_button.click()
    draft.plan_date.value = dt.date(2026, 11, 20)
    return app, draft


def test_finalising_a_plan_asks_first_and_the_safe_answer_is_the_primary_button(db):
    app, draft = _a_draft_to_finalise(db)
    assert draft.confirm.layout.display == "none"
    draft.finalise.click()
    assert app.model.draft.status == "draft"                         # nothing finalised yet
    assert draft.confirm.layout.display == "" and draft.finalise.disabled
    question = said(draft.confirm_text)
    assert "008 青木 千尋 さんの計画を、計画作成日 2026年11月20日 で確定しますか" in question
    assert "確定すると案には戻せません" in question
    assert (draft.finalise_no.description, draft.finalise_no.button_style) == ("やめる", "primary")
    assert (draft.finalise_yes.description, draft.finalise_yes.button_style) == ("確定する", "")
    draft.finalise_no.click()
    assert app.model.draft.status == "draft" and draft.confirm.layout.display == "none"
    assert "確定はしていません" in said(draft.finalise_message) and not draft.finalise.disabled
    draft.finalise.click()
    draft.finalise_yes.click()
    assert app.model.draft.status == "final"
    assert "計画を確定しました" in said(draft.consent_message)
    with open_store(db) as store:
        assert store.support_plans(app.model.book.key, NO_PLAN)[-1].status == "final"


def test_the_question_is_withdrawn_when_the_draft_changes_and_yes_alone_does_nothing(db):
    app, draft = _a_draft_to_finalise(db)
    draft.finalise_yes.click()                                       # not asked: nothing
    assert app.model.draft.status == "draft" and "確認に答えてください" in said(draft.finalise_message)
    draft.finalise.click()
    draft.wishes.value = "まだ直している"                              # the draft changed after the question
    assert draft.confirm.layout.display == "none"
    draft.finalise_yes.click()
    assert app.model.draft.status == "draft"


def test_leaving_a_case_with_unsaved_edits_offers_staying_as_the_primary_button(db):
    app = make_app(db)
    open_case(app, "003")
    fill_review(app, issues="書きかけ")
    open_case(app, "004")
    assert app.view.leave_box.layout.display == ""
    stay, discard = app.view.leave_box.children[1].children
    assert (stay.description, stay.button_style) == ("このまま編集を続ける", "primary")
    assert (discard.description, discard.button_style) == ("変更を破棄して移動", "")
    assert "teichaku-leave-discard" in discard._dom_classes
    stay.click()
    assert app.model.agenda.selected == "003" and app.view.review.texts["issues"].value == "書きかけ"


# --- 5. a goal's 期限 outside the 計画期間 --------------------------------------------------------------

def test_a_goal_due_outside_the_plan_period_is_warned_beside_the_goal_and_in_the_question(db):
    app, draft = _a_draft_to_finalise(db)
    start, end = app.model.draft.period_start, app.model.draft.period_end
    assert isinstance(start, dt.date) and isinstance(end, dt.date)
    position = len(draft.rows) - 1
    draft.rows[position]["due_on"].text.value = (end + dt.timedelta(days=30)).strftime("%Y/%m/%d")
    warning = said(draft.warnings[position])
    assert f"目標{position + 1}の期限" in warning and "計画期間の終了" in warning and "より後です" in warning
    assert all(w.value == "" for n, w in enumerate(draft.warnings) if n != position)
    draft.save_button.click()                                        # a warning, not a refusal
    assert "計画案を保存しました" in said(draft.save_message)
    draft.finalise.click()
    assert "ご注意" in said(draft.confirm_text) and f"目標{position + 1}の期限" in said(draft.confirm_text)
    draft.rows[position]["due_on"].text.value = start.strftime("%Y/%m/%d")   # inside: nothing to say
    assert draft.warnings[position].value == ""


# --- 6. long text: counted, refused beyond its limit ---------------------------------------------------

def test_a_long_review_text_is_counted_and_refused_beside_save_and_by_the_store(db):
    app = make_app(db)
    sign_in(app, "山田 花子")
    open_case(app, "006")
    review = app.view.review
    counter = review.counted["discussion"].count
    assert said(counter) == f"0 / {LONG_TEXT}字"
    review.texts["discussion"].value = "あ" * 123
    assert said(counter) == f"123 / {LONG_TEXT}字"
    review.texts["discussion"].value = "あ" * (LONG_TEXT + 5)
    assert said(counter) == f"{LONG_TEXT + 5} / {LONG_TEXT}字（5字多すぎます）" and "teichaku-count-over" in counter.value
    review.save_button.click()
    assert "長すぎる項目があります: 検討内容（1,005字・1,000字まで）" in said(review.message)
    assert message_kind(review.message) == "error" and app.model.review.version == 0
    with open_store(db) as store:
        assert store.review(app.model.book.key, "006", MONTH) is None
        with pytest.raises(StoreError, match="1,000文字以内"):          # the store refuses it too
            store.save_review(Review(app.model.book.key, "006", MONTH, discussion="あ" * (LONG_TEXT + 1)),
                              by="山田 花子", expected_version=None)
    review.texts["discussion"].value = "あ" * LONG_TEXT                # at the limit: saved
    review.save_button.click()
    assert "保存しました" in said(review.message) and app.model.review.version == 1


def test_a_long_action_is_refused_where_it_is_added(db):
    app = make_app(db)
    open_case(app, "006")
    review = app.view.review
    review.action_content.value, review.action_owner.value = "い" * (SHORT_TEXT + 1), "田村"
    review.add_button.click()
    assert f"役割分担の内容（{SHORT_TEXT + 1}字・{SHORT_TEXT}字まで）" in said(review.action_message)
    assert app.model.review.pending_actions == []


def test_the_plan_drafts_long_texts_are_counted_and_refused(db):
    app, draft = _a_draft_to_finalise(db)
    counters = [c for c in _walk(draft) if "teichaku-count" in getattr(c, "_dom_classes", ())]
    assert len(counters) == 2 + len(draft.rows)                      # 本人の意向, 総合的な方針, each 支援内容
    draft.overall_policy.value = "う" * (LONG_TEXT + 1)
    draft.save_button.click()
    assert "総合的な方針（1,001字・1,000字まで）" in said(draft.save_message)


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
