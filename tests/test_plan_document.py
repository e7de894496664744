"""The 個別支援計画書 (docs/documents.md) and the 会議録's monitoring: the person's own plan on one
or two A4 pages, with no internal content; made by ``teichaku report plan`` and
``reports.make_plan_document``.  The bundled demo workbook is copied under tmp_path first;
its people are synthetic."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from teichaku_nb import plan_cycle
from teichaku_nb import report_views as views
from teichaku_nb.plan_document import PlanDocumentError, plan_html
from teichaku_nb.store import Review, open_existing, open_store
from teichaku_nb.workbook import load_casebook

from test_reports import DEMO, SCRIPT, _plain

MONTH = pd.Period("2026-10", freq="M")
PERSON = "003"                                   # 池田 誠 in the demo, with a plan of 2026年10月2日
INTERNAL = ("職場の内部メモ QX-17", "課題の内部メモ QX-18", "検討内容の内部メモ QX-19")
WISHES = f"今の職場で長く働きたい {SCRIPT}"
POLICY = "生活リズムを整え、週5日の勤務を続けられるよう支援する"
NEW_GOAL = "平日は23時までに寝る"
HEADINGS = ("個別支援計画書", "本人の意向", "総合的な支援の方針", "目標と支援内容", "前回の計画のふりかえり（モニタリング）",
            "説明・同意・交付", "サービス管理責任者", "説明日", "同意日", "本人署名", "交付日")


def _demo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(DEMO, folder / "demo.xlsx"))


def _seed(book_path: Path, *, finalise: bool = False) -> None:
    """The review of October (with internal notes), its monitoring (見直し) and the next plan's draft."""
    book = load_casebook(book_path)
    with open_store(book_path=book_path) as store:
        store.save_review(Review(book.key, PERSON, MONTH, workplace=INTERNAL[0], issues=INTERNAL[1],
                                 discussion=INTERNAL[2], wishes=WISHES, policy=POLICY, judgement="要対応"),
                          by="安藤 理恵", expected_version=None)
        form = plan_cycle.monitoring_form(book, PERSON, MONTH, store)
        store.save_monitoring(plan_cycle.monitoring_record(
            book, form, {1: ("継続", "休憩は取れている"), 2: ("見直し", "睡眠が5時間の日が多い")},
            monitored_on=dt.date(2026, 11, 5), decision="見直し"), by="安藤 理恵", expected_version=None)
        draft = plan_cycle.draft_from_review(book, store, PERSON, MONTH, by="田村 浩")
        goals = [dict(draft.goals[0]), {"domain": "心身", "goal": NEW_GOAL, "support": "睡眠の記録を面談で振り返る",
                                        "due_on": dt.date(2027, 1, 31)}]
        draft = store.update_plan(draft.id, {"goals": goals}, by="田村 浩", expected_version=draft.version)
        if finalise:
            store.finalise_plan(draft.id, by="田村 浩", expected_version=draft.version, plan_date=dt.date(2026, 11, 6))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    book = _demo(tmp_path_factory.mktemp("plan"))
    _seed(book)
    return book


def _html(book_path: Path, user_id: str = PERSON) -> str:
    book = load_casebook(book_path)
    store = open_existing(None, book_path=book_path)
    try:
        return plan_html(book, MONTH, user_id, store=store)
    finally:
        if store is not None:
            store.close()


def test_the_draft_plan_shows_the_person_s_plan_and_the_lines_to_sign(seeded):
    text = _plain(_html(seeded))
    for heading in HEADINGS:
        assert heading in text
    assert "個別支援計画書（案）" in text and "池田 誠 様" in text
    assert "計画期間 2026年11月1日〜2027年1月31日" in text and "計画作成日 （確定後に記入）" in text
    assert WISHES in text and POLICY in text                    # from the review, escaped as text
    assert f"心身 {NEW_GOAL} 睡眠の記録を面談で振り返る 2027年1月31日" in text
    assert "2026年10月2日作成の計画の目標について、2026年11月5日に確認した結果です" in text
    assert "見直し 睡眠が5時間の日が多い" in text
    assert "サービス管理責任者 田村 浩" in text


def test_the_plan_document_carries_nothing_internal(seeded):
    markup = _html(seeded)
    assert "<script>" not in markup
    text = _plain(markup)
    for note in INTERNAL:
        assert note not in text
    for word in ("要対応", "個別支援計画の不備", "フラグ", "データの確認事項", "会議の判断"):
        assert word not in text


def test_without_a_draft_the_workbook_plan_of_the_month_is_printed(tmp_path):
    book = _demo(tmp_path)
    text = _plain(_html(book))
    assert "個別支援計画書（案）" not in text and "計画作成日 2026年10月2日" in text
    assert "休憩を適切に取って集中を保つ" in text                # the demo plan's goal
    assert "同意日 2026年10月8日" in text                         # recorded in the workbook: filled in
    with pytest.raises(PlanDocumentError, match="利用者ID 999"):
        _html(book, "999")


def test_a_finalised_plan_prints_its_date_and_is_no_longer_a_draft(tmp_path):
    book = _demo(tmp_path)
    _seed(book, finalise=True)
    text = _plain(_html(book))
    assert "（案）" not in text and "計画作成日 2026年11月6日" in text and "同意日 年 月 日" in text


def test_the_minutes_show_each_goal_s_evaluation_and_the_decision(seeded):
    book = load_casebook(seeded)
    with open_store(book_path=seeded) as store:
        text = _plain(views.minutes_html(book, MONTH, store=store))
    assert "個別支援計画のモニタリング 2026年10月2日作成の計画の目標（2026年11月5日に確認）。計画の見直し: 見直す" in text
    assert "【職場】休憩を適切に取って集中を保つ 継続 休憩は取れている" in text
    assert "【心身】睡眠を6時間以上とる 見直し 睡眠が5時間の日が多い" in text


def test_cli_report_plan_needs_a_known_user(tmp_path, capsys):
    from teichaku_nb import cli

    book = _demo(tmp_path)
    assert cli.main(["report", "plan", str(book), "--month", "2026-10"]) == 2
    assert "個別支援計画書（plan）には利用者ID（--user）を指定してください" in capsys.readouterr().err
    assert cli.main(["report", "plan", str(book), "--user", "999", "--out", str(tmp_path / "out")]) == 2
    assert "エラー: 利用者ID 999 は デモ就労定着支援センター のケース記録にありません" in capsys.readouterr().err
    assert cli.main(["report", "minutes", str(book)]) == 2
    assert "--month で対象の年月" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.slow
def test_cli_report_plan_makes_the_document_and_records_nothing(tmp_path, capsys):
    from teichaku_nb import cli

    book = _demo(tmp_path)
    _seed(book, finalise=True)
    with open_store(book_path=book) as store:
        before = (store.counts(), store.support_plans(load_casebook(book).key, PERSON))
    out = tmp_path / "out"
    assert cli.main(["report", "plan", str(book), "--user", PERSON, "--month", "2026-10", "--out", str(out)]) == 0
    (made,) = out.glob("*.html")
    assert made.name == "デモ就労定着支援センター_個別支援計画書_2026-10_003.html"
    assert NEW_GOAL in made.read_text(encoding="utf-8")
    with open_store(book_path=book) as store:                    # no 交付日, nothing else either
        assert (store.counts(), store.support_plans(load_casebook(book).key, PERSON)) == before


@pytest.mark.slow
def test_the_plan_pdf_has_one_or_two_pages_the_headings_goals_and_consent_lines(tmp_path):
    from teichaku_nb.pdf import find_chromium
    from teichaku_nb.reports import make_plan_document

    if find_chromium() is None or shutil.which("pdftotext") is None:
        pytest.skip("Chromium and pdftotext are needed (apt install chromium poppler-utils)")
    book = _demo(tmp_path / "office")
    _seed(book)
    pdf = make_plan_document(book, PERSON, month="2026-10", fmt="pdf", out_dir=tmp_path / "out")
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")[:-1]
    assert 1 <= len(pages) <= 2
    text = re.sub(r"\s+", " ", " ".join(pages))
    for heading in HEADINGS:
        assert heading in text
    assert "休憩を適切に取って集中を保つ" in text and NEW_GOAL in text
    assert "上記の個別支援計画について説明を受け、内容に同意しました。" in text
    for note in INTERNAL:
        assert note not in text
    assert "要対応" not in text
