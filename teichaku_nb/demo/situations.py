"""The situations of the demo's last month (the table in the package's docstring,
``demo/__init__.py``): which ones an office gets (``SCENARIOS``, ``FEE_SCENARIOS``,
``V3_SCENARIOS``) and what each does to a person.

Each gets the office, the person and their ordinary months (month -> ``Month``) and changes
them; ``SITUATIONS`` maps a situation to its function (a situation without one needs only
what ``people`` does when it makes the person).  Someone whose support starts next month gets
``before_start`` instead of months; the format 3 people (``V3_SCENARIOS``) get their first
meeting (``first_meeting``) and plans of their own (``chained_plans``).
"""

from __future__ import annotations

import datetime as dt

from .. import schema
from .months import date_in, last_day, month_of, weighted
from .office import Office, Person
from .words import (EMPLOYMENT_CHECKS, LEAVE_REMARKS, NOTE_ADDITIONS, NOTE_AFTER_CHANGE, NOTE_JOB_CHANGED,
                    NOTE_JOB_PENDING, NOTE_LEAVE_BEFORE, NOTE_LEAVE_EMPLOYER, NOTE_LEAVE_VISIT, NOTE_LEFT_EMPLOYER,
                    NOTE_NEW_EMPLOYER, NOTE_REPORT_EMPLOYER, NOTE_STARTED, NOTES_BEFORE_START, NOTES_EMPLOYER,
                    NOTES_INTERVIEW, NOTES_REFERRAL)

SCENARIO_MIN_PEOPLE = 12

SCENARIOS: tuple[str, ...] = (
    "no_face_to_face", "certificate_expired", "high_absence", "low_condition_score",
    "report_not_shared", "no_employer_contact", "plan_review_due", "no_plan",
    "certificate_expiring", "handover_soon", "contact_gap", "attendance_worsening",
    "condition_declining", "left_job", "support_ended", "starting_next_month",
)
# The month's fee check (format 2): given to the last people of an office, after the ordinary ones.
FEE_SCENARIOS: tuple[str, ...] = (
    "plan_not_agreed", "handover_overdue", "handover_done", "report_to_employer_only", "employment_checked",
)

# Format 3 (the rules of version 3): the last people of an office of at least V3_MIN_PEOPLE, after
# everyone else, each from a generator of their own, so that the people before them keep their cells.
V3_SCENARIOS: tuple[str, ...] = (
    "report_employer_missing", "on_leave", "job_change_pending", "started_early", "job_changed", "additions",
)
V3_MIN_PEOPLE = 30 + len(V3_SCENARIOS)


def _no_face_to_face(office: Office, person: Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    main = records.main
    main.update(method="電話", party="本人", notes="電話で近況を確認。繁忙期で面談の日程が合わなかった。")
    if records.employer is None:
        records.employer = office.contact(person, main["date"], "電話", "企業", office.rng.choice(NOTES_EMPLOYER))


def _high_absence(office: Office, person: Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    records.attendance.update(scheduled_days=20, worked_days=15, absent=5, late=0, left_early=1,
                              remarks="体調不良で欠勤が続いた")
    records.main["notes"] = "今月は体調を崩して5日欠勤。主治医に相談するよう勧めた。"


def _low_condition_score(office: Office, person: Person, months: dict) -> None:
    for month, mood in ((office.M - 3, 2), (office.M - 2, 3), (office.M - 1, 2), (office.M, 2)):
        if month in months and months[month].main is not None:
            months[month].main["mood"] = mood
    if office.M in months:
        months[office.M].main["notes"] = "気分の落ち込みが続いている。主治医への相談を勧め、来週もう一度会うことにした。"


def _report_not_shared(office: Office, person: Person, months: dict) -> None:
    if office.M in months:
        months[office.M].report = None


def _no_employer_contact(office: Office, person: Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    records.main.update(method="対面", party="本人", notes=office.rng.choice(NOTES_INTERVIEW))
    records.employer = None
    records.extras = [c for c in records.extras if c["party"] not in schema.PARTY_WITH_EMPLOYER]


def _plan_review_due(office: Office, person: Person, months: dict) -> None:
    # The latest plan (drawn as one of M−4, so the random draws stay those of before) is made on
    # the last day of M−3 and agreed a few days later: its review falls due early in M+1.
    person.plan_on = last_day(office.M - 3)


def _certificate(office: Office, person: Person, months: dict) -> None:
    if office.M in months:
        months[office.M].main["notes"] = "受給者証の有効期限を確認。更新の手続きについて本人と話した。"


def _handover_soon(office: Office, person: Person, months: dict) -> None:
    if office.M in months:
        months[office.M].main["notes"] = "支援期間が残りわずか。引き継ぎ先（障害者就業・生活支援センター）について相談した。"


def _contact_gap(office: Office, person: Person, months: dict) -> None:
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
        records.employer = office.contact(person, day, "電話", "企業",
                                           "本人と連絡が取れていないため、職場での様子を確認。出勤はしているとのこと。")


def _attendance_worsening(office: Office, person: Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    records.attendance.update(late=4, left_early=2, remarks="朝起きられず遅刻が続いた")
    records.main["notes"] = "朝起きられず遅刻が増えていると本人。睡眠の状況を確認した。"


def _condition_declining(office: Office, person: Person, months: dict) -> None:
    for month in range(office.M - 3, office.M + 1):
        if month in months and months[month].main is not None:
            months[month].main["sleep"] = 3 if month == office.M else 5
    if office.M in months:
        months[office.M].main["notes"] = "最近寝つきが悪いとのこと。生活リズムを一緒に振り返った。"


def _left_job(office: Office, person: Person, months: dict) -> None:
    left = month_of(person.end)
    for month in (left - 1, left):
        if month in months:
            months[month].main.update(mood=2, health=3)
    if left in months:
        records = months[left]
        records.main.update(date=person.end, method="職場訪問", party="本人・企業",
                            notes="本人より退職の意向。企業と三者で話し合い、本日付で退職となった。", next_on=None)
        records.employer, records.extras = None, []


def _support_ended(office: Office, person: Person, months: dict) -> None:
    ended = month_of(person.end)
    if ended in months:
        months[ended].main.update(
            date=person.end, next_on=None,
            notes="支援期間の最終面談。今後は障害者就業・生活支援センターが相談先となることを確認した。")


def _plan_not_agreed(office: Office, person: Person, months: dict) -> None:
    if office.M in months:     # the plan is made at M's interview; its 同意日 stays blank
        main = months[office.M].main
        main["notes"] = "個別支援計画を見直して内容を説明した。同意の署名は次回の面談でもらうことにした。"
        person.plan_on = main["date"]


def _handover_overdue(office: Office, person: Person, months: dict) -> None:
    if office.M in months:
        months[office.M].main["notes"] = \
            "支援終了まで残り2か月。引継ぎ先の障害者就業・生活支援センターとは、まだ打ち合わせができていない。"


def _handover_done(office: Office, person: Person, months: dict) -> None:
    if office.M in months:
        months[office.M].main["notes"] = \
            "支援終了後は障害者就業・生活支援センターに相談することを本人と確認した。引継ぎは済んでいる。"


def _report_to_employer_only(office: Office, person: Person, months: dict) -> None:
    records = months.get(office.M)
    if records is not None and records.report is not None:
        records.report["recipient"] = "企業"


# --- format 3: the last people of an office of at least V3_MIN_PEOPLE (V3_SCENARIOS) --------------

def _workdays(month: int, skipped: range = range(0)) -> int:
    """Weekdays of a month, leaving out the days in ``skipped``."""
    return sum(1 for day in range(1, last_day(month).day + 1)
               if date_in(month, day).weekday() < 5 and day not in skipped)


def _report_employer_missing(office: Office, person: Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    records.main["notes"] = NOTE_REPORT_EMPLOYER
    if records.report is not None:
        records.report["recipient"] = "本人"     # 企業共有同意 はい, but the employer's copy is not recorded


def _on_leave(office: Office, person: Person, months: dict) -> None:
    M = office.M
    if M - 1 in months:
        before = months[M - 1]
        before.main.update(method="対面", party="本人", notes=NOTE_LEAVE_BEFORE, health=2)
        if before.attendance is not None:
            scheduled = before.attendance["scheduled_days"]
            before.attendance.update(worked_days=scheduled - 3, absent=3, remarks="体調不良で欠勤（3日）")
    records = months.get(M)
    if records is None:
        return
    records.main.update(method="自宅訪問", party="本人", notes=NOTE_LEAVE_VISIT, health=3)
    records.employer = office.contact(person, date_in(M, office.rng.randint(3, 12)), "電話", "企業",
                                       NOTE_LEAVE_EMPLOYER)
    if records.attendance is not None:
        records.attendance.update(worked_days=0, absent=0, late=0, left_early=0, on_leave="はい",
                                  remarks=LEAVE_REMARKS)


def _job_change_pending(office: Office, person: Person, months: dict) -> None:
    M, left = office.M, person.user["left_on"]
    records = months.get(M)
    if records is None:
        return
    # the only 対面 of M is after 離職日; the employer was last heard from on or before it
    records.main.update(date=date_in(M, 20), method="対面", party="本人",
                        notes=NOTE_JOB_PENDING.format(day=left.day), next_on=date_in(M + 1, 18))
    records.employer = office.contact(person, date_in(M, office.rng.randint(2, left.day)), "電話", "企業",
                                       NOTE_LEFT_EMPLOYER.format(day=left.day))
    records.extras = [c for c in records.extras if c["date"] <= left and c["method"] not in schema.FACE_TO_FACE]
    if records.attendance is not None:
        worked = _workdays(M, range(left.day + 1, 32))
        records.attendance.update(scheduled_days=worked, worked_days=worked, absent=0, late=0, left_early=0,
                                  remarks=f"{left.day}日付で退職")
    if records.report is not None:
        records.report["recipient"] = "本人"


def _job_changed(office: Office, person: Person, months: dict) -> None:
    left, rehired = person.user["left_on"], person.user["rehired_on"]
    month = month_of(left)
    records = months.get(month)
    if records is not None:
        between = date_in(month, office.rng.randint(left.day + 2, rehired.day - 2))
        records.main.update(date=between, method="対面", party="本人",
                            notes=NOTE_JOB_CHANGED.format(left=left.day, old=person.previous_employer,
                                                          rehired=rehired.day, new=person.user["employer"]))
        records.employer = office.contact(person, last_day(month), "電話", "企業", NOTE_NEW_EMPLOYER)
        records.extras = [c for c in records.extras if c["party"] not in schema.PARTY_WITH_EMPLOYER]
        if records.attendance is not None:
            scheduled = _workdays(month, range(left.day + 1, rehired.day))
            absent = records.attendance["absent"]
            records.attendance.update(scheduled_days=scheduled, worked_days=scheduled - absent, late=0, left_early=0,
                                      remarks=f"{left.day}日で退職、{rehired.day}日から新しい職場")
    if month + 1 in months:
        after = months[month + 1]
        if after.main is not None:
            after.main["notes"] = NOTE_AFTER_CHANGE


def _started_early(office: Office, person: Person, months: dict) -> None:
    records = months.get(office.M)
    if records is not None:
        records.main.update(method="対面", party="本人", notes=NOTE_STARTED)


def _additions(office: Office, person: Person, months: dict) -> None:
    records = months.get(office.M)
    if records is None:
        return
    visit = date_in(office.M, office.rng.randint(5, 12))
    records.main.update(date=visit, method="職場訪問", party="本人・企業", notes=NOTE_ADDITIONS)
    records.employer = None
    person.plan_on = visit                      # the plan is made at the visit, agreed a few days later


def before_start(office: Office, person: Person) -> None:
    """Someone whose support starts in M+1: the handover call and a first meeting."""
    M, rng = office.M, office.rng
    rows = office.rows["contacts"]
    if M - 1 >= office.W0:
        rows.append(office.contact(person, date_in(M - 1, rng.randint(10, 25)), "電話", "関係機関",
                                    "就労移行支援事業所から引き継ぎの連絡。支援開始に向けて情報を共有した。"))
        rows[-1]["kind"] = "その他"      # not the handover at the end of support
    rows.append(office.contact(person, date_in(M, rng.randint(5, 20)), "対面", "本人",
                                "支援開始前の面談。就労定着支援の内容と契約について説明した。",
                                office.scores(person, M), person.start))
    person.user["contract_on"] = rows[-1]["date"]      # signed at that meeting


def employment_checks(office: Office, person: Person) -> None:
    """就労確認 after the support ended: every few months up to M, mostly 継続."""
    if person.user["status"] != "支援終了":
        return
    x, M = office.extra, office.M
    if person.scenario == "employment_checked":
        checked = [M - 3, M]
    elif person.scenario == "support_ended":
        checked = [M - 2, M]                    # the last one: 離職
    else:
        checked, month = [], month_of(person.end) + x.randint(1, 3)
        while month <= M:
            checked.append(month)
            month += x.choice((2, 3, 3, 4))
    for month in checked:
        method, remarks = weighted(x, [((m, r), w) for m, r, w in EMPLOYMENT_CHECKS])
        employment = "継続"
        if person.scenario == "support_ended" and month == M:
            employment, method = "離職", "本人"
            remarks = "本人から電話。先月末で退職し、次の仕事を探しているとのこと。"
        office.rows["employment_checks"].append({
            "user_id": person.user["user_id"], "checked_on": date_in(month, x.randint(5, 25)),
            "employment": employment, "method": method, "remarks": remarks})


SITUATIONS = {
    "no_face_to_face": _no_face_to_face,
    "certificate_expired": _certificate,
    "high_absence": _high_absence,
    "low_condition_score": _low_condition_score,
    "report_not_shared": _report_not_shared,
    "no_employer_contact": _no_employer_contact,
    "plan_review_due": _plan_review_due,
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
    "report_employer_missing": _report_employer_missing,
    "on_leave": _on_leave,
    "job_change_pending": _job_change_pending,
    "started_early": _started_early,
    "job_changed": _job_changed,
    "additions": _additions,
}


# --- format 3: before the support starts, and the plans ---------------------------------------------

def first_meeting(office: Office, person: Person) -> None:
    """Before the support starts: the referral (for someone from another office) and the
    meeting at which the contract was signed (利用契約日), when in the months of the records."""
    rows, day = office.rows["contacts"], person.user["contract_on"]
    if person.user.get("from_other_office") == "はい":
        referral = day - dt.timedelta(days=office.rng.randint(5, 10))
        if month_of(referral) >= office.W0:
            rows.append(office.contact(person, referral, "電話", "関係機関", NOTES_REFERRAL))
            rows[-1]["kind"] = "その他"      # not the handover at the end of support
    if month_of(day) >= office.W0:
        rows.append(office.contact(person, day, "対面", "本人", NOTES_BEFORE_START, next_on=person.start))


def chained_plans(office: Office, person: Person, last: int) -> None:
    """A format 3 person's plans: one in the month the support starts, then one every 3 months,
    each agreed 1–4 days after it was made and handed over the same day or a little later,
    within its month: a plan is always agreed in the month its predecessor's review falls due,
    so no month is left without one.  The one in force when the records begin is kept too."""
    rng, first = office.rng, month_of(person.start)
    months = list(range(first, last + 1, 3))
    kept = [m for m in months if m < office.W0][-1:] + [m for m in months if m >= office.W0]
    limit = min(person.end, last_day(office.M))
    for month in kept:
        low, high = office.bounds(person, month)
        plan_date = date_in(month, rng.randint(low, max(low, min(high, 20))))
        if month == months[-1] and person.plan_on is not None:
            plan_date = person.plan_on
        end_of_month = min(last_day(month), limit)
        consent = min(plan_date + dt.timedelta(days=rng.randint(1, 4)), end_of_month)
        delivered = min(consent + dt.timedelta(days=rng.choice((0, 0, 1, 2))), end_of_month)
        office.plan_rows(person, plan_date, consent, delivered, latest=month == months[-1], month=month)
