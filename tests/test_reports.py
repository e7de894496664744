"""The documents: 会議録, 支援レポート (本人用 / 企業用), 月次サマリー in HTML and PDF.

Fast tests build the documents' HTML in-process (``report_views``); the tests marked
``slow`` run the report notebooks in a kernel (``reports.make_reports``, the CLI, nbval)
and print PDFs with Chromium.  Everything is written under tmp_path: the bundled demo
workbook is copied first, and its store is created beside the copy.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from teichaku_nb import report_views as views
from teichaku_nb import billing, documents, retention, rules
from teichaku_nb.store import Action, Conference, Review, default_path, open_store
from teichaku_nb.workbook import load_casebook

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "teichaku_nb" / "demo" / "demo.xlsx"
MONTH = pd.Period("2026-10", freq="M")
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
LIFE = "生活: 夜更かしが続き、朝食を抜いている"
HEALTH = "心身: 服薬の調整で通院している"
WORKPLACE = "職場: 新しい作業にも慣れてきた😊"          # an emoji, as staff type them
WISHES = "本人の意向: 週5日勤務を続けたい"
POLICY = "方針: 来月も職場訪問で作業手順を確認する"
TO_PERSON = "本人へ: 今月もよく頑張りました😊 来月も面談でお会いします"      # an emoji, as staff type them
TO_EMPLOYER = "企業へ: 作業手順書の更新をお願いします"
NO_CONSENT = "003"      # 企業共有同意 いいえ in the demo
WITH_CONSENT = "004"    # はい


# --- helpers ---------------------------------------------------------------------------------------

def _copies(paths) -> list[Path]:
    """The 支援レポート of a batch, without its staff-only 確認事項 (the demo has one deliberate
    data problem, 034's 支援開始日, so every batch of it carries a 確認事項)."""
    return [p for p in paths if "_確認事項_" not in p.name]


def _copy_demo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    book = folder / "demo.xlsx"
    shutil.copy(DEMO, book)
    return book


def _set_cells(book: Path, sheet: str, match: dict, values: dict) -> None:
    """Change cells of the first row of ``sheet`` whose headers match ``match``."""
    wb = openpyxl.load_workbook(book)
    ws = wb[sheet]
    headers = {c.value: c.column for c in ws[1]}
    for row in ws.iter_rows(min_row=2):
        if all(str(row[headers[k] - 1].value) == v for k, v in match.items()):
            for k, v in values.items():
                ws.cell(row=row[0].row, column=headers[k], value=v)
            break
    else:
        raise AssertionError(f"no row {match} in {sheet}")
    wb.save(book)


def _seed_store(book: Path, *, office: str) -> None:
    """A conference for M with reviews of 003 (no consent) and 004 (consent), saved with the
    level and flags the conference saw, and actions."""
    from teichaku_nb.office_month import OfficeMonth

    with open_store(book_path=book) as store:
        shown = OfficeMonth(load_casebook(book), MONTH, store).agenda
        conference = store.save_conference(Conference(
            office=office, month=MONTH, held_on=dt.date(2026, 11, 5), kind="地域連携会議",
            attendees=("安藤 理恵", "田村 浩"), outside_participants=("ハローワーク 山田", "主治医 佐々木"),
            presenter="田村 浩"), by="テスト")
        for user_id in (NO_CONSENT, WITH_CONSENT):
            store.save_review(Review(
                office=office, user_id=user_id, month=MONTH, conference_id=conference.id,
                workplace=f"{WORKPLACE}（{user_id}）", life=f"{LIFE}（{user_id}）", health=f"{HEALTH}（{user_id}）",
                issues=f"課題: 欠勤の増加 {SCRIPT}", policy=f"{POLICY}（{user_id}）", wishes=WISHES,
                to_person=f"{TO_PERSON}（{user_id}）", to_employer=f"{TO_EMPLOYER}（{user_id}）",
                judgement="要対応", saved_level=shown.case(user_id).level,
                saved_flags=tuple(f.as_dict() for f in shown.case(user_id).flags)), by="テスト", expected_version=None)
        store.add_action(Action(office=office, user_id=NO_CONSENT, month=MONTH - 1, content="主治医と連絡をとる",
                                owner="田村 浩", due_on=dt.date(2026, 10, 10)), by="テスト")
        store.add_action(Action(office=office, user_id=NO_CONSENT, month=MONTH, content="職場訪問で勤怠を確認",
                                owner="安藤 理恵", due_on=dt.date(2026, 11, 20), conference_id=conference.id),
                         by="テスト")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _without_images(markup: str) -> str:
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "DATA", markup)


def _plain(markup: str) -> str:
    """What a reader sees: the text without tags, unescaped, spaces squeezed."""
    text = re.sub(r"</?(strong|span|b|em|a|code)\b[^>]*>", "", _without_images(markup))   # inline: no space
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _rows(markup: str) -> list[list[str]]:
    """Each table row as the texts of its cells."""
    return [[_plain(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", markup, re.S)]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """The demo workbook with markup typed into shown cells, and a seeded store beside it."""
    book = _copy_demo(tmp_path_factory.mktemp("seeded"))
    _set_cells(book, "利用者", {"利用者ID": "002"}, {"氏名": f"長谷川 {SCRIPT}"})
    _set_cells(book, "利用者", {"利用者ID": "002"}, {"企業名": f"東和 {IMG}"})
    _seed_store(book, office=load_casebook(book).key)
    return book


@pytest.fixture(scope="module")
def seeded_book(seeded):
    return load_casebook(seeded)


@pytest.fixture
def store(seeded):
    with open_store(book_path=seeded) as s:
        yield s


# --- 支援レポート: content and privacy (in-process) -------------------------------------------------

def test_support_report_shows_the_person_month_contacts_attendance_and_plan(seeded_book, store):
    markup = views.support_report_html(seeded_book, MONTH, "003", "本人", store=store)
    text = _plain(markup)
    assert "2026年10月の支援レポート（本人用）" in text
    assert "池田 誠 様" in text
    assert "今月は 22か月目／全36か月" in text                  # support began 2025-01-01
    assert ["2026年10月25日", "職場訪問", "本人・企業", "田村 浩"] in _rows(markup)
    assert "所定 20日のうち 15日 （欠勤 5日・遅刻 0回・早退 1回）" in text
    assert "体調 4・睡眠 4・気分 3・人間関係 4・業務 5" in text        # the month's self-rating, in a sentence
    assert "休憩を適切に取って集中を保つ" in text
    assert "data:image/svg+xml;base64," in markup              # the chart, embedded
    assert "担当支援員 田村 浩" in text
    assert f"{TO_PERSON}（003）" in text                        # the words written for the person
    for internal in (WORKPLACE, LIFE, HEALTH, POLICY, WISHES, "課題"):
        assert internal not in text                           # the review's own fields stay with staff
    assert TO_EMPLOYER not in text


def test_support_report_never_shows_the_internal_contact_notes(seeded_book, store):
    notes = seeded_book.contacts.query("user_id == '002'")["notes"].dropna()
    for audience in ("本人", "企業"):
        markup = views.support_report_html(seeded_book, MONTH, "002", audience, store=store)
        assert "__xss" not in markup                           # the demo's <script> note
        for note in notes:
            assert html.escape(note) not in markup


def test_workbook_markup_arrives_escaped(seeded_book, store):
    markup = views.support_report_html(seeded_book, MONTH, "002", "本人", store=store)
    assert SCRIPT not in markup and IMG not in markup
    assert html.escape(SCRIPT) in markup                       # the name, as text
    minutes = views.minutes_html(seeded_book, MONTH, store=store)
    assert SCRIPT not in minutes and html.escape(SCRIPT) in minutes   # 課題 from the store
    employer = views.support_report_html(seeded_book, MONTH, "002", "企業", store=store)
    assert IMG not in employer and "東和 &lt;img src=x onerror=" in employer       # the employer, as text


def test_without_autoescape_the_escaping_tests_would_fail(seeded_book, store, monkeypatch):
    """The escaping tests can fail: the documents' templates are what escapes user text."""
    from jinja2 import Environment

    from teichaku_nb import markup

    monkeypatch.setattr(markup, "AUTOESCAPE", False)
    markup.environment.cache_clear()
    try:
        unsafe = views.support_report_html(seeded_book, MONTH, "002", "本人", store=store)
        assert SCRIPT in unsafe
        assert isinstance(markup.environment(), Environment) and not markup.environment().autoescape
    finally:
        monkeypatch.undo()
        markup.environment.cache_clear()
    assert markup.environment().autoescape is True


def test_no_employer_copy_is_made_without_consent(seeded_book, store):
    with pytest.raises(views.ReportDataError, match="企業共有同意が「はい」ではないため、企業用の支援レポートは作りません"):
        views.support_report_html(seeded_book, MONTH, NO_CONSENT, "企業", store=store)


def test_the_employer_copy_carries_only_what_was_written_for_the_employer(seeded_book, store):
    employer = views.support_report_html(seeded_book, MONTH, WITH_CONSENT, "企業", store=store)
    text = _plain(employer)
    assert f"{TO_EMPLOYER}（{WITH_CONSENT}）" in text and "企業と共有すること" in text
    for internal in (WORKPLACE, LIFE, HEALTH, POLICY, WISHES, TO_PERSON, "課題"):
        assert internal not in text
    assert "ご本人の同意を得て" in text
    assert "ご自身の評価" not in text and "体調などの自己評価" not in text      # the month at work only


def test_a_preview_shows_the_form_not_yet_saved(seeded_book, store):
    typed = {"to_person": "まだ保存していない本人への文", "health": "服薬の相談"}
    text = _plain(views.support_report_html(seeded_book, MONTH, WITH_CONSENT, "本人", store=store, texts=typed))
    assert "まだ保存していない本人への文" in text and "服薬の相談" not in text and TO_PERSON not in text


def test_a_copy_for_a_person_without_a_review_leaves_that_part_out_without_a_word(seeded_book, store):
    text = _plain(views.support_report_html(seeded_book, MONTH, "001", "本人", store=store))
    assert "今月の様子と来月の予定" not in text
    assert "ケース会議" not in text and "記録はまだ" not in text and "データベース" not in text


# --- what leaves the office carries nothing internal ---------------------------------------------

HEALTH_WORDS = ("しんどい", "精神科の受診後に決める")


def _book_with_private_errors(folder: Path) -> Path:
    """The demo, where the 面談記録 of a person who did not consent to sharing with the employer
    holds unreadable values with health remarks, and the 支援レポート sheet a wrong 送付先."""
    book = _copy_demo(folder)
    _set_cells(book, "面談記録", {"利用者ID": NO_CONSENT, "実施日": "2026-10-25 00:00:00"},
               {"体調": HEALTH_WORDS[0], "次回予定日": HEALTH_WORDS[1]})
    _set_cells(book, "支援レポート", {"利用者ID": "010"}, {"送付先": "郵送"})
    return book


def _leaks(text: str) -> list[str]:
    """Anything internal found in a document that leaves the office."""
    found = [w for w in HEALTH_WORDS if w in text]
    found += re.findall(r"\d+\s*行目", text)
    found += [w for w in ("validate", "データの確認事項", "確認事項", "エラー") if w in text]
    found += [kind.code for kind in rules.FLAG_KINDS if kind.code in text]
    return found


def test_an_attendance_count_that_was_not_read_is_printed_as_unconfirmed_never_as_0(tmp_path):
    """004's October: 欠勤 typed as words (unreadable) and 早退 out of range; 遅刻 left blank is 0 (the
    workbook's contract: a blank 遅刻・早退・欠勤 is 0)."""
    book = _copy_demo(tmp_path)
    _set_cells(book, "勤怠", {"利用者ID": WITH_CONSENT, "年月": "2026-10"}, {"欠勤": "なし?", "早退": 40, "遅刻": ""})
    casebook = load_casebook(book)
    assert {p.column for p in casebook.problems if p.sheet == "勤怠"} >= {"欠勤", "早退"}
    for audience in ("本人", "企業"):
        text = _plain(views.support_report_html(casebook, MONTH, WITH_CONSENT, audience))
        assert "2026年10月の出勤: 所定 21日のうち 20日 （欠勤 未確認・遅刻 0回・早退 未確認）" in text
        assert "欠勤 0日" not in text and "早退 0回" not in text


def test_an_office_that_writes_dates_in_wareki_gets_documents_in_wareki(tmp_path):
    """設定 日付の表記 和暦: every date and month of the documents (header, body, chart) is 令和;
    the app and the file names keep 西暦."""
    from teichaku_nb.reports import make_reports

    book = _copy_demo(tmp_path / "office")
    wb = openpyxl.load_workbook(book)
    wb["設定"].append(["日付の表記", "和暦"])
    wb.save(book)
    casebook = load_casebook(book)
    assert casebook.settings.date_style == "和暦" and load_casebook(DEMO).settings.date_style == "西暦"
    markup = views.support_report_html(casebook, MONTH, NO_CONSENT, "本人")
    text = _plain(markup)
    assert "令和8年10月の支援レポート（本人用）" in text
    assert ["令和8年10月25日", "職場訪問", "本人・企業", "田村 浩"] in _rows(markup)
    assert "令和7年1月1日〜令和9年12月31日" in text                   # the support period, built in Python
    assert not re.search(r"20\d\d年", text), re.findall(r".{10}20\d\d年.{10}", text)
    summary = _plain(views.summary_html(casebook, MONTH, today=dt.date(2026, 12, 6)))
    body = summary.rsplit("データの確認事項", 1)[0]          # the workbook's problems are quoted as they were read
    assert "令和8年10月末時点" in body and not re.search(r"20\d\d年", body)
    (made,) = _copies(make_reports("support", book, MONTH, user=NO_CONSENT, fmt="html",
                                   out_dir=tmp_path / "out").paths)
    assert made.name.endswith("_2026-10_003_本人用.html")
    header = _plain(re.search(r'<header class="doc-header">.*?</header>', _text(made), re.S).group(0))
    assert "令和8年10月" in header and "作成 令和" in header


def test_copies_never_carry_data_problems_and_the_staff_documents_do(tmp_path):
    book = _book_with_private_errors(tmp_path)
    casebook = load_casebook(book)
    mine = casebook.problems_of(NO_CONSENT)
    assert {p.column for p in mine} >= {"体調", "次回予定日"} and all(p.severity == "error" for p in mine)
    copy = views.support_report_html(casebook, MONTH, NO_CONSENT, "本人")      # no employer copy: no consent
    assert _leaks(_plain(copy)) == []
    assert "池田 誠" in _plain(copy)                         # made from the readable values
    checks = _plain(views.checks_html(casebook, MONTH, {NO_CONSENT: ["本人用"]}))
    assert all(w in checks for w in HEALTH_WORDS) and "行目" in checks and "teichaku validate" in checks
    assert f"{NO_CONSENT} 池田 誠 2 0 本人用" in checks                     # whose copies lacked what
    for staff in (views.minutes_html(casebook, MONTH), views.summary_html(casebook, MONTH)):
        text = _plain(staff)
        # the two errors made here, and the demo's own warning (034's 支援開始日) and error rows
        assert text.index("ケース記録に確認事項が 4件あります") < 200       # one line at the top
        assert text.index("データの確認事項（事業所内用・4件）") > len(text) // 2   # the list after the content
        assert all(w in text for w in HEALTH_WORDS)


# --- 会議録 and 月次サマリー (in-process) ----------------------------------------------------------

def test_minutes_list_the_conference_cases_and_actions(seeded_book, store):
    markup = views.minutes_html(seeded_book, MONTH, store=store)
    text, rows = _plain(markup), _rows(markup)
    assert "2026年10月 ケース会議 会議録" in text
    assert "開催日 2026年11月5日 種別 地域連携会議" in text
    assert "外部参加者 ハローワーク 山田、主治医 佐々木 発表者 田村 浩 記録者 テスト（" in text
    assert "003 池田 誠（担当 田村 浩）" in text
    assert "欠勤が多い" in text and "欠勤率 25%" in text        # level and flags with evidence
    for axis in (f"{WORKPLACE}（003）", f"{LIFE}（003）", f"{HEALTH}（003）", f"{POLICY}（003）"):
        assert axis in text
    assert ["職場訪問で勤怠を確認", "安藤 理恵", "2026年11月20日", "未着手"] in rows
    assert ["2026年9月", "主治医と連絡をとる", "田村 浩", "2026年10月10日", "未着手", "—"] in rows
    assert "記録者: テスト（" in text                            # who recorded each review
    assert "検討の記録がない対象者" in text                    # the other agenda cases


def test_minutes_print_the_flags_the_conference_saw_after_they_clear(tmp_path):
    book = _copy_demo(tmp_path)
    casebook = load_casebook(book)
    not_shared = "005"
    with open_store(book_path=book) as store:
        case = store_month_case(casebook, store, not_shared)
        assert "report_not_shared" in case.codes
        store.save_review(Review(office=casebook.key, user_id=not_shared, month=MONTH, issues="支援レポート未送付",
                                 saved_level=case.level, saved_flags=tuple(f.as_dict() for f in case.flags)),
                          by="安藤 理恵", expected_version=None)
        store.record_report(casebook.key, not_shared, MONTH, "本人・企業", by="田村 浩", sent_on=dt.date(2026, 11, 2))
        assert "report_not_shared" not in store_month_case(casebook, store, not_shared).codes
        text = _plain(views.minutes_html(casebook, MONTH, store=store))
    assert f"{case.level} 【支援レポート未送付】" in text              # as the conference saw it
    assert "フラグはありません" not in text.split("005 ")[1].split("記録者")[0]
    assert "会議の後に解消したフラグ: 「支援レポート未送付」" in text
    assert "記録者: 安藤 理恵（" in text


def store_month_case(casebook, store, user_id):
    from teichaku_nb.office_month import OfficeMonth
    return OfficeMonth(casebook, MONTH, store).agenda.case(user_id)


def test_minutes_without_a_store_say_so(seeded_book):
    text = views.minutes_html(seeded_book, MONTH, store=None, store_note="会議記録のデータベースがありません（テスト）")
    assert "会議記録のデータベースがありません（テスト）" in text
    assert "検討の記録がない対象者（29人）" in text


def test_summary_shows_compliance_flags_retention_handovers_and_overdue(seeded_book, store):
    markup = views.summary_html(seeded_book, MONTH, store=store, today=dt.date(2026, 10, 31))
    text, rows = _plain(markup), _rows(markup)
    review = rules.agenda(seeded_book, MONTH, shared_reports=store.shared_reports_frame(seeded_book.key),
                          open_actions=store.open_actions_frame(seeded_book.key, MONTH))
    assert f"支援中の利用者 {len(review.cases)}人" in text
    assert "本人との対面の面談（毎月）" in text and "支援レポートの送付" in text and "個別支援計画（作成・見直し・同意）" in text
    for kind in rules.FLAG_KINDS:                              # Japanese names, never the codes
        assert kind.label in text and kind.code not in markup
    result = retention.of_fiscal_year(seeded_book, 2026, today=dt.date(2026, 10, 31))
    assert retention.format_rate(result.rate) in text and re.search(r"\d+\.\d%", retention.format_rate(result.rate))
    assert retention.format_units(result.units) in text and result.tier in text
    assert "2027年度）の見込み" in text
    assert ["027", "清水 結衣", "河野 聡", "2026年12月24日", "要対応",
            "支援終了予定日は 2026年12月24日、引継ぎの期限は 2026年9月24日 です。まだ済んでいないこと: "
            "関係機関・医療機関との引継ぎ。期限を過ぎています（事業所の支援体制構築未実施減算の対象になりえます）"] in rows
    assert "主治医と連絡をとる" in text                          # overdue at the month's end
    assert ["引継ぎの準備", "要対応", "1人", "027"] in rows          # the level it was raised at
    assert markup.count('<svg class="bar-chart"') == 2          # levels and flags charts, drawn in the document
    assert "<text x=\"162\" y=\"" in markup and ">勤怠の悪化</text>" in markup   # a bar's label, as text


def test_summary_has_the_fee_check_who_cannot_be_billed_and_why_the_reductions(seeded_book, store):
    markup = views.summary_html(seeded_book, MONTH, store=store, today=dt.date(2026, 10, 31))
    text, rows = _plain(markup), _rows(markup)
    bill = billing.month_billing(seeded_book, MONTH, shared_reports=store.shared_reports_frame(seeded_book.key),
                                 regional=store.regional_reviews_frame(seeded_book.key), today=dt.date(2026, 10, 31))
    totals = bill.totals
    assert f"算定可 {totals['billable']}人 要確認 {totals['to_check']}人 算定不可 {totals['not_billable']}人" in text
    assert totals["billable"] + totals["to_check"] + totals["not_billable"] == len(bill.people) > 0
    # 029's report went to the employer only: the month cannot be billed, and the summary says why
    assert ["029", "山田 誠", "算定不可", "2026年10月の支援レポートを企業にだけ渡した記録です（本人に渡した記録がありません）"] in rows
    # 027's handover was late: the office's 10 % for everyone billed, one row with the units it took off
    counted = [p for p in bill.people if p.status != billing.NOT_BILLABLE]
    taken = sum(r.units for p in counted for r in p.reductions if r.code == "handover_missing")
    assert ["全員", f"{len(counted)}人", "支援体制構築未実施減算", f"{taken:,}単位"] in rows
    assert "027 清水 結衣（期限 2026年9月24日までに 関係機関・医療機関との引継ぎ がありません）" in text
    (lapse,) = [p.reductions[0] for p in bill.people if p.user_id == "026"]
    assert ["026", "吉田 大輔", billing.reduction_text(lapse), f"{lapse.units:,}単位"] in rows
    assert f"請求の合計 {billing.claim_sentence(totals, bill.unit_price)}" in text
    assert "利用者負担額（給付費との分け方）と国保連への請求ファイルはこの確認に含まれません" in text
    assert "plan_missing" not in markup and "handover_missing" not in markup


def test_summary_has_the_track_record_of_the_year_with_whom_it_counts(seeded_book, store):
    markup = views.summary_html(seeded_book, MONTH, store=store, today=dt.date(2026, 10, 31))
    text, rows = _plain(markup), _rows(markup)
    assert "就労定着実績体制加算（2026年度）: 2020年4月1日〜2026年3月31日に支援を終えた 3人" in text
    assert ["020", "木村 浩二", "42か月以上", "就労確認 2026年7月9日 継続（企業）"] in rows
    assert ["025", "橋本 悠斗", "42か月未満", "離職日 2026年2月11日（42か月より前）"] in rows


def test_the_summarys_people_charts_count_in_whole_numbers():
    from teichaku_nb import charts

    for counts in ({"注意": 1, "要対応": 2}, {"安定": 23, "注意": 7}):
        chart = charts.bar_chart(pd.Series(counts), title="区分ごとの人数")
        assert [k for _, k in chart["ticks"]] == list(range(0, chart["ticks"][-1][1] + 1, chart["ticks"][1][1]))
        assert all(isinstance(k, int) for _, k in chart["ticks"]) and chart["ticks"][-1][1] >= max(counts.values())
        assert [b["label"] for b in chart["bars"]] == sorted(counts, key=counts.get, reverse=True)


# --- through the notebooks, one kernel (slow) -----------------------------------------------------

@pytest.mark.slow
def test_making_support_reports_writes_both_copies_and_records_nothing(tmp_path):
    from teichaku_nb.reports import make_reports

    book = _copy_demo(tmp_path / "office")
    casebook = load_casebook(book)
    out = tmp_path / "out"
    calls = []
    assert "report_not_shared" in rules.agenda(casebook, MONTH).case("005").codes

    batch = make_reports("support", book, "2026-10", user="005", out_dir=out,
                         progress=lambda done, total: calls.append((done, total)))
    assert sorted(p.name for p in batch.paths) == sorted(
        [f"{casebook.office}_支援レポート_2026-10_005_{label}.html" for label in ("本人用", "企業用")]
        + [f"{casebook.office}_確認事項_2026-10.html"])
    own = _text(out / f"{casebook.office}_支援レポート_2026-10_005_本人用.html")
    assert "長谷川 翔太 様" in own and "<header class=\"doc-header\">" in own
    assert "2026年10月" in own and casebook.office in own
    assert "import" not in _without_images(own)                # no code in the document
    assert "<script" not in own                                # nothing executable either
    assert calls[-1] == (3, 3)                                 # the two copies and the 確認事項
    assert not default_path(book).exists()                     # nothing recorded, no store made


@pytest.mark.slow
def test_cli_support_batch_is_for_the_reviewed_people_and_a_small_one_runs_in_one_kernel(tmp_path, capsys, monkeypatch):
    from nbclient import NotebookClient

    from teichaku_nb import cli

    starts = []
    start = NotebookClient.async_start_new_kernel

    async def counted(self, **kwargs):
        starts.append(1)
        return await start(self, **kwargs)

    monkeypatch.setattr(NotebookClient, "async_start_new_kernel", counted)
    book = _copy_demo(tmp_path / "office")
    casebook = load_casebook(book)
    _seed_store(book, office=casebook.key)                       # 003 and 004 are reviewed
    with open_store(book_path=book) as store:
        before = store.history()                                     # every change to the records
    out = tmp_path / "out"
    assert cli.main(["report", "support", str(book), "--month", "2026-10", "--out", str(out)]) == 0
    assert len(starts) == 1                                          # one kernel for the batch
    assert sorted(p.name.split("_", 3)[3] for p in _copies(out.glob("*.html"))) == [
        f"{NO_CONSENT}_本人用.html", f"{WITH_CONSENT}_企業用.html", f"{WITH_CONSENT}_本人用.html"]
    captured = capsys.readouterr()
    assert "4/4" in captured.err                       # the progress bar: three copies and the 確認事項
    assert (f"企業共有同意が「はい」でない 1人は、企業用の支援レポートを作っていません（本人用だけです）: "
            f"{NO_CONSENT} 池田 誠") in captured.err
    people = rules.agenda(casebook, MONTH).cases
    assert f"その月に検討の記録がない {len(people) - 2}人の支援レポートは作っていません" in captured.err
    assert "--all" in captured.err and "teichaku sent" in captured.err
    with open_store(book_path=book) as store:                         # made, not recorded (no sending):
        assert store.history() == before and store.issued_reports() == []
        made = [e for e in store.access_entries() if e["action"] == "document_made"]   # but logged
    assert {n for e in made for n in e["document"].split(",")} == {p.name for p in out.iterdir()}

    assert cli.main(["report", "support", str(book), "--month", "2026-10", "--all", "--for", "本人",
                     "--out", str(tmp_path / "all")]) == 0
    assert len(_copies((tmp_path / "all").glob("*.html"))) == len(people)
    from teichaku_nb.reports import RUN_SIZE
    assert len(people) * 1 > RUN_SIZE                                   # several runs of the notebook,
    assert len(starts) == 2                                            # in one kernel


@pytest.mark.slow
def test_a_report_batch_reads_the_workbook_once(tmp_path, monkeypatch):
    """The command reads the book; the report kernel works from that reading: the book is moved
    away before the kernel starts, and the documents are still made."""
    from teichaku_nb import cli, reports, workbook

    book = _copy_demo(tmp_path / "office")
    reads = []
    load = workbook.load_casebook
    monkeypatch.setattr(workbook, "load_casebook", lambda *a, **k: reads.append(a[0]) or load(*a, **k))
    execute = reports._execute

    async def without_the_book(*args, **kwargs):
        book.rename(tmp_path / "moved.xlsx")
        return await execute(*args, **kwargs)

    monkeypatch.setattr(reports, "_execute", without_the_book)
    out = tmp_path / "out"
    assert cli.main(["report", "support", str(book), "--month", "2026-10", "--user", WITH_CONSENT,
                     "--out", str(out)]) == 0
    assert len(reads) == 1 and len(_copies(out.glob("*.html"))) == 2


@pytest.mark.slow
def test_cli_sent_records_lists_and_withdraws_and_the_history_keeps_both(tmp_path, capsys):
    from teichaku_nb import cli

    book = _copy_demo(tmp_path / "office")
    casebook = load_casebook(book)
    _seed_store(book, office=casebook.key)
    flagged = lambda: [c.user_id for c in store_review(book, casebook).cases if "report_not_shared" in c.codes]
    assert "005" in flagged()
    assert cli.main(["sent", str(book), "--month", "2026-10", "--to", "本人・企業", "--user", "005",
                     "--date", "2026-11-05", "--by", "田村 浩"]) == 0
    assert "送付を記録しました: [1] 005 長谷川 翔太　2026年10月分　本人・企業　送付日 2026年11月5日　記録 田村 浩" in \
        capsys.readouterr().out
    assert "005" not in flagged()
    assert cli.main(["sent", str(book), "--month", "2026-10", "--to", "本人", "--reviewed", "--by", "田村 浩"]) == 0
    out = capsys.readouterr().out
    assert f"[2] {NO_CONSENT} 池田 誠" in out and f"[3] {WITH_CONSENT}" in out
    assert cli.main(["sent", str(book), "--month", "2026-10", "--withdraw", "1", "--by", "山田 花子",
                     "--reason", "企業には未送付"]) == 0
    assert "005" in flagged()
    assert cli.main(["sent", str(book), "--month", "2026-10"]) == 0
    listing = capsys.readouterr().out
    assert "（取消 山田 花子" in listing and "理由 企業には未送付" in listing and "3件" in listing
    with open_store(book_path=book) as store:
        entries = [e for e in store.history(casebook.key, "005") if e.record_kind == "issued_reports"]
    assert [(e.operation, e.changed_by) for e in entries] == [("create", "田村 浩"), ("update", "山田 花子")]
    # a day after today, or a recipient without people, is refused and records nothing
    assert cli.main(["sent", str(book), "--month", "2026-10", "--to", "本人", "--user", "006",
                     "--date", (dt.date.today() + dt.timedelta(days=2)).isoformat()]) == 2
    assert cli.main(["sent", str(book), "--month", "2026-10", "--to", "本人"]) == 2
    assert "今日より後" in capsys.readouterr().err
    with open_store(book_path=book) as store:
        assert len(store.issued_reports(casebook.key, MONTH, include_withdrawn=True)) == 3


def store_review(book: Path, casebook):
    from teichaku_nb.office_month import OfficeMonth
    with open_store(book_path=book) as store:
        return OfficeMonth(casebook, MONTH, store).agenda


@pytest.mark.slow
def test_cli_minutes_and_summary(seeded, tmp_path):
    from teichaku_nb import cli

    office = load_casebook(seeded).office
    out = tmp_path / "out"
    assert cli.main(["report", "minutes", str(seeded), "--month", "2026-10", "--out", str(out)]) == 0
    minutes = _text(out / f"{office}_会議録_2026-10.html")
    assert "地域連携会議" in minutes and html.escape(SCRIPT) in minutes and SCRIPT not in minutes
    assert cli.main(["report", "summary", str(seeded), "--month", "2026-10", "--out", str(out)]) == 0
    summary = _text(out / f"{office}_月次サマリー_2026-10.html")
    assert "就労定着率" in summary and '<svg class="bar-chart"' in summary


@pytest.mark.slow
def test_cli_minutes_without_a_store_still_makes_the_report(tmp_path):
    from teichaku_nb import cli

    book = _copy_demo(tmp_path / "office")
    out = tmp_path / "out"
    assert cli.main(["report", "minutes", str(book), "--month", "2026-10", "--out", str(out)]) == 0
    (minutes,) = out.glob("*.html")
    assert "会議記録のデータベースがありません" in _text(minutes)
    assert not default_path(book).exists()                    # reading never creates a store


def test_cli_report_argument_errors(tmp_path, capsys):
    from teichaku_nb import cli

    book = _copy_demo(tmp_path)
    assert cli.main(["report", "minutes", str(book), "--month", "2026-10", "--user", "001"]) == 2
    assert cli.main(["report", "support", str(tmp_path / "missing.xlsx"), "--month", "2026-10"]) == 2
    with pytest.raises(SystemExit) as exit_:
        cli.main(["report", "support", str(book), "--month", "2026-13"])
    assert exit_.value.code == 2
    assert "エラー" in capsys.readouterr().err


def test_no_employer_copy_and_no_employer_sending_without_consent_from_the_command_line(tmp_path, capsys):
    from teichaku_nb import cli

    book = _copy_demo(tmp_path / "office")
    out = tmp_path / "out"
    assert cli.main(["report", "support", str(book), "--month", "2026-10", "--user", NO_CONSENT, "--for", "企業",
                     "--out", str(out)]) == 2
    assert "池田 誠 さんは企業共有同意が「はい」ではないため、企業用の支援レポートは作りません" in capsys.readouterr().err
    assert not out.exists() or not list(out.iterdir())
    for to in ("企業", "本人・企業"):
        assert cli.main(["sent", str(book), "--month", "2026-10", "--to", to, "--user", NO_CONSENT,
                         "--user", WITH_CONSENT]) == 2
        err = capsys.readouterr().err
        assert f"企業共有同意が「はい」でない人の支援レポートは企業に渡せないため、記録しません: {NO_CONSENT} 池田 誠" in err
    assert cli.main(["sent", str(book), "--month", "2026-10", "--to", "本人", "--user", NO_CONSENT]) == 0
    with open_store(book_path=book) as store:                       # nothing of the refused ones was recorded
        assert [(r.user_id, r.recipient) for r in store.issued_reports()] == [(NO_CONSENT, "本人")]


def test_pdf_without_chromium_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    from teichaku_nb import cli
    from teichaku_nb.reports import NoBrowser, make_reports

    monkeypatch.setenv("TEICHAKU_CHROMIUM", str(tmp_path / "no-chromium"))
    book = _copy_demo(tmp_path)
    with pytest.raises(NoBrowser, match="apt install chromium"):
        make_reports("summary", book, "2026-10", fmt="pdf", out_dir=tmp_path / "out")
    assert cli.main(["report", "summary", str(book), "--month", "2026-10", "--format", "pdf",
                     "--out", str(tmp_path / "out")]) == 2
    assert "apt install chromium" in capsys.readouterr().err


@pytest.mark.slow
def test_pdf_has_the_japanese_headings_and_page_numbers(tmp_path):
    from teichaku_nb.pdf import find_chromium
    from teichaku_nb.reports import make_reports

    if find_chromium() is None:
        pytest.skip("Chromium is not installed (apt install chromium)")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt install poppler-utils)")
    book = _copy_demo(tmp_path / "office")
    _seed_store(book, office=load_casebook(book).key)
    out = tmp_path / "out"
    (pdf,) = _copies(make_reports("support", book, "2026-10", user="003", audience="本人", fmt="pdf",
                                  out_dir=out).paths)
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for heading in ("支援レポート（本人用）", "今月の支援（面談・連絡）", "勤怠と体調", "個別支援計画の目標",
                    "今月の様子と来月の予定", "池田 誠 様"):
        assert heading in text
    assert re.search(r"1\s*/\s*\d", text)                      # page numbers in the footer
    assert not list(out.glob("*.html"))                        # PDF only


@pytest.mark.slow
def test_the_summary_pdf_says_the_rate_on_evidence_whom_to_confirm_and_who_is_at_risk(tmp_path):
    from teichaku_nb.pdf import find_chromium
    from teichaku_nb.reports import make_reports

    if find_chromium() is None or shutil.which("pdftotext") is None:
        pytest.skip("Chromium and pdftotext are needed (apt install chromium poppler-utils)")
    book = _copy_demo(tmp_path / "office")
    (pdf,) = make_reports("summary", book, "2026-10", fmt="pdf", out_dir=tmp_path / "out").paths
    text = re.sub(r"\s+", " ", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                              check=True).stdout)
    # the projection judged on 2026年10月31日: a 継続 check from 9月30日 on confirms; 030's of 10月9日
    # does, 015's latest says 離職 and 020's is from July
    assert "就労確認のある人だけで 83.3%（就労中 30人 / 対象 36人）→ 80%以上90%未満・2,768単位" in text
    assert "就労の確認が要る人（2026年10月末時点・2人）" in text and "後藤 麻衣" in text and "木村 浩二" in text
    assert "2026年10月17日 離職" in text
    # the projection: 2,768 units × 10円 × 25.75 people a month × 12 = 8,553,120円; one leaving:
    # 88.9% → 86.1%, the same tier
    assert "年間およそ8,553,120円" in "".join(text.split())
    assert "離職されると見込みが変わる人（2026年10月に要対応・注意の人）" in text
    assert "区分（80%以上90%未満）は変わらず、基本報酬は変わらない見込みです" in "".join(text.split())
    assert "金額はすべて見込みです" in text                       # stated as an estimate, with its assumptions


def _pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext -layout; pages end with a form feed)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


def test_the_pdf_header_line_stays_text_in_the_printed_pages_css(tmp_path):
    """The header line (office names come from the workbook) is a CSS string inside a
    <style> element of the page Chromium prints: markup in it must stay text."""
    from teichaku_nb.pdf import Document, combined_html

    header = f'デモ"; }} </style>{SCRIPT}\\ \n　2026年10月'
    source = tmp_path / "doc.html"
    source.write_text("<html><head><title>t</title><style>p {}</style></head><body><p>本文</p></body></html>",
                      encoding="utf-8")
    page = combined_html([Document(source, tmp_path / "doc.pdf", header)] * 2)
    assert "<script>" not in page and page.count("</style>") == 2
    literal = re.search(r'content: "((?:[^"\\]|\\[0-9a-f]+ )*)";', page).group(1)
    assert re.sub(r"\\([0-9a-f]+) ", lambda m: chr(int(m.group(1), 16)), literal) == header
    assert page.count("<p>本文</p>") == 2 and page.count('class="pdf-mark"') == 2


def test_a_printed_batch_without_its_markers_is_refused_not_cut_anywhere(tmp_path):
    import pikepdf

    from teichaku_nb.pdf import Document, PrintError, split

    printed = tmp_path / "printed.pdf"
    with pikepdf.new() as pdf:
        for _ in range(3):
            pdf.add_blank_page()
        pdf.save(printed)
    documents = [Document(tmp_path / f"{n}.html", tmp_path / f"{n}.pdf", "見出し") for n in range(2)]
    with pytest.raises(PrintError, match="文書ごとに分けられませんでした"):
        split(printed, documents)
    assert not list(tmp_path.glob("[01].pdf"))


@pytest.mark.slow
def test_a_pdf_batch_gives_each_copy_its_own_file_header_and_page_numbers(tmp_path):
    """The batch is printed in one go and cut apart: every file must hold exactly one
    person's copy, from its own first page, numbered 1 / N .. N / N of its own pages."""
    import pikepdf

    from teichaku_nb.pdf import MARK, find_chromium
    from teichaku_nb.reports import make_reports

    if find_chromium() is None:
        pytest.skip("Chromium is not installed (apt install chromium)")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt install poppler-utils)")
    book = _copy_demo(tmp_path / "office")
    loaded = load_casebook(book)
    names = dict(zip(loaded.users["user_id"], loaded.users["name"]))
    agenda = sorted(c.user_id for c in rules.agenda(loaded, MONTH).cases)
    paths = _copies(make_reports("support", book, MONTH, fmt="pdf", out_dir=tmp_path / "out",
                                 include_unreviewed=True).paths)

    def squeeze(text: str) -> str:
        return re.sub(r"\s+", " ", text)

    consenting = [u for u in agenda if loaded.shares_with_employer(u)]
    assert len(paths) == len(agenda) + len(consenting) and len(agenda) > 10 and 0 < len(consenting) < len(agenda)
    assert {re.search(r"_(\w+?)_企業用\.pdf$", p.name).group(1) for p in paths if "企業用" in p.name} == set(consenting)
    for path in paths:
        user_id, label = re.search(r"_(\w+?)_(本人用|企業用)\.pdf$", path.name).groups()
        pages = _pdf_pages(path)
        whole = squeeze("\n".join(pages))
        assert f"支援レポート（{label}）" in pages[0] and squeeze(names[user_id]) in squeeze(pages[0]), path.name
        others = [squeeze(names[u]) for u in agenda if u != user_id]
        assert not [n for n in others if n in whole and n not in squeeze(names[user_id])], path.name
        for number, page in enumerate(pages, 1):
            assert loaded.office in page and "2026年10月" in page           # the header line
            assert re.search(rf"\b{number}\s*/\s*{len(pages)}\s*$", page.rstrip()), (path.name, number)
        with pikepdf.open(path) as document:
            # the file holds its own pages and nothing of another document's
            page_objects = [o for o in document.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Page"]
            assert len(page_objects) == len(document.pages) == len(pages), path.name
            links = [str(a.get("/A", {}).get("/URI", "")) for p in document.pages for a in p.obj.get("/Annots", [])]
            assert not [u for u in links if u.startswith(MARK)]
            assert str(document.docinfo["/Title"]).endswith(f"支援レポート（{label}）")


@pytest.mark.slow
def test_the_signature_of_a_copy_never_stands_alone_on_its_last_page(tmp_path, seeded_book, store):
    """A 支援レポート whose words end at a page's foot: the signature goes over with the last lines
    (report.css), never alone.  The copies are laid out as the template lays one out: a block,
    an unbreakable one (勤怠と体調) pushed to the next page, the words, the signature; the words
    grow a line at a time, so one of them ends at the foot of the page whatever the fonts."""
    import asyncio

    from teichaku_nb.pdf import Document, find_chromium, print_pdfs
    from teichaku_nb.reports import TEMPLATE_DIR, TEMPLATE_NAME

    if find_chromium() is None or shutil.which("pdftotext") is None:
        pytest.skip("Chromium and pdftotext are needed (apt install chromium poppler-utils)")
    real = views.support_report_html(seeded_book, MONTH, NO_CONSENT, "本人", store=store)
    signature = re.search(r'<p class="signature">[^<]*</p>\s*</article>', real).group(0)   # the copy's last line
    css = (TEMPLATE_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")
    documents = []
    for n in range(1, 25):
        words = "<br>".join(f"{i}. 来月も面談で一緒に確認しましょう。" for i in range(1, n + 1))
        body = ('<article class="doc support for-person"><h1 class="doc-title">支援レポート</h1>'
                '<section><h2>今月の支援</h2><div style="height: 140mm"></div></section>'
                '<section class="keep"><h2>勤怠と体調</h2><div style="height: 150mm"></div></section>'
                f'<section class="words"><h2>今月の様子と来月の予定</h2><p>{words}</p></section>{signature}')
        page = tmp_path / f"copy-{n}.html"
        page.write_text(f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><style>{css}</style></head>'
                        f"<body><main>{body}</main></body></html>", encoding="utf-8")
        documents.append(Document(page, tmp_path / f"copy-{n}.pdf", "デモ 2026年10月 支援レポート（本人用）"))
    print_pdfs(documents, executable=find_chromium(), staging=tmp_path)
    signed = _plain(signature)
    for n, document in enumerate(documents, 1):
        last = _body_lines(_pdf_pages(document.pdf)[-1])
        assert last[-1].strip() == signed and len(last) > 1, (n, last)


def _body_lines(page: str) -> list[str]:
    """A printed page's lines without the header line (top margin) and the page number."""
    lines = [line for line in page.splitlines() if line.strip()]
    assert re.fullmatch(r"\s*\d+\s*/\s*\d+", lines[-1]), lines[-1]
    return lines[1:-1]


@pytest.mark.slow
def test_printed_copies_carry_nothing_internal_and_the_staff_checks_do(tmp_path, capsys):
    from teichaku_nb import cli
    from teichaku_nb.pdf import find_chromium
    from teichaku_nb.reports import make_reports

    if find_chromium() is None or shutil.which("pdftotext") is None:
        pytest.skip("Chromium and pdftotext are needed (apt install chromium poppler-utils)")
    book = _book_with_private_errors(tmp_path / "office")
    batch = make_reports("support", book, MONTH, user=NO_CONSENT, fmt="pdf", out_dir=tmp_path / "out")
    assert len(batch.documents) == 1 and len(batch.checks) == 1             # 本人用 only: no consent
    for copy in batch.documents:
        text = "\n".join(_pdf_pages(copy))
        assert "池田 誠" in text and _leaks(text) == [], copy.name
    checks = "\n".join(_pdf_pages(batch.checks[0]))
    assert all(w in checks for w in HEALTH_WORDS) and "行目" in checks and "teichaku validate" in checks
    assert [(p["user_id"], p["errors"]) for p in batch.affected] == [(NO_CONSENT, 2)]
    # the command line says whose copies lacked what, and where the 確認事項 is
    assert cli.main(["report", "support", str(book), "--month", "2026-10", "--user", NO_CONSENT,
                     "--out", str(tmp_path / "cli")]) == 1                 # the book has errors
    err = capsys.readouterr().err
    assert f"次の 1人の支援レポートは、その人の行にエラーがあるため読める値だけで作りました: {NO_CONSENT} 池田 誠" in err
    assert "確認事項（事業所内用。渡さないでください）" in err and "エラー 3件" in err


@pytest.mark.slow
def test_the_printed_documents_read_well(tmp_path):
    """A reviewed person's 支援レポート takes at most 2 A4 pages a copy; no page of any document
    holds fewer than 5 lines of body; words in tables are never broken; no flag code is
    printed.  The pages are kept as images in reports/test-artifacts/documents."""
    from teichaku_nb.pdf import find_chromium
    from teichaku_nb.reports import make_reports

    if find_chromium() is None or shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("Chromium and poppler-utils are needed (apt install chromium poppler-utils)")
    book = _book_with_private_errors(tmp_path / "office")
    _seed_store(book, office=load_casebook(book).key)
    out = tmp_path / "out"
    support = make_reports("support", book, MONTH, fmt="pdf", out_dir=out)
    documents = {"support": support.documents, "checks": support.checks,
                 **{kind: make_reports(kind, book, MONTH, fmt="pdf", out_dir=out).paths for kind in ("minutes", "summary")}}
    assert len(documents["support"]) == 3          # 003 and 004 are reviewed; 003 has no employer copy
    artifacts = REPO / "reports" / "test-artifacts" / "documents"
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    for kind, pdfs in documents.items():
        for pdf in pdfs:
            pages = _pdf_pages(pdf)
            if kind == "support":
                assert len(pages) <= 2, pdf.name
            for number, page in enumerate(pages, 1):
                assert len(_body_lines(page)) >= 5, (pdf.name, number, page)
            text = "\n".join(pages)
            assert not [k.code for k in rules.FLAG_KINDS if k.code in text], pdf.name
            for word in ("次回予定日", "支援レポート", "本人との接触が空いている"):   # never broken across lines
                assert text.count(word[:-1]) == text.count(word), (pdf.name, word)
            subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(artifacts / pdf.stem)], check=True)
    checks = "\n".join(_pdf_pages(documents["checks"][0]))
    assert "次回予定日" in checks and "支援レポート" in checks                 # a column and a sheet in the list
    assert len(list(artifacts.glob("*.png"))) >= 4 + 3
    with open_store(book_path=book) as store:                            # made, never recorded as sent
        assert store.issued_reports(include_withdrawn=True) == []
    # the emoji prints in colour (the colour emoji font), not as an empty box
    from PIL import Image

    copy = next(p for p in documents["support"] if p.name.endswith(f"_{NO_CONSENT}_本人用.pdf"))
    assert "😊" in "\n".join(_pdf_pages(copy))
    pages = sorted(artifacts.glob(f"{copy.stem}-*.png"))
    yellow = sum(1 for page in pages for r, g, b in Image.open(page).convert("RGB").get_flattened_data()
                 if r > 200 and 140 < g < 230 and b < 90)
    assert yellow > 5


@pytest.mark.slow
def test_report_notebooks_pass_nbval_lax(tmp_path):
    """The notebooks run as they are (defaults: the bundled demo data, 2026-10)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(REPO / "teichaku_nb" / "report_notebooks")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    notebooks = list((REPO / "teichaku_nb" / "report_notebooks").glob("*.ipynb"))
    assert len(notebooks) == len(documents.KINDS)                  # one a kind of document
    assert re.search(rf"\b{2 * len(notebooks)} passed\b", result.stdout), result.stdout[-2000:]   # 2 code cells each
    assert not default_path(DEMO).exists()                    # the notebooks only read: no store made


# --- a folder of offices, empty batches, a --db that names nothing ------------------------------

@pytest.mark.slow
def test_one_office_of_a_folder_gets_only_its_own_persons_report(tmp_path):
    """IDs are unique within an office only: asking for office A's 001 must not make office B's 001."""
    from teichaku_nb.demo import make_demo
    from teichaku_nb.reports import ReportError, make_reports
    from teichaku_nb.workbook import load_source

    folder = tmp_path / "offices"
    make_demo(folder, users=12, months=6, offices=2, seed=3, end=pd.Period("2026-10", "M"))
    books, _ = load_source(folder)
    first, second = books[0], books[1]
    shared = sorted(set(first.users["user_id"]) & set(second.users["user_id"]))
    assert shared, "the demo offices should share some IDs"
    user = shared[0]
    with pytest.raises(ReportError, match=f"利用者ID {user} は複数の事業所.*{first.office}（{first.key}）.*--office"):
        make_reports("support", folder, "2026-10", user=user, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    paths = make_reports("support", folder, "2026-10", user=user, audience="本人", office=first.office,
                         out_dir=tmp_path / "out").paths
    assert [p.name for p in paths] == [f"{first.office}_支援レポート_2026-10_{user}_本人用.html"]
    from teichaku_nb import cli                                      # the command line's --office
    assert cli.main(["report", "summary", str(folder), "--month", "2026-10", "--office", second.office,
                     "--out", str(tmp_path / "cli")]) == 0
    assert [p.name for p in (tmp_path / "cli").iterdir()] == [f"{second.office}_月次サマリー_2026-10.html"]
    assert cli.main(["report", "summary", str(folder), "--month", "2026-10", "--office", "どこにもない",
                     "--out", str(tmp_path / "cli")]) == 2
    assert not default_path(folder).exists()                    # made, nothing recorded


def test_a_month_without_anyone_on_the_agenda_makes_nothing_and_starts_no_kernel(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    from teichaku_nb.reports import make_reports

    async def no_kernel(self, **kwargs):
        raise AssertionError("a kernel was started for an empty batch")

    monkeypatch.setattr(NotebookClient, "async_start_new_kernel", no_kernel)
    book = _copy_demo(tmp_path / "office")
    assert make_reports("support", book, "2019-04", out_dir=tmp_path / "out", include_unreviewed=True).paths == []
    assert not list((tmp_path / "out").glob("*"))


def test_minutes_with_a_db_that_names_nothing_is_an_argument_error(tmp_path, capsys):
    from teichaku_nb import cli

    book = _copy_demo(tmp_path / "office")
    typo = tmp_path / "typo.sqlite"
    assert cli.main(["report", "minutes", str(book), "--month", "2026-10", "--db", str(typo),
                     "--out", str(tmp_path / "out")]) == 2
    assert f"会議記録のデータベースが見つかりません: {typo}" in capsys.readouterr().err
    assert not typo.exists() and not (tmp_path / "out").exists()


def test_the_report_notebooks_are_package_data():
    """make_reports finds the notebooks inside the package, where they are files of their own
    (no link to a folder elsewhere), and an installed package has them (pyproject's package-data)."""
    import tomllib

    from teichaku_nb.paths import report_notebook_dir

    folder = report_notebook_dir()
    assert folder == REPO / "teichaku_nb" / "report_notebooks" and not folder.is_symlink()
    assert sorted(p.name for p in folder.glob("*.ipynb")) == ["checks.ipynb", "evidence.ipynb", "minutes.ipynb",
                                                                 "plan.ipynb", "summary.ipynb", "support.ipynb"]
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert f"{folder.name}/*.ipynb" in package_data["teichaku_nb"]


@pytest.mark.slow
def test_inside_a_jupyter_kernel_the_documents_run_in_one_kernel_kept_beside_it(tmp_path):
    """A page of the app is a Jupyter kernel, where a second IPython shell cannot live: its
    documents run in one kernel process of their own, started once and kept for the next."""
    import nbformat
    from nbclient import NotebookClient

    book = _copy_demo(tmp_path / "office")
    code = f"""
import os
from teichaku_nb import kernels, reports
reports.warm_up()
kept = kernels.for_this_process()
made, pids = [], []
for kind in ("minutes", "summary"):
    made += reports.make_reports(kind, {str(book)!r}, "2026-10", out_dir={str(tmp_path / "out")!r}).documents
    pids.append(kept.pid)
print(type(kept).__name__, pids[0] == pids[1], None not in pids and os.getpid() not in pids, [p.name for p in made])
"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert printed.startswith("Kept True True "), printed
    assert "_会議録_2026-10.html" in printed and "_月次サマリー_2026-10.html" in printed
    assert "月次サマリー" in next((tmp_path / "out").glob("*_月次サマリー_*.html")).read_text(encoding="utf-8")


def test_documents_made_in_this_process_leave_it_as_it_was(tmp_path):
    """The command line's kernel runs in its own process: afterwards the process's environment,
    ``__main__`` and its streams and hooks are what they were (the shell of an in-process kernel
    sets its own: TERM, FORCE_COLOR …)."""
    book = _copy_demo(tmp_path / "office")
    script = f"""
import os, sys
from teichaku_nb.reports import make_reports
before = (dict(os.environ), sys.modules["__main__"], sys.stdout, sys.stderr, sys.excepthook, sys.displayhook)
made = make_reports("minutes", {str(book)!r}, "2026-10", out_dir={str(tmp_path / "out")!r}).documents
after = (dict(os.environ), sys.modules["__main__"], sys.stdout, sys.stderr, sys.excepthook, sys.displayhook)
print(len(made), [a == b if i == 0 else a is b for i, (a, b) in enumerate(zip(before, after))])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TERM")})
    assert done.stdout.strip() == "1 [True, True, True, True, True, True]", done.stdout + done.stderr[-2000:]


def test_ctrl_c_inside_a_cell_run_in_this_process_interrupts_the_batch_and_is_no_bug_report():
    """IPython turns a KeyboardInterrupt inside a cell into the cell's error: the command must
    still see Ctrl-C (and say 中断しました), not 「エラーが起きました」."""
    import asyncio

    import nbformat

    from teichaku_nb import kernels

    async def interrupted() -> None:
        async with kernels.InProcess() as kernel:
            await kernel.run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise KeyboardInterrupt")]))

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(interrupted())
