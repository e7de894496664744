"""What staff see of ``teichaku app``: the terminal, the token page, the names of downloads.

The terminal that runs ``teichaku app`` shows only Japanese lines (what is open, the URL with
its token, how to stop) from the start to Ctrl+C, also while a page is opened and its kernel
runs; Voila's, Jupyter's and the libraries' output goes to the app's log file.  The token page
takes the whole URL pasted as well as the token.  Every wait is for a condition (a line
printed, an HTTP answer, the process ending), never a fixed sleep.  All people are synthetic.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import signal
import stat
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from teichaku_nb.paths import demo_book_path
from teichaku_nb.server.login import token_from

from test_app_server import WAIT, free_port, http, slow, wait_until

ROOT = Path(__file__).resolve().parents[1]

# A line of the terminal may carry these (a URL, the files that are open, the key to press);
# nothing else in it may be a word of ASCII letters: no English, no library's message.
URL = re.compile(r"https?://\S+")
KEY = "Ctrl+C"
ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")


def english_in(line: str, paths: list[str]) -> list[str]:
    """The English words of a terminal line, once its URLs, the given paths and the key are
    taken out."""
    rest = URL.sub(" ", line)
    for path in sorted(paths, key=len, reverse=True):
        rest = rest.replace(path, " ")
    return ENGLISH_WORD.findall(rest.replace(KEY, " "))


class Terminal:
    """``teichaku app`` on the demo data in a terminal: everything it prints, stdout and
    stderr together, line by line."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.xdg = folder / "xdg"
        self.tmp = folder / "tmp"            # the app's temporary files, to be looked at
        self.tmp.mkdir()
        env = dict(os.environ, XDG_DATA_HOME=str(self.xdg), TMPDIR=str(self.tmp), PYTHONWARNINGS="default")
        for name in ("TEICHAKU_BOOK", "TEICHAKU_DB", "TEICHAKU_DEBUG"):
            env.pop(name, None)
        self.process = subprocess.Popen([sys.executable, "-m", "teichaku_nb", "app", "--port", str(self.port)],
                                        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str) -> re.Match:
        """The first line (from here on) that matches ``pattern``."""
        while True:
            try:
                line = self._queue.get(timeout=WAIT)
            except queue.Empty:
                pytest.fail(f"teichaku app did not print {pattern!r}: " + "\n".join(self.lines))
            if line is None:
                pytest.fail(f"teichaku app ended before printing {pattern!r}: " + "\n".join(self.lines))
            self.lines.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def interrupt(self) -> int:
        """Ctrl+C (SIGINT to teichaku, as the terminal sends it); the exit code."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(WAIT)
        while (line := self._queue.get(timeout=WAIT)) is not None:
            self.lines.append(line)
        return code

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def cookie_session() -> urllib.request.OpenerDirector:
    """A browser's memory of cookies (the login and its form's _xsrf), redirects not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)


def http_with(opener, url: str) -> tuple[int, str, str]:
    try:
        with opener.open(url, timeout=WAIT) as answer:
            return answer.status, answer.headers.get("Location", ""), answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read().decode("utf-8")


def log_in(base: str, typed: str) -> tuple[int, str, str]:
    """Type ``typed`` into the token page and press 開く: (status, Location, body); after a
    login the body is the status of a call with the cookie it set."""
    opener = cookie_session()
    with opener.open(f"{base}/login?next=%2F", timeout=WAIT) as page:
        html = page.read().decode("utf-8")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"_xsrf": xsrf, "password": typed}).encode()
    status, location, body = http_with(opener, urllib.request.Request(f"{base}/login?next=%2F", data=form))
    if status == 302:           # logged in: the cookie opens what needs the token (a kernel's API)
        checked, _, _ = http_with(opener, f"{base}/api/kernels/00000000-0000-0000-0000-000000000000")
        body = f"api {checked}"    # 404: no such kernel (403 without the login)
    return status, location, body


@slow
def test_the_terminal_shows_staff_only_japanese_lines_from_start_to_ctrl_c(tmp_path):
    terminal = Terminal(tmp_path)
    try:
        url = terminal.wait_for(r"(http://127\.0\.0\.1:\d+/\?token=\S+)").group(1)
        terminal.wait_for("Ctrl\\+C")
        base = f"http://127.0.0.1:{terminal.port}"
        # a page opened: the preheated kernel ran the notebook and hands the page its widgets
        status, _, body = http(url)
        assert status == 200 and "application/vnd.jupyter.widget-view+json" in body
        # the workbook read ahead for the first page: in a folder of this run only its user opens
        ahead = wait_until(lambda: list(terminal.tmp.glob("teichaku-app-*/workbook.pickle")), "the read ahead")[0]
        assert stat.S_IMODE(ahead.parent.stat().st_mode) == 0o700 and stat.S_IMODE(ahead.stat().st_mode) == 0o600
        # the whole URL pasted into the token page opens the app; a wrong token is refused in Japanese
        assert log_in(base, url) == (302, "/", "api 404")
        assert log_in(base, f"  {url.split('token=')[1]} ") == (302, "/", "api 404")
        wrong, _, page = log_in(base, url.replace("token=", "token=x"))
        assert wrong == 401 and "トークンが違います" in page
        assert terminal.interrupt() == 0
        assert list(terminal.tmp.glob("teichaku-app-*")) == []           # gone with the app
    finally:
        terminal.kill()
    lines = terminal.lines
    shown = "\n".join(lines)
    assert lines[-1] == "会議アプリを終了します。", shown
    assert "Traceback" not in shown and "ERROR" not in shown and "Warning" not in shown, shown
    data = terminal.xdg / "teichaku"           # the files it names: the workbook, the records, the log
    paths = [str(demo_book_path()), str(data / "demo.teichaku.sqlite"), str(data / "app.log")]
    assert [(line, english_in(line, paths)) for line in lines if english_in(line, paths)] == []
    assert "デモデータ" in shown and "会議記録のデータベース" in shown
    # ... Voila's own lines are kept in the app's log instead, and the deprecated option is gone
    log = (terminal.xdg / "teichaku" / "app.log").read_text(encoding="utf-8")
    assert "Voil" in log and "is not trusted" in log and url.split("token=")[1] not in log
    assert not re.search(r"file_allowlist.*deprecated", log)


def test_english_in_a_terminal_line_is_found_outside_urls_paths_and_the_key():
    assert english_in("  このパソコンから: http://127.0.0.1:8866/?token=abcDEF_xyz", []) == []
    assert english_in("終了するには Ctrl+C を押します。", []) == []
    assert english_in("ケース記録: /home/staff/cases.xlsx", ["/home/staff/cases.xlsx"]) == []
    assert english_in("[W 12:00 ServerApp] Notebook conference.ipynb is not trusted", []) != []
    assert english_in("DeprecationWarning: --VoilaConfiguration.file_allowlist", []) != []


@pytest.mark.parametrize("typed", [
    "TOKEN", " TOKEN\n", "http://127.0.0.1:8866/?token=TOKEN", "  http://office-pc:8866/?token=TOKEN  ",
    "http://[::1]:8866/?month=2026-10&token=TOKEN#top", "?token=TOKEN", "token=TOKEN"])
def test_the_token_page_takes_the_token_or_the_whole_url(typed):
    assert token_from(typed) == "TOKEN"


def test_the_token_page_does_not_make_a_token_of_other_text():
    assert token_from("http://127.0.0.1:8866/") == "http://127.0.0.1:8866/"
    assert token_from("http://127.0.0.1:8866/?mytoken=TOKEN") != "TOKEN"
    assert token_from("") == ""


def test_zip_names_say_office_kind_month_and_format():
    from teichaku_nb.app.exports import zip_name
    assert zip_name("デモ事業所", "支援レポート", "2026-10", "pdf") == "デモ事業所_支援レポート_2026-10_pdf.zip"
    assert zip_name("デモ事業所", "支援レポート", "2026-10", "html") == "デモ事業所_支援レポート_2026-10_html.zip"
    assert zip_name("A/B: 事業所", "会議録", "2026-10", "html") == "A_B_事業所_会議録_2026-10_html.zip"
    assert zip_name("", "確認事項", "2026-10") == "全事業所_確認事項_2026-10.zip"


def test_a_staff_error_in_a_callback_is_one_info_line_without_traceback_and_a_bug_keeps_its_traceback(caplog):
    from teichaku_nb.app.common import Guard
    from teichaku_nb.errors import FormError

    guard = Guard()

    def empty_recorder():
        raise FormError("記録者を入力してください")

    def bug():
        raise RuntimeError("boom")

    with caplog.at_level(logging.DEBUG, logger="teichaku_nb.app"):
        guard.wrap(empty_recorder, "検討の保存")()
        assert guard.error == "検討の保存ができませんでした: 記録者を入力してください"
        guard.wrap(bug, "検討の保存")()
    staff, broken = caplog.records
    assert (staff.levelname, staff.exc_info, staff.getMessage()) == ("INFO", None, "検討の保存: 記録者を入力してください")
    assert broken.levelname == "ERROR" and broken.exc_info[0] is RuntimeError
