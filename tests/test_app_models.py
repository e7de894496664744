"""The conference app's panels without a browser: each model driven the way its
view drives it (``.value =`` on the widgets, ``.click()`` on the buttons), on the bundled
demo workbook or small hand-made books, with a review store in tmp_path.  All people are
synthetic."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from teichaku_nb.app import ConferenceApp, ConferenceModel
from teichaku_nb import paths
from teichaku_nb.cli.records import records_location
from teichaku_nb.server import launcher
from teichaku_nb.app.case import support_text
from teichaku_nb.app.header import default_month
from teichaku_nb.rules import LEVELS
from teichaku_nb.staff import ENVIRONMENT, MANAGER, Staff
from teichaku_nb.store import Action, open_store

from helpers_rules import contact, make_book, user
from helpers_demo import DEMO_KEY

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "teichaku_nb" / "demo" / "demo.xlsx"
APP_CSS = (ROOT / "teichaku_nb" / "templates" / "html" / "app" / "app.css").read_text(encoding="utf-8")
VOILA_TEMPLATE = ROOT / "teichaku_nb" / "templates" / "voila" / "voila" / "templates" / "teichaku"
TODAY = dt.date(2026, 11, 26)       # the demo's last month (2026-10) is "last month"
MONTH = "2026-10"                       # as the page shows it (the header's choice)
PERIOD = pd.Period(MONTH, "M")          # as the rules take it


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "records.teichaku.sqlite")


def make_app(db: str, book: Path = DEMO, *, demo: bool = True, today: dt.date = TODAY) -> ConferenceApp:
    return ConferenceApp(ConferenceModel(book, db, demo=demo, today=today))


@pytest.fixture
def app(db) -> ConferenceApp:
    return make_app(db)


def sign_in(app: ConferenceApp, name: str = "山田 花子", role: str = MANAGER) -> Staff:
    """The page opened by ``name`` (a サービス管理責任者 unless said): what the server writes into
    the page's request, as the kernel's environment has it once the request arrived."""
    staff = Staff(login=name, name=name, role=role)
    app.model.sign_in({ENVIRONMENT: staff.to_header()})
    return staff


def sign_out(app: ConferenceApp) -> None:
    """A page whose request named nobody (outside ``teichaku app``)."""
    app.model.sign_in({})


def open_case(app: ConferenceApp, user_id: str) -> None:
    """Click the case's button in the agenda."""
    app.view.agenda._buttons[user_id].click()


def open_panel(folded, index: int):
    """Open a folded panel (its title clicked) and give its view."""
    folded.selected_index = index
    return folded.children[index]


def button(box, description: str):
    return next(b for b in _walk(box) if getattr(b, "description", None) == description
                and type(b).__name__ == "Button")


def message_kind(widget) -> str:
    """How a panel's message is coloured (app.css): ok green, merged / warning amber, error red."""
    found = re.findall(r'class="teichaku-message" data-kind="(\w+)"|class="teichaku-(ok|attention)"', widget.value)
    assert len(found) == 1, widget.value
    kind, css = found[0]
    if kind:
        assert f'.teichaku-message[data-kind="{kind}"]' in APP_CSS, kind           # a colour of its own
    return kind or {"ok": "ok", "attention": "warning"}[css]


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


# --- header ---------------------------------------------------------------------------------

def test_header_shows_office_last_month_and_the_demo_note(app):
    h = app.model.header
    assert h.office_name == "デモ就労定着支援センター"
    assert h.month == MONTH                                # last month relative to TODAY
    assert "デモデータ" in h.source_note and "架空" in h.source_note
    assert "会議記録のデータベース" in h.store_note
    assert app.view.header.month.value == MONTH
    assert app.view.header.month.options[0] == ("2026年10月", MONTH)
    assert app.model.guard.error == ""


def test_default_month_is_the_latest_month_with_data_when_that_is_earlier():
    book = make_book({"users": [user("U001")], "contacts": [contact("U001", dt.date(2026, 5, 12))]})
    assert default_month(book, TODAY) == pd.Period("2026-05", "M")
    assert default_month(book, dt.date(2026, 6, 3)) == pd.Period("2026-05", "M")
    assert default_month(book, dt.date(2026, 6, 1)) == pd.Period("2026-05", "M")
    assert default_month(make_book({"users": [user("U001")]}), TODAY) == pd.Period("2026-10", "M")


def test_team_filter_narrows_the_agenda(app):
    everyone = len(app.model.agenda.rows)
    app.view.header.team.value = "A"
    rows = app.model.agenda.rows
    assert 0 < len(rows) < everyone
    assert {r["team"] for r in rows} == {"A"}
    assert app.model.agenda.progress == f"検討済 0/{len(rows)}"


def test_month_change_recomputes_the_agenda(app):
    app.view.header.month.value = "2026-05"
    assert app.model.agenda.month_label == "2026年5月"
    assert app.model.month_review.month == pd.Period("2026-05", "M")


def test_problems_banner_lists_sheet_row_and_column_escaped(tmp_path, db):
    import openpyxl
    path = tmp_path / "office.xlsx"
    wb = openpyxl.load_workbook(DEMO)
    sheet = wb["面談記録"]
    sheet["B3"] = "<script>window.__xss=1</script>"          # 実施日 that is not a date
    wb.save(path)
    app = make_app(db, path, demo=False)
    problems = app.model.header.problems
    bad = [p for p in problems if p["sheet"] == "面談記録" and p["row"] == "3"]
    assert bad and bad[0]["column"] == "実施日"
    html = app.view.header.problems.value
    assert "<details" in html and "データの問題" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert app.model.agenda.rows                           # the rest is still reviewed


def test_an_unreadable_workbook_shows_the_problem_instead_of_crashing(tmp_path, db):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a workbook <img src=x onerror=alert(1)>")
    app = make_app(db, path, demo=False)
    assert "開けません" in app.model.header.fatal
    assert "ケース記録を読み込めません" in app.view.header.problems.value
    assert app.view.body.layout.display == "none"
    assert app.model.agenda.rows == []


def test_a_store_that_cannot_be_opened_leaves_the_agenda_readable(tmp_path):
    app = make_app(str(tmp_path / "no-such-folder" / "x.sqlite"))
    assert "開けません" in app.model.header.store_note
    assert app.model.agenda.rows
    open_case(app, "001")
    sign_in(app, "山田")
    app.view.review.texts["workplace"].value = "記入"
    app.view.review.save_button.click()
    assert "データベースが開けていない" in app.view.review.message.value      # beside 保存


def test_a_folder_of_offices_offers_an_office_choice(tmp_path, db):
    from teichaku_nb.demo import make_demo
    make_demo(tmp_path / "offices", users=40, months=6, offices=2, seed=3, end="2026-10")
    app = make_app(db, tmp_path / "offices", demo=False)
    h = app.model.header
    assert len(h.office_options) == 2 and app.view.header.office.layout.display == ""
    first = h.office_name
    app.view.header.office.value = "1"
    assert h.office_name != first and app.model.book.office == h.office_name and app.model.book.key == h.office_key
    assert app.model.agenda.rows and app.model.month_review.office == h.office_name


def test_reload_reads_what_others_saved_and_keeps_unsaved_edits(db):
    mine, theirs = make_app(db), make_app(db)
    open_case(mine, "012")
    fill_review(mine, issues="入力中")
    open_case(theirs, "013")
    sign_in(theirs, "乙")
    fill_review(theirs, workplace="乙の記録")
    theirs.view.review.save_button.click()
    assert not mine.model.agenda.rows[[r["user_id"] for r in mine.model.agenda.rows].index("013")]["reviewed"]
    mine.view.reload.click()
    assert next(r for r in mine.model.agenda.rows if r["user_id"] == "013")["reviewed"]
    assert mine.view.review.texts["issues"].value == "入力中" and mine.model.agenda.selected == "012"


def test_a_page_prepared_before_others_saved_shows_their_save_when_it_is_opened(db):
    waiting, theirs = make_app(db), make_app(db)          # a preheated page, and a colleague's
    waiting.model.viewer_arrived()                         # opened before anyone saved: as it was
    assert not next(r for r in waiting.model.agenda.rows if r["user_id"] == "013")["reviewed"]
    later = make_app(db)
    open_case(theirs, "013")
    sign_in(theirs, "乙")
    fill_review(theirs, workplace="乙の記録")
    theirs.view.review.save_button.click()
    later.model.viewer_arrived()
    assert next(r for r in later.model.agenda.rows if r["user_id"] == "013")["reviewed"]


# --- agenda -------------------------------------------------------------------------------

def test_agenda_is_in_the_rules_order_with_level_words_and_flag_messages(app):
    rows = app.model.agenda.rows
    levels = [LEVELS.index(r["level"]) for r in rows]
    assert levels == sorted(levels) and rows[0]["level"] == "要対応"
    assert app.model.agenda.progress == f"検討済 0/{len(rows)}"
    html = app.view.agenda._htmls[rows[0]["user_id"]].value
    assert "要対応" in html and rows[0]["flags"][0]["message"] in html and "未検討" in html
    assert app.view.agenda._buttons[rows[0]["user_id"]].description.startswith(rows[0]["user_id"])


def test_opening_a_case_fills_the_case_panel_and_the_form(app):
    open_case(app, "002")
    case = app.model.case
    assert case.user_id == "002" and app.model.agenda.selected == "002"
    assert case.profile["name"] and case.level == "要対応"
    assert case.chart_svg.startswith("<svg") and "体調などの自己評価" in case.chart_svg
    assert '<img alt="直近6か月の勤怠と自己評価"' in app.view.case.body.value
    assert case.contacts and case.plan
    assert app.model.review.user_id == "002" and app.model.review.version == 0
    assert app.view.case.layout.display == "" and app.view.placeholder.layout.display == "none"


def test_the_case_panel_and_its_forms_are_built_when_the_first_case_is_opened(db):
    app = make_app(db)
    assert app.view.right.children == (app.view.case_head, app.view.placeholder)    # before: choose a case
    app.view.agenda._buttons["002"].click()
    assert app.view.right.children[-2:] == (app.view.case, app.view.review)
    assert "002" in app.view.case.title.value and "002" in app.view.review.heading.value
    assert app.view.placeholder.layout.display == "none"


def test_the_page_warm_up_builds_the_forms_before_any_case_is_opened(db):
    app = make_app(db)
    app.warm_up()                                               # while staff read the agenda
    assert app.view.right.children[-2:] == (app.view.case, app.view.review)
    assert app.view.case.layout.display == "none" and app.view.placeholder.layout.display == ""
    open_case(app, "002")
    assert "002" in app.view.review.heading.value


def test_a_hidden_view_is_built_once_when_first_needed_and_the_retention_panel_knows_when_it_is_open(db):
    app = make_app(db)
    view = app.view
    hidden = [view.forms, *view.meeting.sections, *view.exports.sections, *view.checks.sections]
    assert not any(lazy.built for lazy in hidden) and not app.model.checks.shown      # the first page
    view.checks.selected_index = 0                                  # staff open the folded panel
    checks = view.checks.sections[0]
    assert checks.built and checks.shown and app.model.checks.shown
    assert view.checks.children[0] is checks.view is checks.build()                  # built once
    view.checks.selected_index = None
    assert not checks.shown and not app.model.checks.shown and checks.built
    assert not view.forms.built and not view.meeting.sections[0].built
    app.warm_up()
    assert view.forms.built and not view.forms.shown and view.case is view.forms.view.case
    open_case(app, "002")
    assert view.forms.shown


def test_after_the_warm_up_the_first_case_opened_computes_no_handover_of_everyone(db, monkeypatch):
    from teichaku_nb import fees
    app = make_app(db)
    app.warm_up()                                               # while staff read the agenda
    computed = []
    real = fees.handover
    monkeypatch.setattr(fees, "handover", lambda *a, **k: computed.append(1) or real(*a, **k))
    open_case(app, "002")
    assert computed == [] and app.model.handover.state          # looked up, not computed again


def test_support_period_is_month_n_of_36_with_months_left():
    assert support_text({"month_n": 20, "support_month": 14, "support_months": 36, "months_left": 23}) \
        == "就職後 20か月目・支援 14/36か月目（支援終了まで残り 23か月）"
    assert support_text({"month_n": 5, "support_month": None, "months_left": 37}).startswith("就職後 5か月目・支援開始前")
    assert support_text({}) == "支援期間: —"


def test_workbook_text_is_escaped_in_the_case_panel(app):
    open_case(app, "002")                      # its note holds <script>window.__xss=1</script>
    html = app.view.case.body.value
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html and "<script>" not in html
    open_case(app, "003")                      # its note holds <img src=x onerror=...>
    html = app.view.case.body.value
    assert "&lt;img src=x onerror=" in html and "<img src=x" not in html


# --- review form ----------------------------------------------------------------------------

def fill_review(app, **values) -> None:
    view = app.view.review
    for name, value in values.items():
        if name == "judgement":
            view.judgement.value = value
        else:
            view.texts[name].value = value


def test_write_add_an_action_save_and_find_them_again(app, db):
    open_case(app, "004")
    sign_in(app, "山田 花子")
    fill_review(app, workplace="業務は安定", life="睡眠が浅い", health="通院継続", issues="気分の波",
                policy="2週間後に面談", wishes="今の職場で続けたい", judgement="注意")
    view = app.view.review
    view.action_content.value = "主治医に様子を確認"
    view.action_owner.value = "安藤"
    view.action_due.value = dt.date(2026, 12, 10)
    view.add_button.click()
    assert app.model.review.pending_actions and "未保存" in view.pending_box.children[0].children[0].value
    assert app.model.review.dirty
    view.save_button.click()
    assert app.model.guard.error == ""
    assert app.model.review.message.startswith("保存しました") and "山田 花子" in app.model.review.message
    assert "保存しました" in view.message.value
    assert not app.model.review.dirty and app.model.review.version == 1
    assert app.model.agenda.progress.startswith("検討済 1/")
    assert "✔ 検討済" in app.view.agenda._htmls["004"].value

    again = make_app(db)                        # as after reloading the page
    assert again.model.agenda.progress.startswith("検討済 1/")
    open_case(again, "004")
    assert again.view.review.texts["policy"].value == "2週間後に面談"
    assert again.view.review.judgement.value == "注意"
    assert "主治医に様子を確認" in again.view.review.month_actions.value


def test_saving_with_nobody_signed_in_says_so_in_japanese(app):
    open_case(app, "004")
    fill_review(app, workplace="記入")
    app.view.review.save_button.click()
    assert ("保存ができませんでした: サインインした職員がわからないため、ケース検討を保存できません。"
            "ページを開き直してください") in app.view.review.message.value
    assert message_kind(app.view.review.message) == "error" and app.model.review.version == 0
    assert app.model.guard.error == "" and app.view.error_box.layout.display == "none"     # beside 保存, not at the top


def test_an_action_needs_content_and_owner(app):
    open_case(app, "004")
    app.view.review.action_content.value = "内容だけ"
    app.view.review.add_button.click()
    assert "担当" in app.view.review.action_message.value and app.view.review.message.value == ""
    assert app.model.review.pending_actions == []


def two_on_one_case(db, user_id: str, first_name: str = "先に保存した人", second_name: str = "後から保存した人"):
    first, second = make_app(db), make_app(db)
    for a, name in ((first, first_name), (second, second_name)):
        open_case(a, user_id)
        sign_in(a, name)
    return first, second


def test_changes_to_different_fields_of_one_case_are_merged_without_asking(db):
    first, second = two_on_one_case(db, "005", "甲野", "乙川")
    fill_review(first, workplace="甲の職場の記録")
    first.view.review.save_button.click()
    fill_review(second, issues="乙の課題", policy="乙の方針")           # the old 職場 text untouched
    second.view.review.save_button.click()
    review = second.view.review
    assert review.conflict_box.layout.display == "none" and second.model.review.conflict == {}
    message = review.message.value
    assert "甲野 さん" in message and "職場の現状を取り込み" in message and "版 2" in message
    assert 'data-kind="merged"' in message
    assert review.texts["workplace"].value == "甲の職場の記録" and not second.model.review.dirty
    with open_store(db) as store:
        saved = store.review(DEMO_KEY, "005", MONTH)
        assert (saved.workplace, saved.issues, saved.policy) == ("甲の職場の記録", "乙の課題", "乙の方針")
        changes = [(h.changed_by, set(h.changes)) for h in store.history(user_id="005") if h.record_kind == "reviews"]
    assert changes[-1] == ("乙川", {"issues", "policy"})               # 乙's save changed only 乙's fields


def test_the_same_field_changed_by_both_is_shown_side_by_side_and_the_choice_is_saved(db):
    first, second = two_on_one_case(db, "006")
    fill_review(first, workplace="先の内容 <b>太字</b>", wishes="先の意向")
    first.view.review.save_button.click()
    fill_review(second, workplace="後の内容", issues="後の課題")
    second.view.review.save_button.click()
    review = second.view.review
    assert review.conflict_box.layout.display == "" and "先に保存した人 さんが" in review.conflict.value
    assert "teichaku-ok" not in review.conflict.value and 'data-kind="conflict"' in review.message.value
    assert list(review.choices) == ["workplace"]                     # only the field both changed
    table = review.merge_rows.children[0].children[0].value
    assert "先の内容 &lt;b&gt;太字&lt;/b&gt;" in table and "後の内容" in table and "<b>太字" not in table
    button(review, "選んだ内容で保存").click()
    assert "職場の現状はどちらを残すか選んでください" in review.merge_message.value
    review.choices["workplace"].value = "mine"
    button(review, "選んだ内容で保存").click()
    assert review.conflict_box.layout.display == "none" and second.model.review.version == 2
    assert "先に保存した人 さんが" in review.message.value and "本人の意向を取り込み" in review.message.value
    with open_store(db) as store:
        saved = store.review(DEMO_KEY, "006", MONTH)
        assert (saved.workplace, saved.issues, saved.wishes) == ("後の内容", "後の課題", "先の意向")
        olds = [h.changes["workplace"][0] for h in store.history(user_id="006") if "workplace" in h.changes]
    assert olds[-1] == "先の内容 <b>太字</b>"                          # theirs stays in the history


def test_a_conflict_can_keep_theirs_or_a_text_edited_from_both(db):
    first, second = two_on_one_case(db, "007", "甲", "乙")
    fill_review(first, issues="甲の課題", policy="甲の方針", judgement="注意")
    first.view.review.save_button.click()
    fill_review(second, issues="乙の課題", policy="乙の方針", judgement="要対応")
    second.view.review.save_button.click()
    review = second.view.review
    assert set(review.choices) == {"issues", "policy", "judgement"}
    assert [label for label, _ in review.choices["judgement"].options] == ["自分の内容", "保存されている内容"]
    review.choices["issues"].value = "theirs"
    review.choices["judgement"].value = "mine"
    review.choices["policy"].value = "edit"
    assert review.combined["policy"].layout.display == "" and review.combined["policy"].value == "甲の方針\n乙の方針"
    review.combined["policy"].value = "甲と乙の方針"
    button(review, "選んだ内容で保存").click()
    with open_store(db) as store:
        saved = store.review(DEMO_KEY, "007", MONTH)
    assert (saved.issues, saved.policy, saved.judgement, saved.updated_by) == ("甲の課題", "甲と乙の方針", "要対応", "乙")
    assert review.texts["issues"].value == "甲の課題" and not second.model.review.dirty


def test_leaving_a_case_with_unsaved_edits_asks_first(app):
    open_case(app, "007")
    fill_review(app, wishes="書きかけ")
    open_case(app, "008")
    assert app.model.agenda.selected == "007" and app.model.pending_leave["value"] == "008"
    assert app.view.leave_box.layout.display == "" and "保存していない変更" in app.view.leave_text.value
    app.view.leave_no.click()                       # stay and save
    assert app.model.pending_leave == {} and app.view.review.texts["wishes"].value == "書きかけ"
    open_case(app, "008")
    app.view.leave_yes.click()                      # discard and go
    assert app.model.agenda.selected == "008" and app.view.review.texts["wishes"].value == ""


def test_the_page_is_marked_unsaved_only_while_the_form_holds_unsaved_text(app):
    """The mark is what makes the browser ask before the tab is closed: the page script
    (static/leaving.js of the Voila template) reads the mark's name from the page config the
    server writes into every page."""
    from teichaku_nb.server.page import CONFIG_KEY, UNSAVED_CLASS, page_config_hook

    script = (VOILA_TEMPLATE / "static" / "leaving.js").read_text(encoding="utf-8")
    assert f"config().{CONFIG_KEY}" in script and UNSAVED_CLASS not in script
    assert page_config_hook({"baseUrl": "/"}, base_url="/") == {"baseUrl": "/", CONFIG_KEY: UNSAVED_CLASS}
    sign_in(app, "山田")
    open_case(app, "007")
    assert UNSAVED_CLASS not in app.view._dom_classes
    fill_review(app, wishes="書きかけ")
    assert UNSAVED_CLASS in app.view._dom_classes
    app.view.review.save_button.click()
    assert "保存しました" in app.model.review.message
    assert UNSAVED_CLASS not in app.view._dom_classes


def test_the_notebook_shows_the_app_alone_the_page_script_comes_with_the_template(app, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objects, **_kwargs: shown.extend(objects))
    app._ipython_display_()
    assert shown == [app.view]
    assert '{{ resources.include_js("static/leaving.js") }}' in (VOILA_TEMPLATE / "index.html.j2").read_text(encoding="utf-8")


def test_changing_the_month_with_unsaved_edits_asks_first(app):
    open_case(app, "007")
    fill_review(app, wishes="書きかけ")
    app.view.header.month.value = "2026-09"
    assert app.model.header.month == MONTH and app.view.header.month.value == MONTH
    assert app.model.pending_leave["kind"] == "month"
    app.view.leave_yes.click()
    assert app.model.header.month == "2026-09" and app.model.agenda.selected == ""


# --- actions carried over ----------------------------------------------------------------------

def test_open_actions_carry_over_and_can_be_closed_or_continued(db):
    office = DEMO_KEY
    with open_store(db) as store:
        for content in ("企業と面談日程を調整", "家族に連絡"):
            store.add_action(Action(office=office, user_id="009", month="2026-09", content=content,
                                    owner="安藤", due_on=dt.date(2026, 10, 15)), by="前回の記録者")
    app = make_app(db)
    row = next(r for r in app.model.agenda.rows if r["user_id"] == "009")
    assert row["open_actions"] == 2 and "継続中の役割分担 2件" in app.view.agenda._htmls["009"].value
    assert any(f["code"] == "overdue_action" for f in row["flags"])
    open_case(app, "009")
    assert [a["content"] for a in app.model.case.open_actions] == ["企業と面談日程を調整", "家族に連絡"]
    sign_in(app, "山田")
    first, second = app.view.case.actions_box.children
    button(first, "継続").click()
    assert app.model.case.open_actions[0]["status"] == "対応中"
    button(second, "完了").click()
    assert [a["content"] for a in app.model.case.open_actions] == ["企業と面談日程を調整"]
    assert "完了" in app.model.case.message
    assert message_kind(app.view.case.message) == "ok"                      # saved as pressed: green
    assert next(r for r in app.model.agenda.rows if r["user_id"] == "009")["open_actions"] == 1


def test_an_action_changed_by_someone_else_first_is_merged_unless_both_changed_its_status(db):
    office = DEMO_KEY
    with open_store(db) as store:
        for content in ("職場訪問の日程を決める", "主治医の意見を聞く"):
            store.add_action(Action(office=office, user_id="009", month="2026-09", content=content,
                                    owner="安藤"), by="前回の記録者")
    first, second = make_app(db), make_app(db)
    for app, name in ((first, "佐藤"), (second, "鈴木")):
        sign_in(app, name)
        open_case(app, "009")
    # 佐藤 continues the first action and closes the second; 鈴木's screen still shows them as read
    button(first.view.case.actions_box.children[0], "継続").click()
    button(first.view.case.actions_box.children[1], "完了").click()

    button(second.view.case.actions_box.children[1], "継続").click()        # closed by 佐藤 meanwhile
    message = second.model.case.message
    assert "佐藤 さん" in message and "状態 完了" in message and "（継続）は保存していません" in message
    assert "継続中の一覧から外しました" in message and "佐藤" in second.view.case.message.value
    assert message_kind(second.view.case.message) == "error"                # not saved: red
    assert [(a["content"], a["status"]) for a in second.model.case.open_actions] == [
        ("職場訪問の日程を決める", "対応中")]                                 # the list shows theirs

    with open_store(db) as store:                                           # 佐藤 changes only the owner
        (action,) = store.open_actions(office, "009", as_of_month=MONTH)
        store.update_action(action.id, {"owner": "佐藤"}, by="佐藤", expected_version=action.version)
    button(second.view.case.actions_box.children[0], "中止").click()       # 鈴木 only the status: merged
    message = second.view.case.message.value
    assert "中止にしました" in message and "佐藤 さん" in message and "担当はそのまま残しています" in message
    assert message_kind(second.view.case.message) == "merged"               # saved with theirs: amber
    assert second.model.case.open_actions == []
    with open_store(db) as store:
        (kept,) = [a for a in store.actions(office, "009") if a.content == "職場訪問の日程を決める"]
        assert (kept.status, kept.owner, kept.updated_by) == ("中止", "佐藤", "鈴木")


def test_an_action_both_closed_the_same_way_is_closed_once(db):
    office = DEMO_KEY
    with open_store(db) as store:
        store.add_action(Action(office=office, user_id="011", month="2026-09", content="面談の記録を共有",
                                owner="安藤"), by="前回の記録者")
    first, second = make_app(db), make_app(db)
    for app, name in ((first, "佐藤"), (second, "鈴木")):
        sign_in(app, name)
        open_case(app, "011")
    button(first.view.case.actions_box.children[0], "完了").click()
    button(second.view.case.actions_box.children[0], "完了").click()
    assert "佐藤 さんが既に完了にしていました" in second.view.case.message.value and second.model.guard.error == ""
    assert message_kind(second.view.case.message) == "merged"               # someone else did it first: amber
    assert second.model.case.open_actions == []
    with open_store(db) as store:
        (action,) = store.actions(office, "011")
        assert (action.status, action.version, action.updated_by) == ("完了", 2, "佐藤")


def test_closing_an_action_with_nobody_signed_in_is_an_error_shown(db):
    office = DEMO_KEY
    with open_store(db) as store:
        store.add_action(Action(office=office, user_id="010", month="2026-09", content="引き継ぎ先を探す",
                                owner="安藤"), by="前回の記録者")
    app = make_app(db)
    open_case(app, "010")
    button(app.view.case.actions_box.children[0], "完了").click()
    assert "サインインした職員がわからない" in app.view.case.message.value and message_kind(app.view.case.message) == "error"
    assert len(app.model.case.open_actions) == 1


# --- every callback is wrapped ----------------------------------------------------------------

def test_a_failing_callback_is_logged_and_shown_in_japanese(app, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(app.model.case, "load", broken)
    with caplog.at_level(logging.ERROR, logger="teichaku_nb.app"):
        open_case(app, "011")
    assert "できませんでした" in app.model.guard.error and "RuntimeError" in app.model.guard.error
    assert any("boom" in r.getMessage() or r.exc_info for r in caplog.records)
    # ... and kept in the log file beside the demo records, traceback included
    (kept,) = [h for h in logging.getLogger("teichaku_nb.app").handlers if hasattr(h, "baseFilename")]
    kept.flush()
    assert Path(kept.baseFilename) == paths.app_log_path()
    assert "RuntimeError: boom" in Path(kept.baseFilename).read_text(encoding="utf-8")
    app.view.dismiss.click()
    assert app.model.guard.error == "" and app.view.error_box.layout.display == "none"


# --- launcher ----------------------------------------------------------------------------------

def plan(*args, **kwargs):
    """``launcher.plan`` with the store's location of the records, as ``teichaku app`` passes it."""
    return launcher.plan(*args, locate_records=records_location, **kwargs)


def test_the_demo_records_go_to_a_per_user_folder_not_the_checkout(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    p = plan(None, None, port=8866, token="t")
    assert p.demo and p.book == DEMO
    assert Path(p.db) == tmp_path / "data" / "teichaku" / "demo.teichaku.sqlite"
    assert ROOT not in Path(p.db).parents
    env = p.env()
    assert env[paths.BOOK_ENV] == str(DEMO) and env[paths.DEMO_ENV] == "1"
    assert env["PATH"] == os.environ["PATH"]           # merged with os.environ, not replacing it
    assert env["VOILA_APP_IP"] == "127.0.0.1"
    assert plan(None, None, host="::1").env()["VOILA_APP_IP"] == "[::1]"
    assert plan(None, None, host="0.0.0.0").env()["VOILA_APP_IP"] == "127.0.0.1"


def test_a_workbook_gets_its_store_beside_it(tmp_path):
    book = tmp_path / "office.xlsx"
    book.write_bytes(DEMO.read_bytes())
    p = plan(book, None, port=8866)
    assert not p.demo and p.db == str(tmp_path / "office.teichaku.sqlite")
    assert len(p.token) >= 32 and p.url == f"http://127.0.0.1:8866/?token={p.token}"
    assert plan(book, "postgresql+psycopg://u:secret@h/db").db_shown == "postgresql+psycopg://u:***@h/db"


def test_the_port_is_busy_while_something_listens_but_free_again_right_after_it_stops():
    """Stopping the app and starting it again at once must work: the connections the old
    server leaves in TIME_WAIT do not make the port busy."""
    import socket

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    assert not launcher.port_free("127.0.0.1", port)
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()                                    # the server closes first: TIME_WAIT on its side
    client.close()
    server.close()
    assert launcher.port_free("127.0.0.1", port)


def test_voila_is_locked_down_and_preheated():
    cmd = launcher.voila_command(Path("conference.ipynb"), host="127.0.0.1", port=9999)
    text = " ".join(cmd)
    for flag in ("--Voila.ip=127.0.0.1", "--Voila.auto_token=True", "--VoilaConfiguration.strip_sources=True",
                 "--VoilaConfiguration.allow_template_override=NO", "--VoilaConfiguration.allow_theme_override=NO",
                 "--VoilaConfiguration.show_tracebacks=False", "--VoilaConfiguration.preheat_kernel=True",
                 "--VoilaConfiguration.default_pool_size=1", "--no-browser",
                 "--Voila.identity_provider_class=teichaku_nb.server.login.TokenIdentityProvider"):   # by default
        assert flag in text
    assert cmd[cmd.index("--VoilaConfiguration.file_denylist") + 1] == ".*"
    p = plan(None, "sqlite:///:memory:", token="secret-token")
    assert "secret-token" not in text and p.env()["JUPYTER_TOKEN"] == "secret-token"   # not visible in ps
    # the page's template (Japanese loading messages) is the package's, found through JUPYTER_PATH
    assert f"--VoilaConfiguration.template={launcher.TEMPLATE}" in text
    root = Path(p.env()["JUPYTER_PATH"].split(os.pathsep)[0])
    assert (root / "voila" / "templates" / launcher.TEMPLATE / "conf.json").is_file()


def test_the_app_notebook_is_package_data():
    """``teichaku app`` serves the notebook inside the package, a file of its own (no link to a
    folder elsewhere), which an installed package has too (pyproject's package-data)."""
    import tomllib

    path = paths.app_notebook_path()
    assert path == ROOT / "teichaku_nb" / "app_notebook" / "conference.ipynb"
    assert not path.is_symlink() and not path.parent.is_symlink()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert f"{path.parent.name}/*.ipynb" in package_data["teichaku_nb"]
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["title"] == "ケース会議"                         # the browser tab's title
    assert all(c["cell_type"] == "code" and not c["outputs"] for c in nb["cells"])
    assert "AppPage.from_environment()" in "".join(nb["cells"][1]["source"])


def test_cli_app_refuses_a_missing_book_and_a_busy_port(tmp_path, capsys):
    from teichaku_nb import cli
    assert cli.main(["app", str(tmp_path / "nope.xlsx")]) == 2
    assert "見つかりません" in capsys.readouterr().err
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli.main(["app", str(DEMO), "--port", str(port), "--db", str(tmp_path / "x.sqlite")]) == 2
    assert "使われています" in capsys.readouterr().err


# --- export panel: the month's documents from the app ---------------------------------------

def _flag_codes(app: ConferenceApp, user_id: str) -> list[str]:
    case = next(c for c in app.model.month_review.cases if c.user_id == user_id)
    return [f.code for f in case.flags]


def test_a_page_reads_the_workbook_once_also_when_it_makes_documents(db, monkeypatch):
    from teichaku_nb import workbook

    reads = []
    load = workbook.load_casebook
    monkeypatch.setattr(workbook, "load_casebook", lambda *a, **k: reads.append(a[0]) or load(*a, **k))
    app = make_app(db)
    panel = open_panel(app.view.exports, 0)
    panel.scope.value = "all"
    panel.kind.value = "summary"
    panel.button.click()
    assert app.model.guard.error == "" and app.model.exports.link_name.endswith("月次サマリー_2026-10.html")
    assert reads == [DEMO]


def test_a_batch_of_support_reports_is_for_the_reviewed_people_and_names_the_others(app):
    panel = open_panel(app.view.exports, 0)
    assert panel.scope.value == "reviewed"                          # nobody is reviewed yet
    panel.button.click()
    model = app.model.exports
    assert app.model.guard.error == "" and model.link_uri == ""
    assert "検討の記録がある人がいません" in model.status
    (note,) = model.notes
    assert f"検討の記録がない {len(app.model.month_review.cases)}人" in note and "この月の全員" in note
    assert "検討の記録がない" in panel.status.value


@pytest.mark.slow
def test_making_a_support_report_in_the_app_records_nothing(app, db):
    import base64
    not_shared = "005"                      # the demo's person without a 支援レポート for 2026-10
    assert "report_not_shared" in _flag_codes(app, not_shared)
    sign_in(app, "田村 浩")
    open_case(app, not_shared)
    panel = open_panel(app.view.exports, 0)
    panel.scope.value, panel.audience.value = "case", "本人"
    panel.button.click()
    model = app.model.exports
    assert app.model.guard.error == ""
    assert model.link_name.endswith(f"_{not_shared}_本人用.html")
    page = base64.b64decode(model.link_uri.split(",", 1)[1]).decode("utf-8")
    name = app.model.case.profile["name"]
    assert "支援レポート（本人用）" in page and f"{name} 様" in page
    assert f'download="{model.link_name}"' in panel.link.value
    saved = paths.data_dir() / "reports" / MONTH / model.link_name      # the demo's: outside the checkout
    assert saved.read_text(encoding="utf-8") == page and str(saved.parent) in model.status
    assert "送付の記録になりません" in model.status
    with open_store(db) as store:
        assert store.issued_reports(None, MONTH, include_withdrawn=True) == []
    app.model.reload()
    assert "report_not_shared" in _flag_codes(app, not_shared)           # still not sent
    assert app.model.sending.made_users == [not_shared]                  # offered to the sending panel


def test_sending_is_recorded_on_purpose_and_a_withdrawal_is_kept(app, db):
    not_shared = "005"
    sending = open_panel(app.view.exports, 1)
    open_case(app, not_shared)
    sending.scope.value, sending.recipient.value = "case", "本人・企業"
    sending.sent_on.value = dt.date(2026, 11, 5)
    sending.record.click()
    assert "サインインした職員がわからない" in sending.message.value              # who records it is required (said below 記録)
    app.model.guard.clear()
    sign_in(app, "田村 浩")
    sending.record.click()
    assert app.model.guard.error == ""
    assert "1人の送付を記録しました" in sending.message.value
    assert message_kind(sending.message) == "ok"
    assert "report_not_shared" not in _flag_codes(app, not_shared)       # the agenda was refreshed
    assert "2026年11月5日" in sending.listing.value and "田村 浩" in sending.listing.value

    sending.record.click()                                               # the same again: nothing new
    assert "1人は記録済み" in sending.message.value and "0人" not in sending.message.value
    assert "新しく記録した送付はありません" in sending.message.value
    assert message_kind(sending.message) == "warning"                        # nothing recorded: amber, not green

    (record,) = app.model.sending.records
    sending.withdraw_choice.value = record["id"]
    sending.withdraw_reason.value = "企業には渡していなかった"
    sign_in(app, "山田 花子")
    sending.withdraw.click()
    assert app.model.guard.error == ""
    assert "report_not_shared" in _flag_codes(app, not_shared)
    assert "取消（山田 花子" in sending.listing.value and "teichaku-withdrawn" in sending.listing.value
    with open_store(db) as store:
        (kept,) = store.issued_reports(None, MONTH, user_id=not_shared, include_withdrawn=True)
        assert (kept.created_by, kept.withdrawn_by, kept.withdrawn_reason) == ("田村 浩", "山田 花子", "企業には渡していなかった")
        entries = [e for e in store.history(None, not_shared) if e.record_kind == "issued_reports"]
    assert [(e.operation, e.changed_by) for e in entries] == [("create", "田村 浩"), ("update", "山田 花子")]


def test_a_saved_review_keeps_the_level_and_flags_shown(app, db):
    sign_in(app, "山田")
    open_case(app, "005")
    shown = app.model.case.flags
    assert "report_not_shared" in [f["code"] for f in shown]
    app.model.review.issues = "支援レポート未送付"
    assert app.model.review.save()
    with open_store(db) as store:
        saved = store.review(app.model.book.key, "005", MONTH)
    assert saved.saved_level == app.model.case.level and list(saved.saved_flags) == shown


@pytest.mark.slow
def test_export_of_the_months_pdfs_under_a_running_event_loop_offers_one_zip(app):
    """Under Voila the button's callback runs inside the kernel's event loop: the batch is
    executed and printed from a thread there, and the PDFs come back as one zip."""
    import asyncio
    import base64
    import io
    import zipfile

    from teichaku_nb.pdf import find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium is not installed (apt install chromium)")
    panel = open_panel(app.view.exports, 0)
    panel.scope.value, panel.audience.value, panel.fmt.value = "all", "企業", "pdf"

    async def press():
        panel.button.click()

    asyncio.run(press())
    model = app.model.exports
    assert app.model.guard.error == ""
    book = app.model.book
    agenda = sorted(c.user_id for c in app.model.month_review.cases if book.shares_with_employer(c.user_id))
    # executed and printed, each, and the staff-only 確認事項 (the demo has one data problem); only
    # for the people who agreed to share with their employer
    assert model.progress == (2 * (len(agenda) + 1), 2 * (len(agenda) + 1))
    assert "企業共有同意が「はい」でない" in " ".join(model.notes)
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(model.link_uri.split(",", 1)[1]))) as archive:
        names = sorted(archive.namelist())
        assert [re.search(r"_([^_]+)_企業用\.pdf$", n).group(1) for n in names] == agenda      # the copies only
        assert all(archive.read(n).startswith(b"%PDF") for n in names)
    assert model.link_name == f"デモ就労定着支援センター_支援レポート_{MONTH}_pdf.zip"


def test_a_half_typed_action_counts_as_an_unsaved_edit(app):
    open_case(app, "002")
    review = app.model.review
    assert not review.dirty
    review.action_owner = "田村"
    assert review.dirty
    review.action_owner = ""
    review.action_due = dt.date(2026, 11, 30)
    assert review.dirty


# --- meeting panel: the conference itself, for the 会議録 and the 地域連携会議実施加算 ---------------

def test_a_regional_meeting_is_recorded_linked_to_the_reviews_and_printed_in_the_minutes(app, db):
    from teichaku_nb import report_views

    panel = open_panel(app.view.meeting, 0)
    sign_in(app, "山田 花子")
    assert "まだ記録されていません" in panel.status.value
    assert panel.regional.layout.display == "none"                  # only a 地域連携会議 asks for them
    panel.held_on.value = dt.date(2026, 11, 5)
    panel.kind.value = "地域連携会議"
    assert panel.regional.layout.display == ""
    panel.attendees.value = "山田 花子、田村 浩,安藤 理恵"
    panel.save.click()                                              # no outside participants yet
    assert "外部の参加者" in panel.status.value and app.model.meeting.conference_id == 0
    app.model.guard.clear()
    panel.outside.value = "架空市障害者就業・生活支援センター 田中、<b>架空</b>病院 鈴木"
    panel.presenter.value = "田村 浩"
    panel.save.click()
    assert app.model.guard.error == ""
    assert "会議を記録しました" in panel.status.value and "<b>架空</b>" not in panel.status.value

    open_case(app, "003")
    app.model.review.policy = "来週職場訪問"
    assert app.model.review.save()
    with open_store(db) as store:
        (conference,) = store.conferences(None, MONTH)
        assert conference.attendees == ("山田 花子", "田村 浩", "安藤 理恵")
        assert conference.outside_participants == ("架空市障害者就業・生活支援センター 田中", "<b>架空</b>病院 鈴木")
        assert store.review(conference.office, "003", MONTH).conference_id == conference.id
        minutes = report_views.minutes_html(app.model.book, PERIOD, store=store)
    for text in ("2026年11月5日", "地域連携会議", "安藤 理恵", "&lt;b&gt;架空&lt;/b&gt;病院 鈴木", "田村 浩"):
        assert text in minutes

    again = make_app(db)                                            # a reload reads the saved meeting
    assert again.model.meeting.held_on == dt.date(2026, 11, 5) and again.model.meeting.kind == "地域連携会議"
    assert "記録済み: 山田 花子 さん" in open_panel(again.view.meeting, 0).status.value


def test_the_words_for_each_reader_are_suggested_from_the_review_and_never_sent_as_a_side_effect(app, db):
    open_case(app, "004")                                            # 企業共有同意 はい
    review, view = app.model.review, app.view.review
    assert "本人用の支援レポートに載ります" in view.reach_notes["to_person"].value
    assert "企業用の支援レポートに載ります" in view.reach_notes["to_employer"].value
    fill_review(app, workplace="新しい作業に慣れた", health="服薬を調整中", policy="来月も職場訪問")
    view.suggest_buttons["to_employer"].click()
    assert review.to_employer == "【職場の現状】\n新しい作業に慣れた"        # work only: no health words
    view.suggest_buttons["to_person"].click()
    assert "新しい作業に慣れた" in review.to_person and "来月も職場訪問" in review.to_person
    review.to_person = "本人に向けて書き直した文"
    view.suggest_buttons["to_person"].click()                           # typed text is never replaced
    assert review.to_person == "本人に向けて書き直した文" and "先に消してください" in review.reader_message
    view.preview_buttons["企業"].click()
    assert "新しい作業に慣れた" in review.preview and "服薬を調整中" not in review.preview
    with open_store(db) as store:                                        # a suggestion or preview saves nothing
        assert store.review(DEMO_KEY, "004", MONTH) is None

    other = make_app(db)                                                 # this page has unsaved edits
    open_case(other, "003")                                              # 企業共有同意 いいえ
    view = other.view.review
    assert view.texts["to_employer"].disabled and view.suggest_buttons["to_employer"].disabled
    assert view.preview_buttons["企業"].disabled
    assert "企業用の支援レポートは作りません" in view.reach_notes["to_employer"].value


def test_sending_to_the_employer_is_not_recorded_for_someone_who_did_not_consent(app, db):
    from teichaku_nb.errors import FormError

    open_case(app, "003")                                                # 企業共有同意 いいえ
    sending = app.model.sending
    sign_in(app, "田村")
    sending.scope = "case"
    for recipient in ("企業", "本人・企業"):
        sending.recipient = recipient
        with pytest.raises(FormError, match="003 池田 誠.*企業用の支援レポートを作らないため"):
            sending.record()
    sending.recipient = "本人"
    sending.record()
    with open_store(db) as store:
        assert [(r.user_id, r.recipient) for r in store.issued_reports(DEMO_KEY)] == [("003", "本人")]
