"""What the loader hands to everything above it: a CaseBook and its problems."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

MAX_REVIEW_MONTHS = 3          # a plan of this service is reviewed at least every 3 months
ERROR = "error"
WARNING = "warning"
SEVERITY_LABELS = {ERROR: "エラー", WARNING: "警告"}
# What each problem code means, for the line that counts the problems not listed one by one.
CODE_LABELS = {
    "unreadable": "読めないファイル", "missing_sheet": "必須のシートがない", "missing_column": "必須の列がない",
    "empty_required": "必須の欄が空欄", "bad_date": "日付として読めない値", "bad_month": "年月として読めない値",
    "bad_number": "数値として読めない値", "out_of_range": "範囲外の値", "bad_choice": "選べない値",
    "duplicate_id": "重複", "unknown_user": "利用者シートにない利用者ID", "inconsistent": "ほかの値と合わない値",
    "future_date": "今日より後の日付", "unknown_column": "この形式にない列・項目",
    "unknown_sheet": "この形式にないシート", "control_char": "見えない制御文字",
    "fee_rule": "算定の決まりに合わない値",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the source, located as staff see it."""

    severity: str           # ERROR or WARNING
    sheet: str | None       # the Japanese sheet name, None for the whole file
    row: int | None         # the row number Excel shows (or the CSV line)
    column: str | None      # the Japanese header
    code: str               # a stable code, for programs (validate --json) and tests
    message: str            # Japanese, says where, what was found and what is expected
    user_id: str | None = None   # the person the row is about, when its 利用者ID is readable
    omitted: int = 0        # > 0: not one problem but the count of the others of this code and
                            # sheet, past the ones listed with their places (row is None)

    def as_dict(self) -> dict:
        return {"severity": self.severity, "sheet": self.sheet, "row": self.row,
                "column": self.column, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Settings:
    office: str
    office_number: str = ""
    plan_review_months: int = 3
    contact_gap_days: int = 30
    unit_price: float = 10.0             # 1単位の単価（円）, by the area (地域区分)
    service_manager: str = ""            # サービス管理責任者: presenting makes a 地域連携会議 type I
    handover_policy: str | None = None   # 引継ぎの指針: はい / いいえ / None (not stated)
    # format 3: what the office filed, and the office-level reductions it has judged (docs/fee-check.md)
    designated_on: dt.date | None = None       # 指定日
    filed_tier: str | None = None              # 就労定着率区分（届出）: a label of fee_table.FEE_TIERS
    track_record_filed: str | None = None      # 就労定着実績体制加算（届出）: はい / いいえ
    job_coach_filed: str | None = None         # 職場適応援助者養成研修修了者配置体制加算（届出）
    treatment_class: str | None = None         # 処遇改善加算の区分: I–IV
    treatment_rate: float | None = None        # 処遇改善加算の率（%）
    online_counts: str = "いいえ"              # オンライン面談を対面とみなす
    plan_and_manager: str = "大きい方のみ"     # 計画未作成減算とサビ管欠如減算が重なる月
    date_style: str = "西暦"                   # 日付の表記 of the documents: 西暦 / 和暦 (japanese.dates_in)
    staff_shortage_from: pd.Period | None = None        # each office-level reduction: its first and last
    staff_shortage_to: pd.Period | None = None          # month (None: not applicable / not ended)
    manager_missing_from: pd.Period | None = None
    manager_missing_to: pd.Period | None = None
    abuse_prevention_missing_from: pd.Period | None = None
    abuse_prevention_missing_to: pd.Period | None = None
    continuity_plan_missing_from: pd.Period | None = None
    continuity_plan_missing_to: pd.Period | None = None
    information_unpublished_from: pd.Period | None = None
    information_unpublished_to: pd.Period | None = None
    handover_missing_from: pd.Period | str | None = None   # also なし: the office judged there are none
    handover_missing_to: pd.Period | None = None

    def months_of(self, code: str) -> tuple:
        """The first and last month set for the office-level reduction ``code``."""
        return getattr(self, f"{code}_from"), getattr(self, f"{code}_to")

    @property
    def review_months(self) -> int:
        """The plan's review interval the rules use: the setting, at most 3 months."""
        return min(self.plan_review_months, MAX_REVIEW_MONTHS)


@dataclass
class CaseBook:
    """One office's cases, typed.

    Every frame has the internal column names of ``schema.py`` plus ``row`` (the row
    number in the source).  Types: ID / TEXT / CHOICE columns are pandas strings
    (missing = NA), DATE columns ``datetime64`` (NaT), MONTH columns ``period[M]``,
    INT / SCORE ``Int64``, NUMBER ``Float64``.  In ``users`` the defaults are filled in:
    ``support_start`` = the day six months of work have passed, ``support_end`` = 支援開始日 + 3
    years − 1 day (``periods.fill_defaults``),
    ``employer_consent`` = いいえ.  Rows that cannot be used (a required cell empty or
    unreadable, an unknown user, a duplicate key) are left out and reported in ``problems``.
    """

    source: Path
    settings: Settings
    users: pd.DataFrame
    contacts: pd.DataFrame
    attendance: pd.DataFrame
    plans: pd.DataFrame
    reports: pd.DataFrame
    employment_checks: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)   # sheet title -> data rows read
    present: dict[str, frozenset] | None = None            # table -> columns the source has (None: all)

    @property
    def office(self) -> str:
        """The office's name, as its documents print it."""
        return self.settings.office

    @property
    def key(self) -> str:
        """What tells this office apart from any other: its 事業所番号, or its name when 設定
        has none.  The store keeps records under it, and batches name files with it."""
        return self.settings.office_number.strip() or self.settings.office

    def shares_with_employer(self, user_id: str) -> bool:
        """Whether the person agreed that the employer may receive their 支援レポート
        (企業共有同意 はい): without it no 企業用 copy is made."""
        rows = self.users.loc[self.users["user_id"] == str(user_id), "employer_consent"]
        return bool(len(rows)) and rows.iloc[0] == "はい"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def error_count(self) -> int:
        """Errors found, the ones counted but not listed included."""
        return sum(p.omitted or 1 for p in self.problems if p.severity == ERROR)

    @property
    def warning_count(self) -> int:
        return sum(p.omitted or 1 for p in self.problems if p.severity != ERROR)

    @property
    def ok(self) -> bool:
        return not self.errors

    def has(self, table: str, column: str) -> bool:
        """Whether the source has this column (a rule that needs a format 2 column checks
        only books that have it)."""
        return self.present is None or column in self.present.get(table, frozenset())

    @property
    def unreadable(self) -> list[Problem]:
        """Why the source could not be read at all (empty when it could)."""
        return [p for p in self.problems if p.code == "unreadable"]

    @property
    def names(self) -> dict[str, str]:
        """利用者ID → 氏名."""
        return dict(zip(self.users["user_id"], self.users["name"]))

    def problems_of(self, user_id: str) -> list[Problem]:
        """The problems in rows about this person (what a copy made for them had to leave out)."""
        return [p for p in self.problems if p.user_id == str(user_id)]


def offices_called(books: list[CaseBook], office: str) -> list[CaseBook]:
    """The offices ``office`` names: by 事業所番号 (the key), else by name (two offices of one
    name are both returned: the caller asks for the number)."""
    return [b for b in books if b.key == office] or [b for b in books if b.office == office]


def namesakes(books: list[CaseBook]) -> frozenset[str]:
    """The office names more than one office of a source has: those offices are told apart by
    their 事業所番号 wherever a name alone would mix them (the app's office list, file names)."""
    names = [b.office for b in books]
    return frozenset(n for n in names if names.count(n) > 1)
