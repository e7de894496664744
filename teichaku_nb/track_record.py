"""The 就労定着実績体制加算 (track-record addition) of a fiscal year, on the workbook's evidence.

For fiscal year FY (April FY to March FY+1) the addition is 300 units a month for every
person billed when the office filed it, and the records should bear it out: among the people
whose support ended in the six fiscal years before FY (the support's end from 1 April FY−6 to
31 March FY), at least 70 % worked 42 months or more (and less than 78) at the employer that
hired them.  See docs/fee-check.md.

- **The cohort.** A person's support ends on ``periods.ended_on`` (the earliest of 利用終了日,
  支援終了予定日 and 離職日; a job change within a month does not end it): someone who left the
  job during the support is in the cohort too.  Only ends on or before the day of the check
  (``today``) count, and only people whose support had begun (an end before 支援開始日 means
  the person never used the support).
- **The evidence, per person.**  42 months of work are complete on the day before the day that
  corresponds to 就職日 (or the end of 就労移行支援等 used after hiring) 42 months later
  (``periods.months_worked_on``: hired 2022-09-01, complete on 2026-02-28):
  1. a 離職日 decides: on or after that day is reached, before it is not reached;
  2. else a 就労確認 row 継続 dated on or after that day is reached (the latest one is named);
  3. else a 就労確認 row 離職 dated before that day is not reached (the person had left);
  4. else the person is unconfirmed.
  就労確認 rows dated after ``today`` are not evidence.  The 告示 says "42 months or more and
  less than 78": someone whose evidence shows 78 months is listed apart (``beyond``), outside
  the share, for the office to confirm with the 指定権者.
- **The share** is given two ways: unconfirmed people counted as reached (claimed) and as
  not reached (on evidence).  It is compared in integers: reached × 100 ≥ 70 × cohort.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from . import periods
from .casebook import CaseBook
from .fee_table import TRACK_RECORD_UNITS       # units a month for every person billed
from .japanese import format_date, format_fiscal_year
from .retention import all_checks

TRACK_RECORD_SHARE = 70         # percent of the cohort, at least
TRACK_RECORD_MONTHS = 42        # months of work from 就職日
TRACK_RECORD_YEARS = 6          # fiscal years before FY in which the support ended
TRACK_RECORD_BEYOND = 78        # the 告示's "less than 78 months"

REACHED = "reached"
NOT_REACHED = "not_reached"
UNCONFIRMED = "unconfirmed"
BEYOND = "beyond"
OUTCOME_LABELS = {REACHED: f"{TRACK_RECORD_MONTHS}か月以上", NOT_REACHED: f"{TRACK_RECORD_MONTHS}か月未満",
                  UNCONFIRMED: "未確認", BEYOND: f"{TRACK_RECORD_BEYOND}か月以上（別扱い）"}
STILL_WORKING = "継続"
LEFT_WORK = "離職"


@dataclass(frozen=True)
class TrackRecordPerson:
    """One person of the cohort: how long they worked, and what says so."""

    user_id: str
    name: str
    hired_on: dt.date
    support_ended_on: dt.date       # min(利用終了日 or 支援終了予定日, 離職日)
    day_42_months: dt.date          # the day 42 months of work are complete
    outcome: str                    # REACHED, NOT_REACHED or UNCONFIRMED
    evidence: str                   # Japanese: 離職日 …, 就労確認 …, or 未確認

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    def as_dict(self) -> dict:
        return {"user_id": self.user_id, "name": self.name, "hired_on": self.hired_on.isoformat(),
                "support_ended_on": self.support_ended_on.isoformat(),
                "day_42_months": self.day_42_months.isoformat(), "outcome": self.outcome,
                "evidence": self.evidence}


@dataclass
class TrackRecord:
    office: str
    fiscal_year: int
    window_start: dt.date           # 1 April FY−6
    window_end: dt.date             # 31 March FY
    judged_on: dt.date              # the day of the check: a support ending later has not ended
    cohort: list[str]               # 利用者ID, sorted
    reached: list[str]
    not_reached: list[str]
    unconfirmed: list[str]
    beyond: list[str]               # 78 months or more: listed apart, outside the share
    share_claimed: float | None     # unconfirmed counted as reached; None for an empty cohort
    share_on_evidence: float | None  # unconfirmed counted as not reached
    applies_claimed: bool | None
    applies_on_evidence: bool | None
    units_claimed: int | None       # TRACK_RECORD_UNITS or 0 a person a month; None: cannot be judged
    units_on_evidence: int | None
    people: list[TrackRecordPerson] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def units(self) -> int | None:
        """What the office can claim on the evidence it has."""
        return self.units_on_evidence

    @property
    def sentence(self) -> str:
        """The answer in one Japanese sentence, for staff."""
        head = (f"就労定着実績体制加算（{format_fiscal_year(self.fiscal_year)}）: {format_date(self.window_start)}〜"
                f"{format_date(self.window_end)}に支援を終えた {len(self.cohort)}人")
        if not self.cohort:
            return head + "。対象者がいないため判断できません"
        text = (f"{head}のうち{TRACK_RECORD_MONTHS}か月以上働いた人 {len(self.reached)}人"
                f"（{format_share(self.share_on_evidence)}）。")
        if self.unconfirmed:
            text += (f"確かめられていない {len(self.unconfirmed)}人を含めると {format_share(self.share_claimed)}。")
        verdict = "算定できます" if self.applies_on_evidence else (
            "就労確認で確かめれば算定できます" if self.applies_claimed else "算定できません")
        return text + f"{TRACK_RECORD_SHARE}%以上で1人1か月 {TRACK_RECORD_UNITS}単位: {verdict}"

    def person(self, user_id: str) -> TrackRecordPerson:
        return next(p for p in self.people if p.user_id == user_id)

    def as_dict(self) -> dict:
        return {
            "office": self.office, "fiscal_year": self.fiscal_year,
            "window_start": self.window_start.isoformat(), "window_end": self.window_end.isoformat(),
            "judged_on": self.judged_on.isoformat(),
            "cohort": list(self.cohort), "reached": list(self.reached),
            "not_reached": list(self.not_reached), "unconfirmed": list(self.unconfirmed),
            "beyond": list(self.beyond),
            "share_claimed": self.share_claimed, "share_on_evidence": self.share_on_evidence,
            "applies_claimed": self.applies_claimed, "applies_on_evidence": self.applies_on_evidence,
            "units_claimed": self.units_claimed, "units_on_evidence": self.units_on_evidence,
            "people": [p.as_dict() for p in self.people], "notes": list(self.notes),
        }


def format_share(share: float | None) -> str:
    """66.7%, or — when the cohort is empty."""
    return "—" if share is None else f"{share:.1%}"


def _applies(reached: int, cohort: int) -> bool | None:
    """Whether the share is at least 70 %, compared exactly (7 of 10 is enough)."""
    return None if cohort == 0 else reached * 100 >= TRACK_RECORD_SHARE * cohort


def _units(applies: bool | None) -> int | None:
    return None if applies is None else (TRACK_RECORD_UNITS if applies else 0)


# --- the cohort and its evidence ---------------------------------------------------------------

def _cohort(book: CaseBook, window_start: dt.date, last_end: dt.date) -> pd.DataFrame:
    """The people whose support ended from ``window_start`` to ``last_end``, sorted by 利用者ID,
    with ``ended_on`` (their support's end), ``left`` (the 離職日 that ended the job, none for a
    job change), ``day_42`` and ``day_78`` (the days 42 and 78 months of work are complete)."""
    users = book.users
    end = periods.ended_on(users)
    ended = ((end >= pd.Timestamp(window_start)) & (end <= pd.Timestamp(last_end))
             & (users["support_start"] <= end)).fillna(False).astype(bool)
    chosen = users[ended]
    chosen = chosen.assign(ended_on=end[ended], left=periods.left_on(chosen),
                           day_42=periods.months_worked_on(chosen, TRACK_RECORD_MONTHS),
                           day_78=periods.months_worked_on(chosen, TRACK_RECORD_BEYOND))
    return chosen.sort_values("user_id", kind="stable").reset_index(drop=True)


def _check_text(check) -> str:
    """就労確認 2026年9月1日 継続（企業）."""
    method = "" if pd.isna(check["method"]) else f"（{check['method']}）"
    return f"就労確認 {format_date(check['checked_on'])} {check['employment']}{method}"


def _last(checks: pd.DataFrame, chosen: pd.Series) -> dict[str, dict]:
    """Each person's latest check among ``chosen`` (by date, then row)."""
    rows = checks[chosen.fillna(False).astype(bool)].sort_values(["checked_on", "row"], kind="stable")
    latest = rows.groupby("user_id", sort=False).tail(1)[["user_id", "checked_on", "employment", "method"]]
    return {r["user_id"]: r for r in latest.to_dict("records")}


def _evidence(book: CaseBook, cohort: pd.DataFrame, today: dt.date,
              recorded: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """(outcome, evidence) for each person of the cohort, in its order (``recorded``: the 就労確認
    recorded in the app, beside the workbook's)."""
    checks = all_checks(book, recorded)
    checks = checks[checks["user_id"].isin(cohort["user_id"])
                    & (checks["checked_on"] <= pd.Timestamp(today)).fillna(False)]
    checks = checks.merge(cohort[["user_id", "day_42", "day_78"]], on="user_id")
    after = checks["checked_on"] >= checks["day_42"]
    kept_after = _last(checks, after & checks["employment"].eq(STILL_WORKING))
    left_before = _last(checks, ~after & checks["employment"].eq(LEFT_WORK))
    latest = _last(checks, pd.Series(True, index=checks.index))
    beyond = f"{TRACK_RECORD_BEYOND}か月以上のため割合に数えていません（告示は{TRACK_RECORD_MONTHS}月以上{TRACK_RECORD_BEYOND}月未満）"
    found = []
    for person in cohort.itertuples(index=False):
        uid = person.user_id
        if pd.notna(person.left):
            if person.left >= person.day_78:
                found.append((BEYOND, f"離職日 {format_date(person.left)}。{beyond}"))
                continue
            reached = person.left >= person.day_42
            when = f"{TRACK_RECORD_MONTHS}か月後" if reached else f"{TRACK_RECORD_MONTHS}か月より前"
            found.append((REACHED if reached else NOT_REACHED, f"離職日 {format_date(person.left)}（{when}）"))
        elif uid in kept_after and kept_after[uid]["checked_on"] >= person.day_78:
            found.append((BEYOND, f"{_check_text(kept_after[uid])}。{beyond}"))
        elif uid in kept_after:
            found.append((REACHED, _check_text(kept_after[uid])))
        elif uid in left_before:
            found.append((NOT_REACHED, _check_text(left_before[uid]) + f"、{TRACK_RECORD_MONTHS}か月より前"))
        elif uid in latest:
            found.append((UNCONFIRMED, f"未確認（最後の{_check_text(latest[uid])}）"))
        else:
            found.append((UNCONFIRMED, "未確認"))
    return found


# --- the year ---------------------------------------------------------------------------------

def _notes(result: TrackRecord, book: CaseBook) -> list[str]:
    window = f"{format_date(result.window_start)}〜{format_date(result.window_end)}"
    notes = []
    if not result.cohort:
        notes.append(f"対象期間（{window}）に支援が終わった人がいないため、"
                     f"就労定着実績体制加算は判定できません。")
    if result.judged_on < result.window_end:
        notes.append(f"判定日（{format_date(result.judged_on)}）の時点では対象期間の終わり"
                     f"（{format_date(result.window_end)}）がまだ来ていないため、"
                     f"判定日までに支援が終わった人で計算した見込みです。")
    if not book.has("employment_checks", "checked_on"):
        notes.append("就労確認シートがないため、離職日のない人はすべて未確認です。"
                     f"就職日から{TRACK_RECORD_MONTHS}か月後以降の就労状況を就労確認シートに記録してください。")
    if result.beyond:
        notes.append(f"{TRACK_RECORD_BEYOND}か月以上働いている（働いた）人が{len(result.beyond)}人います"
                     f"（{'、'.join(result.beyond)}）。告示は「{TRACK_RECORD_MONTHS}月以上{TRACK_RECORD_BEYOND}月未満」と"
                     "定めているため割合に数えていません。数え方は指定権者に確認してください。")
    if result.unconfirmed:
        notes.append(f"{TRACK_RECORD_MONTHS}か月以上の就労を確かめていない人が{len(result.unconfirmed)}人います"
                     f"（未確認）。未確認の人を{TRACK_RECORD_MONTHS}か月以上とみなすと"
                     f" {format_share(result.share_claimed)}、みなさないと {format_share(result.share_on_evidence)} です。")
        if result.applies_claimed and not result.applies_on_evidence:
            notes.append("未確認の人の就労を確かめられれば加算の対象ですが、確かめられた人だけでは"
                         f"{TRACK_RECORD_SHARE}%に届かず、加算の対象になりません。")
    return notes


def of_fiscal_year(book: CaseBook, fiscal_year: int, *, today: dt.date | None = None,
                   checks: pd.DataFrame | None = None) -> TrackRecord:
    """The 就労定着実績体制加算 of ``fiscal_year``, judged on ``today`` (default: the real today).

    Cohort: people whose support ended (``periods.ended_on``) from 1 April FY−6 to
    min(31 March FY, today), their support having begun.  Each is reached, not
    reached or unconfirmed (see the module's docstring); the share and the 300 units are
    given with the unconfirmed counted as reached (claimed) and as not reached (on evidence).
    """
    today = today or dt.date.today()
    window_start = dt.date(fiscal_year - TRACK_RECORD_YEARS, 4, 1)
    window_end = dt.date(fiscal_year, 3, 31)
    cohort = _cohort(book, window_start, min(window_end, today))
    people = [
        TrackRecordPerson(user_id=row.user_id, name=row.name, hired_on=row.hired_on.date(),
                          support_ended_on=row.ended_on.date(), day_42_months=row.day_42.date(),
                          outcome=outcome, evidence=evidence)
        for row, (outcome, evidence) in zip(cohort.itertuples(index=False), _evidence(book, cohort, today, checks))]
    by = {kind: [p.user_id for p in people if p.outcome == kind] for kind in OUTCOME_LABELS}
    n = len(people) - len(by[BEYOND])
    reached, unconfirmed = len(by[REACHED]), len(by[UNCONFIRMED])
    claimed, on_evidence = _applies(reached + unconfirmed, n), _applies(reached, n)
    result = TrackRecord(
        office=book.office, fiscal_year=fiscal_year, window_start=window_start, window_end=window_end,
        judged_on=today, cohort=[p.user_id for p in people if p.outcome != BEYOND], beyond=by[BEYOND],
        reached=by[REACHED],
        not_reached=by[NOT_REACHED], unconfirmed=by[UNCONFIRMED],
        share_claimed=(reached + unconfirmed) / n if n else None, share_on_evidence=reached / n if n else None,
        applies_claimed=claimed, applies_on_evidence=on_evidence,
        units_claimed=_units(claimed), units_on_evidence=_units(on_evidence), people=people)
    result.notes = _notes(result, book)
    return result
