"""Reports (issue 6): 会議録, 支援レポート (本人用 / 企業用), 月次サマリー in HTML and PDF.

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
from teichaku_nb import rules
from teichaku_nb.store import Action, Conference, Review, default_path, open_store
from teichaku_nb.workbook import load_casebook

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo.xlsx"
MONTH = pd.Period("2026-10", freq="M")
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
LIFE = "生活: 夜更かしが続き、朝食を抜いている"
HEALTH = "心身: 服薬の調整で通院している"
WORKPLACE = "職場: 新しい作業にも慣れてきた"
WISHES = "本人の意向: 週5日勤務を続けたい"
POLICY = "方針: 来月も職場訪問で作業手順を確認する"
NO_CONSENT = "003"      # 企業共有同意 いいえ in the demo
WITH_CONSENT = "004"    # はい


# --- helpers ---------------------------------------------------------------------------------------

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
    """A conference for M with reviews of 003 (no consent) and 004 (consent), and actions."""
    with open_store(book_path=book) as store:
        conference = store.save_conference(Conference(
            office=office, month=MONTH, held_on=dt.date(2026, 11, 5), kind="地域連携会議",
            attendees=("安藤 理恵", "田村 浩"), outside_participants=("ハローワーク 山田", "主治医 佐々木"),
            presenter="田村 浩"), by="テスト")
        for user_id in (NO_CONSENT, WITH_CONSENT):
            store.save_review(Review(
                office=office, user_id=user_id, month=MONTH, conference_id=conference.id,
                workplace=f"{WORKPLACE}（{user_id}）", life=f"{LIFE}（{user_id}）", health=f"{HEALTH}（{user_id}）",
                issues=f"課題: 欠勤の増加 {SCRIPT}", policy=f"{POLICY}（{user_id}）", wishes=WISHES,
                judgement="要対応"), by="テスト", expected_version=None)
        store.add_action(Action(office=office, user_id=NO_CONSENT, month=MONTH - 1, content="主治医と連絡をとる",
                                owner="田村 浩", due_on=dt.date(2026, 10, 10)), by="テスト")
        store.add_action(Action(office=office, user_id=NO_CONSENT, month=MONTH, content="職場訪問で勤怠を確認",
                                owner="安藤 理恵", due_on=dt.date(2026, 11, 20), conference_id=conference.id),
                         by="テスト")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _without_images(markup: str) -> str:
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "DATA", markup)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """The demo workbook with markup typed into shown cells, and a seeded store beside it."""
    book = _copy_demo(tmp_path_factory.mktemp("seeded"))
    _set_cells(book, "利用者", {"利用者ID": "002"}, {"氏名": f"長谷川 {SCRIPT}"})
    _set_cells(book, "利用者", {"利用者ID": "002"}, {"企業名": f"東和 {IMG}"})
    _seed_store(book, office=load_casebook(book).office)
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
    text = _without_images(markup)
    assert "2026年10月 支援レポート（本人用）" in text
    assert "池田 誠 様" in text
    assert "支援期間の 22か月目（全36か月）" in text          # support began 2025-01-01
    assert "<td>2026年10月25日</td><td>職場訪問</td><td>本人・企業</td><td>田村 浩</td>" in text
    assert "<dt>欠勤</dt><dd>5日</dd>" in text and "75.0%" in text   # 所定20 出勤15 欠勤5
    assert "休憩を適切に取って集中を保つ" in text
    assert "data:image/svg+xml;base64," in markup              # the condition chart, embedded
    assert "担当支援員 田村 浩" in text


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
    assert html.escape(IMG) in markup                          # the employer, as text
    minutes = views.minutes_html(seeded_book, MONTH, store=store)
    assert SCRIPT not in minutes and html.escape(SCRIPT) in minutes   # 課題 from the store


def test_employer_copy_without_consent_leaves_out_life_and_health(seeded_book, store):
    own = views.support_report_html(seeded_book, MONTH, NO_CONSENT, "本人", store=store)
    employer = views.support_report_html(seeded_book, MONTH, NO_CONSENT, "企業", store=store)
    for text in (LIFE, HEALTH, WISHES):
        assert text in own
        assert text not in employer
    assert f"{WORKPLACE}（{NO_CONSENT}）" in employer and f"{POLICY}（{NO_CONSENT}）" in employer
    # the self-rated condition: the chart and the score columns
    assert "data:image/svg+xml" in own and "data:image/" not in employer
    assert "<th>気分</th>" in own and "<th>気分</th>" not in employer
    # 心身 goals of the plan stay in the person's copy
    assert "睡眠を6時間以上とる" in own and "睡眠を6時間以上とる" not in employer
    assert "本人の同意（企業共有同意）がないため" in employer


def test_employer_copy_with_consent_carries_life_and_health(seeded_book, store):
    employer = views.support_report_html(seeded_book, MONTH, WITH_CONSENT, "企業", store=store)
    assert f"{LIFE}（{WITH_CONSENT}）" in employer and f"{HEALTH}（{WITH_CONSENT}）" in employer
    assert "data:image/svg+xml" in employer
    assert "本人の同意により" in employer


def test_support_report_without_a_review_says_so(seeded_book, store):
    markup = views.support_report_html(seeded_book, MONTH, "001", "本人", store=store)
    assert "この月のケース会議の記録（ケース検討）はまだありません" in markup


# --- 会議録 and 月次サマリー (in-process) ----------------------------------------------------------

def test_minutes_list_the_conference_cases_and_actions(seeded_book, store):
    text = views.minutes_html(seeded_book, MONTH, store=store)
    assert "2026年10月 ケース会議 会議録" in text
    assert "<dt>開催日</dt><dd>2026年11月5日</dd>" in text and "地域連携会議" in text
    assert "ハローワーク 山田、主治医 佐々木" in text and "<dt>発表者</dt><dd>田村 浩</dd>" in text
    assert "003 池田 誠（担当 田村 浩）" in text
    assert "欠勤が多い" in text and "欠勤率 25%" in text        # level and flags with evidence
    for axis in (f"{WORKPLACE}（003）", f"{LIFE}（003）", f"{HEALTH}（003）", f"{POLICY}（003）"):
        assert axis in text
    assert "<td>職場訪問で勤怠を確認</td><td>安藤 理恵</td><td>2026年11月20日</td><td>未着手</td>" in text
    assert "<td>2026年9月</td><td>主治医と連絡をとる</td><td>田村 浩</td><td>2026年10月10日</td>" in text
    assert "検討の記録がない対象者" in text                    # the other agenda cases


def test_minutes_without_a_store_say_so(seeded_book):
    text = views.minutes_html(seeded_book, MONTH, store=None, store_note="会議記録のデータベースがありません（テスト）")
    assert "会議記録のデータベースがありません（テスト）" in text
    assert "検討の記録がない対象者（24人）" in text


def test_summary_shows_compliance_flags_retention_endings_and_overdue(seeded_book, store):
    text = _without_images(views.summary_html(seeded_book, MONTH, store=store, today=dt.date(2026, 10, 31)))
    review = rules.agenda(seeded_book, MONTH, shared_reports=store.shared_reports_frame(seeded_book.office),
                          open_actions=store.open_actions_frame(seeded_book.office, MONTH))
    assert f"<strong>{len(review.cases)}人</strong>" in text
    assert "本人との対面の面談（毎月）" in text and "支援レポートの送付" in text and "個別支援計画の見直し" in text
    for kind in rules.FLAG_KINDS:
        assert f"<td>{kind.code}</td>" in text
    result = rules.retention(seeded_book, 2026, today=dt.date(2026, 10, 31))
    assert rules.format_rate(result.rate) in text and re.search(r"\d+\.\d%", rules.format_rate(result.rate))
    assert rules.format_units(result.units) in text and html.escape(result.tier) in text
    assert "2027年度）の見込み" in text
    assert "<td>010</td><td>後藤 翔太</td>" in text and "2026年12月12日" in text   # support ending
    assert "主治医と連絡をとる" in text                          # overdue at the month's end
    assert text.count("<img") == 2                             # levels and flags charts


def test_reports_list_the_workbook_problems_first(tmp_path):
    book = _copy_demo(tmp_path)
    _set_cells(book, "面談記録", {"利用者ID": "001"}, {"実施日": "いつか"})
    casebook = load_casebook(book)
    assert casebook.problems
    problem = casebook.problems[0]
    for markup in (views.summary_html(casebook, MONTH), views.minutes_html(casebook, MONTH)):
        assert markup.startswith('<section class="problems"><h2>データの確認事項</h2>')
        assert html.escape(problem.message) in markup
    # another person's report counts the problem without showing it
    other = views.support_report_html(casebook, MONTH, "004", "企業")
    assert other.startswith('<section class="problems">') and html.escape(problem.message) not in other
    assert "ほかに 1件" in other


# --- through the notebooks, one kernel (slow) -----------------------------------------------------

@pytest.mark.slow
def test_make_support_reports_writes_both_copies_and_records_them(tmp_path):
    from teichaku_nb.reports import make_reports

    book = _copy_demo(tmp_path / "office")
    casebook = load_casebook(book)
    out = tmp_path / "out"
    calls = []
    before = rules.agenda(casebook, MONTH)
    assert "report_not_shared" in before.case("005").codes

    paths = make_reports("support", book, "2026-10", user="005", out_dir=out, by="テスト",
                         progress=lambda done, total: calls.append((done, total)))
    assert sorted(p.name for p in paths) == sorted(
        f"{casebook.office}_支援レポート_2026-10_005_{label}.html" for label in ("本人用", "企業用"))
    own = _text(out / f"{casebook.office}_支援レポート_2026-10_005_本人用.html")
    assert "長谷川 翔太 様" in own and "<header class=\"doc-header\">" in own
    assert "2026年10月" in own and casebook.office in own
    assert "import" not in _without_images(own)                # no code in the document
    assert "<script" not in own                                # nothing executable either
    assert calls[-1] == (2, 2)

    with open_store(book_path=book) as store:
        issued = store.issued_reports(casebook.office, MONTH, user_id="005")
        assert [(r.recipient, r.created_by) for r in issued] == [("本人・企業", "テスト")]
        after = rules.agenda(casebook, MONTH, shared_reports=store.shared_reports_frame(casebook.office),
                             open_actions=store.open_actions_frame(casebook.office, MONTH))
    assert "report_not_shared" not in after.case("005").codes

    # making it again records nothing new; one copy records its own recipient
    make_reports("support", book, "2026-10", user="005", out_dir=out, by="テスト")
    make_reports("support", book, "2026-10", user="001", audience="本人", out_dir=out, by="テスト")
    with open_store(book_path=book) as store:
        assert len(store.issued_reports(casebook.office, MONTH, user_id="005")) == 1
        assert [r.recipient for r in store.issued_reports(casebook.office, MONTH, user_id="001")] == ["本人"]


@pytest.mark.slow
def test_cli_support_batch_makes_every_agenda_persons_copies_in_one_kernel(tmp_path, capsys, monkeypatch):
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
    out = tmp_path / "out"
    code = cli.main(["report", "support", str(book), "--month", "2026-10", "--out", str(out)])
    assert code == 0
    assert len(starts) == 1                                          # one kernel for the batch
    people = rules.agenda(casebook, MONTH).cases
    files = sorted(out.glob("*.html"))
    assert len(files) == 2 * len(people)
    captured = capsys.readouterr()
    assert f"{len(files)}/{len(files)}" in captured.err               # the progress bar
    assert f"会議記録のデータベース: {default_path(book)}" in captured.err  # where the issues are recorded
    with open_store(book_path=book) as store:
        shared = store.shared_reports_frame(casebook.office)
        after = rules.agenda(casebook, MONTH, shared_reports=shared)
    assert not [c.user_id for c in after.cases if "report_not_shared" in c.codes]


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
    assert "就労定着率" in summary and "data:image/png;base64," in summary


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
    out = tmp_path / "out"
    (pdf,) = make_reports("support", book, "2026-10", user="003", audience="本人", fmt="pdf", out_dir=out)
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for heading in ("支援レポート（本人用）", "今月の支援（面談・連絡）", "勤怠と体調", "個別支援計画の目標",
                    "今月の様子と来月の予定", "池田 誠 様"):
        assert heading in text
    assert re.search(r"1\s*/\s*\d", text)                      # page numbers in the footer
    assert not list(out.glob("*.html"))                        # PDF only


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
    paths = make_reports("support", book, MONTH, fmt="pdf", out_dir=tmp_path / "out")

    def squeeze(text: str) -> str:
        return re.sub(r"\s+", " ", text)

    assert len(paths) == 2 * len(agenda) and len(agenda) > 10
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
            links = [str(a.get("/A", {}).get("/URI", "")) for p in document.pages for a in p.obj.get("/Annots", [])]
            assert not [u for u in links if u.startswith(MARK)]
            assert str(document.docinfo["/Title"]).endswith(f"支援レポート（{label}）")


@pytest.mark.slow
def test_report_notebooks_pass_nbval_lax(tmp_path):
    """The notebooks run as they are (defaults: the bundled demo data, 2026-10)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(REPO / "notebooks" / "reports")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b6 passed\b", result.stdout), result.stdout[-2000:]   # 3 notebooks × 2 code cells
    assert not default_path(DEMO).exists()                    # the notebooks only read: no store made


# --- a folder of offices, empty batches, a --db that names nothing ------------------------------

@pytest.mark.slow
def test_one_office_of_a_folder_gets_only_its_own_persons_report(tmp_path):
    """IDs are unique within an office only: asking for office A's 001 must not make (and
    record as issued) office B's 001."""
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
    with pytest.raises(ReportError, match=f"利用者ID {user} は複数の事業所.*{first.office}.*--office"):
        make_reports("support", folder, "2026-10", user=user, out_dir=tmp_path / "out", by="田村")
    assert not (tmp_path / "out").exists()
    paths = make_reports("support", folder, "2026-10", user=user, audience="本人", office=first.office,
                         out_dir=tmp_path / "out", by="田村")
    assert [p.name for p in paths] == [f"{first.office}_支援レポート_2026-10_{user}_本人用.html"]
    from teichaku_nb import cli                                      # the command line's --office
    assert cli.main(["report", "summary", str(folder), "--month", "2026-10", "--office", second.office,
                     "--out", str(tmp_path / "cli")]) == 0
    assert [p.name for p in (tmp_path / "cli").iterdir()] == [f"{second.office}_月次サマリー_2026-10.html"]
    assert cli.main(["report", "summary", str(folder), "--month", "2026-10", "--office", "どこにもない",
                     "--out", str(tmp_path / "cli")]) == 2
    with open_store(book_path=folder) as store:
        assert [(r.office, r.user_id) for r in store.issued_reports()] == [(first.office, user)]


def test_a_month_without_anyone_on_the_agenda_makes_nothing_and_starts_no_kernel(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    from teichaku_nb.reports import make_reports

    async def no_kernel(self, **kwargs):
        raise AssertionError("a kernel was started for an empty batch")

    monkeypatch.setattr(NotebookClient, "async_start_new_kernel", no_kernel)
    book = _copy_demo(tmp_path / "office")
    assert make_reports("support", book, "2019-04", out_dir=tmp_path / "out") == []
    assert not list((tmp_path / "out").glob("*"))


def test_minutes_with_a_db_that_names_nothing_is_an_argument_error(tmp_path, capsys):
    from teichaku_nb import cli

    book = _copy_demo(tmp_path / "office")
    typo = tmp_path / "typo.sqlite"
    assert cli.main(["report", "minutes", str(book), "--month", "2026-10", "--db", str(typo),
                     "--out", str(tmp_path / "out")]) == 2
    assert f"会議記録のデータベースが見つかりません: {typo}" in capsys.readouterr().err
    assert not typo.exists() and not (tmp_path / "out").exists()


def test_the_report_notebooks_are_package_data_linked_to_notebooks_reports():
    """make_reports finds the notebooks inside the package (an installed package carries a
    copy: pyproject's package-data); in the checkout they are notebooks/reports themselves."""
    import tomllib

    from teichaku_nb.paths import report_notebook_dir

    folder = report_notebook_dir()
    assert folder.resolve() == (REPO / "notebooks" / "reports").resolve()
    assert sorted(p.name for p in folder.glob("*.ipynb")) == ["minutes.ipynb", "summary.ipynb", "support.ipynb"]
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert f"{folder.name}/*.ipynb" in package_data["teichaku_nb"]
