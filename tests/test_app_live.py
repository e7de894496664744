"""Two staff on one conference in real headless Chromium (two browser contexts), on a laptop
screen (1366×800): a page learns within seconds that the case or the meeting it shows was saved
elsewhere, says who and when, and 「取り込む」 brings it in keeping what was typed; a page
opened later shows the latest meeting; a month switch refused for unsaved edits says the page
stays on its month.  The server is that of tests/test_app_browser.py.  Every wait is for a
named widget or text, never a sleep.  All people are synthetic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_app_browser import CHROMIUM, ME, WAIT_MS, browser, field, open_case, served  # noqa: F401 (fixtures)
from test_app_layout import assert_on_screen, open_laptop

LOOK = Path("/tmp/look")   # screenshots of what staff see, to look at
NEWS_MS = 15_000          # the page looks every 3 s; a busy 2-core machine gets some slack

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} がないためブラウザのテストは省略（.ci/run が入れます）"),
]


def as_staff(browser, url: str):
    """A page of the conference: with the token every page is the computer's user's (``ME``), so
    two pages stand for two colleagues."""
    return open_laptop(browser, url)


def open_meeting(page):
    page.get_by_text("会議の記録（開催日・種別・出席者） — 2026年10月").click()
    return page.locator(".teichaku-meeting")


def test_a_page_learns_of_a_colleagues_save_of_its_case_and_takes_it_in(served, browser):
    from playwright.sync_api import expect
    url = served[0]
    (first, a), (second, b) = as_staff(browser, url), as_staff(browser, url)
    try:
        open_case(a, "009")
        open_case(b, "009")
        field(a, "issues").fill("甲野の課題: 通院日の調整（入力中）")
        field(b, "workplace").fill("乙川の記録: 上司が交代した")
        b.locator(".teichaku-save").click()
        expect(b.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)

        news = a.locator(".teichaku-case-head .teichaku-others")
        expect(news).to_contain_text(f"{ME} さん", timeout=NEWS_MS)
        expect(news).to_contain_text("このケース（009")
        assert_on_screen(news)                                       # in the case's pinned head
        LOOK.mkdir(exist_ok=True)
        a.screenshot(path=str(LOOK / "others-case.png"))
        expect(field(a, "workplace")).to_have_value("")                # nothing moves before asked
        a.locator(".teichaku-case-head .teichaku-take-in").click()
        expect(field(a, "workplace")).to_have_value("乙川の記録: 上司が交代した", timeout=WAIT_MS)
        expect(field(a, "issues")).to_have_value("甲野の課題: 通院日の調整（入力中）")
        expect(a.locator(".teichaku-review-message")).to_contain_text("入力中の内容は残っています")
        expect(news).to_be_hidden()
        a.locator(".teichaku-save").click()
        expect(a.locator(".teichaku-review-message")).to_contain_text("版 2", timeout=WAIT_MS)
    finally:
        second.close()
        first.close()


def test_the_meeting_saved_elsewhere_reaches_open_pages_and_pages_opened_later(served, browser):
    from playwright.sync_api import expect
    url = served[0]
    (first, a), (second, b) = as_staff(browser, url), as_staff(browser, url)
    try:
        mine, theirs = open_meeting(a), open_meeting(b)
        expect(mine).to_contain_text("2026年10月の会議")
        mine.locator(".teichaku-meeting-attendees input").fill("甲野 一、丁村 四")      # typed, not recorded
        theirs.locator(".teichaku-meeting-held-on input").fill("2026/11/06")
        theirs.locator(".teichaku-meeting-attendees input").fill("乙川 二、丙田 三")
        theirs.locator(".teichaku-meeting-save").click()
        expect(theirs.locator(".teichaku-meeting-status")).to_contain_text("会議を記録しました", timeout=WAIT_MS)

        news = a.locator(".teichaku-others").first
        expect(news).to_contain_text("2026年10月の会議の記録", timeout=NEWS_MS)
        expect(news).to_contain_text(f"{ME} さん")
        a.locator(".teichaku-take-in").first.click()
        expect(mine.locator(".teichaku-meeting-held-on input")).to_have_value("2026/11/06", timeout=WAIT_MS)
        expect(mine.locator(".teichaku-meeting-attendees input")).to_have_value("甲野 一、丁村 四")
        expect(mine.locator(".teichaku-meeting-status")).to_contain_text("出席者はあなたの入力を残しました")
        expect(mine.locator(".teichaku-meeting-status")).to_contain_text("乙川 二、丙田 三")
        a.screenshot(path=str(LOOK / "others-meeting.png"))

        third, c = as_staff(browser, url)                 # a page opened after the save
        try:
            later = open_meeting(c)
            expect(later.locator(".teichaku-meeting-attendees input")).to_have_value("乙川 二、丙田 三")
            expect(later.locator(".teichaku-meeting-status")).to_contain_text(f"記録済み: {ME} さん")
        finally:
            third.close()
    finally:
        second.close()
        first.close()


def test_a_month_switch_refused_for_unsaved_edits_says_the_page_stays_on_its_month(served, browser):
    from playwright.sync_api import expect
    context, page = as_staff(browser, served[0])
    try:
        open_case(page, "010")
        field(page, "wishes").fill("書きかけの意向")
        page.locator(".teichaku-month select").select_option(label="2026年9月")
        leave = page.locator(".teichaku-leave")
        expect(leave).to_be_visible(timeout=WAIT_MS)
        assert_on_screen(leave)
        page.locator(".teichaku-leave-stay").click()
        notice = page.locator(".teichaku-notice")
        expect(notice).to_contain_text("対象月は変えていません", timeout=WAIT_MS)
        expect(notice).to_contain_text("2026年10月")
        assert_on_screen(notice)
        page.screenshot(path=str(LOOK / "month-stays.png"))
        expect(page.locator(".teichaku-month select option:checked")).to_have_text("2026年10月")
        expect(page.get_by_text("会議の記録（開催日・種別・出席者） — 2026年10月")).to_be_visible()
        expect(page.get_by_text("帳票の出力（会議録・支援レポート・月次サマリー） — 2026年10月")).to_be_visible()
        expect(field(page, "wishes")).to_have_value("書きかけの意向")
    finally:
        context.close()
