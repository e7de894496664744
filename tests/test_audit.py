"""運営指導の準備 (docs/audit.md) on small hand-made cases, and ``teichaku audit`` on the demo.

October 2026 as in the fee check's tests: ``calm()`` is one person whose month can be billed
at the top tier's 3,512 units (the office's retention rate is 100 %).  All people are synthetic.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pandas as pd

from teichaku_nb import audit as audit_module
from teichaku_nb.billing import BILLABLE, NOT_BILLABLE, TO_CHECK
from teichaku_nb.cli import main

from helpers_demo import DEMO
from helpers_rules import MONTH, attendance, calm, combine, contact, make_book

D = dt.date
TODAY = D(2026, 11, 30)
TOP = 3512                                     # 95%以上: the base units of a 100 % office
OCTOBER = [MONTH]


def audit_of(tables, months=OCTOBER, *, settings=None):
    return audit_module.audit(make_book(tables, settings=settings), months, today=TODAY)


def only_month(result, user_id="U001"):
    person = next(p for p in result.people if p.user_id == user_id)
    (month,) = person.months
    return month


def codes(month) -> list[str]:
    return [g.code for g in month.gaps]


def steady(user_id="U001", months=range(5, 11)) -> dict:
    """A person served, reported, met with 企業 and under a reviewed plan every month of ``months`` (2026)."""
    tables = calm(user_id)
    tables["contacts"] = [c for m in months for c in (
        contact(user_id, D(2026, m, 10), "対面", "本人"), contact(user_id, D(2026, m, 25), "職場訪問", "本人・企業"))]
    tables["attendance"] = [attendance(user_id, f"2026-{m:02d}") for m in months]
    tables["reports"] = [{"user_id": user_id, "month": f"2026-{m:02d}", "sent_on": D(2026, m, 28), "recipient": "本人"}
                         for m in months]
    tables["plans"] = [dict(tables["plans"][0], plan_date=day) for day in (D(2026, 3, 1), D(2026, 6, 1), D(2026, 9, 1))]
    return tables


def test_a_person_without_gaps_over_six_months():
    months = list(pd.period_range("2026-05", "2026-10", freq="M"))
    result = audit_of(steady(), months)
    (person,) = result.people
    assert [str(m.month) for m in person.months] == [str(m) for m in months]
    assert all(m.status == BILLABLE and m.gaps == [] and m.units_at_risk == 0 for m in person.months)
    assert result.totals == {"gaps": 0, "units_at_risk": 0, "yen_at_risk": 0}
    september = person.months[4]
    assert [e.line for e in september.evidence] == [
        "対面の支援: 2026年9月10日 対面（本人、担当 佐藤）　※算定に数えた対面",
        "対面の支援: 2026年9月25日 職場訪問（本人・企業、担当 佐藤）",
        "支援レポート: 2026年9月28日 本人に渡した",
        "個別支援計画: 2026年9月1日 作成（次の見直し期限 2026年12月1日）",
        "企業との連絡: 2026年9月25日 職場訪問（本人・企業、担当 佐藤）",
    ]
    assert [e.on for e in person.months[0].evidence if e.kind == "plan"] == [D(2026, 3, 1)]   # May: March's plan


def test_the_plan_in_force_with_its_consent_and_handing_over_and_the_review_after_it():
    tables = calm()
    tables["plans"][0].update(consent_on=D(2026, 9, 5), delivered_on=D(2026, 9, 8))
    (plan,) = [e for e in only_month(audit_of(tables)).evidence if e.kind == "plan"]
    assert plan.line == ("個別支援計画: 2026年9月1日 作成、同意 2026年9月5日、交付 2026年9月8日"
                         "（次の見直し期限 2026年12月5日）")


def test_records_of_the_store_are_evidence_too(tmp_path):
    from teichaku_nb.records import PlanMonitoring
    from teichaku_nb.store import open_store
    tables = calm()
    tables["reports"] = []                                   # given, recorded in the app only
    book = make_book(tables)
    with open_store(str(tmp_path / "records.sqlite"), known_users={book.key: ["U001"]}) as store:
        store.record_report(book.key, "U001", "2026-10", "本人・企業", by="佐藤", sent_on=D(2026, 10, 30))
        store.record_employment_check(book.key, "U001", by="佐藤", checked_on=D(2026, 10, 31), employment="継続",
                                      method="企業")
        store.save_monitoring(PlanMonitoring(office=book.key, user_id="U001", month=MONTH, monitored_on=D(2026, 10, 20),
                                             plan_date=D(2026, 9, 1), decision="継続"), by="佐藤", expected_version=None)
        month = only_month(audit_module.audit(book, OCTOBER, store, today=TODAY))
    assert (month.status, codes(month)) == (BILLABLE, [])
    lines = [e.line for e in month.evidence]
    assert "支援レポート: 2026年10月30日 本人・企業に渡した" in lines
    assert "モニタリング: 2026年10月20日 計画（2026年9月1日 作成）の判断: 継続" in lines
    assert "就労確認: 2026年10月31日 継続（企業に確認）" in lines


def test_a_handover_and_a_regional_meeting_are_evidence_in_their_months(tmp_path):
    from teichaku_nb.store import Conference, Review, open_store
    tables = calm("U001", support_end=D(2027, 1, 10), needs_continuing="はい", handover_consent_on=D(2026, 9, 1))
    tables["contacts"] += [dict(contact("U001", D(2026, 10, 2), "対面", "企業"), kind="引継ぎ"),
                           dict(contact("U001", D(2026, 10, 8), "電話", "関係機関"), kind="引継ぎ")]
    book = make_book(tables, settings={"handover_policy": "はい"})
    with open_store(str(tmp_path / "records.sqlite"), known_users={book.key: ["U001"]}) as store:
        meeting = store.save_conference(Conference(
            office=book.key, month=MONTH, held_on=D(2026, 11, 5), kind="地域連携会議", attendees=("佐藤",),
            outside_participants=("ハローワーク 架空",), presenter="田村"), by="佐藤")
        store.save_review(Review(office=book.key, user_id="U001", month=MONTH, conference_id=meeting.id),
                          by="佐藤", expected_version=None)
        month = only_month(audit_module.audit(book, OCTOBER, store, today=TODAY))
    lines = [e.line for e in month.evidence]
    # the deadline is 3 months before the end (2026年10月10日): every part done by then
    assert "引継ぎ: 期限 2026年10月10日: 本人の同意 2026年9月1日、企業 2026年10月2日、関係機関 2026年10月8日" in lines
    # held in November about October: October's, as the fee check counts its addition
    assert "地域連携会議: 2026年11月5日 地域連携会議で検討（説明: 田村）" in lines


def test_a_decision_that_has_lapsed_is_a_gap_and_one_the_workbook_no_longer_holds_is_to_check():
    expired = calm("U001", certificate_until=D(2026, 9, 30))
    renewed = calm("U002", decision_start=D(2026, 11, 1), certificate_until=D(2027, 10, 31))
    result = audit_of(combine(expired, renewed))
    lapsed, earlier = (only_month(result, u) for u in ("U001", "U002"))
    assert (lapsed.status, codes(lapsed), lapsed.units_at_risk) == (NOT_BILLABLE, ["decision_not_covering"], TOP)
    assert (earlier.status, codes(earlier), earlier.units_at_risk) == (TO_CHECK, ["decision_unrecorded"], 0)
    assert "更新前の受給者証" in earlier.gaps[0].message and "2026年11月1日" in earlier.gaps[0].message
    # what else the month has to check stays with it
    renewed["plans"][0].update(consent_on=D(2026, 9, 5), delivered_on=None)
    assert codes(only_month(audit_of(renewed), "U002")) == ["decision_unrecorded", "plan_not_delivered"]
    # a decision that begins on the month's last day covers the month: the fee check's own answer
    last_day = calm("U003", decision_start=D(2026, 10, 31), certificate_until=D(2027, 10, 30))
    assert codes(only_month(audit_of(last_day), "U003")) == ["no_face_to_face"]   # met before the decision began


def test_no_contract_and_a_start_before_six_months_of_work_are_the_fee_checks_reasons():
    no_contract = calm("U001", contract_on=D(2026, 11, 2))
    too_early = calm("U002", hired_on=D(2026, 5, 1), support_start=D(2026, 10, 1), contract_on=D(2026, 9, 20))   # 6 months on 11月1日
    result = audit_of(combine(no_contract, too_early))
    assert codes(only_month(result, "U001")) == ["contract_missing"]
    assert codes(only_month(result, "U002")) == ["before_eligible_start"]
    assert only_month(result, "U002").units_at_risk == TOP


def test_the_offices_own_items_from_its_settings_and_its_fee_checks():
    months = [MONTH - 1, MONTH]
    items = {i["code"]: i for i in audit_of(steady(), months, settings={
        "handover_policy": "いいえ", "manager_missing_from": MONTH, "information_unpublished_from": "なし"}).office_items}
    assert items["handover_policy"]["gap"] and "定めていない" in items["handover_policy"]["state"]
    assert items["handover_missing"] == {"code": "handover_missing", "label": "支援体制構築未実施減算",
                                         "state": "2026年9月〜2026年10月のうち2か月が減算", "gap": True}
    assert items["manager_missing"]["state"] == "2026年10月が減算"
    assert (items["staff_shortage"]["gap"], items["staff_shortage"]["state"]) == (False, "期間中の減算はありません")
    kept = {i["code"]: i for i in audit_of(steady(), months, settings={"handover_policy": "はい"}).office_items}
    assert not any(i["gap"] for i in kept.values())


def test_no_face_to_face_is_the_fee_checks_reason_and_puts_the_base_units_at_risk():
    tables = calm()
    for record in tables["contacts"]:
        if record["date"].month == 10:
            record.update(method="電話", party="本人・企業")     # spoken with both, met with nobody
    month = only_month(audit_of(tables))
    assert (month.status, codes(month), month.units_at_risk) == (NOT_BILLABLE, ["no_face_to_face"], TOP)


def test_a_plan_not_reviewed_in_time_is_a_missed_monitoring_with_the_reductions_units():
    tables = calm()
    tables["plans"][0]["plan_date"] = D(2026, 6, 30)          # due 9月30日: October is the lapse's 1st month, 30 %
    month = only_month(audit_of(tables))
    # 3,512 × 0.7 = 2,458.4 → 2,458 units billed: 1,054 units taken off
    assert (month.status, codes(month), month.units_at_risk) == (BILLABLE, ["monitoring_missing"], 3512 - 2458)
    assert "3か月の見直しがなく" in month.gaps[0].message and "個別支援計画未作成減算" in month.gaps[0].message


def test_no_plan_in_force_is_plan_missing_with_the_reductions_units():
    tables = calm()
    tables["plans"] = []                                      # support began 2025-07-10: the lapse's 3rd month on, 50 %
    month = only_month(audit_of(tables))
    assert (month.status, codes(month), month.units_at_risk) == (BILLABLE, ["plan_missing"], 3512 - 1756)
    assert "同意を得た個別支援計画がありません" in month.gaps[0].message


def test_a_plan_agreed_but_not_handed_over_is_shown_and_not_counted():
    tables = calm()
    tables["plans"][0].update(consent_on=D(2026, 9, 5), delivered_on=None)
    month = only_month(audit_of(tables))
    assert (month.status, codes(month), month.units_at_risk) == (TO_CHECK, ["plan_not_delivered"], 0)
    assert "交付日が空欄" in month.gaps[0].message


def test_no_contact_with_the_employer_is_shown_and_never_counted_in_money():
    tables = calm()
    for record in tables["contacts"]:
        record["party"] = "本人"
    result = audit_of(tables)
    month = only_month(result)
    assert (month.status, codes(month), month.units_at_risk) == (BILLABLE, ["no_employer_contact"], 0)
    assert "企業との連絡の記録がありません" in month.gaps[0].message and "努力義務" in month.gaps[0].message
    assert result.totals == {"gaps": 1, "units_at_risk": 0, "yen_at_risk": 0}


def test_the_money_at_risk_worked_out_by_hand():
    # U001: no 支援レポート to 本人 in September nor October: both months 算定不可, 2 × 3,512 units.
    # U002: plan lapsed in October (30 %): 1,054 units.  11.20円 a unit, fractions cut.
    unreported = steady("U001", range(7, 11))
    unreported["reports"] = [r for r in unreported["reports"] if r["month"] not in ("2026-09", "2026-10")]
    lapsed = steady("U002", range(7, 11))
    lapsed["plans"] = [dict(lapsed["plans"][0], plan_date=D(2026, 6, 30))]
    result = audit_of(combine(unreported, lapsed), [MONTH - 1, MONTH], settings={"unit_price": 11.2})
    first, second = result.people
    assert [m.status for m in first.months] == [NOT_BILLABLE, NOT_BILLABLE]
    assert [codes(m) for m in first.months] == [["report_not_shared"], ["report_not_shared"]]
    assert first.units_at_risk == 2 * TOP == 7024
    assert [codes(m) for m in second.months] == [[], ["monitoring_missing"]]
    assert second.units_at_risk == 1054
    # (7,024 + 1,054) × 11.2 = 90,473.6 → 90,473円
    assert result.totals == {"gaps": 3, "units_at_risk": 8078, "yen_at_risk": 90473}


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_demo_over_two_months_as_json(tmp_path, capsys):
    book = shutil.copy(DEMO, tmp_path / "demo.xlsx")
    code, out, _ = run(capsys, "audit", book, "--from", "2026-09", "--to", "2026-10", "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["office", "from", "to", "people", "office_items", "totals"]
    assert (data["from"], data["to"]) == ("2026-09", "2026-10")
    assert [i["code"] for i in data["office_items"]][0] == "handover_policy"
    assert all(list(i) == ["code", "label", "state", "gap"] for i in data["office_items"])
    assert set(data["totals"]) == {"gaps", "units_at_risk", "yen_at_risk"}
    assert data["people"]
    for person in data["people"]:
        assert list(person) == ["user_id", "name", "months"]
        for month in person["months"]:
            assert list(month) == ["month", "status", "gaps", "evidence", "units_at_risk"]
            assert month["month"] in ("2026-09", "2026-10")
            assert all(list(g) == ["code", "message"] for g in month["gaps"])
            assert all(list(e) == ["kind", "label", "date", "text"] for e in month["evidence"])
    # both ends of the period are included
    assert {m["month"] for p in data["people"] for m in p["months"]} == {"2026-09", "2026-10"}
    assert data["totals"]["units_at_risk"] == sum(m["units_at_risk"] for p in data["people"] for m in p["months"])


def test_the_text_for_people_and_the_edges_of_the_period(tmp_path, capsys):
    from helpers_rules import write_book
    book = write_book(tmp_path / "東事業所.xlsx", combine(steady("U001"), calm("U002")))
    code, out, _ = run(capsys, "audit", book, "--from", "2026-10", "--to", "2026-10")
    assert code == 0
    assert "U001 試験 U001: 不備なし" in out and "合計　不備" in out
    code, out, _ = run(capsys, "audit", book, "--from", "2026-09", "--to", "2026-10", "--json")
    months = {p["user_id"]: [m["month"] for m in p["months"]] for p in json.loads(out)["people"]}
    assert months["U001"] == ["2026-09", "2026-10"]
    code, _, err = run(capsys, "audit", book, "--from", "2026-11", "--to", "2026-10")
    assert code == 2 and "--from" in err


def test_a_month_not_billed_puts_its_base_at_risk_once_whatever_its_reductions():
    from teichaku_nb.audit import person_month
    from teichaku_nb.billing import NOT_BILLABLE, PersonBill, Reason, Reduction
    bill = PersonBill("U001", "青木 蓮", NOT_BILLABLE, [Reason("no_face_to_face", "対面の支援がありません")],
                      base_units=3512, reductions=[Reduction("plan_missing", 0.3, "個別支援計画未作成減算", 1054)])
    month = person_month(bill, pd.Period("2026-10", "M"), None)
    assert month.units_at_risk == 3512
    assert [g.code for g in month.gaps] == ["no_face_to_face", "plan_missing"]


def test_the_excel_file_has_a_row_a_person_and_month_and_the_totals_of_the_json(tmp_path, capsys):
    import openpyxl
    book = shutil.copy(DEMO, tmp_path / "demo.xlsx")
    out = tmp_path / "運営指導.xlsx"
    period = ("audit", book, "--from", "2026-09", "--to", "2026-10")
    code, printed, _ = run(capsys, *period, "--out", out)
    assert code == 0 and f"運営指導の準備を書き出しました: {out}" in printed
    found = json.loads(run(capsys, *period, "--json")[1])
    sheets = openpyxl.load_workbook(out)
    rows = list(sheets["運営指導の準備"].iter_rows(values_only=True))
    assert rows[0][:5] == ("事業所", "対象月", "利用者ID", "氏名", "算定")
    assert sheets["運営指導の準備"].auto_filter.ref == f"A1:K{len(rows)}"            # filter buttons on every column
    assert len(rows) - 1 == sum(len(p["months"]) for p in found["people"])
    assert {r[1] for r in rows[1:]} == {"2026年9月", "2026年10月"}                  # both ends of the period
    total = list(sheets["合計"].iter_rows(values_only=True))[1]
    assert (total[4], total[5], total[6]) == (found["totals"]["gaps"], found["totals"]["units_at_risk"],
                                             found["totals"]["yen_at_risk"])
    assert run(capsys, *period, "--out", out)[0] == 2                                 # not overwritten without --force
