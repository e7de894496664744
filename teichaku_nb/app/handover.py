"""Handover section of the review form: 引継ぎ（支援体制構築）.

Shows where the open case's handover stands at the end of the month (the 要継続支援
judgement, the deadline, the person's consent, the handover shared with the employer and
with an outside body, from the workbook and the records here: ``fees.handover``), and lets
staff record each of them.  Recording is an act of its own (a button, with the 記録者), never
a side effect of saving the review; a mistaken record is withdrawn with a reason, kept in the
list struck through, like a sending.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import traitlets as t

from .. import fees
from ..errors import FormError
from ..japanese import format_date, format_time
from ..records import CONSENT, HANDOVER_PARTIES, NEEDS, NEEDS_VALUES, SHARED
from .common import month_label, to_withdraw, who_records
from .dates import HINT as DATE_HINT
from .dates import asked_day, day_in_month
from .panel import Case, Context, Panel, moved

UNDECIDED = ""                 # 要継続支援 not judged yet
DAY_LABELS = {NEEDS: "判断日", CONSENT: "同意日", SHARED: "引継ぎの日付"}


def _day(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


class HandoverModel(Panel):
    user_id = t.Unicode("")
    month = t.Unicode("")                 # YYYY-MM
    needs = t.Unicode(UNDECIDED)          # the form: the judgement to record
    needs_on = t.Any(None)                # datetime.date (within the month: dates.day_in_month), None or text
    consent_on = t.Any(None)
    party = t.Unicode(HANDOVER_PARTIES[0])
    with_whom = t.Unicode("")
    shared_on = t.Any(None)
    state = t.Dict()                      # where the handover stands at the month's end (``_state``)
    records = t.List()                    # this person's handover records, withdrawn ones too
    withdraw_id = t.Int(0)
    withdraw_reason = t.Unicode("")
    message = t.Unicode("")
    message_kind = t.Unicode("ok")        # ok (green) / warning (amber: not counted this month) / error (red)
    recorded = t.Int(0)                   # counts records and withdrawals: the conference refreshes the fee check

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._everyone = (None, None)            # ((month, store's last change), fees.handover of everyone)

    def context_changed(self, old: Context, new: Context) -> None:
        if moved(old, new):
            self._everyone = (None, None)

    def open_case(self, case: Case) -> None:
        self.load(case.user_id, case.month)

    def close_case(self) -> None:
        self.clear()

    def reload_case(self) -> None:
        self.reload_records()

    def _handovers(self, month: pd.Period) -> pd.DataFrame:
        """Everyone's handover at the end of ``month`` (``fees.handover``), computed again only
        when the month changes or someone saved anything since (``Store.change_mark``): a switch
        to the next case looks theirs up."""
        key = (month, self.store.change_mark(self.office) if self.store else None)
        if self._everyone[0] != key:
            frame = self.store.handovers_frame(self.office) if self.store else None
            users = self.book.users.set_index("user_id", drop=False)
            self._everyone = (key, fees.handover(self.book, month, users, frame))
        return self._everyone[1]

    def prepare(self, month: str) -> None:
        """Everyone's handover of ``month`` computed now (the page's warm-up): the first case
        opened then looks its own up."""
        if self.book is not None:
            self._handovers(pd.Period(month, freq="M"))

    def load(self, user_id: str, month: str) -> None:
        with self.hold_trait_notifications():
            self.user_id, self.month = user_id, month
            self.needs_on = day_in_month(month, self.today)              # decided at the month's conference
            self.consent_on = self.shared_on = asked_day(month, self.today)  # done on a day of their own
            self.party, self.with_whom = HANDOVER_PARTIES[0], ""
            self.withdraw_id, self.withdraw_reason, self.message = 0, "", ""
            self._reload()
            self.needs = self.state.get("needs") or UNDECIDED

    def reload_records(self) -> None:
        """Read the person's handover records again (others may have recorded); the form stays."""
        if self.user_id:
            self._reload()

    def clear(self) -> None:
        with self.hold_trait_notifications():
            self.user_id, self.message = "", ""
            self.state, self.records = {}, []

    def _reload(self) -> None:
        found = self.store.handovers(self.office, self.user_id, include_withdrawn=True) if self.store else []
        self.records = [{"id": r.id, "version": r.version, "kind": r.kind, "label": r.label, "done_on": r.done_on,
                         "by": r.created_by, "note": r.note, "withdrawn": r.is_withdrawn,
                         "withdrawn_by": r.withdrawn_by or "", "withdrawn_reason": r.withdrawn_reason,
                         "withdrawn_at": format_time(r.withdrawn_at) if r.withdrawn_at else ""} for r in found]
        self.state = self._state(found)

    def _state(self, found) -> dict:
        """The handover as the fee check sees it at the end of the month."""
        users = self.book.users[self.book.users["user_id"] == self.user_id].set_index("user_id", drop=False)
        if users.empty:
            return {}
        month = pd.Period(self.month, freq="M")
        row = self._handovers(month).loc[self.user_id]
        m1 = month.end_time.date()
        judged = [r for r in found if r.kind == NEEDS and not r.is_withdrawn and r.done_on <= m1]
        source = (f"{format_date(judged[-1].done_on)} {judged[-1].created_by} さんの記録" if judged
                  else "ケース記録の要継続支援" if row["needs"] else "")
        return {"needs": row["needs"] or "", "source": source, "support_end": _day(users["support_end"].iloc[0]),
                "deadline": _day(row["deadline"]), "consent": _day(row["consent"]), "employer": _day(row["employer"]),
                "outside": _day(row["outside"]), "lacking": list(row["lacking"]), "in_time": bool(row["in_time"]),
                "month_label": month_label(self.month)}

    def _by(self) -> str:
        return who_records(self.store, self.staff, "引継ぎ", user_id=self.user_id)

    def _record(self, kind: str, day, **values) -> None:
        by = self._by()
        if day is None:
            raise FormError(f"{DAY_LABELS[kind]}を入力してください。{DATE_HINT}")
        saved = self.store.record_handover(self.office, self.user_id, kind, by=by, done_on=day, **values)
        month = pd.Period(self.month, freq="M")
        later = (f"。{format_date(saved.done_on)}は{month_label(self.month)}より後のため、{month_label(self.month)}の"
                 f"算定チェックには数えず、{month_label(str(pd.Period(saved.done_on, freq='M')))}から数えます"
                 if saved.done_on > month.end_time.date() else "")
        with self.hold_trait_notifications():
            self._reload()
            self.message = f"{saved.label}（{format_date(saved.done_on)}）を記録しました（記録者 {by}）{later}"
            self.message_kind = "warning" if later else "ok"
        self.recorded += 1

    def record_needs(self) -> None:
        if self.needs not in NEEDS_VALUES:
            raise FormError("要継続支援を はい か いいえ から選んでから記録してください"
                            "（判断を取りやめるときは、その記録を取り消してください）")
        self._record(NEEDS, self.needs_on, value=self.needs)

    def record_consent(self) -> None:
        self._record(CONSENT, self.consent_on)

    def record_shared(self) -> None:
        if not self.with_whom.strip():
            raise FormError("引継ぎの相手の名前（機関名・担当者）を入力してください")
        self._record(SHARED, self.shared_on, party=self.party, with_whom=self.with_whom.strip())
        self.with_whom = ""

    def withdraw(self) -> None:
        by = self._by()
        chosen, reason = to_withdraw(self.records, self.withdraw_id, self.withdraw_reason, "引継ぎの記録")
        self.store.withdraw_handover(chosen["id"], by=by, expected_version=chosen["version"], reason=reason)
        with self.hold_trait_notifications():
            self._reload()
            self.withdraw_id, self.withdraw_reason, self.message_kind = 0, "", "ok"
            self.message = f"{chosen['label']}（{format_date(chosen['done_on'])}）の記録を取り消しました（元の記録と取消は変更履歴に残ります）"
        self.recorded += 1
