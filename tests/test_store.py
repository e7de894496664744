"""The review store (docs/review-rules.md, "Conference records").

Every test runs on SQLite (a file in tmp_path) and on PostgreSQL when
``TEICHAKU_TEST_PG_URL`` names a server (``scripts/start-postgres.sh`` starts one and
prints the URL); each PostgreSQL test gets a schema of its own, dropped afterwards.
All people are synthetic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import random
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teichaku_nb import rules
from teichaku_nb import store as store_module
from teichaku_nb.store import (Action, Conference, Conflict, IssuedReport, Review, StoreError,
                               default_url, export_workbook, open_store)

import store_workers
from helpers_rules import MONTH, calm, make_book, without

OFFICE = store_workers.OFFICE
FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("TEICHAKU_TEST_PG_URL")
D = dt.date
OCT, NOV, DEC, JAN = (pd.Period(m, "M") for m in ("2026-10", "2026-11", "2026-12", "2027-01"))


# --- one database per test, on each engine ---------------------------------------------------

@pytest.fixture
def store(db_url):
    with open_store(db_url, known_users={OFFICE: ["U001", "U002", "U003"]}) as opened:
        yield opened


def conference(**changes) -> Conference:
    return dataclasses.replace(Conference(OFFICE, OCT, D(2026, 10, 20), attendees=("佐藤", "鈴木")), **changes)


def action(user_id="U001", month=OCT, content="企業の人事担当に勤務時間を確認する", owner="佐藤",
           due_on=D(2026, 11, 15), **changes) -> Action:
    return Action(OFFICE, user_id, month, content, owner, due_on, **changes)


# --- round trips ---------------------------------------------------------------------------

def test_conference_review_action_and_report_round_trip(store):
    c = store.save_conference(conference(kind="地域連携会議", outside_participants=("ハローワーク 山田",),
                                         presenter="サビ管 佐藤"), by="佐藤")
    assert (c.id, c.version, c.created_by, c.updated_by) == (c.id, 1, "佐藤", "佐藤")
    assert c.created_at.tzinfo is not None
    assert store.conferences(OFFICE, OCT) == [c]
    assert store.conference(c.id) == c

    r = store.save_review(Review(OFFICE, "U001", OCT, workplace="業務に慣れてきた", life="生活リズムは安定",
                                 health="睡眠がやや浅い", issues="疲れやすい", policy="通院の継続を確認",
                                 wishes="今の職場で続けたい", judgement="注意", conference_id=c.id),
                          by="佐藤", expected_version=None)
    assert r.version == 1 and r.month == OCT and r.judgement == "注意"
    assert store.review(OFFICE, "U001", "2026-10") == r
    assert store.reviews(OFFICE, OCT) == [r]

    a = store.add_action(action(conference_id=c.id), by="佐藤")
    assert (a.status, a.result, a.version, a.due_on) == ("未着手", "", 1, D(2026, 11, 15))
    assert store.actions(OFFICE, "U001") == [a] and store.action(a.id) == a

    sent = store.record_report(OFFICE, "U001", OCT, "本人・企業", by="鈴木", sent_on=D(2026, 10, 31))
    assert isinstance(sent, IssuedReport) and sent.created_by == "鈴木"
    assert store.issued_reports(OFFICE, OCT) == [sent]
    assert store.counts() == {"conferences": 1, "reviews": 1, "actions": 1, "issued_reports": 1, "handovers": 0,
                              "employment_checks": 0, "plan_monitorings": 0, "support_plans": 0,
                              "history": 4}


def test_default_location_is_beside_the_workbook(tmp_path):
    book = tmp_path / "office.xlsx"
    assert default_url(book) == f"sqlite:///{tmp_path / 'office.teichaku.sqlite'}"
    folder = tmp_path / "offices"
    folder.mkdir()
    assert default_url(folder) == f"sqlite:///{folder / 'teichaku.sqlite'}"
    with open_store(book_path=book) as opened:
        assert opened.location == str(tmp_path / "office.teichaku.sqlite")
        assert opened.describe() == f"会議記録のデータベース: {tmp_path / 'office.teichaku.sqlite'}"
    assert (tmp_path / "office.teichaku.sqlite").exists()
    odd = tmp_path / "事業所 A?#1"                        # characters a URL would read as its own
    odd.mkdir()
    with open_store(book_path=odd) as opened:
        assert opened.location == str(odd / "teichaku.sqlite")
    assert (odd / "teichaku.sqlite").exists()


def test_sqlite_file_is_private_and_in_wal_mode(tmp_path):
    path = tmp_path / "office.teichaku.sqlite"
    with open_store(str(path)) as opened:             # a plain path means a SQLite file
        opened.save_review(Review(OFFICE, "U001", OCT, policy="継続"), by="佐藤", expected_version=None)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = Path(f"{path}-wal")
        assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
        with opened.engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            assert pragma("journal_mode") == "wal"
            assert pragma("busy_timeout") == 10_000
            assert pragma("synchronous") == 2          # FULL
            assert pragma("foreign_keys") == 1


def test_a_second_store_on_the_same_file_keeps_the_first_safe_from_other_processes(tmp_path):
    """The app keeps a store open while making reports opens another in the same process and
    a report kernel (another process) opens, writes and closes one: the first must go on
    reading and writing.  (Touching the file's descriptor on open once dropped the first
    store's locks, and the other process then deleted the WAL under it: disk I/O error.)"""
    path = tmp_path / "office.teichaku.sqlite"
    first = open_store(str(path))
    first.save_review(Review(OFFICE, "U001", OCT, policy="継続"), by="佐藤", expected_version=None)
    open_store(str(path)).close()
    other = ("from teichaku_nb.store import open_store\n"
             f"with open_store({str(path)!r}) as s:\n"
             f"    s.record_report({OFFICE!r}, 'U001', '2026-10', '本人', by='別の人')\n")
    subprocess.run([sys.executable, "-c", other], check=True, timeout=60)
    try:
        assert [r.recipient for r in first.issued_reports(OFFICE, OCT)] == ["本人"]
        first.record_report(OFFICE, "U002", OCT, "企業", by="佐藤")
        assert Path(f"{path}-wal").exists()
    finally:
        first.close()
    with open_store(str(path)) as again:
        assert again.counts()["issued_reports"] == 2 and again.review(OFFICE, "U001", OCT).policy == "継続"
        with again.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_open_refuses_what_is_not_a_store(tmp_path):
    not_db = tmp_path / "office.xlsx"
    not_db.write_bytes(b"PK\x03\x04 this is a workbook, not a database" * 50)
    with pytest.raises(StoreError, match="開けません"):
        open_store(str(not_db))
    with pytest.raises(StoreError, match="フォルダ .* がありません"):
        open_store(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}")
    with pytest.raises(StoreError, match="指定してください"):
        open_store()
    with pytest.raises(StoreError, match="を開けません"):        # no server listens on port 9
        open_store("postgresql+psycopg://teichaku:secret@127.0.0.1:9/none?connect_timeout=5")


# --- open actions carry over until closed ----------------------------------------------------

def test_open_actions_carry_over_to_later_months_until_closed(store):
    """Rule: open actions carry over to the next month's review of the same user until closed."""
    first = store.add_action(action(content="主治医の意見を聞く", due_on=D(2026, 11, 10)), by="佐藤")
    second = store.add_action(action(content="通勤経路を一緒に確認する", due_on=None), by="佐藤")
    other = store.add_action(action(user_id="U002", content="企業訪問"), by="鈴木")
    new_in_nov = store.add_action(action(month=NOV, content="11月に決めたこと"), by="佐藤")

    ids = lambda month, user="U001": [a.id for a in store.open_actions(OFFICE, user, as_of_month=month)]
    assert ids(OCT) == []                                   # not before the month that opened them
    assert ids(NOV) == [first.id, second.id]                # by due date, none last
    assert ids(DEC) == [first.id, new_in_nov.id, second.id]
    assert ids(NOV, "U002") == [other.id]
    assert {a.id for a in store.open_actions(OFFICE, as_of_month=NOV)} == {first.id, second.id, other.id}

    started = store.update_action(first.id, {"status": "対応中"}, by="佐藤", expected_version=1)
    assert ids(DEC) == [first.id, new_in_nov.id, second.id]  # 対応中 is still open
    store.update_action(first.id, {"status": "完了", "result": "意見書を受け取った"}, by="佐藤",
                        expected_version=started.version)
    store.update_action(second.id, {"status": "中止"}, by="佐藤", expected_version=1)
    assert ids(JAN) == [new_in_nov.id]
    assert store.action(first.id).result == "意見書を受け取った"


# --- no lost update --------------------------------------------------------------------------

def test_a_stale_save_raises_a_conflict_naming_who_and_when_and_changes_nothing(store):
    r1 = store.save_review(Review(OFFICE, "U001", OCT, policy="様子を見る"), by="佐藤", expected_version=None)
    r2 = store.save_review(dataclasses.replace(r1, policy="企業と面談する"), by="鈴木", expected_version=1)
    assert r2.version == 2
    before = store.counts()

    with pytest.raises(Conflict) as caught:
        store.save_review(dataclasses.replace(r1, policy="通院を増やす"), by="田中", expected_version=1)
    conflict = caught.value
    assert conflict.saved_by == "鈴木" and conflict.saved_at == r2.updated_at
    assert conflict.current == r2                          # the app shows both texts
    when = store_module.format_time(r2.updated_at)
    assert f"このケース検討は 鈴木 さんが {when} に保存しています" in str(conflict)
    assert "保存し直してください" in str(conflict)
    assert store.review(OFFICE, "U001", OCT) == r2
    assert store.counts() == before

    # "must be new" while it exists is a conflict too
    with pytest.raises(Conflict, match="鈴木 さん"):
        store.save_review(Review(OFFICE, "U001", OCT, policy="別の方針"), by="田中", expected_version=None)
    # the caller decides: save again over the version it has now seen
    r3 = store.save_review(dataclasses.replace(r1, policy="通院を増やす"), by="田中",
                           expected_version=conflict.current.version)
    assert (r3.version, r3.policy, r3.updated_by) == (3, "通院を増やす", "田中")


def test_a_review_created_by_someone_else_after_our_look_is_a_conflict(store, monkeypatch):
    """The race the unique key settles (PostgreSQL, read committed): both saw no review."""
    theirs = store.save_review(Review(OFFICE, "U001", OCT, policy="先に保存"), by="鈴木", expected_version=None)
    looked = []

    def saw_nothing(self, conn, table, *where):       # as if we looked before 鈴木 committed
        looked.append(table.name)
        return None

    monkeypatch.setattr(store_module.Store, "_locked", saw_nothing)
    before = store.counts()
    with pytest.raises(Conflict, match="鈴木 さん") as caught:
        store.save_review(Review(OFFICE, "U001", OCT, policy="後から保存"), by="佐藤", expected_version=None)
    assert looked == ["reviews"] and caught.value.current == theirs
    assert store.counts() == before


def test_actions_and_conferences_have_versions_too(store):
    a = store.add_action(action(), by="佐藤")
    store.update_action(a.id, {"owner": "鈴木"}, by="鈴木", expected_version=1)
    with pytest.raises(Conflict, match="この役割分担は 鈴木 さんが"):
        store.update_action(a.id, {"status": "完了"}, by="佐藤", expected_version=1)
    assert store.action(a.id).status == "未着手"

    c = store.save_conference(conference(), by="佐藤")
    store.save_conference(dataclasses.replace(c, attendees=("佐藤", "鈴木", "田中")), by="田中", expected_version=1)
    with pytest.raises(Conflict, match="この会議記録は 田中 さんが"):
        store.save_conference(dataclasses.replace(c, held_on=D(2026, 10, 21)), by="佐藤", expected_version=1)
    assert store.conference(c.id).held_on == D(2026, 10, 20)


def test_saving_unchanged_text_writes_no_new_version(store):
    r = store.save_review(Review(OFFICE, "U001", OCT, policy="継続"), by="佐藤", expected_version=None)
    again = store.save_review(r, by="鈴木", expected_version=1)
    assert again == r and len(store.history(OFFICE, "U001")) == 1


# --- history -------------------------------------------------------------------------------

def test_a_store_tells_changes_made_elsewhere_from_its_own(store, db_url):
    """What a page asks every few seconds: did anyone else save, and what (``app.watch``)."""
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    mark = store.change_mark(OFFICE)
    store.save_review(Review(OFFICE, "U001", OCT, policy="自分の保存"), by="佐藤", expected_version=None)
    assert store.change_mark(OFFICE) != mark and store.changes_by_others(OFFICE, since) == []
    with open_store(db_url, known_users={OFFICE: ["U001", "U002", "U003"]}) as elsewhere:
        elsewhere.add_action(action(), by="鈴木")
        with pytest.raises(StoreError):
            elsewhere.save_review(Review(OFFICE, "U009", OCT, policy="ない人"), by="鈴木", expected_version=None)
    (seen,) = store.changes_by_others(OFFICE, since)
    assert (seen.changed_by, seen.record_kind, seen.user_id) == ("鈴木", "actions", "U001") and seen.id
    assert store.changes_by_others("ほかの事業所", since) == [] and store.change_mark("ほかの事業所") == (0, 0)



def test_every_change_is_kept_in_the_history_of_the_case(store):
    r = store.save_review(Review(OFFICE, "U001", OCT, issues="疲れやすい"), by="佐藤", expected_version=None)
    store.save_review(dataclasses.replace(r, issues="疲れやすい。残業が増えた", judgement="要対応"),
                      by="鈴木", expected_version=1)
    a = store.add_action(action(), by="佐藤")
    store.update_action(a.id, {"due_on": D(2026, 11, 30)}, by="田中", expected_version=1)
    store.save_review(Review(OFFICE, "U002", OCT, issues="別の人"), by="佐藤", expected_version=None)
    store.save_conference(conference(), by="佐藤")

    entries = store.history(OFFICE, "U001")
    assert [(e.record_kind, e.operation, e.changed_by) for e in entries] == [
        ("reviews", "create", "佐藤"), ("reviews", "update", "鈴木"),
        ("actions", "create", "佐藤"), ("actions", "update", "田中")]
    assert entries[0].changes["issues"] == (None, "疲れやすい")
    assert entries[1].changes == {"issues": ("疲れやすい", "疲れやすい。残業が増えた"), "judgement": (None, "要対応")}
    assert entries[3].changes == {"due_on": ("2026-11-15", "2026-11-30")}
    assert entries[1].label == "ケース検討の更新"
    assert all(e.changed_at.tzinfo is not None for e in entries)
    assert entries[0].changed_at <= entries[1].changed_at
    assert len(store.history(OFFICE)) == 6                  # the office: U002 and the conference too


# --- bad input -----------------------------------------------------------------------------

BAD_INPUT = [
    ("unknown user", lambda s: s.save_review(Review(OFFICE, "U999", OCT), by="佐藤", expected_version=None),
     "利用者ID U999 はこの事業所（テスト事業所）のケース記録にありません"),
    ("unknown user, action", lambda s: s.add_action(action(user_id="U999"), by="佐藤"), "U999"),
    ("unknown user, report", lambda s: s.record_report(OFFICE, "U999", OCT, "本人", by="佐藤"), "U999"),
    ("empty owner", lambda s: s.add_action(action(owner="  "), by="佐藤"), "担当は必須です"),
    ("empty content", lambda s: s.add_action(action(content=""), by="佐藤"), "内容は必須です"),
    ("no name of who saves", lambda s: s.save_review(Review(OFFICE, "U001", OCT), by="", expected_version=None),
     "保存する人の名前は必須です"),
    ("due date as text", lambda s: s.add_action(action(due_on="2026-11-30"), by="佐藤"), "期限は日付で指定してください"),
    ("held_on as text", lambda s: s.save_conference(conference(held_on="10/20"), by="佐藤"), "開催日は日付で指定してください"),
    ("month as a date", lambda s: s.save_review(Review(OFFICE, "U001", D(2026, 10, 1)), by="佐藤", expected_version=None),
     "対象年月は 2026-10 のような年月で指定してください"),
    ("unknown status", lambda s: s.add_action(action(status="done"), by="佐藤"), "状態は 未着手・対応中・完了・中止 のどれか"),
    ("unknown judgement", lambda s: s.save_review(Review(OFFICE, "U001", OCT, judgement="危険"), by="佐藤",
                                                  expected_version=None), "会議の判断は"),
    ("text as a number", lambda s: s.save_review(Review(OFFICE, "U001", OCT, policy=3), by="佐藤",
                                                 expected_version=None), "方針は文字で入力してください"),
    ("NUL in text", lambda s: s.save_review(Review(OFFICE, "U001", OCT, wishes="a\x00b"), by="佐藤",
                                            expected_version=None), "本人の意向に使えない制御文字"),
    ("lone surrogate", lambda s: s.save_review(Review(OFFICE, "U001", OCT, life="\ud800"), by="佐藤",
                                               expected_version=None), "保存できない文字"),
    ("too long", lambda s: s.save_review(Review(OFFICE, "U001", OCT, discussion="あ" * 1_001), by="佐藤",
                                         expected_version=None), "検討内容が長すぎます（1,001文字）。1,000文字以内"),
    ("too long, one line", lambda s: s.add_action(action(content="あ" * 401), by="佐藤"), "400文字以内"),
    ("no attendees", lambda s: s.save_conference(conference(attendees=()), by="佐藤"), "出席者を1人以上"),
    ("attendees as one string", lambda s: s.save_conference(conference(attendees="佐藤"), by="佐藤"), "名前の一覧"),
    ("regional without outsiders", lambda s: s.save_conference(conference(kind="地域連携会議", presenter="佐藤"), by="佐藤"),
     "外部の参加者"),
    ("regional without presenter", lambda s: s.save_conference(
        conference(kind="地域連携会議", outside_participants=("ハローワーク",)), by="佐藤"), "発表者"),
    ("unknown kind", lambda s: s.save_conference(conference(kind="雑談"), by="佐藤"), "会議の種別は"),
    ("unknown recipient", lambda s: s.record_report(OFFICE, "U001", OCT, "家族", by="佐藤"), "送付先は"),
    ("unknown conference", lambda s: s.save_review(Review(OFFICE, "U001", OCT, conference_id=999), by="佐藤",
                                                   expected_version=None), "会議ID 999"),
    ("version for a new review", lambda s: s.save_review(Review(OFFICE, "U001", OCT), by="佐藤", expected_version=1),
     "保存されていません"),
    ("action field that cannot change", lambda s: s.update_action(1, {"user_id": "U002"}, by="佐藤", expected_version=1),
     "変更できません"),
    ("missing action", lambda s: s.update_action(999, {"status": "完了"}, by="佐藤", expected_version=1),
     "役割分担ID 999 の記録はありません"),
    ("no version for an update", lambda s: s.update_action(1, {"status": "完了"}, by="佐藤", expected_version=None),
     "expected_version"),
    ("unknown user, handover", lambda s: s.record_handover(OFFICE, "U999", "consent", by="佐藤", done_on=D(2026, 9, 1)),
     "利用者ID U999 はこの事業所"),
    ("handover with an unknown party", lambda s: s.record_handover(
        OFFICE, "U001", "shared", by="佐藤", done_on=D(2026, 9, 1), party="家族", with_whom="母"),
     "引継ぎの相手は 企業・関係機関・医療機関 のどれか"),
    ("handover without a name", lambda s: s.record_handover(
        OFFICE, "U001", "shared", by="佐藤", done_on=D(2026, 9, 1), party="企業", with_whom=" "), "相手の名前は必須です"),
    ("needs judgement left open", lambda s: s.record_handover(OFFICE, "U001", "needs", by="佐藤", done_on=D(2026, 9, 1)),
     "要継続支援は はい・いいえ のどれか"),
    ("a party on a consent", lambda s: s.record_handover(
        OFFICE, "U001", "consent", by="佐藤", done_on=D(2026, 9, 1), party="企業"), "引継ぎの相手は引継ぎの同意の記録には指定できません"),
    ("handover date as text", lambda s: s.record_handover(OFFICE, "U001", "consent", by="佐藤", done_on="9/1"),
     "同意日は日付で指定してください"),
    ("unknown handover kind", lambda s: s.record_handover(OFFICE, "U001", "plan", by="佐藤"), "引継ぎの記録の種類は"),
    ("unknown user, employment check", lambda s: s.record_employment_check(
        OFFICE, "U999", by="佐藤", checked_on=D(2026, 9, 1), employment="継続"), "利用者ID U999 はこの事業所"),
    ("employment neither 継続 nor 離職", lambda s: s.record_employment_check(
        OFFICE, "U001", by="佐藤", checked_on=D(2026, 9, 1), employment="休職"), "就労状況は 継続・離職 のどれか"),
    ("unknown check method", lambda s: s.record_employment_check(
        OFFICE, "U001", by="佐藤", checked_on=D(2026, 9, 1), employment="継続", method="家族"),
     "確認方法は 本人・企業・その他 のどれか（わからなければ空欄）"),
    ("check without a day", lambda s: s.record_employment_check(
        OFFICE, "U001", by="佐藤", checked_on=None, employment="継続"), "確認日は必須です"),
    ("check day as text", lambda s: s.record_employment_check(
        OFFICE, "U001", by="佐藤", checked_on="9/1", employment="継続"), "確認日は日付で指定してください"),
    ("check without a recorder", lambda s: s.record_employment_check(
        OFFICE, "U001", by=" ", checked_on=D(2026, 9, 1), employment="継続"), "保存する人の名前は必須です"),
    ("missing employment check", lambda s: s.withdraw_employment_check(999, by="佐藤", expected_version=1),
     "就労確認の記録ID 999 の記録はありません"),
]


@pytest.mark.parametrize("call, message", [pytest.param(c, m, id=i) for i, c, m in BAD_INPUT])
def test_bad_input_gets_a_japanese_error_and_writes_nothing(store, call, message):
    store.add_action(action(), by="佐藤")        # action 1 exists
    before = store.counts()
    with pytest.raises(StoreError) as caught:
        call(store)
    assert message in str(caught.value)
    assert store.counts() == before


def test_long_text_markup_and_formulas_are_stored_and_exported_verbatim(store, tmp_path):
    note = ("職場では問題なし。\n" + "あいうえお" * 800)[:1_000]       # as long as a review's text may be
    assert len(note) == 1_000
    script = '<script>alert("x")</script> & <b>太字</b>'
    formula = "=HYPERLINK(\"http://example.invalid\")"
    r = store.save_review(Review(OFFICE, "U001", OCT, discussion=note, workplace=script, wishes=formula,
                                 life="  前後の空白\tタブ  "), by="佐藤", expected_version=None)
    stored = store.review(OFFICE, "U001", OCT)
    assert (stored.discussion, stored.workplace, stored.wishes, stored.life) == (note, script, formula, "  前後の空白\tタブ  ")
    assert stored == r

    out = tmp_path / "export.xlsx"
    export_workbook(store, OFFICE, out)
    sheet = openpyxl.load_workbook(out)["ケース検討"]
    headers = [c.value for c in sheet[1]]
    row = dict(zip(headers, [c.value for c in sheet[2]]))
    assert (row["検討内容"], row["職場の現状"], row["本人の意向"]) == (note, script, formula)
    assert sheet.cell(row=2, column=headers.index("本人の意向") + 1).data_type == "s"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_text_is_stored_verbatim_or_refused_whole(store, text):
    user = "U003"
    before = store.counts()
    existing = store.review(OFFICE, user, OCT)
    try:
        saved = store.save_review(Review(OFFICE, user, OCT, policy=text), by="佐藤",
                                  expected_version=existing.version if existing else None)
    except StoreError as error:
        assert "方針" in str(error)
        assert store.counts() == before
    else:
        assert saved.policy == text and store.review(OFFICE, user, OCT).policy == text


# --- schema versions -----------------------------------------------------------------------

def _make_v1_database(url: str) -> None:
    """A database exactly as schema version 1 made it, with some records in it."""
    engine = sa.create_engine(url)
    ddl = (FIXTURES / f"store_v1.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    statements = [s for s in (part.strip() for part in "\n".join(
        line for line in ddl.splitlines() if not line.startswith("--")).split(";")) if s]
    at = dt.datetime(2026, 10, 20, 5, 0, tzinfo=dt.timezone.utc)
    if engine.dialect.name == "sqlite":
        at = at.replace(tzinfo=None)
    stamps = {"version": 1, "created_by": "佐藤", "created_at": at, "updated_by": "佐藤", "updated_at": at}
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (1, :at)"), {"at": at})
        conn.execute(sa.text(
            "INSERT INTO conferences (office, month, held_on, kind, attendees, version, created_by, created_at,"
            " updated_by, updated_at) VALUES (:office, '2026-10', :held_on, '定例ケース会議', '[\"佐藤\", \"鈴木\"]',"
            " :version, :created_by, :created_at, :updated_by, :updated_at)"),
            {"office": OFFICE, "held_on": D(2026, 10, 20), **stamps})
        conn.execute(sa.text(
            "INSERT INTO reviews (office, user_id, month, conference_id, workplace, policy, judgement, version,"
            " created_by, created_at, updated_by, updated_at) VALUES (:office, 'U001', '2026-10', 1,"
            " '残業が続いている', '企業と面談する', '注意', :version, :created_by, :created_at, :updated_by, :updated_at)"),
            {"office": OFFICE, **stamps})
        conn.execute(sa.text(
            "INSERT INTO actions (office, user_id, month, conference_id, content, owner, due_on, status, version,"
            " created_by, created_at, updated_by, updated_at) VALUES (:office, 'U001', '2026-10', 1,"
            " '人事担当に連絡', '佐藤', :due_on, '対応中', :version, :created_by, :created_at, :updated_by, :updated_at)"),
            {"office": OFFICE, "due_on": D(2026, 11, 15), **stamps})
    engine.dispose()


def test_a_version_1_database_opens_and_is_migrated(db_url):
    _make_v1_database(db_url)
    with open_store(db_url) as opened:
        assert opened.schema_version() == store_module.SCHEMA_VERSION == 8
        old = opened.conferences(OFFICE, OCT)[0]
        assert (old.attendees, old.outside_participants, old.presenter) == (("佐藤", "鈴木"), (), None)
        assert old.created_at == dt.datetime(2026, 10, 20, 5, 0, tzinfo=dt.timezone.utc)
        review = opened.review(OFFICE, "U001", OCT)
        assert (review.workplace, review.policy, review.judgement, review.conference_id) == (
            "残業が続いている", "企業と面談する", "注意", 1)
        assert (review.saved_level, review.saved_flags) == (None, None)      # not known for old reviews
        assert (review.to_person, review.to_employer) == ("", "")   # schema 7: nothing written for readers yet
        assert [a.content for a in opened.open_actions(OFFICE, "U001", as_of_month=NOV)] == ["人事担当に連絡"]
        # the fields schema 2 added work on old and new records
        updated = opened.save_conference(dataclasses.replace(old, kind="地域連携会議", outside_participants=(
            "就業・生活支援センター 高橋",), presenter="佐藤"), by="鈴木", expected_version=1)
        assert (updated.version, updated.presenter) == (2, "佐藤")
        opened.save_review(dataclasses.replace(review, policy="通院の継続", to_person="来月も面談します", saved_level="注意", saved_flags=(
            {"code": "contact_gap", "level": "注意", "message": "本人との最後の接触は9月10日"},)),
            by="鈴木", expected_version=1)
        sent = opened.record_report(OFFICE, "U001", OCT, "本人", by="鈴木", sent_on=D(2026, 11, 2))
        opened.withdraw_report(sent.id, by="佐藤", expected_version=1)
        opened.record_handover(OFFICE, "U001", "consent", by="鈴木", done_on=D(2026, 11, 2))     # schema 4's table
        opened.record_employment_check(OFFICE, "U001", by="鈴木", checked_on=D(2026, 11, 2), employment="継続",
                                       method="企業")                                           # schema 5's
    with open_store(db_url) as again:                  # opening again changes nothing
        assert again.schema_version() == 8
        assert again.review(OFFICE, "U001", OCT).to_person == "来月も面談します"
        assert [h.label for h in again.handovers(OFFICE, "U001")] == ["引継ぎの同意"]
        assert [(c.checked_on, c.employment, c.method) for c in again.employment_checks(OFFICE, "U001")] == [
            (D(2026, 11, 2), "継続", "企業")]
        assert again.review(OFFICE, "U001", OCT).saved_flags[0]["code"] == "contact_gap"
        assert again.issued_reports(OFFICE, OCT) == [] and again.issued_reports(
            OFFICE, OCT, include_withdrawn=True)[0].withdrawn_by == "佐藤"
        assert again.conference(1).outside_participants == ("就業・生活支援センター 高橋",)

    # the migrated tables have exactly the columns the current code creates
    engine = sa.create_engine(db_url)
    inspector = sa.inspect(engine)
    for table in store_module.metadata.sorted_tables:
        found = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
        assert found == {c.name: c.nullable for c in table.columns}, table.name
    engine.dispose()


def test_a_database_from_a_newer_version_is_refused(db_url):
    open_store(db_url).close()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (99, :at)"),
                     {"at": dt.datetime(2030, 1, 1)})
    engine.dispose()
    with pytest.raises(StoreError, match="新しい版の teichaku_nb（スキーマ 99）"):
        open_store(db_url)


# --- the rules read the store ------------------------------------------------------------

def test_report_not_shared_and_overdue_action_read_the_store(store):
    """Rules report_not_shared and overdue_action with the store's frames."""
    book = make_book(without(calm(), "reports"))
    codes = lambda: rules.agenda(book, MONTH, shared_reports=store.shared_reports_frame(book.office),
                                 open_actions=store.open_actions_frame(book.office, MONTH)).case("U001").codes
    office = book.office
    store.register_users(office, ["U001"])
    assert codes() == ["report_not_shared"]
    store.record_report(office, "U001", MONTH, "本人", by="佐藤", sent_on=D(2026, 10, 30))
    assert codes() == []

    overdue = store.add_action(Action(office, "U001", MONTH - 1, "企業に連絡", "佐藤", D(2026, 10, 15)), by="佐藤")
    store.add_action(Action(office, "U001", MONTH - 1, "来月の面談日を決める", "佐藤", D(2026, 11, 15)), by="佐藤")
    store.add_action(Action(office, "U001", MONTH, "今月決めた対応", "佐藤", D(2026, 10, 1)), by="佐藤")
    review = rules.agenda(book, MONTH, shared_reports=store.shared_reports_frame(office),
                          open_actions=store.open_actions_frame(office, MONTH)).case("U001")
    assert review.codes == ["overdue_action"]
    assert "企業に連絡" in review.flags[0].message and "今月決めた対応" not in review.flags[0].message
    store.update_action(overdue.id, {"status": "完了"}, by="佐藤", expected_version=1)
    assert codes() == []

    frame = store.open_actions_frame(office, NOV)
    assert list(frame.columns) == ["action_id", "user_id", "month", "content", "owner", "due_on", "status"]
    assert str(frame["month"].dtype) == "period[M]" and frame["due_on"].dtype.kind == "M"
    empty = store.shared_reports_frame("ほかの事業所")
    assert list(empty.columns) == ["user_id", "month", "recipient", "sent_on"] and empty.empty
    assert str(store.shared_reports_frame(office, months=[MONTH])["month"].dtype) == "period[M]"


def test_a_withdrawn_sending_record_stops_counting_and_the_history_keeps_both(store):
    """report_not_shared reads only sending records that stand; withdrawing is an update, not a delete."""
    book = make_book(without(calm(), "reports"))
    office = book.office
    store.register_users(office, ["U001"])
    frames = lambda: dict(shared_reports=store.shared_reports_frame(office))
    sent = store.record_report(office, "U001", MONTH, "本人・企業", by="佐藤", sent_on=D(2026, 10, 30))
    assert rules.agenda(book, MONTH, **frames()).case("U001").codes == []

    withdrawn = store.withdraw_report(sent.id, by="鈴木", expected_version=1, reason="送付先を取り違えた")
    assert withdrawn.is_withdrawn and (withdrawn.withdrawn_by, withdrawn.version) == ("鈴木", 2)
    assert rules.agenda(book, MONTH, **frames()).case("U001").codes == ["report_not_shared"]
    assert store.issued_reports(office, MONTH) == []
    assert store.issued_reports(office, MONTH, include_withdrawn=True) == [withdrawn]
    entries = [e for e in store.history(office, "U001") if e.record_kind == "issued_reports"]
    assert [(e.operation, e.changed_by) for e in entries] == [("create", "佐藤"), ("update", "鈴木")]
    assert entries[0].changes["recipient"] == (None, "本人・企業")
    assert entries[1].changes["withdrawn_reason"] == ("", "送付先を取り違えた")
    with pytest.raises(StoreError, match="取り消し済み"):
        store.withdraw_report(sent.id, by="鈴木", expected_version=2)
    with pytest.raises(Conflict):
        store.withdraw_report(store.record_report(office, "U001", MONTH, "本人", by="佐藤",
                                                  sent_on=D(2026, 10, 31)).id, by="鈴木", expected_version=3)


def test_a_sending_date_must_be_a_real_day_of_sending(store):
    store.register_users(OFFICE, ["U001"])
    tomorrow = dt.datetime.now(store_module.JST).date() + dt.timedelta(days=1)
    with pytest.raises(StoreError, match="今日より後"):
        store.record_report(OFFICE, "U001", OCT, "本人", by="佐藤", sent_on=tomorrow)
    with pytest.raises(StoreError, match="2026年10月より前"):
        store.record_report(OFFICE, "U001", OCT, "本人", by="佐藤", sent_on=D(2026, 9, 30))
    assert store.counts()["issued_reports"] == 0


def test_handover_records_are_kept_and_a_withdrawn_one_stays_listed(store):
    """The three kinds of handover record, the frame the fee check reads, and a withdrawal."""
    needs = store.record_handover(OFFICE, "U001", "needs", by="佐藤", done_on=D(2026, 9, 1), value="はい")
    consent = store.record_handover(OFFICE, "U001", "consent", by="佐藤", done_on=D(2026, 9, 3), note="面談で説明")
    shared = store.record_handover(OFFICE, "U001", "shared", by="鈴木", done_on=D(2026, 9, 10), party="関係機関",
                                   with_whom=" 就業・生活支援センター 高橋 ")
    store.record_handover(OFFICE, "U002", "shared", by="鈴木", done_on=D(2026, 9, 12), party="企業", with_whom="人事 田中")
    assert (needs.value, needs.version, needs.created_by, needs.is_withdrawn) == ("はい", 1, "佐藤", False)
    assert [h.label for h in store.handovers(OFFICE, "U001")] == [
        "要継続支援: はい", "引継ぎの同意", "引継ぎの共有（関係機関・就業・生活支援センター 高橋）"]
    assert store.handover(consent.id).note == "面談で説明"

    frame = store.handovers_frame(OFFICE)
    assert list(frame.columns) == ["id", "user_id", "kind", "value", "party", "with_whom", "done_on"]
    assert frame["done_on"].dtype.kind == "M" and len(frame) == 4

    withdrawn = store.withdraw_handover(shared.id, by="田中", expected_version=1, reason="相手を取り違えた")
    assert (withdrawn.withdrawn_by, withdrawn.withdrawn_reason, withdrawn.version) == ("田中", "相手を取り違えた", 2)
    assert [h.kind for h in store.handovers(OFFICE, "U001")] == ["needs", "consent"]
    assert store.handovers(OFFICE, "U001", include_withdrawn=True)[-1] == withdrawn
    assert shared.id not in set(store.handovers_frame(OFFICE)["id"])
    entries = [e for e in store.history(OFFICE, "U001") if e.record_kind == "handovers"]
    assert [(e.label, e.changed_by) for e in entries][-1] == ("引継ぎの更新", "田中")
    with pytest.raises(StoreError, match="田中 さんが取り消し済み"):
        store.withdraw_handover(shared.id, by="佐藤", expected_version=2)
    with pytest.raises(Conflict):
        store.withdraw_handover(consent.id, by="佐藤", expected_version=2)
    tomorrow = dt.datetime.now(store_module.JST).date() + dt.timedelta(days=1)
    with pytest.raises(StoreError, match="判断日 .* は今日より後です"):
        store.record_handover(OFFICE, "U001", "needs", by="佐藤", done_on=tomorrow, value="いいえ")
    assert store.handovers_frame("ほかの事業所").empty


def test_employment_checks_are_kept_and_a_withdrawn_one_stays_listed(store):
    """就労確認 recorded in the app: the list, the frame the retention rate reads, a withdrawal."""
    later = store.record_employment_check(OFFICE, "U001", by="佐藤", checked_on=D(2026, 10, 5), employment="継続",
                                          method="企業", note="人事の田中さんに電話")
    earlier = store.record_employment_check(OFFICE, "U001", by="鈴木", checked_on=D(2026, 7, 1), employment="継続")
    store.record_employment_check(OFFICE, "U002", by="鈴木", checked_on=D(2026, 9, 30), employment="離職",
                                  method="本人")
    assert (later.version, later.created_by, later.method, later.is_withdrawn) == (1, "佐藤", "企業", False)
    assert [c.id for c in store.employment_checks(OFFICE, "U001")] == [earlier.id, later.id]     # by date
    assert store.employment_check(later.id).note == "人事の田中さんに電話" and earlier.method == ""

    frame = store.employment_checks_frame(OFFICE)
    assert list(frame.columns) == ["user_id", "checked_on", "employment", "method"]
    assert frame["checked_on"].dtype.kind == "M"
    assert frame.values.tolist() == [["U001", pd.Timestamp(2026, 7, 1), "継続", ""],
                                     ["U001", pd.Timestamp(2026, 10, 5), "継続", "企業"],
                                     ["U002", pd.Timestamp(2026, 9, 30), "離職", "本人"]]

    withdrawn = store.withdraw_employment_check(later.id, by="田中", expected_version=1, reason="別の人の確認だった")
    assert (withdrawn.withdrawn_by, withdrawn.withdrawn_reason, withdrawn.version) == ("田中", "別の人の確認だった", 2)
    assert [c.id for c in store.employment_checks(OFFICE, "U001")] == [earlier.id]
    assert store.employment_checks(OFFICE, "U001", include_withdrawn=True)[-1] == withdrawn
    assert pd.Timestamp(2026, 10, 5) not in set(store.employment_checks_frame(OFFICE)["checked_on"])
    entries = [e for e in store.history(OFFICE, "U001") if e.record_kind == "employment_checks"]
    assert [(e.label, e.changed_by) for e in entries] == [("就労確認の作成", "佐藤"), ("就労確認の作成", "鈴木"),
                                                          ("就労確認の更新", "田中")]
    with pytest.raises(StoreError, match="田中 さんが取り消し済み"):
        store.withdraw_employment_check(later.id, by="佐藤", expected_version=2)
    with pytest.raises(Conflict):
        store.withdraw_employment_check(earlier.id, by="佐藤", expected_version=2)
    tomorrow = dt.datetime.now(store_module.JST).date() + dt.timedelta(days=1)
    with pytest.raises(StoreError, match="確認日 .* は今日より後です"):
        store.record_employment_check(OFFICE, "U001", by="佐藤", checked_on=tomorrow, employment="継続")
    assert store.employment_checks_frame("ほかの事業所").empty


def test_a_review_keeps_the_level_and_flags_the_conference_saw(store):
    flags = ({"code": "report_not_shared", "level": "注意", "message": "10月の支援レポートの送付が記録されていません"},)
    saved = store.save_review(Review(OFFICE, "U001", OCT, issues="支援レポート未送付", saved_level="注意",
                                     saved_flags=flags), by="佐藤", expected_version=None)
    assert (saved.saved_level, saved.saved_flags) == ("注意", flags)
    assert store.review(OFFICE, "U001", OCT).saved_flags == flags
    with pytest.raises(StoreError, match="保存時のフラグ"):
        store.save_review(dataclasses.replace(saved, saved_flags=({"code": "x"},)), by="佐藤", expected_version=1)
    with pytest.raises(StoreError, match="保存時の区分"):
        store.save_review(dataclasses.replace(saved, saved_level="不明"), by="佐藤", expected_version=1)


# --- export --------------------------------------------------------------------------------

def test_export_writes_one_sheet_per_record_kind_with_japanese_headers(store, tmp_path):
    c = store.save_conference(conference(kind="地域連携会議", outside_participants=("ハローワーク 山田", "主治医"),
                                         presenter="佐藤"), by="佐藤")
    store.save_review(Review(OFFICE, "U001", OCT, policy="継続", conference_id=c.id), by="佐藤", expected_version=None)
    store.add_action(action(conference_id=c.id), by="佐藤")
    store.record_report(OFFICE, "U001", OCT, "本人", by="鈴木", sent_on=D(2026, 10, 31))
    store.record_employment_check(OFFICE, "U002", by="鈴木", checked_on=D(2026, 10, 5), employment="継続", method="企業")
    store.register_users("別の事業所", ["U001"])
    store.save_review(Review("別の事業所", "U001", OCT, policy="別"), by="田中", expected_version=None)

    out = tmp_path / "records.xlsx"
    written = export_workbook(store, OFFICE, out)
    assert written["ケース検討"] == 1 and written["会議"] == 1
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["会議", "ケース検討", "役割分担", "支援レポート送付", "引継ぎ", "就労確認", "モニタリング",
                               "個別支援計画", "変更履歴"]
    meeting = {h.value: v.value for h, v in zip(book["会議"][1], book["会議"][2])}
    assert meeting["種別"] == "地域連携会議" and meeting["外部参加者"] == "ハローワーク 山田、主治医"
    assert meeting["発表者"] == "佐藤" and meeting["開催日"] == dt.datetime(2026, 10, 20)
    assert "作成日時（日本時間）" in meeting
    task = {h.value: v.value for h, v in zip(book["役割分担"][1], book["役割分担"][2])}
    assert (task["担当"], task["状態"], task["期限"]) == ("佐藤", "未着手", dt.datetime(2026, 11, 15))
    check = {h.value: v.value for h, v in zip(book["就労確認"][1], book["就労確認"][2])}
    assert (check["利用者ID"], check["確認日"], check["就労状況"], check["確認方法"], check["作成者"]) == (
        "U002", dt.datetime(2026, 10, 5), "継続", "企業", "鈴木")
    changes = [[c.value for c in row] for row in book["変更履歴"].iter_rows(min_row=2)]
    assert ["日時", "変更者", "事業所", "利用者ID", "記録の種類", "記録ID", "操作", "項目", "変更前", "変更後"] == [
        c.value for c in book["変更履歴"][1]]
    assert ["佐藤", OFFICE, "U001", "ケース検討", "作成", "方針", None, "継続"] in [r[1:5] + r[6:] for r in changes]
    assert ["鈴木", OFFICE, "U002", "就労確認", "作成", "就労状況", None, "継続"] in [r[1:5] + r[6:] for r in changes]
    assert all(r[2] == OFFICE for r in changes) and isinstance(changes[0][0], dt.datetime)

    everyone = export_workbook(store, None, tmp_path / "all.xlsx")
    assert everyone["ケース検討"] == 2


def test_text_typed_and_not_kept_is_in_the_history_and_the_export(store, db_url, tmp_path):
    """A conflict settled for the saved text: the text set aside is an entry of its own (who
    typed it, when, the field, the text typed and the text kept), saved with the record; a draft
    replaced is kept the same way; nothing blank or kept is logged, and others are not told of it."""
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    first = store.save_review(Review(OFFICE, "U001", OCT, policy="甲の方針"), by="甲野", expected_version=None)
    # 乙川 typed 方針 and 課題, met 甲野's save, kept 甲野's 方針 and their own 課題
    saved = store.save_review(dataclasses.replace(first, issues="乙の課題"), by="乙川", expected_version=1,
                              not_kept={"policy": "乙の方針", "issues": "乙の課題", "wishes": "  "})
    assert (saved.policy, saved.issues, saved.version) == ("甲の方針", "乙の課題", 2)
    entries = store.history(OFFICE, "U001")
    assert [e.operation for e in entries] == ["create", "update", "not_kept"]
    set_aside = entries[-1]
    assert set_aside.changed_by == "乙川" and set_aside.record_kind == "reviews" and set_aside.record_id == saved.id
    assert set_aside.changes == {"policy": ("乙の方針", "甲の方針")}     # the issues were kept, the blank is nothing
    assert set_aside.label == "ケース検討の採用しなかった入力"
    assert set_aside.changed_at >= entries[-2].changed_at

    # a draft replaced by someone's newer plan; a goal's date typed as a date
    draft = store.create_plan_draft(OFFICE, "U002", by="甲野", wishes="続けたい")
    entry = store.record_not_kept(draft, {"wishes": "乙が書いた意向", "goals": [
        {"domain": "仕事", "goal": "遅刻しない", "support": "", "due_on": D(2027, 3, 31)}]}, by="乙川")
    assert entry.changes["wishes"] == ("乙が書いた意向", "続けたい")
    assert entry.changes["goals"][0] == [{"domain": "仕事", "goal": "遅刻しない", "support": "", "due_on": "2027-03-31"}]
    assert store.record_not_kept(draft, {"wishes": "続けたい"}, by="乙川") is None        # stored: nothing to keep
    with pytest.raises(StoreError, match="入力の項目ではありません"):
        store.record_not_kept(draft, {"office": "別"}, by="乙川")

    with open_store(db_url) as elsewhere:                  # a change of nothing: no news for other pages
        others = elsewhere.changes_by_others(OFFICE, since)
    assert "not_kept" not in [e.operation for e in others] and len(others) == 3

    out = tmp_path / "records.xlsx"
    export_workbook(store, OFFICE, out)
    rows = [[c.value for c in row][1:] for row in openpyxl.load_workbook(out)["変更履歴"].iter_rows(min_row=2)]
    assert ["乙川", OFFICE, "U001", "ケース検討", saved.id, "採用しなかった入力", "方針", "乙の方針", "甲の方針"] in rows
    plan_row = next(r for r in rows if r[5] == "採用しなかった入力" and r[6] == "目標")
    assert plan_row[:4] == ["乙川", OFFICE, "U002", "個別支援計画"] and "遅刻しない" in plan_row[7]
    assert "2027年3月31日" in plan_row[7]


# --- concurrency and crashes ---------------------------------------------------------------

@pytest.mark.slow
def test_eight_writers_lose_nothing(db_url):
    """8 processes saving different cases and actions: every acknowledged save is read back."""
    open_store(db_url).close()
    workers, rounds = 8, 15
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    processes = [ctx.Process(target=store_workers.writer, args=(db_url, w, rounds, results)) for w in range(workers)]
    for p in processes:
        p.start()
    reports = [results.get(timeout=240) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    assert [error for _, _, error in reports if error] == []

    with open_store(db_url) as opened:
        acknowledged = [ack for _, acks, _ in reports for ack in acks]
        assert len(acknowledged) == workers * (3 * rounds - 1)
        for kind, key, expected in acknowledged:
            if kind == "review":
                found = opened.review(OFFICE, *key)
                assert found is not None and found.workplace == expected["workplace"]
            else:
                found = opened.action(key)
                assert found is not None and found.content == expected["content"]
        counts = opened.counts()
        assert counts["reviews"] == workers * rounds and counts["actions"] == workers * rounds
        # the last action of each worker stays open, every earlier one was closed
        assert len(opened.open_actions(OFFICE, as_of_month="2099-01")) == workers
        assert counts["history"] == workers * (3 * rounds - 1)


@pytest.mark.slow
@pytest.mark.parametrize("create", [False, True], ids=["update", "create"])
def test_two_editors_of_one_review_get_one_success_and_one_conflict_per_round(db_url, create):
    rounds = 12
    with open_store(db_url) as opened:
        if not create:
            opened.save_review(Review(OFFICE, "U001", OCT, policy="最初の方針"), by="佐藤", expected_version=None)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    processes = [ctx.Process(target=store_workers.editor, args=(db_url, name, "U001", rounds, create, barrier, results))
                 for name in ("佐藤", "鈴木")]
    for p in processes:
        p.start()
    reports = {name: (outcomes, error) for name, outcomes, error in (results.get(timeout=240) for _ in processes)}
    for p in processes:
        p.join(timeout=60)
    assert {name: error for name, (_, error) in reports.items() if error} == {}

    a, b = reports["佐藤"][0], reports["鈴木"][0]
    assert len(a) == len(b) == rounds
    for i, (mine, theirs) in enumerate(zip(a, b)):
        assert sorted([mine[0], theirs[0]]) == ["conflict", "saved"], f"round {i}: {mine} {theirs}"
        loser, winner = (mine, "鈴木") if mine[0] == "conflict" else (theirs, "佐藤")
        assert loser[1] == winner                      # the conflict names who saved
    with open_store(db_url) as opened:
        if create:     # one review per month, each written once
            assert [(r.month, r.version) for r in opened.reviews(OFFICE, user_id="U001")] == [
                (store_workers.BASE_MONTH + i, 1) for i in range(rounds)]
            assert len(opened.history(OFFICE, "U001")) == rounds
        else:
            final = opened.review(OFFICE, "U001", OCT)
            assert final.version == 1 + rounds
            assert len(opened.history(OFFICE, "U001")) == 1 + rounds


@pytest.mark.slow
def test_two_processes_making_the_same_new_store_make_one_and_it_is_never_an_empty_file(tmp_path):
    """The app and a command (or two commands) saving first at once: both succeed, in one
    store, and the file is a database from its first moment (a 0-byte file is refused)."""
    rounds = 8
    paths = [tmp_path / f"store{i}.sqlite" for i in range(rounds)]
    seen_empty, stop = set(), threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for path in paths:
                try:
                    if path.stat().st_size == 0:
                        seen_empty.add(path.name)
                except FileNotFoundError:
                    pass

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    processes = [ctx.Process(target=store_workers.creator, args=(str(tmp_path), name, rounds, barrier, results))
                 for name in ("U001", "U002")]
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for p in processes:
        p.start()
    try:
        reports = dict(results.get(timeout=240) for _ in processes)
    finally:
        stop.set()
        for p in processes:
            p.join(timeout=60)
    assert reports == {"U001": None, "U002": None}
    assert seen_empty == set()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)   # no temporary file left
    for path in paths:
        with open_store(str(path)) as opened:
            assert {opened.review(OFFICE, u, OCT).policy for u in ("U001", "U002")} == {"U001 の方針", "U002 の方針"}
            assert opened.counts()["reviews"] == 2


def _read_acks(stream, acks: list[str], stop_after: int | None = None) -> None:
    """Read ack lines (until ``stop_after`` of them, or the end of the stream)."""
    for line in stream:
        line = line.strip()
        if line and line != "ready":
            acks.append(line)
        if stop_after is not None and len(acks) >= stop_after:
            return


@pytest.mark.slow
def test_a_writer_killed_mid_save_leaves_a_sound_database_with_every_acknowledged_save(db_url):
    open_store(db_url).close()
    rng = random.Random(4)
    script = Path(store_workers.__file__)
    acknowledged: list[str] = []
    for run in range(20):
        writer = subprocess.Popen([sys.executable, str(script), "crash", db_url, str(run)],
                                  stdout=subprocess.PIPE, text=True, encoding="utf-8")
        acks: list[str] = []
        try:
            _read_acks(writer.stdout, acks, stop_after=rng.randint(1, 12))
            writer.send_signal(signal.SIGKILL)
            _read_acks(writer.stdout, acks)             # lines written before the kill
        finally:
            writer.kill()
            writer.wait(timeout=60)
            writer.stdout.close()
        assert writer.returncode == -signal.SIGKILL, f"run {run}: the writer ended by itself"
        acknowledged += acks

    with open_store(db_url) as opened:
        if opened.is_sqlite:
            with opened.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        reviews = {r.user_id for r in opened.reviews(OFFICE)}
        actions = {a.id: a.user_id for a in opened.actions(OFFICE)}
        for line in acknowledged:
            kind, *rest = line.split()
            if kind == "review":
                assert rest[0] in reviews, line
            else:
                assert actions.get(int(rest[0])) == rest[1], line
        # nothing half-written: each review has its history row, each action too
        counts = opened.counts()
        assert counts["history"] == counts["reviews"] + counts["actions"]
    assert len(acknowledged) >= 20
