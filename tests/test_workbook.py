"""The loader: every source, every tolerance, every problem code with sheet, row and column
(docs/workbook-format.md)."""

import csv
import datetime as dt
import shutil
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from teichaku_nb import schema
from teichaku_nb.workbook import casebook_from_records, load_casebook, load_source

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import make_fixtures  # noqa: E402  (the rows the messy fixtures were made from)

TODAY = dt.date(2026, 11, 26)

# What the messy workbook holds wrong: (severity, sheet, row as Excel shows it, column, code).
MESSY_PROBLEMS = {
    ("warning", "利用者", 4, "メモ", "unknown_column"),
    ("error", "利用者", 10, "利用者ID", "duplicate_id"),
    ("error", "利用者", 11, "氏名", "empty_required"),
    ("error", "利用者", 12, "就職日", "bad_date"),
    ("error", "利用者", 13, "障害種別", "bad_choice"),
    ("error", "利用者", 13, "週所定労働時間", "out_of_range"),
    ("error", "利用者", 14, "離職日", "inconsistent"),
    ("error", "利用者", 15, "離職日", "inconsistent"),
    ("warning", "利用者", 17, "就職日", "future_date"),
    ("error", "面談記録", 3, "利用者ID", "unknown_user"),
    ("error", "面談記録", 4, "実施日", "inconsistent"),
    ("error", "面談記録", 5, "体調", "out_of_range"),
    ("error", "面談記録", 6, "実施日", "bad_date"),
    ("error", "面談記録", 7, "方法", "bad_choice"),
    ("warning", "面談記録", 8, "実施日", "future_date"),
    ("error", "面談記録", 9, "相手", "empty_required"),
    ("error", "勤怠", 4, "年月", "duplicate_id"),
    ("error", "勤怠", 5, "出勤日数", "inconsistent"),
    ("error", "勤怠", 6, "年月", "bad_month"),
    ("error", "勤怠", 7, "所定日数", "bad_number"),
    ("error", "支援計画", 1, "目標", "missing_column"),
    ("warning", "メモ", None, None, "unknown_sheet"),
}


def located(book):
    return {(p.severity, p.sheet, p.row, p.column, p.code) for p in book.problems}


def write_csv_folder(folder: Path, encoding: str) -> Path:
    """The messy workbook's sheets as CSV files, the way Excel saves them."""
    folder.mkdir()
    sheets = {"利用者": [["利用者一覧（テスト用の架空の人物）"], ["※ 色つきの列は必須"], []] + make_fixtures.USERS,
              "面談記録": make_fixtures.CONTACTS, "勤怠": make_fixtures.ATTENDANCE,
              "支援計画": make_fixtures.PLANS, "設定": make_fixtures.SETTINGS,
              "メモ": [["このシートは読み飛ばされます"]]}
    for title, rows in sheets.items():
        with (folder / f"{title}.csv").open("w", encoding=encoding, newline="") as f:
            writer = csv.writer(f)
            for row in rows:
                writer.writerow(["" if v is None else v.strftime("%Y/%m/%d") if isinstance(v, dt.date) else v
                                 for v in row])
    return folder


MESSY_SOURCES = ["messy.xlsx", "messy.xlsm", "messy.ods", "messy.xls", "csv-utf-8-sig", "csv-cp932", "csv-utf-8"]


@pytest.fixture(params=MESSY_SOURCES)
def messy(request, tmp_path):
    name = request.param
    if name.startswith("csv-"):
        path = write_csv_folder(tmp_path / "ケース記録", name.removeprefix("csv-"))
    else:
        path = FIXTURES / name
    return load_casebook(path, today=TODAY)


def test_every_problem_is_found_with_sheet_row_and_column(messy):
    assert located(messy) == MESSY_PROBLEMS


def test_messages_are_japanese_and_say_where_and_what(messy):
    by_code = {(p.sheet, p.row, p.code): p.message for p in messy.problems}
    assert by_code[("面談記録", 3, "unknown_user")] == "面談記録 3行目「利用者ID」: U099 は利用者シートにありません"
    assert "身体 / 知的 / 精神 / 発達 / 難病 / その他" in by_code[("利用者", 13, "bad_choice")]
    assert "「2023/02/30」という日付はありません" in by_code[("利用者", 12, "bad_date")]
    assert "5行目と重複" in by_code[("利用者", 10, "duplicate_id")]
    assert "6 は範囲外です（1〜5）" in by_code[("面談記録", 5, "out_of_range")]
    assert "出勤日数 19 と欠勤 3 の合計が所定日数 20 を超えています" in by_code[("勤怠", 5, "inconsistent")]


def test_tolerances_give_typed_normalised_values(messy):
    users = messy.users.set_index("user_id")
    assert list(users.index) == ["001", "002", "003", "004", "008", "009", "010", "011", "012"]
    assert users.loc["001", "name"] == "山田 花子"            # full-width space, trailing space
    assert users.loc["001", "staff"] == "佐藤"                # leading space
    assert users.loc["001", "employer"] == "アオバ商事"        # half-width kana
    hired = users["hired_on"].dt.date
    assert hired["001"] == dt.date(2022, 4, 1)                # a date cell shown in 和暦
    assert hired["002"] == dt.date(2023, 10, 1)               # R5.10.1
    assert hired["003"] == dt.date(2019, 4, 30)               # H31/4/30
    assert hired["004"] == dt.date(2019, 5, 1)                # 令和元年5月1日
    assert hired["011"] == dt.date(2024, 10, 1)               # full-width digits
    assert users.loc["001", "weekly_hours"] == 20.0           # 20時間
    assert users.loc["002", "weekly_hours"] == 30.0           # ３０
    assert users.loc["001", "certificate_until"].date() == dt.date(2026, 3, 31)
    assert users.loc["002", "left_on"].date() == dt.date(2025, 2, 28)
    # defaults: support from 6 months after hiring to 3 years 6 months − 1 day
    assert users.loc["001", "support_start"].date() == dt.date(2022, 10, 1)
    assert users.loc["001", "support_end"].date() == dt.date(2025, 9, 30)
    assert users.loc["001", "employer_consent"] == "いいえ"
    assert users.loc["002", "employer_consent"] == "はい"
    assert users.loc["008", "disability"] is pd.NA or pd.isna(users.loc["008", "disability"])  # bad choice: emptied

    contacts = messy.contacts
    first = contacts.iloc[0]
    assert first["row"] == 2 and first["mood"] == 5                    # "５"
    assert first["notes"] == "<script>alert(1)</script>"                # kept verbatim
    assert first["next_on"].date() == dt.date(2025, 5, 8)               # R7.5.8
    assert contacts.loc[contacts["user_id"] == "003", "notes"].item() == "改行を含む\n記録"
    assert "U099" not in set(contacts["user_id"])
    assert pd.isna(contacts.loc[contacts["row"] == 5, "health"].item())  # 6 is out of range: emptied

    attendance = messy.attendance.set_index("row")
    assert attendance.loc[3, "month"] == pd.Period("2025-04", "M")     # 2025年4月
    assert attendance.loc[3, "scheduled_days"] == 20 and attendance.loc[3, "worked_days"] == 18  # 20日, 18日
    assert attendance.loc[5, "month"] == pd.Period("2025-05", "M")     # R7.5
    assert attendance.loc[8, "late"] == 1 and attendance.loc[8, "left_early"] == 0  # 1回, default 0
    assert 4 not in attendance.index                                     # the duplicate month is left out

    assert messy.settings.office == "テスト事業所"
    assert messy.settings.contact_gap_days == 45                         # 45日
    assert messy.settings.plan_review_months == 3                        # default
    assert messy.counts["利用者"] == 12 and messy.counts["面談記録"] == 9


def test_types_after_loading(messy):
    assert messy.users["user_id"].dtype == "str"
    assert str(messy.users["hired_on"].dtype).startswith("datetime64")
    assert str(messy.attendance["month"].dtype) == "period[M]"
    assert messy.contacts["health"].dtype == "Int64"
    assert messy.plans.empty and list(messy.reports.columns)[1:] == [c.name for c in schema.REPORTS.columns]


def test_ids_typed_as_numbers_come_back_as_text(tmp_path):
    workbook = Workbook()
    ws = workbook.active
    ws.title = "利用者"
    ws.append([c.header for c in schema.USERS.columns])
    ws.append([7, "架空 太郎", None, "佐藤", None, None, dt.date(2024, 1, 1), "A社", None, None, None,
               None, None, None, "利用中"])
    ws.append(["007", "架空 花子", None, "佐藤", None, None, dt.date(2024, 1, 1), "A社", None, None, None,
               None, None, None, "利用中"])
    workbook.create_sheet("面談記録").append([c.header for c in schema.CONTACTS.columns])
    workbook.save(tmp_path / "book.xlsx")
    book = load_casebook(tmp_path / "book.xlsx", today=TODAY)
    assert list(book.users["user_id"]) == ["7", "007"]
    assert book.ok


def test_a_missing_required_sheet(tmp_path):
    book = casebook_from_records({"users": []})
    assert located(book) == {("error", "面談記録", None, None, "missing_sheet")}
    assert book.problems[0].message == "面談記録: 必須のシート「面談記録」がありません"


def test_a_sheet_without_any_header_row():
    records = {"users": [], "contacts": []}
    book = casebook_from_records(records)
    assert book.ok
    from teichaku_nb.reading import RawSheet
    from teichaku_nb.workbook import build_casebook
    book = build_casebook([RawSheet("利用者", [["名簿"], ["a", "b"]]), RawSheet("面談記録", [])],
                          source=Path("x.xlsx"), office="x", today=TODAY)
    missing = {(p.sheet, p.column) for p in book.problems if p.code == "missing_column"}
    assert ("利用者", "利用者ID") in missing and ("面談記録", "実施日") in missing


def test_sheet_order_and_extra_columns_do_not_matter():
    book = casebook_from_records({
        "利用者": [{"状況": "利用中", "利用者ID": "A1", "氏名": "架空 一", "担当支援員": "佐藤",
                  "就職日": "2024/4/1", "企業名": "A社"}],
        "面談記録": [{"user_id": "A1", "date": "R6.11.1", "method": "対面", "party": "本人", "staff": "佐藤"}],
    }, today=TODAY)
    assert book.ok and book.contacts["date"].dt.date.tolist() == [dt.date(2024, 11, 1)]


def test_settings_with_bad_values_fall_back_to_defaults():
    book = casebook_from_records({"users": [], "contacts": []},
                                 settings={"plan_review_months": "六", "contact_gap_days": 0, "謎の項目": 1})
    assert book.settings.plan_review_months == 3 and book.settings.contact_gap_days == 30
    assert {p.code for p in book.problems} == {"bad_number", "out_of_range", "unknown_column"}
    assert all(p.sheet == "設定" and p.row for p in book.problems)


# --- format 2 -------------------------------------------------------------------------------------

FORMAT_2_COLUMNS = [(sheet.name, column.name) for sheet in schema.TABLES for column in sheet.columns
                    if max(sheet.since, column.since) >= 2]
PERSON = {"user_id": "001", "name": "架空 一", "staff": "佐藤", "hired_on": "2024/4/1", "employer": "A社",
          "status": "利用中"}


def _contact(day: str, **cells) -> dict:
    return {"user_id": "001", "date": day, "method": "対面", "party": "本人", "staff": "佐藤"} | cells


def test_a_format_1_book_loads_with_the_same_problems_as_before(messy):
    """The messy books have none of format 2's columns, sheets or settings: exactly the problems
    listed above, no new one, and the book says which columns it lacks."""
    assert located(messy) == MESSY_PROBLEMS
    assert FORMAT_2_COLUMNS and not any(messy.has(table, column) for table, column in FORMAT_2_COLUMNS)
    assert messy.has("users", "user_id") and messy.has("contacts", "party") and messy.has("attendance", "late")
    assert not messy.has("attendance", "left_early")                 # a format 1 column the book lacks
    assert messy.employment_checks.empty
    assert list(messy.employment_checks.columns) == ["row"] + [c.name for c in schema.EMPLOYMENT_CHECKS.columns]
    assert set(messy.contacts["kind"]) == {"定例"}                    # no 区分 column: every contact is 定例
    assert messy.users["needs_continuing"].isna().all() and messy.users["contract_on"].isna().all()
    settings = messy.settings
    assert (settings.unit_price, settings.service_manager, settings.handover_policy) == (10.0, "", None)


def test_format_2_columns_sheet_and_settings_are_read_with_the_same_tolerance():
    book = casebook_from_records({
        "users": [PERSON | {"contract_on": "2024/9/20", "decision_start": "R6.10.1", "needs_continuing": " は い ",
                            "handover_consent_on": "2026年5月1日", "service_end": None}],
        "contacts": [_contact("2026/6/1", party="企業", method="電話", kind="引継ぎ"), _contact("2026/6/2"),
                     _contact("2026/6/3", kind="定例"), _contact("2026/6/4", kind="\u3000その他 ")],
        "plans": [{"user_id": "001", "plan_date": "2026/6/1", "domain": "職場", "goal": "報告を自分からする",
                   "status": "取組中", "consent_on": "R8.6.3", "delivered_on": "2026-06-04"}],
        "employment_checks": [{"user_id": "001", "checked_on": "2026/10/5", "employment": "継続", "method": "企業"}],
    }, settings={"unit_price": "11.20", "service_manager": "佐藤\u3000一郎", "handover_policy": "はい"}, today=TODAY)
    assert book.problems == []
    user = book.users.iloc[0]
    assert user["contract_on"].date() == dt.date(2024, 9, 20) and user["decision_start"].date() == dt.date(2024, 10, 1)
    assert user["needs_continuing"] == "はい" and user["handover_consent_on"].date() == dt.date(2026, 5, 1)
    assert pd.isna(user["service_end"])
    assert book.contacts["kind"].tolist() == ["引継ぎ", "定例", "定例", "その他"]     # blank is 定例
    plan = book.plans.iloc[0]
    assert (plan["consent_on"].date(), plan["delivered_on"].date()) == (dt.date(2026, 6, 3), dt.date(2026, 6, 4))
    check = book.employment_checks.iloc[0]
    assert (check["user_id"], check["checked_on"].date(), check["employment"], check["method"]) == \
        ("001", dt.date(2026, 10, 5), "継続", "企業")
    assert book.counts["就労確認"] == 1
    assert (book.settings.unit_price, book.settings.service_manager, book.settings.handover_policy) == \
        (11.2, "佐藤 一郎", "はい")
    assert all(book.has(*column) for column in [("users", "contract_on"), ("users", "service_end"),
                                                ("contacts", "kind"), ("plans", "delivered_on"),
                                                ("employment_checks", "remarks")])
    assert not book.has("reports", "recipient")                      # no 支援レポート sheet


def test_format_2_problems_are_the_format_1_codes_with_japanese_messages():
    book = casebook_from_records({
        "users": [PERSON | {"needs_continuing": "たぶん", "handover_consent_on": "2027/1/5"}],
        "contacts": [_contact("2026/6/1", kind="臨時")],
        "employment_checks": [{"user_id": "001", "checked_on": "2026/10/5", "employment": "継続"},
                              {"user_id": "999", "checked_on": "2026/10/6", "employment": "継続"},
                              {"user_id": "001", "checked_on": "2026/10/7", "employment": "転職"}],
    }, settings={"unit_price": "十円", "service_manager": "佐藤", "handover_policy": "たぶん"}, today=TODAY)
    assert located(book) == {
        ("error", "利用者", 2, "要継続支援", "bad_choice"),
        ("warning", "利用者", 2, "引継ぎ同意日", "future_date"),
        ("error", "面談記録", 2, "区分", "bad_choice"),
        ("error", "就労確認", 3, "利用者ID", "unknown_user"),
        ("error", "就労確認", 4, "就労状況", "bad_choice"),
        ("error", "設定", 2, "値", "bad_number"),
        ("error", "設定", 4, "値", "bad_choice"),
    }
    messages = {(p.sheet, p.row, p.code): p.message for p in book.problems}
    assert messages[("就労確認", 3, "unknown_user")] == "就労確認 3行目「利用者ID」: 999 は利用者シートにありません"
    assert messages[("設定", 4, "bad_choice")] == \
        "設定 4行目「値」: 「引継ぎの指針」: 「たぶん」は選べません。選べるのは はい / いいえ です"
    assert "数値で入力してください（既定値 10.0 を使います）" in messages[("設定", 2, "bad_number")]
    # the rows stay (an optional cell emptied), the row with a wrong required choice is left out
    assert len(book.users) == 1 and pd.isna(book.users.iloc[0]["needs_continuing"])
    assert len(book.contacts) == 1 and book.contacts.iloc[0]["kind"] != "引継ぎ"
    assert book.employment_checks["row"].tolist() == [2]
    assert (book.settings.unit_price, book.settings.handover_policy) == (10.0, None)
    assert [p.sheet for p in book.problems] == ["利用者", "利用者", "面談記録", "就労確認", "就労確認", "設定", "設定"]


# --- sources that cannot be read ---------------------------------------------------------------

def _truncated(tmp_path):
    data = (FIXTURES / "messy.xlsx").read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def _file(name: str, data: bytes):
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(data)
        return tmp / name
    return make


def _undecodable_csv_folder(tmp: Path) -> Path:
    (tmp / "b").mkdir()
    (tmp / "b" / "利用者.csv").write_bytes(b"\x82\xa0\x81\x20")
    return tmp / "b"


@pytest.mark.parametrize("make, fragment", [
    (lambda tmp: tmp / "ない.xlsx", "見つかりません"),
    (_file("empty.xlsx", b""), "空のファイル"),
    (_file("random.xlsx", bytes(range(256)) * 40), "開けません"),
    (_truncated, "開けません"),
    (lambda tmp: FIXTURES / "protected.xlsx", "パスワード"),
    (_file("notes.txt", "メモ".encode()), "表計算のファイルではありません"),
    (_file("利用者.csv", "利用者ID\n".encode()), "フォルダ"),
    (lambda tmp: tmp, "CSVファイルがありません"),
    (_undecodable_csv_folder, "文字コード"),
], ids=["missing", "empty", "random-bytes", "truncated", "password", "not-a-spreadsheet", "single-csv",
        "empty-folder", "undecodable-csv"])
def test_an_unreadable_source_is_one_clear_problem(tmp_path, make, fragment):
    book = load_casebook(make(tmp_path), today=TODAY)
    assert [(p.severity, p.code) for p in book.problems] == [("error", "unreadable")]
    assert fragment in book.problems[0].message
    assert book.users.empty and book.contacts.empty


# --- a folder of offices ------------------------------------------------------------------------

def messy_office(target: Path, office: str) -> Path:
    """The messy workbook with another 事業所名 in 設定 (changed in the file's XML, so that the
    copy is the same workbook in every other respect)."""
    with zipfile.ZipFile(FIXTURES / "messy.xlsx") as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace("テスト事業所".encode(), office.encode())
            out.writestr(item, data)
    return target


def test_a_folder_of_office_workbooks_gives_one_casebook_per_office(tmp_path):
    for name in ("東", "西"):
        messy_office(tmp_path / f"{name}.xlsx", f"{name}事業所")
    (tmp_path / "~$東.xlsx").write_bytes(b"lock")          # Excel's lock file is not an office
    books, is_offices = load_source(tmp_path, today=TODAY)
    assert is_offices and [b.source.name for b in books] == ["東.xlsx", "西.xlsx"]
    assert all(located(b) == MESSY_PROBLEMS for b in books)
    assert [b.key for b in books] == ["東事業所", "西事業所"]        # no 事業所番号: the name tells them apart


def test_two_workbooks_of_a_folder_claiming_one_office_are_both_refused_naming_both(tmp_path):
    shutil.copy(FIXTURES / "messy.xlsx", tmp_path / "本店.xlsx")
    shutil.copy(FIXTURES / "messy.xlsx", tmp_path / "本店のコピー.xlsx")
    messy_office(tmp_path / "別の事業所.xlsx", "別の事業所")
    books, _ = load_source(tmp_path, today=TODAY)
    refused = {b.source.name: b.unreadable[0].message for b in books if b.unreadable}
    assert set(refused) == {"本店.xlsx", "本店のコピー.xlsx"}
    for message in refused.values():
        assert "本店.xlsx・本店のコピー.xlsx が同じ事業所（事業所名「テスト事業所」（事業所番号なし）" in message
    assert not next(b for b in books if b.source.name == "別の事業所.xlsx").unreadable


def test_a_large_folder_read_side_by_side_gives_the_same_casebooks_in_order(tmp_path, monkeypatch):
    from teichaku_nb import workbook

    monkeypatch.setattr(workbook.os, "cpu_count", lambda: 2)          # two workers, whatever the machine
    names = [f"事業所{k:02d}.xlsx" for k in range(workbook.PARALLEL_FROM)]
    for name in names:
        messy_office(tmp_path / name, name.removesuffix(".xlsx"))
    source = workbook.read_source(tmp_path, today=TODAY)
    assert source.is_offices and [b.source.name for b in source.books] == names
    alone = workbook.load_casebook(tmp_path / names[-1], today=TODAY)
    last = source.books[-1]
    assert last.problems == alone.problems and last.office == alone.office
    for frame in ("users", "contacts", "attendance", "plans", "reports"):
        pd.testing.assert_frame_equal(getattr(last, frame), getattr(alone, frame))


def test_the_office_name_defaults_to_the_file_name(tmp_path):
    book = casebook_from_records({"users": [], "contacts": []}, office="みなみ")
    assert book.office == "みなみ"


def test_a_csv_folder_is_one_office(tmp_path):
    folder = write_csv_folder(tmp_path / "きた", "utf-8")
    books, is_offices = load_source(folder, today=TODAY)
    assert not is_offices and len(books) == 1 and books[0].office == "テスト事業所"


# --- nothing ever raises ------------------------------------------------------------------------

cell = st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 10**6),
                 st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.dates(), st.datetimes(),
                 st.sampled_from(["令和7年4月1日", "R7.4", "５", "20日", "利用中", "本人", "対面", "001", " "]))
user_row = st.fixed_dictionaries({c.name: cell for c in schema.USERS.columns})
contact_row = st.fixed_dictionaries({c.name: cell for c in schema.CONTACTS.columns})
attendance_row = st.fixed_dictionaries({c.name: cell for c in schema.ATTENDANCE.columns})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(user_row, max_size=4), st.lists(contact_row, max_size=4), st.lists(attendance_row, max_size=3))
def test_any_cell_values_load_without_raising(users, contacts, attendance):
    book = casebook_from_records({"users": users, "contacts": contacts, "attendance": attendance}, today=TODAY)
    from teichaku_nb.casebook import CODE_LABELS          # every problem code the workbook knows
    assert {p.code for p in book.problems} <= set(CODE_LABELS)
    assert all(p.row is None or p.row >= 2 for p in book.problems)
    assert book.users["user_id"].is_unique
    assert book.users["hired_on"].notna().all() and book.contacts["date"].notna().all()
