"""The monthly review rules (docs/review-rules.md): plain functions over a CaseBook.

Read top to bottom:

1. levels and the one flag table (code → level, Japanese label);
2. the support period of each user (``support_periods``);
3. who is on the month's agenda, and one function per flag (``_flag_<code>``), each
   returning a Japanese message for every user it flags, indexed by 利用者ID;
4. ``agenda``: the flags gathered into cases, levelled and sorted (``MonthReview``);
5. ``retention``: the 就労定着率 of a fiscal year, its fee tier and the projection.

Nothing here reads files, opens a database or knows about widgets.  Everything is
vectorised over the frames (groupby / merge); only flagged users are looped over, to
write their messages.  Thresholds come from ``book.settings`` (the 設定 sheet).

Two inputs belong to the review store and are optional here (``office_month.OfficeMonth`` passes them):
``shared_reports`` (user_id, month) adds 支援レポート recorded in the store to those of the
workbook, and ``open_actions`` (user_id, content, due_on[, status][, month]) are the
actions still open from earlier conferences.  Without them ``report_not_shared`` reads
the workbook alone and ``overdue_action`` is never raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from . import fees, periods
from .casebook import CaseBook
from .fee_table import PLAN_MISSING
from .japanese import format_date, format_number, format_percent
from .records import CLOSED_STATES
from .periods import in_service
from .schema import PARTY_WITH_EMPLOYER, PARTY_WITH_USER, SCORE_COLUMNS, SCORE_LABELS

# --- levels and the flag table ------------------------------------------------------------

ACTION = "要対応"
WATCH = "注意"
STABLE = "安定"
LEVELS = (ACTION, WATCH, STABLE)     # also the agenda's order


@dataclass(frozen=True)
class FlagKind:
    code: str       # stable: tests, JSON, filters
    level: str      # ACTION or WATCH
    label: str      # short Japanese name, for filters and legends
    check: Callable = field(repr=False, compare=False)    # the month → {利用者ID: message or (message, level)}


# Every flag: registered by ``@flag`` where its check is written (below), in the order a
# case lists its flags.
FLAG_KINDS: list[FlagKind] = []
FLAGS: dict[str, FlagKind] = {}


def flag(code: str, level: str, label: str):
    """Register the decorated function as the check of flag ``code``."""
    def register(check):
        kind = FlagKind(code, level, label, check)
        FLAG_KINDS.append(kind)
        FLAGS[code] = kind
        return check
    return register


# Thresholds fixed by the rules (the others are settings of the workbook).
ABSENCE_RATE_HIGH = 0.20        # high_absence: 欠勤 / 所定日数 in M
ABSENCE_RATE_RISE = 0.10        # attendance_worsening: rise of 欠勤率 against earlier months
LATE_EARLY_RISE = 3             # attendance_worsening: rise of 遅刻+早退
ATTENDANCE_BASE_MONTHS = 3      # attendance_worsening: up to this many earlier months with rows
LOW_SCORE = 2                   # low_condition_score: a score at or below this
SCORE_DECLINE = 1.0             # condition_declining: fall of an axis mean
CONDITION_BASE_MONTHS = 3       # condition_declining: the months before M
# Rates and means are floats: 0.3 − 0.2 is 0.0999…; a rise "of at least 0.10" must include it.
_EPS = 1e-9

LEFT = periods.LEFT


@dataclass(frozen=True)
class Flag:
    code: str
    level: str
    message: str    # Japanese, names the evidence

    def as_dict(self) -> dict:
        return {"code": self.code, "level": self.level, "message": self.message}


@dataclass
class Case:
    user_id: str
    name: str
    staff: str
    team: str | None
    level: str
    flags: list[Flag] = field(default_factory=list)
    month_n: int | None = None       # month of employment, counted 1.. from 就職日
    months_left: int | None = None   # calendar months from M to the end of support
    support_end: dt.date | None = None

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.flags]

    def as_dict(self) -> dict:
        return {"user_id": self.user_id, "name": self.name, "staff": self.staff, "level": self.level,
                "flags": [f.as_dict() for f in self.flags]}


@dataclass
class MonthReview:
    month: pd.Period
    office: str
    cases: list[Case]                   # in agenda order
    starting_next_month: list[str]      # 利用者ID of users whose support starts in M+1
    facts: fees.MonthFacts | None = field(default=None, repr=False, compare=False)   # for the fee check

    def case(self, user_id: str) -> Case:
        return next(c for c in self.cases if c.user_id == user_id)

    def level_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(LEVELS, 0)
        for case in self.cases:
            counts[case.level] += 1
        return counts

    def as_dict(self) -> dict:
        return {"month": str(self.month), "office": self.office,
                "cases": [c.as_dict() for c in self.cases],
                "starting_next_month": list(self.starting_next_month)}


# --- small helpers ---------------------------------------------------------------------------

def _first_day(month: pd.Period) -> pd.Timestamp:
    return month.start_time.normalize()


def _last_day(month: pd.Period) -> pd.Timestamp:
    return month.end_time.normalize()


def _day(date, month: pd.Period) -> str:
    """9月10日, or 2025年9月10日 when the year is not M's."""
    return format_date(date, year=date.year != month.year)


def _not_left_before(users: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """状況 ≠ 離職, or 離職日 ≥ day (a 離職 without a date counts as left)."""
    return (users["status"] != LEFT).fillna(True) | (users["left_on"] >= day).fillna(False)


def with_user(contacts: pd.DataFrame) -> pd.Series:
    """本人との接触: 相手 is 本人 or 本人・企業."""
    return contacts["party"].isin(PARTY_WITH_USER)


def _messages(index, messages) -> pd.Series:
    return pd.Series(list(messages), index=pd.Index(list(index), name="user_id"), dtype=object)


# --- the support period ----------------------------------------------------------------------

def _months_between(start: pd.Series, end: pd.Timestamp | pd.Series) -> pd.Series:
    """Whole months from ``start`` to ``end`` (start + n months ≤ end), as Int64."""
    end = pd.Series(end, index=start.index) if not isinstance(end, pd.Series) else end
    months = (end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)
    # start + n months lands on min(start.day, days in end's month)
    not_yet = end.dt.day < start.dt.day.where(start.dt.day < end.dt.days_in_month, end.dt.days_in_month)
    return (months - not_yet.astype("Int64")).astype("Int64")


def support_periods(book: CaseBook, on) -> pd.DataFrame:
    """Each user's support period as seen on day ``on``.

    Columns: user_id, hired_on, support_start, support_end (planned),
    support_end_effective (``periods.ended_on``: the earliest of 支援終了予定日, 利用終了日 and
    離職日), month_n (month of employment on
    ``on``, counted 1.. from 就職日; support covers months 7..42), support_month (month of
    the support period on ``on``, counted 1.. from 支援開始日; NA before it starts),
    support_months (the planned period's length in whole months, 36 by default),
    months_left (calendar months from ``on``'s month to the effective end's month, 0 in the
    last month and after), in_support (support_start ≤ on ≤ support_end_effective).
    """
    on = pd.Timestamp(on).normalize()
    users = book.users
    end = periods.ended_on(users)
    month_n = _months_between(users["hired_on"], on) + 1
    support_month = _months_between(users["support_start"], on) + 1
    support_months = _months_between(users["support_start"], users["support_end"] + pd.Timedelta(days=1))
    months_left = ((end.dt.year - on.year) * 12 + (end.dt.month - on.month)).clip(lower=0)
    return pd.DataFrame({
        "user_id": users["user_id"],
        "hired_on": users["hired_on"],
        "support_start": users["support_start"],
        "support_end": users["support_end"],
        "support_end_effective": end,
        "month_n": month_n.where(month_n >= 1),
        "support_month": support_month.where(support_month >= 1),
        "support_months": support_months,
        "months_left": months_left.astype("Int64"),
        "in_support": ((users["support_start"] <= on) & (end >= on)).fillna(False),
    })


# --- the month: who is on the agenda, and the flags ----------------------------------------------

def latest_data_month(book: CaseBook) -> pd.Period | None:
    """The latest month with a contact or an attendance row."""
    months = []
    if len(book.contacts) and book.contacts["date"].notna().any():
        months.append(book.contacts["date"].max().to_period("M"))
    if len(book.attendance) and book.attendance["month"].notna().any():
        months.append(book.attendance["month"].max())
    return max(months) if months else None


def default_month(book: CaseBook, today: dt.date) -> pd.Period:
    """Last month, or the latest month with data when that is earlier (old or demo data)."""
    last = pd.Period(today, freq="M") - 1
    latest = latest_data_month(book)
    return min(last, latest) if latest is not None else last


def starting_next_month(users: pd.DataFrame, month: pd.Period) -> list[str]:
    """利用者ID of users whose support starts in M+1 (and who had not left by then)."""
    following = month + 1
    starts = (users["support_start"] >= _first_day(following)) & (users["support_start"] <= _last_day(following))
    chosen = users[starts.fillna(False) & _not_left_before(users, _first_day(following))]
    return sorted(chosen["user_id"].tolist())


@dataclass
class _Month:
    """What every flag function looks at: M, its bounds, and the frames cut to the agenda."""

    month: pd.Period
    m0: pd.Timestamp
    m1: pd.Timestamp
    users: pd.DataFrame          # in service in M, indexed by user_id
    contacts: pd.DataFrame       # their contacts on or before m1, sorted by date then row
    attendance: pd.DataFrame     # their attendance rows up to M
    plans: pd.DataFrame          # their plan rows dated on or before m1
    reports: pd.DataFrame        # (user_id, month, recipient) of 支援レポート: workbook + store
    open_actions: pd.DataFrame | None
    plan_review_months: int
    contact_gap_days: int
    book: CaseBook
    facts: fees.MonthFacts                    # the fee's conditions of M (plan, face to face, handover)

    @property
    def plan(self) -> pd.DataFrame:
        return self.facts.plan

    @property
    def face(self) -> pd.DataFrame:
        return self.facts.face

    @property
    def handover(self) -> pd.DataFrame:
        return self.facts.handover

    @property
    def in_month(self) -> pd.Series:
        return self.contacts["date"] >= self.m0


def _last_contact(m: _Month, chosen: pd.Series) -> pd.Series:
    """The date of each in-service user's last ``chosen`` contact up to m1 (NaT: none)."""
    return m.contacts[chosen].groupby("user_id")["date"].max().reindex(m.users.index)


@flag("no_face_to_face", ACTION, "対面の面談なし")
def _flag_no_face_to_face(m: _Month) -> pd.Series:
    """要対応: no 対面 with 本人 (対面, 職場訪問 or 自宅訪問, with 本人 or 本人・企業) on a day in
    service in M (``fees.face_to_face``): M cannot be billed without it."""
    face = m.face
    flagged = face[face["met_on"].isna() & face["pending_met_on"].isna() & face["serving"]]
    return _messages(flagged.index, flagged["why"])


@flag("certificate_expired", ACTION, "受給者証の期限切れ")
def _flag_certificate_expired(m: _Month) -> pd.Series:
    """要対応: the 支給決定 does not cover M (受給者証有効期限 < m0, or 支給決定開始日 > m1)."""
    decision = fees.decision(m.book, m.month, m.users)
    flagged = decision[decision["covered"].eq(False).fillna(False)]
    return _messages(flagged.index, flagged["why"])


def _attendance_rates(rows: pd.DataFrame) -> pd.DataFrame:
    """欠勤率 (NA when 所定日数 is 0) and 遅刻+早退 of attendance rows."""
    scheduled = rows["scheduled_days"].astype("Float64")
    absent = rows["absent"].fillna(0).astype("Float64")
    return rows.assign(
        absence_rate=(absent / scheduled).where(scheduled > 0),
        late_early=(rows["late"].fillna(0) + rows["left_early"].fillna(0)).astype("Float64"),
    )


@flag("high_absence", ACTION, "欠勤が多い")
def _flag_high_absence(m: _Month) -> pd.Series:
    """要対応: 欠勤 / 所定日数 in M ≥ 0.20."""
    now = _attendance_rates(m.attendance[m.attendance["month"] == m.month]).set_index("user_id")
    flagged = now[(now["absence_rate"] >= ABSENCE_RATE_HIGH - _EPS).fillna(False)]
    return _messages(flagged.index, (
        f"欠勤率 {format_percent(r.absence_rate)}（所定{r.scheduled_days}日・欠勤{r.absent}日）"
        for r in flagged.itertuples()))


def _scored_contacts_with_user(m: _Month) -> pd.DataFrame:
    c = m.contacts
    return c[with_user(c) & c[list(SCORE_COLUMNS)].notna().any(axis=1)]


@flag("low_condition_score", ACTION, "自己評価が低い")
def _flag_low_condition_score(m: _Month) -> pd.Series:
    """要対応: a score ≤ 2 in the latest contact with 本人 in M (the latest that has scores)."""
    scored = _scored_contacts_with_user(m)
    latest = scored[scored["date"] >= m.m0].drop_duplicates("user_id", keep="last").set_index("user_id")
    low = (latest[list(SCORE_COLUMNS)] <= LOW_SCORE).fillna(False)
    flagged = latest[low.any(axis=1)]
    messages = []
    for r in flagged.to_dict("records"):
        axes = "・".join(f"{SCORE_LABELS[a]} {r[a]}" for a in SCORE_COLUMNS if pd.notna(r[a]) and r[a] <= LOW_SCORE)
        kind = "面談" if r["method"] == "対面" else r["method"]
        messages.append(f"{axes}（{_day(r['date'], m.month)}の{kind}）")
    return _messages(flagged.index, messages)


@flag("plan_missing", ACTION, "個別支援計画の不備")
def _flag_plan_missing(m: _Month) -> pd.Series:
    """要対応: 個別支援計画未作成減算 applies in M (``fees.plan_state``): the message names the
    day the lapse began, its month and the rate."""
    missing = m.plan[m.plan["missing"]]
    return _messages(missing.index, (f"{why}。{PLAN_MISSING.label}（{n}か月目・{rate:.0%}減算）の対象です"
                                     for why, n, rate in zip(missing["why"], missing["lapse_month"], missing["rate"])))


@flag("report_not_shared", WATCH, "支援レポート未送付")
def _flag_report_not_shared(m: _Month) -> pd.Series:
    """注意: no 支援レポート for M given to 本人 (sheet 支援レポート or the review store): the month
    cannot be billed without it."""
    reached = fees.reached_person(m.reports, m.month)
    employer_only = fees.reached_employer_only(m.reports, m.month)
    flagged = m.users.index[~m.users.index.isin(reached)]
    return _messages(flagged, (
        f"{m.month.month}月の支援レポートを" + ("企業にだけ渡した記録です。本人に" if u in employer_only else "本人に")
        + "渡した記録がないと、この月は算定できません" for u in flagged))


@flag("no_employer_contact", WATCH, "企業との連絡なし")
def _flag_no_employer_contact(m: _Month) -> pd.Series:
    """注意: no contact with 企業 or 本人・企業 in M."""
    last = _last_contact(m, m.contacts["party"].isin(PARTY_WITH_EMPLOYER))
    flagged = last[~(last >= m.m0)]
    return _messages(flagged.index, (
        f"{m.month.month}月は企業との連絡の記録がありません（最後: {_day(d, m.month)}）" if pd.notna(d)
        else f"{m.month.month}月は企業との連絡の記録がありません（これまでの記録もありません）"
        for d in flagged))


@flag("plan_review_due", WATCH, "計画の見直し時期")
def _flag_plan_review_due(m: _Month) -> pd.Series:
    """注意: a plan is in force and its review falls due by the end of M+1 (``fees.plan_state``)."""
    plan = m.plan[~m.plan["missing"] & (m.plan["due"] <= _last_day(m.month + 1)).fillna(False)]
    return _messages(plan.index, (
        f"個別支援計画の見直しが近づいています（前回の見直し {format_date(reviewed)}、見直しの期限 {format_date(due)}）"
        for reviewed, due in zip(plan["reviewed_on"], plan["due"])))


@flag("certificate_expiring", WATCH, "受給者証の期限が近い")
def _flag_certificate_expiring(m: _Month) -> pd.Series:
    """注意: m0 ≤ 受給者証有効期限 < the last day of M+1."""
    until = m.users["certificate_until"]
    soon = (until >= m.m0) & (until < _last_day(m.month + 1))
    flagged = until[soon.fillna(False)]
    return _messages(flagged.index, (f"受給者証の有効期限が近づいています（{format_date(d)}）" for d in flagged))


@flag("handover_due", WATCH, "引継ぎの準備")
def _flag_handover_due(m: _Month) -> pd.Series:
    """注意 / 要対応: 要継続支援 ≠ いいえ, 支援終了予定日 by the end of M+6 (and no early end before
    the deadline), and the handover not complete; 要対応 once its deadline (支援終了予定日 − 3
    months) is by the end of M+1."""
    state = m.handover
    end = m.users["support_end"]
    chosen = (state["needs"] != fees.NO) & (end <= _last_day(m.month + fees.HANDOVER_WATCH_MONTHS)).fillna(False) \
        & state["done"].isna() & state["deadline"].notna()
    late = fees.handover_late(m.month, state)
    state, end = state[chosen], end[chosen]
    urgent = (state["deadline"] <= _last_day(m.month + 1)).fillna(False)
    messages = []
    for (user_id, row), ending, close in zip(state.iterrows(), end, urgent):
        text = f"支援終了予定日は {format_date(ending)}、引継ぎの期限は {format_date(row['deadline'])} です。"
        text += ("要継続支援（支援期間の後も支援が要るか）の判断が記録されていません。" if pd.isna(row["needs"])
                 else "まだ済んでいないこと: " + "・".join(row["lacking"]))
        if late[user_id]:
            text += "。期限を過ぎています（事業所の支援体制構築未実施減算の対象になりえます）"
        messages.append((text, ACTION if close else WATCH))
    return _messages(state.index, messages)


@flag("contact_gap", WATCH, "本人との接触が空いている")
def _flag_contact_gap(m: _Month) -> pd.Series:
    """注意: the last contact with 本人 on or before m1 is more than 面談間隔警告 days before m1."""
    last = _last_contact(m, with_user(m.contacts))
    days = (m.m1 - last).dt.days
    flagged = last[last.isna() | (days > m.contact_gap_days).fillna(False)]
    return _messages(flagged.index, (
        f"本人との接触が{(m.m1 - d).days}日ありません（最後: {_day(d, m.month)}、目安 {m.contact_gap_days}日）"
        if pd.notna(d) else "本人との接触の記録がありません"
        for d in flagged))


@flag("attendance_worsening", WATCH, "勤怠の悪化")
def _flag_attendance_worsening(m: _Month) -> pd.Series:
    """注意: against the mean of up to 3 earlier months with 勤怠 rows, 欠勤率 up by ≥ 0.10
    or 遅刻+早退 up by ≥ 3."""
    rows = _attendance_rates(m.attendance)
    now = rows[rows["month"] == m.month].set_index("user_id")
    earlier = rows[rows["month"] < m.month].sort_values(["user_id", "month"])
    earlier = earlier.groupby("user_id").tail(ATTENDANCE_BASE_MONTHS)
    base = earlier.groupby("user_id").agg(
        absence_rate_base=("absence_rate", "mean"), rate_months=("absence_rate", "count"),
        late_early_base=("late_early", "mean"), months=("late_early", "count"))
    both = now.join(base, how="inner")
    rate_up = (both["absence_rate"] - both["absence_rate_base"] >= ABSENCE_RATE_RISE - _EPS).fillna(False)
    late_up = (both["late_early"] - both["late_early_base"] >= LATE_EARLY_RISE - _EPS).fillna(False)
    flagged = both.assign(rate_up=rate_up, late_up=late_up)[rate_up | late_up]
    messages = []
    for r in flagged.to_dict("records"):
        parts = []
        if r["rate_up"]:
            parts.append(f"欠勤率 {format_percent(r['absence_rate'])}"
                         f"（前{r['rate_months']}か月平均 {format_percent(r['absence_rate_base'])}）")
        if r["late_up"]:
            parts.append(f"遅刻・早退 {format_number(r['late_early'])}回"
                         f"（前{r['months']}か月平均 {format_number(r['late_early_base'])}回）")
        messages.append("、".join(parts))
    return _messages(flagged.index, messages)


@flag("condition_declining", WATCH, "自己評価の低下")
def _flag_condition_declining(m: _Month) -> pd.Series:
    """注意: an axis's mean over M's contacts with 本人 is ≥ 1.0 below its mean over the 3 months before M."""
    scored = _scored_contacts_with_user(m)
    scored = scored[scored["date"] >= _first_day(m.month - CONDITION_BASE_MONTHS)]
    axes = list(SCORE_COLUMNS)
    now = scored[scored["date"] >= m.m0].groupby("user_id")[axes].mean()
    before = scored[scored["date"] < m.m0].groupby("user_id")[axes].mean()
    before, now = before.align(now, join="inner")
    fell = ((before - now) >= SCORE_DECLINE - _EPS).fillna(False)
    rows = fell.any(axis=1).to_numpy()
    messages = []
    for was, is_, down in zip(before[rows].to_numpy(float), now[rows].to_numpy(float), fell[rows].to_numpy(bool)):
        changes = "、".join(f"{SCORE_LABELS[a]} {was[i]:.1f}→{is_[i]:.1f}" for i, a in enumerate(axes) if down[i])
        messages.append(f"{changes}（前{CONDITION_BASE_MONTHS}か月→{m.month.month}月の平均）")
    return _messages(fell.index[rows], messages)


def overdue_actions(open_actions: pd.DataFrame | None, month: pd.Period, user_ids) -> pd.DataFrame:
    """The actions behind ``overdue_action``: open, from a conference before ``month``, with
    期限 before its last day, for ``user_ids``; sorted by user and 期限.

    ``open_actions`` comes from the review store: rows with user_id, content, due_on, and
    optionally status (完了 / 中止 are closed) and month (the conference's target month).
    """
    if open_actions is None or open_actions.empty:
        return pd.DataFrame(columns=["user_id", "content", "due_on"])
    open_ = open_actions[open_actions["user_id"].isin(list(user_ids))].copy()
    open_["due_on"] = pd.to_datetime(open_["due_on"])
    keep = (open_["due_on"] < _last_day(month)).fillna(False)
    if "status" in open_:
        keep &= ~open_["status"].isin(CLOSED_STATES)
    if "month" in open_:
        keep &= (_as_months(open_["month"]) < month).fillna(True)
    return open_[keep].sort_values(["user_id", "due_on"])


@flag("overdue_action", WATCH, "期限を過ぎた対応")
def _flag_overdue_action(m: _Month) -> pd.Series:
    """注意: an open action from an earlier conference is past its 期限 at m1 (期限 < m1).
    Without the review store (``open_actions``) nothing is raised."""
    overdue = overdue_actions(m.open_actions, m.month, m.users.index)
    users, messages = [], []
    for user_id, rows in overdue.groupby("user_id", sort=True):
        users.append(user_id)
        messages.append("期限を過ぎた対応があります: " + "、".join(
            f"「{r.content}」（期限 {_day(r.due_on, m.month)}）" for r in rows.itertuples()))
    return _messages(users, messages)


def _as_months(values: pd.Series) -> pd.Series:
    """A column of year-months (Period, date or text like 2026-10) as period[M]."""
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.astype("period[M]")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.to_period("M")
    if len(values) and all(isinstance(v, pd.Period) for v in values.head(20).dropna()):
        return pd.Series(pd.PeriodIndex(values.tolist(), freq="M"), index=values.index)
    return pd.to_datetime(values.astype("str"), errors="coerce").dt.to_period("M")


def _month_context(book: CaseBook, month: pd.Period, shared_reports, open_actions, handovers=None,
                   stored_plans=None, monitorings=None) -> _Month:
    m0, m1 = _first_day(month), _last_day(month)
    users = book.users[in_service(book.users, month)].set_index("user_id", drop=False)
    ids = users.index

    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["user_id"].isin(ids)]

    contacts = mine(book.contacts)
    contacts = contacts[contacts["date"] <= m1].sort_values(["date", "row"], kind="stable")
    attendance = mine(book.attendance)
    plans = mine(book.plans)
    reports = book.reports[["user_id", "month", "recipient"]]
    if shared_reports is not None and len(shared_reports):
        extra = pd.DataFrame({"user_id": shared_reports["user_id"].astype("str"),
                              "month": _as_months(shared_reports["month"]),
                              "recipient": shared_reports["recipient"].astype("str")})
        reports = pd.concat([reports, extra], ignore_index=True)
    return _Month(
        month=month, m0=m0, m1=m1, users=users, contacts=contacts,
        attendance=attendance[attendance["month"] <= month],
        plans=plans[plans["plan_date"] <= m1],
        reports=reports, open_actions=open_actions,
        plan_review_months=book.settings.plan_review_months,
        contact_gap_days=book.settings.contact_gap_days, book=book,
        facts=fees.MonthFacts(book, month, users, stored_plans, monitorings, handovers),
    )


def _case_level(flags: list[Flag]) -> str:
    if any(f.level == ACTION for f in flags):
        return ACTION
    return WATCH if flags else STABLE


def _agenda_order(case: Case) -> tuple:
    """要対応, 注意, 安定; within a level more flags first, then 利用者ID."""
    return LEVELS.index(case.level), -len(case.flags), case.user_id


def agenda(book: CaseBook, month: pd.Period, *, shared_reports: pd.DataFrame | None = None,
           open_actions: pd.DataFrame | None = None, handovers: pd.DataFrame | None = None,
           plans: pd.DataFrame | None = None, monitorings: pd.DataFrame | None = None) -> MonthReview:
    """The month's case conference: every user in service in M with flags, level and order.

    ``month`` is a ``pd.Period`` (or text such as ``"2026-10"``).  ``shared_reports``
    (user_id, month) and ``open_actions`` (user_id, content, due_on, [status], [month])
    come from the review store when there is one, and ``handovers`` (its handover records,
    ``fees.handover``), ``plans`` (its finalised 個別支援計画) and ``monitorings`` (those that kept
    a plan: ``fees.plan_state``).
    """
    m = _month_context(book, month, shared_reports, open_actions, handovers, plans, monitorings)
    flags: dict[str, list[Flag]] = {user_id: [] for user_id in m.users.index}
    for kind in FLAG_KINDS:
        for user_id, message in kind.check(m).items():
            message, level = message if isinstance(message, tuple) else (message, kind.level)
            flags[user_id].append(Flag(kind.code, level, message))

    periods = support_periods(book, m.m1)[["user_id", "month_n", "months_left"]]
    people = m.users[["user_id", "name", "staff", "team", "support_end"]].reset_index(drop=True) \
        .merge(periods, on="user_id", how="left")
    cases = []
    for user in people.itertuples(index=False):
        user_flags = sorted(flags[user.user_id], key=lambda f: f.level != ACTION)    # 要対応 first
        cases.append(Case(
            user_id=user.user_id, name=user.name, staff=user.staff,
            team=None if pd.isna(user.team) else user.team,
            level=_case_level(user_flags), flags=user_flags,
            month_n=None if pd.isna(user.month_n) else int(user.month_n),
            months_left=None if pd.isna(user.months_left) else int(user.months_left),
            support_end=None if pd.isna(user.support_end) else user.support_end.date(),
        ))
    cases.sort(key=_agenda_order)
    return MonthReview(month=month, office=book.office, cases=cases,
                       starting_next_month=starting_next_month(book.users, month), facts=m.facts)
