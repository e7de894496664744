"""The demo data: format-1 workbooks of fictional people, reproducible from a seed.

Read back with openpyxl only (not the package's loader), as a user opening the file would.
Whether the review rules raise each flag on the demo is tested with the rules.
"""

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from teichaku_nb import schema
from teichaku_nb.demo import make_demo

ROOT = Path(__file__).parent.parent
BUNDLED = ROOT / "data" / "demo.xlsx"
END = pd.Period("2026-10", "M")
M0, M1 = dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 31)


def cells(path: Path) -> dict[str, list[list]]:
    """Every sheet's cell values, row by row."""
    workbook = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in workbook.worksheets}


def records(book: dict, title: str) -> list[dict]:
    header, *rows = book[title]
    return [dict(zip(header, row)) for row in rows]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """One office of 24 people over 8 months: every situation of the last month is there."""
    return make_demo(tmp_path_factory.mktemp("demo") / "demo.xlsx", users=24, months=8, seed=1, end=END)[0]


@pytest.fixture(scope="module")
def book(demo) -> dict:
    return cells(demo)


def test_sheets_and_headers_are_those_of_the_schema(book):
    assert list(book) == [schema.SETTINGS_TITLE] + [sheet.title for sheet in schema.TABLES]
    for sheet in schema.TABLES:
        assert book[sheet.title][0] == [column.header for column in sheet.columns], sheet.title
        assert len(book[sheet.title]) > 1, f"{sheet.title} has no rows"
    settings = book[schema.SETTINGS_TITLE]
    assert settings[0] == list(schema.SETTINGS_HEADERS)
    assert [row[0] for row in settings[1:]] == [setting.label for setting in schema.SETTINGS]
    values = dict(row for row in settings[1:])
    assert values["事業所名"] == "デモ就労定着支援センター"
    assert re.fullmatch(r"\d{10}", values["事業所番号"])
    assert values["計画見直し間隔（月）"] == 3 and values["面談間隔警告（日）"] == 30


def test_ids_are_unique_text_and_every_record_names_a_user(book):
    ids = [user["利用者ID"] for user in records(book, "利用者")]
    assert len(ids) == 24 and len(set(ids)) == 24
    assert all(isinstance(i, str) and re.fullmatch(r"\d{3}", i) for i in ids)
    assert ids[0] == "001"
    for sheet in schema.TABLES[1:]:
        assert {row["利用者ID"] for row in records(book, sheet.title)} <= set(ids), sheet.title


def test_cells_have_the_types_of_the_schema(demo):
    workbook = load_workbook(demo)
    for sheet in schema.TABLES:
        ws = workbook[sheet.title]
        for column_index, column in enumerate(sheet.columns):
            for (cell,) in ws.iter_rows(min_row=2, min_col=column_index + 1, max_col=column_index + 1):
                where = f"{sheet.title} {cell.coordinate}"
                if cell.value is None:
                    assert not column.required, f"{where}: required {column.header} is empty"
                elif column.kind == schema.DATE:
                    assert isinstance(cell.value, dt.datetime) and cell.is_date, where
                    assert cell.number_format == "yyyy/mm/dd", where
                elif column.kind == schema.MONTH:
                    assert isinstance(cell.value, str) and re.fullmatch(r"\d{4}-\d{2}", cell.value), where
                elif column.kind == schema.SCORE:
                    assert type(cell.value) is int and 1 <= cell.value <= 5, where
                elif column.kind == schema.CHOICE:
                    assert cell.value in column.choices, where
                elif column.kind in (schema.TEXT, schema.ID):
                    assert isinstance(cell.value, str) and cell.value.strip(), where


def test_records_cover_the_requested_months(book):
    months = {row["年月"] for row in records(book, "勤怠")}
    assert months == {str(END - k) for k in range(8)}
    dates = [row["実施日"] for row in records(book, "面談記録")]
    assert min(dates) >= dt.datetime(2026, 3, 1) and max(dates) <= M1


def test_attendance_adds_up(book):
    rows = records(book, "勤怠")
    for row in rows:
        assert row["出勤日数"] + (row["欠勤"] or 0) <= row["所定日数"] <= 31, row
        assert min(row["出勤日数"], row["遅刻"], row["早退"], row["欠勤"]) >= 0, row
    keys = [(row["利用者ID"], row["年月"]) for row in rows]
    assert len(keys) == len(set(keys)), "one 勤怠 row per person and month"


def test_same_seed_same_cells_and_file_other_seed_other_cells(tmp_path):
    a, b, c = (make_demo(tmp_path / name, users=12, months=4, seed=seed, end=END)[0]
               for name, seed in (("a.xlsx", 7), ("b.xlsx", 7), ("c.xlsx", 8)))
    assert cells(a) == cells(b)
    assert a.read_bytes() == b.read_bytes(), "timestamps are fixed, so the files are equal too"
    assert cells(a) != cells(c)
    assert load_workbook(a).properties.modified == dt.datetime(2026, 11, 1)


def test_users_are_split_across_office_workbooks(tmp_path):
    paths = make_demo(tmp_path / "offices", users=10, offices=3, months=3, seed=1, end=END)
    assert [p.name for p in paths] == ["事業所01.xlsx", "事業所02.xlsx", "事業所03.xlsx"]
    assert sorted(p.name for p in (tmp_path / "offices").iterdir()) == [p.name for p in paths]
    books = [cells(p) for p in paths]
    assert [len(records(b, "利用者")) for b in books] == [4, 3, 3]
    names = [dict(row for row in b[schema.SETTINGS_TITLE][1:])["事業所名"] for b in books]
    assert len(set(names)) == 3 and all(name.startswith("デモ就労定着支援センター") for name in names)
    for b in books:
        ids = [user["利用者ID"] for user in records(b, "利用者")]
        assert ids == [f"{i:03d}" for i in range(1, len(ids) + 1)]


def test_one_xlsx_holds_one_office(tmp_path):
    with pytest.raises(ValueError):
        make_demo(tmp_path / "demo.xlsx", users=10, offices=2)


def test_default_end_is_last_month(tmp_path):
    path = make_demo(tmp_path / "demo.xlsx", users=3, months=2)[0]
    last = pd.Period(dt.date.today(), "M") - 1
    assert {row["年月"] for row in records(cells(path), "勤怠")} <= {str(last), str(last - 1)}


def test_notes_hold_payloads_for_escaping_tests(book):
    notes = [row["内容"] or "" for row in records(book, "面談記録")]
    assert any("<script>window.__xss=1</script>" in n for n in notes)
    assert any('<img src=x onerror="window.__xss=1">' in n for n in notes)
    assert any("\n" in n for n in notes)


def test_the_last_month_has_its_situations(book):
    users = {u["利用者ID"]: u for u in records(book, "利用者")}
    contacts = records(book, "面談記録")
    attendance = records(book, "勤怠")
    in_m = [c for c in contacts if c["実施日"] >= M0]

    expired = [u for u in users.values() if u["受給者証有効期限"] and u["受給者証有効期限"] < M0]
    assert any(u["状況"] == "利用中" for u in expired)
    assert any(u["受給者証有効期限"] and M0 <= u["受給者証有効期限"] <= M1 for u in users.values())

    starting = [u for u in users.values()
                if u["支援開始日"] is None and u["就職日"].year * 12 + u["就職日"].month == 2026 * 12 + 11 - 6]
    assert starting and all(u["状況"] == "利用中" for u in starting)

    left = [u for u in users.values() if u["状況"] == "離職"]
    assert left and all(u["離職日"] and u["離職理由"] and u["離職日"] < M0 for u in left)
    for u in left:
        later = [r for r in contacts if r["利用者ID"] == u["利用者ID"] and r["実施日"] > u["離職日"]]
        assert not later, f"{u['利用者ID']} has contacts after leaving"
    assert any(u["状況"] == "支援終了" for u in users.values())

    high = [a for a in attendance if a["年月"] == str(END) and a["欠勤"] / a["所定日数"] >= 0.20]
    assert high
    planned = {p["利用者ID"] for p in records(book, "支援計画")}
    assert any(u["状況"] == "利用中" and i not in planned and i not in {s["利用者ID"] for s in starting}
               for i, u in users.items())
    reported = {r["利用者ID"] for r in records(book, "支援レポート") if r["対象年月"] == str(END)}
    with_m_rows = {a["利用者ID"] for a in attendance if a["年月"] == str(END)}
    assert with_m_rows - reported, "someone's report for the last month is missing"
    assert len(reported) >= len(with_m_rows) - 2, "most reports for the last month are recorded"

    face = {c["利用者ID"] for c in in_m if c["方法"] in schema.FACE_TO_FACE and c["相手"] in schema.PARTY_WITH_USER}
    phone_only = {c["利用者ID"] for c in in_m if c["方法"] == "電話" and c["相手"] == "本人"} - face
    assert phone_only, "someone only had a phone call with 本人 in the last month"
    assert any(min(c[h] for h in ("体調", "睡眠", "気分", "人間関係", "業務")) <= 2
               for c in in_m if c["体調"] is not None)


def test_the_bundled_demo_is_up_to_date(tmp_path):
    fresh = make_demo(tmp_path / "demo.xlsx", users=30, months=12, seed=1, end=END)[0]
    assert cells(BUNDLED) == cells(fresh), \
        "data/demo.xlsx is out of date: run `teichaku demo data/demo.xlsx --users 30 --months 12 --seed 1 --end 2026-10 --force`"


def test_a_fresh_demo_validates_with_no_problems_and_nothing_after_today(tmp_path, capsys):
    from teichaku_nb import cli

    out = tmp_path / "demo.xlsx"
    assert cli.main(["demo", str(out)]) == 0                       # default: up to last month
    assert cli.main(["validate", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert report["ok"] and report["problems"] == []
    sent = pd.read_excel(out, sheet_name="支援レポート", engine="calamine")["送付日"]
    assert pd.to_datetime(sent).max().date() <= dt.date.today()
    # a last month that is not over yet would put dates in the future: refused
    this_month = pd.Period(dt.date.today(), "M").strftime("%Y-%m")
    assert cli.main(["demo", str(tmp_path / "later.xlsx"), "--end", this_month]) == 2
    assert "先月以前" in capsys.readouterr().err and not (tmp_path / "later.xlsx").exists()
