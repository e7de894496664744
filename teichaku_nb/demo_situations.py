"""The situations of the demo's last month (the table at the top of ``demo.py``).

Each gets the office, the person and their ordinary months (month -> ``_Month``) and changes
them; ``SITUATIONS`` maps a situation to its function (a situation without one needs only
what ``demo.py`` does when it makes the person).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from . import schema
from .demo_calendar import last_day, month_of
from .demo_words import NOTES_EMPLOYER, NOTES_INTERVIEW

if TYPE_CHECKING:
    from .demo import _Office, _Person


def _no_face_to_face(office: _Office, person: _Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    main = records.main
    main.update(method="電話", party="本人", notes="電話で近況を確認。繁忙期で面談の日程が合わなかった。")
    if records.employer is None:
        records.employer = office._contact(person, main["date"], "電話", "企業", office.rng.choice(NOTES_EMPLOYER))


def _high_absence(office: _Office, person: _Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    records.attendance.update(scheduled_days=20, worked_days=15, absent=5, late=0, left_early=1,
                              remarks="体調不良で欠勤が続いた")
    records.main["notes"] = "今月は体調を崩して5日欠勤。主治医に相談するよう勧めた。"


def _low_condition_score(office: _Office, person: _Person, months: dict) -> None:
    for month, mood in ((office.M - 3, 2), (office.M - 2, 3), (office.M - 1, 2), (office.M, 2)):
        if month in months and months[month].main is not None:
            months[month].main["mood"] = mood
    if office.M in months:
        months[office.M].main["notes"] = "気分の落ち込みが続いている。主治医への相談を勧め、来週もう一度会うことにした。"


def _report_not_shared(office: _Office, person: _Person, months: dict) -> None:
    if office.M in months:
        months[office.M].report = None


def _no_employer_contact(office: _Office, person: _Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    records.main.update(method="対面", party="本人", notes=office.rng.choice(NOTES_INTERVIEW))
    records.employer = None
    records.extras = [c for c in records.extras if c["party"] not in schema.PARTY_WITH_EMPLOYER]


def _certificate(office: _Office, person: _Person, months: dict) -> None:
    if office.M in months:
        months[office.M].main["notes"] = "受給者証の有効期限を確認。更新の手続きについて本人と話した。"


def _handover_soon(office: _Office, person: _Person, months: dict) -> None:
    if office.M in months:
        months[office.M].main["notes"] = "支援期間が残りわずか。引き継ぎ先（障害者就業・生活支援センター）について相談した。"


def _contact_gap(office: _Office, person: _Person, months: dict) -> None:
    M = office.M
    m1 = last_day(M)
    if M - 1 in months:
        before = months[M - 1]
        before.main["date"] = max(m1 - dt.timedelta(days=40), person.start)
        before.main["next_on"] = before.main["date"] + dt.timedelta(days=28)
        before.extras = [c for c in before.extras if c["party"] not in schema.PARTY_WITH_USER]
    if M in months:
        records = months[M]
        day = records.main["date"]
        records.main = None
        records.extras = [c for c in records.extras if c["party"] not in schema.PARTY_WITH_USER]
        records.employer = office._contact(person, day, "電話", "企業",
                                           "本人と連絡が取れていないため、職場での様子を確認。出勤はしているとのこと。")


def _attendance_worsening(office: _Office, person: _Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    records.attendance.update(late=4, left_early=2, remarks="朝起きられず遅刻が続いた")
    records.main["notes"] = "朝起きられず遅刻が増えていると本人。睡眠の状況を確認した。"


def _condition_declining(office: _Office, person: _Person, months: dict) -> None:
    for month in range(office.M - 3, office.M + 1):
        if month in months and months[month].main is not None:
            months[month].main["sleep"] = 3 if month == office.M else 5
    if office.M in months:
        months[office.M].main["notes"] = "最近寝つきが悪いとのこと。生活リズムを一緒に振り返った。"


def _left_job(office: _Office, person: _Person, months: dict) -> None:
    left = month_of(person.end)
    for month in (left - 1, left):
        if month in months:
            months[month].main.update(mood=2, health=3)
    if left in months:
        records = months[left]
        records.main.update(date=person.end, method="職場訪問", party="本人・企業",
                            notes="本人より退職の意向。企業と三者で話し合い、本日付で退職となった。", next_on=None)
        records.employer, records.extras = None, []


def _support_ended(office: _Office, person: _Person, months: dict) -> None:
    ended = month_of(person.end)
    if ended in months:
        months[ended].main.update(
            date=person.end, next_on=None,
            notes="支援期間の最終面談。今後は障害者就業・生活支援センターが相談先となることを確認した。")


def _plan_not_agreed(office: _Office, person: _Person, months: dict) -> None:
    if office.M in months:     # the plan is made at M's interview; its 同意日 stays blank
        main = months[office.M].main
        main["notes"] = "個別支援計画を見直して内容を説明した。同意の署名は次回の面談でもらうことにした。"
        person.plan_on = main["date"]


def _handover_overdue(office: _Office, person: _Person, months: dict) -> None:
    if office.M in months:
        months[office.M].main["notes"] = \
            "支援終了まで残り2か月。引継ぎ先の障害者就業・生活支援センターとは、まだ打ち合わせができていない。"


def _handover_done(office: _Office, person: _Person, months: dict) -> None:
    if office.M in months:
        months[office.M].main["notes"] = \
            "支援終了後は障害者就業・生活支援センターに相談することを本人と確認した。引継ぎは済んでいる。"


def _report_to_employer_only(office: _Office, person: _Person, months: dict) -> None:
    records = months.get(office.M)
    if records is not None and records.report is not None:
        records.report["recipient"] = "企業"


SITUATIONS = {
    "no_face_to_face": _no_face_to_face,
    "certificate_expired": _certificate,
    "high_absence": _high_absence,
    "low_condition_score": _low_condition_score,
    "report_not_shared": _report_not_shared,
    "no_employer_contact": _no_employer_contact,
    "certificate_expiring": _certificate,
    "handover_soon": _handover_soon,
    "contact_gap": _contact_gap,
    "attendance_worsening": _attendance_worsening,
    "condition_declining": _condition_declining,
    "left_job": _left_job,
    "support_ended": _support_ended,
    "plan_not_agreed": _plan_not_agreed,
    "handover_overdue": _handover_overdue,
    "handover_done": _handover_done,
    "report_to_employer_only": _report_to_employer_only,
    "employment_checked": _support_ended,
}
