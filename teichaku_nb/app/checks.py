"""Retention panel: 就労定着率と就労確認.

Shows, for the fiscal year of the month chosen at the top and for the next year's projection
(judged on today), the 就労定着率 the office would claim and the rate on evidence, each with
its fee tier (``retention.of_fiscal_year``), and the people whose employment no 就労確認
confirms (support ended, no 離職日, no recent 継続: docs/review-rules.md, "On evidence").

The rates and the money outlook are computed when the panel is shown (``shown``; the app's
page opens with the panel folded, so the first page does not wait for them).

Staff pick a person, say what they learnt (確認日, 継続 / 離職, 本人 / 企業 / その他, メモ)
and press 「就労確認を記録」: an act of its own, with the 記録者.  The rates and the list are
read again at once; a confirmed person leaves the list.  A mistaken record is withdrawn with
a reason, kept in the list struck through, like a sending.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import traitlets as t

from .. import money, retention
from ..errors import FormError
from ..japanese import as_month, format_as_of, format_date, format_time
from ..records import CHECK_METHODS, EMPLOYMENT_STATES
from .common import to_withdraw, who_records
from .dates import HINT as DATE_HINT
from .dates import asked_day
from .panel import Context, Panel, moved

CONTINUING, LEFT = EMPLOYMENT_STATES          # 継続 / 離職


def _day(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _rate_row(result: retention.Retention, heading: str) -> dict:
    """One line of the rates table: the rate claimed and the rate on evidence, with tiers."""
    tier, units = result.tier_on_evidence
    return {"heading": heading, "reference_day": result.reference_day, "employed_as_of": result.employed_as_of,
            "as_of": format_as_of(result.employed_as_of) if result.employed_as_of else "",
            "denominator": result.denominator, "numerator": result.numerator,
            "rate": retention.format_rate(result.rate), "tier": result.tier,
            "units": retention.format_units(result.units),
            "evidence_numerator": result.numerator_on_evidence,
            "rate_on_evidence": retention.format_rate(result.rate_on_evidence), "tier_on_evidence": tier,
            "units_on_evidence": retention.format_units(units), "to_confirm": len(result.unconfirmed)}


class ChecksModel(Panel):
    month = t.Unicode("")                  # YYYY-MM: its fiscal year is shown
    rates = t.List()                       # the year's and the projection's (``_rate_row``)
    people = t.List()                      # whose employment must be confirmed, in either result
    as_of = t.Unicode("")                  # what the figures are judged as of: 2026年10月末時点
    notes = t.List()                       # retention's notes (the job change caveat, ...)
    outlook = t.Any(None)                  # money.MoneyOutlook of the month: yen, and who is at risk
    user_id = t.Unicode("")                # the form: whose check
    checked_on = t.Any(None)               # datetime.date (today while the month runs, else blank), None or text
    employment = t.Unicode(CONTINUING)
    method = t.Unicode(CHECK_METHODS[0])
    note = t.Unicode("")
    records = t.List()                     # the office's 就労確認 recorded here, withdrawn ones too
    withdraw_id = t.Int(0)
    withdraw_reason = t.Unicode("")
    message = t.Unicode("")
    message_kind = t.Unicode("ok")         # ok (green) / warning (amber: more to do) / error (red: not recorded)
    recorded = t.Int(0)                    # counts records and withdrawals
    shown = t.Bool(True)                   # the panel is on screen: its results are computed

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._computed = ""                         # the month the results are for

    def context_changed(self, old: Context, new: Context) -> None:
        if moved(old, new):
            self.month = ""                         # read afresh for this office

    def load(self, month: str) -> None:
        with self.hold_trait_notifications():
            self.month = month
            self.checked_on = asked_day(month, self.today)     # blank once the month is over: the day it was done
            self.employment, self.method, self.note = CONTINUING, CHECK_METHODS[0], ""
            self.withdraw_id, self.withdraw_reason, self.message = 0, "", ""
            self._computed = ""
            if self.shown:
                self._reload()

    @t.observe("shown")
    def _on_shown(self, change) -> None:
        if change["new"] and self.month and self._computed != self.month:
            self._reload()

    def _reload(self) -> None:
        """Read the store's records and compute both results again."""
        self._computed = self.month
        found = self.store.employment_checks(self.office, include_withdrawn=True) if self.store else []
        names = self.book.names if self.book is not None else {}
        self.records = [{"id": r.id, "version": r.version, "user_id": r.user_id, "name": names.get(r.user_id, ""),
                         "checked_on": r.checked_on, "employment": r.employment, "method": r.method, "note": r.note,
                         "by": r.created_by, "withdrawn": r.is_withdrawn, "withdrawn_by": r.withdrawn_by or "",
                         "withdrawn_reason": r.withdrawn_reason,
                         "withdrawn_at": format_time(r.withdrawn_at) if r.withdrawn_at else ""} for r in found]
        if self.book is None or not self.month:
            self.rates, self.people, self.notes, self.outlook = [], [], [], None
            return
        month = pd.Period(self.month, freq="M")
        year = retention.fiscal_year_of(month)
        checks = self.store.employment_checks_frame(self.office) if self.store else None
        day = retention.judged_on(month, self.today)      # as the 月次サマリー: the month's end, or today
        result = retention.of_month(self.book, month, today=day, checks=checks)
        projection = result.projection
        self.as_of = format_as_of(day)
        self.rates = [_rate_row(result, f"{year}年度の基本報酬"),
                      _rate_row(projection, f"翌年度（{projection.fiscal_year}年度）の見込み")]
        self.notes = list(dict.fromkeys(result.notes + projection.notes))
        self.people = self._people(result, projection)
        self.outlook = money.outlook(self.book, as_month(month), today=day)
        if self.user_id not in {p["user_id"] for p in self.people}:
            self.user_id = ""                       # chosen on purpose, never by default

    @staticmethod
    def _people(result, projection) -> list[dict]:
        """The unconfirmed of either result, once each, with which result needs them and the day
        from which a 継続 counts (for both: the later day; a check after R also tells of R)."""
        found: dict[str, dict] = {}
        for which, label in ((result, f"{result.fiscal_year}年度"), (projection, f"{projection.fiscal_year}年度の見込み")):
            for u in which.unconfirmed:
                person = found.setdefault(u["user_id"], {
                    "user_id": u["user_id"], "name": u["name"], "support_end": _day(u["support_end"]),
                    "last_check": _day(u["last_check"]), "last_employment": u["last_employment"] or "",
                    "from": which.checks_from, "for": []})
                person["from"] = max(person["from"], which.checks_from)
                person["for"].append(label)
        return sorted(found.values(), key=lambda p: p["user_id"])

    def _by(self) -> str:
        return who_records(self.store, self.staff, "就労確認")

    def record(self) -> None:
        by = self._by()
        person = next((p for p in self.people if p["user_id"] == self.user_id), None)
        if person is None:
            raise FormError("就労確認を記録する人を選んでください")
        day = self.checked_on
        if day is None:
            raise FormError(f"確認日（就労を確かめた日）を入力してください。{DATE_HINT}")
        saved = self.store.record_employment_check(self.office, person["user_id"], by=by, checked_on=day,
                                                   employment=self.employment, method=self.method,
                                                   note=self.note.strip())
        with self.hold_trait_notifications():
            self._reload()
            self.message = self._recorded_text(person, saved)
            still = any(p["user_id"] == person["user_id"] for p in self.people)
            self.message_kind = "warning" if still or saved.employment == LEFT else "ok"
            self.note, self.user_id = "", ""
        self.recorded += 1

    def _recorded_text(self, person: dict, saved) -> str:
        done = (f"{person['user_id']} {person['name']} の就労確認（{format_date(saved.checked_on)}・{saved.employment}）"
                f"を記録しました（記録者 {saved.created_by}）")
        still = next((p for p in self.people if p["user_id"] == person["user_id"]), None)
        if saved.employment == LEFT:
            return (f"{done}。離職の確認では就労定着率は変わりません。離職日がわかれば、ケース記録の利用者シートに"
                    "離職日と状況（離職）を記入してください")
        if still is not None:
            return f"{done}。まだ確認が要ります: {format_date(still['from'])}以降の確認が必要です"
        return f"{done}。確認が要る人の一覧から外れました"

    def withdraw(self) -> None:
        by = self._by()
        chosen, reason = to_withdraw(self.records, self.withdraw_id, self.withdraw_reason, "就労確認の記録")
        self.store.withdraw_employment_check(chosen["id"], by=by, expected_version=chosen["version"], reason=reason)
        with self.hold_trait_notifications():
            self._reload()
            self.withdraw_id, self.withdraw_reason, self.message_kind = 0, "", "ok"
            self.message = (f"{chosen['user_id']} {chosen['name']} の就労確認（{format_date(chosen['checked_on'])}）"
                            "の記録を取り消しました（元の記録と取消は変更履歴に残ります）")
        self.recorded += 1
