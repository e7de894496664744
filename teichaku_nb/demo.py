"""Demo data: fictional offices whose case workbooks look like real ones.

``make_demo`` writes one workbook per office in format 3 (``schema.py``,
``docs/workbook-format.md``): the 設定 sheet, then 利用者, 面談記録, 勤怠, 支援計画, 支援レポート
and 就労確認, headers in row 1.  Everyone in it is made up: people's names come from short
lists of common surnames and given names (with フリガナ), the employers are invented
(みどり食品株式会社 ...), and so are each office's 3–4 支援員 (teams A and B) and its
事業所番号 (prefecture code 99, which does not exist).  The same arguments always give the
same cells: the random generator is seeded, nothing depends on the clock except the default
last month, and the files' timestamps are fixed from ``end``.

An ordinary month of a person in support: one 対面 面談 or 職場訪問 with the five scores
(体調 睡眠 気分 人間関係 業務, mostly 3–5) and a short note; usually a call or mail to the
employer; sometimes an extra 電話 / メール・チャット with the person; now and then a call with
the family, the clinic or another agency; one 勤怠 row; a 支援レポート sent in the last days
of the month (so nothing is dated after the last month: demo data never lies in the future);
and a 個別支援計画 (2–4 goals over 職場・生活・心身) every 3 months.  Most people are 利用中; a
few of the ordinary ones ended their support (支援終了) or left the job (離職) during the
period.  Ordinary people stay 安定 in the last month.

Format 2's cells come from a second generator (seeded alike), so everything format 1 had keeps
its random sequence: 利用契約日 3–20 days before 支援開始日; 支給決定開始日 = 受給者証有効期限 − 1
year + 1 day (not before the month the support began, and for someone in service in M not
after the first of M); 利用終了日 for 支援終了 (the end) and 離職 (離職日); 要継続支援 for people
in their last year of support (支援終了予定日 up to M+12) and those whose support ended, in turn
from ``JUDGEMENTS`` (mostly はい, some いいえ, blank only when more than 6 months are left).  With
はい and at most 6 months left (or ended), the handover: 引継ぎ同意日 about 6 months before the
end, a 区分 引継ぎ contact with 企業 the month after and one with 関係機関 or 医療機関 the month
after that, all before the deadline (3 months before the end; in M at the latest); with 7–8
months left, half have just given the 引継ぎ同意日.  Every plan gets 同意日 1–7 days after
計画作成日 and 交付日 0–3 days after that (a few 交付日 are blank, and a few old plans have
neither).  People whose support ended get a 就労確認 (継続, mostly 企業 or 本人) every few months.
Before M, about one 支援レポート in 50 of the ordinary people is recorded for 企業 only (not
billable: the fee needs the report to reach 本人).  Format 3's columns (再就職日, 特別地域居住 …
上限額管理, 休職) are blank for everyone but the format 3 people below.

設定 (every office): 1単位の単価 10.00 or 11.20, one of the staff as サービス管理責任者, 引継ぎの指針
はい; and format 3's (``FILED_SETTINGS``): 指定日 2018-04-01, 就労定着率区分（届出）
90%以上95%未満, 就労定着実績体制加算（届出） いいえ, 職場適応援助者養成研修修了者配置体制加算（届出）
はい, 処遇改善加算 区分 I and 率 10.3 % (an example value), オンライン面談を対面とみなす いいえ,
計画未作成減算とサビ管欠如減算が重なる月 大きい方のみ; and one past episode of each office-level
reduction (``PAST_REDUCTIONS``, months as text YYYY-MM): 業務継続計画未策定減算 M−11..M−10,
虐待防止措置未実施減算 M−9..M−7, 情報公表未報告減算 M−6..M−5, サービス管理責任者欠如減算
M−4..M−3, 人員欠如減算（就労定着支援員） M−2, none in M; 支援体制構築未実施減算 is left blank (the
fee check judges it from the handover records).

The last month M (= ``end``) has one person per situation below in every office of at
least ``SCENARIO_MIN_PEOPLE`` people: an office of n people gets k = min(21, n − n // 4) of
them (all from 27 people on).  The review's situations (001–016) go to the first people, the
fee check's (``FEE_SCENARIOS``) to the last k − 16 people of the office (n−4 … n when all fit),
and the people between are ordinary, so that adding the fee check's situations left every
earlier person's cells as they were.  The flags are those of docs/review-rules.md (all but
overdue_action, which needs the review store); the situations hold with ``months`` ≥ 5.  In any
office, the M notes of 001–003 carry a line break, a ``<script>`` and an ``<img onerror>`` (for
the escaping tests).

An office of at least ``V3_MIN_PEOPLE`` (36) people gets the situations of the rules of version 3
(``V3_SCENARIOS``, the table's last six rows) as its last six people, after all the others:
its first n − 6 people are cell for cell those of an office of n − 6 people (the same names,
dates and rows; in the table, n counts those people only), and every random choice for the six
(their names too, none of them another person's) comes from a third generator.  They are
ordinary people in service in M (contacts, 勤怠, 支援レポート), and a plan from the month the
support starts and every 3
months after, agreed 1–4 days after it is made and handed over within its month (so no month
lacks a plan in force).  The bundled demo (36 people, ``make demo``): the review's situations
001–016, the fee check's 026–030, version 3's 031–036.

===  ===========================  =====================================================
ID   flag / situation             how
===  ===========================  =====================================================
001  no_face_to_face              only a 電話 with 本人 in M (its note has a line break)
002  certificate_expired          受給者証 ended on the last day of M−1 (note holds <script>)
003  high_absence                 所定20 出勤15 欠勤5 in M (so attendance_worsening too;
                                  note holds <img onerror>)
004  low_condition_score          気分 2 in M (2–3 before, so not condition_declining)
005  report_not_shared            no 支援レポート row for M
006  no_employer_contact          M: a 対面 with 本人 only
007  plan_review_due              latest plan made on the last day of M−3 (drawn as one of
                                  M−4, so the draws stay those of before), agreed early in
                                  M−2: its review falls due early in M+1
008  plan_missing                 no plan at all (support began in M−1): 個別支援計画未作成
                                  減算 from the start
009  certificate_expiring         受給者証 ends on the last day of M
010  handover (引継ぎ) soon        支援終了予定日 (blank: the default) in M+2; 要継続支援 はい,
                                  handed over in M−4 … M−2, before the deadline (M−1)
011  contact_gap                  last contact with 本人 ~40 days before M's end (so also
                                  no_face_to_face); the employer was called in M
012  attendance_worsening         遅刻4 早退2 in M, earlier months 0–2
013  condition_declining          睡眠 5, 5, 5 in the 3 months before M, 3 in M
014  離職                         left in M−4; no records after the day
015  支援終了                     support ended in M−3 (要継続支援 はい, handed over);
                                  就労確認 継続 in M−2, then 離職 in M (left after the end)
016  来月から支援開始             hired 6 months before M+1; a few contacts, no service in M;
                                  利用契約日 at the meeting in M
n−4  plan not agreed              the plan made at M's interview has no 同意日 / 交付日
     (個別支援計画未作成減算)     (the earlier plans have them)
n−3  handover overdue             要継続支援 はい, 支援終了予定日 in M+2 (deadline in M−1);
     (支援体制構築未実施減算)     引継ぎ同意日 in M−4 and a 引継ぎ contact with 企業 in M−3,
                                  none with 関係機関 or 医療機関
n−2  handover (引継ぎ) done       要継続支援 はい, 支援終了予定日 in M+3 (deadline in M);
                                  引継ぎ同意日 M−3, 引継ぎ with 企業 M−2 and with 関係機関 or
                                  医療機関 M−1
n−1  report to 企業 only          M's 支援レポート row has 送付先 企業: not to 本人, so M cannot
                                  be billed for this person
n    就労確認 after the end       支援終了 in M−6 (利用終了日); 就労確認 継続 in M−3 and in M
+1   report_employer_missing      企業共有同意 はい; reports to 本人・企業 before M, M's to 本人
                                  only (要確認)
+2   on_leave                     M's 勤怠: 休職 はい, 出勤 0, 欠勤 0, 備考 休職中（主治医の指示）;
                                  M's 自宅訪問 with 本人 (a home visit), a call with the
                                  employer; 欠勤 3 in M−1 (要確認)
+3   job_change_pending           離職日 the 9th of M, 離職理由 filled, still 利用中, no 再就職日;
                                  M's only 対面 (本人) on the 20th: a new job starts in M+1;
                                  the employer last heard from on or before 離職日; 勤怠 to
                                  the 9th; M's report to 本人 (企業共有同意 いいえ) (要確認)
+4   started_early                hired the 10th of M−5 (six months of work complete only in
     (before_eligible_start)      M+1) but 支援開始日 typed as the 1st of M; 利用契約日 at a
                                  meeting in M−1; a 対面, a plan and the report in M
                                  (算定不可; ``validate`` warns, fee_rule, on this row only)
+5   job_changed                  離職日 the 15th of M−3, 再就職日 the 29th of M−3, 企業名 the
                                  new employer, 利用中; contacts go on (a job change is
                                  continuous service: billable in M)
+6   additions                    hired the 1st of M−6, 支援開始日 the 1st of M; 一体的運営外
                                  からの受入れ, 勤務先特別地域 and 上限額管理 はい; in M a 職場訪問
                                  with 本人・企業, a plan made at it, agreed and
                                  handed over in M, the report (初期加算, 特別地域加算,
                                  利用者負担上限額管理加算)
===  ===========================  =====================================================

(+1 … +6: the people after the n − 6 others, 031–036 in the bundled demo.)
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import zipfile
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from . import schema
from .demo_calendar import add_months, date_in, days_in, last_day, month_of, month_text, weekdays, weighted
from .demo_situations import SITUATIONS, add_format_3, before_start, chained_plans, employment_checks
from .demo_words import (CONSENT, DISABILITIES, EMPLOYERS, EMPLOYMENT, FILED_SETTINGS, GIVEN_NAMES, GOALS,
                         LEFT_REASONS, NOTES_EMPLOYER, NOTES_EXTRA, NOTES_HANDOVER_AGENCY, NOTES_HANDOVER_EMPLOYER,
                         NOTES_INTERVIEW, NOTES_OTHERS, NOTES_VISIT, PAST_REDUCTIONS, SCORE_NOISE, STAFF_NAMES,
                         SURNAMES, UNIT_PRICES, WEEKLY_HOURS)
from .files import private_folder, replacing

DATE_FORMAT = "yyyy/mm/dd"
OFFICE_NAME = "デモ就労定着支援センター"
SCENARIO_MIN_PEOPLE = 12

SCENARIOS: tuple[str, ...] = (
    "no_face_to_face", "certificate_expired", "high_absence", "low_condition_score",
    "report_not_shared", "no_employer_contact", "plan_review_due", "no_plan",
    "certificate_expiring", "handover_soon", "contact_gap", "attendance_worsening",
    "condition_declining", "left_job", "support_ended", "starting_next_month",
)
# The month's fee check (format 2): given to the last people of an office, after the ordinary ones.
FEE_SCENARIOS: tuple[str, ...] = (
    "plan_not_agreed", "handover_overdue", "handover_done", "report_to_employer_only", "employment_checked",
)

# Format 3 (the rules of version 3): the last people of an office of at least V3_MIN_PEOPLE, after
# everyone else, each from a generator of their own, so that the people before them keep their cells.
V3_SCENARIOS: tuple[str, ...] = (
    "report_employer_missing", "on_leave", "job_change_pending", "started_early", "job_changed", "additions",
)
V3_MIN_PEOPLE = 30 + len(V3_SCENARIOS)

# Before M, now and then an ordinary person's 支援レポート is recorded as given to 企業 only.
EMPLOYER_ONLY_REPORTS = 0.02

# 要継続支援 of the people in their last year of support, in turn (a situation may fix it):
# mostly はい, some いいえ, now and then not judged yet — so that a small office shows each one.
JUDGEMENTS = (None, "はい", "いいえ", "はい", "はい", "はい", "いいえ", "はい")

# Added to the M note of the first three people of every office (escaping tests use them).
NOTE_EXTRAS = {
    0: "\n次回は来月上旬に会う予定。",
    1: " 本人が見せてくれたメモ: <script>window.__xss=1</script>",
    2: ' 貼り付けられていた文字列: <img src=x onerror="window.__xss=1">',
}


# --- people -------------------------------------------------------------------------------------

@dataclass
class _Person:
    scenario: str | None
    user: dict                      # the 利用者 row, by internal column name
    start: dt.date                  # effective 支援開始日
    end: dt.date                    # effective end: min(支援終了予定日, 離職日)
    days_per_week: int
    baseline: dict                  # score axis -> usual self-rating
    scores: dict = field(default_factory=dict)   # month -> scores of its main contact
    planned_end: dt.date | None = None           # effective 支援終了予定日
    handover: tuple = ()            # months of the 引継ぎ contacts: (with 企業, with 関係機関/医療機関)
    plan_on: dt.date | None = None  # the day of the latest plan, when a situation sets it
    previous_employer: str | None = None     # before a job change (format 3)


@dataclass
class _Month:
    """One person's records of one month, before they go to the sheets."""
    main: dict | None = None        # the monthly contact with 本人 (with scores)
    employer: dict | None = None
    extras: list = field(default_factory=list)
    attendance: dict | None = None
    report: dict | None = None


class _Office:
    """One office's people and their records (rows by internal column name, per table)."""

    def __init__(self, people: int, *, name: str, rng: random.Random, end: int, months: int,
                 extra: random.Random | None = None, third: random.Random | None = None):
        self.rng = rng
        # Format 2's cells come from a generator of their own, so that everything format 1 had
        # keeps its random sequence (and its cells); format 3's people from a third one.
        self.extra = extra or random.Random(f"{name}:format-2")
        self.third = third or random.Random(f"{name}:format-3")
        v3 = V3_SCENARIOS if people >= V3_MIN_PEOPLE else ()
        people -= len(v3)               # the office made as before; the format 3 people come after it
        self.name = name
        self.number = f"99{rng.randrange(10 ** 8):08d}"
        self.M = end
        self.W0 = end - months + 1
        staff = rng.sample(STAFF_NAMES, rng.choice((3, 4)))
        self.staff = [(s, "A" if i < (len(staff) + 1) // 2 else "B") for i, s in enumerate(staff)]
        self.employers = rng.sample(EMPLOYERS, 5)
        self.id_width = max(3, len(str(people)))
        self.judged = 0                 # people whose 要継続支援 came from JUDGEMENTS
        self.rows = {sheet.name: [] for sheet in schema.TABLES}
        situations = len(SCENARIOS) + len(FEE_SCENARIOS)
        scenarios = min(situations, people - people // 4) if people >= SCENARIO_MIN_PEOPLE else 0
        first = min(len(SCENARIOS), scenarios)
        fee = FEE_SCENARIOS[:scenarios - first]
        names = self._names(people)
        for index in range(people):
            scenario = SCENARIOS[index] if index < first else None
            if index >= people - len(fee):
                scenario = fee[index - (people - len(fee))]
            elif scenario is None and index >= len(NOTE_EXTRAS):
                scenario = weighted(rng, ((None, 87), ("ended", 8), ("left", 5)))
            self._add(index, scenario, names[index])
        self.settings = {
            "office": self.name, "office_number": self.number, "plan_review_months": 3, "contact_gap_days": 30,
            "unit_price": self.extra.choice(UNIT_PRICES), "service_manager": self.extra.choice(self.staff)[0],
            "handover_policy": "はい", **FILED_SETTINGS,
        }
        for code, first, last in PAST_REDUCTIONS:
            self.settings[f"{code}_from"] = month_text(end - first)
            self.settings[f"{code}_to"] = month_text(end - last)
        if v3:
            add_format_3(self, people, v3, {name for name, _ in names})
        for name, key in (("contacts", "date"), ("attendance", "month"), ("plans", "plan_date"),
                          ("reports", "month"), ("employment_checks", "checked_on")):
            self.rows[name].sort(key=itemgetter(key))

    def _names(self, people: int) -> list[tuple[str, str]]:
        pairs = len(SURNAMES) * len(GIVEN_NAMES)
        picks = self.rng.sample(range(pairs), people) if people <= pairs else \
            [self.rng.randrange(pairs) for _ in range(people)]
        result = []
        for pick in picks:
            (surname, surname_kana), (given, given_kana) = SURNAMES[pick // len(GIVEN_NAMES)], \
                GIVEN_NAMES[pick % len(GIVEN_NAMES)]
            result.append((f"{surname}\u3000{given}", f"{surname_kana}\u3000{given_kana}"))
        return result

    # -- one person --------------------------------------------------------------------------

    def _add(self, index: int, scenario: str | None, name: tuple[str, str]) -> None:
        rng, M, W0 = self.rng, self.M, self.W0
        staff, team = rng.choice(self.staff)
        employer, jobs = rng.choice(self.employers)
        employment = weighted(rng, EMPLOYMENT)
        hours = rng.choice(WEEKLY_HOURS[employment])
        hire_day = rng.choice((1, 1, 1, 16, 16, rng.randint(2, 28)))
        status, left_on, left_reason = "利用中", None, None
        certificate = last_day(M + rng.randint(2, 12)) if rng.random() > 0.05 else None

        # When the person was hired, and what happened since, by situation.
        if scenario in (None, "ended", "left"):
            hire_month = rng.randint(M - 37, M - 7)
        elif scenario == "no_plan":
            hire_month = M - 7
        elif scenario == "handover_soon":
            hire_month, hire_day = M - 40, rng.randint(2, 28)
        elif scenario == "starting_next_month":
            hire_month, certificate = M - 5, last_day(M + 12)
        elif scenario in ("handover_overdue", "handover_done"):   # 支援終了予定日 in M+2 / M+3
            hire_month, hire_day = M - (40 if scenario == "handover_overdue" else 39), rng.randint(2, 28)
        else:
            hire_month = rng.randint(M - 30, M - 10)
            if scenario == "plan_not_agreed":   # plans every 3 months from the start: the latest in M
                hire_month -= (hire_month - M) % 3
        if scenario in ("left_job", "left"):
            left = max(M - 4, min(W0, M - 1)) if scenario == "left_job" else rng.randint(min(W0, M - 1), M - 1)
            hire_month = min(hire_month, left - 7) if scenario == "left" else left - 12
            status, left_on = "離職", date_in(left, rng.randint(10, 25))
            left_reason = LEFT_REASONS[0] if scenario == "left_job" else rng.choice(LEFT_REASONS)
            certificate = last_day(left + rng.randint(1, 8))
        if scenario in ("support_ended", "ended", "employment_checked"):
            if scenario == "support_ended":
                ended = max(M - 3, min(W0, M - 1))
            elif scenario == "employment_checked":
                ended = M - 6
            else:
                ended = rng.randint(min(W0, M - 1), M - 1)
            hire_month, hire_day = ended - 42, rng.randint(2, 28)
            status, certificate = "支援終了", last_day(ended)
        if scenario == "certificate_expired":
            certificate = last_day(M - 1)
        elif scenario == "certificate_expiring":
            certificate = last_day(M)

        hired = date_in(hire_month, hire_day)
        start, planned_end = add_months(hired, 6), add_months(hired, 42) - dt.timedelta(days=1)
        start_cell = end_cell = None
        if scenario is None:  # some offices write the period out; a few start on the 1st after
            written = rng.random()
            if written < 0.10:
                start = date_in(month_of(start) + 1, 1)
                start_cell, end_cell = start, planned_end
            elif written < 0.35:
                start_cell, end_cell = start, planned_end
        user = {
            "user_id": f"{index + 1:0{self.id_width}d}", "name": name[0], "kana": name[1],
            "staff": staff, "team": team,
            "disability": weighted(rng, DISABILITIES),
            "hired_on": hired, "employer": employer, "job": rng.choice(jobs),
            "employment_type": employment, "weekly_hours": hours,
            "support_start": start_cell, "support_end": end_cell, "certificate_until": certificate,
            "status": status, "left_on": left_on, "left_reason": left_reason,
            "employer_consent": weighted(rng, CONSENT),
        }
        self.rows["users"].append(user)
        person = _Person(
            scenario=scenario, user=user, start=start,
            end=min(planned_end, left_on) if left_on else planned_end,
            days_per_week=5 if hours >= 25 else rng.choice((4, 5)),
            baseline={axis: rng.choice((3, 4, 4, 4, 5, 5)) for axis in schema.SCORE_COLUMNS},
            planned_end=planned_end,
        )
        self._format_2(person)

        if scenario == "starting_next_month":
            before_start(self, person)
            return
        self._add_months(index, person)

    def _format_2(self, person: _Person) -> None:
        """The 利用者 cells format 2 added: 利用契約日, 支給決定開始日, 利用終了日, 要継続支援 and
        引継ぎ同意日; the months of the 引継ぎ contacts go to ``person.handover``."""
        x, M, user = self.extra, self.M, person.user
        m0 = date_in(M, 1)
        user["contract_on"] = person.start - dt.timedelta(days=x.randint(3, 20))
        if user["certificate_until"] is not None:
            # the certificate's year, from the month the support began at the earliest; for
            # someone in service in M it covers M (a certificate renewed ahead is not entered)
            decision = max(add_months(user["certificate_until"], -12) + dt.timedelta(days=1),
                           date_in(month_of(person.start), 1))
            if person.start <= last_day(M) and person.end >= m0:
                decision = min(decision, m0)
            user["decision_start"] = decision
        if user["status"] == "支援終了":
            user["service_end"] = person.end
        elif user["left_on"] is not None:
            user["service_end"] = user["left_on"]

        end_month = month_of(person.planned_end)
        if user["status"] == "離職" or person.scenario == "starting_next_month" or end_month > M + 12:
            return                          # 要継続支援 is judged in the last year of support
        if person.scenario in ("handover_soon", "support_ended", "handover_overdue", "handover_done",
                               "employment_checked"):
            answer = "はい"
        else:
            answer = JUDGEMENTS[self.judged % len(JUDGEMENTS)]
            self.judged += 1
            if answer is None and (end_month <= M + 6 or user["status"] == "支援終了"):
                answer = "はい"             # the judgement was due: made
        user["needs_continuing"] = answer
        if answer != "はい":
            return
        if end_month <= M + 6:
            # consent about 6 months before the end, then the employer, then the agency or the
            # clinic: all before the deadline (3 months before the end); the overdue one lacks the last
            consent = min(end_month - 6, M)
            with_agency = None if person.scenario == "handover_overdue" else min(consent + 2, M)
            user["handover_consent_on"] = date_in(consent, x.randint(1, 10))
            person.handover = (min(consent + 1, M), with_agency)
        elif end_month <= M + 8 and x.random() < 0.5:   # the handover has just begun
            user["handover_consent_on"] = date_in(M - x.randint(0, 1), x.randint(1, 10))

    def _handover_contacts(self, person: _Person, months: dict) -> None:
        """The 引継ぎ contacts (区分 引継ぎ): with the employer, then with the agency or clinic
        that takes over; only in the months of the records."""
        if not person.handover:
            return
        x = self.extra
        with_employer, with_agency = person.handover
        method, notes = x.choice(NOTES_HANDOVER_EMPLOYER)
        contacts = [(with_employer, (11, 20), method, "企業", notes)]
        party, method, notes = x.choice(NOTES_HANDOVER_AGENCY)
        if with_agency is not None:
            contacts.append((with_agency, (21, 28), method, party, notes))
        for month, (first, last), method, party, notes in contacts:
            if month not in months:
                continue
            low, high = self._bounds(person, month)
            day = date_in(month, min(max(x.randint(first, last), low), high))
            months[month].extras.append({"user_id": person.user["user_id"], "date": day, "method": method,
                                         "party": party, "staff": person.user["staff"], "notes": notes,
                                         "kind": "引継ぎ"})

    def _plan_signed(self, person: _Person, plan_date: dt.date, *, latest: bool) -> tuple:
        """A plan's 同意日 and 交付日: a few days after it was made, on almost every plan."""
        x = self.extra
        limit = min(person.end, last_day(self.M))
        consent = min(plan_date + dt.timedelta(days=x.randint(1, 7)), limit)
        delivered = min(consent + dt.timedelta(days=x.choice((0, 0, 0, 1, 2, 3))), limit)
        if x.random() < 0.05:
            delivered = None
        unsigned = x.random() < 0.03 and not latest     # an old plan whose consent was not noted
        if unsigned or (latest and person.scenario == "plan_not_agreed"):
            return None, None
        return consent, delivered

    def _add_months(self, index: int, person: _Person) -> None:
        """The person's months in the period: contacts, attendance, reports and plans."""
        M = self.M
        first, last = max(self.W0, month_of(person.start)), min(M, month_of(person.end))
        months = {month: self._month(person, month) for month in range(first, last + 1)}
        if person.scenario in SITUATIONS:
            SITUATIONS[person.scenario](self, person, months)
        self._handover_contacts(person, months)
        if index in NOTE_EXTRAS and M in months and months[M].main is not None:
            months[M].main["notes"] += NOTE_EXTRAS[index]
        for records in months.values():
            contacts = [records.main, records.employer, *records.extras]
            self.rows["contacts"].extend(c for c in contacts if c is not None)
            if records.attendance is not None:
                self.rows["attendance"].append(records.attendance)
            if records.report is not None:
                self.rows["reports"].append(records.report)
        if person.scenario in V3_SCENARIOS:
            chained_plans(self, person, last)
        else:
            self._plans(person, last)
        employment_checks(self, person)

    def _bounds(self, person: _Person, month: int) -> tuple[int, int]:
        """The days of a month on which the person was in support."""
        low = person.start.day if month == month_of(person.start) else 1
        high = person.end.day if month == month_of(person.end) else days_in(month)
        return low, max(low, high)

    def _staff(self, person: _Person) -> str:
        if self.rng.random() < 0.1:
            return self.rng.choice(self.staff)[0]
        return person.user["staff"]

    def _contact(self, person: _Person, day: dt.date, method: str, party: str, notes: str,
                 scores: dict | None = None, next_on: dt.date | None = None) -> dict:
        row = {"user_id": person.user["user_id"], "date": day, "method": method, "party": party,
               "staff": self._staff(person), "notes": notes, "next_on": next_on}
        row.update(scores or {})
        return row

    def _scores(self, person: _Person, month: int) -> dict:
        scores = {axis: min(5, max(2, b + self.rng.choice(SCORE_NOISE))) for axis, b in person.baseline.items()}
        if month == self.M:  # ordinary people end stable: no score ≤ 2, no fall of 1.0 against before
            for axis in scores:
                before = [person.scores[m][axis] for m in range(month - 3, month) if m in person.scores]
                floor = int(sum(before) / len(before)) if before else 3
                scores[axis] = max(scores[axis], 3, floor)
        person.scores[month] = scores
        return scores

    def _month(self, person: _Person, month: int) -> _Month:
        """An ordinary month: 面談 or 職場訪問, employer contact, extras, 勤怠, 支援レポート."""
        rng, records = self.rng, _Month()
        low, high = self._bounds(person, month)
        day = date_in(month, rng.randint(low, high))
        next_on = day + dt.timedelta(days=rng.randint(26, 35)) if rng.random() < 0.8 else None
        scores = self._scores(person, month)
        if rng.random() < 0.6:
            records.main = self._contact(person, day, "対面", "本人", rng.choice(NOTES_INTERVIEW), scores, next_on)
            if month == self.M or rng.random() < 0.85:
                method = "電話" if rng.random() < 0.8 else "メール・チャット"
                records.employer = self._contact(person, date_in(month, rng.randint(low, high)), method, "企業",
                                                 rng.choice(NOTES_EMPLOYER))
        else:
            records.main = self._contact(person, day, "職場訪問", "本人・企業", rng.choice(NOTES_VISIT),
                                         scores, next_on)
        if rng.random() < 0.25:
            method, notes = rng.choice(NOTES_EXTRA)
            records.extras.append(self._contact(person, date_in(month, rng.randint(low, high)), method, "本人", notes))
        if rng.random() < 0.05:
            party, notes = rng.choice(NOTES_OTHERS)
            records.extras.append(self._contact(person, date_in(month, rng.randint(low, high)), "電話", party, notes))
        if month == month_of(person.end) and person.user["left_on"] is not None:
            return records  # the month of leaving: no 勤怠 row, no report
        records.attendance = self._attendance(person, month, last_month=month == self.M)
        consent = person.user["employer_consent"] == "はい"
        records.report = {"user_id": person.user["user_id"], "month": month_text(month),
                          "sent_on": date_in(month, rng.randint(22, 28)),
                          "recipient": "本人・企業" if consent else "本人"}
        if person.scenario is None and month < self.M and self.extra.random() < EMPLOYER_ONLY_REPORTS:
            records.report["recipient"] = "企業"     # the copy for 本人 was not recorded: not billable
        return records

    def _attendance(self, person: _Person, month: int, *, last_month: bool) -> dict:
        rng = self.rng
        scheduled = min(22, max(18, weekdays(month) - rng.choice((0, 1, 1, 2))))
        if person.days_per_week == 4:
            scheduled = round(scheduled * 0.8)
        absent = rng.choice((0, 0, 0, 1) if last_month else (0, 0, 0, 0, 0, 0, 1, 1, 1, 2))
        paid = rng.choice((0, 0, 0, 1))
        remarks = []
        if absent:
            remarks.append(rng.choice(("体調不良で欠勤", "通院のため欠勤", "発熱で欠勤")))
        if paid:
            remarks.append("有給休暇1日")
        return {"user_id": person.user["user_id"], "month": month_text(month), "scheduled_days": scheduled,
                "worked_days": scheduled - absent - paid, "late": rng.choice((0, 0, 0, 0, 0, 1)),
                "left_early": rng.choice((0, 0, 0, 0, 0, 1)), "absent": absent,
                "remarks": "、".join(remarks) or None}

    def _plans(self, person: _Person, last: int) -> None:
        """A plan every 3 months from the start of support; the one in force when the records
        begin is kept too."""
        rng, first = self.rng, month_of(person.start)
        latest = {"plan_review_due": self.M - 4, "no_plan": None}.get(person.scenario, last - (last - first) % 3)
        if latest is None or latest < first:
            return
        months = list(range(latest, first - 1, -3))
        kept = [m for m in months if m >= self.W0] + [m for m in months if m < self.W0][:1]
        for month in sorted(kept):
            low, high = self._bounds(person, month)
            plan_date = date_in(month, rng.randint(low, high))
            if month == latest and person.plan_on is not None:
                plan_date = person.plan_on
            consent, delivered = self._plan_signed(person, plan_date, latest=month == latest)
            self._plan_rows(person, plan_date, consent, delivered, latest=month == latest, month=month)

    def _plan_rows(self, person: _Person, plan_date: dt.date, consent, delivered, *, latest: bool,
                   month: int) -> None:
        """One plan's rows: 2–4 goals over 職場・生活・心身."""
        rng = self.rng
        domains = ["職場"] + rng.sample(("生活", "心身", "職場"), rng.choice((1, 2, 2, 3)))
        used = set()
        for domain in domains:
            goal, support = rng.choice([g for g in GOALS[domain] if g[0] not in used])
            used.add(goal)
            if latest:
                status = rng.choice(("取組中", "取組中", "未着手")) if month >= self.M - 1 else "取組中"
            else:
                status = rng.choice(("達成", "達成", "取組中", "見直し"))
            self.rows["plans"].append({
                "user_id": person.user["user_id"], "plan_date": plan_date, "domain": domain,
                "goal": goal, "support": support, "due_on": add_months(plan_date, rng.choice((3, 6))),
                "status": status, "consent_on": consent, "delivered_on": delivered})


# --- writing ------------------------------------------------------------------------------------

class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one timestamp, so equal workbooks are equal files."""

    def __init__(self, path, when: dt.datetime):
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._when = (when.year, when.month, when.day, when.hour, when.minute, when.second)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, name, data, *args, **kwargs):
        if not isinstance(name, zipfile.ZipInfo):
            name = self._info(name)
        super().writestr(name, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        info = self._info(arcname or str(filename))
        info.file_size = Path(filename).stat().st_size
        with open(filename, "rb") as source, self.open(info, "w") as target:
            shutil.copyfileobj(source, target, 1 << 20)


def _write_table(workbook: Workbook, sheet: schema.Sheet, rows: list[dict]) -> None:
    ws = workbook.create_sheet(sheet.title)
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    names = [column.name for column in sheet.columns]
    dates = [i for i, column in enumerate(sheet.columns) if column.kind == schema.DATE]
    ws.append([column.header for column in sheet.columns])
    for row in rows:
        values = [row.get(name) for name in names]
        for i in dates:
            if values[i] is not None:
                cell = WriteOnlyCell(ws, value=values[i])
                cell.number_format = DATE_FORMAT
                values[i] = cell
        ws.append(values)


def _write_office(path: Path, office: _Office, when: dt.datetime) -> Path:
    workbook = Workbook(write_only=True)
    settings = workbook.create_sheet(schema.SETTINGS_TITLE)
    settings.column_dimensions["A"].width = 22
    settings.column_dimensions["B"].width = 30
    settings.append(list(schema.SETTINGS_HEADERS))
    for setting in schema.SETTINGS:
        value = office.settings.get(setting.name, setting.default)
        if setting.kind == schema.NUMBER and value is not None:
            value = WriteOnlyCell(settings, value=value)
            value.number_format = "0.00"
        elif setting.kind == schema.DATE and value is not None:
            value = WriteOnlyCell(settings, value=value)
            value.number_format = DATE_FORMAT
        settings.append([setting.label, value])
    for sheet in schema.TABLES:
        _write_table(workbook, sheet, office.rows[sheet.name])
    workbook.properties.creator = "teichaku_nb"
    workbook.properties.title = "デモデータ（架空の人物）"
    workbook.properties.created = workbook.properties.modified = when
    with replacing(path) as temporary, _FixedTimeZip(temporary, when) as archive:
        ExcelWriter(workbook, archive).save()
    return path


def demo_paths(out: Path, offices: int = 1) -> list[Path]:
    """The workbooks ``make_demo`` writes: ``out`` itself (.xlsx), or one per office in the folder."""
    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        return [out]
    width = max(2, len(str(offices)))
    return [out / f"事業所{k:0{width}d}.xlsx" for k in range(1, offices + 1)]


def make_demo(out: Path, *, users: int = 36, months: int = 12, offices: int = 1, seed: int = 1,
              end: pd.Period | None = None) -> list[Path]:
    """Write demo workbooks of fictional people and return their paths.

    ``out`` ending in ``.xlsx`` is one workbook (``offices`` must be 1); anything else is a
    folder (made if needed) holding ``事業所01.xlsx`` … one per office.  ``users`` is the total
    number of people, split as evenly as possible across the offices; ``months`` months of
    records end with ``end`` (default: last month).  Same arguments, same cells.
    """
    out = Path(out)
    if users < 0 or months < 1 or offices < 1:
        raise ValueError("users must be 0 or more, months and offices 1 or more")
    single = out.suffix.lower() == ".xlsx"
    if single and offices != 1:
        raise ValueError("several offices are written to a folder, not to one .xlsx file")
    this_month = pd.Period(dt.date.today(), "M")
    end = this_month - 1 if end is None else pd.Period(end, "M")
    if end >= this_month:
        raise ValueError("the last month must be before this month (demo data has no dates after today)")
    last = end.year * 12 + end.month - 1
    when = dt.datetime.combine(date_in(last + 1, 1), dt.time())
    private_folder(out.parent if single else out)
    paths = demo_paths(out, offices)
    written = []
    for k, path in enumerate(paths, start=1):
        people = users // offices + (1 if k <= users % offices else 0)
        name = OFFICE_NAME if single else f"{OFFICE_NAME}{k:0{max(2, len(str(offices)))}d}"
        office = _Office(people, name=name, rng=random.Random(f"teichaku-demo:{seed}:{k}"),
                         extra=random.Random(f"teichaku-demo:{seed}:{k}:format-2"),
                         third=random.Random(f"teichaku-demo:{seed}:{k}:format-3"), end=last, months=months)
        written.append(_write_office(path, office, when))
    return written
