"""The demo data: format-2 workbooks of fictional people, reproducible from a seed.

Read back with openpyxl only (not the package's loader), as a user opening the file would.
Whether the review rules raise each flag on the demo is tested with the rules; the fee check's
situations are checked here on the cells themselves.
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
PEOPLE = 28                  # from 27 people on, an office has every situation of the last month
FEE_SITUATIONS = ("plan_not_agreed", "handover_overdue", "handover_done", "report_to_employer_only",
                  "employment_checked")


def cells(path: Path) -> dict[str, list[list]]:
    """Every sheet's cell values, row by row."""
    workbook = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in workbook.worksheets}


def records(book: dict, title: str) -> list[dict]:
    header, *rows = book[title]
    return [dict(zip(header, row)) for row in rows]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """One office of 28 people over 8 months: every situation of the last month is there."""
    return make_demo(tmp_path_factory.mktemp("demo") / "demo.xlsx", users=PEOPLE, months=8, seed=1, end=END)[0]


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
    assert values["1単位の単価（円）"] in (10, 11.2) and values["引継ぎの指針"] == "はい"
    staff = {u["担当支援員"] for u in records(book, "利用者")} | {c["担当者"] for c in records(book, "面談記録")}
    assert values["サービス管理責任者"] in staff


def test_the_unit_price_shows_two_decimals(demo):
    ws = load_workbook(demo)[schema.SETTINGS_TITLE]
    (cell,) = [row[1] for row in ws.iter_rows(min_row=2) if row[0].value == "1単位の単価（円）"]
    assert cell.number_format == "0.00"


def test_ids_are_unique_text_and_every_record_names_a_user(book):
    ids = [user["利用者ID"] for user in records(book, "利用者")]
    assert len(ids) == PEOPLE and len(set(ids)) == PEOPLE
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


# --- format 2: the month's fee check ---------------------------------------------------------------

def planned_end(user: dict) -> dt.datetime:
    """支援終了予定日, or its default 就職日 + 3 years 6 months − 1 day."""
    if user["支援終了予定日"] is not None:
        return user["支援終了予定日"]
    return (pd.Timestamp(user["就職日"]) + pd.DateOffset(months=42) - pd.Timedelta(days=1)).to_pydatetime()


def support_start(user: dict) -> dt.datetime:
    if user["支援開始日"] is not None:
        return user["支援開始日"]
    return (pd.Timestamp(user["就職日"]) + pd.DateOffset(months=6)).to_pydatetime()


def deadline(user: dict) -> dt.datetime:
    """The handover's deadline: 3 months before 支援終了予定日."""
    return (pd.Timestamp(planned_end(user)) - pd.DateOffset(months=3)).to_pydatetime()


def handed_over_by(book: dict, user: dict, day: dt.datetime) -> bool:
    """引継ぎ同意日 and 引継ぎ contacts with 企業 and with 関係機関 or 医療機関, all by ``day``."""
    shared = {c["相手"] for c in records(book, "面談記録")
              if c["利用者ID"] == user["利用者ID"] and c["区分"] == "引継ぎ" and c["実施日"] <= day}
    return (user["引継ぎ同意日"] is not None and user["引継ぎ同意日"] <= day
            and bool(shared & set(schema.PARTY_WITH_EMPLOYER)) and bool(shared & {"関係機関", "医療機関"}))


def in_service(user: dict) -> bool:
    return user["状況"] == "利用中" and support_start(user) <= M1 and planned_end(user) >= M0


def latest_plans(book: dict) -> dict[str, list[dict]]:
    """Each person's latest plan: its rows."""
    plans: dict[str, dict] = {}
    for row in records(book, "支援計画"):
        plans.setdefault(row["利用者ID"], {}).setdefault(row["計画作成日"], []).append(row)
    return {user_id: by_date[max(by_date)] for user_id, by_date in plans.items()}


@pytest.fixture(scope="module")
def fee(book) -> dict[str, dict]:
    """The fee check's situations: the office's last five people, in FEE_SITUATIONS order."""
    users = records(book, "利用者")
    return dict(zip(FEE_SITUATIONS, users[-len(FEE_SITUATIONS):]))


def test_format_2_cells_of_every_person_fit_together(book):
    users = records(book, "利用者")
    for u in users:
        who = u["利用者ID"]
        assert u["利用契約日"] is not None and u["利用契約日"] < support_start(u) and u["利用契約日"] <= M1, who
        assert (u["支給決定開始日"] is None) == (u["受給者証有効期限"] is None), who
        if u["支給決定開始日"] is not None:
            assert u["支給決定開始日"] < u["受給者証有効期限"], who
            assert u["支給決定開始日"] > u["受給者証有効期限"] - dt.timedelta(days=400), who
            if in_service(u):
                assert u["支給決定開始日"] <= M0, f"{who}: the decision covers the last month"
        assert (u["利用終了日"] is None) == (u["状況"] == "利用中"), who
        if u["状況"] == "離職":
            assert u["利用終了日"] == u["離職日"] and u["要継続支援"] is None, who
        if u["要継続支援"] is None and u["状況"] == "利用中" and planned_end(u) > M0:
            assert planned_end(u) > M1 + pd.DateOffset(months=6), f"{who}: the judgement is due but blank"
        if u["引継ぎ同意日"] is not None:
            assert u["要継続支援"] == "はい", who
    last_year = [u for u in users if in_service(u) and planned_end(u) <= M1 + pd.DateOffset(months=12)]
    judged = [u["要継続支援"] for u in last_year]
    assert judged.count("はい") > judged.count("いいえ") >= 1 and None in judged, "mostly はい, some いいえ, a few blank"
    assert all(u["要継続支援"] is None for u in users if planned_end(u) > M1 + pd.DateOffset(months=12))

    contacts = records(book, "面談記録")
    by_id = {u["利用者ID"]: u for u in users}
    assert {c["区分"] for c in contacts} == {None, "引継ぎ", "その他"}
    for c in contacts:
        if c["区分"] == "引継ぎ":
            assert c["相手"] in ("企業", "関係機関", "医療機関") and c["体調"] is None, c
            assert c["実施日"] >= by_id[c["利用者ID"]]["引継ぎ同意日"], c

    plans = {}
    for row in records(book, "支援計画"):
        plans.setdefault((row["利用者ID"], row["計画作成日"]), []).append(row)
    for (who, made), rows in plans.items():
        assert len({(r["同意日"], r["交付日"]) for r in rows}) == 1, f"{who} {made}: one plan, one 同意日"
        consent, delivered = rows[0]["同意日"], rows[0]["交付日"]
        if consent is not None:
            assert made <= consent <= made + dt.timedelta(days=7) and consent <= M1, (who, made)
        if delivered is not None:
            assert consent is not None and consent <= delivered <= M1, (who, made)
    signed = sum(rows[0]["同意日"] is not None and rows[0]["交付日"] is not None for rows in plans.values())
    assert signed >= 0.85 * len(plans), "同意日 and 交付日 on almost every plan"


def test_employment_is_checked_after_the_support_ended(book):
    users = {u["利用者ID"]: u for u in records(book, "利用者")}
    checks = records(book, "就労確認")
    for check in checks:
        user = users[check["利用者ID"]]
        assert user["状況"] == "支援終了" and user["利用終了日"] < check["確認日"] <= M1, check
    ended = {i for i, u in users.items() if u["状況"] == "支援終了" and u["利用終了日"] < M1 - dt.timedelta(days=120)}
    assert ended and ended <= {c["利用者ID"] for c in checks}, "everyone whose support ended months ago was checked"
    assert [c["確認方法"] for c in checks].count("その他") < len(checks) / 2    # mostly 企業 or 本人
    left = [c for c in checks if c["就労状況"] == "離職"]
    assert len(left) == 1 and left[0]["利用者ID"] == "015" and M0 <= left[0]["確認日"]
    assert users["015"]["離職日"] is None, "left the job after the support ended: not a 離職 in support"


def test_the_last_month_has_the_fee_checks_situations(book, fee):
    users = records(book, "利用者")
    contacts = records(book, "面談記録")
    latest = latest_plans(book)

    # a plan without 同意日 (plan_missing): the latest plan, made in M; the earlier ones were signed
    person = fee["plan_not_agreed"]
    rows = latest[person["利用者ID"]]
    assert in_service(person) and M0 <= rows[0]["計画作成日"] <= M1
    assert all(r["同意日"] is None and r["交付日"] is None for r in rows)
    earlier = [r for r in records(book, "支援計画")
               if r["利用者ID"] == person["利用者ID"] and r["計画作成日"] < rows[0]["計画作成日"]]
    assert earlier and all(r["同意日"] is not None for r in earlier)
    unsigned = {i for i, rows in latest.items() if rows[0]["同意日"] is None or rows[0]["同意日"] > M1}
    assert unsigned & {u["利用者ID"] for u in users if in_service(u)} == {person["利用者ID"]}

    # the handover deadline passed (支援終了予定日 within 3 months after M) and the handover is not complete
    person = fee["handover_overdue"]
    assert in_service(person) and person["要継続支援"] == "はい"
    assert M1 < planned_end(person) <= M1 + pd.DateOffset(months=3) and deadline(person) <= M1
    assert not handed_over_by(book, person, M1)
    theirs = [c for c in contacts if c["利用者ID"] == person["利用者ID"] and c["区分"] == "引継ぎ"]
    assert person["引継ぎ同意日"] is not None and {c["相手"] for c in theirs} == {"企業"}, "begun, not finished"

    # the handover complete before the deadline
    person = fee["handover_done"]
    assert in_service(person) and person["要継続支援"] == "はい" and M0 <= deadline(person) <= M1
    assert handed_over_by(book, person, deadline(person))

    # no one else in service whose handover is due is missing it
    due = {u["利用者ID"] for u in users if in_service(u) and u["要継続支援"] != "いいえ"
           and planned_end(u) <= M1 + pd.DateOffset(months=6) and not handed_over_by(book, u, M1)}
    assert due == {fee["handover_overdue"]["利用者ID"]}

    # a 支援レポート for M sent to the employer only
    person = fee["report_to_employer_only"]
    sent = [r for r in records(book, "支援レポート") if r["対象年月"] == str(END)]
    assert in_service(person) and [r["送付先"] for r in sent if r["利用者ID"] == person["利用者ID"]] == ["企業"]
    shared = {r["利用者ID"] for r in sent if r["送付先"] in schema.PARTY_WITH_USER}
    assert {r["利用者ID"] for r in sent} - shared == {person["利用者ID"]}

    # employment checked (継続) in M, months after the support ended
    person = fee["employment_checked"]
    assert person["状況"] == "支援終了" and person["利用終了日"] < M0 - dt.timedelta(days=90)
    checks = [c for c in records(book, "就労確認") if c["利用者ID"] == person["利用者ID"]]
    assert any(c["就労状況"] == "継続" and M0 <= c["確認日"] <= M1 for c in checks)
    assert all(c["就労状況"] == "継続" for c in checks)


def test_a_few_reports_before_the_last_month_reached_the_employer_only(book):
    """Most months can be billed; now and then the 支援レポート is recorded for 企業 only."""
    before = [r for r in records(book, "支援レポート") if r["対象年月"] < str(END)]
    employer_only = [r for r in before if r["送付先"] == "企業"]
    assert 1 <= len(employer_only) <= 0.05 * len(before)


def test_the_fee_checks_situations_go_to_the_last_people_of_a_large_enough_office(tmp_path):
    """The review's situations keep 001–016; the fee check's come after the ordinary people."""
    small = cells(make_demo(tmp_path / "small.xlsx", users=21, months=6, seed=1, end=END)[0])
    assert not [r for r in records(small, "支援計画") if r["同意日"] is None and r["計画作成日"] >= M0]
    assert not [r for r in records(small, "支援レポート") if r["送付先"] == "企業" and r["対象年月"] == str(END)]
    some = cells(make_demo(tmp_path / "some.xlsx", users=22, months=6, seed=1, end=END)[0])
    last = records(some, "利用者")[-1]["利用者ID"]
    assert {r["利用者ID"] for r in records(some, "支援計画") if r["同意日"] is None and r["計画作成日"] >= M0} == {last}


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
