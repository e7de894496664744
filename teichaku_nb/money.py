"""What the office's situation means in money: an estimate (見込み) for staff.

For month M (docs/fee-check.md, section "Money (見込み)"):

- the base fee of M's fiscal year and of the projected next year (``retention.of_fiscal_year``
  and its ``projection``): the tier's units a person-month, in yen with 1単位の単価 of 設定,
  and for the office a month and a year: units × unit price × the average number of people
  billed a month × 12;
- the average number billed: people in service (``rules.in_service``) in each month of
  M−11..M, averaged over the months from the first with anyone in service.  Running the fee
  check (``billing.month_billing``) for twelve months takes seconds on a large office, so the
  people are not checked one by one; the assumptions say so;
- at risk: everyone in the projection's numerator who is 要対応 or 注意 in M's agenda, with
  the projected rate, tier and units if that person alone left (numerator − 1, same
  denominator) and the yearly difference in yen;
- how many leavings the projected tier can take before it drops.

Yen are whole yen, fractions cut; the arithmetic is exact (``Fraction``), so 11.2円 × 3,348
単位 is 37,497.6円, not a float a hair below it.  The text is for staff only.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import pandas as pd

from . import retention, rules
from .casebook import CaseBook
from .japanese import format_as_of, format_date, format_fiscal_year, format_month
from .retention import fee_tier, format_rate

MONTHS_AVERAGED = 12
AT_RISK_LEVELS = (rules.ACTION, rules.WATCH)


@dataclass
class FeeYen:
    fiscal_year: int
    rate: float | None
    tier: str | None
    units: int | None               # base units a person-month (None: no rate)
    yen_per_person_month: int | None
    yen_per_month: int | None       # the office: × the average number billed
    yen_per_year: int | None        # × 12
    sentence: str                   # Japanese, for staff

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class AtRisk:
    user_id: str
    name: str
    level: str
    reasons: list[str]              # the flag messages of M's agenda
    rate_if_leaves: float
    tier_if_leaves: str
    units_if_leaves: int
    yen_per_year_difference: int    # how much less a year; 0 when the tier would not change
    sentence: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class MoneyOutlook:
    month: pd.Period
    office: str
    fiscal_year: int
    unit_price: float
    average_billed: float           # people a month, over ``months_counted`` months up to M
    months_counted: int
    current: FeeYen                 # M's fiscal year
    projected: FeeYen | None        # the next fiscal year (the projection)
    at_risk: list[AtRisk] = field(default_factory=list)
    leavings_until_lower_tier: int | None = None    # the projection: how many leavings drop its tier
    margin_sentence: str = ""
    assumptions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"month": str(self.month), "office": self.office, "fiscal_year": self.fiscal_year,
                "unit_price": self.unit_price, "average_billed": self.average_billed,
                "months_counted": self.months_counted, "current": self.current.as_dict(),
                "projected": None if self.projected is None else self.projected.as_dict(),
                "at_risk": [a.as_dict() for a in self.at_risk],
                "leavings_until_lower_tier": self.leavings_until_lower_tier,
                "margin_sentence": self.margin_sentence, "assumptions": list(self.assumptions)}


# --- small helpers ---------------------------------------------------------------------------

def yen(units: int, price: Fraction, people: Fraction = Fraction(1), months: int = 1) -> int:
    """units × price × people × months in whole yen, fractions cut (exact arithmetic)."""
    return math.floor(units * price * people * months)


def format_yen(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}円"


def _format_people(people: Fraction) -> str:
    shown = round(float(people), 1)
    return f"{shown:,.0f}人" if shown == int(shown) else f"{shown:,.1f}人"


def _format_price(price: float) -> str:
    return f"{price:g}円"


def billed_per_month(book: CaseBook, month: pd.Period) -> tuple[Fraction, int, pd.Period]:
    """The average number of people in service a month over M−11..M, from the first of those
    months with anyone in service: (average, months counted, first month counted)."""
    counts = [(m, int(rules.in_service(book.users, m).sum()))
              for m in (month - k for k in range(MONTHS_AVERAGED - 1, -1, -1))]
    while counts and counts[0][1] == 0:
        counts.pop(0)
    if not counts:
        return Fraction(0), 0, month
    return Fraction(sum(n for _, n in counts), len(counts)), len(counts), counts[0][0]


def _fee_yen(result: retention.Retention, price: Fraction, people: Fraction) -> FeeYen:
    label = format_fiscal_year(result.fiscal_year)
    if result.units is None:
        return FeeYen(result.fiscal_year, None, None, None, None, None, None,
                      f"{label}: 就労定着率が出せないため、基本報酬の区分がわかりません")
    per_person, per_month = yen(result.units, price), yen(result.units, price, people)
    per_year = yen(result.units, price, people, 12)
    return FeeYen(result.fiscal_year, result.rate, result.tier, result.units, per_person, per_month, per_year,
                  f"{label}（就労定着率 {format_rate(result.rate)}、区分 {result.tier}）: 1人1か月 "
                  f"{result.units:,}単位 = {format_yen(per_person)}、事業所で月およそ {format_yen(per_month)}、"
                  f"年間およそ {format_yen(per_year)}")


# --- at risk ---------------------------------------------------------------------------------

def _at_risk(review: rules.MonthReview, projection: retention.Retention, price: Fraction,
             people: Fraction) -> list[AtRisk]:
    """Everyone in the projection's numerator who is 要対応 or 注意 in M, as if they alone left."""
    if projection.units is None:
        return []
    n, d = projection.numerator, projection.denominator
    tier_if, units_if = fee_tier(n - 1, d)
    rate_if = (n - 1) / d
    difference = yen(projection.units - units_if, price, people, 12)
    if tier_if != projection.tier:
        sentence = (f"この方が離職すると、見込みの就労定着率は {format_rate(projection.rate)} → {format_rate(rate_if)}、"
                    f"区分は {projection.tier} → {tier_if} になり、基本報酬は年間およそ {format_yen(difference)} "
                    f"減る見込みです")
    else:
        sentence = (f"この方が離職すると、見込みの就労定着率は {format_rate(projection.rate)} → {format_rate(rate_if)} "
                    f"になりますが、区分（{projection.tier}）は変わらず、基本報酬は変わらない見込みです")
    employed = set(projection.numerator_users)
    found = [AtRisk(case.user_id, case.name, case.level, [f.message for f in case.flags], rate_if, tier_if,
                    units_if, difference, sentence)
             for case in review.cases if case.level in AT_RISK_LEVELS and case.user_id in employed]
    found.sort(key=lambda a: (-a.yen_per_year_difference, rules.LEVELS.index(a.level), a.user_id))
    return found


def _margin(projection: retention.Retention | None) -> tuple[int | None, str]:
    """How many leavings (from the projection's numerator) drop the projected tier."""
    if projection is None or projection.units is None:
        return None, ""
    n, d = projection.numerator, projection.denominator
    for k in range(1, n + 1):
        tier, _ = fee_tier(n - k, d)
        if tier != projection.tier:
            return k, (f"見込みの区分（{projection.tier}）は、就労中の方があと {k}人 離職すると "
                       f"{tier} に下がります")
    return None, f"見込みの区分（{projection.tier}）は、これ以上下がりません"


# --- the outlook -----------------------------------------------------------------------------

def _assumptions(month: pd.Period, first: pd.Period, months: int, people: Fraction, price: float,
                 projection: retention.Retention | None, today: dt.date) -> list[str]:
    counted = f"{format_month(first)}〜{format_month(month)}の{months}か月" if months else "直近12か月"
    notes = [
        "金額はすべて見込みです。実際に請求できる額とは異なります。職員向けの資料です。",
        f"1か月あたりの算定人数は、{counted}の平均（{_format_people(people)}）です。",
        "算定人数は、各月の算定チェック（算定可かどうか）ではなく、その月に支援期間中だった人数で数えています。"
        "算定不可・要確認の人も含むため、実際より多めになることがあります。",
    ]
    if 0 < months < MONTHS_AVERAGED:
        notes.append(f"{format_month(first)}より前は支援期間中の人がいないため、平均に含めていません。")
    if projection is not None:
        notes.append(f"{format_fiscal_year(projection.fiscal_year)}の見込みは、{format_as_of(today)}で就労している人が"
                     f"基準日（{format_date(projection.reference_day)}）まで就労を続けるとして数えています。")
    notes += [
        "離職した場合の見込みは、その方だけが離職し、ほかの方は就労を続けるとして計算しています（分母は変わりません）。",
        "月・年間の金額は基本報酬だけです。減算（個別支援計画未作成減算・支援体制構築未実施減算）と"
        "加算（地域連携会議実施加算など）は含みません。",
        f"1単位の単価は設定の {_format_price(price)} です。円未満は切り捨てています。",
    ]
    return notes


def by_effect(at_risk: list[AtRisk]) -> list[tuple[str, list[AtRisk]]]:
    """The at-risk people grouped by what their leaving would do (one sentence for all it
    applies to: one leaving moves the rate by the same step whoever it is), in order."""
    groups: dict[str, list[AtRisk]] = {}
    for person in at_risk:
        groups.setdefault(person.sentence, []).append(person)
    return list(groups.items())


def outlook(book: CaseBook, month: pd.Period, *, review: rules.MonthReview | None = None,
            today: dt.date | None = None) -> MoneyOutlook:
    """The money outlook of ``month`` (``review``: M's agenda when already computed)."""
    today = retention.judged_on(month, today)
    review = review if review is not None else rules.agenda(book, month)
    fiscal_year = retention.fiscal_year_of(month)
    result = retention.of_fiscal_year(book, fiscal_year, today=today)
    unit_price = float(book.settings.unit_price)
    price = Fraction(str(unit_price))
    people, months, first = billed_per_month(book, month)
    projection = result.projection
    margin, margin_sentence = _margin(projection)
    return MoneyOutlook(
        month=month, office=book.office, fiscal_year=fiscal_year, unit_price=unit_price,
        average_billed=float(people), months_counted=months,
        current=_fee_yen(result, price, people),
        projected=None if projection is None else _fee_yen(projection, price, people),
        at_risk=[] if projection is None else _at_risk(review, projection, price, people),
        leavings_until_lower_tier=margin, margin_sentence=margin_sentence,
        assumptions=_assumptions(month, first, months, people, unit_price, projection, today))
