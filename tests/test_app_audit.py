"""The panel 「運営指導の準備」 (``app/audit.py``, its view ``app/views/audit.py``): what ``teichaku
audit`` does, in the app, and the evidence bundle.

Only a サービス管理責任者 or a 管理者 sees it, and the model refuses a 支援員 everything in Japanese
(a browser can send any widget message); the result is ``audit.audit``'s own (its totals, the
office's items, the people with gaps, what to do for each gap); a period that cannot be checked
is said in Japanese below 「確認する」; another month forgets the result; the bundle is
``reports.make_evidence``'s, offered as one download link and written to the access log.
Driven as the page drives them, on the demo workbook (and a hand-made casebook) with a store in
tmp_path.  All people are synthetic.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from teichaku_nb import audit, billing, paths, reports
from teichaku_nb.app.audit import MAX_MONTHS, OFFICE_CODES, TODO, AuditModel
from teichaku_nb.app.common import Guard
from teichaku_nb.app.panel import Context
from teichaku_nb.app.views.audit import AuditView
from teichaku_nb.fee_table import REDUCTIONS
from teichaku_nb.staff import ADMIN, MANAGER, SUPPORT, Refused, Staff
from teichaku_nb.store import StoreError, open_store
from teichaku_nb.store.access_log import document_lists

from helpers_rules import MONTH, calm, combine, make_book, without
from test_app_fees import text
from test_app_models import TODAY, db, make_app, open_panel, sign_in  # noqa: F401 (db: fixture)

WORKER, MANAGING = "鈴木 一郎", "田村 浩"          # a 支援員 and a サービス管理責任者
SIX_MONTHS = list(pd.period_range("2026-05", "2026-10", freq="M"))     # ending with the month on screen
REFUSED = f"運営指導の準備はサービス管理責任者以上の職員が行います（{WORKER}さんは支援員です）"


def seen(fragment: str) -> str:
    """What a reader sees of an HTML fragment, entities read (「」（） as typed)."""
    return html.unescape(text(fragment))


def person_part(view: AuditView, user_id: str) -> str:
    """What the result shows of one person (their block), as a reader sees it."""
    found = re.search(rf'<div class="teichaku-audit-person" data-user="{user_id}">(.*?)</div>', view.result.value,
                      re.S)
    assert found, user_id
    return seen(found.group(1))


def office_part(view: AuditView) -> str:
    found = re.search(r'<table class="teichaku-table teichaku-audit-office">(.*?)</table>', view.result.value, re.S)
    assert found
    return seen(found.group(1))


def entries(db: str, action: str = "document_made") -> list[dict]:
    with open_store(db) as store:
        return [e for e in store.access_entries() if e["action"] == action]


def manager_panel(db: str):
    """The demo's page opened by a サービス管理責任者, the panel opened."""
    app = make_app(db)
    sign_in(app, MANAGING, MANAGER)
    return app, open_panel(app.view.audit, 0)


# --- who sees it, who may --------------------------------------------------------------------------------

def test_a_support_worker_does_not_see_the_panel_and_is_refused_everything(db, monkeypatch):
    made = []
    monkeypatch.setattr(reports, "make_evidence", lambda *a, **k: made.append((a, k)), raising=False)
    app = make_app(db)
    folded, model = app.view.audit, app.model.audit
    assert folded in app.view.children and app.view.children.index(folded) == len(app.view.children) - 2
    assert folded.layout.display == "none" and not model.allowed            # nobody signed in yet
    sign_in(app, WORKER, SUPPORT)
    assert folded.layout.display == "none" and not model.allowed and not folded.sections[0].built
    # the panel's view driven anyway (as forged widget messages would): each button says why, nothing is made
    view = AuditView(model, app.model.guard)
    assert view.layout.display == "none"
    view.run.click()
    assert seen(view.run_message.value) == f"運営指導の準備の確認ができませんでした: {REFUSED}"
    assert (model.checked, model.people, model.totals) == ("", [], {}) and seen(view.result.value) == ""
    view.bundle.click()
    assert seen(view.bundle_message.value) == f"確認資料の作成ができませんでした: {REFUSED}"
    assert made == [] and model.link_uri == "" and entries(db) == []
    with pytest.raises(Refused, match=REFUSED):
        model.run()
    assert app.model.guard.error == ""


def test_the_panel_is_shown_to_a_service_manager_and_an_admin_and_forgotten_for_a_support_worker(db):
    app = make_app(db)
    folded, model = app.view.audit, app.model.audit
    for role in (ADMIN, MANAGER):
        sign_in(app, MANAGING, role)
        assert folded.layout.display == "" and model.allowed
    assert folded.get_title(0) == "運営指導の準備（サービス管理責任者・管理者）"
    view = open_panel(folded, 0)
    assert isinstance(view, AuditView) and view.layout.display == ""
    view.run.click()
    assert model.people and "不備のある人" in seen(view.result.value)
    sign_in(app, WORKER, SUPPORT)                         # another person: nothing stays on screen
    assert folded.layout.display == "none" and folded.selected_index is None and view.layout.display == "none"
    assert model.people == [] and model.checked == "" and seen(view.result.value) == ""


# --- the result --------------------------------------------------------------------------------------------

def test_a_service_manager_sees_the_last_six_months_people_with_gaps_and_the_audits_totals(db):
    app, view = manager_panel(db)
    model = app.model.audit
    assert (view.first.value, view.last.value) == ("2026-05", "2026-10")       # the six months ending with 2026-10
    view.run.click()
    assert app.model.guard.error == ""
    expected = audit.audit(app.model.book, SIX_MONTHS, app.model.store, today=TODAY)
    assert model.totals == expected.totals and expected.totals["gaps"] > 0
    units, yen = expected.totals["units_at_risk"], expected.totals["yen_at_risk"]
    shown = seen(view.result.value)
    assert "2026年5月〜2026年10月の結果" in shown
    assert f"不備 {expected.totals['gaps']:,}件、返還・減額のおそれ {units:,}単位（{yen:,}円）" in shown
    with_gaps = [p for p in expected.people if p.gaps]
    assert [p["user_id"] for p in model.people] == [p.user_id for p in with_gaps]
    assert f"不備のある人（{len(with_gaps)}人）" in shown
    assert f"不備のない人: {len(expected.people) - len(with_gaps)}人" in shown
    for person in with_gaps:
        part = person_part(view, person.user_id)
        assert part.startswith(f"{person.user_id} {person.name}: 不備 {person.gaps}件、返還・減額のおそれ "
                               f"{person.units_at_risk:,}単位（{expected.yen(person.units_at_risk):,}円）")
        assert all(g.message in part for m in person.months for g in m.gaps)
    office = office_part(view)
    assert [i["label"] for i in model.office_gaps] == [i["label"] for i in expected.office_items if i["gap"]]
    assert all(f"{i['label']} {i['state']}" in office for i in expected.office_items if i["gap"])
    assert seen(view.run_message.value) == f"2026年5月〜2026年10月（6か月・{len(expected.people)}人）を確認しました"
    # everyone's gaps were looked at: in the access log, as the one who looked
    (viewed,) = entries(db, "audit_viewed")
    assert (viewed["name"], viewed["action_label"]) == (MANAGING, "運営指導の準備を確認")
    assert viewed["detail"] == f"2026年5月〜2026年10月（{len(expected.people)}人）"


def test_reading_what_others_saved_takes_the_result_away_and_says_to_check_again(db):
    app, view = manager_panel(db)
    view.run.click()
    assert app.model.audit.people
    app.model.reload()                                     # 「最新の状態に更新」
    assert (app.model.audit.people, app.model.audit.totals_line) == ([], "")
    assert "不備のある人" not in seen(view.result.value)
    assert seen(view.run_message.value) == ("最新の状態に更新したため、2026年5月〜2026年10月の結果を消しました。"
                                            "もう一度「確認する」を押してください")


def test_a_person_without_gaps_is_counted_not_listed(tmp_path):
    book = make_book(combine(calm("U001"), without(calm("U002"), "reports", user_id="U002")),
                     settings={"handover_policy": "はい"})
    model = AuditModel()
    model.context = Context(book=book, office=book.key, month=str(MONTH), today=dt.date(2026, 11, 30),
                            staff=Staff("tamura", MANAGING, MANAGER))
    view = AuditView(model, Guard())
    view.first.value = view.last.value = "2026-10"
    view.run.click()
    shown = seen(view.result.value)
    assert "不備 1件、返還・減額のおそれ 3,512単位（35,120円）" in shown
    assert "不備のある人（1人）" in shown and "不備のない人: 1人" in shown
    assert "U002 試験 U002" in shown and "U001" not in shown
    assert "事業所全体の不備はありません。" in shown
    assert f"2026年10月: {TODO['report_not_shared']}" in person_part(view, "U002")


def test_what_to_do_is_shown_for_each_gap_code_present(db):
    app, view = manager_panel(db)
    view.run.click()
    expected = audit.audit(app.model.book, SIX_MONTHS, app.model.store, today=TODAY)
    people = {p.user_id: {g.code for m in p.months for g in m.gaps} for p in expected.people}
    office = {i["code"] for i in expected.office_items if i["gap"]}
    present = set().union(*people.values()) | office
    assert present <= set(TODO)                           # none shown with the general sentence
    assert office and people and present - OFFICE_CODES   # the demo has both kinds
    office_shown = office_part(view)
    for code in office:
        assert TODO[code] in office_shown, code
    for user_id, codes in people.items():
        if not codes:
            continue
        part = person_part(view, user_id)
        for code in codes - OFFICE_CODES:
            assert TODO[code] in part, (user_id, code)
        if codes & OFFICE_CODES:                          # the office's reductions: said once, above
            labels = "・".join(k.label for k in REDUCTIONS if k.code in codes & OFFICE_CODES)
            assert f"事業所全体の減算です（{labels}）。上の「事業所全体」の すること を見てください" in part
            assert not any(TODO[code] in part for code in codes & OFFICE_CODES)
    # the month of each step: 001 was not met face to face in 2026-10 only
    assert f"2026年10月: {TODO['no_face_to_face']}" in person_part(view, "001")


def test_every_gap_the_audit_can_find_has_something_to_do():
    asked = {"no_face_to_face", "report_not_shared", "decision_not_covering", "decision_unrecorded",
             "decision_unknown", "contract_missing", "before_eligible_start", "no_day_in_service", "plan_missing",
             "monitoring_missing", "plan_not_delivered", "no_employer_contact", "handover_missing", "staff_shortage", "manager_missing",
             "abuse_prevention_missing", "continuity_plan_missing", "information_unpublished"}
    reasons = set(re.findall(r'Reason\("(\w+)"', Path(billing.__file__).read_text(encoding="utf-8")))
    assert {"no_face_to_face", "tier_unknown"} <= reasons
    known = asked | reasons | {k.code for k in REDUCTIONS} | set(audit.NOT_COUNTED) | {"handover_policy"}
    assert known - set(TODO) == set()
    assert all(TODO[code].strip() and "\n" not in TODO[code] for code in TODO)


# --- the period ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("first, last, said", [
    ("2026-11", "2026-10", "最初の月（2026年11月）が最後の月（2026年10月）より後です。期間を直してください"),
    ("2021-10", "2026-10", f"期間は{MAX_MONTHS}か月までです（2021年10月〜2026年10月は61か月）。期間を短くしてください"),
    ("", "2026-10", "最初の月を入力してください（例: 2026-05）"),
    ("2026-05", "2026-13", "最後の月: 「2026-13」という年月はありません（2026-05 または 令和8年5月 のように入力してください）"),
    ("五月", "2026-10", "最初の月: 「五月」は年月として読めません（2026-05 または 令和8年5月 のように入力してください）"),
])
def test_a_period_that_cannot_be_checked_is_said_in_japanese(db, first, last, said):
    app, view = manager_panel(db)
    view.first.value, view.last.value = first, last
    view.run.click()
    assert seen(view.run_message.value) == f"運営指導の準備の確認ができませんでした: {said}"
    assert app.model.audit.message_kind == "error" and "Error" not in view.run_message.value
    assert app.model.guard.error == "" and app.model.audit.checked == "" and seen(view.result.value) == ""


def test_sixty_months_and_a_month_in_wareki_are_a_period():
    model = AuditModel()
    model.first_month, model.last_month = "2021-11", "令和8年10月"
    months = model.period()
    assert len(months) == MAX_MONTHS and (str(months[0]), str(months[-1])) == ("2021-11", "2026-10")


def test_another_month_forgets_the_result_and_its_period_ends_with_it(db, monkeypatch):
    app, view = manager_panel(db)
    model = app.model.audit
    view.first.value = "2026-09"
    view.run.click()
    assert model.checked == "2026年9月〜2026年10月" and model.people
    model.link_name, model.link_uri = "x.zip", "data:application/zip;base64,"        # as after a bundle
    app.view.header.month.value = "2026-09"
    assert model.context.month == "2026-09"
    assert (model.checked, model.people, model.totals, model.link_uri, model.message) == ("", [], {}, "", "")
    assert seen(view.result.value) == "" and seen(view.run_message.value) == "" and "download" not in view.link.value
    assert (view.first.value, view.last.value) == ("2026-04", "2026-09")


# --- the evidence bundle -------------------------------------------------------------------------------------

def fake_evidence(calls: list):
    """``reports.make_evidence`` as it is called: writes a cover and two people's files into out_dir."""
    def make(book, start, end, *, db=None, fmt="pdf", out_dir=None, office=None, source=None, **others):
        calls.append({"book": book, "start": start, "end": end, "db": db, "fmt": fmt, "out_dir": out_dir,
                      "office": office, "source": source, **others})
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        made = [out / f"デモ_運営指導資料_{start}_{end}_{part}.pdf" for part in ("表紙", "001", "002")]
        for path in made:
            path.write_bytes(b"%PDF-1.7 " + path.stem.encode())
        return reports.Batch(paths=made, people=[{"office": office, "user_id": u} for u in ("001", "002")])
    return make


def test_the_bundle_is_made_for_the_period_offered_as_one_download_and_logged(db, monkeypatch):
    calls = []
    monkeypatch.setattr(reports, "make_evidence", fake_evidence(calls), raising=False)
    app, view = manager_panel(db)
    view.bundle.click()
    model, c = app.model.audit, app.model.context
    out = paths.data_dir() / "reports" / "2026-05_2026-10"          # the demo's: outside the checkout
    assert calls == [{"book": c.book_path, "start": "2026-05", "end": "2026-10", "db": db, "fmt": "pdf",
                      "out_dir": out, "office": app.model.book.key, "source": c.source}]
    assert app.model.guard.error == "" and model.message_kind == "ok"
    assert seen(view.bundle_message.value) == ("2026年5月〜2026年10月の確認資料 3件（事業所の表紙と2人分）を作りました。"
                                               f"事業所内用です。保存先: {out}")
    assert model.link_name == "デモ就労定着支援センター_運営指導資料_2026-05_2026-10_pdf.zip"
    assert f'download="{model.link_name}"' in view.link.value
    names = sorted(p.name for p in out.iterdir())
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(model.link_uri.split(",", 1)[1]))) as archive:
        assert sorted(archive.namelist()) == names and len(names) == 3
        assert all(archive.read(n) == (out / n).read_bytes() for n in names)
    logged = entries(db)
    assert [e["document"] for e in logged] == document_lists(
        [f"デモ_運営指導資料_2026-05_2026-10_{part}.pdf" for part in ("表紙", "001", "002")])
    assert {(e["login"], e["role"], e["office"], e["user_id"], e["detail"]) for e in logged} == {
        (MANAGING, MANAGER, app.model.book.key, None, "運営指導の準備 2026年5月〜2026年10月")}


def test_a_bundle_whose_making_is_not_logged_stays_offered_and_says_so_in_red(db, monkeypatch):
    monkeypatch.setattr(reports, "make_evidence", fake_evidence([]), raising=False)
    app, view = manager_panel(db)

    def refuse(*_args, **_kwargs):
        raise StoreError("アクセス記録を書き込めません（テスト）")
    monkeypatch.setattr(app.model.store, "log_access", refuse)
    view.bundle.click()
    model = app.model.audit
    assert model.message_kind == "error" and model.link_uri
    assert seen(view.bundle_message.value).endswith(
        "帳票を作ったことをアクセス記録に書き込めませんでした（アクセス記録を書き込めません（テスト））。管理者に連絡してください")


@pytest.mark.slow
def test_the_demos_evidence_bundle_is_a_pdf_cover_and_one_pdf_a_person(db):
    """Depends on ``reports.make_evidence`` (the real one, printing with Chromium)."""
    from teichaku_nb.pdf import find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium is not installed (apt install chromium)")
    app, view = manager_panel(db)
    view.first.value = "2026-09"                          # two months: a shorter run
    view.bundle.click()
    model = app.model.audit
    assert app.model.guard.error == "" and model.message_kind == "ok", view.bundle_message.value
    assert model.link_name == "デモ就労定着支援センター_運営指導資料_2026-09_2026-10_pdf.zip"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(model.link_uri.split(",", 1)[1]))) as archive:
        names = sorted(archive.namelist())
        assert all(archive.read(n).startswith(b"%PDF") for n in names)
    months = list(pd.period_range("2026-09", "2026-10", freq="M"))
    served = [p.user_id for p in audit.audit(app.model.book, months, app.model.store, today=TODAY).people]
    prefix = "デモ就労定着支援センター_運営指導資料_2026-09_2026-10"
    assert names == sorted([f"{prefix}_{u}.pdf" for u in served] + [f"{prefix}_表紙.pdf"])   # a cover, one a person
    logged = ",".join(e["document"] for e in entries(db)).split(",")
    assert sorted(logged) == names
