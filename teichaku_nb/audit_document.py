"""The 運営指導の確認資料: what the audit read, laid out for the office to show an inspector.

``cover_html(book, result)`` is the office's cover page: the period, the totals, the office's
own items (``audit.office_items``), everyone's count of gaps and months, and what the check does
not cover.  ``person_html(book, result, user_id)`` is one person's document: who they are and
their service dates, the plans and monitorings of the period, then month by month the fee
check's answer, the records it read (``audit.Evidence``) and the gaps.  The report notebook
``evidence.ipynb`` displays them (``report_views.show_evidence``) and ``reports.make_evidence``
exports them.

It is the office's own document: it carries gaps, money at risk and staff names, so it is made
for staff only (``documents.EVIDENCE``) and is never a copy for a person or an employer.  A
contact's 内容 (its internal notes) is not printed: the record itself is shown on request.
Making it records nothing.
"""

from __future__ import annotations

from .audit import Audit, PersonAudit
from .billing import BILLABLE, NOT_BILLABLE, TO_CHECK
from .casebook import CaseBook
from .japanese import format_month
from .markup import in_office_dates, render, shown

NOT_COVERED = ("運営規程・重要事項説明書、勤務表・出勤簿など人員配置の記録、研修・委員会の記録",
               "利用者負担（上限額管理の結果票など）と国保連への請求データ",
               "面談記録の 内容（この資料には載せていません。求められたら記録そのものを見せてください）")


def period_text(result: Audit) -> str:
    return f"{format_month(result.start)}〜{format_month(result.end)}"


def _money(result: Audit, units: int) -> str:
    return f"{units:,}単位（{result.yen(units):,}円）"


def _counts(person: PersonAudit) -> str:
    statuses = [m.status for m in person.months]
    return "・".join(f"{s} {statuses.count(s)}" for s in (BILLABLE, TO_CHECK, NOT_BILLABLE) if statuses.count(s))


@in_office_dates
def cover_html(book: CaseBook, result: Audit) -> str:
    """The office's cover page of the bundle."""
    totals = result.totals
    facts = [("事業所", book.office), ("事業所番号", book.settings.office_number or "（設定に記入なし）"),
             ("期間", period_text(result)), ("対象の利用者", f"{len(result.people)}人"),
             ("不備", f"{totals['gaps']}件（{sum(1 for p in result.people if p.gaps)}人）"),
             ("返還・減額のおそれ", _money(result, totals["units_at_risk"])),
             ("1単位の単価", f"{result.unit_price:g}円")]
    items = [("不備" if i["gap"] else "—", i["label"], i["state"]) for i in result.office_items]
    people = [(p.user_id, p.name, _counts(p), f"{p.gaps}件" if p.gaps else "なし",
               f"{p.units_at_risk:,}" if p.units_at_risk else "—") for p in result.people]
    return render("documents/evidence_cover.html.j2", title="運営指導の確認資料　表紙", facts=facts, items=items,
                  people=people, not_covered=NOT_COVERED)


def _person_facts(book: CaseBook, user_id: str) -> list[tuple[str, object]]:
    row = book.users[book.users["user_id"] == user_id].iloc[0]

    def value(column: str):
        return row[column] if column in row.index and book.has("users", column) else None

    return [("利用者", f"{user_id} {row['name']}"), ("企業名", row["employer"]), ("担当支援員", row["staff"]),
            ("就職日", row["hired_on"]),
            ("支援の期間", f"{shown(row['support_start'])}〜{shown(row['support_end'])}"),
            ("利用契約日", value("contract_on")), ("支給決定開始日", value("decision_start")),
            ("受給者証有効期限", row["certificate_until"]), ("状況", row["status"]),
            ("企業共有同意", row["employer_consent"]), ("要継続支援", value("needs_continuing"))]


@in_office_dates
def person_html(book: CaseBook, result: Audit, user_id: str) -> str:
    """One person's document: their dates, the plans and monitorings, then each month."""
    person = next(p for p in result.people if p.user_id == user_id)
    seen = [e for m in person.months for e in m.evidence if e.kind in ("plan", "monitoring")]
    plans = list(dict.fromkeys(e.line for e in seen if e.kind == "plan"))
    monitorings = list(dict.fromkeys(e.line for e in seen if e.kind == "monitoring"))
    months = [{"label": format_month(m.month), "status": m.status,
               "evidence": [e.line for e in m.evidence],
               "gaps": [g.message for g in m.gaps],
               "at_risk": _money(result, m.units_at_risk) if m.units_at_risk else ""} for m in person.months]
    summary = (f"不備 {person.gaps}件、返還・減額のおそれ {_money(result, person.units_at_risk)}" if person.gaps
               else "この期間に不備は見つかりませんでした")
    return render("documents/evidence_person.html.j2", title=f"運営指導の確認資料　{user_id} {person.name}",
                  facts=_person_facts(book, user_id), period=period_text(result), summary=summary,
                  plans=plans, monitorings=monitorings, months=months)
