"""Staff sign in to the app, each as themselves: as an office's team meets it.

``teichaku app`` runs on the demo data (synthetic people) with three staff accounts made by
``teichaku staff add``: a 支援員, a サービス管理責任者 and one whose password someone guesses.
Nothing answers with data before sign-in (not even the server's own token, not a header a
browser forges); two people in two browsers save under their own names; a 支援員 cannot
record a 地域連携会議; repeated wrong passwords lock a name; サインアウト and a session left
idle end it; the access log holds what each did and the database refuses to change it.
Trusted-header mode believes the header only from the proxy's address.  Every wait is for a
condition, never a fixed sleep.
"""

from __future__ import annotations

from http.client import HTTPConnection
import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from test_app_server import ROUTES, _children, _cmdline, browser, free_port, http, wait_until, websocket  # noqa: F401 (browser: a fixture)
from teichaku_nb.server import launcher, login, web
from teichaku_nb.server.sessions import Lockout, Sessions
from teichaku_nb.staff import ADMIN, HEADER, MANAGER, SUPPORT, Staff

ROOT = Path(__file__).resolve().parents[1]
WAIT = 180
WAIT_MS = WAIT * 1000
OFFICE = "デモ就労定着支援センター"
ACCOUNTS = {   # login: (name, role, password)
    "sato": ("佐藤 一郎", SUPPORT, "sato-no-pass-1"),
    "kato": ("加藤 恵", MANAGER, "kato-no-pass-2"),
    "tanaka": ("田中 未来", SUPPORT, "tanaka-pass-33"),
}
slow = pytest.mark.slow


# --- the parts, without a server ---------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_ends_after_its_idle_time_and_activity_keeps_it():
    clock = Clock()
    sessions = Sessions(idle=60, clock=clock)
    session = sessions.start(Staff("sato", "佐藤 一郎", SUPPORT), "127.0.0.1")
    clock.now += 50
    sessions.touch(session)
    clock.now += 50
    assert sessions.get(session.sid) is session and sessions.expired() == []
    clock.now += 11
    assert sessions.get(session.sid) is None
    assert sessions.expired() == [session] and sessions.expired() == []


def test_wrong_passwords_lock_a_name_for_the_minutes_said_and_a_right_one_resets_the_count():
    clock = Clock()
    lockout = Lockout(failures=5, window=15 * 60, minutes=5, clock=clock)
    assert [lockout.failed("Sato ") for _ in range(4)] == [False] * 4
    lockout.succeeded("sato")
    assert [lockout.failed("sato") for _ in range(4)] == [False] * 4 and lockout.remaining("sato") == 0
    assert lockout.failed("SATO") is True                    # the fifth in a row: the same name, any case
    assert lockout.remaining("sato") == 300
    assert "5分間サインインできません" in lockout.message("sato") and "あと約5分" in lockout.message("sato")
    clock.now += 299
    assert lockout.remaining("sato") == 1 and "あと約1分" in lockout.message("sato")
    clock.now += 1
    assert lockout.remaining("sato") == 0
    assert lockout.remaining("kato") == 0                    # other names are not touched


def test_failures_spread_over_more_than_the_window_do_not_lock():
    clock = Clock()
    lockout = Lockout(failures=3, window=60, minutes=5, clock=clock)
    for _ in range(5):
        assert lockout.failed("sato") is False
        clock.now += 31


def test_the_page_request_names_the_person_the_server_knows_not_the_one_a_browser_sends():
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
    forged = Staff("kato", "加藤 恵", ADMIN).to_header()
    request = HTTPServerRequest(start_line=RequestStartLine("GET", "/", "HTTP/1.1"),
                                headers=HTTPHeaders({"Host": "x", HEADER.lower(): forged}))
    web.tell_staff(request, Staff("sato", "佐藤 一郎", SUPPORT))
    assert request.headers.get_list(HEADER) == [Staff("sato", "佐藤 一郎", SUPPORT).to_header()]
    web.tell_staff(request, None)
    assert HEADER not in request.headers


class FakeRequest:
    def __init__(self, peer: str, headers: dict):
        from tornado.httputil import HTTPHeaders
        self.remote_ip, self.headers, self.protocol = peer, HTTPHeaders(headers), "http"


def test_the_browsers_address_and_https_are_believed_from_the_trusted_proxy_only():
    provider = login.AccountsIdentityProvider(trusted_proxies=["10.0.0.5"])
    said = {"X-Real-IP": "192.168.1.23", "X-Forwarded-Proto": "https"}
    handler = type("Handler", (), {})()
    handler.request = FakeRequest("10.0.0.5", said)
    assert provider._address(handler) == "192.168.1.23"
    handler.request = FakeRequest("192.168.1.99", said)               # not the proxy: its word is not taken
    assert provider._address(handler) == "192.168.1.99"


class FakeStore:
    """The accounts and access log a sign-in reads and writes."""

    def __init__(self, *accounts):
        self.by_login = {a.login: a for a in accounts}
        self.logged = []

    def account(self, login):
        return self.by_login.get(login)

    def log_access(self, staff, action, **details):
        self.logged.append((staff.login if staff else details.get("login"), action, details.get("detail")))


def test_a_disabled_account_or_a_changed_password_ends_the_sessions_signed_in_before():
    import datetime as dt

    from teichaku_nb.store.accounts import Account
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    sato = Account("sato", "佐藤 一郎", SUPPORT, False, before, before)
    kato = Account("kato", "加藤 恵", MANAGER, False, before, before)
    provider = login.AccountsIdentityProvider()
    provider._store = store = FakeStore(sato, kato)
    clock = Clock()
    provider.sessions = Sessions(idle=1800, clock=clock)
    first, second = provider.sessions.start(sato.staff), provider.sessions.start(kato.staff)
    assert provider.user_from_cookie(first.sid).name == "佐藤 一郎"
    store.by_login["sato"] = Account("sato", "佐藤 一郎", SUPPORT, True, before, before)          # disabled
    now = dt.datetime.now(dt.timezone.utc)
    store.by_login["kato"] = Account("kato", "加藤 恵", MANAGER, False, before, now)              # new password
    assert provider.user_from_cookie(first.sid) is not None            # looked at again after a minute
    clock.now += login.ACCOUNT_RECHECK
    assert provider.user_from_cookie(first.sid) is None and provider.user_from_cookie(second.sid) is None
    assert store.logged == [("sato", "sign_out", "アカウントが無効"), ("kato", "sign_out", "パスワードが変更された")]
    third = provider.sessions.start(store.by_login["kato"].staff)        # signed in with the new password
    clock.now += login.ACCOUNT_RECHECK
    assert provider.user_from_cookie(third.sid).name == "加藤 恵"


@pytest.mark.parametrize("arguments, message", [
    ({"trusted_header": "X-Remote-User"}, "職員アカウントが必要"),
    ({"trusted_proxies": ["127.0.0.1"]}, "職員アカウントがあるとき"),
    ({"certfile": Path("/nonexistent/office.pem")}, "証明書のファイルが見つかりません"),
])
def test_doors_that_cannot_open_say_why_in_japanese(arguments, message):
    with pytest.raises(launcher.LaunchError, match=message):
        launcher.choose_doors("127.0.0.1", False, **arguments)


def test_the_doors_follow_the_accounts_and_the_arguments(tmp_path):
    assert launcher.choose_doors("127.0.0.1", False).mode == "token"
    assert launcher.choose_doors("0.0.0.0", True).mode == "accounts"
    trusted = launcher.choose_doors("127.0.0.1", True, trusted_header="X-Remote-User", trusted_proxies=["10.0.0.5"])
    assert (trusted.mode, trusted.trusted_proxies) == ("trusted-header", ("10.0.0.5",))
    assert "--AccountsIdentityProvider.trusted_proxies" in trusted.arguments()
    assert launcher.choose_doors("127.0.0.1", True, trusted_header="X-Remote-User").trusted_proxies == ("127.0.0.1",)
    behind = launcher.choose_doors("127.0.0.1", True, trusted_proxies=["127.0.0.1"])     # a proxy in front, accounts
    assert (behind.mode, behind.trusted_proxies) == ("accounts", ("127.0.0.1",))
    assert "--AccountsIdentityProvider.trusted_proxies" in behind.arguments()
    with pytest.raises(launcher.LaunchError, match="IP アドレス"):
        launcher.choose_doors("127.0.0.1", True, trusted_header="X-Remote-User", trusted_proxies=["proxy.lan"])
    pem = tmp_path / "office.pem"
    pem.write_text("x")
    assert launcher.choose_doors("0.0.0.0", True, certfile=pem).scheme == "https"


# --- the app, with accounts ---------------------------------------------------------------------

def add_accounts(env: dict) -> None:
    """The accounts, made as an office's 管理者 makes them (``teichaku staff add``)."""
    for login_name, (name, role, password) in ACCOUNTS.items():
        result = subprocess.run([sys.executable, "-m", "teichaku_nb", "staff", "add", name, "--login", login_name,
                                 "--role", role, "--password-stdin"], input=password + "\n", text=True,
                                capture_output=True, env=env, cwd=ROOT, timeout=WAIT)
        assert result.returncode == 0, result.stderr
        assert password not in result.stdout + result.stderr


class SignedApp:
    """``teichaku app`` on the demo data with staff accounts."""

    def __init__(self, folder: Path, *args: str, **env_extra: str):
        self.port = free_port()
        self.folder = folder
        self.env = dict(os.environ, XDG_DATA_HOME=str(folder / "xdg"), **env_extra)
        for name in ("TEICHAKU_BOOK", "TEICHAKU_DB"):
            self.env.pop(name, None)
        self.db = folder / "xdg" / "teichaku" / "demo.teichaku.sqlite"
        add_accounts(self.env)
        self.stderr = folder / "stderr.txt"
        self.process = subprocess.Popen([sys.executable, "-m", "teichaku_nb", "app", "--port", str(self.port), *args],
                                        cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=open(self.stderr, "w"),
                                        stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True).start()
        self.printed = []
        while not any("終了するには" in line for line in self.printed):
            try:
                self.printed.append(lines.get(timeout=WAIT))
            except queue.Empty:
                self.stop()
                pytest.fail("teichaku app did not start: " + "".join(self.printed) + self.stderr.read_text())
        self.base = f"http://127.0.0.1:{self.port}"
        self.voila = wait_until(lambda: next((pid for pid in _children(self.process.pid)
                                              if "teichaku_nb.server" in _cmdline(pid)), None), "Voila's process")

    def token(self) -> str:
        """The server's own token (for its kernels' callback), read as its owner could."""
        environ = Path(f"/proc/{self.voila}/environ").read_bytes().split(b"\0")
        return next(v.split(b"=", 1)[1].decode() for v in environ if v.startswith(b"JUPYTER_TOKEN="))

    def kernels(self) -> list[str]:
        found = []
        for pid in _children(self.voila):
            match = re.search(r"kernel-([0-9a-f-]{36})\.json", _cmdline(pid))
            if match:
                found.append(match.group(1))
        return found

    def log(self, login_name: str | None = None) -> list[dict]:
        """``teichaku log --json`` as the 管理者 reads it."""
        args = ["--user", login_name] if login_name else []
        result = subprocess.run([sys.executable, "-m", "teichaku_nb", "log", "--json", *args], env=self.env,
                                cwd=ROOT, capture_output=True, text=True, timeout=WAIT)
        assert result.returncode == 0, result.stderr
        found = json.loads(result.stdout)
        return found["entries"] if isinstance(found, dict) else found

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    app = SignedApp(tmp_path_factory.mktemp("signin"))
    try:
        yield app
    finally:
        app.stop()


def no_data(body: str) -> None:
    assert OFFICE not in body and "application/vnd.jupyter.widget-view+json" not in body
    for name, _role, password in ACCOUNTS.values():
        assert name not in body and password not in body


def sign_in(browser, app: SignedApp, login_name: str, password: str | None = None, **context):
    """A browser context of its own, at the sign-in page, signed in; (context, page)."""
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="ja-JP", **context)
    page = context.new_page()
    page.goto(app.base + "/", timeout=WAIT_MS)
    type_in(page, login_name, password or ACCOUNTS[login_name][2])
    return context, page


def type_in(page, login_name: str, password: str) -> None:
    page.locator("input[name=login]").fill(login_name)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="サインイン").click()


def agenda(page):
    from playwright.sync_api import expect
    expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT_MS)


def open_case(page, user_id: str) -> None:
    from playwright.sync_api import expect
    page.locator(".teichaku-case-button", has_text=re.compile(rf"^{user_id} ")).click()
    expect(page.locator(".teichaku-case-title")).to_contain_text(user_id, timeout=WAIT_MS)


def save_review(page, policy: str) -> None:
    from playwright.sync_api import expect
    page.locator(".teichaku-field-policy textarea").fill(policy)
    page.locator(".teichaku-save").click()
    expect(page.locator(".teichaku-review-message")).to_contain_text("保存しました", timeout=WAIT_MS)


@slow
def test_no_route_answers_with_data_before_sign_in_not_with_the_servers_token_nor_a_forged_header(office):
    kernel = wait_until(lambda: next(iter(office.kernels()), None), "a preheated kernel")
    forged = {HEADER: Staff("kato", "加藤 恵", ADMIN).to_header()}
    for pattern, paths in ROUTES.items():
        for path in paths:
            path = path.format(kernel=kernel)
            if path.startswith("ws:"):
                assert websocket(f"ws://127.0.0.1:{office.port}{path[3:]}", forged) == (403, []), path
                continue
            status, location, body = http(office.base + path, forged)
            assert status in (200, 302, 403, 404, 405), (path, status)
            if status == 302:
                assert "/login" in location, (path, location)
            no_data(body)
    # the token the server gives its own kernels opens no page: with accounts, people sign in
    status, location, body = http(f"{office.base}/?token={office.token()}")
    assert status == 302 and "/login" in location
    no_data(body)
    status, _, body = http(office.base + "/login")
    assert status == 200 and "サインイン名" in body and "パスワード" in body and 'lang="ja"' in body
    assert not re.search(r"\b(Password|Log in|Sign in)\b", body)


@slow
def test_two_staff_in_two_browsers_record_under_their_own_names(office, browser):
    """Each save's 記録者 is the account that signed in; a header a browser forges changes
    nothing; a 支援員 may not record a 地域連携会議, a サービス管理責任者 may."""
    from playwright.sync_api import expect
    forged = {HEADER: Staff("kato", "加藤 恵", ADMIN).to_header()}
    first, page = sign_in(browser, office, "sato", "wrong-password-1", extra_http_headers=forged)
    expect(page.locator(".error")).to_have_text(re.compile("サインイン名かパスワードが違います"))
    no_data(page.content())
    type_in(page, "sato", ACCOUNTS["sato"][2])
    agenda(page)
    expect(page.locator(".teichaku-recorder-name")).to_have_text("記録者: 佐藤 一郎（支援員）")
    second, page2 = sign_in(browser, office, "kato")
    agenda(page2)
    expect(page2.locator(".teichaku-recorder-name")).to_have_text("記録者: 加藤 恵（サービス管理責任者）")
    page.screenshot(path=str(office.folder / "signed-in.png"))

    open_case(page, "003")
    save_review(page, "佐藤が書いた方針")
    open_case(page2, "004")
    save_review(page2, "加藤が書いた方針")

    # the 地域連携会議: off for the 支援員, with the reason; the サービス管理責任者 records it
    page.get_by_text("会議の記録（開催日・種別・出席者）").click()
    page.locator(".teichaku-meeting-kind select").select_option("地域連携会議")
    save = page.locator(".teichaku-meeting-save")
    expect(save).to_be_disabled()
    expect(save).to_have_attribute("title", re.compile("サービス管理責任者"))
    page2.get_by_text("会議の記録（開催日・種別・出席者）").click()
    page2.locator(".teichaku-meeting-kind select").select_option("地域連携会議")
    page2.locator(".teichaku-meeting-attendees input").fill("加藤 恵、佐藤 一郎")
    page2.locator(".teichaku-meeting-outside input").fill("なかぽつセンター 山本 様")
    page2.locator(".teichaku-meeting-presenter input").fill("加藤 恵")
    page2.locator(".teichaku-meeting-save").click()
    expect(page2.locator(".teichaku-meeting-status")).to_contain_text("会議を記録しました", timeout=WAIT_MS)

    from teichaku_nb.store import open_store
    with open_store(str(office.db), readonly=True) as store:
        by = {r.user_id: r.updated_by for r in store.reviews(month="2026-10")}
        meetings = store.conferences(month="2026-10")
    assert by["003"] == "佐藤 一郎" and by["004"] == "加藤 恵"
    assert [(m.kind, m.updated_by) for m in meetings] == [("地域連携会議", "加藤 恵")]
    first.close()
    second.close()


@slow
def test_the_access_log_holds_a_sessions_case_openings_and_documents_and_refuses_changes(office, browser):
    from playwright.sync_api import expect
    context, page = sign_in(browser, office, "kato")
    agenda(page)
    open_case(page, "005")
    page.get_by_text("帳票の出力（会議録・支援レポート・月次サマリー）").click()
    selects = page.locator(".teichaku-export select")
    selects.nth(0).select_option(label="支援レポート")
    selects.nth(1).select_option(label="本人用")
    selects.nth(2).select_option(label="開いているケースの人")
    page.locator(".teichaku-export-make").click()
    expect(page.locator(".teichaku-export-status")).to_contain_text("1件を作成しました", timeout=WAIT_MS)
    with page.expect_download():
        page.locator(".teichaku-export-link a:not(.teichaku-checks)").click()
    page.get_by_role("link", name="サインアウト").click()
    expect(page.locator("body")).to_contain_text("サインアウトしました")
    page.goto(office.base + "/", timeout=WAIT_MS)
    expect(page.locator("input[name=password]")).to_be_visible()           # signed out: the sign-in page again
    no_data(page.content())
    context.close()

    entries = office.log("kato")
    actions = [e["action"] for e in entries]
    assert actions[-1] == "sign_out" and "sign_in" in actions
    opened = [e for e in entries if e["action"] == "case_opened"]
    made = [e for e in entries if e["action"] == "document_made"]
    assert any(e["user_id"] == "005" for e in opened)
    assert made and made[-1]["user_id"] == "005" and "本人用" in made[-1]["document"]
    assert all(e["name"] == "加藤 恵" and e["role"] == MANAGER for e in opened + made)

    # the app's database refuses to alter or remove what was logged
    with sqlite3.connect(office.db) as raw:
        for statement in ("UPDATE access_log SET login = 'someone'", "DELETE FROM access_log"):
            with pytest.raises(sqlite3.DatabaseError):
                raw.execute(statement)
    assert office.log("kato") == entries


@slow
def test_repeated_wrong_passwords_lock_the_name_and_the_page_says_for_how_long(office, browser):
    from playwright.sync_api import expect
    context, page = sign_in(browser, office, "tanaka", "not-the-password")
    for _ in range(4):
        type_in(page, "tanaka", "not-the-password")
    expect(page.locator(".error")).to_contain_text("5分間サインインできません")
    type_in(page, "tanaka", ACCOUNTS["tanaka"][2])                     # the right one, too soon
    expect(page.locator(".error")).to_contain_text("5分間サインインできません")
    no_data(page.content())
    context.close()
    actions = [e["action"] for e in office.log("tanaka")]
    assert actions.count("sign_in_failed") == 6 and "locked_out" in actions and "sign_in" not in actions


@slow
def test_a_session_left_idle_ends_with_its_kernel_and_the_page_asks_to_sign_in_again(tmp_path, browser):
    from playwright.sync_api import expect
    app = SignedApp(tmp_path, TEICHAKU_APP_IDLE_MINUTES="0.1")          # 6 seconds
    try:
        context, page = sign_in(browser, app, "sato")
        agenda(page)
        kernel = page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
        wait_until(lambda: "timed_out" in [e["action"] for e in app.log("sato")], "the session to time out")
        wait_until(lambda: kernel not in app.kernels(), "the session's kernel to end")
        page.goto(app.base + "/", timeout=WAIT_MS)
        expect(page.locator("input[name=password]")).to_be_visible()
        context.close()
    finally:
        app.stop()


def _get_from(address: str, port: int, path: str, headers: dict) -> tuple[int, str, str]:
    """A GET whose connection comes from ``address`` (any 127.x address is this machine)."""
    connection = HTTPConnection("127.0.0.1", port, timeout=WAIT, source_address=(address, 0))
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Location", ""), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@slow
def test_the_trusted_header_counts_only_from_the_proxys_address(tmp_path):
    app = SignedApp(tmp_path, "--trusted-header", "X-Remote-User", "--trusted-proxy", "127.0.0.2")
    try:
        assert any("組織のサインイン" in line for line in app.printed)
        sato = {"X-Remote-User": "sato"}
        status, location, body = _get_from("127.0.0.1", app.port, "/", sato)       # not the proxy
        assert status == 302 and "/login" in location
        no_data(body)
        status, _, body = _get_from("127.0.0.2", app.port, "/", {})                 # the proxy, naming nobody
        assert status == 302
        status, _, body = _get_from("127.0.0.2", app.port, "/login", {"X-Remote-User": "nobody"})
        assert "「nobody」の職員アカウントがこのアプリにありません" in body
        status, _, body = _get_from("127.0.0.2", app.port, "/", sato)               # the proxy, naming sato
        assert status == 200 and "application/vnd.jupyter.widget-view+json" in body
        entries = app.log("sato")
        assert [e["action"] for e in entries] == ["sign_in"] and entries[0]["address"] == "127.0.0.2"
    finally:
        app.stop()


def test_the_first_start_at_a_terminal_offers_the_first_admin_once(tmp_path, monkeypatch, capsys):
    """``teichaku app`` at a terminal with no account asks once whether to make the first 管理者;
    declined, the next start does not ask again (and keeps the token of this computer)."""
    from teichaku_nb.cli.records import staff_accounts
    from teichaku_nb.cli.staff import offer_first_admin
    from teichaku_nb.store import open_store
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    book, typed = tmp_path / "office.xlsx", []

    def terminal(store):
        return offer_first_admin(store, ask=lambda prompt="": typed.pop(0), secret=lambda prompt="": "kanri-no-pass-9")

    db = str(tmp_path / "office.teichaku.sqlite")
    typed[:] = [""]                                                     # Enter: not now
    assert staff_accounts(db, book, True, first_admin=terminal) is False and typed == []
    typed[:] = ["y"]
    assert staff_accounts(db, book, True, first_admin=terminal) is False and typed == ["y"]    # not asked again
    other = str(tmp_path / "other.teichaku.sqlite")
    assert staff_accounts(other, book, False, first_admin=terminal) is False    # no terminal: never asked
    typed[:] = ["y", "管理 花子", "kanri"]
    assert staff_accounts(other, book, True, first_admin=terminal) is True
    assert "kanri-no-pass-9" not in capsys.readouterr().out
    with open_store(other, book_path=book) as store:
        assert [(a.login, a.name, a.role) for a in store.accounts()] == [("kanri", "管理 花子", ADMIN)]
