"""The conference app in real headless Chromium.

``teichaku app`` is started as a subprocess on a free port with a review store in a tmp
folder; Playwright (sync API) drives Debian's /usr/bin/chromium through a whole conference
on the demo data.  Every wait is for a named widget or text, never a sleep.  Screenshots
of each step go to reports/test-artifacts/app/ (ignored by git); ``docs/app.png`` is
written when missing or when TEICHAKU_UPDATE_SCREENSHOT=1.  All people are synthetic.
"""

from __future__ import annotations

import getpass
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "reports" / "test-artifacts" / "app"
README_SHOT = ROOT / "docs" / "app.png"
WAIT_MS = 120_000            # a fresh kernel on a busy 2-core machine
OFFICE = "デモ就労定着支援センター"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} がないためブラウザのテストは省略（.ci/run が入れます）"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``teichaku app`` on the demo data: yields (url with token, base url, db path, its pid)."""
    folder = tmp_path_factory.mktemp("app")
    # no --db: the demo's records go to the per-user folder, here a tmp XDG_DATA_HOME
    db = folder / "xdg" / "teichaku" / "demo.teichaku.sqlite"
    port = free_port()
    env = dict(os.environ, XDG_DATA_HOME=str(folder / "xdg"))
    env.pop("TEICHAKU_BOOK", None)
    env.pop("TEICHAKU_DB", None)
    process = subprocess.Popen([sys.executable, "-m", "teichaku_nb", "app", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=open(folder / "voila.log", "w"),
                               text=True, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    voila = []
    try:
        url, printed = None, []
        while url is None:
            try:
                line = lines.get(timeout=180)
            except queue.Empty:
                pytest.fail("teichaku app did not print its URL: " + "".join(printed)
                            + (folder / "voila.log").read_text()[-3000:])
            printed.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
            url = found.group(1) if found else None
        assert any("デモデータ" in line for line in printed)
        assert any(str(db) in line for line in printed)
        voila = _children(process.pid)
        yield url, f"http://127.0.0.1:{port}", db, process.pid
    finally:
        voila = voila or _children(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)       # teichaku stops Voila and its kernels
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        for pid in voila:                             # only if teichaku could not
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield chromium
        chromium.close()


class Shots:
    def __init__(self, name: str):
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def take(self, page, step: str, part: str | None = None) -> Path:
        """The whole page, or one part of it (a CSS selector)."""
        self.n += 1
        path = self.folder / f"{self.n:02d}-{step}.png"
        if part:
            page.locator(part).screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=True)
        return path


# Records every text the page's loading message shows before the app appears.
RECORD_LOADING_TEXTS = """
window.__loadingTexts = [];
new MutationObserver(function () {
  var el = document.getElementById('loading_text');
  var seen = window.__loadingTexts;
  if (el && seen[seen.length - 1] !== el.textContent) { seen.push(el.textContent); }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


# The 記録者 of every page opened with the token: the server names the computer's user, as 管理者
# (``server.login``); nobody types a name on the page.
ME = getpass.getuser()
SIGNED_IN = f"記録者: {ME}（管理者）"


def open_app(browser, url: str):
    from playwright.sync_api import expect
    # tall enough for a whole-page screenshot (Voila's page scrolls inside, not the document)
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="ja-JP")
    context.add_init_script(RECORD_LOADING_TEXTS)
    page = context.new_page()
    page.goto(url)
    expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".teichaku-recorder")).to_have_text(SIGNED_IN)      # who the server says opened it
    return context, page


def open_case(page, user_id: str) -> None:
    from playwright.sync_api import expect
    page.locator(".teichaku-case-button", has_text=re.compile(rf"^{user_id} ")).click()
    expect(page.locator(".teichaku-case-title")).to_contain_text(user_id, timeout=WAIT_MS)


def field(page, name: str):
    return page.locator(f".teichaku-field-{name} textarea")


def xss_flag(page):
    return page.evaluate("() => window.__xss")


SAW_READING = """
window.__sawReading = false;
new MutationObserver(function () {
  if (!window.__sawReading && document.body
      && document.body.textContent.indexOf('ケース記録と会議記録を読み込んでいます') !== -1) { window.__sawReading = true; }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def test_the_first_page_after_the_start_says_the_records_are_read_then_shows_the_agenda(browser, served):
    """Opened as soon as ``teichaku app`` printed its URL, while the page's kernel is still
    starting (the first test of this module; Chromium is started before the app): the page comes
    at once with a line saying the records are being read; the kernel builds the page, and only
    then does the server let the browser connect to it, so the agenda comes whole.  The other
    tests' pages come from kernels prepared ahead."""
    from playwright.sync_api import expect
    url, _base, db, _pid = served
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="ja-JP")
    context.add_init_script(SAW_READING)
    page = context.new_page()
    page.goto(url)
    expect(page.locator(".teichaku-reading")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#rendered_cells")).not_to_contain_text("Loading widget")   # Voila's, in English
    expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate("window.__sawReading")
    expect(page.locator(".teichaku-reading")).to_be_hidden()             # the line goes once the agenda is there
    kernel = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    log = (db.parent / "app.log").read_text(encoding="utf-8")
    assert log.index("page built while the browser loaded it") < log.index(f"Connecting to kernel {kernel}")
    open_case(page, "003")
    expect(page.locator(".teichaku-field-judgement select")).to_be_visible()
    context.close()


def test_a_whole_conference_in_the_browser(served, browser):
    from playwright.sync_api import expect
    url, _base, _db, _pid = served
    shots = Shots("conference")
    context, page = open_app(browser, url)

    # the agenda: 要対応 first, progress, flags readable
    expect(page.locator(".teichaku-progress")).to_have_text(re.compile(r"検討済 0/\d+"))
    expect(page.locator(".teichaku-row").first.locator(".teichaku-level")).to_have_text("要対応")
    expect(page.locator(".teichaku-office")).to_have_text(OFFICE)
    expect(page.get_by_text("デモデータ（架空の人物）を表示しています")).to_be_visible()
    expect(page).to_have_title("ケース会議")
    loading = page.evaluate("() => window.__loadingTexts")                # Voila's words were English
    assert loading and all(t.startswith("会議アプリを準備しています") for t in loading), loading
    shots.take(page, "agenda")
    expect(page.locator(".teichaku-header .teichaku-recorder")).to_have_text(SIGNED_IN)   # shown, not typed
    expect(page.locator(".teichaku-header input[type=text]")).to_have_count(0)
    expect(page.locator(".teichaku-signout")).to_have_count(0)            # the token's computer: no サインアウト

    # the meeting itself: 開催日 (a day of the month under review by default), 種別, 出席者
    page.get_by_text("会議の記録（開催日・種別・出席者）").click()
    page.locator(".teichaku-meeting-attendees input").fill("山田 花子、田村 浩")
    page.locator(".teichaku-meeting-save").click()
    expect(page.locator(".teichaku-meeting-status")).to_contain_text("会議を記録しました", timeout=WAIT_MS)
    shots.take(page, "meeting", part=".teichaku-meeting")
    page.get_by_text("会議の記録（開催日・種別・出席者）").click()            # fold it away again

    # the workbook's payloads are shown as text and do nothing
    open_case(page, "002")
    expect(page.locator(".teichaku-note", has_text="<script>window.__xss=1</script>")).to_be_visible()
    open_case(page, "003")
    expect(page.locator(".teichaku-note", has_text='<img src=x onerror="window.__xss=1">')).to_be_visible()
    expect(page.locator(".teichaku-note img")).to_have_count(0)
    expect(page.locator(".teichaku-support-period")).to_contain_text("/36か月目")
    expect(page.locator(".teichaku-case img")).to_be_visible()          # the 6-month chart
    expect(page.locator(".teichaku-case-billing")).to_contain_text("2026年10月の算定チェック")
    expect(page.locator(".teichaku-header")).to_contain_text(re.compile(r"算定可 \d+人"))
    assert xss_flag(page) is None
    shots.take(page, "case")
    if not README_SHOT.exists() or os.environ.get("TEICHAKU_UPDATE_SCREENSHOT") == "1":
        README_SHOT.parent.mkdir(exist_ok=True)
        page.evaluate("""() => { window.scrollTo(0, 0);                 // the page's top: who records, the month,
            document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; }); }""")  # the agenda
        expect(page.locator(".teichaku-recorder-name")).to_be_in_viewport()
        page.screenshot(path=str(README_SHOT), clip={"x": 0, "y": 0, "width": 1400, "height": 1000})

    # write a review, add an action, save
    field(page, "workplace").fill("欠勤が続いている。上司と面談済み")
    field(page, "health").fill("睡眠が浅いと本人")
    field(page, "policy").fill("来週職場訪問し、勤務時間の調整を相談する")
    field(page, "wishes").fill("休まず続けたい")
    page.locator(".teichaku-field-judgement select").select_option("要対応")
    page.locator(".teichaku-action-content input").fill("勤務時間の調整を企業に相談")
    page.locator(".teichaku-action-owner input").fill("田村")
    page.locator(".teichaku-action-due input").fill("2030/03/31")
    page.locator(".teichaku-add-action").click()
    expect(page.locator(".teichaku-pending-action")).to_contain_text("勤務時間の調整を企業に相談")
    page.locator(".teichaku-save").click()
    expect(page.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)
    expect(page.locator(".teichaku-progress")).to_have_text(re.compile(r"検討済 1/\d+"))
    shots.take(page, "saved")

    # reload the page: the review and the action are there
    page.reload()
    expect(page.locator(".teichaku-progress")).to_have_text(re.compile(r"検討済 1/\d+"), timeout=WAIT_MS)
    expect(page.locator(".teichaku-recorder")).to_have_text(SIGNED_IN)
    open_case(page, "003")
    expect(field(page, "policy")).to_have_value("来週職場訪問し、勤務時間の調整を相談する")
    expect(page.locator(".teichaku-field-judgement select")).to_have_value("要対応")
    expect(page.locator(".teichaku-month-action")).to_contain_text("勤務時間の調整を企業に相談")
    shots.take(page, "reloaded")

    # leaving a case with unsaved edits asks first
    field(page, "issues").fill("書きかけ")
    page.locator(".teichaku-case-button", has_text=re.compile(r"^004 ")).click()
    expect(page.locator(".teichaku-leave")).to_contain_text("保存していない変更があります")
    expect(page.locator(".teichaku-case-title")).to_contain_text("003")
    shots.take(page, "leave-asks")
    page.locator(".teichaku-leave-stay").click()
    expect(page.locator(".teichaku-leave")).to_be_hidden()
    # ... and so does closing the tab (the browser's own question); staying keeps a page that
    # still talks to its kernel (the mark goes when the text is taken back; later steps save)
    expect(page.locator(".teichaku-app.teichaku-unsaved")).to_have_count(1)
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    field(page, "issues").fill("")
    expect(page.locator(".teichaku-app.teichaku-unsaved")).to_have_count(0)

    # a second person edits the same field of the case: whoever saves second chooses what stays
    other, page2 = open_app(browser, url)
    open_case(page2, "003")
    expect(field(page2, "policy")).to_have_value("来週職場訪問し、勤務時間の調整を相談する")
    field(page, "policy").fill("山田の方針: 来週訪問")
    page.locator(".teichaku-save").click()
    expect(page.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)
    field(page2, "policy").fill("佐藤の方針: 電話で確認")
    page2.locator(".teichaku-save").click()
    conflict = page2.locator(".teichaku-conflict-box")
    expect(conflict).to_contain_text(f"{ME} さんが", timeout=WAIT_MS)
    expect(conflict).to_contain_text("山田の方針: 来週訪問")
    expect(conflict).to_contain_text("佐藤の方針: 電話で確認")
    shots.take(page2, "conflict", part=".teichaku-review")
    page2.locator(".teichaku-merge-policy").get_by_label("自分の内容").check()
    page2.locator(".teichaku-save-merge").click()
    expect(page2.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)
    expect(page2.locator(".teichaku-review-message")).to_contain_text("版 3")
    expect(conflict).to_be_hidden()
    shots.take(page2, "conflict-resolved", part=".teichaku-review")
    from teichaku_nb.store import open_store
    with open_store(str(_db), readonly=True) as store:        # the text not chosen is kept in the history
        replaced = [h.changes["policy"][0] for h in store.history(user_id="003") if "policy" in h.changes]
    assert replaced[-1] == "山田の方針: 来週訪問"

    # the export panel: this person's 支援レポート (本人用), downloaded from the page itself
    page.get_by_text("帳票の出力（会議録・支援レポート・月次サマリー）").click()
    selects = page.locator(".teichaku-export select")
    selects.nth(1).select_option(label="本人用")
    selects.nth(2).select_option(label="開いているケースの人")
    page.locator(".teichaku-export-make").click()
    link = page.locator(".teichaku-export-link a:not(.teichaku-checks)")      # beside it, the 確認事項
    expect(link).to_have_attribute("download", re.compile(r"_003_本人用\.html$"), timeout=WAIT_MS)
    expect(page.locator(".teichaku-export-status")).to_contain_text("1件を作成しました")
    shots.take(page, "export", part=".teichaku-export")
    with page.expect_download() as download:
        link.click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "支援レポート（本人用）" in report and "池田 誠 様" in report
    assert "<script>" not in report
    expect(page.locator(".teichaku-export-status")).to_contain_text("送付の記録になりません")

    # sending is recorded on purpose, in its own panel
    page.get_by_text(re.compile(r"^支援レポートの送付の記録 — 2026年10月$")).click()
    page.locator(".teichaku-sending-record").click()                  # 本人・企業: 003 did not consent
    expect(page.locator(".teichaku-sending-message")).to_contain_text("企業用の支援レポートを作らないため",
                                                                      timeout=WAIT_MS)
    page.locator(".teichaku-sending select").first.select_option("本人")
    page.locator(".teichaku-sending-record").click()
    expect(page.locator(".teichaku-sending-message")).to_contain_text("1人の送付を記録しました", timeout=WAIT_MS)
    expect(page.locator(".teichaku-sending-list")).to_contain_text("池田 誠")
    shots.take(page, "sending", part=".teichaku-sending")

    assert xss_flag(page) is None and xss_flag(page2) is None
    assert _db.exists()                              # the records went where the app said
    other.close()
    context.close()


# Health words typed into every field of the review the employer must not read.
INTERNAL_WORDS = {"workplace": "職場で涙ぐむことがあった", "life": "夜眠れず家族と口論", "health": "抑うつで服薬を増量",
                  "issues": "主治医との連携が課題", "discussion": "入院の可能性を検討", "policy": "主治医に受診状況を確認する",
                  "wishes": "病気のことは会社に言わないでほしい", "next_check": "気分2。要確認"}
TO_PERSON_WORDS = "今月もよく働きました。来月も一緒に振り返りましょう"
TO_EMPLOYER_WORDS = "作業手順書の更新をお願いします"


def _made(page, audience: str, fmt: str) -> dict[str, bytes]:
    """Make the open case's 支援レポート in the export panel and download them: name → bytes."""
    import io
    import zipfile

    from playwright.sync_api import expect
    selects = page.locator(".teichaku-export select")
    selects.nth(0).select_option(label="支援レポート")
    selects.nth(1).select_option(label=audience)
    selects.nth(2).select_option(label="開いているケースの人")
    page.locator(".teichaku-export").get_by_role("button", name=fmt, exact=True).click()
    page.locator(".teichaku-export-make").click()
    link = page.locator(".teichaku-export-link a:not(.teichaku-checks)")
    # this batch's link (the callers alternate formats, so an earlier batch's link never matches)
    ext = fmt.lower()
    expect(link).to_have_attribute("download", re.compile(rf"(_{ext}\.zip|\.{ext})$"), timeout=WAIT_MS)
    expect(page.locator(".teichaku-export-status")).to_contain_text("件を作成しました", timeout=WAIT_MS)
    with page.expect_download() as download:
        link.click()
    data = Path(download.value.path()).read_bytes()
    name = download.value.suggested_filename
    if not name.endswith(".zip"):
        return {name: data}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _pdf_text(data: bytes, folder: Path, name: str) -> str:
    path = folder / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_what_leaves_the_office_is_what_was_written_for_its_reader(served, browser, tmp_path):
    from playwright.sync_api import expect
    url, _base, _db, _pid = served
    shots = Shots("readers")
    context, page = open_app(browser, url)
    open_case(page, "004")                                       # 企業共有同意 はい

    # the form says where each field goes
    expect(page.locator(".teichaku-review")).to_contain_text("会議の記録（事業所内のみ。支援レポートには載りません）")
    expect(page.locator(".teichaku-reach-note-to_person")).to_contain_text("本人用の支援レポートに載ります")
    expect(page.locator(".teichaku-reach-note-to_employer")).to_contain_text("企業用の支援レポートに載ります")
    for name, words in INTERNAL_WORDS.items():
        field(page, name).fill(words)
    field(page, "to_person").fill(TO_PERSON_WORDS)
    field(page, "to_employer").fill(TO_EMPLOYER_WORDS)
    page.locator(".teichaku-save").click()
    expect(page.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)

    # the preview shows the employer's copy as it will be made
    page.locator(".teichaku-preview-employer").click()
    preview = page.frame_locator(".teichaku-preview-frame")
    expect(preview.locator("body")).to_contain_text(TO_EMPLOYER_WORDS, timeout=WAIT_MS)
    preview_text = preview.locator("body").inner_text()
    assert not [w for w in INTERNAL_WORDS.values() if w in preview_text]
    shots.take(page, "preview", part=".teichaku-review")
    page.locator(".teichaku-preview-close").click()

    page.get_by_text("帳票の出力（会議録・支援レポート・月次サマリー）").click()
    for fmt in ("HTML", "PDF"):
        made = _made(page, "本人用と企業用", fmt)
        texts = {name: (_pdf_text(data, tmp_path, name) if name.endswith(".pdf") else data.decode("utf-8"))
                 for name, data in made.items() if "_確認事項_" not in name}
        own = next(t for n, t in texts.items() if "_004_本人用" in n)
        employer = next(t for n, t in texts.items() if "_004_企業用" in n)
        compact = lambda text: re.sub(r"\s+", "", text)          # PDF text breaks lines where it likes
        assert compact(TO_EMPLOYER_WORDS) in compact(employer) and compact(TO_PERSON_WORDS) in compact(own), fmt
        for words in INTERNAL_WORDS.values():
            assert compact(words) not in compact(employer) and compact(words) not in compact(own), (fmt, words)
        assert compact(TO_PERSON_WORDS) not in compact(employer) and compact(TO_EMPLOYER_WORDS) not in compact(own)

    # without consent there is no employer copy to write for, and none is made
    open_case(page, "003")                                       # 企業共有同意 いいえ
    expect(page.locator(".teichaku-reach-note-to_employer")).to_contain_text("企業用の支援レポートは作りません")
    expect(field(page, "to_employer")).to_be_disabled()
    expect(page.locator(".teichaku-preview-employer")).to_be_disabled()
    made = _made(page, "本人用と企業用", "HTML")
    assert [n for n in made if "_確認事項_" not in n] == [n for n in made if n.endswith("_003_本人用.html")]
    expect(page.locator(".teichaku-export-status")).to_contain_text("企業用の支援レポートを作っていません")
    shots.take(page, "no-employer-copy", part=".teichaku-export")
    context.close()


def test_two_people_changing_different_fields_of_a_case_both_keep_their_changes(served, browser):
    from playwright.sync_api import expect
    url = served[0]
    first, page = open_app(browser, url)
    second, page2 = open_app(browser, url)
    try:
        for p in (page, page2):
            open_case(p, "004")
        field(page, "workplace").fill("甲野の記録: 職場は落ち着いている")
        page.locator(".teichaku-save").click()
        expect(page.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)
        field(page2, "issues").fill("乙川の課題: 通勤の負担")
        page2.locator(".teichaku-save").click()
        message = page2.locator(".teichaku-review-message")
        expect(message).to_contain_text(f"{ME} さんが", timeout=WAIT_MS)
        expect(message).to_contain_text("職場の現状を取り込み")
        expect(field(page2, "workplace")).to_have_value("甲野の記録: 職場は落ち着いている")
        expect(field(page2, "issues")).to_have_value("乙川の課題: 通勤の負担")
        expect(page2.locator(".teichaku-conflict-box")).to_be_hidden()
    finally:
        second.close()
        first.close()


def test_the_text_not_chosen_in_a_conflict_is_kept_in_the_history_and_the_export(served, browser, tmp_path):
    """Two people write the same field of a case; the second keeps the saved text
    (「保存されている内容」): their own text is not in the review, but the history and the Excel
    export keep it, with who typed it and when."""
    import openpyxl
    from playwright.sync_api import expect

    from teichaku_nb.japanese import JST
    from teichaku_nb.store import open_store
    from teichaku_nb.store.export import export_workbook
    url, _base, db, _pid = served
    first, page = open_app(browser, url)
    second, page2 = open_app(browser, url)
    try:
        for p in (page, page2):
            open_case(p, "006")
        field(page, "policy").fill("丙野の方針: 月2回訪問する")
        page.locator(".teichaku-save").click()
        expect(page.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)
        field(page2, "policy").fill("丁村の方針: 電話だけにする")
        page2.locator(".teichaku-save").click()
        conflict = page2.locator(".teichaku-conflict-box")
        expect(conflict).to_contain_text("丙野の方針: 月2回訪問する", timeout=WAIT_MS)
        page2.locator(".teichaku-merge-policy").get_by_label("保存されている内容").check()
        page2.locator(".teichaku-save-merge").click()
        expect(page2.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)
        expect(field(page2, "policy")).to_have_value("丙野の方針: 月2回訪問する")
        expect(conflict).to_be_hidden()
    finally:
        second.close()
        first.close()

    out = tmp_path / "records.xlsx"
    with open_store(str(db), readonly=True) as store:
        (review,) = store.reviews(month="2026-10", user_id="006")
        set_aside = [h for h in store.history(user_id="006") if h.operation == "not_kept"]
        export_workbook(store, None, out)
    assert review.policy == "丙野の方針: 月2回訪問する"
    assert [(h.changed_by, h.changes) for h in set_aside] == [
        (ME, {"policy": ("丁村の方針: 電話だけにする", "丙野の方針: 月2回訪問する")})]
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(out)["変更履歴"].iter_rows(min_row=2)]
    kept = [r for r in rows if r[6] == "採用しなかった入力"]
    assert [(r[1], r[3], r[4], r[7], r[8]) for r in kept] == [
        (ME, "006", "ケース検討", "方針", "丁村の方針: 電話だけにする")]
    assert kept[0][0].date() == review.updated_at.astimezone(JST).date()           # when, in 日本時間


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str) -> tuple[int, str, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read().decode("utf-8", "replace")


def test_without_the_token_there_is_no_data(served):
    url, base, _db, pid = served
    token = url.split("token=")[1]
    for child in _children(pid):                     # the token is not on any command line (ps)
        assert token not in Path(f"/proc/{child}/cmdline").read_text(errors="replace")
    for path in ("/", "/voila/render/conference.ipynb", "/conference.ipynb", "/api/kernels", "/api/sessions",
                 "/api/contents", "/voila/files/conference.ipynb", f"/?token=wrong{token[:4]}"):
        status, location, body = _get(base + path)
        assert status in (302, 403, 404), (path, status)
        if status == 302:
            assert "/login" in location, (path, location)
        assert OFFICE not in body and "application/vnd.jupyter.widget-view+json" not in body, path
    status, _, body = _get(url)                      # with the token: the page
    assert status == 200 and "application/vnd.jupyter.widget-view+json" in body
    assert "static/leaving.js" in body and "application/javascript" not in body   # a script of the template, not an output
    status, _, _ = _get(base + "/voila/files/conference.ipynb?token=" + token)
    assert status in (403, 404)                     # the notebook's folder is not served


def _kernel_running(base: str, token: str, kernel_id: str) -> bool:
    status, _, _ = _get(f"{base}/api/kernels/{kernel_id}?token={token}")
    assert status in (200, 404), status
    return status == 200


def test_a_closed_page_frees_its_kernel(served, browser):
    """Every page has its own kernel holding the workbook: closing the tab must end it, or
    each reload during a conference would leave one running until the app stops; with
    unsaved edits the browser asks first and leaving still ends it."""
    from playwright.sync_api import expect
    url, base, _db, _pid = served
    token = url.split("token=")[1]
    for unsaved in (False, True):
        context, page = open_app(browser, url)
        kernel = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
        assert _kernel_running(base, token, kernel)
        if unsaved:
            open_case(page, "005")
            field(page, "wishes").fill("閉じる前の書きかけ")
            expect(page.locator(".teichaku-app.teichaku-unsaved")).to_have_count(1)
        asked = []
        page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
        with page.expect_event("close"):
            page.close(run_before_unload=True)         # as a person closing the tab (unload handlers run)
        assert asked == (["beforeunload"] if unsaved else [])
        deadline = time.monotonic() + 60
        while _kernel_running(base, token, kernel) and time.monotonic() < deadline:
            time.sleep(0.2)                            # polling the server: nothing to await in the page
        assert not _kernel_running(base, token, kernel), f"the closed page's kernel is still running ({unsaved=})"
        context.close()


def test_a_browser_without_the_token_gets_a_japanese_page_that_takes_it(served):
    import http.cookiejar
    import urllib.parse
    url, base, _db, _pid = served
    token = url.split("token=")[1]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/") as response:                       # redirected to the login page
        page = response.read().decode("utf-8")
        login = response.url
    assert "/login" in login and "teichaku app" in page and "トークン" in page
    assert "Password" not in page and OFFICE not in page
    xsrf = next(c.value for c in jar if c.name == "_xsrf")

    def send(typed: str):
        data = urllib.parse.urlencode({"password": typed, "_xsrf": xsrf}).encode()
        try:
            with opener.open(login, data) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    status, page = send("wrong" + token[:6])
    assert status == 401 and "トークンが違います" in page and OFFICE not in page
    status, page = send(token)                                      # then the app's page
    assert status == 200 and "application/vnd.jupyter.widget-view+json" in page
