"""Staff accounts (docs/access.md): the store's API and ``teichaku staff``.

What a user checks: an account added can sign in with its password and nothing else; a wrong
password, a disabled account and an unknown login all get None; the password is never shown,
never in the store in clear, never in the access log; the last 管理者 stays; every change is
in the access log.  The store tests run on SQLite and, when ``TEICHAKU_TEST_PG_URL`` names a
server, on PostgreSQL (a schema of their own each).  All people are fictional.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from teichaku_nb import paths
from teichaku_nb.cli import main
from teichaku_nb.cli.staff import offer_first_admin
from teichaku_nb.staff import ADMIN, MANAGER, ROLES, SUPPORT, Staff
from teichaku_nb.store import StoreError, default_path, open_existing, open_store
from teichaku_nb.store import accounts as accounts_module

PG_URL = os.environ.get("TEICHAKU_TEST_PG_URL")
DEMO = Path(__file__).resolve().parents[1] / "teichaku_nb" / "demo" / "demo.xlsx"
SECRET = "春の小川はさらさら行くよ"          # 12 characters, Japanese: kept as typed, never shown
OTHER = "correct horse battery staple"


@pytest.fixture
def store(db_url):
    with open_store(db_url) as opened:
        yield opened


def everything_stored(store) -> str:
    """Every value of the accounts and the access log as text (what a reader of the database sees)."""
    with store.engine.connect() as conn:
        rows = [*conn.execute(sa.text("SELECT * FROM staff_accounts")), *conn.execute(sa.text("SELECT * FROM access_log"))]
    return "\n".join(str(value) for row in rows for value in row)


def database_bytes(path: Path) -> bytes:
    """The SQLite file and whatever SQLite keeps beside it (-wal, -journal)."""
    return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))


# --- the store's API ------------------------------------------------------------------------------

def test_an_account_signs_in_with_its_password_only(store):
    assert not store.has_accounts() and store.accounts() == []
    added = store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    assert (added.login, added.name, added.role, added.disabled) == ("sato", "佐藤 花子", ADMIN, False)
    assert added.staff == Staff("sato", "佐藤 花子", ADMIN)
    assert store.has_accounts() and store.accounts() == [added]
    assert store.verify_password("sato", SECRET) == added
    assert store.verify_password("sato", SECRET + " ") is None
    assert store.verify_password("sato", SECRET[:-1]) is None
    assert store.verify_password("Sato", SECRET) is None           # a login is compared as it is
    assert store.verify_password("nobody", SECRET) is None
    assert store.verify_password("sato", "") is None
    assert store.verify_password("ｓａｔｏ", SECRET) == added       # full-width typing is the same login


def test_a_japanese_login_and_the_account_shows_no_hash(store):
    added = store.add_account("鈴木一郎", "鈴木 一郎", SUPPORT, OTHER, by="端末:tester")
    assert store.verify_password("鈴木一郎", OTHER).staff.name == "鈴木 一郎"
    text = repr(added) + repr(store.accounts())
    assert "argon2" not in text and "hash" not in text and OTHER not in text
    assert not hasattr(added, "password_hash")


def test_the_password_is_kept_as_an_argon2id_hash_and_never_in_clear(store, db_url):
    store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    store.set_password("sato", OTHER, by="端末:tester")
    store.add_account("tanaka", "田中", SUPPORT, SECRET, by="sato")
    with store.engine.connect() as conn:
        hashes = [row[0] for row in conn.execute(sa.text("SELECT password_hash FROM staff_accounts"))]
    assert all(h.startswith("$argon2id$") for h in hashes)
    stored = everything_stored(store)
    assert SECRET not in stored and OTHER not in stored
    if db_url.startswith("sqlite"):
        store.close()
        raw = database_bytes(Path(sa.engine.make_url(db_url).database))
        assert SECRET.encode() not in raw and OTHER.encode() not in raw


def test_weak_passwords_are_refused_in_japanese_and_nothing_is_written(store):
    for password, said in (("short1234", "10文字以上"), ("", "10文字以上"),
                           ("sato.hanako", "ログイン名と同じ"), ("SATO.HANAKO", "ログイン名と同じ")):
        with pytest.raises(StoreError, match=said) as refused:
            store.add_account("sato.hanako", "佐藤 花子", ADMIN, password, by="端末:tester")
        assert password not in str(refused.value) or not password
    assert store.accounts() == [] and store.access_entries() == []
    store.add_account("sato.hanako", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    with pytest.raises(StoreError, match="10文字以上"):
        store.set_password("sato.hanako", "123456789", by="端末:tester")
    with pytest.raises(StoreError, match="ログイン名と同じ"):
        store.set_password("sato.hanako", "Sato.Hanako", by="端末:tester")
    assert store.verify_password("sato.hanako", SECRET) is not None
    assert [e["action"] for e in store.access_entries()] == ["account_added"]


def test_a_duplicate_login_an_unknown_role_and_a_blank_name_are_refused(store):
    store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    with pytest.raises(StoreError, match="すでにあります"):
        store.add_account("sato", "佐藤 次郎", SUPPORT, OTHER, by="端末:tester")
    with pytest.raises(StoreError, match="すでにあります"):
        store.add_account(" ｓａｔｏ ", "佐藤 次郎", SUPPORT, OTHER, by="端末:tester")
    with pytest.raises(StoreError, match="役割は 支援員・サービス管理責任者・管理者"):
        store.add_account("suzuki", "鈴木", "所長", OTHER, by="端末:tester")
    with pytest.raises(StoreError, match="名前は必須"):
        store.add_account("suzuki", "  ", SUPPORT, OTHER, by="端末:tester")
    with pytest.raises(StoreError, match="端末:"):
        store.add_account("端末:root", "root", ADMIN, OTHER, by="端末:tester")
    assert [a.login for a in store.accounts()] == ["sato"]
    assert store.verify_password("sato", SECRET).name == "佐藤 花子"


def test_a_disabled_account_cannot_sign_in_and_stays_listed(store):
    store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    store.add_account("suzuki", "鈴木", SUPPORT, OTHER, by="sato")
    disabled = store.disable_account("suzuki", by="sato")
    assert disabled.disabled and disabled.disabled_by == "sato" and disabled.disabled_at is not None
    assert store.verify_password("suzuki", OTHER) is None
    assert [(a.login, a.disabled) for a in store.accounts()] == [("sato", False), ("suzuki", True)]
    with pytest.raises(StoreError, match="すでに無効"):
        store.disable_account("suzuki", by="sato")
    with pytest.raises(StoreError, match="すでにあります"):           # its login stays taken
        store.add_account("suzuki", "鈴木", SUPPORT, OTHER, by="sato")
    store.set_password("suzuki", SECRET, by="sato")                  # a new password does not enable it
    assert store.verify_password("suzuki", SECRET) is None
    with pytest.raises(StoreError, match="アカウントはありません"):
        store.disable_account("nobody", by="sato")


def test_only_disabled_accounts_means_no_accounts(store):
    store.add_account("suzuki", "鈴木", SUPPORT, OTHER, by="端末:tester")
    assert store.has_accounts()
    store.disable_account("suzuki", by="端末:tester")
    assert not store.has_accounts() and len(store.accounts()) == 1


def test_the_last_enabled_admin_cannot_be_disabled(store):
    store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    store.add_account("takahashi", "高橋", MANAGER, OTHER, by="sato")
    with pytest.raises(StoreError, match="ただ一人の有効な管理者のため無効にできません"):
        store.disable_account("sato", by="sato")
    store.add_account("ito", "伊藤", ADMIN, OTHER, by="sato")
    store.disable_account("sato", by="ito")
    with pytest.raises(StoreError, match="ただ一人の有効な管理者"):
        store.disable_account("ito", by="ito")
    assert store.verify_password("ito", OTHER) is not None
    assert [a.login for a in store.accounts() if not a.disabled] == ["takahashi", "ito"]


def test_each_change_is_in_the_access_log_with_who_made_it(store):
    store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    store.add_account("suzuki", "鈴木", SUPPORT, OTHER, by="sato")
    store.set_password("suzuki", SECRET, by="sato")
    store.disable_account("suzuki", by="sato")
    with pytest.raises(StoreError):
        store.add_account("x", "x", SUPPORT, "short", by="sato")       # refused: not logged
    entries = store.access_entries()
    assert [(e["action"], e["action_label"], e["login"], e["name"], e["role"]) for e in entries] == [
        ("account_added", "アカウント追加", "端末:tester", None, None),
        ("account_added", "アカウント追加", "sato", "佐藤 花子", ADMIN),
        ("password_changed", "パスワード変更", "sato", "佐藤 花子", ADMIN),
        ("account_disabled", "アカウント無効化", "sato", "佐藤 花子", ADMIN),
    ]
    assert "suzuki" in entries[1]["detail"] and "支援員" in entries[1]["detail"]
    assert all(SECRET not in str(e) and OTHER not in str(e) for e in entries)
    account = store.accounts()[1]
    assert entries[1]["at"] == account.created_at                    # one moment, one transaction
    assert entries[3]["at"] == account.disabled_at


def test_an_old_hash_is_renewed_at_sign_in(store):
    store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(SECRET)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE staff_accounts SET password_hash = :h"), {"h": weak})
    assert store.verify_password("sato", SECRET) is not None
    with store.engine.connect() as conn:
        renewed = conn.scalar(sa.text("SELECT password_hash FROM staff_accounts"))
    assert renewed != weak and not PasswordHasher().check_needs_rehash(renewed)
    assert store.verify_password("sato", SECRET) is not None and store.verify_password("sato", OTHER) is None


def test_an_unknown_login_costs_a_verification_too(store, monkeypatch):
    store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    store.add_account("suzuki", "鈴木", SUPPORT, OTHER, by="sato")
    store.disable_account("suzuki", by="sato")
    calls = []
    real = accounts_module._matches
    monkeypatch.setattr(accounts_module, "_matches", lambda hashed, password: calls.append(hashed) or real(hashed, password))
    for login, password in (("nobody", SECRET), ("sato", OTHER), ("suzuki", OTHER), ("sato", SECRET)):
        before = len(calls)
        store.verify_password(login, password)
        assert len(calls) == before + 1, login


def test_a_read_only_store_still_verifies(tmp_path):
    url = f"sqlite:///{tmp_path / 'office.teichaku.sqlite'}"
    with open_store(url) as writer:
        writer.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    with open_existing(url) as reader:
        assert reader.verify_password("sato", SECRET).login == "sato"
        assert reader.has_accounts() and [a.login for a in reader.accounts()] == ["sato"]


# --- teichaku staff ----------------------------------------------------------------------------------

def run_cli(capsys, *args, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "office.teichaku.sqlite"


@pytest.fixture
def typed(monkeypatch):
    """What is typed at getpass's prompts, in order; the prompts are kept."""
    answers, prompts = [], []

    def fake(prompt="Password: ", stream=None):
        prompts.append(prompt)
        if not answers:
            raise EOFError
        return answers.pop(0)
    monkeypatch.setattr("getpass.getpass", fake)
    return answers, prompts


def test_staff_add_list_passwd_disable_on_the_command_line(capsys, monkeypatch, db, typed):
    code, out, err = run_cli(capsys, "staff", "add", "佐藤 花子", "--role", ADMIN, "--login", "sato", "--db", db,
                             "--password-stdin", stdin=SECRET + "\n", monkeypatch=monkeypatch)
    assert code == 0, err
    assert "アカウントを追加しました: sato（佐藤 花子・管理者）" in out
    answers, prompts = typed
    answers += [OTHER, OTHER]
    code, out, err = run_cli(capsys, "staff", "add", "鈴木", "--role", SUPPORT, "--db", db)
    assert code == 0, err
    assert "鈴木（支援員）" in out and len(prompts) == 2 and "10文字以上" in prompts[0]

    code, out, err = run_cli(capsys, "staff", "list", "--db", db)
    assert code == 0
    assert "ログイン名" in out and "佐藤 花子" in out and "鈴木" in out and "有効" in out
    code, out, _ = run_cli(capsys, "staff", "list", "--db", db, "--json")
    listed = json.loads(out)["accounts"]
    assert [(a["login"], a["name"], a["role"], a["disabled"]) for a in listed] == [
        ("sato", "佐藤 花子", ADMIN, False), ("鈴木", "鈴木", SUPPORT, False)]
    assert all("hash" not in key for a in listed for key in a)

    answers += [SECRET, SECRET]
    code, out, err = run_cli(capsys, "staff", "passwd", "鈴木", "--db", db)
    assert code == 0 and "パスワードを変更しました" in out, err
    code, out, err = run_cli(capsys, "staff", "disable", "鈴木", "--db", db)
    assert code == 0 and "アカウントを無効にしました" in out, err
    code, out, err = run_cli(capsys, "staff", "disable", "sato", "--db", db)
    assert code == 2 and "ただ一人の有効な管理者" in err and "Traceback" not in err

    with open_store(str(db)) as store:
        assert store.verify_password("sato", SECRET).role == ADMIN
        assert store.verify_password("鈴木", SECRET) is None                  # disabled
        by = store.access_entries()[0]["login"]
        assert by.startswith("端末:")
        assert [e["action"] for e in store.access_entries()] == [
            "account_added", "account_added", "password_changed", "account_disabled"]
        assert SECRET not in everything_stored(store) and OTHER not in everything_stored(store)
    raw = database_bytes(db)
    assert SECRET.encode() not in raw and OTHER.encode() not in raw


def test_the_password_never_appears_in_any_output(capsys, monkeypatch, db, typed):
    answers, _ = typed
    seen = []
    answers += [OTHER, "something else entirely", OTHER, OTHER]
    seen.append(run_cli(capsys, "staff", "add", "佐藤 花子", "--role", ADMIN, "--db", db))
    seen.append(run_cli(capsys, "staff", "list", "--db", db, "--json"))
    seen.append(run_cli(capsys, "log", "--db", db, "--json"))
    seen.append(run_cli(capsys, "log", "--db", db))
    seen.append(run_cli(capsys, "staff", "add", "田中", "--role", SUPPORT, "--db", db, "--password-stdin",
                        stdin="短い\n", monkeypatch=monkeypatch))
    assert [code for code, _, _ in seen] == [0, 0, 0, 0, 2]
    assert "2回の入力が一致しません" in seen[0][2]
    assert "10文字以上" in seen[4][2]
    for _, out, err in seen:
        assert OTHER not in out + err and "something else" not in out + err and "短い" not in out + err


def test_a_password_is_asked_at_most_three_times(capsys, db, typed):
    answers, prompts = typed
    answers += ["short", OTHER, "typo " + OTHER, "SATO.HANAKO1", OTHER, OTHER]     # short, mismatch, the login
    code, out, err = run_cli(capsys, "staff", "add", "佐藤 花子", "--login", "sato.hanako1", "--role", ADMIN, "--db", db)
    assert code == 2
    assert "10文字以上" in err and "一致しません" in err and "ログイン名と同じ" in err and "やめました" in err
    assert len(prompts) == 4 and not db.exists()             # asked before the store is opened: nothing made


def test_passwd_of_an_unknown_login_and_a_missing_store_are_errors(capsys, monkeypatch, tmp_path, db):
    code, _, err = run_cli(capsys, "staff", "passwd", "sato", "--db", db, "--password-stdin", stdin=SECRET + "\n",
                           monkeypatch=monkeypatch)
    assert code == 2 and "データベースがありません" in err and not db.exists()
    with open_store(str(db)) as store:
        store.add_account("sato", "佐藤 花子", ADMIN, SECRET, by="端末:tester")
    code, _, err = run_cli(capsys, "staff", "passwd", "suzuki", "--db", db, "--password-stdin",
                           stdin=OTHER + "\n", monkeypatch=monkeypatch)
    assert code == 2 and "ログイン名「suzuki」のアカウントはありません" in err
    code, _, err = run_cli(capsys, "staff", "list", tmp_path / "missing.xlsx")
    assert code == 2 and "ケース記録が見つかりません" in err


def test_staff_add_beside_a_workbook_and_in_the_demos_store(capsys, monkeypatch, tmp_path):
    book = tmp_path / "office.xlsx"
    shutil.copy(DEMO, book)
    code, _, err = run_cli(capsys, "staff", "add", "佐藤 花子", "--role", ADMIN, book, "--password-stdin",
                           stdin=SECRET + "\n", monkeypatch=monkeypatch)
    assert code == 0, err
    with open_existing(book_path=book) as store:
        assert [a.login for a in store.accounts()] == ["佐藤 花子"]
    # without BOOK or --db: the demo's store, as `teichaku app` without BOOK (a data folder of this test's own)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, _, err = run_cli(capsys, "staff", "add", "鈴木", "--role", SUPPORT, "--password-stdin",
                           stdin=OTHER + "\n", monkeypatch=monkeypatch)
    assert code == 0, err
    assert paths.demo_db_path() == tmp_path / "data" / "teichaku" / "demo.teichaku.sqlite"
    assert default_path(paths.demo_book_path()) == paths.demo_db_path()
    with open_existing(str(paths.demo_db_path())) as store:
        assert [a.login for a in store.accounts()] == ["鈴木"]
    code, out, _ = run_cli(capsys, "staff", "list", "--json")
    assert [a["login"] for a in json.loads(out)["accounts"]] == ["鈴木"]


def test_staff_list_without_a_store_says_there_are_none(capsys, db):
    code, out, _ = run_cli(capsys, "staff", "list", "--db", db)
    assert code == 0 and "職員アカウントはまだありません" in out and not db.exists()


def test_the_roles_are_the_choices(capsys, db):
    with pytest.raises(SystemExit) as exited:
        main(["staff", "add", "佐藤", "--role", "所長", "--db", str(db)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "選べない値です" in err and all(role in err for role in ROLES)


# --- the first 管理者 at the app's first start ---------------------------------------------------------

def scripted(*answers):
    """An ``ask`` / ``secret`` that answers in order (EOFError when done), keeping the prompts."""
    queue, prompts = list(answers), []

    def answer(prompt=""):
        prompts.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)
    answer.prompts = prompts
    return answer


def test_offer_first_admin_makes_a_manager_of_accounts(store):
    said = []
    ask = scripted("y", "佐藤 花子", "sato")
    secret = scripted("short", OTHER, OTHER)
    account = offer_first_admin(store, ask=ask, secret=secret, out=said.append)
    assert (account.login, account.name, account.role) == ("sato", "佐藤 花子", ADMIN)
    assert store.verify_password("sato", OTHER) == account
    assert "管理者" in ask.prompts[0] and "Enter" in ask.prompts[0]
    assert any("10文字以上" in line for line in said) and all(OTHER not in line for line in said)
    assert store.access_entries()[0]["action"] == "account_added"


def test_offer_first_admin_enter_means_no(store):
    said = []
    assert offer_first_admin(store, ask=scripted(""), secret=scripted(), out=said.append) is None
    assert not store.has_accounts() and any("teichaku staff add" in line for line in said)


def test_offer_first_admin_login_defaults_to_the_name_and_gives_up_quietly(store):
    account = offer_first_admin(store, ask=scripted("はい", "鈴木 一郎", ""), secret=scripted(SECRET, SECRET),
                                out=lambda _: None)
    assert account.login == "鈴木 一郎" and account.role == ADMIN
    # input ends mid-way (the terminal closed): nothing is made, nothing raised
    said = []
    assert offer_first_admin(store, ask=scripted("y", "高橋"), secret=scripted(), out=said.append) is None
    assert [a.login for a in store.accounts()] == ["鈴木 一郎"]
    # three mismatches: nothing is made
    assert offer_first_admin(store, ask=scripted("y", "伊藤", "ito"), secret=scripted(*[OTHER, SECRET] * 3),
                             out=said.append) is None
    assert [a.login for a in store.accounts()] == ["鈴木 一郎"]


def test_a_change_made_by_the_signed_in_person_is_logged_with_their_name_and_role(store):
    """In the app the signed-in person makes the change: in token mode that is the computer's
    user, who has no account, and the log still says who they are and in which role."""
    owner = Staff("office-pc", "office-pc", ADMIN)
    store.add_account("sato", "佐藤 一郎", SUPPORT, "sato-no-pass-1", by=owner)
    store.set_password("sato", "sato-no-pass-2", by=owner)
    store.disable_account("sato", by=owner)
    entries = [e for e in store.access_entries() if e["action"] in ("account_added", "password_changed",
                                                                        "account_disabled")]
    assert [(e["login"], e["name"], e["role"]) for e in entries] == [("office-pc", "office-pc", ADMIN)] * 3
    assert store.account("sato").created_by == "office-pc" and store.account("sato").disabled_by == "office-pc"
