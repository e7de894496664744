"""Who works on the app's page: the 記録者 is the person signed in to ``teichaku app`` (the server
writes them into the page's request; ``staff.from_environment``), never a name typed on the page;
what a role may not do is refused in Japanese and nothing is saved; opening a case and making a
document go to the access log.  Models and views driven as the page drives them, on the demo
workbook with a review store in tmp_path (synthetic people only)."""

from __future__ import annotations

import datetime as dt
import json
import os

import ipywidgets as w
import pytest

from teichaku_nb.store.access_log import document_lists
from teichaku_nb.app.opening import AppPage, _show
from teichaku_nb.errors import FormError
from teichaku_nb.records import REGIONAL, REGULAR
from teichaku_nb.server.preheat import PageRequest
from teichaku_nb.staff import (ACCOUNTS, ADMIN, AUTH_ENVIRONMENT, ENVIRONMENT, MANAGER, SUPPORT, TOKEN, TRUSTED,
                               Refused, Staff)
from teichaku_nb.store import Action, StoreError, open_store

from test_app_fees import text
from test_app_models import MONTH, db, make_app, open_case, open_panel, sign_in  # noqa: F401 (db: fixture)
from test_app_opening import FakeConnection, build_on_a_loop, read_demo
from test_app_plan import OFFICE, draft_view, due_person, monitor

WORKER, MANAGING = "鈴木 一郎", "田村 浩"          # a 支援員 and a サービス管理責任者


def header(app) -> str:
    return text(app.view.header.recorder.value)


def entries(db: str, action: str | None = None) -> list[dict]:
    with open_store(db) as store:
        return [e for e in store.access_entries() if action is None or e["action"] == action]


def failing_log(monkeypatch, app) -> None:
    """The store's access log cannot be written (a database that refuses the write)."""
    def refuse(*_args, **_kwargs):
        raise StoreError("アクセス記録を書き込めません（テスト）")
    monkeypatch.setattr(app.model.store, "log_access", refuse)


# --- the 記録者 -----------------------------------------------------------------------------------

def test_the_header_shows_who_signed_in_and_has_no_field_to_type_a_name(db):
    app = make_app(db)
    row = app.view.header.children[1]
    assert not any(isinstance(child, w.Text) for child in row.children)      # nothing to type a name into
    assert app.view.header.recorder in row.children and "teichaku-recorder" in app.view.header.recorder._dom_classes
    assert header(app) == "記録者: サインインした職員がわかりません（保存できません。ページを開き直してください）"
    staff = sign_in(app, WORKER, SUPPORT)
    assert header(app) == f"記録者: {WORKER}（支援員）" and "サインアウト" not in app.view.header.recorder.value
    assert {panel.staff for panel in app.model.panels} == {staff}
    assert {panel.recorder for panel in app.model.panels} == {WORKER}


@pytest.mark.parametrize("auth, base, link", [(ACCOUNTS, "/", "/logout"), (ACCOUNTS, "/teichaku/", "/teichaku/logout"),
                                              (ACCOUNTS, None, "/logout"), (TOKEN, "/", ""), (TRUSTED, "/", "")])
def test_sign_out_is_offered_only_when_the_app_signs_people_in_itself(db, auth, base, link):
    app = make_app(db)
    environ = {ENVIRONMENT: Staff("tamura", MANAGING, MANAGER).to_header(), AUTH_ENVIRONMENT: auth}
    if base is not None:
        environ["VOILA_BASE_URL"] = base
    app.model.sign_in(environ)
    assert app.model.header.logout == link
    shown = app.view.header.recorder.value
    assert f"記録者: {MANAGING}（サービス管理責任者）" in shown
    if link:
        assert f'<a class="teichaku-signout" href="{link}">サインアウト</a>' in shown
    else:
        assert "サインアウト" not in shown


@pytest.mark.parametrize("value", ["山田 花子", "{}", json.dumps({"login": "x", "name": "x", "role": "所長"}),
                                   json.dumps({"login": "x", "name": " ", "role": SUPPORT})])
def test_a_request_naming_nobody_we_know_signs_nobody_in_and_nothing_can_be_saved(db, value):
    app = make_app(db)
    app.model.sign_in({ENVIRONMENT: value})
    assert app.model.header.staff is None and "サインインした職員がわかりません" in header(app)
    app.model.meeting.attendees = "山田 花子"
    with pytest.raises(FormError, match="サインインした職員がわからないため、会議を保存できません。ページを開き直してください"):
        app.model.meeting.save()


def test_every_record_saved_from_the_page_is_under_the_signed_in_name(db):
    with open_store(db) as store:
        before = store.add_action(Action(office=OFFICE, user_id="010", month="2026-09", content="引き継ぎ先を探す",
                                         owner="安藤"), by="前回の記録者")
    app = make_app(db)
    user_id = due_person(app)
    m = app.model
    # the monitoring, the next plan's draft, 確定 and the 同意日・交付日
    monitor(app, user_id, {1: ("達成", "報告ができた")}, "見直し", by=MANAGING)
    app.view.plan.save_button.click()
    draft = draft_view(app)
    draft.create.click()
    draft.wishes.value = "事務の仕事を続けたい"
    draft.save_button.click()
    draft.finalise.click()
    draft.finalise_yes.click()
    draft.consent_on.text.value, draft.delivered_on.text.value = "2026/11/27", "2026/11/28"
    draft.record_consent.click()
    assert m.draft.info["consent_on"] == dt.date(2026, 11, 27)
    # the review, the handover (and its withdrawal), the meeting, the sending, the 就労確認
    m.review.issues = "特になし"
    assert m.review.save()
    m.handover.consent_on = dt.date(2026, 10, 20)
    m.handover.record_consent()
    m.handover.withdraw_id, m.handover.withdraw_reason = m.handover.records[0]["id"], "日付の誤り"
    m.handover.withdraw()
    m.meeting.attendees = MANAGING
    m.meeting.save()
    m.sending.scope, m.sending.recipient, m.sending.sent_on = "case", "本人", dt.date(2026, 11, 5)
    m.sending.record()
    app.view.checks.selected_index = 0
    m.checks.user_id, m.checks.checked_on = "020", dt.date(2026, 11, 20)
    m.checks.record()
    # an action carried over, closed
    open_case(app, "010")
    m.case.close_action(before.id)
    assert m.guard.error == ""
    with open_store(db) as store:
        history = [h for h in store.history(OFFICE)
                   if (h.record_kind, h.record_id, h.operation) != ("actions", before.id, "create")]
    assert {h.record_kind for h in history} == {"plan_monitorings", "support_plans", "reviews", "handovers",
                                                "conferences", "issued_reports", "employment_checks", "actions"}
    assert {h.changed_by for h in history} == {MANAGING}


# --- what a role may do -------------------------------------------------------------------------------

def drafted(db):
    """A page with a saved draft of the next plan for a person due this month, opened by a 支援員."""
    app = make_app(db)
    user_id = due_person(app)
    monitor(app, user_id, {1: ("達成", "報告ができた")}, "見直し", by=WORKER)
    sign_in(app, WORKER, SUPPORT)
    app.view.plan.save_button.click()
    draft_view(app).create.click()
    assert app.model.draft.status == "draft" and app.model.guard.error == ""
    return app, user_id


def plans(db: str, user_id: str):
    with open_store(db) as store:
        return store.support_plans(OFFICE, user_id)


def test_a_support_worker_drafts_a_plan_but_may_not_finalise_it_and_a_manager_may(db):
    app, user_id = drafted(db)
    draft = draft_view(app)
    refusal = f"個別支援計画の確定はサービス管理責任者以上の職員が行います（{WORKER}さんは支援員です）"
    assert draft.finalise.disabled and draft.finalise.tooltip == refusal        # off, and says why
    draft.finalise.click()                                                      # pressed anyway (a forged click)
    assert text(draft.finalise_message.value) == f"計画の確定ができませんでした: {refusal}"
    assert app.model.draft.asking == "" and draft.confirm.layout.display == "none"
    app.model.draft.asking = "確定しますか"                                    # even past the question
    with pytest.raises(Refused, match=refusal):
        app.model.draft.finalise()
    assert app.model.draft.status == "draft" and [p.status for p in plans(db, user_id)][-1] == "draft"

    sign_in(app, MANAGING, MANAGER)
    assert not draft.finalise.disabled and draft.finalise.tooltip is None
    draft.finalise.click()
    draft.finalise_yes.click()
    assert app.model.draft.status == "final"
    (final,) = [p for p in plans(db, user_id) if p.status == "final"]
    assert final.updated_by == MANAGING


def test_a_support_worker_may_not_record_a_plans_consent_and_an_administrator_may(db):
    app, user_id = drafted(db)
    draft = draft_view(app)
    sign_in(app, MANAGING, MANAGER)
    draft.finalise.click()
    draft.finalise_yes.click()
    sign_in(app, WORKER, SUPPORT)
    refusal = f"個別支援計画の同意の記録はサービス管理責任者以上の職員が行います（{WORKER}さんは支援員です）"
    assert draft.record_consent.disabled and draft.record_consent.tooltip == refusal
    draft.consent_on.text.value, draft.delivered_on.text.value = "2026/11/27", "2026/11/28"
    draft.record_consent.click()
    assert text(draft.consent_message.value) == f"同意日・交付日の記録ができませんでした: {refusal}"
    plan = [p for p in plans(db, user_id) if p.status == "final"][-1]
    assert (plan.consent_on, plan.delivered_on) == (None, None)

    sign_in(app, "管理 太郎", ADMIN)
    assert not draft.record_consent.disabled
    draft.record_consent.click()
    plan = [p for p in plans(db, user_id) if p.status == "final"][-1]
    assert (plan.consent_on, plan.delivered_on, plan.updated_by) == (dt.date(2026, 11, 27), dt.date(2026, 11, 28),
                                                                     "管理 太郎")


def test_a_support_worker_records_the_handover_consent_which_is_not_a_plans(db):
    """引継ぎ's 同意 is the person's consent to hand their information over (支援体制構築), not the
    plan's: a 支援員 records it."""
    app = make_app(db)
    sign_in(app, WORKER, SUPPORT)
    open_case(app, due_person(app))
    app.model.handover.consent_on = dt.date(2026, 10, 20)
    app.model.handover.record_consent()
    assert app.model.handover.records[0]["by"] == WORKER


def test_a_support_worker_records_a_regular_meeting_but_not_a_regional_one(db):
    app = make_app(db)
    sign_in(app, WORKER, SUPPORT)
    view, m = open_panel(app.view.meeting, 0), app.model.meeting
    refusal = f"地域連携会議の出席者の記録はサービス管理責任者以上の職員が行います（{WORKER}さんは支援員です）"
    assert view.outside.disabled and view.presenter.disabled and view.outside.tooltip == refusal
    view.attendees.value = f"{WORKER}、{MANAGING}"
    assert not view.save.disabled
    view.save.click()
    assert "会議を記録しました" in text(view.status.value) and m.version == 1

    view.kind.value = REGIONAL
    view.outside.value, view.presenter.value = "ハローワーク 山田", MANAGING
    assert view.save.disabled and view.save.tooltip == refusal
    view.save.click()                                                          # pressed anyway
    assert f"会議の記録ができませんでした: {refusal}" in text(view.status.value)
    with open_store(db) as store:
        (saved,) = store.conferences(OFFICE, MONTH)
    assert (saved.kind, saved.version, saved.presenter) == (REGULAR, 1, None)

    sign_in(app, MANAGING, MANAGER)
    assert not view.save.disabled and not view.outside.disabled
    view.save.click()
    with open_store(db) as store:
        (saved,) = store.conferences(OFFICE, MONTH)
    assert (saved.kind, saved.presenter, saved.updated_by) == (REGIONAL, MANAGING, MANAGING)

    sign_in(app, WORKER, SUPPORT)                        # a 地域連携会議 recorded: a 支援員 may not change it
    view.attendees.value = WORKER
    assert view.save.disabled
    with pytest.raises(Refused, match=refusal):
        m.save()
    view.kind.value = REGULAR                            # nor make it a 定例 one
    with pytest.raises(Refused):
        m.save()
    with open_store(db) as store:
        assert store.conferences(OFFICE, MONTH)[0].version == 2


# --- the access log -----------------------------------------------------------------------------------

def test_opening_a_case_is_in_the_access_log(db):
    app = make_app(db)
    open_case(app, "004")                                  # nobody signed in (outside teichaku app): no entry
    assert entries(db) == []
    sign_in(app, WORKER, SUPPORT)
    open_case(app, "003")
    (entry,) = entries(db)
    assert {k: entry[k] for k in ("action", "login", "name", "role", "office", "user_id", "document", "detail")} == {
        "action": "case_opened", "login": WORKER, "name": WORKER, "role": SUPPORT, "office": OFFICE,
        "user_id": "003", "document": None, "detail": MONTH}


def test_a_case_opened_when_the_access_log_fails_stays_open_and_the_page_says_so(db, monkeypatch):
    app = make_app(db)
    sign_in(app, WORKER, SUPPORT)
    failing_log(monkeypatch, app)
    open_case(app, "003")
    assert app.model.agenda.selected == "003" and app.model.case.user_id == "003"
    assert app.model.guard.error == ("ケースの記録を開いたことをアクセス記録に書き込めませんでした"
                                     "（アクセス記録を書き込めません（テスト））。管理者に連絡してください")
    assert app.view.error_box_copy.layout.display == ""                  # at the top of the case


def test_making_documents_is_in_the_access_log(db):
    app = make_app(db)
    sign_in(app, WORKER, SUPPORT)
    panel = open_panel(app.view.exports, 0)
    panel.kind.value = "summary"
    panel.button.click()
    assert app.model.guard.error == "" and app.model.exports.link_name
    (entry,) = entries(db, "document_made")
    assert (entry["name"], entry["office"], entry["user_id"], entry["document"], entry["detail"]) == (
        WORKER, OFFICE, None, app.model.exports.link_name, MONTH)

    user_id = due_person(app)
    open_case(app, user_id)
    plan = app.view.plan
    plan.doc_fmt.value = "html"
    plan.doc_button.click()
    assert app.model.plan_document.link_name
    made = entries(db, "document_made")[-1]
    assert (made["user_id"], made["document"]) == (user_id, app.model.plan_document.link_name)


def test_a_document_made_when_the_access_log_fails_stays_offered_and_the_error_is_said_beside_it(db, monkeypatch):
    app = make_app(db)
    sign_in(app, WORKER, SUPPORT)
    failing_log(monkeypatch, app)
    panel = open_panel(app.view.exports, 0)
    panel.kind.value = "summary"
    panel.button.click()
    model = app.model.exports
    assert model.link_uri.startswith("data:text/html") and model.link_name in panel.link.value   # kept
    assert model.status_kind == "error" and "1件を作成しました" in model.status
    assert "帳票を作ったことをアクセス記録に書き込めませんでした（アクセス記録を書き込めません（テスト））" in text(panel.status.value)
    assert app.model.guard.error == ""


def test_a_batch_of_file_names_is_logged_in_entries_the_log_can_keep():
    names = [f"デモ事業所_支援レポート_2026-10_{n:03d}_本人用.pdf" for n in range(40)]
    lists = document_lists(names)
    assert len(lists) > 1 and all(len(found) <= 400 for found in lists)
    assert ",".join(lists).split(",") == names
    assert document_lists(["a.html"]) == ["a.html"] and document_lists([]) == []


# --- a preheated kernel learns who opened the page only once the request has arrived ---------------------

def test_a_kernel_prepared_ahead_learns_who_opened_the_page_from_its_request(db, monkeypatch):
    monkeypatch.setenv(ENVIRONMENT, "")                  # what the request sets is undone after the test
    page = AppPage.reading(lambda: read_demo(db), _show)
    page.build(ahead=True)                               # before anyone asked for the page
    assert page.app.model.header.staff is None
    staff = Staff("suzuki", WORKER, SUPPORT)
    connection = FakeConnection(json.dumps({ENVIRONMENT: staff.to_header()}))
    page.request = PageRequest(connection)
    page.wait_for_viewer()
    assert os.environ[ENVIRONMENT] == staff.to_header()
    assert page.app.model.header.staff == staff and {p.recorder for p in page.app.model.panels} == {WORKER}


def test_the_first_page_learns_who_opened_it_when_it_is_built(db, monkeypatch):
    staff = Staff("tamura", MANAGING, MANAGER)
    monkeypatch.setenv(ENVIRONMENT, staff.to_header())  # the request arrived before the records were read
    page = AppPage.reading(lambda: read_demo(db), _show)
    build_on_a_loop(page)
    assert page.app.model.header.staff == staff and f"記録者: {MANAGING}" in page.app.view.header.recorder.value
