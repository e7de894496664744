"""Who an office's people are: their names, each one's 利用者 row by the situation they are
given (``situations.SCENARIOS`` to the first, ``FEE_SCENARIOS`` to the last, ``V3_SCENARIOS``
after everyone else, the rest ordinary, ended or left), then their months: the ordinary ones
(``Office.month``) changed by the situation.  ``make_office`` makes a whole office.
"""

from __future__ import annotations

import datetime as dt
import random
from operator import itemgetter

from .. import schema
from .months import add_months, date_in, last_day, month_of, month_text, weighted
from .office import Office, Person
from .situations import (FEE_SCENARIOS, SCENARIO_MIN_PEOPLE, SCENARIOS, SITUATIONS, V3_MIN_PEOPLE, V3_SCENARIOS,
                         before_start, chained_plans, employment_checks, first_meeting)
from .words import (CONSENT, DISABILITIES, EMPLOYMENT, FILED_SETTINGS, GIVEN_NAMES, LEFT_REASON_CHANGED,
                    LEFT_REASON_PENDING, LEFT_REASONS, PAST_REDUCTIONS, SURNAMES, UNIT_PRICES, WEEKLY_HOURS)

# Added to the M note of the first three people of every office (escaping tests use them).
NOTE_EXTRAS = {
    0: "\n次回は来月上旬に会う予定。",
    1: " 本人が見せてくれたメモ: <script>window.__xss=1</script>",
    2: ' 貼り付けられていた文字列: <img src=x onerror="window.__xss=1">',
}


def make_office(people: int, *, name: str, rng: random.Random, end: int, months: int,
                extra: random.Random | None = None, third: random.Random | None = None) -> Office:
    """An office of ``people`` people whose records end with month ``end`` (an int: ``months.py``)
    and go back ``months`` months: its people each with a situation or none, its 設定, its rows
    sorted as a workbook keeps them."""
    v3 = V3_SCENARIOS if people >= V3_MIN_PEOPLE else ()
    people -= len(v3)               # the office made as before; the format 3 people come after it
    office = Office(name=name, rng=rng, end=end, months=months, people=people,
                    extra=extra or random.Random(f"{name}:format-2"), third=third or random.Random(f"{name}:format-3"))
    situations = len(SCENARIOS) + len(FEE_SCENARIOS)
    scenarios = min(situations, people - people // 4) if people >= SCENARIO_MIN_PEOPLE else 0
    first = min(len(SCENARIOS), scenarios)
    fee = FEE_SCENARIOS[:scenarios - first]
    names = _names(office, people)
    for index in range(people):
        scenario = SCENARIOS[index] if index < first else None
        if index >= people - len(fee):
            scenario = fee[index - (people - len(fee))]
        elif scenario is None and index >= len(NOTE_EXTRAS):
            scenario = weighted(rng, ((None, 87), ("ended", 8), ("left", 5)))
        _add_person(office, index, scenario, names[index])
    office.settings = {
        "office": office.name, "office_number": office.number, "plan_review_months": 3, "contact_gap_days": 30,
        "unit_price": office.extra.choice(UNIT_PRICES), "service_manager": office.extra.choice(office.staff)[0],
        "handover_policy": "はい", **FILED_SETTINGS,
    }
    for code, first, last in PAST_REDUCTIONS:
        office.settings[f"{code}_from"] = month_text(end - first)
        office.settings[f"{code}_to"] = month_text(end - last)
    if v3:
        _add_format_3(office, people, v3, {name for name, _ in names})
    for table, key in (("contacts", "date"), ("attendance", "month"), ("plans", "plan_date"),
                      ("reports", "month"), ("employment_checks", "checked_on")):
        office.rows[table].sort(key=itemgetter(key))
    return office


def _names(office: Office, people: int) -> list[tuple[str, str]]:
    pairs = len(SURNAMES) * len(GIVEN_NAMES)
    picks = office.rng.sample(range(pairs), people) if people <= pairs else \
        [office.rng.randrange(pairs) for _ in range(people)]
    result = []
    for pick in picks:
        (surname, surname_kana), (given, given_kana) = SURNAMES[pick // len(GIVEN_NAMES)], \
            GIVEN_NAMES[pick % len(GIVEN_NAMES)]
        result.append((f"{surname}\u3000{given}", f"{surname_kana}\u3000{given_kana}"))
    return result


def _add_person(office: Office, index: int, scenario: str | None, name: tuple[str, str]) -> None:
    """One person (not of format 3): the 利用者 row by situation, then the months or the time before them."""
    rng, M, W0 = office.rng, office.M, office.W0
    staff, team = rng.choice(office.staff)
    employer, jobs = rng.choice(office.employers)
    employment = weighted(rng, EMPLOYMENT)
    hours = rng.choice(WEEKLY_HOURS[employment])
    hire_day = rng.choice((1, 1, 1, 16, 16, rng.randint(2, 28)))
    status, left_on, left_reason = "利用中", None, None
    certificate = last_day(M + rng.randint(2, 12)) if rng.random() > 0.05 else None

    # When the person was hired, and what happened since, by situation.
    if scenario in (None, "ended", "left"):
        hire_month = rng.randint(M - 37, M - 7)
    elif scenario == "no_plan":
        hire_month = M - 7
    elif scenario == "handover_soon":
        hire_month, hire_day = M - 40, rng.randint(2, 28)
    elif scenario == "starting_next_month":
        hire_month, certificate = M - 5, last_day(M + 12)
    elif scenario in ("handover_overdue", "handover_done"):   # 支援終了予定日 in M+2 / M+3
        hire_month, hire_day = M - (40 if scenario == "handover_overdue" else 39), rng.randint(2, 28)
    else:
        hire_month = rng.randint(M - 30, M - 10)
        if scenario == "plan_not_agreed":   # plans every 3 months from the start: the latest in M
            hire_month -= (hire_month - M) % 3
    if scenario in ("left_job", "left"):
        left = max(M - 4, min(W0, M - 1)) if scenario == "left_job" else rng.randint(min(W0, M - 1), M - 1)
        hire_month = min(hire_month, left - 7) if scenario == "left" else left - 12
        status, left_on = "離職", date_in(left, rng.randint(10, 25))
        left_reason = LEFT_REASONS[0] if scenario == "left_job" else rng.choice(LEFT_REASONS)
        certificate = last_day(left + rng.randint(1, 8))
    if scenario in ("support_ended", "ended", "employment_checked"):
        if scenario == "support_ended":
            ended = max(M - 3, min(W0, M - 1))
        elif scenario == "employment_checked":
            ended = M - 6
        else:
            ended = rng.randint(min(W0, M - 1), M - 1)
        hire_month, hire_day = ended - 42, rng.randint(2, 28)
        status, certificate = "支援終了", last_day(ended)
    if scenario == "certificate_expired":
        certificate = last_day(M - 1)
    elif scenario == "certificate_expiring":
        certificate = last_day(M)

    hired = date_in(hire_month, hire_day)
    start, planned_end = add_months(hired, 6), add_months(hired, 42) - dt.timedelta(days=1)
    start_cell = end_cell = None
    if scenario is None:  # some offices write the period out; a few start on the 1st after
        written = rng.random()
        if written < 0.10:
            start = date_in(month_of(start) + 1, 1)
            start_cell, end_cell = start, planned_end
        elif written < 0.35:
            start_cell, end_cell = start, planned_end
    user = {
        "user_id": f"{index + 1:0{office.id_width}d}", "name": name[0], "kana": name[1],
        "staff": staff, "team": team,
        "disability": weighted(rng, DISABILITIES),
        "hired_on": hired, "employer": employer, "job": rng.choice(jobs),
        "employment_type": employment, "weekly_hours": hours,
        "support_start": start_cell, "support_end": end_cell, "certificate_until": certificate,
        "status": status, "left_on": left_on, "left_reason": left_reason,
        "employer_consent": weighted(rng, CONSENT),
    }
    office.rows["users"].append(user)
    person = Person(
        scenario=scenario, user=user, start=start,
        end=min(planned_end, left_on) if left_on else planned_end,
        days_per_week=5 if hours >= 25 else rng.choice((4, 5)),
        baseline={axis: rng.choice((3, 4, 4, 4, 5, 5)) for axis in schema.SCORE_COLUMNS},
        planned_end=planned_end,
    )
    office.format_2(person)

    if scenario == "starting_next_month":
        before_start(office, person)
        return
    _add_months(office, index, person)


def _add_months(office: Office, index: int, person: Person) -> None:
    """The person's months in the period: contacts, attendance, reports and plans."""
    M = office.M
    first, last = max(office.W0, month_of(person.start)), min(M, month_of(person.end))
    months = {month: office.month(person, month) for month in range(first, last + 1)}
    if person.scenario in SITUATIONS:
        SITUATIONS[person.scenario](office, person, months)
    office.handover_contacts(person, months)
    if index in NOTE_EXTRAS and M in months and months[M].main is not None:
        months[M].main["notes"] += NOTE_EXTRAS[index]
    for records in months.values():
        contacts = [records.main, records.employer, *records.extras]
        office.rows["contacts"].extend(c for c in contacts if c is not None)
        if records.attendance is not None:
            office.rows["attendance"].append(records.attendance)
        if records.report is not None:
            office.rows["reports"].append(records.report)
    if person.scenario in V3_SCENARIOS:
        chained_plans(office, person, last)
    else:
        office.plans(person, last)
    employment_checks(office, person)


# --- format 3: the people after everyone else (situations.V3_SCENARIOS) ----------------------

def _add_format_3(office: Office, first: int, scenarios: tuple[str, ...], taken: set[str]) -> None:
    """The people of ``V3_SCENARIOS`` after the ``first`` others: every random choice for them
    (their names too, none of them taken) from the office's third generator, none from ``rng``
    or ``extra`` (which stand for it while they are made)."""
    pairs = [(f"{s}\u3000{g}", f"{sk}\u3000{gk}") for s, sk in SURNAMES for g, gk in GIVEN_NAMES]
    names = office.third.sample([pair for pair in pairs if pair[0] not in taken], len(scenarios))
    saved = office.rng, office.extra
    office.rng = office.extra = office.third
    try:
        for offset, scenario in enumerate(scenarios):
            _add_format_3_person(office, first + offset, scenario, names[offset])
    finally:
        office.rng, office.extra = saved


def _add_format_3_person(office: Office, index: int, scenario: str, name: tuple[str, str]) -> None:
    """One person of ``V3_SCENARIOS``: the 利用者 row, then the months as for anyone."""
    rng, M = office.rng, office.M
    staff, team = rng.choice(office.staff)
    (employer, jobs), (other, _) = rng.sample(office.employers, 2)
    employment = weighted(rng, EMPLOYMENT)
    hours = rng.choice(WEEKLY_HOURS[employment])
    hired = date_in(rng.randint(M - 26, M - 10), rng.choice((1, 1, 16, rng.randint(2, 28))))
    start_cell = None
    if scenario == "started_early":      # 支援開始日 typed before six months of work are complete
        hired, start_cell = date_in(M - 5, 10), date_in(M, 1)
    elif scenario == "additions":        # six months of work complete on the last day of M−1
        hired, start_cell = date_in(M - 6, 1), date_in(M, 1)
    start = start_cell or add_months(hired, 6)
    consent = {"report_employer_missing": "はい", "job_change_pending": "いいえ"}.get(scenario) \
        or weighted(rng, CONSENT[:2])
    user = {
        "user_id": f"{index + 1:0{office.id_width}d}", "name": name[0], "kana": name[1],
        "staff": staff, "team": team, "disability": weighted(rng, DISABILITIES),
        "hired_on": hired, "employer": employer, "job": rng.choice(jobs),
        "employment_type": employment, "weekly_hours": hours,
        "support_start": start_cell, "support_end": None, "certificate_until": last_day(M + rng.randint(2, 12)),
        "status": "利用中", "left_on": None, "left_reason": None, "employer_consent": consent,
    }
    if scenario == "additions":
        user.update(from_other_office="はい", remote_workplace="はい", cap_management="はい")
    office.rows["users"].append(user)
    planned_end = add_months(start, 36) - dt.timedelta(days=1)
    person = Person(
        scenario=scenario, user=user, start=start, end=planned_end,
        days_per_week=5 if hours >= 25 else rng.choice((4, 5)),
        baseline={axis: rng.choice((3, 4, 4, 4, 5, 5)) for axis in schema.SCORE_COLUMNS},
        planned_end=planned_end,
    )
    office.format_2(person)
    # A 離職日 of someone still 利用中: a job change (再就職日 within a month), or one not recorded yet.
    if scenario == "job_change_pending":
        user.update(left_on=date_in(M, 9), left_reason=LEFT_REASON_PENDING)
    elif scenario == "job_changed":
        person.previous_employer = other     # 企業名 is the new employer
        user.update(left_on=date_in(M - 3, 15), rehired_on=date_in(M - 3, 29), left_reason=LEFT_REASON_CHANGED)
    if scenario in ("started_early", "additions"):
        first_meeting(office, person)
    _add_months(office, index, person)
