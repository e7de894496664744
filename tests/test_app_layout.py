"""The conference app on a laptop screen (1366×800) in real headless Chromium.

What staff must see without hunting for it: the case they opened from its top, the person's
name and 保存 while typing far down the form, the question before leaving unsaved edits, and
messages that do not contradict each other.  The server and the browser are those of
tests/test_app_browser.py.  Every wait is for a named widget or text, never a sleep.
A screenshot of a case being edited goes to /tmp/look/layout-edit.png.  All people are synthetic.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_app_browser import (CHROMIUM, ME, RECORD_LOADING_TEXTS, SIGNED_IN, WAIT_MS, browser,  # noqa: F401
                              field, open_case, served)

WIDTH, HEIGHT = 1366, 800
LOOK = Path("/tmp/look")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} がないためブラウザのテストは省略（.ci/run が入れます）"),
]


def open_laptop(browser, url: str):
    from playwright.sync_api import expect
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="ja-JP")
    context.add_init_script(RECORD_LOADING_TEXTS)
    page = context.new_page()
    page.goto(url)
    expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".teichaku-recorder")).to_have_text(SIGNED_IN)      # who the server says opened it
    return context, page


def serious_findings(page, selector: str) -> list:
    """axe-core's serious and critical findings inside ``selector`` (each: rule, impact, where)."""
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page, context={"include": [[selector]]})
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def assert_on_screen(locator) -> None:
    """The element is shown whole inside the window (its box, not only "visible somewhere")."""
    from playwright.sync_api import expect
    expect(locator).to_be_in_viewport(ratio=1, timeout=WAIT_MS)
    box = locator.bounding_box()
    assert box is not None
    assert 0 <= box["y"] and box["y"] + box["height"] <= HEIGHT, box
    assert 0 <= box["x"] and box["x"] + box["width"] <= WIDTH, box


def last_case(page) -> tuple[str, str]:
    """The 利用者ID and name of the lowest case in the agenda."""
    text = page.locator(".teichaku-case-button").last.inner_text().strip()
    user_id, name = text.split(" ", 1)
    return user_id, name


AMBER, GREEN = "rgb(109, 76, 0)", "rgb(27, 94, 32)"


def test_a_warning_is_amber_not_green(served, browser):
    """Nothing to make (no review saved yet in this month) is a warning, not a success."""
    from playwright.sync_api import expect
    url, _base, _db, _pid = served
    context, page = open_laptop(browser, url)
    page.get_by_text("帳票の出力（会議録・支援レポート・月次サマリー）").click()
    page.locator(".teichaku-export-make").click()
    status = page.locator(".teichaku-export-status")
    expect(status).to_contain_text("作成する支援レポートはありません", timeout=WAIT_MS)
    shown = status.get_by_text("作成する支援レポートはありません")
    assert shown.evaluate("el => getComputedStyle(el).color") == AMBER
    context.close()


def test_a_case_low_in_the_agenda_opens_at_its_top_and_stays_named_while_editing(served, browser):
    from playwright.sync_api import expect
    url, _base, _db, _pid = served
    context, page = open_laptop(browser, url)
    user_id, name = last_case(page)
    open_case(page, user_id)
    title = page.locator(".teichaku-case-head .teichaku-case-title")
    expect(title).to_contain_text(f"{user_id} {name}")
    assert_on_screen(title)

    # the form says whose it is, and the name, level and 保存 stay in view far down the form
    expect(page.locator(".teichaku-review-heading")).to_contain_text(re.compile(rf"{user_id} {name} さんの検討（\d+年\d+月）"))
    field(page, "next_check").fill("来月の面談で睡眠を確認")
    expect(page.locator(".teichaku-review-heading .teichaku-dirty")).to_contain_text("保存していない変更があります")
    for shown in (title, title.locator(".teichaku-level"), page.locator(".teichaku-save"), field(page, "next_check")):
        assert_on_screen(shown)
    LOOK.mkdir(exist_ok=True)
    page.screenshot(path=str(LOOK / "layout-edit.png"))

    # leaving asks where the question can be seen
    page.locator(".teichaku-case-button").first.click()
    leave = page.locator(".teichaku-leave")
    expect(leave).to_contain_text("保存していない変更があります")
    assert_on_screen(leave.locator(".teichaku-leave-notice"))
    assert_on_screen(page.locator(".teichaku-leave-stay"))
    assert_on_screen(page.locator(".teichaku-leave-discard"))
    page.screenshot(path=str(LOOK / "layout-leave.png"))
    page.locator(".teichaku-leave-stay").click()
    expect(leave).to_be_hidden()
    field(page, "next_check").fill("")
    context.close()


def test_the_form_names_the_person_and_a_save_clears_an_earlier_failure(served, browser):
    from playwright.sync_api import expect
    url, _base, _db, _pid = served
    context, page = open_laptop(browser, url)
    open_case(page, "003")
    expect(page.locator(".teichaku-review-heading")).to_contain_text("003 池田 誠 さんの検討（2026年10月）")

    field(page, "next_check").fill("次回は家族同席")
    page.locator(".teichaku-action-content input").fill("家族に連絡する")   # typed, not added: the save fails
    page.locator(".teichaku-save").click()
    error = page.locator(".teichaku-save-bar .teichaku-review-message")        # beside 保存, in the pinned bar
    expect(error).to_contain_text("入力中の役割分担があります", timeout=WAIT_MS)
    assert_on_screen(error)
    expect(page.locator(".teichaku-error-banner")).to_have_count(0)            # not at the top as well
    page.screenshot(path=str(LOOK / "layout-error.png"))

    page.locator(".teichaku-action-content input").fill("")
    field(page, "next_check").click()
    page.locator(".teichaku-save").click()
    message = page.locator(".teichaku-review-message")
    expect(message).to_contain_text("保存しました", timeout=WAIT_MS)
    assert_on_screen(message)
    expect(page.locator(".teichaku-error-banner")).to_have_count(0)
    colour = message.locator(".teichaku-message").evaluate("el => getComputedStyle(el).color")
    assert colour == GREEN, colour                              # success: green
    context.close()


def test_no_serious_accessibility_violation_on_the_app_page(served, browser):
    url, _base, _db, _pid = served
    context, page = open_laptop(browser, url)
    open_case(page, "003")
    field(page, "issues").fill("書きかけ")
    page.locator(".teichaku-case-button", has_text=re.compile(r"^004 ")).click()
    from playwright.sync_api import expect
    expect(page.locator(".teichaku-leave")).to_contain_text("保存していない変更があります")
    bad = serious_findings(page, ".teichaku-app")
    assert bad == [], bad
    page.locator(".teichaku-leave-stay").click()
    field(page, "issues").fill("")
    context.close()


def test_the_recorder_is_who_the_server_says_opened_the_page_and_reaches_the_kernel(served, browser):
    """Nobody types a name: the header shows the person the server names (with the token, the
    computer's user as 管理者) on every page, and saves are recorded under that name."""
    from playwright.sync_api import expect
    url, _base, _db, _pid = served
    context, page = open_laptop(browser, url)
    try:
        page.reload()                                                  # a new page, a new kernel
        expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT_MS)
        expect(page.locator(".teichaku-recorder")).to_have_text(SIGNED_IN, timeout=WAIT_MS)
        expect(page.locator(".teichaku-header input[type=text]")).to_have_count(0)   # nothing to type it into
        open_case(page, "006")
        field(page, "policy").fill("来月も職場訪問を続ける")
        page.locator(".teichaku-save").click()
        # the kernel knew: the save is recorded under the signed-in name
        expect(page.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)
        expect(page.locator(".teichaku-review-message")).to_contain_text(f"記録者 {ME}", timeout=WAIT_MS)
    finally:
        context.close()


def test_a_manager_of_the_accounts_adds_one_in_the_app_and_sees_it_in_the_table(served, browser):
    """With the token the computer's user is the 管理者: the folded panel 職員アカウントとアクセス記録 is at
    the bottom of the page; opened, it adds an account, which is in the table at once with its
    entry in the access log, and the password fields are empty again; the month's log downloads as
    an Excel file.  Screenshots of the panel go to /tmp/look/staff-admin*.png."""
    from playwright.sync_api import expect
    url, _base, _db, _pid = served
    context, page = open_laptop(browser, url)
    try:
        title = page.get_by_text("職員アカウントとアクセス記録（管理者）")
        expect(title).to_have_count(1)
        title.click()
        accounts = page.locator(".teichaku-staff-accounts")
        expect(accounts).to_contain_text("職員アカウント", timeout=WAIT_MS)
        page.locator(".teichaku-staff-add-name input").fill("山田 太郎")
        page.locator(".teichaku-staff-add-login input").fill("yamada")
        page.locator(".teichaku-staff-add-role select").select_option(label="サービス管理責任者")
        password = "ゆうやけこやけのあかとんぼ"
        for name in ("add-password", "add-password-again"):
            field_ = page.locator(f".teichaku-staff-{name} input")
            assert field_.get_attribute("type") == "password"            # never shown as typed
            field_.fill(password)
        page.locator(".teichaku-staff-add").click()
        message = page.locator(".teichaku-staff-add-message")
        expect(message).to_contain_text("アカウントを追加しました: yamada（山田 太郎・サービス管理責任者）", timeout=WAIT_MS)
        row = accounts.locator("tr", has_text="yamada")
        expect(row).to_contain_text("山田 太郎")
        expect(row).to_contain_text("サービス管理責任者")
        expect(row).to_contain_text("有効")
        for name in ("add-password", "add-password-again"):
            expect(page.locator(f".teichaku-staff-{name} input")).to_have_value("")
        expect(page.locator(".teichaku-staff-log")).to_contain_text("アカウント追加", timeout=WAIT_MS)
        expect(page.locator(".teichaku-staff-log")).to_contain_text("yamada（山田 太郎・サービス管理責任者）を追加")
        assert password not in page.content()
        LOOK.mkdir(parents=True, exist_ok=True)
        # disabling is asked first; 「やめる」 keeps the account
        page.locator(".teichaku-staff-disable-login select").select_option(label="yamada（山田 太郎・サービス管理責任者）")
        page.locator(".teichaku-staff-disable").click()
        question = page.locator(".teichaku-staff-admin .teichaku-confirm")
        expect(question).to_contain_text("yamada（山田 太郎・サービス管理責任者）を無効にしますか", timeout=WAIT_MS)
        question.scroll_into_view_if_needed()
        page.screenshot(path=str(LOOK / "staff-admin-screen.png"))
        page.locator(".teichaku-staff-disable-no").click()
        expect(page.locator(".teichaku-staff-disable-message")).to_contain_text("無効にしていません", timeout=WAIT_MS)
        expect(row).to_contain_text("有効")
        # the log of this month so far, as an Excel file (its own entry in the log)
        page.locator(".teichaku-staff-log-export").click()
        link = page.locator(".teichaku-staff-log-link a")
        expect(link).to_have_attribute("download", re.compile(r"^アクセス記録_\d{4}-\d{2}-01_\d{4}-\d{2}-\d{2}\.xlsx$"),
                                       timeout=WAIT_MS)
        with page.expect_download() as download:
            link.click()
        import io

        from openpyxl import load_workbook
        assert download.value.suggested_filename == link.get_attribute("download")
        data = io.BytesIO(Path(download.value.path()).read_bytes())
        rows = list(load_workbook(data).active.iter_rows(values_only=True))
        assert ("アカウント追加", "yamada（山田 太郎・サービス管理責任者）を追加") in [(r[4], r[8]) for r in rows[1:]]
        expect(page.locator(".teichaku-staff-log")).to_contain_text("アクセス記録の書き出し", timeout=WAIT_MS)
        page.locator(".teichaku-staff-admin").screenshot(path=str(LOOK / "staff-admin.png"))
        bad = serious_findings(page, ".teichaku-staff-admin")
        assert bad == [], bad
    finally:
        context.close()


def test_a_service_manager_checks_the_last_six_months_for_the_inspection(served, browser):
    """With the token the computer's user is the 管理者, so the folded panel 運営指導の準備 is on the
    page; opened, it offers the six months ending with the month on screen, and 「確認する」 shows
    the totals, the office's items that are gaps and the people with gaps, each with what to do.
    A screenshot of the panel at 1366×800 goes to /tmp/look/audit.png."""
    from playwright.sync_api import expect
    url, _base, _db, _pid = served
    context, page = open_laptop(browser, url)
    try:
        title = page.get_by_text("運営指導の準備（サービス管理責任者・管理者）")
        expect(title).to_have_count(1)
        title.click()
        expect(page.locator(".teichaku-audit-first-month input")).to_have_value("2026-05", timeout=WAIT_MS)
        expect(page.locator(".teichaku-audit-last-month input")).to_have_value("2026-10")
        page.locator(".teichaku-audit-run").click()
        result = page.locator(".teichaku-audit-result")
        expect(result).to_contain_text("2026年5月〜2026年10月の結果", timeout=WAIT_MS)
        expect(result).to_contain_text(re.compile(r"不備 [\d,]+件、返還・減額のおそれ [\d,]+単位（[\d,]+円）"))
        expect(result).to_contain_text("事業所全体")
        expect(result).to_contain_text("すること")
        LOOK.mkdir(parents=True, exist_ok=True)
        page.locator(".teichaku-audit").scroll_into_view_if_needed()
        page.screenshot(path=str(LOOK / "audit.png"))
        bad = serious_findings(page, ".teichaku-audit")
        assert bad == [], bad
    finally:
        context.close()
