"""Sending panel: staff record that a month's 支援レポート was given, and to whom.

Sending is an act, never a side effect of making a document: a person chooses the
recipient (本人 / 企業 / 本人・企業), the day, and whom it was given to (the open case's
person, the people whose copies were just made, or everyone reviewed this month), and
presses 記録.  A mistaken record is withdrawn, not deleted: it stays in the list, struck
through with who withdrew it, and the store's history keeps both.
"""

from __future__ import annotations

import datetime as dt

import traitlets as t

from ..errors import FormError
from ..japanese import JST, format_date, format_time
from ..records import EMPLOYER, RECIPIENT_PARTS, RECIPIENTS
from .common import month_label, to_withdraw, who_records
from .panel import Context, Panel, moved

SCOPES = (("開いているケースの人", "case"), ("作成した支援レポートの人", "made"), ("検討済の全員", "reviewed"))


class SendingModel(Panel):
    recipient = t.Unicode(RECIPIENTS[-1])       # 本人・企業
    sent_on = t.Any(None)                       # datetime.date (today unless changed)
    scope = t.Unicode("case")
    month = t.Unicode("")                       # YYYY-MM
    user_id = t.Unicode("")                     # the open case
    made_users = t.List()                       # the people of the latest 支援レポート batch of the month (exports)
    records = t.List()                          # the month's sending records, withdrawn ones too
    withdraw_id = t.Int(0)                      # the record chosen to withdraw (0: none)
    withdraw_reason = t.Unicode("")
    message = t.Unicode("")
    message_kind = t.Unicode("ok")              # ok (green) / warning (amber): app.css colours the message
    recorded = t.Int(0)                         # counts changes, so the conference refreshes the agenda

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def context_changed(self, old: Context, new: Context) -> None:
        if self.sent_on is None:
            self.sent_on = new.today
        if moved(old, new):
            self.month = ""                          # read afresh for this office

    @property
    def names(self) -> dict[str, str]:
        return self.book.names if self.book is not None else {}

    @property
    def sharing(self) -> frozenset[str]:
        """The people whose 企業共有同意 is はい (only they have an employer copy)."""
        return frozenset(u for u in self.names if self.book.shares_with_employer(u))

    def load(self, month: str) -> None:
        with self.hold_trait_notifications():
            self.month = month
            self.message = ""
            self.withdraw_id = 0
            self._reload()

    def _reload(self) -> None:
        found = (self.store.issued_reports(self.office, self.month, include_withdrawn=True)
                 if self.store is not None and self.month else [])
        self.records = [{"id": r.id, "version": r.version, "user_id": r.user_id,
                         "name": self.names.get(r.user_id, ""), "recipient": r.recipient, "sent_on": r.sent_on,
                         "by": r.created_by, "withdrawn": r.is_withdrawn, "withdrawn_by": r.withdrawn_by or "",
                         "withdrawn_at": format_time(r.withdrawn_at) if r.withdrawn_at else ""} for r in found]

    def _by(self) -> str:
        return who_records(self.store, self.staff, "送付")

    def targets(self) -> list[str]:
        """The 利用者ID the chosen scope stands for."""
        if self.scope == "case":
            if not self.user_id:
                raise FormError("ケースを開いてから「開いているケースの人」を選んでください")
            return [self.user_id]
        if self.scope == "made":
            if not self.made_users:
                raise FormError(f"この画面では{month_label(self.month) if self.month else 'この月'}の支援レポートをまだ作成していません"
                                "（「帳票の出力」で作成してから選んでください）")
            return list(self.made_users)
        reviewed = sorted(r.user_id for r in self.store.reviews(self.office, self.month)) if self.store else []
        if not reviewed:
            raise FormError("この月に検討の記録がある人はいません")
        return reviewed

    def record(self) -> None:
        by = self._by()
        sent_on = self.sent_on or dt.datetime.now(JST).date()
        targets = self.targets()
        if EMPLOYER in RECIPIENT_PARTS[self.recipient]:
            refused = [u for u in targets if u not in self.sharing]
            if refused:
                who = "、".join(f"{u} {self.names.get(u, '')}".strip() for u in refused)
                raise FormError(f"企業共有同意が「はい」でない人（{who}）には企業用の支援レポートを作らないため、"
                                f"「{self.recipient}」への送付は記録できません。本人に渡したときは送付先を「本人」にしてください")
        recorded, already = self.store.record_sending(self.office, targets, self.month, self.recipient,
                                                      by=by, sent_on=sent_on)
        self._reload()
        parts = [f"{len(recorded)}人の送付を記録しました（{self.recipient}・{format_date(sent_on)}・記録者 {by}）"] \
            if recorded else ["新しく記録した送付はありません"]
        if already:
            parts.append(f"{len(already)}人は記録済みのため記録しませんでした")
        with self.hold_trait_notifications():
            self.message, self.message_kind = "。".join(parts), "warning" if already else "ok"
        self.recorded += 1

    def withdraw(self) -> None:
        by = self._by()
        chosen, reason = to_withdraw(self.records, self.withdraw_id, self.withdraw_reason, "送付の記録",
                                     reason_required=False)
        self.store.withdraw_report(chosen["id"], by=by, expected_version=chosen["version"], reason=reason)
        with self.hold_trait_notifications():
            self._reload()
            self.withdraw_id, self.withdraw_reason, self.message_kind = 0, "", "ok"
            self.message = (f"{chosen['user_id']} {chosen['name']} の送付の記録（{chosen['recipient']}）を取り消しました"
                            "（元の記録と取消は変更履歴に残ります）")
        self.recorded += 1
