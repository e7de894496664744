"""``teichaku review`` and ``teichaku retention`` on workbook files (the JSON shapes of docs/design.md).

The workbooks are written here with openpyxl (one sheet per table, Japanese headers in row 1;
format 1 unless a record uses a format 2 column).  All people are synthetic.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest

from teichaku_nb.cli import main

from helpers_rules import attendance, calm, combine, contact, user, without, write_book

D = dt.date
REVIEW_KEYS = {"month", "office", "cases", "starting_next_month"}
CASE_KEYS = {"user_id", "name", "staff", "level", "flags"}
FLAG_KEYS = {"code", "level", "message"}
RETENTION_KEYS = {"fiscal_year", "reference_day", "denominator", "numerator", "rate", "tier", "units",
                  "denominator_users", "numerator_users", "projection", "rate_on_evidence", "unconfirmed"}
RETENTION_EXTRA = {"office", "window_start", "notes", "tier_on_evidence", "units_on_evidence"}   # beyond the contract


def office_tables() -> dict[str, list[dict]]:
    """Three users in October 2026: one 要対応, one 注意, one 安定; one starts in November;
    and people for the retention of FY 2026 (7 of 9 employed on 2026年3月31日)."""
    action = calm("U001", name="試験 花子")
    action["attendance"] = [a for a in action["attendance"] if a["month"] != "2026-10"] + \
        [attendance("U001", "2026-10", scheduled=20, absent=5)]
    watch = without(calm("U002", name="試験 次郎"), "reports")
    stable = calm("U003", name="試験 三郎")
    starting = {"users": [user("U004", name="試験 四郎", hired_on=D(2026, 5, 1))]}
    left = {"users": [user(f"L{i}", hired_on=D(2023, 1, 10), status="離職", left_on=D(2025, 6, 1)) for i in (1, 2)]}
    employed = {"users": [user(f"E{i}", hired_on=D(2023, 1, 10), support_end=D(2026, 7, 9), status="支援終了")
                          for i in range(1, 5)]}
    return combine(action, watch, stable, starting, left, employed)


@pytest.fixture
def book(tmp_path):
    return write_book(tmp_path / "東事業所.xlsx", office_tables(), settings={"office": "東事業所"})


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_review_json_is_the_contract_shape(book, capsys):
    code, out, _ = run(capsys, "review", book, "--month", "2026-10", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) == REVIEW_KEYS
    assert data["month"] == "2026-10" and data["office"] == "東事業所"
    for case in data["cases"]:
        assert set(case) == CASE_KEYS
        for flag in case["flags"]:
            assert set(flag) == FLAG_KEYS
    assert [(c["user_id"], c["level"]) for c in data["cases"]][:3] == [
        ("U001", "要対応"), ("U002", "注意"), ("U003", "安定")]
    assert data["cases"][0]["flags"][0] == {"code": "high_absence", "level": "要対応",
                                           "message": "欠勤率 25%（所定20日・欠勤5日）"}
    assert data["starting_next_month"] == ["U004"]


def test_review_for_people_is_a_table_in_japanese(book, capsys):
    code, out, _ = run(capsys, "review", book, "--month", "2026-10")
    assert code == 0
    assert "東事業所" in out and "2026年10月" in out
    header = next(line for line in out.splitlines() if line.startswith("区分"))
    assert all(word in header for word in ("利用者ID", "氏名", "担当", "フラグ"))
    rows = [line for line in out.splitlines() if line.startswith(("要対応", "注意", "安定"))]
    assert [r.split()[1] for r in rows][:3] == ["U001", "U002", "U003"]
    assert "欠勤率 25%（所定20日・欠勤5日）" in out
    assert "来月から支援開始: U004 試験 四郎" in out
    # the flag column starts at the same display column on every row
    from teichaku_nb.cli.terminal import display_width
    starts = {display_width(r[:r.index(m)]) for r, m in ((rows[0], "・欠勤率"), (rows[1], "10月の支援"))}
    assert len(starts) == 1


def test_review_lines_fit_the_terminal(book, capsys, monkeypatch):
    from teichaku_nb.cli.terminal import display_width
    monkeypatch.setenv("COLUMNS", "80")
    _, out, _ = run(capsys, "review", book, "--month", "2026-10")
    assert max(display_width(line) for line in out.splitlines() if not line.startswith("※")) <= 80


def test_review_with_data_errors_still_reviews_and_exits_1(tmp_path, capsys):
    tables = office_tables()
    tables["contacts"].append(contact("U999", D(2026, 10, 3)))           # unknown user: an error
    path = write_book(tmp_path / "西.xlsx", tables)
    code, out, _ = run(capsys, "review", path, "--month", "2026-10")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("※") and "エラー 1件" in first and "teichaku validate" in first
    assert "要対応" in out and "U001" in out
    code, out, _ = run(capsys, "review", path, "--month", "2026-10", "--json")
    assert code == 1 and json.loads(out)["cases"]


def test_review_of_an_unreadable_file_exits_2(tmp_path, capsys):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    code, out, err = run(capsys, "review", broken, "--month", "2026-10")
    assert code == 2 and out == "" and "開けません" in err


def test_retention_json_is_the_contract_shape(book, capsys):
    code, out, _ = run(capsys, "retention", book, "--fiscal-year", "2026", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) == RETENTION_KEYS | RETENTION_EXTRA | {"money", "track_record"}   # the estimate in yen; the 加算
    assert set(data["projection"]) == (RETENTION_KEYS - {"projection"}) | RETENTION_EXTRA
    assert data["fiscal_year"] == 2026 and data["reference_day"] == "2026-03-31"
    assert (data["numerator"], data["denominator"]) == (7, 9)
    assert data["rate"] == pytest.approx(7 / 9)
    assert (data["tier"], data["units"]) == ("70%以上80%未満", 2234)
    assert data["denominator_users"] == ["E1", "E2", "E3", "E4", "L1", "L2", "U001", "U002", "U003"]
    assert set(data["denominator_users"]) - set(data["numerator_users"]) == {"L1", "L2"}
    assert data["projection"]["fiscal_year"] == 2027
    # on evidence: nobody's support had ended by 2026年3月31日; E1–E4 ended 2026年7月9日 with no
    # 就労確認 (the book has no such sheet), so the projection, judged today, cannot confirm them
    assert data["unconfirmed"] == [] and data["rate_on_evidence"] == data["rate"]
    projection = data["projection"]
    assert [u["user_id"] for u in projection["unconfirmed"]] == ["E1", "E2", "E3", "E4"]
    assert projection["rate_on_evidence"] == pytest.approx(
        (projection["numerator"] - 4) / projection["denominator"])


def test_retention_for_people_shows_rate_units_and_caveats(book, capsys):
    code, out, _ = run(capsys, "retention", book, "--fiscal-year", "2026")
    assert code == 0
    assert "就労定着率: 77.8%" in out
    assert "2,234単位" in out
    assert "2026年3月31日" in out and "2023年4月1日" in out
    assert "L1" in out and "離職日 2025年6月1日" in out
    assert "翌年度（2027年度）の見込み" in out
    assert "1か月以内に再就職" in out


def test_retention_reads_the_checks_recorded_in_the_app_with_db(book, tmp_path, capsys):
    """E1–E4's support ended 2026年7月9日: today's projection needs a 就労確認 継続 from a month
    ago on; one recorded in the app for E1 confirms E1 when the store is read."""
    from teichaku_nb.store import open_store
    db = tmp_path / "records.teichaku.sqlite"
    with open_store(str(db), known_users={"東事業所": ["E1"]}) as store:
        store.record_employment_check("東事業所", "E1", by="佐藤", checked_on=dt.date.today(), employment="継続")
    _, out, _ = run(capsys, "retention", book, "--fiscal-year", "2026", "--json")
    assert [u["user_id"] for u in json.loads(out)["projection"]["unconfirmed"]] == ["E1", "E2", "E3", "E4"]

    code, out, err = run(capsys, "retention", book, "--fiscal-year", "2026", "--json", "--db", db)
    projection = json.loads(out)["projection"]
    assert code == 0 and f"会議記録のデータベース: {db}" in err
    assert [u["user_id"] for u in projection["unconfirmed"]] == ["E2", "E3", "E4"]
    assert projection["numerator"] - len(projection["unconfirmed"]) == 5        # U001–U004 and E1

    code, _, err = run(capsys, "retention", book, "--fiscal-year", "2026", "--db", tmp_path / "none.sqlite")
    assert code == 2 and "エラー" in err and not (tmp_path / "none.sqlite").exists()


def test_retention_without_users_in_the_window_says_there_is_no_rate(tmp_path, capsys):
    path = write_book(tmp_path / "新設.xlsx", {"users": [user("N1", hired_on=D(2026, 6, 1))]})
    code, out, _ = run(capsys, "retention", path, "--fiscal-year", "2026", "--json")
    data = json.loads(out)
    assert code == 0 and data["rate"] is None and data["tier"] is None and data["units"] is None
    assert any("新たに指定" in note for note in data["notes"])
    _, out, _ = run(capsys, "retention", path, "--fiscal-year", "2026")
    assert "出せません" in out


@pytest.fixture
def offices(tmp_path):
    folder = tmp_path / "offices"
    folder.mkdir()
    write_book(folder / "A.xlsx", office_tables(), settings={"office": "東事業所"})
    write_book(folder / "B.xlsx", combine(calm("U001"), calm("U002", certificate_until=D(2026, 9, 1))),
               settings={"office": "西事業所"})
    return folder


def test_a_folder_of_offices_gives_one_review_per_office_and_a_total(offices, capsys):
    code, out, _ = run(capsys, "review", offices, "--month", "2026-10", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"offices"}
    assert [o["office"] for o in data["offices"]] == ["東事業所", "西事業所"]
    assert all(set(o) == REVIEW_KEYS for o in data["offices"])
    _, out, _ = run(capsys, "review", offices, "--month", "2026-10")
    assert "■ 東事業所" in out and "■ 西事業所" in out
    assert "全事業所（2か所）: 要対応 2人・注意 1人・安定 2人（計 5人）" in out


def test_a_folder_of_offices_gives_one_retention_per_office_and_a_combined_rate(offices, capsys):
    code, out, _ = run(capsys, "retention", offices, "--fiscal-year", "2026", "--json")
    data = json.loads(out)
    assert code == 0 and [o["office"] for o in data["offices"]] == ["東事業所", "西事業所"]
    assert [(o["numerator"], o["denominator"]) for o in data["offices"]] == [(7, 9), (2, 2)]
    _, out, _ = run(capsys, "retention", offices, "--fiscal-year", "2026")
    assert re.search(r"全事業所（2か所）\n\s+2026年度の就労定着率: 81\.8%（9人 / 11人）", out)


def test_review_and_retention_through_the_console_entry_point(book):
    done = subprocess.run([sys.executable, "-m", "teichaku_nb", "review", str(book), "--month", "2026-10"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "要対応" in done.stdout and "Traceback" not in done.stderr
    done = subprocess.run([sys.executable, "-m", "teichaku_nb", "retention", str(book), "--fiscal-year", "2026"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "77.8%" in done.stdout and "2,234単位" in done.stdout


def test_retention_on_the_demo_prints_both_rates_the_names_to_confirm_and_who_is_at_risk(capsys, monkeypatch):
    from pathlib import Path
    demo = Path(__file__).resolve().parents[1] / "teichaku_nb" / "demo" / "demo.xlsx"
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "retention", demo, "--fiscal-year", "2026", "--month", "2026-10")
    assert code == 0
    # the projection (judged today) cannot confirm those whose support ended without a recent 継続
    assert "就労確認のある人だけで数えると:" in out
    for line in ("015 後藤 麻衣（支援終了 2026年7月14日、最後の確認 2026年10月17日 離職（利用者シートの状況・離職日を確かめてください））",
                 "020 木村 浩二（支援終了 2025年12月3日、最後の確認 2026年7月9日 継続）"):
        assert line in out
    # the projection: 32 of 36 (88.9%), 2,768 units × 10円 × 25.75 people a month × 12 = 8,553,120円;
    # October's 要対応 and 注意 people still employed: one leaving takes it to 31/36, the same tier
    assert "2027年度（就労定着率 88.9%、区分 80%以上90%未満）: 1人1か月 2,768単位 = 27,680円、事業所で月およそ 712,760円、" \
        "年間およそ 8,553,120円" in out
    assert "離職されると見込みが変わる人（2026年10月に要対応・注意の人、影響の大きい順）:" in out
    assert "    001 青木 蓮（要対応）" in out and "    029 山田 誠（注意）" in out
    assert "区分（80%以上90%未満）は変わらず、基本報酬は変わらない見込みです" in out
    assert "010 後藤 翔太" not in out.split("離職されると")[1]         # 安定 in October: not listed


def test_retention_gives_the_track_record_of_the_year_with_its_evidence(capsys, monkeypatch):
    from pathlib import Path
    demo = Path(__file__).resolve().parents[1] / "teichaku_nb" / "demo" / "demo.xlsx"
    monkeypatch.setenv("COLUMNS", "200")
    # FY 2026: support ended from 2020年4月1日 to 2026年3月31日 for 020 (a 継続 check after his
    # 42-month day), 021 and 025 (left before theirs): 1 of 3, under 70 %
    code, out, _ = run(capsys, "retention", demo, "--fiscal-year", "2026", "--month", "2026-10")
    assert code == 0
    assert ("■ 就労定着実績体制加算（2026年度）: 2020年4月1日〜2026年3月31日に支援を終えた 3人のうち42か月以上働いた人 "
            "1人（33.3%）。70%以上で1人1か月 300単位: 算定できません") in out
    assert "    020 木村 浩二: 42か月以上（就労確認 2026年7月9日 継続（企業））" in out
    assert "    021 山崎 愛: 42か月未満（離職日 2025年11月21日（42か月より前））" in out
    code, out, _ = run(capsys, "retention", demo, "--fiscal-year", "2026", "--month", "2026-10", "--json")
    record = json.loads(out)["track_record"]
    assert (record["cohort"], record["reached"], record["applies_on_evidence"]) == (["020", "021", "025"], ["020"], False)
