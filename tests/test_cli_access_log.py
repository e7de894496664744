"""What the command line makes or exports from people's records is in the access log
(docs/access.md): ``teichaku report`` (``document_made``), ``teichaku export`` and ``teichaku
billing --out`` (``exported``), as ``端末:<OS user>``, in a store that exists only: none is made
for the log.  A log that cannot be written keeps the documents made (exit code 2, said in
Japanese) and refuses an export (no file, exit code 2)."""

from __future__ import annotations

import getpass
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from teichaku_nb import pdf
from teichaku_nb.cli import main
from teichaku_nb.store import Store, StoreError, default_path, open_store
from teichaku_nb.store.checks import SHORT_TEXT
from teichaku_nb.workbook import load_source

from helpers_demo import DEMO, DEMO_KEY, DEMO_NAME

MONTH = "2026-10"
PERSON = "005"
OTHER_KEY = "9900000002"


@pytest.fixture
def book(tmp_path) -> Path:
    copy = tmp_path / "office.xlsx"
    shutil.copy(DEMO, copy)
    return copy


@pytest.fixture
def stored(book) -> Path:
    """The book with a store beside it (empty: made as the app makes it)."""
    open_store(book_path=book).close()
    return book


def terminal() -> str:
    return f"端末:{getpass.getuser()}"


def logged(capsys, *args) -> list[dict]:
    """``teichaku log … --json``'s entries (what was printed before is dropped)."""
    capsys.readouterr()
    assert main(["log", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["entries"]


def names(entries: list[dict]) -> list[str]:
    return [name for e in entries for name in e["document"].split(",")]


# --- teichaku report ---------------------------------------------------------------------------------

def test_a_report_is_logged_as_made_from_the_terminal(stored, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", "minutes", str(stored), "--month", MONTH, "--out", str(out)]) == 0
    [entry] = logged(capsys, stored)
    assert entry["action"] == "document_made" and entry["action_label"] == "帳票を作成"
    assert entry["login"] == terminal() and entry["name"] is None and entry["role"] is None
    assert entry["office"] == DEMO_KEY and entry["user_id"] is None
    assert entry["document"] == f"{DEMO_NAME}_会議録_{MONTH}.html" == next(out.iterdir()).name
    assert entry["detail"] == "2026年10月・HTML" and entry["address"] is None


def test_one_persons_documents_name_the_person(stored, tmp_path, capsys):
    assert main(["report", "support", str(stored), "--month", MONTH, "--user", PERSON,
                 "--out", str(tmp_path / "support")]) == 0
    assert main(["report", "plan", str(stored), "--month", MONTH, "--user", "001",
                 "--out", str(tmp_path / "plan")]) == 0
    support, plan = logged(capsys, stored)
    assert support["user_id"] == PERSON and sorted(names([support])) == sorted(
        p.name for p in (tmp_path / "support").iterdir())                  # both copies (and any 確認事項)
    assert plan["user_id"] == "001" and names([plan]) == [f"{DEMO_NAME}_個別支援計画書_{MONTH}_001.html"]
    assert {support["login"], plan["login"]} == {terminal()}


def test_a_batch_is_logged_whole_in_entries_the_log_can_keep(stored, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", "support", str(stored), "--month", MONTH, "--all", "--out", str(out)]) == 0
    entries = logged(capsys, stored)
    assert len(entries) > 1 and all(len(e["document"]) <= SHORT_TEXT for e in entries)
    assert sorted(names(entries)) == sorted(p.name for p in out.iterdir())     # 確認事項 included
    assert [e["detail"] for e in entries] == [f"2026年10月・HTML（{n}/{len(entries)}）" for n in range(1, len(entries) + 1)]
    assert {e["user_id"] for e in entries} == {None} and {e["office"] for e in entries} == {DEMO_KEY}


def test_a_report_without_a_store_makes_none_for_the_log(book, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", "minutes", str(book), "--month", MONTH, "--out", str(out)]) == 0
    assert len(list(out.iterdir())) == 1
    assert not default_path(book).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["office.xlsx", "out"]
    assert "アクセス記録" not in capsys.readouterr().err


def test_a_report_with_db_is_logged_in_that_store(book, tmp_path, capsys):
    db = tmp_path / "elsewhere.sqlite"
    open_store(str(db)).close()
    assert main(["report", "summary", str(book), "--month", MONTH, "--db", str(db),
                 "--out", str(tmp_path / "out")]) == 0
    [entry] = logged(capsys, "--db", db)
    assert entry["document"] == f"{DEMO_NAME}_月次サマリー_{MONTH}.html" and entry["login"] == terminal()
    assert not default_path(book).exists()


def test_each_offices_documents_are_logged_under_its_key(tmp_path, capsys):
    """Two offices of one name (their file names carry their 事業所番号): an entry each."""
    folder = tmp_path / "offices"
    folder.mkdir()
    shutil.copy(DEMO, folder / "本町.xlsx")
    other = openpyxl.load_workbook(shutil.copy(DEMO, folder / "駅前.xlsx"))
    next(r for r in other["設定"].iter_rows(min_row=2) if r[0].value == "事業所番号")[1].value = OTHER_KEY
    other.save(folder / "駅前.xlsx")
    open_store(book_path=folder, books=load_source(folder)[0]).close()
    assert main(["report", "minutes", str(folder), "--month", MONTH, "--out", str(tmp_path / "out")]) == 0
    entries = logged(capsys, folder)
    assert {e["office"]: e["document"] for e in entries} == {
        DEMO_KEY: f"{DEMO_NAME}_{DEMO_KEY}_会議録_{MONTH}.html", OTHER_KEY: f"{DEMO_NAME}_{OTHER_KEY}_会議録_{MONTH}.html"}


@pytest.mark.slow
@pytest.mark.skipif(pdf.find_chromium() is None, reason="no Chromium for PDF")
def test_a_pdf_report_is_logged_with_its_format(stored, tmp_path, capsys):
    assert main(["report", "plan", str(stored), "--month", MONTH, "--user", "001", "--format", "pdf",
                 "--out", str(tmp_path / "out")]) == 0
    [entry] = logged(capsys, stored)
    assert entry["document"] == f"{DEMO_NAME}_個別支援計画書_{MONTH}_001.pdf" and entry["detail"] == "2026年10月・PDF"


# --- teichaku export, teichaku billing --out ---------------------------------------------------------------

def test_export_and_a_fee_check_are_logged_as_exported(stored, tmp_path, capsys):
    assert main(["export", str(stored), str(tmp_path / "records.xlsx")]) == 0
    assert main(["billing", str(stored), "--month", MONTH, "--out", str(tmp_path / "fees.xlsx")]) == 0
    records, fees = logged(capsys, stored)
    assert (records["action"], records["action_label"], records["document"]) == ("exported", "書き出し", "records.xlsx")
    assert records["detail"].startswith("会議記録（会議 0件") and records["office"] == DEMO_KEY
    assert (fees["action"], fees["document"], fees["office"]) == ("exported", "fees.xlsx", DEMO_KEY)
    assert fees["detail"].startswith("算定チェック 2026年10月（") and fees["detail"].endswith("人）")
    assert {records["login"], fees["login"]} == {terminal()}


def test_a_fee_check_without_a_store_is_written_and_makes_none(book, tmp_path):
    assert main(["billing", str(book), "--month", MONTH, "--out", str(tmp_path / "fees.xlsx")]) == 0
    assert (tmp_path / "fees.xlsx").exists() and not default_path(book).exists()


def test_a_billing_shown_only_is_not_logged(stored, capsys):
    assert main(["billing", str(stored), "--month", MONTH]) == 0
    assert logged(capsys, stored) == []


# --- a log that cannot be written ------------------------------------------------------------------------

def _refusing(monkeypatch) -> None:
    def refuse(self, *args, **kwargs):
        raise StoreError("アクセス記録を書き込めません（テスト）")
    monkeypatch.setattr(Store, "log_access", refuse)


def test_documents_made_stay_when_the_log_refuses_and_the_command_says_so(stored, tmp_path, capsys, monkeypatch):
    _refusing(monkeypatch)
    out = tmp_path / "out"
    assert main(["report", "minutes", str(stored), "--month", MONTH, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "1件を書き出しました" in captured.out and len(list(out.iterdir())) == 1       # kept
    assert "アクセス記録に書き込めませんでした: アクセス記録を書き込めません（テスト）" in captured.err
    assert "作った帳票（1件）はそのまま残していますが、作ったことは記録に残っていません" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("command", [
    ["export", "{book}", "{out}"],
    ["billing", "{book}", "--month", MONTH, "--out", "{out}"],
], ids=["export", "billing"])
def test_an_export_the_log_refuses_is_not_written(stored, tmp_path, capsys, monkeypatch, command):
    _refusing(monkeypatch)
    out = tmp_path / "out.xlsx"
    assert main([a.format(book=stored, out=out) for a in command]) == 2
    err = capsys.readouterr().err
    assert f"エラー: アクセス記録に書き込めないため、{out} は書き出しませんでした: アクセス記録を書き込めません（テスト）" in err
    assert "Traceback" not in err
    # no file, and no temporary one left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["office.teichaku.sqlite", "office.xlsx"]


def test_a_store_this_user_may_only_read(stored, tmp_path, capsys):
    path = default_path(stored)
    path.chmod(0o400)
    try:
        if os.access(path, os.W_OK):
            pytest.skip("root (os.geteuid() 0, with its capabilities) may write a file whatever its mode")
        out = tmp_path / "out"
        assert main(["report", "minutes", str(stored), "--month", MONTH, "--out", str(out)]) == 2
        captured = capsys.readouterr()
        assert len(list(out.iterdir())) == 1 and "アクセス記録に書き込めませんでした" in captured.err
        assert "Traceback" not in captured.err
        assert main(["export", str(stored), str(tmp_path / "records.xlsx")]) == 2
        assert "アクセス記録に書き込めないため" in capsys.readouterr().err
        assert not (tmp_path / "records.xlsx").exists()
        assert logged(capsys, stored) == []
    finally:
        path.chmod(0o600)
