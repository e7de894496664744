"""The access log (docs/access.md): append-only in the database itself, read by day in 日本時間,
and ``teichaku log`` (terminal, JSON, Excel).  A store of the previous schema is migrated to
one with the accounts and the log.

SQLite always; PostgreSQL too when ``TEICHAKU_TEST_PG_URL`` names a server (a schema of its
own per test).  All people are fictional.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from teichaku_nb.cli import main
from teichaku_nb.staff import ADMIN, MANAGER, SUPPORT, Staff
from teichaku_nb.store import SCHEMA_VERSION, Store, StoreError, metadata, open_existing, open_store
from teichaku_nb.store import access_log as access_log_module
from teichaku_nb.store.access_log import ACTIONS
from teichaku_nb.store.tables import MIGRATIONS

PG_URL = os.environ.get("TEICHAKU_TEST_PG_URL")
SATO = Staff("sato", "佐藤 花子", ADMIN)
SUZUKI = Staff("suzuki", "鈴木 一郎", SUPPORT)
JST = dt.timezone(dt.timedelta(hours=9))
SECRET = "春の小川はさらさら行くよ"


@pytest.fixture
def store(db_url):
    with open_store(db_url) as opened:
        yield opened


@pytest.fixture
def clock(monkeypatch):
    """Set the moment the next entries are written at (a JST wall-clock time)."""
    def set_to(*jst):
        moment = dt.datetime(*jst, tzinfo=JST).astimezone(dt.timezone.utc)
        monkeypatch.setattr(access_log_module, "utc_now", lambda: moment)
    return set_to


# --- the vocabulary and what an entry keeps ------------------------------------------------------------

def test_the_actions_and_their_labels():
    assert ACTIONS == {
        "sign_in": "サインイン", "sign_in_failed": "サインイン失敗", "locked_out": "ロック", "sign_out": "サインアウト",
        "timed_out": "操作なしでサインアウト", "case_opened": "ケースを開いた", "audit_viewed": "運営指導の準備を確認",
        "document_made": "帳票を作成",
        "exported": "書き出し", "account_added": "アカウント追加", "password_changed": "パスワード変更",
        "account_disabled": "アカウント無効化", "log_exported": "アクセス記録の書き出し"}


def test_an_entry_keeps_who_what_whose_and_where(store):
    store.log_access(SUZUKI, "sign_in", address="192.0.2.10")
    store.log_access(SUZUKI, "case_opened", office="1310000001", user_id="007", address="192.0.2.10")
    store.log_access(SUZUKI, "document_made", office="1310000001", user_id="007", document="支援レポート（本人用）")
    store.log_access(None, "sign_in_failed", login="sato", address="198.51.100.7")
    store.log_access(None, "sign_in_failed", login="x" * 500 + "\x00")        # whatever is typed is recorded
    entries = store.access_entries()
    assert [(e["login"], e["name"], e["role"], e["action"], e["action_label"]) for e in entries] == [
        ("suzuki", "鈴木 一郎", SUPPORT, "sign_in", "サインイン"),
        ("suzuki", "鈴木 一郎", SUPPORT, "case_opened", "ケースを開いた"),
        ("suzuki", "鈴木 一郎", SUPPORT, "document_made", "帳票を作成"),
        ("sato", None, None, "sign_in_failed", "サインイン失敗"),
        ("x" * 99 + "…", None, None, "sign_in_failed", "サインイン失敗"),
    ]
    assert (entries[1]["office"], entries[1]["user_id"], entries[1]["address"]) == ("1310000001", "007", "192.0.2.10")
    assert entries[2]["document"] == "支援レポート（本人用）" and entries[0]["user_id"] is None
    assert all(e["at"].tzinfo is not None for e in entries)
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)


def test_bad_entries_are_refused_in_japanese(store):
    with pytest.raises(StoreError, match="操作「deleted_everything」はありません"):
        store.log_access(SATO, "deleted_everything")
    with pytest.raises(StoreError, match="職員（staff）かログイン名（login）が必要"):
        store.log_access(None, "sign_in_failed")
    with pytest.raises(StoreError, match="役割は"):
        store.log_access(Staff("x", "x", "所長"), "sign_in")
    with pytest.raises(StoreError, match="違います"):
        store.log_access(SATO, "sign_in", login="suzuki")
    with pytest.raises(StoreError, match="詳細が長すぎます"):
        store.log_access(SATO, "exported", detail="あ" * 5_000)
    assert store.access_entries() == []


def test_the_store_offers_no_way_to_change_or_delete_an_entry():
    names = [n for n in dir(Store) if "access" in n or "log" in n]
    assert not [n for n in names if any(w in n for w in ("update", "delete", "remove", "change", "edit", "withdraw"))]


# --- append-only in the database ---------------------------------------------------------------------

def test_sqlite_refuses_update_and_delete_of_the_log(tmp_path):
    path = tmp_path / "office.teichaku.sqlite"
    with open_store(str(path)) as store:
        store.log_access(SATO, "sign_in")
        store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    connection = sqlite3.connect(path)
    try:
        for statement in ("UPDATE access_log SET login = 'someone'", "UPDATE access_log SET at = '2000-01-01'",
                          "DELETE FROM access_log", "DELETE FROM access_log WHERE id = 1"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                connection.execute(statement)
            connection.rollback()
        connection.execute("UPDATE staff_accounts SET name = '佐藤 花' WHERE login = 'sato'")   # accounts are not
        connection.commit()
    finally:
        connection.close()
    with open_existing(str(path)) as store:
        assert [(e["login"], e["action"]) for e in store.access_entries()] == [
            ("sato", "sign_in"), ("端末:tester", "account_added")]


def test_postgresql_refuses_update_delete_and_truncate_of_the_log(db_url, store):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL のみ")
    store.log_access(SATO, "sign_in")
    engine = sa.create_engine(db_url)
    try:
        for statement in ("UPDATE access_log SET login = 'someone'", "DELETE FROM access_log",
                          "TRUNCATE access_log"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with engine.begin() as conn:
                    conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
    assert [e["login"] for e in store.access_entries()] == ["sato"]


def test_every_engine_refuses_through_the_stores_own_connection(store):
    store.log_access(SATO, "sign_in")
    for statement in ("UPDATE access_log SET detail = 'x'", "DELETE FROM access_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.exec_driver_sql(statement)
    assert len(store.access_entries()) == 1


# --- reading by day and person -------------------------------------------------------------------------

def _month_of_entries(store, clock):
    clock(2026, 10, 31, 23, 59)
    store.log_access(SATO, "sign_in")                                  # before the month
    clock(2026, 11, 1, 0, 0)
    store.log_access(SUZUKI, "sign_in")                                # its first moment
    clock(2026, 11, 15, 10, 0)
    store.log_access(SUZUKI, "case_opened", office="1310000001", user_id="007")
    clock(2026, 11, 30, 23, 30)                                        # the last day, late (14:30 UTC)
    store.log_access(SATO, "exported", document="会議記録", detail="records.xlsx")
    clock(2026, 12, 1, 0, 0)
    store.log_access(SATO, "sign_out")                                 # after it


def test_entries_by_day_in_japan_time_both_days_included(store, clock):
    _month_of_entries(store, clock)
    november = store.access_entries(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30))
    assert [(e["login"], e["action"]) for e in november] == [
        ("suzuki", "sign_in"), ("suzuki", "case_opened"), ("sato", "exported")]
    assert november[-1]["at"] == dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.timezone.utc)
    assert [e["action"] for e in store.access_entries(until=dt.date(2026, 10, 31))] == ["sign_in"]
    assert [e["action"] for e in store.access_entries(since=dt.date(2026, 12, 1))] == ["sign_out"]
    assert [e["action"] for e in store.access_entries(login="suzuki")] == ["sign_in", "case_opened"]
    assert [e["action"] for e in store.access_entries(since=dt.date(2026, 11, 2), login="sato")] == ["exported", "sign_out"]
    assert len(store.access_entries()) == 5
    with pytest.raises(StoreError, match="開始日"):
        store.access_entries(since=dt.date(2026, 12, 1), until=dt.date(2026, 11, 1))


# --- teichaku log ----------------------------------------------------------------------------------------

@pytest.fixture
def db(tmp_path, clock) -> Path:
    path = tmp_path / "office.teichaku.sqlite"
    with open_store(str(path)) as store:
        _month_of_entries(store, clock)
    return path


def log(capsys, *args) -> tuple[int, str, str]:
    code = main(["log", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_log_on_the_terminal_in_japanese_and_japan_time(capsys, db):
    code, out, err = log(capsys, "--db", db, "--from", "2026-11-01", "--to", "2026-11-30")
    assert code == 0, err
    lines = out.splitlines()
    assert "3件" in lines[0] and "日本時間" in lines[0]
    assert lines[1].split() == ["日時", "職員", "役割", "操作", "利用者ID", "帳票", "詳細"]
    assert "2026/11/30 23:30:00" in out and "佐藤 花子" in out and "書き出し" in out    # the --to day, late
    assert "2026/10/31" not in out and "2026/12/01" not in out
    assert "ケースを開いた" in out and "007" in out
    code, out, _ = log(capsys, "--db", db, "--user", "nobody")
    assert code == 0 and "該当するアクセス記録はありません" in out


def test_log_as_json_with_english_keys(capsys, db):
    code, out, _ = log(capsys, "--db", db, "--to", "2026-11-30", "--user", "sato", "--json")
    assert code == 0
    found = json.loads(out)
    assert (found["from"], found["to"], found["user"]) == (None, "2026-11-30", "sato")
    assert [(e["action"], e["at"]) for e in found["entries"]] == [
        ("sign_in", "2026-10-31T23:59:00+09:00"), ("exported", "2026-11-30T23:30:00+09:00")]
    assert set(found["entries"][0]) == {"id", "at", "login", "name", "role", "action", "action_label", "office",
                                        "user_id", "document", "detail", "address"}


def test_log_to_excel_with_its_own_entry(capsys, db, tmp_path):
    out_file = tmp_path / "access.xlsx"
    code, out, err = log(capsys, "--db", db, "--from", "2026-11-01", "--to", "2026-11-30", "--out", out_file)
    assert code == 0, err
    assert "アクセス記録を書き出しました" in out
    sheet = load_workbook(out_file).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "アクセス記録"
    assert rows[0] == ("日時（日本時間）", "ログイン名", "職員", "役割", "操作", "事業所", "利用者ID", "帳票", "詳細", "接続元")
    assert [r[4] for r in rows[1:]] == ["サインイン", "ケースを開いた", "書き出し"]
    assert rows[3][0] == dt.datetime(2026, 11, 30, 23, 30) and rows[3][2] == "佐藤 花子"
    assert rows[2][5:7] == ("1310000001", "007")
    assert oct(out_file.stat().st_mode & 0o777) == "0o600"
    with open_existing(str(db)) as store:
        last = store.access_entries()[-1]
    assert last["action"] == "log_exported" and last["login"].startswith("端末:")
    assert "access.xlsx" in last["detail"] and "3件" in last["detail"]
    # an existing file is kept without --force; a file that is not .xlsx is refused
    code, _, err = log(capsys, "--db", db, "--out", out_file)
    assert code == 2 and "--force" in err
    code, _, err = log(capsys, "--db", db, "--out", tmp_path / "access.csv")
    assert code == 2 and ".xlsx" in err
    code, _, err = log(capsys, "--db", db, "--out", db, "--force")
    assert code == 2


def test_log_without_a_store_and_with_bad_dates(capsys, tmp_path):
    missing = tmp_path / "none.sqlite"
    code, out, _ = log(capsys, "--db", missing)
    assert code == 0 and "該当するアクセス記録はありません" in out and not missing.exists()
    code, _, err = log(capsys, "--db", missing, "--out", tmp_path / "a.xlsx")
    assert code == 2 and "データベースがありません" in err and not missing.exists()
    assert not (tmp_path / "a.xlsx").exists()
    code, _, err = log(capsys, "--db", missing, "--from", "2026-12-01", "--to", "2026-11-01")
    assert code == 2 and "--from" in err
    with pytest.raises(SystemExit) as exited:
        main(["log", "--db", str(missing), "--from", "11月の初め"])
    assert exited.value.code == 2 and "日付として読めません" in capsys.readouterr().err


# --- the previous schema ----------------------------------------------------------------------------------

def _store_of_schema_7(url: str) -> None:
    """A store as schema 7 left it (every table but the accounts and the log), with a review."""
    engine = sa.create_engine(url)
    older = sa.MetaData()
    for table in metadata.sorted_tables:
        if table.name not in ("staff_accounts", "access_log"):
            table.to_metadata(older)
    at = dt.datetime(2026, 10, 20, 5, 0)
    with engine.begin() as conn:
        older.create_all(conn)
        conn.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (7, :at)"), {"at": at})
        conn.execute(sa.text(
            "INSERT INTO reviews (office, user_id, month, policy, version, created_by, created_at, updated_by,"
            " updated_at) VALUES ('1310000001', '007', '2026-10', '勤務を続ける', 1, '佐藤', :at, '佐藤', :at)"),
            {"at": at})
    engine.dispose()


def test_a_store_of_schema_7_is_migrated_with_an_append_only_log(db_url):
    assert SCHEMA_VERSION == 8 and 8 in MIGRATIONS
    _store_of_schema_7(db_url)
    if db_url.startswith("sqlite"):                    # a reader refuses the older store, changing nothing
        with pytest.raises(StoreError, match="スキーマ 7"):
            open_existing(db_url)
    with open_store(db_url) as store:
        assert store.schema_version() == 8
        assert store.review("1310000001", "007", "2026-10").policy == "勤務を続ける"
        assert not store.has_accounts() and store.access_entries() == []
        store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
        store.add_account("takahashi", "高橋", MANAGER, SECRET, by="sato")
        store.log_access(SATO, "case_opened", office="1310000001", user_id="007")
        assert store.verify_password("takahashi", SECRET).role == MANAGER
        for statement in ("UPDATE access_log SET login = 'x'", "DELETE FROM access_log"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with store.engine.begin() as conn:
                    conn.exec_driver_sql(statement)
    with open_store(db_url) as again:                  # opening again changes nothing
        assert again.schema_version() == 8 and len(again.access_entries()) == 3
    engine = sa.create_engine(db_url)
    inspector = sa.inspect(engine)
    for name in ("staff_accounts", "access_log"):       # the tables the current code would create
        found = {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
        assert found == {c.name: c.nullable for c in metadata.tables[name].columns}, name
        assert {i["name"] for i in inspector.get_indexes(name)} >= {i.name for i in metadata.tables[name].indexes}
    engine.dispose()
