"""The 就労定着率 (retention rate) that sets a fiscal year's basic fee, and its projection.

For fiscal year FY (April FY to March FY+1): R = 31 March of calendar year FY; window =
1 April FY−3 to R; denominator = users whose use [支援開始日, the earliest of 利用終了日,
支援終了予定日 and 離職日] overlaps the window; numerator = those still employed on R (a job
change within a month is continuous employment: ``periods.job_changed``).  The fee tiers are
those of the 2024 revision (``fee_table.FEE_TIERS``).

Retention on evidence: a person whose support ended before R and who has no 離職日 is employed on
R only as far as anyone knows.  The office's 就労確認 (a check of employment after the support
ended) confirms it: a row 就労状況 継続 dated from R − 1 month on.  Without one the person is
unconfirmed; the result gives the rate counting them as employed (``rate``: what the office
would claim) and counting them as not employed (``rate_on_evidence``), and names them.  The
就労確認 recorded in the app (the review store's, ``checks``) count beside the workbook's.
See docs/review-rules.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .casebook import CaseBook
from .japanese import format_as_of, format_date
from . import periods
from .fee_table import FEE_TIERS


def fiscal_year_of(month: pd.Period) -> int:
    """The fiscal year (April to March) a month belongs to: 2027-03 is in FY 2026."""
    return month.year if month.month >= 4 else month.year - 1


def judged_on(month: pd.Period, today: dt.date | None = None) -> dt.date:
    """The day a month's figures are judged on: the month's last day, or today while the month
    runs.  The app and the 月次サマリー both judge a month's 就労定着率, its people to confirm and
    its money outlook on this day (``of_month``, ``money.outlook``)."""
    return min(today or dt.date.today(), month.end_time.date())


def of_month(book: CaseBook, month: pd.Period, *, today: dt.date | None = None,
             checks: pd.DataFrame | None = None) -> Retention:
    """The 就労定着率 of ``month``'s fiscal year and its projection, as of ``judged_on(month)``."""
    return of_fiscal_year(book, fiscal_year_of(month), today=judged_on(month, today), checks=checks)


def format_rate(rate: float | None) -> str:
    """The retention rate as staff read it: 77.8%."""
    return "—" if rate is None else f"{rate:.1%}"


def format_units(units: int | None) -> str:
    """2,234単位."""
    return "—" if units is None else f"{units:,}単位"


NOTE_JOB_CHANGE = ("離職後1か月以内に再就職した転職は、継続した就労として数えています（1人1回まで。利用者シートの"
                   "再就職日）。再就職日が空欄の離職は、離職として数えています。")
NOTE_NO_CHECKS = ("ケース記録に就労確認シートがないため、支援が終わった人の就労は確かめられていません"
                  "（就労確認シートに 継続 の確認を記録すると、根拠のある人として数えます）。")
CHECK_WITHIN = pd.DateOffset(months=1)     # a 継続 check counts from this long before the day judged
NOTE_NO_USERS = ("対象期間に利用者がいないため、就労定着率は出せません。"
                 "新たに指定を受けた事業所の基本報酬は別の定めによります。")


@dataclass
class Retention:
    office: str
    fiscal_year: int
    reference_day: dt.date          # R: 31 March of calendar year FY
    window_start: dt.date           # 1 April FY−3
    denominator: int
    numerator: int
    rate: float | None              # None when nobody used the service in the window
    tier: str | None
    units: int | None
    denominator_users: list[str]
    numerator_users: list[str]
    notes: list[str] = field(default_factory=list)
    projection: Retention | None = None
    employed_as_of: dt.date | None = None   # projection only: employment is taken as of this day
    # on evidence: the people counted as employed whose support ended and whose employment no
    # 就労確認 confirms (user_id, name, support_end, last_check and last_employment: the latest
    # check's day and 就労状況, or None)
    unconfirmed: list[dict] = field(default_factory=list)

    @property
    def checks_from(self) -> dt.date:
        """The earliest day a 就労確認 (継続) confirms employment for this result."""
        return (pd.Timestamp(self.employed_as_of or self.reference_day) - CHECK_WITHIN).date()

    @property
    def numerator_on_evidence(self) -> int:
        return self.numerator - len(self.unconfirmed)

    @property
    def rate_on_evidence(self) -> float | None:
        return self.numerator_on_evidence / self.denominator if self.denominator else None

    @property
    def tier_on_evidence(self) -> tuple[str, int] | tuple[None, None]:
        return fee_tier(self.numerator_on_evidence, self.denominator)

    @property
    def left_users(self) -> list[str]:
        """In the denominator but not employed on the reference day."""
        employed = set(self.numerator_users)
        return [u for u in self.denominator_users if u not in employed]

    def as_dict(self) -> dict:
        data = {
            "fiscal_year": self.fiscal_year, "reference_day": self.reference_day.isoformat(),
            "denominator": self.denominator, "numerator": self.numerator, "rate": self.rate,
            "tier": self.tier, "units": self.units,
            "denominator_users": list(self.denominator_users), "numerator_users": list(self.numerator_users),
        }
        if self.projection is not None:
            data["projection"] = self.projection.as_dict()
        tier, units = self.tier_on_evidence
        data |= {"rate_on_evidence": self.rate_on_evidence, "tier_on_evidence": tier, "units_on_evidence": units,
                 "unconfirmed": [{"user_id": u["user_id"], "name": u["name"],
                                  "support_end": _iso(u["support_end"]), "last_check": _iso(u["last_check"]),
                                  "last_employment": u["last_employment"]}
                                 for u in self.unconfirmed]}
        data |= {"office": self.office, "window_start": self.window_start.isoformat(), "notes": list(self.notes)}
        return data


def _iso(day) -> str | None:
    return None if day is None or pd.isna(day) else pd.Timestamp(day).date().isoformat()


def fee_tier(numerator: int, denominator: int) -> tuple[str, int] | tuple[None, None]:
    """The tier label and units for a rate, compared exactly (no float rounding at the bounds)."""
    if denominator == 0:
        return None, None
    for lowest, label, units in FEE_TIERS:
        if numerator * 100 >= lowest * denominator:
            return label, units
    raise AssertionError("the last tier starts at 0")


def _retention(book: CaseBook, fiscal_year: int, employed_on: dt.date | None = None,
               checks: pd.DataFrame | None = None) -> Retention:
    """The rate for ``fiscal_year``.  Employment is judged on R, or on ``employed_on`` when given
    (the projection: users employed that day count as still employed on R).  ``checks``: the
    就労確認 recorded in the app, read beside the workbook's."""
    reference = dt.date(fiscal_year, 3, 31)
    window_start = dt.date(fiscal_year - 3, 4, 1)
    users = book.users
    undated = (users["status"] == periods.LEFT).fillna(False) & users["left_on"].isna()   # an error: counted as left
    period_end = periods.ended_on(users).where(~undated, periods.planned_end(users))
    # an empty period (left before the support began) overlaps nothing
    in_window = ((users["support_start"] <= pd.Timestamp(reference))
                 & (period_end >= pd.Timestamp(window_start))
                 & (users["support_start"] <= period_end)).fillna(False)
    judged_on = pd.Timestamp(employed_on or reference)
    left = periods.left_on(users)
    employed = (left.isna() | (left > judged_on)).fillna(False) & ~undated
    denominator_users = sorted(users.loc[in_window, "user_id"])
    numerator_users = sorted(users.loc[in_window & employed, "user_id"])
    n, d = len(numerator_users), len(denominator_users)
    tier, units = fee_tier(n, d)
    notes = [NOTE_JOB_CHANGE] if d else [NOTE_NO_USERS, NOTE_JOB_CHANGE]
    unconfirmed = _unconfirmed(all_checks(book, checks), users[in_window & employed], judged_on)
    if unconfirmed and checks is None and not book.has("employment_checks", "user_id"):
        notes.append(NOTE_NO_CHECKS)
    return Retention(office=book.office, fiscal_year=fiscal_year, reference_day=reference,
                     window_start=window_start, denominator=d, numerator=n,
                     rate=n / d if d else None, tier=tier, units=units,
                     denominator_users=denominator_users, numerator_users=numerator_users,
                     notes=notes, employed_as_of=employed_on, unconfirmed=unconfirmed)


def all_checks(book: CaseBook, recorded: pd.DataFrame | None) -> pd.DataFrame:
    """The workbook's 就労確認 and those recorded in the app (after them): user_id, checked_on,
    employment, method, row (the sheet's row; the recorded ones count on from the last)."""
    columns = ["user_id", "checked_on", "employment", "method"]
    checks = book.employment_checks[columns + ["row"]].astype({"user_id": "string", "employment": "string",
                                                               "method": "string", "row": "Int64"})
    if recorded is None or recorded.empty:
        return checks
    recorded = recorded[columns].astype({"user_id": "string", "employment": "string", "method": "string"})
    recorded["checked_on"] = pd.to_datetime(recorded["checked_on"])
    first = int(checks["row"].max()) + 1 if len(checks) else 2
    recorded["row"] = pd.array(range(first, first + len(recorded)), dtype="Int64")
    return pd.concat([checks, recorded], ignore_index=True)


def _unconfirmed(checks: pd.DataFrame, employed: pd.DataFrame, judged_on: pd.Timestamp) -> list[dict]:
    """Of ``employed`` (counted as employed on ``judged_on``), those whose support ended before
    that day, with no 離職日, and no 就労確認 (``checks``) 継続 dated from ``judged_on`` − 1
    month on."""
    ended = employed[(periods.planned_end(employed) < judged_on).fillna(False) & periods.left_on(employed).isna()]
    checks = checks[checks["user_id"].isin(ended["user_id"])]
    confirmed = set(checks.loc[(checks["employment"] == "継続") & (checks["checked_on"] >= judged_on - CHECK_WITHIN)
                               .fillna(False), "user_id"])
    latest = checks.sort_values("checked_on", kind="stable").groupby("user_id")[["checked_on", "employment"]].last()
    found = [{"user_id": row.user_id, "name": str(row.name), "support_end": end,
              "last_check": latest.at[row.user_id, "checked_on"] if row.user_id in latest.index else None,
              "last_employment": str(latest.at[row.user_id, "employment"]) if row.user_id in latest.index else None}
             for row, end in zip(ended.itertuples(), periods.planned_end(ended)) if row.user_id not in confirmed]
    return sorted(found, key=lambda u: u["user_id"])



def of_fiscal_year(book: CaseBook, fiscal_year: int, *, today: dt.date | None = None,
                   checks: pd.DataFrame | None = None, projection: bool = True) -> Retention:
    """The 就労定着率 that sets ``fiscal_year``'s basic fee, with the projection for FY+1.

    R = 31 March of calendar year FY; window = 1 April FY−3 to R; denominator = users whose use
    [支援開始日, the earliest of 利用終了日, 支援終了予定日 and 離職日] overlaps the window;
    numerator = those still employed on R (no 離職日, or 離職日 > R; a job change within a month
    is continuous).  The projection (left out with ``projection=False``) is the same with R =
    31 March FY+1, counting users employed ``today`` as still employed on that day.
    ``checks`` (``Store.employment_checks_frame``: user_id, checked_on, employment) are the
    就労確認 recorded in the app, read beside the workbook's sheet (standing records only).
    """
    today = today or dt.date.today()
    result = _retention(book, fiscal_year, checks=checks)
    if result.reference_day > today:
        result.notes.append(f"基準日（{format_date(result.reference_day)}）はまだ来ていないため、"
                            f"{format_as_of(today)}の状況で計算した見込みです。")
    if not projection:
        return result
    next_reference = dt.date(fiscal_year + 1, 3, 31)
    result.projection = _retention(book, fiscal_year + 1, employed_on=min(today, next_reference), checks=checks)
    if next_reference > today:
        result.projection.notes.append(f"見込み: {format_as_of(today)}で就労している人は、"
                                       f"基準日（{format_date(next_reference)}）まで就労を続けるとして数えています。")
    return result


def combined_rate(results: list[Retention]) -> tuple[int, int, float | None]:
    """Numerator, denominator and rate over several offices (the organisation's line)."""
    numerator = sum(r.numerator for r in results)
    denominator = sum(r.denominator for r in results)
    return numerator, denominator, (numerator / denominator if denominator else None)
