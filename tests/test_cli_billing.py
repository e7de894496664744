"""``teichaku billing`` on a small workbook whose expected table is written here by hand.

Five people in October 2026 at an office whose 就労定着率 is 100 % (base fee 3,512 units a
month), 1単位 11.20円.  U005's handover was due on 2026年9月30日 and is not done, so October is
a month of the office's 支援体制構築未実施減算: 10 % off everyone billed, after any other
reduction, rounded at each step.

| ID   | what is different                                  | status   | units                          |
|------|----------------------------------------------------|----------|--------------------------------|
| U001 | nothing                                            | 算定可   | 3,512 × 0.9 = 3,160.8 → 3,161  |
| U002 | October's 支援レポート given to 企業 only          | 算定不可 | 0                              |
| U003 | plan made 2026-06-30, review due 09-30: 1st month  | 算定可   | 3,512 × 0.7 = 2,458.4 → 2,458; × 0.9 = 2,212.2 → 2,212 |
| U004 | 受給者証有効期限 blank                             | 要確認   | 3,161 (once checked)           |
| U005 | 要継続支援 はい, support ends 2026-12-31, no handover | 算定可 | 3,161                          |

Yen, a person at a time, fractions cut: 3,161 × 11.2 = 35,403.2 → 35,403; 2,212 × 11.2 =
24,774.4 → 24,774.  All people are synthetic.
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
FACE = "対面: 10月10日の対面（本人）"
REPORT = "支援レポート: 本人 10月31日"
PLAN = "個別支援計画: 2026年9月1日 作成"
HANDOVER = {"code": "handover_missing", "rate": 0.1, "message": "支援体制構築未実施減算（事業所全体）"}


def office_tables() -> dict[str, list[dict]]:
    employer_only = calm("U002", name="試験 次郎")
    employer_only["reports"][0]["recipient"] = "企業"
    overdue = calm("U003", name="試験 三郎")
    overdue["plans"][0]["plan_date"] = D(2026, 6, 30)
    return combine(calm("U001", name="試験 花子"), employer_only, overdue,
                   calm("U004", name="試験 四郎", certificate_until=None),
                   calm("U005", name="試験 五郎", support_end=D(2026, 12, 31), needs_continuing="はい"))


EXPECTED_PEOPLE = [
    {"user_id": "U002", "name": "試験 次郎", "status": "算定不可", "base_units": 3512, "units": 0, "yen": 0,
     "reasons": [{"code": "report_not_shared",
                  "message": "2026年10月の支援レポートを企業にだけ渡した記録です（本人に渡した記録がありません）"}],
     "reductions": [], "additions": [], "evidence": [FACE, PLAN]},
    {"user_id": "U004", "name": "試験 四郎", "status": "要確認", "base_units": 3512, "units": 3161, "yen": 35403,
     "reasons": [{"code": "decision_unknown", "message": "受給者証有効期限が空欄のため確かめられません"}],
     "reductions": [HANDOVER | {"units": 351}], "additions": [], "evidence": [FACE, REPORT, PLAN]},
    {"user_id": "U001", "name": "試験 花子", "status": "算定可", "base_units": 3512, "units": 3161, "yen": 35403,
     "reasons": [], "reductions": [HANDOVER | {"units": 351}], "additions": [], "evidence": [FACE, REPORT, PLAN]},
    {"user_id": "U003", "name": "試験 三郎", "status": "算定可", "base_units": 3512, "units": 2212, "yen": 24774,
     "reasons": [],
     "reductions": [{"code": "plan_missing", "rate": 0.3, "units": 1054,
                     "message": "個別支援計画未作成減算（1か月目）: 個別支援計画（2026年6月30日 作成）から3か月の見直しがなく、"
                                "2026年10月1日から計画が切れています"},
                    HANDOVER | {"units": 246}],
     "additions": [], "evidence": [FACE, REPORT]},
    {"user_id": "U005", "name": "試験 五郎", "status": "算定可", "base_units": 3512, "units": 3161, "yen": 35403,
     "reasons": [], "reductions": [HANDOVER | {"units": 351}], "additions": [], "evidence": [FACE, REPORT, PLAN]},
]
EXPECTED_TOTALS = {"people": 5, "billable": 3, "to_check": 1, "not_billable": 1,
                   "base_units": 3 * 3512, "reduction_units": 351 + 1054 + 246 + 351, "addition_units": 0,
                   "treatment_units": 0, "units": 3161 + 2212 + 3161, "yen": 35403 + 24774 + 35403,
                   "to_check_units": 3161, "to_check_yen": 35403,
                   "reductions": {"handover_missing": 351 + 246 + 351, "plan_missing": 1054}, "additions": {}}
EXPECTED_NOTES = [
    "基本報酬は、ケース記録から計算した2026年度の就労定着率（100.0%、区分 95%以上）で算定しています。"
    "届け出た区分があれば設定「就労定着率区分（届出）」に記入してください",
    "要確認: 支援体制構築未実施減算（10%）を、算定する全員に適用しています。引継ぎが期限（支援終了予定日の3か月前）に"
    "間に合わなかった人: U005 試験 五郎（期限 2026年9月30日までに 本人の同意（引継ぎ同意日）・企業との引継ぎ・"
    "関係機関・医療機関との引継ぎ がありません）。減算の月は、期限の翌月からその人の支援終了予定日の月まで"
    "としています。指定権者の判断が違うときは、設定「支援体制構築未実施減算の開始月・終了月」に記入してください",
]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_billing_json_is_the_table_written_by_hand(tmp_path, capsys):
    book = write_book(tmp_path / "東事業所.xlsx", office_tables(), settings=SETTINGS)
    code, out, _ = run(capsys, "billing", book, "--month", "2026-10", "--json")
    assert code == 0
    assert json.loads(out) == {"month": "2026-10", "office": "東事業所", "unit_price": 11.2, "tier": "95%以上",
                               "tier_source": "計算", "people": EXPECTED_PEOPLE, "totals": EXPECTED_TOTALS,
                               "office_notes": EXPECTED_NOTES}


def test_billing_in_the_terminal_and_in_excel(tmp_path, capsys):
    book = write_book(tmp_path / "東事業所.xlsx", office_tables(), settings=SETTINGS)
    out_file = tmp_path / "算定.xlsx"
    code, out, _ = run(capsys, "billing", book, "--month", "2026-10", "--out", out_file)
    assert code == 0
    assert "■ 東事業所　2026年10月の算定チェック（5人: 算定可 3人・要確認 1人・算定不可 1人）" in out
    assert ("請求の合計　算定可 3人: 基本報酬 10,536単位 − 減算 2,002単位 ＋ 加算 0単位 ＝ 8,534単位"
            "（総費用額 95,580円、1単位 11.20円）。要確認 1人を確かめて算定できれば、さらに 3,161単位（35,403円）") in out
    assert "基本報酬の区分: 95%以上（ケース記録から計算した区分）" in out
    assert "利用者負担額（給付費との分け方）と国保連への請求ファイルはこの確認に含まれません" in out
    assert "plan_missing" not in out and "report_not_shared" not in out
    rows = list(openpyxl.load_workbook(out_file)["算定チェック"].iter_rows(values_only=True))
    assert rows[0][:5] == ("事業所", "対象月", "利用者ID", "氏名", "状態")
    assert [(r[2], r[4], r[9], r[10]) for r in rows[1:]] == [
        (p["user_id"], p["status"], p["units"], p["yen"]) for p in EXPECTED_PEOPLE]
    assert rows[4][7] == ("個別支援計画未作成減算（1か月目）: 個別支援計画（2026年6月30日 作成）から3か月の見直しがなく、"
                          "2026年10月1日から計画が切れています（30%減、−1,054単位）\n"
                          "支援体制構築未実施減算（事業所全体）（10%減、−246単位）")
    totals = list(openpyxl.load_workbook(out_file)["合計"].iter_rows(values_only=True))
    assert totals[0][:16] == ("事業所", "対象月", "人数", "算定可", "要確認", "算定不可", "基本報酬の区分", "基本報酬（単位）",
                              "減算（単位）", "加算（単位）", "処遇改善加算（単位）", "算定可の単位数", "1単位の単価（円）",
                              "金額（円）", "要確認の単位数", "要確認の金額（円）")
    assert totals[1][:16] == ("東事業所", "2026年10月", 5, 3, 1, 1, "95%以上（ケース記録から計算した区分）", 10536, -2002, 0,
                              0, 8534, 11.2, 95580, 3161, 35403)
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
