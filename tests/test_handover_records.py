"""The handover recorded in the app counts for the fee check (支援体制構築未実施減算) and for
the agenda's 引継ぎの準備, beside what the workbook holds.

One synthetic person whose support ends on 2026-12-15: the handover was due by 2026-09-15, so
October 2026 is the first month the office's 減算 can apply (the month after the deadline).
The workbook has the 要継続支援 judgement (はい), the consent and an outside 引継ぎ contact; the
employer part is what is missing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from teichaku_nb import billing
from teichaku_nb.office_month import OfficeMonth
from teichaku_nb.store import open_store

from helpers_rules import MONTH, calm, combine, contact, make_book

D = dt.date
OFFICE = "テスト事業所"


def handover_book(**user_changes):
    person = calm(**{"needs_continuing": "はい", "support_end": D(2026, 12, 15),
                     "handover_consent_on": D(2026, 8, 1), **user_changes})
    outside = contact("U001", D(2026, 9, 10), "電話", "関係機関")
    outside["kind"] = "引継ぎ"
    return make_book(combine(person, {"contacts": [outside]}), settings={"handover_policy": "はい"})


@pytest.fixture
def store(tmp_path):
    with open_store(str(tmp_path / "records.sqlite"), known_users={OFFICE: ["U001"]}) as opened:
        yield opened


def bill(book, store, month=MONTH) -> billing.PersonBill:
    (person,) = OfficeMonth(book, month, store, today=D(2026, 11, 30)).billing.people
    return person


def reductions(book, store, month=MONTH) -> list[str]:
    return [r.code for r in bill(book, store, month).reductions]


def late(book, store, month=MONTH) -> str | None:
    """What the office note says was missing from U001's handover (None: nothing late)."""
    notes = OfficeMonth(book, month, store, today=D(2026, 11, 30)).billing.office_notes
    found = [n for n in notes if "間に合わなかった人: U001" in n]
    return found[0].split("間に合わなかった人: ")[1].split("。")[0] if found else None


def handover_flag(book, store, month=MONTH) -> str | None:
    flags = {f.code: f.message for f in OfficeMonth(book, month, store).agenda.case("U001").flags}
    return flags.get("handover_due")


def test_the_workbook_alone_lacks_the_employer_part(store):
    book = handover_book()
    assert reductions(book, store) == ["handover_missing"]
    assert late(book, store) == "U001 試験 U001（期限 2026年9月15日までに 企業との引継ぎ がありません）"


def test_a_shared_record_with_the_employer_before_the_deadline_completes_the_handover(store):
    book = handover_book()
    assert "まだ済んでいないこと: 企業との引継ぎ" in handover_flag(book, store)
    store.record_handover(OFFICE, "U001", "shared", by="佐藤", done_on=D(2026, 9, 15), party="企業",
                          with_whom="人事 田中")
    person = bill(book, store)
    assert person.reductions == [] and person.units == person.base_units and late(book, store) is None
    assert handover_flag(book, store) is None                      # 引継ぎの準備 is done as well


def test_a_shared_record_after_the_deadline_is_late(store):
    book = handover_book()
    store.record_handover(OFFICE, "U001", "shared", by="佐藤", done_on=D(2026, 9, 16), party="企業",
                          with_whom="人事 田中")
    assert reductions(book, store) == ["handover_missing"]
    assert late(book, store) == "U001 試験 U001（期限 2026年9月15日までに 企業との引継ぎ がありません）"


def test_a_withdrawn_record_stops_counting(store):
    book = handover_book()
    shared = store.record_handover(OFFICE, "U001", "shared", by="佐藤", done_on=D(2026, 9, 1), party="企業",
                                   with_whom="人事 田中")
    assert reductions(book, store) == []
    store.withdraw_handover(shared.id, by="鈴木", expected_version=shared.version, reason="別の人の記録だった")
    assert reductions(book, store) == ["handover_missing"] and "企業との引継ぎ" in late(book, store)


def test_a_recorded_judgement_of_no_overrides_the_workbook(store):
    book = handover_book()
    store.record_handover(OFFICE, "U001", "needs", by="佐藤", done_on=D(2026, 9, 5), value="いいえ")
    person = bill(book, store)
    assert person.reductions == [] and person.status == billing.BILLABLE
    assert handover_flag(book, store) is None


def test_the_latest_judgement_stands(store):
    book = handover_book(needs_continuing="いいえ")
    assert reductions(book, store) == []
    store.record_handover(OFFICE, "U001", "needs", by="佐藤", done_on=D(2026, 9, 1), value="いいえ")
    store.record_handover(OFFICE, "U001", "needs", by="佐藤", done_on=D(2026, 9, 20), value="はい")
    assert reductions(book, store) == ["handover_missing"]


def test_a_record_dated_after_the_month_does_not_count_for_it(store):
    book = handover_book()
    store.record_handover(OFFICE, "U001", "needs", by="佐藤", done_on=D(2026, 11, 2), value="いいえ")
    assert late(book, store) is not None                           # October: still はい
    assert late(book, store, MONTH + 1) is None                    # November: いいえ from the 2nd


def test_a_recorded_consent_counts_from_the_earlier_of_the_two_dates(store):
    book = handover_book(handover_consent_on=None)
    assert "本人の同意" in late(book, store)
    store.record_handover(OFFICE, "U001", "consent", by="佐藤", done_on=D(2026, 9, 1))
    store.record_handover(OFFICE, "U001", "shared", by="佐藤", done_on=D(2026, 9, 2), party="企業",
                          with_whom="人事 田中")
    assert reductions(book, store) == [] and late(book, store) is None
    assert "本人の同意" in late(book, None)                        # without the store: the workbook alone
