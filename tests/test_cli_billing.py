"""``teichaku billing`` on a small workbook whose expected table is written here by hand.

Five people in October 2026 at an office whose 就労定着率 is 100 % (base fee 3,512 units
a month), 1単位 11.20円:

| ID   | what is different                                  | status   | units           |
|------|----------------------------------------------------|----------|-----------------|
| U001 | nothing                                            | 算定可   | 3,512           |
| U002 | October's 支援レポート given to 企業 only          | 算定不可 | 0               |
| U003 | plan made 2026-06-30, review overdue since 09-30   | 算定可   | 3,512 − 1,054 (30 %) |
| U004 | 受給者証有効期限 blank                             | 要確認   | 3,512           |
| U005 | 要継続支援 はい, support ends 2027-01-31, no handover | 算定可 | 3,512 − 351 (10 %) |

All people are synthetic.
"""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from teichaku_nb.cli import main

from helpers_rules import calm, combine, write_book

D = dt.date
SETTINGS = {"office": "東事業所", "unit_price": 11.2, "handover_policy": "はい"}


def office_tables() -> dict[str, list[dict]]:
    employer_only = calm("U002", name="試験 次郎")
    employer_only["reports"][0]["recipient"] = "企業"
    overdue = calm("U003", name="試験 三郎")
    overdue["plans"][0]["plan_date"] = D(2026, 6, 30)
    return combine(calm("U001", name="試験 花子"), employer_only, overdue,
                   calm("U004", name="試験 四郎", certificate_until=None),
                   calm("U005", name="試験 五郎", support_end=D(2027, 1, 31), needs_continuing="はい"))


EXPECTED_PEOPLE = [
    {"user_id": "U002", "name": "試験 次郎", "status": "算定不可", "base_units": 3512, "units": 0,
     "reasons": [{"code": "report_not_shared",
                  "message": "2026年10月の支援レポートを企業にだけ渡した記録です（本人に渡した記録がありません）"}],
     "reductions": [], "additions": []},
    {"user_id": "U004", "name": "試験 四郎", "status": "要確認", "base_units": 3512, "units": 3512,
     "reasons": [{"code": "decision_unknown", "message": "受給者証有効期限が空欄のため確かめられません"}],
     "reductions": [], "additions": []},
    {"user_id": "U001", "name": "試験 花子", "status": "算定可", "base_units": 3512, "units": 3512,
     "reasons": [], "reductions": [], "additions": []},
    {"user_id": "U003", "name": "試験 三郎", "status": "算定可", "base_units": 3512, "units": 2458, "reasons": [],
     "reductions": [{"code": "plan_missing", "rate": 0.3,
                     "message": "個別支援計画未作成減算（1か月目）: 個別支援計画の見直し期限（2026年9月30日）を過ぎています"}],
     "additions": []},
    {"user_id": "U005", "name": "試験 五郎", "status": "算定可", "base_units": 3512, "units": 3161, "reasons": [],
     "reductions": [{"code": "handover_missing", "rate": 0.1,
                     "message": "支援体制構築未実施減算: 期限 2026年10月31日 までに 本人の同意（引継ぎ同意日）・"
                                "企業との引継ぎ・関係機関・医療機関との引継ぎ がありません"}],
     "additions": []},
]
EXPECTED_TOTALS = {"people": 5, "billable": 3, "to_check": 1, "not_billable": 1,
                   "units": 3512 + 2458 + 3161, "yen": 102267}          # 9,131 units × 11.20円, yen cut


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_billing_json_is_the_table_written_by_hand(tmp_path, capsys):
    book = write_book(tmp_path / "東事業所.xlsx", office_tables(), settings=SETTINGS)
    code, out, _ = run(capsys, "billing", book, "--month", "2026-10", "--json")
    assert code == 0
    assert json.loads(out) == {"month": "2026-10", "office": "東事業所", "unit_price": 11.2,
                               "people": EXPECTED_PEOPLE, "totals": EXPECTED_TOTALS, "office_notes": []}


def test_billing_in_the_terminal_and_in_excel(tmp_path, capsys):
    book = write_book(tmp_path / "東事業所.xlsx", office_tables(), settings=SETTINGS)
    out_file = tmp_path / "算定.xlsx"
    code, out, _ = run(capsys, "billing", book, "--month", "2026-10", "--out", out_file)
    assert code == 0
    assert "■ 東事業所　2026年10月の算定チェック（5人: 算定可 3人・要確認 1人・算定不可 1人）" in out
    assert "算定可の人の合計: 9,131単位（102,267円、1単位 11.20円）" in out
    assert "利用者負担、国保連への請求ファイル、人員配置の加算はこの確認に含まれません" in out
    assert "plan_missing" not in out and "report_not_shared" not in out
    rows = list(openpyxl.load_workbook(out_file)["算定チェック"].iter_rows(values_only=True))
    assert rows[0][:5] == ("事業所", "対象月", "利用者ID", "氏名", "状態")
    assert [(r[2], r[4], r[-1]) for r in rows[1:]] == [(p["user_id"], p["status"], p["units"]) for p in EXPECTED_PEOPLE]
    totals = list(openpyxl.load_workbook(out_file)["合計"].iter_rows(values_only=True))
    assert totals[1][:9] == ("東事業所", "2026年10月", 5, 3, 1, 1, 9131, 11.2, 102267)
    # the file exists now: a second run refuses to write over it without --force
    code, _, err = run(capsys, "billing", book, "--month", "2026-10", "--out", out_file)
    assert code == 2 and "--force" in err


def test_billing_of_a_folder_of_offices_gives_one_object_per_office(tmp_path, capsys):
    folder = tmp_path / "offices"
    folder.mkdir()
    write_book(folder / "東事業所.xlsx", office_tables(), settings=SETTINGS)
    write_book(folder / "西事業所.xlsx", calm("W001", name="試験 六郎"), settings={"office": "西事業所"})
    code, out, _ = run(capsys, "billing", folder, "--month", "2026-10", "--json")
    assert code == 0
    offices = {o["office"]: o for o in json.loads(out)["offices"]}
    assert offices["東事業所"]["totals"] == EXPECTED_TOTALS
    assert [(p["user_id"], p["status"], p["units"]) for p in offices["西事業所"]["people"]] == [("W001", "算定可", 3512)]
    code, out, _ = run(capsys, "billing", folder, "--month", "2026-10")
    assert "■ 全事業所（2か所）: 算定可 4人・要確認 1人・算定不可 1人（計 6人）" in out


def test_billing_says_what_is_wrong_with_its_arguments(tmp_path, capsys):
    book = write_book(tmp_path / "東事業所.xlsx", office_tables(), settings=SETTINGS)
    with pytest.raises(SystemExit) as stopped:
        run(capsys, "billing", book, "--month", "2026-13")
    assert stopped.value.code == 2 and "年月として読めません: 2026-13" in capsys.readouterr().err
    code, _, err = run(capsys, "billing", book, "--month", "2026-10", "--out", tmp_path / "算定.csv")
    assert code == 2 and "エラー: 書き出しは .xlsx です" in err
    code, _, err = run(capsys, "billing", tmp_path / "ない.xlsx", "--month", "2026-10")
    assert code == 2 and "Traceback" not in err
