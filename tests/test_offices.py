"""An office is an identity, not a name: the store keeps records under the office's key (its
事業所番号, or its name without one), two offices of one name never share a record or a file
name, and records an earlier version kept under the name move to the number once."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from teichaku_nb import cli
from teichaku_nb import report_views as views
from teichaku_nb.store import Review, open_store
from teichaku_nb.workbook import load_source

from helpers_demo import DEMO, DEMO_KEY, DEMO_NAME

MONTH = pd.Period("2026-10", freq="M")
PERSON = "004"                  # 企業共有同意 はい in the demo


def _with_number(book: Path, number: str) -> Path:
    wb = openpyxl.load_workbook(book)
    ws = wb["設定"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "事業所番号")
    row[1].value = number
    wb.save(book)
    return book


@pytest.fixture
def namesakes(tmp_path) -> Path:
    """A folder of two offices both called デモ就労定着支援センター, told apart by 事業所番号."""
    folder = tmp_path / "offices"
    folder.mkdir()
    shutil.copy(DEMO, folder / "本町.xlsx")
    _with_number(shutil.copy(DEMO, folder / "駅前.xlsx"), "9900000002")
    return folder


def test_two_offices_of_one_name_never_share_a_record(namesakes):
    books, _ = load_source(namesakes)
    here, there = books
    assert here.office == there.office == DEMO_NAME and (here.key, there.key) == (DEMO_KEY, "9900000002")
    with open_store(book_path=namesakes, books=books) as store:
        for book, words in ((here, "本町の本人への文"), (there, "駅前の本人への文")):
            store.save_review(Review(book.key, PERSON, MONTH, health=f"{words}（心身）", to_person=words), by="田村", expected_version=None)
        own = {b.key: views.support_report_html(b, MONTH, PERSON, "本人", store=store) for b in books}
        minutes = {b.key: views.minutes_html(b, MONTH, store=store) for b in books}
    assert "本町の本人への文" in own[here.key] and "駅前" not in own[here.key]
    assert "駅前の本人への文" in own[there.key] and "本町" not in own[there.key]
    assert "駅前" not in minutes[here.key] and "本町" not in minutes[there.key]


def test_two_offices_of_one_name_never_write_one_file_name(namesakes, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["report", "minutes", str(namesakes), "--month", "2026-10", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"{DEMO_NAME}_{DEMO_KEY}_会議録_2026-10.html", f"{DEMO_NAME}_9900000002_会議録_2026-10.html"])
    assert "2件を書き出しました" in capsys.readouterr().out
    # --office by name is ambiguous: the numbers are asked for; by number it is one office
    assert cli.main(["report", "summary", str(namesakes), "--month", "2026-10", "--office", DEMO_NAME,
                     "--out", str(tmp_path / "one")]) == 2
    assert f"事業所番号（{DEMO_KEY}、9900000002）で指定してください" in capsys.readouterr().err
    assert cli.main(["report", "summary", str(namesakes), "--month", "2026-10", "--office", "9900000002",
                     "--out", str(tmp_path / "one")]) == 0
    assert [p.name for p in (tmp_path / "one").iterdir()] == [f"{DEMO_NAME}_9900000002_月次サマリー_2026-10.html"]


def test_two_workbooks_claiming_one_office_are_refused_naming_both(tmp_path, capsys):
    folder = tmp_path / "offices"
    folder.mkdir()
    shutil.copy(DEMO, folder / "本町.xlsx")
    shutil.copy(DEMO, folder / "本町（古い）.xlsx")
    assert cli.main(["report", "minutes", str(folder), "--month", "2026-10", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"本町.xlsx・本町（古い）.xlsx が同じ事業所（事業所番号 {DEMO_KEY}）のケース記録になっています" in err
    assert not (tmp_path / "out").exists()


def test_records_kept_under_the_name_move_to_the_number_once(tmp_path):
    book = tmp_path / "office.xlsx"
    shutil.copy(DEMO, book)
    with open_store(book_path=book) as old:            # as an earlier version kept them: by name
        old.save_review(Review(DEMO_NAME, PERSON, MONTH, to_person="前の版で書いた文"), by="田村", expected_version=None)
    books, _ = load_source(book)
    with open_store(book_path=book, books=books) as store:
        assert store.review(DEMO_KEY, PERSON, MONTH).to_person == "前の版で書いた文"
        assert store.review(DEMO_NAME, PERSON, MONTH) is None
        assert [h.office for h in store.history(DEMO_KEY)] == [DEMO_KEY]
    # two offices of that name in one source: nobody can tell whose the old records were
    folder = tmp_path / "namesakes"
    folder.mkdir()
    first = shutil.copy(DEMO, folder / "本町.xlsx")
    _with_number(shutil.copy(DEMO, folder / "駅前.xlsx"), "9900000002")
    with open_store(book_path=folder) as old:
        old.save_review(Review(DEMO_NAME, "005", MONTH, to_person="どちらの記録か分からない"), by="田村", expected_version=None)
    with open_store(book_path=folder, books=load_source(folder)[0]) as store:
        assert store.review(DEMO_NAME, "005", MONTH).to_person == "どちらの記録か分からない"
        assert store.review(DEMO_KEY, "005", MONTH) is None and store.review("9900000002", "005", MONTH) is None
    assert first.exists()
