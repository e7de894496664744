"""The conference records: the one definition of what the monthly case conference keeps.

``schema.py`` defines the workbook; this module defines the records of the conference, for
the store (``store/``), the app, the documents and the Excel export alike:

- a conference (会議): office, the month whose cases it reviews, date, kind, attendees, and
  for a 地域連携会議 the outside participants and who presented;
- a case review (ケース検討): one per person and month, its text fields (``REVIEW_FIELDS``:
  how each is shown, and where it appears: the review's own fields stay in the office, the
  two written for the 支援レポート's readers go on the person's and the employer's copy), the conference's own
  judgement (one of the rules' levels) and the level and flags shown when it was saved;
- an action (役割分担): 内容, 担当, 期限, 状態 (``ACTION_STATES``), 結果; open until 完了 or 中止;
- a sending (支援レポート送付): the month's 支援レポート given to 本人 / 企業 / both on a day,
  withdrawn (never deleted) when recorded by mistake;
- a handover record (引継ぎ, the 支援体制構築): the office's 要継続支援 judgement, the person's
  consent to the handover, or the handover shared with 企業 / 関係機関 / 医療機関 on a day;
  withdrawn like a sending;
- an employment check (就労確認): that a person whose support ended still works (継続) or has
  left (離職) on a day, and how it was learnt (本人 / 企業 / その他); withdrawn like a sending;
- a plan monitoring (モニタリング): one per person and month, kept with the review: each goal of
  the plan in force evaluated 達成 / 継続 / 見直し with a short comment, the day, and the case's
  decision for the plan (継続 / 見直し);
- a support plan (個別支援計画) written in the app: a draft (作成中) edited over several days, then
  finalised (確定) with its 計画作成日; the person's 同意日 and the 交付日 recorded on purpose;
  withdrawn like a sending;
- the history of every change (who, when, field → old / new).

Records are frozen dataclasses; the store fills in ``id``, ``version`` and who saved them
when.  Months are ``pd.Period`` (freq M); dates ``datetime.date``; timestamps UTC.

Each record's fields are declared once, here, with ``column``: the field, its Japanese label
and how the store keeps it.  From that declaration follow the store's tables
(``store/tables.py``), the sheets of the Excel export (``store/export.py``), ``FIELD_LABELS``
and the field tables of docs/records.md (``tests/test_records_doc.py`` compares them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING, Field, dataclass, field, fields

import pandas as pd

from .schema import EMPLOYMENT_CHECKS, PLANS, REPORTS

# --- conferences, actions, sendings -----------------------------------------------------------

REGULAR = "定例ケース会議"
REGIONAL = "地域連携会議"            # a case meeting with outside bodies (地域連携会議実施加算)
CONFERENCE_KINDS = (REGULAR, REGIONAL)

ACTION_STATES = ("未着手", "対応中", "完了", "中止")
NOT_STARTED, IN_PROGRESS, DONE, CANCELLED = ACTION_STATES
CLOSED_STATES = (DONE, CANCELLED)

SELF, EMPLOYER = "本人", "企業"
RECIPIENTS = REPORTS.column("recipient").choices      # 本人 / 企業 / 本人・企業 (as the workbook's sheet)
RECIPIENT_PARTS = {SELF: {SELF}, EMPLOYER: {EMPLOYER}, "本人・企業": {SELF, EMPLOYER}}

NEEDS, CONSENT, SHARED = "needs", "consent", "shared"        # the kinds of handover record
HANDOVER_KINDS = {NEEDS: "要継続支援の判断", CONSENT: "引継ぎの同意", SHARED: "引継ぎの共有"}
NEEDS_VALUES = ("はい", "いいえ")                             # 要継続支援 (as the workbook's column)
HANDOVER_PARTIES = ("企業", "関係機関", "医療機関")           # with whom a handover is shared
HANDOVER_DATE_LABELS = {NEEDS: "判断日", CONSENT: "同意日", SHARED: "共有日"}

EMPLOYMENT_STATES = EMPLOYMENT_CHECKS.column("employment").choices   # 継続 / 離職 (as the workbook's sheet)
CHECK_METHODS = EMPLOYMENT_CHECKS.column("method").choices           # 本人 / 企業 / その他

EVALUATIONS = ("達成", "継続", "見直し")          # a goal's evaluation at the monitoring
PLAN_DECISIONS = ("継続", "見直し")               # the case's decision for the plan
KEEP, REVISE = "継続", "見直し"
PLAN_DOMAINS = PLANS.column("domain").choices     # 職場 / 生活 / 心身 (as the workbook's sheet)
DRAFT, FINAL = "draft", "final"                   # a support plan's status
PLAN_STATUSES = {DRAFT: "作成中", FINAL: "確定"}
GOAL_KEYS = ("domain", "goal", "support", "due_on")   # a plan's goal; a draft's may also carry "evaluation"


# --- the review's text fields ------------------------------------------------------------------

# Where a field's text appears.  The review's own fields stay inside the office; the 支援レポート
# carries only the two fields written for its readers, each on its own copy.
STAFF = "staff"                      # 事業所内のみ: the 会議録 and the app
TO_PERSON = "to_person"              # the person's copy (本人用)
TO_EMPLOYER = "to_employer"          # the employer's copy (企業用), made only with 企業共有同意
REACH_LABELS = {STAFF: "事業所内のみ", TO_PERSON: "本人用の支援レポートに載ります",
                TO_EMPLOYER: "企業用の支援レポートに載ります"}


@dataclass(frozen=True)
class ReviewField:
    """How one of the review's texts (a field of ``Review``) is shown, in the form's order."""

    name: str                        # the Review attribute and the store's column
    short: str                       # in the 会議録
    reach: str                       # STAFF / TO_PERSON / TO_EMPLOYER: where its text appears
    heading: str | None = None       # its heading in the 支援レポート (reader fields only)
    always: bool = False             # shown in the 会議録 even when blank

    @property
    def label(self) -> str:
        """In the app's form, the history and the export: as ``Review`` declares it."""
        return field_labels(Review)[self.name]


REVIEW_FIELDS = (
    ReviewField("workplace", "職場", STAFF, always=True),
    ReviewField("life", "生活", STAFF, always=True),
    ReviewField("health", "心身", STAFF, always=True),
    ReviewField("issues", "課題", STAFF, always=True),
    ReviewField("discussion", "検討内容", STAFF),
    ReviewField("policy", "方針", STAFF, always=True),
    ReviewField("wishes", "本人の意向", STAFF),
    ReviewField("next_check", "次回確認事項", STAFF),
    ReviewField("to_person", "本人へ", TO_PERSON, "今月の様子と来月の予定"),
    ReviewField("to_employer", "企業へ", TO_EMPLOYER, "企業と共有すること"),
)
REVIEW_TEXTS = tuple(f.name for f in REVIEW_FIELDS)
READER_FIELDS = {f.reach: f for f in REVIEW_FIELDS if f.reach != STAFF}     # TO_PERSON / TO_EMPLOYER → field

# A reader field's suggestion, made on request from the review's own fields (staff edit it
# before the copy is made): the person hears about work, life, health and what comes next;
# the employer only about work and the next month's support at work.
SUGGESTED_FROM = {TO_PERSON: ("workplace", "life", "health", "policy", "next_check"),
                  TO_EMPLOYER: ("workplace",)}


def reader_field(audience: str) -> ReviewField:
    """The one review field a copy of the 支援レポート carries (本人 → to_person, 企業 → to_employer)."""
    return READER_FIELDS[TO_PERSON if audience == SELF else TO_EMPLOYER]


def suggestion(values: dict[str, str], reach: str) -> str:
    """A first text for a reader field, from the review's own fields: each non-blank one under
    its label.  Only a suggestion: staff read and edit it, and it is theirs to send."""
    labels = {f.name: f.label for f in REVIEW_FIELDS}
    parts = [f"【{labels[name]}】\n{values[name].strip()}" for name in SUGGESTED_FROM[reach]
             if (values.get(name) or "").strip()]
    return "\n".join(parts)


# --- labels for the history and the export -----------------------------------------------------

KIND_LABELS = {"conferences": "会議", "reviews": "ケース検討", "actions": "役割分担",
               "issued_reports": "支援レポート送付", "handovers": "引継ぎ",
               "employment_checks": "就労確認", "plan_monitorings": "モニタリング",
               "support_plans": "個別支援計画"}
NOT_KEPT = "not_kept"          # a history entry of text typed into a record that was not kept (typed, kept)
OPERATION_LABELS = {"create": "作成", "update": "更新", NOT_KEPT: "採用しなかった入力"}


# --- how a record's field is declared ----------------------------------------------------------

# How the store keeps a field (``store/tables.py`` gives each its column type):
TEXT = "text"
MONTH = "month"            # pd.Period here, 'YYYY-MM' text in the database
DATE = "date"
TIMESTAMP = "timestamp"    # timezone-aware UTC
INTEGER = "integer"        # an id or a version
LIST = "list"              # a tuple here, a JSON list in the database
JSON = "json"              # a tuple of dicts here (or None), JSON text in the database (or NULL)


def column(label: str, kept_as: str = TEXT, *, default=MISSING, blank_in_database: bool = True,
           kw_only=MISSING) -> Field:
    """A record's field: its Japanese ``label`` (forms, history, export, docs) and how the store
    keeps it (``kept_as``: TEXT, MONTH, DATE, TIMESTAMP, INTEGER, LIST or JSON).

    ``default`` is the dataclass's default, and says what the database allows:
    - None: the column may be NULL (not known);
    - "" (a TEXT) or () (a LIST): never NULL, and the database's own default is '' or '[]' (what
      a row written without the column holds), unless ``blank_in_database`` is False;
    - anything else, or no default: never NULL, no default in the database.
    ``kw_only``: as ``dataclasses.field`` (a field with a default declared before fields without one).
    """
    metadata = {"label": label, "kept_as": kept_as, "nullable": default is None,
                "blank_default": blank_in_database and (default == "" or default == ())}
    return field(default=default, kw_only=kw_only, metadata=metadata)


def _filled_by_store(label: str, kept_as: str, default) -> Field:
    """A field every saved record has, filled in by the store: never NULL in the database."""
    return field(default=default, metadata={"label": label, "kept_as": kept_as, "nullable": False,
                                            "blank_default": False})


# --- the records -------------------------------------------------------------------------------
#
# The fields are declared in the order of their table's columns (a column added by a migration
# comes last); the store adds ``id`` first and the stamps last.

@dataclass(frozen=True, kw_only=True)
class _Saved:
    """Filled in by the store: leave at the defaults for a new record."""

    id: int | None = _filled_by_store("ID", INTEGER, None)              # the table's primary key
    version: int = _filled_by_store("版", INTEGER, 0)
    created_by: str = _filled_by_store("作成者", TEXT, "")
    created_at: dt.datetime | None = _filled_by_store("作成日時", TIMESTAMP, None)
    updated_by: str = _filled_by_store("更新者", TEXT, "")
    updated_at: dt.datetime | None = _filled_by_store("更新日時", TIMESTAMP, None)


@dataclass(frozen=True)
class Conference(_Saved):
    office: str = column("事業所")
    month: pd.Period = column("対象年月", MONTH)                         # the month whose cases are reviewed
    held_on: dt.date = column("開催日", DATE)
    kind: str = column("種別", default=REGULAR)                           # 定例ケース会議 / 地域連携会議
    attendees: tuple[str, ...] = column("出席者", LIST, default=(), blank_in_database=False)   # staff
    # schema 2 (地域連携会議実施加算): both required for a 地域連携会議
    outside_participants: tuple[str, ...] = column("外部参加者", LIST, default=())
    presenter: str | None = column("発表者", default=None)                # who presented


@dataclass(frozen=True)
class Review(_Saved):
    """One user's case review for one month (unique per office, user and month)."""

    office: str = column("事業所")
    user_id: str = column("利用者ID")
    month: pd.Period = column("対象年月", MONTH)
    conference_id: int | None = column("会議ID", INTEGER, default=None)
    workplace: str = column("職場の現状", default="")
    life: str = column("生活の現状", default="")
    health: str = column("心身の現状", default="")
    issues: str = column("課題", default="")
    discussion: str = column("検討内容", default="")
    policy: str = column("方針", default="")
    wishes: str = column("本人の意向", default="")
    next_check: str = column("次回確認事項", default="")
    judgement: str | None = column("会議の判断", default=None)   # 安定/注意/要対応, kept beside the computed level
    # schema 3: the computed level the conference saw when saving, and its flags: ({code, level, message}, ...)
    saved_level: str | None = column("保存時の区分", default=None)
    saved_flags: tuple[dict, ...] | None = column("保存時のフラグ", JSON, default=None)
    # schema 7: the texts for the 支援レポート's readers (the employer's only with 企業共有同意)
    to_person: str = column("本人へ：今月の様子と来月の予定", default="")
    to_employer: str = column("企業へ：共有事項", default="")


@dataclass(frozen=True)
class Action(_Saved):
    """An action (役割分担) opened at a user's review in ``month``."""

    office: str = column("事業所")
    user_id: str = column("利用者ID")
    month: pd.Period = column("対象年月", MONTH)                          # the month whose conference opened it
    # keyword-only: declared here for its column's place, yet Action(office, user_id, month, content, owner)
    conference_id: int | None = column("会議ID", INTEGER, default=None, kw_only=True)
    content: str = column("内容")
    owner: str = column("担当")
    due_on: dt.date | None = column("期限", DATE, default=None)
    status: str = column("状態", default=NOT_STARTED)                   # 未着手 / 対応中 / 完了 / 中止
    result: str = column("結果", default="")

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATES


@dataclass(frozen=True)
class IssuedReport(_Saved):
    """A 支援レポート given for ``month``; created_by / created_at: who recorded it, when."""

    office: str = column("事業所")
    user_id: str = column("利用者ID")
    month: pd.Period = column("対象年月", MONTH)
    recipient: str = column("送付先")                                    # 本人 / 企業 / 本人・企業
    sent_on: dt.date = column("送付日", DATE)
    # schema 3: set by ``Store.withdraw_report``
    withdrawn_by: str | None = column("取消した人", default=None)
    withdrawn_at: dt.datetime | None = column("取消日時", TIMESTAMP, default=None)
    withdrawn_reason: str = column("取消の理由", default="")

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


@dataclass(frozen=True)
class Handover(_Saved):
    """A handover record (``kind``: needs / consent / shared) dated ``done_on``; created_by /
    created_at: who recorded it, when."""

    office: str = column("事業所")
    user_id: str = column("利用者ID")
    kind: str = column("種別")                                           # needs / consent / shared (HANDOVER_KINDS)
    done_on: dt.date = column("日付", DATE)                              # 判断日 / 同意日 / 共有日
    value: str = column("要継続支援", default="")                        # needs: はい / いいえ
    party: str = column("引継ぎの相手", default="")                      # shared: 企業 / 関係機関 / 医療機関
    with_whom: str = column("相手の名前", default="")                    # shared
    note: str = column("メモ", default="")
    withdrawn_by: str | None = column("取消した人", default=None)        # set by ``Store.withdraw_handover``
    withdrawn_at: dt.datetime | None = column("取消日時", TIMESTAMP, default=None)
    withdrawn_reason: str = column("取消の理由", default="")

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def label(self) -> str:
        """What it records, in Japanese: 要継続支援: はい / 引継ぎの同意 / 引継ぎの共有（企業・田中）."""
        if self.kind == NEEDS:
            return f"要継続支援: {self.value}"
        if self.kind == SHARED:
            return f"{HANDOVER_KINDS[SHARED]}（{self.party}・{self.with_whom}）"
        return HANDOVER_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class EmploymentCheck(_Saved):
    """A 就労確認 recorded in the app: on ``checked_on`` the person still worked (継続) or had
    left (離職); created_by / created_at: who recorded it, when."""

    office: str = column("事業所")
    user_id: str = column("利用者ID")
    checked_on: dt.date = column("確認日", DATE)
    employment: str = column("就労状況")                                 # 継続 / 離職
    method: str = column("確認方法", default="")                         # 本人 / 企業 / その他 (or not said)
    note: str = column("メモ", default="")
    withdrawn_by: str | None = column("取消した人", default=None)        # set by ``Store.withdraw_employment_check``
    withdrawn_at: dt.datetime | None = column("取消日時", TIMESTAMP, default=None)
    withdrawn_reason: str = column("取消の理由", default="")

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


@dataclass(frozen=True)
class HistoryEntry:
    office: str
    user_id: str | None
    record_kind: str                       # the table's name (KIND_LABELS)
    record_id: int
    operation: str                         # create / update / not_kept (NOT_KEPT)
    changed_by: str
    changed_at: dt.datetime
    changes: dict[str, tuple]              # field -> (old, new), for not_kept (typed, kept); dates as ISO text
    id: int | None = None                  # the history row's id

    @property
    def label(self) -> str:
        kind = KIND_LABELS.get(self.record_kind, self.record_kind)
        return f"{kind}の{OPERATION_LABELS.get(self.operation, self.operation)}"


@dataclass(frozen=True)
class PlanMonitoring(_Saved):
    """The monitoring of a person's plan at the review of ``month`` (unique per office, user and
    month, like the review it belongs to).

    ``plan_date`` is the 計画作成日 of the plan monitored; ``evaluations`` one dict per goal of
    that plan, in the plan's order: ``index`` (1.. its place in the plan), ``domain`` and
    ``goal`` (as written when monitored), ``evaluation`` (達成 / 継続 / 見直し, "" not yet) and
    ``comment``.  ``decision``: the plan is kept (継続) or revised (見直し); "" not yet decided."""

    office: str = column("事業所")
    user_id: str = column("利用者ID")
    month: pd.Period = column("対象年月", MONTH)
    monitored_on: dt.date = column("モニタリング日", DATE)
    plan_date: dt.date | None = column("計画作成日", DATE, default=None)   # of the plan monitored
    evaluations: tuple[dict, ...] = column("目標の評価", LIST, default=())
    decision: str = column("計画の判断", default="")                     # 継続 / 見直し / "" (not yet)

    @property
    def revise(self) -> bool:
        return self.decision == REVISE


@dataclass(frozen=True)
class SupportPlan(_Saved):
    """A 個別支援計画 written in the app: a draft (``status`` draft) until finalised (final, with
    its ``plan_date``); ``consent_on`` / ``delivered_on`` are recorded on purpose afterwards.

    ``goals``: dicts with ``GOAL_KEYS`` (領域, 目標, 支援内容, 期限 as a date or None); a goal
    carried over from the plan it revises also has ``evaluation``, its last monitoring."""

    office: str = column("事業所")
    user_id: str = column("利用者ID")
    based_on: dt.date | None = column("元の計画の作成日", DATE, default=None)   # the 計画作成日 of the plan it revises
    review_month: pd.Period | None = column("見直しを決めた月", MONTH, default=None)   # the review that decided it
    period_start: dt.date | None = column("計画期間（開始）", DATE, default=None)
    period_end: dt.date | None = column("計画期間（終了）", DATE, default=None)
    wishes: str = column("本人の意向", default="")
    overall_policy: str = column("総合的な方針", default="")
    goals: tuple[dict, ...] = column("目標", LIST, default=())
    service_manager: str = column("サービス管理責任者", default="")
    status: str = column("状態", default=DRAFT)                           # draft / final (PLAN_STATUSES)
    plan_date: dt.date | None = column("計画作成日", DATE, default=None)  # set when finalised
    consent_on: dt.date | None = column("同意日", DATE, default=None)
    delivered_on: dt.date | None = column("交付日", DATE, default=None)
    withdrawn_by: str | None = column("取消した人", default=None)        # set by ``Store.withdraw_plan``
    withdrawn_at: dt.datetime | None = column("取消日時", TIMESTAMP, default=None)
    withdrawn_reason: str = column("取消の理由", default="")

    @property
    def is_final(self) -> bool:
        return self.status == FINAL

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def status_label(self) -> str:
        return "取消" if self.is_withdrawn else PLAN_STATUSES.get(self.status, self.status)


RECORD_CLASSES = {"conferences": Conference, "reviews": Review, "actions": Action, "issued_reports": IssuedReport,
                  "handovers": Handover, "employment_checks": EmploymentCheck, "plan_monitorings": PlanMonitoring,
                  "support_plans": SupportPlan}


# --- reading the declaration -------------------------------------------------------------------

SAVED_FIELDS = fields(_Saved)        # id, version, created_by, created_at, updated_by, updated_at
STAMPS = tuple(f.name for f in SAVED_FIELDS if f.name != "id")


def record_fields(cls) -> tuple[Field, ...]:
    """A record's own fields in the order declared (its table's columns between ``id`` and the
    stamps); each field's ``metadata`` holds its label and how it is kept (``column``)."""
    saved = {f.name for f in SAVED_FIELDS}
    return tuple(f for f in fields(cls) if f.name not in saved)


def field_names(cls) -> tuple[str, ...]:
    """A record's own field names, as declared: ``field_names(Action)`` → ("office", ...)."""
    return tuple(f.name for f in record_fields(cls))


def field_labels(cls) -> dict[str, str]:
    """A record's own fields' labels by name: ``field_labels(Action)["owner"]`` → "担当"."""
    return {f.name: f.metadata["label"] for f in record_fields(cls)}


def _labels_by_name() -> dict[str, str]:
    """Every field's label by name (the history and the export know a field by its name only,
    so a name has one label in every record)."""
    found = {}
    for cls in (_Saved, *RECORD_CLASSES.values()):
        for f in fields(cls):
            label = f.metadata["label"]
            if found.setdefault(f.name, label) != label:
                raise ValueError(f"{f.name} is labelled both {found[f.name]} and {label}")
    return found


FIELD_LABELS = _labels_by_name()
