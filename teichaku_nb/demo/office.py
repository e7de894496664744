"""An office of the demo and the ordinary records of its people.

``Office`` holds what an office is (its name, 事業所番号, 支援員 and employers, its 設定) and its
rows, by table and internal column name, as ``people`` adds them; it makes a person's ordinary
months (``month``: 面談 or 職場訪問, the employer, extras, 勤怠, 支援レポート), plans
(``plans``, ``plan_rows``) and format 2's 利用者 cells (``format_2``), which ``situations``
then changes for the person's situation.  Every random choice comes from the office's
generators (``rng``, ``extra``, ``third``), in an order that must not change: the same
arguments give the same cells (see the package's docstring).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from .. import schema
from .months import add_months, date_in, days_in, last_day, month_of, month_text, weekdays
from .words import (EMPLOYERS, GOALS, NOTES_EMPLOYER, NOTES_EXTRA, NOTES_HANDOVER_AGENCY, NOTES_HANDOVER_EMPLOYER,
                    NOTES_INTERVIEW, NOTES_OTHERS, NOTES_VISIT, SCORE_NOISE, STAFF_NAMES)

# Before M, now and then an ordinary person's 支援レポート is recorded as given to 企業 only.
EMPLOYER_ONLY_REPORTS = 0.02

# 要継続支援 of the people in their last year of support, in turn (a situation may fix it):
# mostly はい, some いいえ, now and then not judged yet — so that a small office shows each one.
JUDGEMENTS = (None, "はい", "いいえ", "はい", "はい", "はい", "いいえ", "はい")


@dataclass
class Person:
    scenario: str | None
    user: dict                      # the 利用者 row, by internal column name
    start: dt.date                  # effective 支援開始日
    end: dt.date                    # effective end: min(支援終了予定日, 離職日)
    days_per_week: int
    baseline: dict                  # score axis -> usual self-rating
    scores: dict = field(default_factory=dict)   # month -> scores of its main contact
    planned_end: dt.date | None = None           # effective 支援終了予定日
    handover: tuple = ()            # months of the 引継ぎ contacts: (with 企業, with 関係機関/医療機関)
    plan_on: dt.date | None = None  # the day of the latest plan, when a situation sets it
    previous_employer: str | None = None     # before a job change (format 3)


@dataclass
class Month:
    """One person's records of one month, before they go to the sheets."""
    main: dict | None = None        # the monthly contact with 本人 (with scores)
    employer: dict | None = None
    extras: list = field(default_factory=list)
    attendance: dict | None = None
    report: dict | None = None


class Office:
    """One office's people and their records (rows by internal column name, per table)."""

    def __init__(self, *, name: str, rng: random.Random, extra: random.Random, third: random.Random, end: int,
                 months: int, people: int):
        """``end``: the last month M (months as ints: ``months.py``); ``people``: how many are made
        before the format 3 people (the width of the 利用者ID)."""
        self.rng = rng
        # Format 2's cells come from a generator of their own, so that everything format 1 had
        # keeps its random sequence (and its cells); format 3's people from a third one.
        self.extra = extra
        self.third = third
        self.name = name
        self.number = f"99{rng.randrange(10 ** 8):08d}"
        self.M = end
        self.W0 = end - months + 1
        staff = rng.sample(STAFF_NAMES, rng.choice((3, 4)))
        self.staff = [(s, "A" if i < (len(staff) + 1) // 2 else "B") for i, s in enumerate(staff)]
        self.employers = rng.sample(EMPLOYERS, 5)
        self.id_width = max(3, len(str(people)))
        self.judged = 0                 # people whose 要継続支援 came from JUDGEMENTS
        self.rows = {sheet.name: [] for sheet in schema.TABLES}
        self.settings: dict = {}

    # -- a person's ordinary records -----------------------------------------------------------

    def format_2(self, person: Person) -> None:
        """The 利用者 cells format 2 added: 利用契約日, 支給決定開始日, 利用終了日, 要継続支援 and
        引継ぎ同意日; the months of the 引継ぎ contacts go to ``person.handover``."""
        x, M, user = self.extra, self.M, person.user
        m0 = date_in(M, 1)
        user["contract_on"] = person.start - dt.timedelta(days=x.randint(3, 20))
        if user["certificate_until"] is not None:
            # the certificate's year, from the month the support began at the earliest; for
            # someone in service in M it covers M (a certificate renewed ahead is not entered)
            decision = max(add_months(user["certificate_until"], -12) + dt.timedelta(days=1),
                           date_in(month_of(person.start), 1))
            if person.start <= last_day(M) and person.end >= m0:
                decision = min(decision, m0)
            user["decision_start"] = decision
        if user["status"] == "支援終了":
            user["service_end"] = person.end
        elif user["left_on"] is not None:
            user["service_end"] = user["left_on"]

        end_month = month_of(person.planned_end)
        if user["status"] == "離職" or person.scenario == "starting_next_month" or end_month > M + 12:
            return                          # 要継続支援 is judged in the last year of support
        if person.scenario in ("handover_soon", "support_ended", "handover_overdue", "handover_done",
                               "employment_checked"):
            answer = "はい"
        else:
            answer = JUDGEMENTS[self.judged % len(JUDGEMENTS)]
            self.judged += 1
            if answer is None and (end_month <= M + 6 or user["status"] == "支援終了"):
                answer = "はい"             # the judgement was due: made
        user["needs_continuing"] = answer
        if answer != "はい":
            return
        if end_month <= M + 6:
            # consent about 6 months before the end, then the employer, then the agency or the
            # clinic: all before the deadline (3 months before the end); the overdue one lacks the last
            consent = min(end_month - 6, M)
            with_agency = None if person.scenario == "handover_overdue" else min(consent + 2, M)
            user["handover_consent_on"] = date_in(consent, x.randint(1, 10))
            person.handover = (min(consent + 1, M), with_agency)
        elif end_month <= M + 8 and x.random() < 0.5:   # the handover has just begun
            user["handover_consent_on"] = date_in(M - x.randint(0, 1), x.randint(1, 10))

    def handover_contacts(self, person: Person, months: dict) -> None:
        """The 引継ぎ contacts (区分 引継ぎ): with the employer, then with the agency or clinic
        that takes over; only in the months of the records."""
        if not person.handover:
            return
        x = self.extra
        with_employer, with_agency = person.handover
        method, notes = x.choice(NOTES_HANDOVER_EMPLOYER)
        contacts = [(with_employer, (11, 20), method, "企業", notes)]
        party, method, notes = x.choice(NOTES_HANDOVER_AGENCY)
        if with_agency is not None:
            contacts.append((with_agency, (21, 28), method, party, notes))
        for month, (first, last), method, party, notes in contacts:
            if month not in months:
                continue
            low, high = self.bounds(person, month)
            day = date_in(month, min(max(x.randint(first, last), low), high))
            months[month].extras.append({"user_id": person.user["user_id"], "date": day, "method": method,
                                         "party": party, "staff": person.user["staff"], "notes": notes,
                                         "kind": "引継ぎ"})

    def _plan_signed(self, person: Person, plan_date: dt.date, *, latest: bool) -> tuple:
        """A plan's 同意日 and 交付日: a few days after it was made, on almost every plan."""
        x = self.extra
        limit = min(person.end, last_day(self.M))
        consent = min(plan_date + dt.timedelta(days=x.randint(1, 7)), limit)
        delivered = min(consent + dt.timedelta(days=x.choice((0, 0, 0, 1, 2, 3))), limit)
        if x.random() < 0.05:
            delivered = None
        unsigned = x.random() < 0.03 and not latest     # an old plan whose consent was not noted
        if unsigned or (latest and person.scenario == "plan_not_agreed"):
            return None, None
        return consent, delivered

    def bounds(self, person: Person, month: int) -> tuple[int, int]:
        """The days of a month on which the person was in support."""
        low = person.start.day if month == month_of(person.start) else 1
        high = person.end.day if month == month_of(person.end) else days_in(month)
        return low, max(low, high)

    def _staff(self, person: Person) -> str:
        if self.rng.random() < 0.1:
            return self.rng.choice(self.staff)[0]
        return person.user["staff"]

    def contact(self, person: Person, day: dt.date, method: str, party: str, notes: str,
                 scores: dict | None = None, next_on: dt.date | None = None) -> dict:
        row = {"user_id": person.user["user_id"], "date": day, "method": method, "party": party,
               "staff": self._staff(person), "notes": notes, "next_on": next_on}
        row.update(scores or {})
        return row

    def scores(self, person: Person, month: int) -> dict:
        scores = {axis: min(5, max(2, b + self.rng.choice(SCORE_NOISE))) for axis, b in person.baseline.items()}
        if month == self.M:  # ordinary people end stable: no score ≤ 2, no fall of 1.0 against before
            for axis in scores:
                before = [person.scores[m][axis] for m in range(month - 3, month) if m in person.scores]
                floor = int(sum(before) / len(before)) if before else 3
                scores[axis] = max(scores[axis], 3, floor)
        person.scores[month] = scores
        return scores

    def month(self, person: Person, month: int) -> Month:
        """An ordinary month: 面談 or 職場訪問, employer contact, extras, 勤怠, 支援レポート."""
        rng, records = self.rng, Month()
        low, high = self.bounds(person, month)
        day = date_in(month, rng.randint(low, high))
        next_on = day + dt.timedelta(days=rng.randint(26, 35)) if rng.random() < 0.8 else None
        scores = self.scores(person, month)
        if rng.random() < 0.6:
            records.main = self.contact(person, day, "対面", "本人", rng.choice(NOTES_INTERVIEW), scores, next_on)
            if month == self.M or rng.random() < 0.85:
                method = "電話" if rng.random() < 0.8 else "メール・チャット"
                records.employer = self.contact(person, date_in(month, rng.randint(low, high)), method, "企業",
                                                 rng.choice(NOTES_EMPLOYER))
        else:
            records.main = self.contact(person, day, "職場訪問", "本人・企業", rng.choice(NOTES_VISIT),
                                         scores, next_on)
        if rng.random() < 0.25:
            method, notes = rng.choice(NOTES_EXTRA)
            records.extras.append(self.contact(person, date_in(month, rng.randint(low, high)), method, "本人", notes))
        if rng.random() < 0.05:
            party, notes = rng.choice(NOTES_OTHERS)
            records.extras.append(self.contact(person, date_in(month, rng.randint(low, high)), "電話", party, notes))
        if month == month_of(person.end) and person.user["left_on"] is not None:
            return records  # the month of leaving: no 勤怠 row, no report
        records.attendance = self._attendance(person, month, last_month=month == self.M)
        consent = person.user["employer_consent"] == "はい"
        records.report = {"user_id": person.user["user_id"], "month": month_text(month),
                          "sent_on": date_in(month, rng.randint(22, 28)),
                          "recipient": "本人・企業" if consent else "本人"}
        if person.scenario is None and month < self.M and self.extra.random() < EMPLOYER_ONLY_REPORTS:
            records.report["recipient"] = "企業"     # the copy for 本人 was not recorded: not billable
        return records

    def _attendance(self, person: Person, month: int, *, last_month: bool) -> dict:
        rng = self.rng
        scheduled = min(22, max(18, weekdays(month) - rng.choice((0, 1, 1, 2))))
        if person.days_per_week == 4:
            scheduled = round(scheduled * 0.8)
        absent = rng.choice((0, 0, 0, 1) if last_month else (0, 0, 0, 0, 0, 0, 1, 1, 1, 2))
        paid = rng.choice((0, 0, 0, 1))
        remarks = []
        if absent:
            remarks.append(rng.choice(("体調不良で欠勤", "通院のため欠勤", "発熱で欠勤")))
        if paid:
            remarks.append("有給休暇1日")
        return {"user_id": person.user["user_id"], "month": month_text(month), "scheduled_days": scheduled,
                "worked_days": scheduled - absent - paid, "late": rng.choice((0, 0, 0, 0, 0, 1)),
                "left_early": rng.choice((0, 0, 0, 0, 0, 1)), "absent": absent,
                "remarks": "、".join(remarks) or None}

    def plans(self, person: Person, last: int) -> None:
        """A plan every 3 months from the start of support; the one in force when the records
        begin is kept too."""
        rng, first = self.rng, month_of(person.start)
        latest = {"plan_review_due": self.M - 4, "no_plan": None}.get(person.scenario, last - (last - first) % 3)
        if latest is None or latest < first:
            return
        months = list(range(latest, first - 1, -3))
        kept = [m for m in months if m >= self.W0] + [m for m in months if m < self.W0][:1]
        for month in sorted(kept):
            low, high = self.bounds(person, month)
            plan_date = date_in(month, rng.randint(low, high))
            if month == latest and person.plan_on is not None:
                plan_date = person.plan_on
            consent, delivered = self._plan_signed(person, plan_date, latest=month == latest)
            self.plan_rows(person, plan_date, consent, delivered, latest=month == latest, month=month)

    def plan_rows(self, person: Person, plan_date: dt.date, consent, delivered, *, latest: bool,
                   month: int) -> None:
        """One plan's rows: 2–4 goals over 職場・生活・心身."""
        rng = self.rng
        domains = ["職場"] + rng.sample(("生活", "心身", "職場"), rng.choice((1, 2, 2, 3)))
        used = set()
        for domain in domains:
            goal, support = rng.choice([g for g in GOALS[domain] if g[0] not in used])
            used.add(goal)
            if latest:
                status = rng.choice(("取組中", "取組中", "未着手")) if month >= self.M - 1 else "取組中"
            else:
                status = rng.choice(("達成", "達成", "取組中", "見直し"))
            self.rows["plans"].append({
                "user_id": person.user["user_id"], "plan_date": plan_date, "domain": domain,
                "goal": goal, "support": support, "due_on": add_months(plan_date, rng.choice((3, 6))),
                "status": status, "consent_on": consent, "delivered_on": delivered})
