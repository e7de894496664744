"""The plan section of the conference app without a browser: the monitoring of a plan due this
month, the draft of the next plan written over several days, finalised, agreed and handed over,
the 個別支援計画書 made from the section, and two pages saving one monitoring.  Widgets are
driven as the page drives them; the store is in tmp_path.  All people are synthetic."""

from __future__ import annotations

import base64
import datetime as dt

from teichaku_nb import plan_cycle
from teichaku_nb.server.page import UNSAVED_CLASS
from teichaku_nb.store import open_store

from test_app_models import MONTH, PERIOD, db, make_app, open_case, sign_in  # noqa: F401 (db: fixture)
from helpers_demo import DEMO_KEY

OFFICE = DEMO_KEY                      # the store keeps the demo office's records under its 事業所番号
NO_PLAN = "008"                      # the demo's person without a 個別支援計画


def due_person(app) -> str:
    """A demo person whose plan is due for review in 2026-10 (not yet overdue)."""
    found = [c for c in app.model.month_review.cases if plan_cycle.plan_due(c) and "plan_review_due" in c.codes]
    assert found
    return found[0].user_id


def plan_flags(app, user_id: str) -> set[str]:
    row = next(r for r in app.model.agenda.rows if r["user_id"] == user_id)
    return {f["code"] for f in row["flags"]} & set(plan_cycle.DUE_FLAGS)


def monitor(app, user_id: str, answers: dict[int, tuple[str, str]], decision: str = "", *, by: str = "山田 花子"):
    sign_in(app, by)
    if app.model.agenda.selected != user_id:
        open_case(app, user_id)
    view = app.view.plan
    goals = app.model.plan.goals
    for index, (evaluation, comment) in answers.items():
        position = [g["index"] for g in goals].index(index)
        view.rows[position][0].value, view.rows[position][1].value = evaluation, comment
    if decision:
        view.decision.value = decision
    return view


def draft_view(app):
    return app.view.plan.children[6]


def later_month(db, month: str):
    """A page opened in 2027-01, on a month after the demo's last."""
    app = make_app(db, today=dt.date(2027, 1, 10))
    app.view.header.month.value = month
    return app


def html_of(widget) -> str:
    """The text of every HTML widget in ``widget``."""
    found = [widget.value] if type(widget).__name__ == "HTML" else []
    return "".join(found + [html_of(child) for child in getattr(widget, "children", ())])


def history(db, user_id: str, kind: str) -> list:
    with open_store(db) as store:
        return [h for h in store.history(OFFICE, user_id) if h.record_kind == kind]


# --- the monitoring --------------------------------------------------------------------------------------

def test_a_plan_due_this_month_is_marked_in_the_agenda_and_its_section_names_the_person(db):
    app = make_app(db)
    user_id = due_person(app)
    assert "計画の見直し月" in app.view.agenda._htmls[user_id].value
    assert "計画の見直し月" not in app.view.agenda._htmls["003"].value           # 003's plan is current
    open_case(app, user_id)
    view, name = app.view.plan, app.model.case.profile["name"]
    assert view.layout.display == "" and "teichaku-plan-due" in view._dom_classes
    assert f"個別支援計画のモニタリング — {user_id} {name} さん（2026年10月）" in view.heading.value
    assert "今月は個別支援計画の見直し月です" in view.status.value
    plan = plan_cycle.current_plan(app.model.book, user_id, PERIOD)
    assert [g["goal"] for g in app.model.plan.goals] == [g["goal"] for g in plan.goals]
    assert all(g["goal"] in view.goals_box.children[n].children[0].value for n, g in enumerate(plan.goals))
    assert len(view.rows) == len(plan.goals) and view.form_row.layout.display == ""
    open_case(app, "003")
    assert "teichaku-plan-due" not in view._dom_classes and "見直し月です" not in view.status.value


def test_a_person_without_a_plan_gets_a_line_saying_so_and_can_start_one(db):
    app = make_app(db)
    open_case(app, NO_PLAN)
    view = app.view.plan
    assert "個別支援計画はまだありません" in view.status.value
    assert view.rows == [] and view.form_row.layout.display == "none"
    assert draft_view(app).create.layout.display == ""                       # the first plan is a draft too
    assert "計画の作成・見直しが必要" in app.view.agenda._htmls[NO_PLAN].value


def test_the_monitoring_is_saved_reloaded_and_kept_in_history_and_marks_nothing_reviewed(db):
    app = make_app(db)
    user_id = due_person(app)
    view = monitor(app, user_id, {1: ("達成", "毎朝の報告ができた"), 2: ("継続", "家計簿は月の半分")}, "見直し")
    assert app.model.has_unsaved_edits() and UNSAVED_CLASS in app.view._dom_classes
    assert "保存していない変更があります" in view.heading.value
    view.save_button.click()
    assert app.model.guard.error == ""
    assert "モニタリングを保存しました" in view.message.value and "山田 花子" in view.message.value
    assert not app.model.has_unsaved_edits() and UNSAVED_CLASS not in app.view._dom_classes
    assert app.model.agenda.progress.startswith("検討済 0/")                   # the review is not saved by it

    again = make_app(db)                                                       # another day, another page
    sign_in(again, "佐藤 一郎")
    open_case(again, user_id)
    rows = again.view.plan.rows
    assert [(e.value, c.value) for e, c in rows[:2]] == [("達成", "毎朝の報告ができた"), ("継続", "家計簿は月の半分")]
    assert again.view.plan.decision.value == "見直し" and "山田 花子 さん" in again.view.plan.heading.value
    rows[1][1].value = "家計簿を毎週つけられた"
    again.view.plan.save_button.click()
    saved = history(db, user_id, "plan_monitorings")
    assert [(h.label, h.changed_by) for h in saved] == [("モニタリングの作成", "山田 花子"), ("モニタリングの更新", "佐藤 一郎")]
    old, new = saved[1].changes["evaluations"]
    assert (old[1]["comment"], new[1]["comment"]) == ("家計簿は月の半分", "家計簿を毎週つけられた")


def test_leaving_a_case_with_typed_monitoring_asks_first(db):
    app = make_app(db)
    user_id = due_person(app)
    monitor(app, user_id, {1: ("継続", "書きかけ")})
    app.view.agenda._buttons["003"].click()
    assert app.model.pending_leave["value"] == "003" and app.model.agenda.selected == user_id
    app.model.cancel_leave()
    assert app.view.plan.rows[0][1].value == "書きかけ"


def test_two_pages_saving_one_monitoring_merge_goal_by_goal_and_lose_nothing(db):
    first, second = make_app(db), make_app(db)
    user_id = due_person(first)
    monitor(first, user_id, {1: ("達成", "甲の評価")}, by="甲野")
    monitor(second, user_id, {2: ("継続", "乙の評価")}, "見直し", by="乙川")
    first.view.plan.save_button.click()
    second.view.plan.save_button.click()
    message = second.view.plan.message.value
    assert "甲野 さんが" in message and "目標1" in message and 'data-kind="merged"' in message
    with open_store(db) as store:
        saved = store.monitoring(OFFICE, user_id, MONTH)
    assert [(e["evaluation"], e["comment"]) for e in saved.evaluations[:2]] == [("達成", "甲の評価"), ("継続", "乙の評価")]
    assert saved.decision == "見直し" and second.view.plan.rows[0][1].value == "甲の評価"

    # both change goal 1's comment: the second keeps the typed text and sees the saved one
    first.view.plan.rows[0][1].value = "甲の書き直し"
    first.view.plan.save_button.click()
    second.view.plan.rows[0][1].value = "乙の書き直し"
    second.view.plan.save_button.click()
    view = second.view.plan
    assert view.conflict_box.layout.display == "" and "甲野 さんが" in view.conflict.value
    assert "甲の書き直し" in view.conflict.value and "乙の書き直し" in view.conflict.value
    assert view.rows[0][1].value == "乙の書き直し" and second.model.has_unsaved_edits()
    with open_store(db) as store:
        assert store.monitoring(OFFICE, user_id, MONTH).evaluations[0]["comment"] == "甲の書き直し"
    view.save_button.click()                                      # seen: the typed text is saved over it
    assert view.conflict_box.layout.display == "none" and "モニタリングを保存しました" in view.message.value
    olds = [h.changes["evaluations"][0][0]["comment"] for h in history(db, user_id, "plan_monitorings")
            if "evaluations" in h.changes and h.operation == "update"]
    assert "甲の書き直し" in olds                                   # 甲's words stay in the history


def test_the_saved_text_can_be_taken_instead_after_a_conflict(db):
    first, second = make_app(db), make_app(db)
    user_id = due_person(first)
    monitor(first, user_id, {1: ("達成", "甲の評価")}, by="甲野")
    monitor(second, user_id, {1: ("継続", "乙の評価"), 2: ("継続", "乙だけの評価")}, by="乙川")
    first.view.plan.save_button.click()
    second.view.plan.save_button.click()
    view = second.view.plan
    view.use_theirs.click()
    assert [(e.value, c.value) for e, c in view.rows[:2]] == [("達成", "甲の評価"), ("継続", "乙だけの評価")]
    (set_aside,) = [h for h in history(db, user_id, "plan_monitorings") if h.operation == "not_kept"]
    typed, kept = set_aside.changes["evaluations"]                 # 乙's words, set aside, are in the history
    assert set_aside.changed_by == "乙川" and (typed[0]["evaluation"], typed[0]["comment"]) == ("継続", "乙の評価")
    assert kept[0]["comment"] == "甲の評価"
    view.save_button.click()
    with open_store(db) as store:
        saved = store.monitoring(OFFICE, user_id, MONTH)
    assert [e["comment"] for e in saved.evaluations[:2]] == ["甲の評価", "乙だけの評価"]
    assert len([h for h in history(db, user_id, "plan_monitorings") if h.operation == "not_kept"]) == 1


def test_take_in_reads_a_colleagues_monitoring_keeping_what_is_typed(db):
    mine, theirs = make_app(db), make_app(db)
    user_id = due_person(mine)
    monitor(mine, user_id, {2: ("継続", "入力中の評価")}, by="甲野")
    monitor(theirs, user_id, {1: ("達成", "乙の保存")}, "見直し", by="乙川")
    theirs.view.plan.save_button.click()
    assert mine.model.check_others() and "モニタリング" in mine.view.others.value
    mine.view.take_in.click()
    view = mine.view.plan
    assert [(e.value, c.value) for e, c in view.rows[:2]] == [("達成", "乙の保存"), ("継続", "入力中の評価")]
    assert view.decision.value == "見直し" and mine.model.plan.dirty and "乙川 さんが" in view.message.value


# --- the next plan -------------------------------------------------------------------------------------

def test_a_draft_is_written_over_days_finalised_and_agreed_then_the_plan_flags_clear_next_month(db):
    app = make_app(db)
    user_id = due_person(app)
    assert plan_flags(app, user_id) == {"plan_review_due"}
    assert plan_flags(later_month(db, "2026-12"), user_id) == {"plan_missing"}    # overdue if not revised
    review = app.view.review
    open_case(app, user_id)
    review.texts["wishes"].value, review.texts["policy"].value = "事務の仕事を続けたい", "報連相を定着させる"
    sign_in(app, "田村 浩")
    review.save_button.click()
    draft = draft_view(app)
    assert draft.create.layout.display == "none"                            # only after 「見直し」
    monitor(app, user_id, {1: ("達成", "報告ができた")}, "見直し", by="田村 浩")
    draft.create.click()
    assert "モニタリングを保存" in draft.message.value                          # the decision is not saved yet
    app.view.plan.save_button.click()
    draft.create.click()
    assert app.model.guard.error == "" and app.model.draft.status == "draft"
    assert (draft.wishes.value, draft.overall_policy.value, draft.service_manager.value) == (
        "事務の仕事を続けたい", "報連相を定着させる", "田村 浩")
    assert draft.period_start.text.value == "2026/11/01" and "前回の評価: 達成" in html_of(draft.goals_box.children[0])
    carried = len(app.model.draft.goals)
    draft.add_goal.click()
    draft.add_goal.click()
    row = draft.rows[-2]
    row["domain"].value, row["goal"].value, row["support"].value = "心身", "週1回は運動する", "面談で歩数を確認"
    row["due_on"].text.value = "2027/04/30"
    draft.remove_buttons[-1].click()                                        # the blank one added by mistake
    assert len(draft.rows) == carried + 1
    draft.save_button.click()
    assert "計画案を保存しました" in draft.save_message.value and draft.message.value == ""   # below 案を保存
    assert not app.model.has_unsaved_edits()

    later = make_app(db)                                                    # another day: the draft is reopened
    sign_in(later, "田村 浩")
    open_case(later, user_id)
    draft = draft_view(later)
    assert later.model.draft.status == "draft" and len(later.model.draft.goals) == carried + 1
    assert draft.rows[-1]["goal"].value == "週1回は運動する" and draft.rows[-1]["due_on"].value == dt.date(2027, 4, 30)
    draft.wishes.value = "事務の仕事を続けたい。残業は少なめに"
    draft.plan_date.text.value = "2026/11/20"
    draft.finalise.click()
    assert "保存していない変更" in draft.finalise_message.value                 # 確定 takes what is saved
    assert draft.confirm.layout.display == "none"                            # refused before it is asked
    draft.save_button.click()
    draft.finalise.click()
    assert later.model.draft.status == "draft" and draft.confirm.layout.display == ""   # asked first
    draft.finalise_yes.click()
    assert later.model.draft.status == "final" and draft.confirm.layout.display == "none"
    assert "計画を確定しました" in draft.consent_message.value and draft.final.layout.display == ""
    with open_store(db) as store:
        plan = store.support_plans(OFFICE, user_id)[-1]
    assert (plan.plan_date, plan.consent_on, plan.delivered_on) == (dt.date(2026, 11, 20), None, None)

    draft.consent_on.text.value, draft.delivered_on.text.value = "2026/11/22", "2026/11/24"
    draft.record_consent.click()
    assert "同意日 2026年11月22日・交付日 2026年11月24日 を記録しました" in draft.consent_message.value
    for month in ("2026-11", "2026-12"):                                   # the new plan is in force, agreed
        assert plan_flags(later_month(db, month), user_id) == set()


def test_saving_a_draft_someone_else_changed_keeps_the_typed_text_and_names_them(db):
    first, second = make_app(db), make_app(db)
    open_case(first, NO_PLAN)
    sign_in(first, "甲野")
    draft_view(first).create.click()
    sign_in(second, "乙川")
    open_case(second, NO_PLAN)
    mine, theirs = draft_view(first), draft_view(second)
    assert second.model.draft.status == "draft"
    mine.wishes.value, mine.overall_policy.value = "甲の聞いた意向", "甲の方針"
    mine.save_button.click()
    theirs.wishes.value, theirs.service_manager.value = "乙の聞いた意向", "乙の名前"
    theirs.save_button.click()
    assert "甲野 さん" in theirs.save_message.value and "甲の聞いた意向" in theirs.conflict.value
    assert theirs.wishes.value == "乙の聞いた意向" and theirs.overall_policy.value == "甲の方針"
    assert second.model.has_unsaved_edits()
    theirs.save_button.click()
    with open_store(db) as store:
        plan = store.plan_draft(OFFICE, NO_PLAN)
    assert (plan.wishes, plan.overall_policy, plan.service_manager) == ("乙の聞いた意向", "甲の方針", "乙の名前")
    assert [h for h in history(db, NO_PLAN, "support_plans") if h.operation == "not_kept"] == []   # all kept


def test_a_draft_text_given_up_after_a_conflict_or_replaced_is_kept_in_the_history(db):
    first, second = make_app(db), make_app(db)
    open_case(first, NO_PLAN)
    sign_in(first, "甲野")
    draft_view(first).create.click()
    sign_in(second, "乙川")
    open_case(second, NO_PLAN)
    mine, theirs = draft_view(first), draft_view(second)
    mine.wishes.value = "甲の聞いた意向"
    mine.save_button.click()
    theirs.wishes.value = "乙の聞いた意向"
    theirs.save_button.click()                                     # both changed 本人の意向
    theirs.wishes.value, theirs.overall_policy.value = "甲の聞いた意向", "乙の方針"     # 乙 takes 甲's words
    theirs.save_button.click()
    assert "計画案を保存しました" in second.model.draft.message
    (given_up,) = [h for h in history(db, NO_PLAN, "support_plans") if h.operation == "not_kept"]
    assert given_up.changed_by == "乙川" and given_up.changes == {"wishes": ("乙の聞いた意向", "甲の聞いた意向")}

    theirs.service_manager.value = "乙が入力中の名前"                    # typed, not saved
    with open_store(db) as store:                                  # meanwhile 甲 finalises the plan
        plan = store.plan_draft(OFFICE, NO_PLAN)
        plan = store.update_plan(plan.id, {"goals": [{"domain": "職場", "goal": "遅刻しない"}]}, by="甲野",
                                 expected_version=plan.version)
        store.finalise_plan(plan.id, by="甲野", expected_version=plan.version, plan_date=dt.date(2026, 11, 20))
    second.model.draft.take_in()                                   # 乙's typed draft is replaced by the plan
    assert "入力中の案は保存されずに置き換わりました" in second.model.draft.message
    replaced = [h for h in history(db, NO_PLAN, "support_plans") if h.operation == "not_kept"][-1]
    assert replaced.changed_by == "乙川" and replaced.changes["service_manager"][0] == "乙が入力中の名前"


def test_finalising_without_a_goal_is_refused_in_japanese(db):
    app = make_app(db)
    open_case(app, NO_PLAN)
    sign_in(app, "甲野")
    draft = draft_view(app)
    draft.create.click()
    draft.finalise.click()
    assert "目標が1つもありません" in draft.finalise_message.value and app.model.draft.status == "draft"
    assert draft.confirm.layout.display == "none"                            # refused, not asked


# --- the 個別支援計画書 ----------------------------------------------------------------------------------

def test_the_plan_document_is_offered_for_download_and_records_nothing(db):
    fmt = "html"                                     # the PDF is made in the browser test
    app = make_app(db)
    user_id = due_person(app)
    open_case(app, user_id)
    view = app.view.plan
    view.doc_fmt.value = fmt
    with open_store(db) as store:
        before = store.history(OFFICE)
    view.doc_button.click()
    d = app.model.plan_document
    assert app.model.guard.error == "" and d.link_name.endswith(f"_個別支援計画書_{MONTH}_{user_id}.{fmt}")
    assert f'download="{d.link_name}"' in view.doc_link.value
    assert "同意日 2026年8月7日・交付日 2026年8月7日 は記録済みです" in view.doc_status.value   # the plan in force's
    page = base64.b64decode(d.link_uri.split(",", 1)[1]).decode("utf-8")
    assert "個別支援計画書" in page and app.model.plan.goals[0]["goal"] in page and "フラグ" not in page
    with open_store(db) as store:
        assert store.history(OFFICE) == before and store.support_plans(OFFICE, user_id) == []
    open_case(app, "003")
    assert d.link_uri == "" and "ダウンロード" not in view.doc_link.value       # another person's link is gone


def test_the_plan_document_asks_for_the_consent_only_while_it_is_not_recorded(db):
    with open_store(db) as store:                                   # 008's plan, finalised in the app
        plan = store.create_plan_draft(OFFICE, NO_PLAN, by="甲野", goals=[{"domain": "職場", "goal": "遅刻しない"}])
        plan = store.finalise_plan(plan.id, by="甲野", expected_version=plan.version, plan_date=dt.date(2026, 11, 2))
    app = make_app(db)
    open_case(app, NO_PLAN)
    view, d = app.view.plan, app.model.plan_document
    view.doc_fmt.value = "html"
    view.doc_button.click()
    assert "本人に渡したら「同意日・交付日を記録」で記録してください" in d.status            # nothing recorded yet

    with open_store(db) as store:
        plan = store.record_plan_consent(plan.id, by="甲野", expected_version=plan.version,
                                         consent_on=dt.date(2026, 11, 4))
    view.doc_button.click()
    assert "同意日 2026年11月4日 は記録済みです" in d.status and "で交付日を記録してください" in d.status
    assert "「同意日・交付日を記録」で記録してください" not in d.status

    with open_store(db) as store:
        store.record_plan_consent(plan.id, by="甲野", expected_version=plan.version, delivered_on=dt.date(2026, 11, 5))
    view.doc_button.click()
    assert "同意日 2026年11月4日・交付日 2026年11月5日 は記録済みです" in d.status and "記録してください" not in d.status
