"""Demo data: fictional offices whose case workbooks look like real ones.

``make_demo`` writes one workbook per office in format 1 (``schema.py``,
``docs/workbook-format.md``): the 設定 sheet, then 利用者, 面談記録, 勤怠, 支援計画 and
支援レポート, headers in row 1.  Everyone in it is made up: people's names come from short
lists of common surnames and given names (with フリガナ), the employers are invented
(みどり食品株式会社 ...), and so are each office's 3–4 支援員 (teams A and B) and its
事業所番号 (prefecture code 99, which does not exist).  The same arguments always give the
same cells: the random generator is seeded, nothing depends on the clock except the default
last month, and the files' timestamps are fixed from ``end``.

An ordinary month of a person in support: one 対面 面談 or 職場訪問 with the five scores
(体調 睡眠 気分 人間関係 業務, mostly 3–5) and a short note; usually a call or mail to the
employer; sometimes an extra 電話 / メール・チャット with the person; now and then a call with
the family, the clinic or another agency; one 勤怠 row; a 支援レポート sent in the last days
of the month (so nothing is dated after the last month: demo data never lies in the future); and a 個別支援計画 (2–4 goals over 職場・生活・心身) every 3 months.  Most people are
利用中; a few of the ordinary ones ended their support (支援終了) or left the job (離職)
during the period.  Ordinary people stay 安定 in the last month.

The last month M (= ``end``) has one person per situation below in every office of at
least ``SCENARIO_MIN_PEOPLE`` people: an office of n people gets the first
min(16, n − n // 4) of them (all from 21 people on) and the rest are ordinary people.  The
flags are those of docs/review-rules.md (all but overdue_action, which needs the review
store); the situations hold with ``months`` ≥ 5.  In any office, the M notes of 001–003 carry
a line break, a ``<script>`` and an ``<img onerror>`` (for the escaping tests).

===  ===========================  =====================================================
ID   flag / situation             how
===  ===========================  =====================================================
001  no_face_to_face              only a 電話 with 本人 in M (its note has a line break)
002  certificate_expired          受給者証 ended on the last day of M−1 (note holds <script>)
003  high_absence                 所定20 出勤15 欠勤5 in M (so attendance_worsening too;
                                  note holds <img onerror>)
004  low_condition_score          気分 2 in M (2–3 before, so not condition_declining)
005  report_not_shared            no 支援レポート row for M
006  no_employer_contact          M: a 対面 with 本人 only
007  plan_review_due              latest plan 4 months before M
008  plan_review_due              no plan at all (support began in M−1)
009  certificate_expiring         受給者証 ends on the last day of M
010  support_ending               支援終了予定日 (blank: the default) in M+2
011  contact_gap                  last contact with 本人 ~40 days before M's end (so also
                                  no_face_to_face); the employer was called in M
012  attendance_worsening         遅刻4 早退2 in M, earlier months 0–2
013  condition_declining          睡眠 5, 5, 5 in the 3 months before M, 3 in M
014  離職                         left in M−4; no records after the day
015  支援終了                     support ended in M−3
016  来月から支援開始             hired 6 months before M+1; a few contacts, no service in M
===  ===========================  =====================================================
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import random
import shutil
import zipfile
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from . import schema
from .demo_words import (CONSENT, DISABILITIES, EMPLOYERS, EMPLOYMENT, GIVEN_NAMES, GOALS, LEFT_REASONS,
                         NOTES_EMPLOYER, NOTES_EXTRA, NOTES_INTERVIEW, NOTES_OTHERS, NOTES_VISIT, SCORE_NOISE,
                         STAFF_NAMES, SURNAMES, WEEKLY_HOURS)
from .files import replacing

DATE_FORMAT = "yyyy/mm/dd"
OFFICE_NAME = "デモ就労定着支援センター"
SCENARIO_MIN_PEOPLE = 12

SCENARIOS: tuple[str, ...] = (
    "no_face_to_face", "certificate_expired", "high_absence", "low_condition_score",
    "report_not_shared", "no_employer_contact", "plan_review_due", "no_plan",
    "certificate_expiring", "support_ending", "contact_gap", "attendance_worsening",
    "condition_declining", "left_job", "support_ended", "starting_next_month",
)

# Added to the M note of the first three people of every office (escaping tests use them).
NOTE_EXTRAS = {
    0: "\n次回は来月上旬に会う予定。",
    1: " 本人が見せてくれたメモ: <script>window.__xss=1</script>",
    2: ' 貼り付けられていた文字列: <img src=x onerror="window.__xss=1">',
}

# --- months and dates -------------------------------------------------------------------------
# A month is an int: year * 12 + month − 1, so that M − 3 is three months before M.

def _month_of(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _days_in(month: int) -> int:
    return calendar.monthrange(month // 12, month % 12 + 1)[1]


def _date(month: int, day: int) -> dt.date:
    """A day of a month; days past its end fall on its last day."""
    return dt.date(month // 12, month % 12 + 1, min(day, _days_in(month)))


def _last(month: int) -> dt.date:
    return _date(month, 31)


def _add_months(day: dt.date, months: int) -> dt.date:
    return _date(_month_of(day) + months, day.day)


def _month_text(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


@functools.lru_cache(maxsize=None)
def _weekdays(month: int) -> int:
    return sum(1 for day in range(1, _days_in(month) + 1) if _date(month, day).weekday() < 5)


def _weighted(rng: random.Random, pairs):
    """One value of (value, weight) pairs."""
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


# --- people -------------------------------------------------------------------------------------

@dataclass
class _Person:
    scenario: str | None
    user: dict                      # the 利用者 row, by internal column name
    start: dt.date                  # effective 支援開始日
    end: dt.date                    # effective end: min(支援終了予定日, 離職日)
    days_per_week: int
    baseline: dict                  # score axis -> usual self-rating
    scores: dict = field(default_factory=dict)   # month -> scores of its main contact


@dataclass
class _Month:
    """One person's records of one month, before they go to the sheets."""
    main: dict | None = None        # the monthly contact with 本人 (with scores)
    employer: dict | None = None
    extras: list = field(default_factory=list)
    attendance: dict | None = None
    report: dict | None = None


class _Office:
    """One office's people and their records (rows by internal column name, per table)."""

    def __init__(self, people: int, *, name: str, rng: random.Random, end: int, months: int):
        self.rng = rng
        self.name = name
        self.number = f"99{rng.randrange(10 ** 8):08d}"
        self.M = end
        self.W0 = end - months + 1
        staff = rng.sample(STAFF_NAMES, rng.choice((3, 4)))
        self.staff = [(s, "A" if i < (len(staff) + 1) // 2 else "B") for i, s in enumerate(staff)]
        self.employers = rng.sample(EMPLOYERS, 5)
        self.id_width = max(3, len(str(people)))
        self.rows = {sheet.name: [] for sheet in schema.TABLES}
        scenarios = min(len(SCENARIOS), people - people // 4) if people >= SCENARIO_MIN_PEOPLE else 0
        names = self._names(people)
        for index in range(people):
            scenario = SCENARIOS[index] if index < scenarios else None
            if scenario is None and index >= len(NOTE_EXTRAS):
                scenario = _weighted(rng, ((None, 87), ("ended", 8), ("left", 5)))
            self._add(index, scenario, names[index])
        for name, key in (("contacts", "date"), ("attendance", "month"), ("plans", "plan_date"),
                          ("reports", "month")):
            self.rows[name].sort(key=itemgetter(key))

    def _names(self, people: int) -> list[tuple[str, str]]:
        pairs = len(SURNAMES) * len(GIVEN_NAMES)
        picks = self.rng.sample(range(pairs), people) if people <= pairs else \
            [self.rng.randrange(pairs) for _ in range(people)]
        result = []
        for pick in picks:
            (surname, surname_kana), (given, given_kana) = SURNAMES[pick // len(GIVEN_NAMES)], \
                GIVEN_NAMES[pick % len(GIVEN_NAMES)]
            result.append((f"{surname}\u3000{given}", f"{surname_kana}\u3000{given_kana}"))
        return result

    # -- one person --------------------------------------------------------------------------

    def _add(self, index: int, scenario: str | None, name: tuple[str, str]) -> None:
        rng, M, W0 = self.rng, self.M, self.W0
        staff, team = rng.choice(self.staff)
        employer, jobs = rng.choice(self.employers)
        employment = _weighted(rng, EMPLOYMENT)
        hours = rng.choice(WEEKLY_HOURS[employment])
        hire_day = rng.choice((1, 1, 1, 16, 16, rng.randint(2, 28)))
        status, left_on, left_reason = "利用中", None, None
        certificate = _last(M + rng.randint(2, 12)) if rng.random() > 0.05 else None

        # When the person was hired, and what happened since, by situation.
        if scenario in (None, "ended", "left"):
            hire_month = rng.randint(M - 37, M - 7)
        elif scenario == "no_plan":
            hire_month = M - 7
        elif scenario == "support_ending":
            hire_month, hire_day = M - 40, rng.randint(2, 28)
        elif scenario == "starting_next_month":
            hire_month, certificate = M - 5, _last(M + 12)
        else:
            hire_month = rng.randint(M - 30, M - 10)
        if scenario in ("left_job", "left"):
            left = max(M - 4, min(W0, M - 1)) if scenario == "left_job" else rng.randint(min(W0, M - 1), M - 1)
            hire_month = min(hire_month, left - 7) if scenario == "left" else left - 12
            status, left_on = "離職", _date(left, rng.randint(10, 25))
            left_reason = LEFT_REASONS[0] if scenario == "left_job" else rng.choice(LEFT_REASONS)
            certificate = _last(left + rng.randint(1, 8))
        if scenario in ("support_ended", "ended"):
            ended = max(M - 3, min(W0, M - 1)) if scenario == "support_ended" else rng.randint(min(W0, M - 1), M - 1)
            hire_month, hire_day = ended - 42, rng.randint(2, 28)
            status, certificate = "支援終了", _last(ended)
        if scenario == "certificate_expired":
            certificate = _last(M - 1)
        elif scenario == "certificate_expiring":
            certificate = _last(M)

        hired = _date(hire_month, hire_day)
        start, planned_end = _add_months(hired, 6), _add_months(hired, 42) - dt.timedelta(days=1)
        start_cell = end_cell = None
        if scenario is None:  # some offices write the period out; a few start on the 1st after
            written = rng.random()
            if written < 0.10:
                start = _date(_month_of(start) + 1, 1)
                start_cell, end_cell = start, planned_end
            elif written < 0.35:
                start_cell, end_cell = start, planned_end
        user = {
            "user_id": f"{index + 1:0{self.id_width}d}", "name": name[0], "kana": name[1],
            "staff": staff, "team": team,
            "disability": _weighted(rng, DISABILITIES),
            "hired_on": hired, "employer": employer, "job": rng.choice(jobs),
            "employment_type": employment, "weekly_hours": hours,
            "support_start": start_cell, "support_end": end_cell, "certificate_until": certificate,
            "status": status, "left_on": left_on, "left_reason": left_reason,
            "employer_consent": _weighted(rng, CONSENT),
        }
        self.rows["users"].append(user)
        person = _Person(
            scenario=scenario, user=user, start=start,
            end=min(planned_end, left_on) if left_on else planned_end,
            days_per_week=5 if hours >= 25 else rng.choice((4, 5)),
            baseline={axis: rng.choice((3, 4, 4, 4, 5, 5)) for axis in schema.SCORE_COLUMNS},
        )

        if scenario == "starting_next_month":
            self._before_start(person)
            return
        self._add_months(index, person)

    def _add_months(self, index: int, person: _Person) -> None:
        """The person's months in the period: contacts, attendance, reports and plans."""
        M = self.M
        first, last = max(self.W0, _month_of(person.start)), min(M, _month_of(person.end))
        months = {month: self._month(person, month) for month in range(first, last + 1)}
        if person.scenario in _SITUATIONS:
            _SITUATIONS[person.scenario](self, person, months)
        if index in NOTE_EXTRAS and M in months and months[M].main is not None:
            months[M].main["notes"] += NOTE_EXTRAS[index]
        for records in months.values():
            contacts = [records.main, records.employer, *records.extras]
            self.rows["contacts"].extend(c for c in contacts if c is not None)
            if records.attendance is not None:
                self.rows["attendance"].append(records.attendance)
            if records.report is not None:
                self.rows["reports"].append(records.report)
        self._plans(person, last)

    def _bounds(self, person: _Person, month: int) -> tuple[int, int]:
        """The days of a month on which the person was in support."""
        low = person.start.day if month == _month_of(person.start) else 1
        high = person.end.day if month == _month_of(person.end) else _days_in(month)
        return low, max(low, high)

    def _staff(self, person: _Person) -> str:
        if self.rng.random() < 0.1:
            return self.rng.choice(self.staff)[0]
        return person.user["staff"]

    def _contact(self, person: _Person, day: dt.date, method: str, party: str, notes: str,
                 scores: dict | None = None, next_on: dt.date | None = None) -> dict:
        row = {"user_id": person.user["user_id"], "date": day, "method": method, "party": party,
               "staff": self._staff(person), "notes": notes, "next_on": next_on}
        row.update(scores or {})
        return row

    def _scores(self, person: _Person, month: int) -> dict:
        scores = {axis: min(5, max(2, b + self.rng.choice(SCORE_NOISE))) for axis, b in person.baseline.items()}
        if month == self.M:  # ordinary people end stable: no score ≤ 2, no fall of 1.0 against before
            for axis in scores:
                before = [person.scores[m][axis] for m in range(month - 3, month) if m in person.scores]
                floor = int(sum(before) / len(before)) if before else 3
                scores[axis] = max(scores[axis], 3, floor)
        person.scores[month] = scores
        return scores

    def _month(self, person: _Person, month: int) -> _Month:
        """An ordinary month: 面談 or 職場訪問, employer contact, extras, 勤怠, 支援レポート."""
        rng, records = self.rng, _Month()
        low, high = self._bounds(person, month)
        day = _date(month, rng.randint(low, high))
        next_on = day + dt.timedelta(days=rng.randint(26, 35)) if rng.random() < 0.8 else None
        scores = self._scores(person, month)
        if rng.random() < 0.6:
            records.main = self._contact(person, day, "対面", "本人", rng.choice(NOTES_INTERVIEW), scores, next_on)
            if month == self.M or rng.random() < 0.85:
                method = "電話" if rng.random() < 0.8 else "メール・チャット"
                records.employer = self._contact(person, _date(month, rng.randint(low, high)), method, "企業",
                                                 rng.choice(NOTES_EMPLOYER))
        else:
            records.main = self._contact(person, day, "職場訪問", "本人・企業", rng.choice(NOTES_VISIT),
                                         scores, next_on)
        if rng.random() < 0.25:
            method, notes = rng.choice(NOTES_EXTRA)
            records.extras.append(self._contact(person, _date(month, rng.randint(low, high)), method, "本人", notes))
        if rng.random() < 0.05:
            party, notes = rng.choice(NOTES_OTHERS)
            records.extras.append(self._contact(person, _date(month, rng.randint(low, high)), "電話", party, notes))
        if month == _month_of(person.end) and person.user["left_on"] is not None:
            return records  # the month of leaving: no 勤怠 row, no report
        records.attendance = self._attendance(person, month, last_month=month == self.M)
        consent = person.user["employer_consent"] == "はい"
        records.report = {"user_id": person.user["user_id"], "month": _month_text(month),
                          "sent_on": _date(month, rng.randint(22, 28)),
                          "recipient": "本人・企業" if consent else "本人"}
        return records

    def _attendance(self, person: _Person, month: int, *, last_month: bool) -> dict:
        rng = self.rng
        scheduled = min(22, max(18, _weekdays(month) - rng.choice((0, 1, 1, 2))))
        if person.days_per_week == 4:
            scheduled = round(scheduled * 0.8)
        absent = rng.choice((0, 0, 0, 1) if last_month else (0, 0, 0, 0, 0, 0, 1, 1, 1, 2))
        paid = rng.choice((0, 0, 0, 1))
        remarks = []
        if absent:
            remarks.append(rng.choice(("体調不良で欠勤", "通院のため欠勤", "発熱で欠勤")))
        if paid:
            remarks.append("有給休暇1日")
        return {"user_id": person.user["user_id"], "month": _month_text(month), "scheduled_days": scheduled,
                "worked_days": scheduled - absent - paid, "late": rng.choice((0, 0, 0, 0, 0, 1)),
                "left_early": rng.choice((0, 0, 0, 0, 0, 1)), "absent": absent,
                "remarks": "、".join(remarks) or None}

    def _plans(self, person: _Person, last: int) -> None:
        """A plan every 3 months from the start of support; the one in force when the records
        begin is kept too."""
        rng, first = self.rng, _month_of(person.start)
        latest = {"plan_review_due": self.M - 4, "no_plan": None}.get(person.scenario, last - (last - first) % 3)
        if latest is None or latest < first:
            return
        months = list(range(latest, first - 1, -3))
        kept = [m for m in months if m >= self.W0] + [m for m in months if m < self.W0][:1]
        for month in sorted(kept):
            low, high = self._bounds(person, month)
            plan_date = _date(month, rng.randint(low, high))
            domains = ["職場"] + rng.sample(("生活", "心身", "職場"), rng.choice((1, 2, 2, 3)))
            used = set()
            for domain in domains:
                goal, support = rng.choice([g for g in GOALS[domain] if g[0] not in used])
                used.add(goal)
                if month == latest:
                    status = rng.choice(("取組中", "取組中", "未着手")) if month >= self.M - 1 else "取組中"
                else:
                    status = rng.choice(("達成", "達成", "取組中", "見直し"))
                self.rows["plans"].append({
                    "user_id": person.user["user_id"], "plan_date": plan_date, "domain": domain,
                    "goal": goal, "support": support, "due_on": _add_months(plan_date, rng.choice((3, 6))),
                    "status": status})

    def _before_start(self, person: _Person) -> None:
        """Someone whose support starts in M+1: the handover call and a first meeting."""
        M, rng = self.M, self.rng
        rows = self.rows["contacts"]
        if M - 1 >= self.W0:
            rows.append(self._contact(person, _date(M - 1, rng.randint(10, 25)), "電話", "関係機関",
                                      "就労移行支援事業所から引き継ぎの連絡。支援開始に向けて情報を共有した。"))
        rows.append(self._contact(person, _date(M, rng.randint(5, 20)), "対面", "本人",
                                  "支援開始前の面談。就労定着支援の内容と契約について説明した。",
                                  self._scores(person, M), person.start))


# --- the situations of the last month -----------------------------------------------------------
# Each gets the office, the person and their ordinary months (month -> _Month), and changes them.

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


def _support_ending(office: _Office, person: _Person, months: dict) -> None:
    if office.M in months:
        months[office.M].main["notes"] = "支援期間が残りわずか。引き継ぎ先（障害者就業・生活支援センター）について相談した。"


def _contact_gap(office: _Office, person: _Person, months: dict) -> None:
    M = office.M
    m1 = _last(M)
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
    left = _month_of(person.end)
    for month in (left - 1, left):
        if month in months:
            months[month].main.update(mood=2, health=3)
    if left in months:
        records = months[left]
        records.main.update(date=person.end, method="職場訪問", party="本人・企業",
                            notes="本人より退職の意向。企業と三者で話し合い、本日付で退職となった。", next_on=None)
        records.employer, records.extras = None, []


def _support_ended(office: _Office, person: _Person, months: dict) -> None:
    ended = _month_of(person.end)
    if ended in months:
        months[ended].main.update(
            date=person.end, next_on=None,
            notes="支援期間の最終面談。今後は障害者就業・生活支援センターが相談先となることを確認した。")


_SITUATIONS = {
    "no_face_to_face": _no_face_to_face,
    "certificate_expired": _certificate,
    "high_absence": _high_absence,
    "low_condition_score": _low_condition_score,
    "report_not_shared": _report_not_shared,
    "no_employer_contact": _no_employer_contact,
    "certificate_expiring": _certificate,
    "support_ending": _support_ending,
    "contact_gap": _contact_gap,
    "attendance_worsening": _attendance_worsening,
    "condition_declining": _condition_declining,
    "left_job": _left_job,
    "support_ended": _support_ended,
}


# --- writing ------------------------------------------------------------------------------------

class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one timestamp, so equal workbooks are equal files."""

    def __init__(self, path, when: dt.datetime):
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._when = (when.year, when.month, when.day, when.hour, when.minute, when.second)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, name, data, *args, **kwargs):
        if not isinstance(name, zipfile.ZipInfo):
            name = self._info(name)
        super().writestr(name, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        info = self._info(arcname or str(filename))
        info.file_size = Path(filename).stat().st_size
        with open(filename, "rb") as source, self.open(info, "w") as target:
            shutil.copyfileobj(source, target, 1 << 20)


def _write_table(workbook: Workbook, sheet: schema.Sheet, rows: list[dict]) -> None:
    ws = workbook.create_sheet(sheet.title)
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    names = [column.name for column in sheet.columns]
    dates = [i for i, column in enumerate(sheet.columns) if column.kind == schema.DATE]
    ws.append([column.header for column in sheet.columns])
    for row in rows:
        values = [row.get(name) for name in names]
        for i in dates:
            if values[i] is not None:
                cell = WriteOnlyCell(ws, value=values[i])
                cell.number_format = DATE_FORMAT
                values[i] = cell
        ws.append(values)


def _write_office(path: Path, office: _Office, when: dt.datetime) -> Path:
    workbook = Workbook(write_only=True)
    settings = workbook.create_sheet(schema.SETTINGS_TITLE)
    settings.column_dimensions["A"].width = 22
    settings.column_dimensions["B"].width = 30
    settings.append(list(schema.SETTINGS_HEADERS))
    values = {"office": office.name, "office_number": office.number, "plan_review_months": 3,
              "contact_gap_days": 30}
    for setting in schema.SETTINGS:
        settings.append([setting.label, values.get(setting.name, setting.default)])
    for sheet in schema.TABLES:
        _write_table(workbook, sheet, office.rows[sheet.name])
    workbook.properties.creator = "teichaku_nb"
    workbook.properties.title = "デモデータ（架空の人物）"
    workbook.properties.created = workbook.properties.modified = when
    with replacing(path) as temporary, _FixedTimeZip(temporary, when) as archive:
        ExcelWriter(workbook, archive).save()
    return path


def demo_paths(out: Path, offices: int = 1) -> list[Path]:
    """The workbooks ``make_demo`` writes: ``out`` itself (.xlsx), or one per office in the folder."""
    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        return [out]
    width = max(2, len(str(offices)))
    return [out / f"事業所{k:0{width}d}.xlsx" for k in range(1, offices + 1)]


def make_demo(out: Path, *, users: int = 30, months: int = 12, offices: int = 1, seed: int = 1,
              end: pd.Period | None = None) -> list[Path]:
    """Write demo workbooks of fictional people and return their paths.

    ``out`` ending in ``.xlsx`` is one workbook (``offices`` must be 1); anything else is a
    folder (made if needed) holding ``事業所01.xlsx`` … one per office.  ``users`` is the total
    number of people, split as evenly as possible across the offices; ``months`` months of
    records end with ``end`` (default: last month).  Same arguments, same cells.
    """
    out = Path(out)
    if users < 0 or months < 1 or offices < 1:
        raise ValueError("users must be 0 or more, months and offices 1 or more")
    single = out.suffix.lower() == ".xlsx"
    if single and offices != 1:
        raise ValueError("several offices are written to a folder, not to one .xlsx file")
    this_month = pd.Period(dt.date.today(), "M")
    end = this_month - 1 if end is None else pd.Period(end, "M")
    if end >= this_month:
        raise ValueError("the last month must be before this month (demo data has no dates after today)")
    last = end.year * 12 + end.month - 1
    when = dt.datetime.combine(_date(last + 1, 1), dt.time())
    (out.parent if single else out).mkdir(parents=True, exist_ok=True)
    paths = demo_paths(out, offices)
    written = []
    for k, path in enumerate(paths, start=1):
        people = users // offices + (1 if k <= users % offices else 0)
        name = OFFICE_NAME if single else f"{OFFICE_NAME}{k:0{max(2, len(str(offices)))}d}"
        office = _Office(people, name=name, rng=random.Random(f"teichaku-demo:{seed}:{k}"),
                         end=last, months=months)
        written.append(_write_office(path, office, when))
    return written
