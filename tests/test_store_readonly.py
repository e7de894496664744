"""Commands that only read (review, export, report minutes / summary) open the conference
store read-only: they never create, migrate or alter a database, and a file that is not a
teichaku store is refused before anything is written to it, by readers and writers alike.
(export and report then add their entries to the access log of a store that exists:
tests/test_cli_access_log.py.)"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from teichaku_nb.cli import main
from teichaku_nb.store import StoreError, default_path, open_existing, open_store
from helpers_demo import DEMO_KEY

DEMO = Path(__file__).resolve().parents[1] / "teichaku_nb" / "demo" / "demo.xlsx"
OFFICE = DEMO_KEY                      # the store keeps the demo office's records under its 事業所番号
MONTH = "2026-10"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def book(tmp_path):
    copy = tmp_path / "office.xlsx"
    shutil.copy(DEMO, copy)
    return copy


@pytest.fixture(params=["delete", "wal"])
def foreign(tmp_path, request):
    """Another program's SQLite file (a rollback journal or WAL, one table of its own), closed."""
    path = tmp_path / "accounts.sqlite"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA journal_mode = {request.param}")
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount INTEGER)")
    connection.execute("INSERT INTO invoices (amount) VALUES (1200)")
    connection.commit()
    connection.close()
    return path


def folder_listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


@pytest.mark.parametrize("command", [
    ["review", "{book}", "--month", MONTH, "--db", "{db}"],
    ["review", "{book}", "--month", MONTH, "--db", "sqlite:///{db}", "--json"],
    ["export", "{book}", "{out}", "--db", "{db}"],
    ["report", "minutes", "{book}", "--month", MONTH, "--db", "{db}", "--out", "{reports}"],
], ids=["review", "review-url", "export", "report-minutes"])
def test_a_foreign_sqlite_file_is_refused_and_left_byte_for_byte(book, foreign, tmp_path, command):
    before, listing = digest(foreign), folder_listing(foreign)
    args = [a.format(book=book, db=foreign, out=tmp_path / "records.xlsx", reports=tmp_path / "reports") for a in command]
    done = subprocess.run([sys.executable, "-m", "teichaku_nb", *args], capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{foreign} は teichaku の会議記録ではありません" in done.stderr and "Traceback" not in done.stderr
    assert digest(foreign) == before
    assert folder_listing(foreign) == listing                     # no -wal, -shm or journal left beside it
    connection = sqlite3.connect(f"file:{foreign}?immutable=1", uri=True)
    assert [r[0] for r in connection.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    connection.close()


def test_the_app_and_saving_refuse_a_foreign_file_before_writing_to_it(foreign):
    before = digest(foreign)
    with pytest.raises(StoreError, match="teichaku の会議記録ではありません"):
        open_store(str(foreign))
    assert digest(foreign) == before and folder_listing(foreign) == ["accounts.sqlite"]


def test_an_empty_file_is_no_store_to_a_reader_nor_to_a_writer(book, tmp_path, capsys):
    """A new store is a database from its first moment at its path: a 0-byte file there is
    someone else's (or a copy that failed), and is not turned into a store."""
    empty = tmp_path / "new.sqlite"
    empty.touch()
    assert main(["review", str(book), "--month", MONTH, "--db", str(empty)]) == 2
    assert f"{empty} は空のファイルです" in capsys.readouterr().err
    assert main(["sent", str(book), "--month", MONTH, "--to", "本人", "--user", "005", "--db", str(empty)]) == 2
    err = capsys.readouterr().err
    assert f"エラー: {empty} は空のファイルです" in err and "この空のファイルを削除するか、別のファイル名を指定してください" in err
    with pytest.raises(StoreError, match="空のファイルです"):   # the app, saving records
        open_store(str(empty))
    assert empty.stat().st_size == 0 and folder_listing(empty) == ["new.sqlite", "office.xlsx"]


def test_reading_a_store_changes_nothing_in_it_nor_beside_it(book, capsys):
    with open_store(book_path=book) as store:
        store.record_report(OFFICE, "005", MONTH, "本人", by="田村")
    path = default_path(book)
    assert path.read_bytes()[18:20] == b"\x02\x02"                 # WAL mode, and no one has it open
    before, listing = digest(path), folder_listing(path)
    assert main(["review", str(book), "--month", MONTH]) == 0
    assert main(["sent", str(book), "--month", MONTH]) == 0
    assert "005" in capsys.readouterr().out
    assert digest(path) == before
    assert folder_listing(path) == listing                          # no -wal or -shm left beside it
    with open_existing(book_path=book) as store:
        assert len(store.issued_reports(OFFICE)) == 1
        with pytest.raises(Exception, match="readonly|read-only"):
            store.record_report(OFFICE, "006", MONTH, "本人", by="田村")
        assert folder_listing(path) == listing
    assert digest(path) == before
    # export reads it read-only too, then opens it for writing for its access-log entry only
    # (tests/test_cli_access_log.py), and leaves nothing beside it either
    assert main(["export", str(book), str(book.with_name("records.xlsx"))]) == 0
    assert folder_listing(path) == sorted([*listing, "records.xlsx"])


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write in any folder")
def test_a_store_in_a_folder_that_may_not_be_written_to_is_still_read(book, tmp_path, capsys):
    with open_store(book_path=book) as store:
        store.record_report(OFFICE, "005", MONTH, "本人", by="田村")
    listing = folder_listing(default_path(book))
    tmp_path.chmod(0o500)
    try:
        assert main(["sent", str(book), "--month", MONTH]) == 0
        assert "005" in capsys.readouterr().out
        assert folder_listing(default_path(book)) == listing
    finally:
        tmp_path.chmod(0o700)


def test_a_store_of_an_earlier_version_is_not_migrated_by_a_reader(book, capsys):
    path = default_path(book)
    with open_store(str(path)) as store:
        version = store.schema_version()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE schema_version SET version = ? WHERE version = ?", (version - 1, version))
    connection.commit()
    connection.close()
    before = digest(path)
    assert main(["review", str(book), "--month", MONTH]) == 2
    err = capsys.readouterr().err
    assert f"前の版の teichaku_nb（スキーマ {version - 1}）" in err and "teichaku app" in err
    assert digest(path) == before


def test_a_database_server_that_never_answers_is_given_up_with_a_japanese_message(monkeypatch):
    """A server that accepts the connection and then says nothing must not hang a command."""
    import socket
    import threading

    from teichaku_nb.store import api, engine

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])        # accepted, never answered
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT_S", 2)
    monkeypatch.setattr(api, "CONNECT_TIMEOUT_S", 2)
    url = f"postgresql+psycopg://teichaku@127.0.0.1:{server.getsockname()[1]}/teichaku"
    try:
        for readonly in (False, True):
            with pytest.raises(StoreError, match="2秒待っても応答がありません"):
                open_store(url, readonly=readonly)
        assert held                                     # it did connect: the wait was for an answer
    finally:
        stop.set()
        for conn in held:
            conn.close()
        server.close()
