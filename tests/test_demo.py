"""The demo data: format-3 workbooks of fictional people, reproducible from a seed.

Read back with openpyxl only (not the package's loader), as a user opening the file would.
Whether the review rules raise each flag on the demo is tested with the rules; the fee check's
situations are checked here on the cells themselves (what the fee check makes of them is tested
with the fee check).
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
BUNDLED = ROOT / "teichaku_nb" / "demo" / "demo.xlsx"
END = pd.Period("2026-10", "M")
M0, M1 = dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 31)
PEOPLE = 28                  # from 27 people on, an office has every situation of the last month
FEE_SITUATIONS = ("plan_not_agreed", "handover_overdue", "handover_done", "report_to_employer_only",
                  "employment_checked")
V3_PEOPLE = 36               # from 36 people on, the last six are the situations of the rules of version 3
V3_SITUATIONS = ("report_employer_missing", "on_leave", "job_change_pending", "started_early", "job_changed",
                 "additions")
FORMAT_3 = {sheet.title: [c.header for c in sheet.columns if c.since == 3] for sheet in schema.TABLES}
# The office-level reductions of 設定: one past episode each (months before END), none in END.
PAST_REDUCTIONS = {"業務継続計画未策定減算": (11, 10), "虐待防止措置未実施減算": (9, 7), "情報公表未報告減算": (6, 5),
                   "サービス管理責任者欠如減算": (4, 3), "人員欠如減算（就労定着支援員）": (2, 2)}


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


def test_the_settings_of_format_3_are_those_of_a_filed_office(book):
    values = dict(row for row in book[schema.SETTINGS_TITLE][1:])
    assert values["指定日"] == dt.datetime(2018, 4, 1)
    assert values["就労定着率区分（届出）"] == "90%以上95%未満"
    assert values["就労定着実績体制加算（届出）"] == "いいえ"
    assert values["職場適応援助者養成研修修了者配置体制加算（届出）"] == "はい"
    assert values["処遇改善加算の区分"] == "I" and values["処遇改善加算の率（%）"] == 10.3
    assert values["オンライン面談を対面とみなす"] == "いいえ"
    assert values["計画未作成減算とサビ管欠如減算が重なる月"] == "大きい方のみ"
    for label, (first, last) in PAST_REDUCTIONS.items():
        assert (values[f"{label}の開始月"], values[f"{label}の終了月"]) == (str(END - first), str(END - last)), label
    assert values["支援体制構築未実施減算の開始月"] is None and values["支援体制構築未実施減算の終了月"] is None
    months = [v for k, v in values.items() if k.endswith(("の開始月", "の終了月")) and v is not None]
    assert all(re.fullmatch(r"\d{4}-\d{2}", m) and m < str(END) for m in months), "text YYYY-MM, none in M"


def test_the_settings_cells_show_their_kind(demo):
    ws = load_workbook(demo)[schema.SETTINGS_TITLE]
    found = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
    assert found["1単位の単価（円）"].number_format == "0.00"
    assert found["指定日"].is_date and found["指定日"].number_format == "yyyy/mm/dd"


def test_ids_are_unique_text_and_every_record_names_a_user(book):
    ids = [user["利用者ID"] for user in records(book, "利用者")]
    assert len(ids) == PEOPLE and len(set(ids)) == PEOPLE
    assert all(isinstance(i, str) and re.fullmatch(r"\d{3}", i) for i in ids)
    assert ids[0] == "001"
    for sheet in schema.TABLES[1:]:
        assert {row["利用者ID"] for row in records(book, sheet.title)} <= set(ids), sheet.title


@pytest.mark.parametrize("which", ["demo", "v3_demo"])
def test_cells_have_the_types_of_the_schema(which, request):
    workbook = load_workbook(request.getfixturevalue(which))
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


# --- format 3: the situations of the rules of version 3, after everyone else ------------------------

@pytest.fixture(scope="module")
def v3_demo(tmp_path_factory) -> Path:
    """One office of 36 people over 8 months: the last six are the version 3 situations."""
    return make_demo(tmp_path_factory.mktemp("v3") / "demo.xlsx", users=V3_PEOPLE, months=8, seed=1, end=END)[0]


@pytest.fixture(scope="module")
def v3_book(v3_demo) -> dict:
    return cells(v3_demo)


@pytest.fixture(scope="module")
def v3(v3_book) -> dict[str, dict]:
    """The version 3 situations: the office's last six people, in V3_SITUATIONS order."""
    return dict(zip(V3_SITUATIONS, records(v3_book, "利用者")[-len(V3_SITUATIONS):]))


def theirs(book: dict, title: str, person: dict) -> list[dict]:
    return [row for row in records(book, title) if row["利用者ID"] == person["利用者ID"]]


def faces_in_m(book: dict, person: dict) -> list[dict]:
    """The person's 対面 / 職場訪問 with 本人 in the last month."""
    return [c for c in theirs(book, "面談記録", person) if M0 <= c["実施日"] <= M1
            and c["方法"] in schema.FACE_TO_FACE and c["相手"] in schema.PARTY_WITH_USER]


def report_of_m(book: dict, person: dict) -> list[str]:
    return [r["送付先"] for r in theirs(book, "支援レポート", person) if r["対象年月"] == str(END)]


def test_the_first_people_of_a_36_person_office_are_those_of_a_30_person_office(v3_book, tmp_path):
    small = cells(make_demo(tmp_path / "small.xlsx", users=V3_PEOPLE - len(V3_SITUATIONS), months=8, seed=1,
                            end=END)[0])
    assert v3_book[schema.SETTINGS_TITLE] == small[schema.SETTINGS_TITLE]
    ids = {u["利用者ID"] for u in records(small, "利用者")}
    for sheet in schema.TABLES:
        header, *rows = v3_book[sheet.title]
        assert [header] + [row for row in rows if row[0] in ids] == small[sheet.title], sheet.title
    users = records(v3_book, "利用者")
    assert [u["利用者ID"] for u in users[-len(V3_SITUATIONS):]] == [f"{i:03d}" for i in range(31, 37)]
    assert len({u["氏名"] for u in users}) == len(users), "the six have names of their own"


def test_a_smaller_office_has_no_version_3_people(tmp_path):
    book = cells(make_demo(tmp_path / "35.xlsx", users=V3_PEOPLE - 1, months=4, seed=1, end=END)[0])
    for title, headers in FORMAT_3.items():
        assert all(row[h] is None for row in records(book, title) for h in headers), title


def test_format_3_columns_are_filled_for_the_version_3_people_only(v3_book, v3):
    six = {person["利用者ID"] for person in v3.values()}
    for title, headers in FORMAT_3.items():
        others = [row for row in records(v3_book, title) if row["利用者ID"] not in six]
        assert others and all(row[h] is None for row in others for h in headers), title
    home = [c for c in records(v3_book, "面談記録") if c["方法"] == "自宅訪問"]
    assert {c["利用者ID"] for c in home} == {v3["on_leave"]["利用者ID"]}
    leave = [a for a in records(v3_book, "勤怠") if a["休職"] is not None]
    assert [(a["利用者ID"], a["年月"]) for a in leave] == [(v3["on_leave"]["利用者ID"], str(END))]


def test_version_3_people_are_in_service_with_records_up_to_the_last_month_only(v3_book, v3):
    window = dt.datetime(2026, 3, 1)
    for situation, person in v3.items():
        assert in_service(person) and person["受給者証有効期限"] > M1, situation
        assert person["利用契約日"] < support_start(person) and person["支給決定開始日"] <= M0, situation
        assert person["要継続支援"] is None and person["利用終了日"] is None, situation
        assert faces_in_m(v3_book, person) and report_of_m(v3_book, person), situation
        assert [a["年月"] for a in theirs(v3_book, "勤怠", person)][-1] == str(END), situation
        dated = [c["実施日"] for c in theirs(v3_book, "面談記録", person)] \
            + [r["送付日"] for r in theirs(v3_book, "支援レポート", person)]
        assert min(dated) >= window and max(dated) <= M1, situation
        # (the plan in force when the records begin is kept, as for everyone)
        assert max(d for p in theirs(v3_book, "支援計画", person) for d in (p["計画作成日"], p["同意日"], p["交付日"])) <= M1
        # a plan from the month the support starts and every 3 months, each agreed and handed over in its month
        plans = {p["計画作成日"]: (p["同意日"], p["交付日"]) for p in theirs(v3_book, "支援計画", person)}
        assert plans, situation
        for made, (consent, delivered) in plans.items():
            assert made < consent <= made + dt.timedelta(days=4) and consent <= delivered, (situation, made)
            assert (delivered.year, delivered.month) == (made.year, made.month), (situation, made)
        months = [d.year * 12 + d.month for d in sorted(plans)]
        assert all(b - a == 3 for a, b in zip(months, months[1:])), situation
        start = support_start(person)
        assert (months[0] - start.year * 12 - start.month) % 3 == 0 and months[-1] >= 2026 * 12 + 10 - 2, situation


def test_the_report_of_the_last_month_did_not_reach_the_employer(v3_book, v3):
    person = v3["report_employer_missing"]
    assert person["企業共有同意"] == "はい"
    sent = {r["対象年月"]: r["送付先"] for r in theirs(v3_book, "支援レポート", person)}
    assert sent.pop(str(END)) == "本人"
    assert sent and set(sent.values()) == {"本人・企業"}


def test_a_month_on_leave(v3_book, v3):
    person = v3["on_leave"]
    (row,) = [a for a in theirs(v3_book, "勤怠", person) if a["年月"] == str(END)]
    assert row["休職"] == "はい" and row["出勤日数"] == 0 and row["欠勤"] == 0 and row["所定日数"] > 0
    assert "休職中" in row["備考"]
    (visit,) = faces_in_m(v3_book, person)
    assert (visit["方法"], visit["相手"]) == ("自宅訪問", "本人") and "休職" in visit["内容"]


def test_a_job_change_not_recorded_yet(v3_book, v3):
    person = v3["job_change_pending"]
    left = person["離職日"]
    assert left == dt.datetime(2026, 10, 9) and person["状況"] == "利用中" and person["再就職日"] is None
    assert person["離職理由"]
    faces = faces_in_m(v3_book, person)
    assert faces and all(c["実施日"] > left for c in faces) and any("来月" in c["内容"] for c in faces)
    employer = [c for c in theirs(v3_book, "面談記録", person) if c["相手"] in schema.PARTY_WITH_EMPLOYER]
    assert employer and all(c["実施日"] <= left for c in employer), "no contact with the employer after 離職日"
    assert report_of_m(v3_book, person) == ["本人"] and person["企業共有同意"] != "はい"


def test_support_started_before_six_months_of_work(v3_book, v3):
    person = v3["started_early"]
    assert person["就職日"] == dt.datetime(2026, 5, 10) and person["支援開始日"] == M0
    six_months = pd.Timestamp(person["就職日"]) + pd.DateOffset(months=6)
    assert six_months > pd.Timestamp(M1), "six months of work are complete only in the next month"
    assert person["利用契約日"] < person["支援開始日"]
    assert faces_in_m(v3_book, person) and report_of_m(v3_book, person)


def test_a_job_change_within_a_month(v3_book, v3):
    person = v3["job_changed"]
    left, rehired = person["離職日"], person["再就職日"]
    assert (left, rehired) == (dt.datetime(2026, 7, 15), dt.datetime(2026, 7, 29)) and person["状況"] == "利用中"
    assert rehired <= pd.Timestamp(left) + pd.DateOffset(months=1) and person["離職理由"]
    contacts = theirs(v3_book, "面談記録", person)
    assert any(person["企業名"] in (c["内容"] or "") for c in contacts if c["実施日"].month == 7), "the new employer"
    for month in range(7, 11):                               # contacts and reports go on after the change
        assert any(c["実施日"].month == month and c["方法"] in schema.FACE_TO_FACE for c in contacts), month
        assert any(r["対象年月"] == f"2026-{month:02d}" for r in theirs(v3_book, "支援レポート", person)), month


def test_additions_in_the_month_the_support_starts(v3_book, v3):
    person = v3["additions"]
    assert person["就職日"] == dt.datetime(2026, 4, 1) and support_start(person) == M0
    assert (person["一体的運営外からの受入れ"], person["勤務先特別地域"], person["上限額管理"]) == ("はい",) * 3
    assert person["特別地域居住"] is None
    visits = [c for c in faces_in_m(v3_book, person) if c["方法"] == "職場訪問"]
    assert visits and all(c["相手"] == "本人・企業" for c in visits)
    plans = {(p["計画作成日"], p["同意日"], p["交付日"]) for p in theirs(v3_book, "支援計画", person)}
    assert len(plans) == 1 and all(M0 <= day <= M1 for day in next(iter(plans)))
    assert report_of_m(v3_book, person)


def test_the_bundled_demo_is_up_to_date(tmp_path):
    fresh = make_demo(tmp_path / "demo.xlsx", users=36, months=12, seed=1, end=END)[0]
    assert cells(BUNDLED) == cells(fresh), \
        "teichaku_nb/demo/demo.xlsx is out of date: run `make demo` " \
        "(teichaku demo teichaku_nb/demo/demo.xlsx --users 36 --months 12 --seed 1 --end 2026-10 --force)"
    users = records(cells(BUNDLED), "利用者")
    assert [u["利用者ID"] for u in users] == [f"{i:03d}" for i in range(1, 37)]


def test_the_bundled_demo_is_package_data():
    """``teichaku app`` without BOOK opens the demo of the package, which an installed package has
    too (pyproject's package-data), not a file of the checkout."""
    import tomllib

    from teichaku_nb.paths import demo_book_path

    assert demo_book_path() == BUNDLED.resolve() and BUNDLED.is_file() and not BUNDLED.is_symlink()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert BUNDLED.relative_to(ROOT / "teichaku_nb").as_posix() in package_data["teichaku_nb"]


def test_a_fresh_demo_validates_with_only_its_intended_warning_and_nothing_after_today(tmp_path, capsys):
    from teichaku_nb import cli

    out = tmp_path / "demo.xlsx"
    assert cli.main(["demo", str(out)]) == 0      # the default: 36 people, up to last month
    assert cli.main(["validate", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    # the one intended warning: the started_early person's 支援開始日 (row 35: the 34th person)
    row = V3_PEOPLE - len(V3_SITUATIONS) + V3_SITUATIONS.index("started_early") + 2
    found = [(p["severity"], p["sheet"], p["row"], p["column"], p["code"]) for p in report["problems"]]
    assert report["ok"] and found == [("warning", "利用者", row, "支援開始日", "fee_rule")]
    sent = pd.read_excel(out, sheet_name="支援レポート", engine="calamine")["送付日"]
    assert pd.to_datetime(sent).max().date() <= dt.date.today()
    # a last month that is not over yet would put dates in the future: refused
    this_month = pd.Period(dt.date.today(), "M").strftime("%Y-%m")
    assert cli.main(["demo", str(tmp_path / "later.xlsx"), "--end", this_month]) == 2
    assert "先月以前" in capsys.readouterr().err and not (tmp_path / "later.xlsx").exists()
