"""The 運営指導の確認資料 (docs/audit.md): the audit's evidence laid out for staff, made by
``teichaku report evidence``; and the audit of the demo's last six months.  Synthetic people only."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from teichaku_nb import audit as audit_module
from teichaku_nb import documents
from teichaku_nb.audit_document import cover_html, person_html
from teichaku_nb.billing import NOT_BILLABLE
from teichaku_nb.cli import main
from teichaku_nb.office_month import OfficeMonth
from teichaku_nb.store import open_store
from teichaku_nb.workbook import load_casebook

from helpers_demo import DEMO, DEMO_KEY, DEMO_NAME
from helpers_rules import calm, make_book
from test_reports import _plain

D = dt.date
LAST_SIX = list(pd.period_range("2026-05", "2026-10", freq="M"))


def test_a_persons_document_shows_the_plan_dates_and_every_month_and_never_a_contacts_notes():
    tables = calm("U001", name="<b>試験</b> 太郎")
    tables["plans"][0].update(consent_on=D(2026, 9, 5), delivered_on=D(2026, 9, 8))
    for record in tables["contacts"]:
        record["notes"] = "内部のメモ：家族の事情"
    book = make_book(tables)
    result = audit_module.audit(book, [pd.Period("2026-09", "M"), pd.Period("2026-10", "M")], today=D(2026, 11, 30))
    markup = person_html(book, result, "U001")
    text = _plain(markup)
    assert "<b>試験</b>" not in markup and "&lt;b&gt;試験&lt;/b&gt;" in markup          # escaped
    assert "個別支援計画: 2026年9月1日 作成、同意 2026年9月5日、交付 2026年9月8日" in text
    assert "2026年9月 算定不可" in text and "2026年10月 算定可" in text                # September: no 支援レポート
    assert "9月の支援レポートを本人に渡した記録がありません" in text
    assert "対面の支援: 2026年10月10日 対面（本人、担当 佐藤） ※算定に数えた対面" in text
    assert "内部のメモ" not in text
    assert "本人・企業には渡さないでください" in text


def test_the_cover_lists_the_offices_items_and_everyone_with_their_gaps():
    book = make_book(calm("U001") | {"users": calm("U001")["users"]}, settings={"handover_policy": "いいえ"})
    result = audit_module.audit(book, [pd.Period("2026-10", "M")], today=D(2026, 11, 30))
    text = _plain(cover_html(book, result))
    assert "不備 引継ぎの指針と責任者（支援体制構築） 定めていない（設定: いいえ）" in text
    assert "U001 試験 U001 算定可 1" in text
    assert "この資料で確かめていないこと" in text and "国保連への請求データ" in text


def test_it_is_for_staff_only_and_never_a_copy_for_a_person_or_an_employer(capsys):
    assert documents.EVIDENCE.internal and not documents.EVIDENCE.copies
    assert main(["report", "evidence", str(DEMO), "--from", "2026-05", "--to", "2026-10", "--for", "本人"]) == 2
    assert "宛先（--for）は" in capsys.readouterr().err


def test_a_person_not_in_service_in_the_period_is_said_so(tmp_path, capsys):
    book = load_casebook(DEMO)
    served = {p.user_id for p in audit_module.audit(book, LAST_SIX, today=D(2026, 11, 30)).people}
    outside = sorted(set(book.users["user_id"]) - served)[0]
    assert main(["report", "evidence", str(DEMO), "--from", "2026-05", "--to", "2026-10", "--user", outside,
                 "--out", str(tmp_path)]) == 2
    assert f"利用者ID {outside} は 2026年5月〜2026年10月に支援の期間がありません" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_the_demo_over_its_last_six_months_finds_the_gaps_its_situations_plant():
    book = load_casebook(DEMO)
    result = audit_module.audit(book, LAST_SIX, today=D(2026, 11, 30))
    october = {g.code for p in result.people for m in p.months if str(m.month) == "2026-10" for g in m.gaps}
    assert {"no_face_to_face", "decision_not_covering", "report_not_shared", "plan_missing", "plan_not_delivered",
            "handover_missing", "no_employer_contact", "before_eligible_start"} <= october
    items = {i["code"]: i for i in result.office_items}
    assert items["manager_missing"]["state"] == "2026年6月〜2026年7月のうち2か月が減算"
    assert items["staff_shortage"]["state"] == "2026年8月が減算"
    # every month 算定不可 is the fee check's answer for that month, with its reasons
    for month, bill in zip(LAST_SIX, result.bills):
        assert bill.month == month
        expected = {p.user_id: p for p in OfficeMonth(book, month, today=D(2026, 11, 30)).billing.people}
        for person in result.people:
            found = next((m for m in person.months if m.month == month), None)
            if found is None:
                assert person.user_id not in expected
                continue
            fee = expected[person.user_id]
            if found.status == NOT_BILLABLE:
                assert found.units_at_risk == fee.base_units
                assert [g.code for g in found.gaps][:len(fee.reasons)] == [r.code for r in fee.reasons]
    assert result.totals["units_at_risk"] == sum(p.units_at_risk for p in result.people) > 0


def test_a_second_bundle_in_the_same_process_reads_the_records_as_they_are_then(tmp_path):
    from teichaku_nb.reports import make_evidence
    book = shutil.copy(DEMO, tmp_path / "office.xlsx")
    open_store(book_path=book).close()             # one store, kept open by the documents between batches
    casebook = load_casebook(book)
    result = audit_module.audit(casebook, [pd.Period("2026-10", "M")], today=D(2026, 11, 30))
    unreported = next(p.user_id for p in result.people for m in p.months
                      if [g.code for g in m.gaps][:1] == ["report_not_shared"])

    def october(out) -> str:
        (made,) = make_evidence(book, "2026-10", "2026-10", user=unreported, fmt="html", out_dir=out).documents
        return _plain(made.read_text(encoding="utf-8"))

    assert "10月の支援レポートを本人に渡した記録がありません" in october(tmp_path / "first")
    with open_store(book_path=book) as store:
        store.record_report(casebook.key, unreported, "2026-10", "本人", by="佐藤", sent_on=D(2026, 10, 30))
    again = october(tmp_path / "second")
    assert "支援レポート: 2026年10月30日 本人に渡した" in again
    assert "10月の支援レポートを本人に渡した記録がありません" not in again


def pdf_pages(path) -> list[str]:
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")[:-1]
    return [re.sub(r"\s+", " ", page) for page in pages]


@pytest.mark.slow
def test_the_demo_bundle_as_pdf_is_logged_and_one_persons_document_reads_month_by_month(tmp_path, capsys):
    from teichaku_nb.pdf import find_chromium
    if find_chromium() is None or shutil.which("pdftotext") is None:
        pytest.skip("Chromium and pdftotext are needed (apt install chromium poppler-utils)")
    book = shutil.copy(DEMO, tmp_path / "office.xlsx")
    open_store(book_path=book).close()
    out = tmp_path / "audit"
    assert main(["report", "evidence", str(book), "--from", "2026-05", "--to", "2026-10", "--format", "pdf",
                 "--out", str(out)]) == 0
    made = sorted(p.name for p in out.iterdir())
    prefix = f"{DEMO_NAME}_運営指導資料_2026-05_2026-10"
    served = {p.user_id for p in audit_module.audit(load_casebook(book), LAST_SIX).people}
    assert made == sorted([f"{prefix}_表紙.pdf", *(f"{prefix}_{u}.pdf" for u in served)])
    cover = " ".join(pdf_pages(out / f"{prefix}_表紙.pdf"))
    assert "運営指導の確認資料 表紙" in cover and "2026年5月〜2026年10月" in cover
    person = sorted(served)[0]
    pages = pdf_pages(out / f"{prefix}_{person}.pdf")
    assert 1 <= len(pages) <= 3
    text = " ".join(pages)
    for month in range(5, 11):
        assert f"2026年{month}月" in text
    assert "期間中の個別支援計画" in text and re.search(r"作成、同意 \d{4}年\d+月\d+日", text)
    capsys.readouterr()
    assert main(["log", str(book), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    assert {(e["action"], e["office"]) for e in entries} == {("document_made", DEMO_KEY)}
    assert all(e["detail"].startswith("2026年5月〜2026年10月・PDF") for e in entries)
    assert sorted(name for e in entries for name in e["document"].split(",")) == made
