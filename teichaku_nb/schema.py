"""The case workbook, format 2: the single definition of its sheets and columns.

The template (``template.py``), the loader (``workbook.py``), the demo data and the
column reference in the README are all generated from the objects below; nothing
else lists sheets, headers or choices.  See ``docs/workbook-format.md``.

Formats 2 and 3 add optional columns, sheets and settings (``since=2`` / ``since=3``) for the
month's fee check; an earlier book loads as before, and the rules check what needs a later
column only where the book has it (``CaseBook.has``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .fee_table import TIER_LABELS, TREATMENT_CLASSES

# Column kinds.
TEXT = "text"          # free text, NFKC-normalised and stripped
ID = "id"              # text that must never be read as a number (001 stays 001)
DATE = "date"          # a date cell or any listed text form, 和暦 included
MONTH = "month"        # a year-month (pandas Period[M] after loading)
INT = "int"            # a whole number, a unit may follow (20日, 3回)
NUMBER = "number"      # a number, a unit may follow (20.5時間)
SCORE = "score"        # a self-rated score 1–5
CHOICE = "choice"      # one of a fixed list

YES_NO = ("はい", "いいえ")

KIND_LABELS = {
    TEXT: "文字", ID: "文字（ID）", DATE: "日付", MONTH: "年月", INT: "整数",
    NUMBER: "数値", SCORE: "1〜5", CHOICE: "選択",
}


@dataclass(frozen=True)
class Column:
    header: str                 # the Japanese header staff type
    name: str                   # internal snake_case name
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    default: object = None      # used when the cell is empty (not for required columns)
    past: bool = False          # records an event: a date after today is a warning
    note: str = ""              # explanation on the template's 説明 sheet
    width: int = 14             # column width in the template
    since: int = 1              # the format that added it


@dataclass(frozen=True)
class Sheet:
    title: str                  # the sheet name in the workbook (and the CSV file stem)
    name: str                   # internal name of the table
    required: bool
    columns: tuple[Column, ...]
    note: str = ""
    unique: tuple[str, ...] = ()  # internal names that together identify a row
    since: int = 1                # the format that added it

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def headers(self) -> dict[str, Column]:
        return {column.header: column for column in self.columns}


SCORE_NOTE = "本人の自己評価。1（悪い）〜5（良い）"

USERS = Sheet(
    "利用者", "users", True, note="利用者1人につき1行。", unique=("user_id",),
    columns=(
        Column("利用者ID", "user_id", ID, True, note="シート内で重複しないID。001 のような先頭の0も保たれます。", width=11),
        Column("氏名", "name", TEXT, True, width=14),
        Column("フリガナ", "kana", TEXT, width=16),
        Column("担当支援員", "staff", TEXT, True, width=12),
        Column("チーム", "team", TEXT, note="ケース会議をチームごとに分けるときに使います。", width=10),
        Column("障害種別", "disability", CHOICE, choices=("身体", "知的", "精神", "発達", "難病", "その他"), width=10),
        Column("就職日", "hired_on", DATE, True, past=True, width=12),
        Column("企業名", "employer", TEXT, True, width=20),
        Column("職種", "job", TEXT, width=14),
        Column("雇用形態", "employment_type", CHOICE, choices=("正社員", "契約社員", "パート・アルバイト", "その他"), width=16),
        Column("週所定労働時間", "weekly_hours", NUMBER, min=0, max=60, note="0〜60（時間）", width=14),
        Column("支援開始日", "support_start", DATE,
               note="空欄なら 就職日から6か月たった日（その日がない月は翌月1日。例: 8月31日就職 → 3月1日）", width=12),
        Column("支援終了予定日", "support_end", DATE, note="空欄なら 支援開始日＋3年−1日", width=14),
        Column("受給者証有効期限", "certificate_until", DATE, width=16),
        Column("状況", "status", CHOICE, True, choices=("利用中", "支援終了", "離職"), width=10),
        Column("離職日", "left_on", DATE, past=True, note="状況が「離職」なら必須。就職日より前は不可。", width=12),
        Column("離職理由", "left_reason", TEXT, width=20),
        Column("企業共有同意", "employer_consent", CHOICE, choices=("はい", "いいえ"), default="いいえ",
               note="企業に支援レポートを渡すことに本人が同意しているか（いいえ・空欄なら企業用は作りません）", width=12),
        Column("利用契約日", "contract_on", DATE, past=True, note="就労定着支援の利用契約を結んだ日", width=12, since=2),
        Column("利用終了日", "service_end", DATE, past=True,
               note="支援が実際に終わった日（途中で終了・転居など）。空欄なら 支援終了予定日", width=12, since=2),
        Column("支給決定開始日", "decision_start", DATE,
               note="市町村の支給決定期間の始まり（終わりは 受給者証有効期限）", width=14, since=2),
        Column("要継続支援", "needs_continuing", CHOICE, choices=("はい", "いいえ"),
               note="支援期間の後も支援が必要か（事業所の判断）。はい なら引継ぎが必要です", width=12, since=2),
        Column("引継ぎ同意日", "handover_consent_on", DATE, past=True,
               note="引継ぎのために情報を共有することに本人が同意した日", width=12, since=2),
        Column("就職後の移行支援等終了日", "transition_ended_on", DATE, past=True,
               note="就職の後に就労移行支援等を使った（休職からの復職・勤務時間の延長など）ときに、その利用が終わった日。"
                    "6か月はその翌日から数えます", width=14, since=3),
        Column("再就職日", "rehired_on", DATE, past=True,
               note="離職日から1か月以内に次の仕事に就いた日（転職。利用中1回まで）。支援は続き、就労は続いているとみなします",
               width=12, since=3),
        Column("特別地域居住", "remote_home", CHOICE, choices=YES_NO,
               note="特別地域加算の対象地域に住んでいる（自宅訪問での支援が加算の対象）", width=10, since=3),
        Column("勤務先特別地域", "remote_workplace", CHOICE, choices=YES_NO,
               note="勤務先が特別地域加算の対象地域にある（職場訪問での支援が加算の対象）", width=10, since=3),
        Column("一体的運営外からの受入れ", "from_other_office", CHOICE, choices=YES_NO,
               note="この事業所と一体的に運営していない生活介護等の事業所を利用して就職した人（初期加算）", width=14, since=3),
        Column("上限額管理", "cap_management", CHOICE, choices=YES_NO,
               note="この事業所が利用者負担の上限額管理をしている（利用者負担上限額管理加算）", width=10, since=3),
    ),
)

CONTACTS = Sheet(
    "面談記録", "contacts", True, note="面談・職場訪問・電話など、接触1回につき1行。",
    columns=(
        Column("利用者ID", "user_id", ID, True, note="利用者シートにあるID", width=11),
        Column("実施日", "date", DATE, True, past=True, note="就職日より前は不可", width=12),
        Column("方法", "method", CHOICE, True, choices=("対面", "職場訪問", "自宅訪問", "電話", "オンライン", "メール・チャット"),
               note="自宅訪問 は形式 3 で追加（自宅での対面。特別地域加算の対象になりえます）", width=14),
        Column("相手", "party", CHOICE, True, choices=("本人", "企業", "本人・企業", "家族", "医療機関", "関係機関"), width=12),
        Column("担当者", "staff", TEXT, True, width=12),
        Column("体調", "health", SCORE, min=1, max=5, note=SCORE_NOTE, width=7),
        Column("睡眠", "sleep", SCORE, min=1, max=5, note=SCORE_NOTE, width=7),
        Column("気分", "mood", SCORE, min=1, max=5, note=SCORE_NOTE, width=7),
        Column("人間関係", "relations", SCORE, min=1, max=5, note="職場の人間関係。" + SCORE_NOTE, width=9),
        Column("業務", "work", SCORE, min=1, max=5, note="仕事そのものの調子。" + SCORE_NOTE, width=7),
        Column("内容", "notes", TEXT, note="自由記述（内部用。支援レポートには載りません）", width=40),
        Column("次回予定日", "next_on", DATE, width=12),
        Column("区分", "kind", CHOICE, choices=("定例", "引継ぎ", "その他"), default="定例",
               note="引継ぎ = 支援終了後に向けた引継ぎのための共有（空欄は 定例）", width=8, since=2),
    ),
)

ATTENDANCE = Sheet(
    "勤怠", "attendance", False, note="利用者1人・1か月につき1行。", unique=("user_id", "month"),
    columns=(
        Column("利用者ID", "user_id", ID, True, width=11),
        Column("年月", "month", MONTH, True, note="2025-04、2025年4月、令和7年4月 など", width=10),
        Column("所定日数", "scheduled_days", INT, True, min=0, max=31, note="0〜31", width=9),
        Column("出勤日数", "worked_days", INT, True, min=0, max=31, note="出勤日数＋欠勤 は 所定日数 以下", width=9),
        Column("遅刻", "late", INT, min=0, max=31, default=0, width=7),
        Column("早退", "left_early", INT, min=0, max=31, default=0, width=7),
        Column("欠勤", "absent", INT, min=0, max=31, default=0, width=7),
        Column("備考", "remarks", TEXT, width=30),
        Column("休職", "on_leave", CHOICE, choices=YES_NO, default="いいえ",
               note="その月をすべて休職していた（算定できるかは指定権者に確認が必要です。空欄は いいえ）", width=7, since=3),
    ),
)

PLANS = Sheet(
    "支援計画", "plans", False, note="個別支援計画の目標1つにつき1行。同じ計画作成日の行で1つの計画になり、最新の日付が現在の計画です。",
    columns=(
        Column("利用者ID", "user_id", ID, True, width=11),
        Column("計画作成日", "plan_date", DATE, True, past=True, width=12),
        Column("領域", "domain", CHOICE, True, choices=("職場", "生活", "心身"), width=8),
        Column("目標", "goal", TEXT, True, width=30),
        Column("支援内容", "support", TEXT, width=30),
        Column("期限", "due_on", DATE, width=12),
        Column("状況", "status", CHOICE, True, choices=("未着手", "取組中", "達成", "見直し"), width=10),
        Column("同意日", "consent_on", DATE, past=True, note="本人が計画に同意した日（その計画の行のどれかに）",
               width=12, since=2),
        Column("交付日", "delivered_on", DATE, past=True,
               note="計画を本人に渡した日。同意と交付の後に、その計画が支援の根拠になります", width=12, since=2),
    ),
)

REPORTS = Sheet(
    "支援レポート", "reports", False, note="アプリ以外で渡した支援レポートの記録。",
    columns=(
        Column("利用者ID", "user_id", ID, True, width=11),
        Column("対象年月", "month", MONTH, True, width=10),
        Column("送付日", "sent_on", DATE, True, past=True, width=12),
        Column("送付先", "recipient", CHOICE, True, choices=("本人", "企業", "本人・企業"), width=12),
    ),
)

EMPLOYMENT_CHECKS = Sheet(
    "就労確認", "employment_checks", False, since=2,
    note="支援が終わった後に、就労が続いているかを確かめた記録。就労定着率の根拠になります。",
    columns=(
        Column("利用者ID", "user_id", ID, True, width=11),
        Column("確認日", "checked_on", DATE, True, past=True, width=12),
        Column("就労状況", "employment", CHOICE, True, choices=("継続", "離職"), width=10),
        Column("確認方法", "method", CHOICE, choices=("本人", "企業", "その他"), width=10),
        Column("備考", "remarks", TEXT, width=30),
    ),
)

TABLES: tuple[Sheet, ...] = (USERS, CONTACTS, ATTENDANCE, PLANS, REPORTS, EMPLOYMENT_CHECKS)
TABLES_BY_TITLE = {sheet.title: sheet for sheet in TABLES}


@dataclass(frozen=True)
class Setting:
    label: str      # the 項目 staff type
    name: str
    kind: str       # TEXT, INT, NUMBER, CHOICE, DATE or MONTH
    default: object
    note: str = ""
    choices: tuple[str, ...] = ()   # CHOICE: the values; MONTH: words allowed besides a year-month
    since: int = 1


SETTINGS_TITLE = "設定"
SETTINGS_HEADERS = ("項目", "値")
SETTINGS: tuple[Setting, ...] = (
    Setting("事業所名", "office", TEXT, None, "空欄ならファイル名"),
    Setting("事業所番号", "office_number", TEXT, "", "事業所を区別します。同じ名前の事業所があっても記録が混ざりません"),
    Setting("計画見直し間隔（月）", "plan_review_months", INT, 3, "多くの事業所は3か月、6か月の事業所もあります"),
    Setting("面談間隔警告（日）", "contact_gap_days", INT, 30, "本人との最後の接触からこの日数を超えると注意"),
    Setting("1単位の単価（円）", "unit_price", NUMBER, 10.0, "地域区分による1単位の単価（例: 10.00、11.20）", since=2),
    Setting("サービス管理責任者", "service_manager", TEXT, "", "地域連携会議で発表すると実施加算（I）になる人", since=2),
    Setting("引継ぎの指針", "handover_policy", CHOICE, None,
            "引継ぎの指針と責任者を定めているか（はい / いいえ）", choices=("はい", "いいえ"), since=2),
    Setting("指定日", "designated_on", DATE, None,
            "就労定着支援の指定を受けた日。3年たっていない事業所は、就労定着率区分（届出）で算定します", since=3),
    Setting("就労定着率区分（届出）", "filed_tier", CHOICE, None,
            "都道府県に届け出た就労定着率の区分（基本報酬はこの区分で算定します。空欄なら計算した区分）",
            choices=TIER_LABELS, since=3),
    Setting("就労定着実績体制加算（届出）", "track_record_filed", CHOICE, None,
            "就労定着実績体制加算を届け出ているか（はい なら1人1か月300単位）", choices=YES_NO, since=3),
    Setting("職場適応援助者養成研修修了者配置体制加算（届出）", "job_coach_filed", CHOICE, None,
            "職場適応援助者養成研修を修了した就労定着支援員を配置し届け出ているか（はい なら1人1か月120単位）",
            choices=YES_NO, since=3),
    Setting("処遇改善加算の区分", "treatment_class", CHOICE, None,
            "福祉・介護職員等処遇改善加算の区分（I〜IV）。率とあわせて記入します", choices=TREATMENT_CLASSES, since=3),
    Setting("処遇改善加算の率（%）", "treatment_rate", NUMBER, None,
            "その区分の加算率（厚生労働省の加算率の表から。例: 10.3）。区分とあわせて記入します", since=3),
    Setting("オンライン面談を対面とみなす", "online_counts", CHOICE, "いいえ",
            "指定権者が書面で認めた場合だけ はい（オンラインの面談も月1回の対面の支援に数えます）", choices=YES_NO, since=3),
    Setting("計画未作成減算とサビ管欠如減算が重なる月", "plan_and_manager", CHOICE, "大きい方のみ",
            "同じ月に両方に当たるとき、減る単位数の大きい方だけ減算するか（平成30年Q&A）、両方か",
            choices=("大きい方のみ", "両方"), since=3),
    Setting("日付の表記", "date_style", CHOICE, "西暦",
            "帳票（会議録・支援レポート・月次サマリー・個別支援計画書）の日付の書き方: 西暦（2026年10月15日）か"
            " 和暦（令和8年10月15日）", choices=("西暦", "和暦"), since=3),
    *(setting for code, label in (
        ("staff_shortage", "人員欠如減算（就労定着支援員）"), ("manager_missing", "サービス管理責任者欠如減算"),
        ("abuse_prevention_missing", "虐待防止措置未実施減算"), ("continuity_plan_missing", "業務継続計画未策定減算"),
        ("information_unpublished", "情報公表未報告減算"), ("handover_missing", "支援体制構築未実施減算"))
      for setting in (
          Setting(f"{label}の開始月", f"{code}_from", MONTH, None,
                  "空欄なら引継ぎの記録から月を判断します。事業所として判断したときはこの減算を受ける最初の月"
                  "（受ける月がなければ なし）" if code == "handover_missing" else
                  "この減算を受ける最初の月（空欄は 受けていない）",
                  choices=("なし",) if code == "handover_missing" else (), since=3),
          Setting(f"{label}の終了月", f"{code}_to", MONTH, None, "この減算を受ける最後の月（空欄は 続いている）",
                  since=3))),
)

# Sheets the loader knows but does not read as data.
KNOWN_OTHER_SHEETS = ("説明",)

# Anything choices must be typed as: these are what staff see and what the rules compare with.
PARTY_WITH_USER = ("本人", "本人・企業")
PARTY_WITH_EMPLOYER = ("企業", "本人・企業")
FACE_TO_FACE = ("対面", "職場訪問", "自宅訪問")
HOME_VISIT, WORKPLACE_VISIT = "自宅訪問", "職場訪問"
SCORE_COLUMNS = tuple(c.name for c in CONTACTS.columns if c.kind == SCORE)
SCORE_LABELS = {c.name: c.header for c in CONTACTS.columns if c.kind == SCORE}
