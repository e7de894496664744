"""The command line with the conference store: `review --db`, the default database beside
the workbook, and `teichaku export`."""

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from teichaku_nb.cli import main
from teichaku_nb.store import Action, Review, default_path, open_store
from helpers_demo import DEMO_KEY

DEMO = Path(__file__).resolve().parents[1] / "teichaku_nb" / "demo" / "demo.xlsx"
OFFICE = DEMO_KEY                      # the store keeps the demo office's records under its 事業所番号
MONTH = "2026-10"
NOT_SHARED = "005"          # the demo's person whose October 支援レポート is not in the workbook


@pytest.fixture
def book(tmp_path):
    copy = tmp_path / "office.xlsx"
    shutil.copy(DEMO, copy)
    return copy


def review_json(capsys, *args) -> tuple[int, dict, str]:
    code = main(["review", *map(str, args), "--month", MONTH, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def codes(result: dict, user_id: str) -> list[str]:
    case = next(c for c in result["cases"] if c["user_id"] == user_id)
    return [f["code"] for f in case["flags"]]


def test_review_without_a_store_reads_the_workbook_and_creates_no_database(book, capsys):
    code, result, err = review_json(capsys, book)
    assert code == 0
    assert "report_not_shared" in codes(result, NOT_SHARED)
    assert "会議記録のデータベース" not in err
    assert not default_path(book).exists()


def test_a_report_recorded_in_the_default_store_clears_the_flag(book, capsys):
    with open_store(book_path=book) as store:
        store.record_report(OFFICE, NOT_SHARED, MONTH, "本人", by="田村", sent_on=dt.date(2026, 10, 30))
    code, result, err = review_json(capsys, book)
    assert code == 0
    assert "report_not_shared" not in codes(result, NOT_SHARED)
    assert f"会議記録のデータベース: {default_path(book)}" in err


def test_an_overdue_open_action_in_the_store_is_flagged_with_its_content(book, tmp_path, capsys):
    db = tmp_path / "elsewhere.sqlite"
    with open_store(str(db)) as store:
        store.add_action(Action(office=OFFICE, user_id="001", month=pd.Period("2026-09", "M"),
                                content="主治医に<b>睡眠</b>の相談", owner="田村", due_on=dt.date(2026, 10, 15)),
                         by="田村")
    code, result, _ = review_json(capsys, book, "--db", db)
    assert code == 0
    case = next(c for c in result["cases"] if c["user_id"] == "001")
    overdue = [f for f in case["flags"] if f["code"] == "overdue_action"]
    assert overdue and "主治医に<b>睡眠</b>の相談" in overdue[0]["message"]
    _, result, _ = review_json(capsys, book)      # the default store does not exist: no flag
    assert "overdue_action" not in codes(result, "001")


def test_a_missing_database_file_is_an_error_and_is_not_created(book, tmp_path, capsys):
    missing = tmp_path / "typo.sqlite"
    assert main(["review", str(book), "--month", MONTH, "--db", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"会議記録のデータベースが見つかりません: {missing}" in err and "Traceback" not in err
    assert not missing.exists()


def test_export_writes_every_record_kind_with_japanese_headers(book, tmp_path, capsys):
    payload = "<script>alert(1)</script>=SUM(A1)"
    with open_store(book_path=book) as store:
        store.save_review(Review(office=OFFICE, user_id="002", month=pd.Period(MONTH, "M"),
                                 workplace=payload, policy="週1回の電話を続ける"), by="田村", expected_version=None)
        store.add_action(Action(office=OFFICE, user_id="002", month=pd.Period(MONTH, "M"),
                                content="企業と面談", owner="佐藤", due_on=dt.date(2026, 11, 20)), by="田村")
        store.record_report(OFFICE, "002", MONTH, "本人・企業", by="田村", sent_on=dt.date(2026, 10, 31))
        store.record_handover(OFFICE, "002", "shared", by="田村", done_on=dt.date(2026, 10, 20), party="関係機関",
                              with_whom="架空市 障害福祉課 小林")
    out = tmp_path / "records.xlsx"
    assert main(["export", str(book), str(out)]) == 0
    assert "会議記録を書き出しました" in capsys.readouterr().out
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["会議", "ケース検討", "役割分担", "支援レポート送付", "引継ぎ", "就労確認", "モニタリング",
                                  "個別支援計画", "変更履歴"]
    reviews = list(workbook["ケース検討"].values)
    header, row = reviews[0], dict(zip(reviews[0], reviews[1]))
    assert "利用者ID" in header and "方針" in header
    assert row["利用者ID"] == "002" and row["方針"] == "週1回の電話を続ける"
    assert payload in row.values()                     # verbatim, and not turned into a formula
    actions = [dict(zip(*[list(workbook["役割分担"].values)[0], r])) for r in list(workbook["役割分担"].values)[1:]]
    assert [(a["内容"], a["担当"]) for a in actions] == [("企業と面談", "佐藤")]
    assert workbook["支援レポート送付"].max_row == 2
    assert workbook["変更履歴"].max_row > 3
    handovers = list(workbook["引継ぎ"].values)
    assert "引継ぎの共有" in handovers[1] and "架空市 障害福祉課 小林" in handovers[1]
    history = [row for row in workbook["変更履歴"].values if row[4] == "引継ぎ"]
    assert ("種別", None, "引継ぎの共有") in [row[-3:] for row in history]      # Japanese, not the code


def test_the_bundled_demo_keeps_its_records_in_the_user_data_folder(capsys):
    path = default_path(DEMO)
    assert path.parent == Path(os.environ["XDG_DATA_HOME"]) / "teichaku"
    assert not path.is_relative_to(DEMO.parents[1])          # never inside the checkout
    with open_store(book_path=DEMO) as store:
        store.record_report(OFFICE, NOT_SHARED, MONTH, "本人", by="田村", sent_on=dt.date(2026, 10, 30))
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    code, result, err = review_json(capsys, DEMO)
    assert "report_not_shared" not in codes(result, NOT_SHARED) and str(path) in err
    path.unlink()


def test_export_without_a_store_says_where_it_looked(book, tmp_path, capsys):
    assert main(["export", str(book), str(tmp_path / "x.xlsx")]) == 2
    err = capsys.readouterr().err
    assert str(default_path(book)) in err and "--db" in err
    assert not (tmp_path / "x.xlsx").exists()
