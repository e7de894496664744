"""Meeting panel: the conference itself — 開催日, 種別, 出席者, and for a 地域連携会議 the
outside participants and who presented (the 地域連携会議実施加算 needs them) — kept in the
review store.  The month's reviews and actions saved after it are linked to it, and the
会議録 prints it.  Recording a 地域連携会議 (who attended from outside, who presented: the 加算
rests on them) is a サービス管理責任者's (``staff.ALLOWED["regional_presenters"]``): a 支援員 records
a 定例ケース会議, and is refused a save that would record or change a 地域連携会議.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import traitlets as t

from ..japanese import format_date, format_time
from ..records import REGIONAL, REGULAR, Conference
from ..merging import changed_fields, merge_fields
from ..store import Conflict, StoreError
from .common import month_label, who_records
from .dates import day_in_month
from .panel import Context, Panel, moved

_NAME_SEPARATORS = re.compile(r"[、,，;；\n]+")
MEETING_LABELS = {"held_on": "開催日", "kind": "種別", "attendees": "出席者", "outside": "外部参加者", "presenter": "発表者"}
MERGED = tuple(MEETING_LABELS)
MAX_MERGES = 5               # records by others met in a row before giving up


def shown(value) -> str:
    return format_date(value) if isinstance(value, dt.date) else str(value or "（なし）")


def names(text: str) -> tuple[str, ...]:
    """「山田 花子、佐藤 一郎」→ ("山田 花子", "佐藤 一郎"): names keep their inner spaces."""
    return tuple(part.strip() for part in _NAME_SEPARATORS.split(text or "") if part.strip())


class MeetingModel(Panel):
    held_on = t.Any(None)                # datetime.date
    kind = t.Unicode(REGULAR)
    attendees = t.Unicode("")            # names separated by 、
    outside = t.Unicode("")              # 外部参加者 (地域連携会議)
    presenter = t.Unicode("")            # 発表者 (地域連携会議)
    month = t.Unicode("")                # YYYY-MM: the month whose cases are reviewed
    conference_id = t.Int(0)             # 0: not saved yet
    version = t.Int(0)
    saved_note = t.Unicode("")
    message = t.Unicode("")
    message_kind = t.Unicode("ok")         # ok (green) / warning (amber): app.css colours the message

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._base = self.values()          # the form as read from the store: what a merge starts from
        self._taken = ""                    # who recorded what that the form took in (for the message)
        self._typed: dict = {}              # fields both changed: what was typed here (the history keeps
                                            # it when the next record does not)

    def context_changed(self, old: Context, new: Context) -> None:
        if moved(old, new):
            self.month = ""                          # read afresh for this office

    def _saved(self, month: str) -> Conference | None:
        saved = self.store.conferences(self.office, month) if self.store is not None and self.office else []
        return saved[-1] if saved else None

    def load(self, month: str) -> None:
        """The month's conference as saved (the latest, if several), or an empty form."""
        self._typed = {}
        self._fill(month, self._saved(month))

    def values(self) -> dict:
        """The form's fields, as a merge compares them."""
        return {name: getattr(self, name) for name in MERGED}

    @property
    def dirty(self) -> bool:
        return self.values() != self._base

    def take_in(self) -> bool:
        """Read the month's saved conference again, keeping what is typed here: a field only the
        other saver changed comes into the form; for a field both changed, the text typed here
        stays and the message shows the saved one.  True when there was such a field (nothing
        is recorded until the user looks)."""
        saved = self._saved(self.month)
        if saved is None or (saved.id == self.conference_id and saved.version == self.version):
            return False
        by, at = saved.updated_by, format_time(saved.updated_at)
        if not self.dirty:
            self._fill(self.month, saved)
            self.message_kind = "ok"
            self.message = f"{by} さんが {at} に保存した会議の記録を読み込みました"
            return False
        mine, theirs = self.values(), self._conference_values(saved)
        merged, conflicts = merge_fields(self._base, mine, theirs, MERGED)
        taken = [MEETING_LABELS[n] for n in changed_fields(self._base, mine, theirs)]
        self._fill(self.month, saved)                    # the saved version, then what is typed here
        self._typed |= {c.name: c.mine for c in conflicts}
        with self.hold_trait_notifications():
            for name, value in merged.items():
                setattr(self, name, value)
            self._taken = f"{by} さんが {at} に保存した{'・'.join(taken) or '内容'}"
            both = "".join(f"{MEETING_LABELS[c.name]}はあなたの入力を残しました（保存されている内容:「{shown(c.theirs)}」）。"
                           for c in conflicts)
            self.message_kind = "warning"
            self.message = (f"{self._taken}を読み込みました。{both}"
                            "入力中の内容はまだ記録されていません。確かめて「会議を記録」を押してください")
        return bool(conflicts)

    def _fill(self, month: str, conference: Conference | None) -> None:
        with self.hold_trait_notifications():
            self.month = month
            self.message = ""
            if conference is None:
                self.conference_id = self.version = 0
                self.held_on, self.kind = day_in_month(month, self.today), REGULAR
                self.attendees = self.outside = self.presenter = ""
                self.saved_note = "この月の会議はまだ記録されていません"
                self._base = self.values()
                return
            self.conference_id, self.version = conference.id, conference.version
            for name, value in self._conference_values(conference).items():
                setattr(self, name, value)
            self.saved_note = (f"記録済み: {conference.updated_by} さん（{format_time(conference.updated_at)}、"
                               f"版 {conference.version}）")
            self._base = self.values()

    @staticmethod
    def _conference_values(conference: Conference) -> dict:
        return {"held_on": conference.held_on, "kind": conference.kind, "attendees": "、".join(conference.attendees),
                "outside": "、".join(conference.outside_participants), "presenter": conference.presenter or ""}

    def _conference(self) -> Conference:
        regional = self.kind == REGIONAL
        return Conference(
            office=self.office, month=pd.Period(self.month, freq="M"), held_on=self.held_on, kind=self.kind,
            attendees=names(self.attendees), outside_participants=names(self.outside) if regional else (),
            presenter=(self.presenter.strip() or None) if regional else None, id=self.conference_id or None)

    def _not_kept(self) -> dict:
        """What was typed into fields both changed, as the conference keeps it: the store's
        history keeps each one the record does not hold."""
        stored = {"held_on": "held_on", "kind": "kind", "attendees": "attendees", "outside": "outside_participants",
                  "presenter": "presenter"}
        return {stored[name]: names(value) if name in ("attendees", "outside") else value
                for name, value in self._typed.items()}

    @property
    def regional(self) -> bool:
        """The save would record or change a 地域連携会議 (the form says one, or the saved one was)."""
        return REGIONAL in (self.kind, self._base.get("kind"))

    def _check_regional(self) -> None:
        if self.regional:
            self.staff.check("regional_presenters")

    def save(self) -> None:
        """Record the form.  If someone recorded the month's conference meanwhile, what only they
        changed is kept and recorded with this form's changes; a field both changed stops the
        save and shows both (``take_in``).  What was typed into such a field and is not recorded
        now goes to the history."""
        by = who_records(self.store, self.staff, "会議", "保存")
        taken = ""
        for _attempt in range(MAX_MERGES):
            self._check_regional()                   # again after a merge: it may have taken in a 地域連携会議
            try:
                saved = self.store.save_conference(self._conference(), by=by, expected_version=self.version or None,
                                                   not_kept=self._not_kept())
                break
            except Conflict:
                if self.take_in():
                    return
                taken = self._taken
        else:
            raise StoreError("ほかの人の記録が続いたため記録できませんでした。もう一度「会議を記録」を押してください")
        self._typed = {}
        self._fill(self.month, saved)
        self.message_kind = "warning" if taken else "ok"
        self.message = (f"{taken}を取り込み、あなたの変更と合わせて" if taken else "") + \
            f"会議を記録しました（{month_label(self.month)}分、{format_date(saved.held_on)} 開催）"
