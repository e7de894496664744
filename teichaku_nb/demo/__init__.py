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

The package: ``make_demo`` here; ``office`` (an office, a person's ordinary months and plans),
``people`` (who the people are, and which situation each gets), ``situations`` (what each
situation changes), ``words`` (names, employers, notes), ``months`` (months as ints) and
``writer`` (the workbook file).  ``demo.xlsx`` is the bundled demo (``make demo``): package
data, which ``teichaku app`` opens without BOOK (``paths.demo_book_path``).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas as pd

from ..files import private_folder
from .months import date_in
from .people import make_office
from .writer import write_office

OFFICE_NAME = "デモ就労定着支援センター"


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
        office = make_office(people, name=name, rng=random.Random(f"teichaku-demo:{seed}:{k}"),
                             extra=random.Random(f"teichaku-demo:{seed}:{k}:format-2"),
                             third=random.Random(f"teichaku-demo:{seed}:{k}:format-3"), end=last, months=months)
        written.append(write_office(path, office, when))
    return written
