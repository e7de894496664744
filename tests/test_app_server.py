"""The app's web server as another account on the machine and a careless user meet it.

``teichaku app`` runs as a subprocess on the demo data with short kernel timeouts.  Another
OS account can read every kernel's id in ``ps`` and reach the port, but not the token: every
route it can name answers without the token or any data; the preheated kernel's request
websocket refuses it whether the page was opened before or after the kernel was ready.
Kernels nobody uses end (and a page that comes back to an ended kernel says so in Japanese);
mistyped addresses answer with a Japanese page or 404, never 500; a server listening on every
address prints URLs a person can open.  Every wait is for a condition (a process, a
connection, an HTTP answer, a widget), never a fixed sleep.  All people are synthetic.
"""

from __future__ import annotations

import json
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

from helpers_proc import open_files
from teichaku_nb.cli.records import records_location
from teichaku_nb.paths import app_notebook_path
from teichaku_nb.server import launcher, web

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "reports" / "test-artifacts" / "app-server"
WAIT = 180                   # seconds: a fresh kernel on a busy 2-core machine
UNOPENED, LEFT = 10, 20      # the server's kernel timeouts here (seconds; production: 120 and 1800)
OFFICE = "デモ就労定着支援センター"
KERNEL_FILE = re.compile(r"kernel-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json")


# --- what anyone on the machine can see ----------------------------------------------------------

def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace").replace("\0", " ")
    except OSError:
        return ""


def _holds_connection_to(pid: int, port: int) -> bool:
    """Whether process ``pid`` has an established TCP connection to ``port`` (a preheated
    kernel connects to the server only to wait for its page's request)."""
    inodes = {found.group(1) for target in open_files(pid)
              if (found := re.fullmatch(r"socket:\[(\d+)\]", target))}
    try:
        tables = [Path(f"/proc/{pid}/net/{name}").read_text() for name in ("tcp", "tcp6")]
    except OSError:
        return False
    for table in tables:
        for line in table.splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes and int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                return True
    return False


def wait_until(condition, what: str, timeout: float = WAIT):
    """Poll ``condition`` (a server's or the system's state: nothing to await there) until
    it returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(url: str, headers: dict | None = None) -> tuple[int, str, str]:
    """(status, Location, body) of a GET, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=WAIT) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read().decode("utf-8", "replace")


def websocket(url: str, headers: dict | None = None) -> tuple[int | None, list[str]]:
    """Open a websocket: (the HTTP status it was refused with or None, messages received)."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect
    try:
        with connect(url, additional_headers=headers or {}, open_timeout=30) as ws:
            received = []
            try:
                while True:
                    received.append(ws.recv(timeout=1))
            except TimeoutError:
                return None, received
    except InvalidStatus as refused:
        return refused.response.status_code, []


# --- the app -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """``teichaku app`` on the demo data, as staff start it."""

    def __init__(self, folder: Path, *args: str, **env_extra: str):
        self.port = free_port()
        self.log = folder / "voila.log"
        env = dict(os.environ, XDG_DATA_HOME=str(folder / "xdg"),
                   TEICHAKU_APP_UNOPENED_TIMEOUT=str(UNOPENED), TEICHAKU_APP_LEFT_TIMEOUT=str(LEFT), **env_extra)
        env.pop("TEICHAKU_BOOK", None)
        env.pop("TEICHAKU_DB", None)
        self.process = subprocess.Popen([sys.executable, "-m", "teichaku_nb", "app", "--port", str(self.port), *args],
                                        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=open(self.log, "w"),
                                        text=True, start_new_session=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True).start()
        self.url, printed = None, []
        while self.url is None:
            try:
                printed.append(lines.get(timeout=WAIT))
            except queue.Empty:
                self.stop()
                app_log = folder / "xdg" / "teichaku" / "app.log"          # Voila's output
                pytest.fail("teichaku app did not print its URL: " + "".join(printed) + self.log.read_text()[-1000:]
                            + (app_log.read_text(encoding="utf-8")[-3000:] if app_log.exists() else ""))
            found = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", printed[-1])
            self.url = found.group(1) if found else None
        self.base = f"http://127.0.0.1:{self.port}"
        self.token = self.url.split("token=")[1]
        self.voila = wait_until(lambda: next((pid for pid in _children(self.process.pid)    # not the read ahead
                                              if "teichaku_nb.server" in _cmdline(pid)), None), "Voila's process")

    def kernels(self) -> dict[str, int]:
        """Kernel id → process id, as ``ps`` shows them to anyone on the machine."""
        found = {}
        for pid in _children(self.voila):
            match = KERNEL_FILE.search(_cmdline(pid))
            if match:
                found[match.group(1)] = pid
        return found

    def running(self, kernel_id: str) -> bool:
        status, _, _ = http(f"{self.base}/api/kernels/{kernel_id}?token={self.token}")
        assert status in (200, 404), status
        return status == 200

    def connections(self, kernel_id: str) -> int | None:
        status, _, body = http(f"{self.base}/api/kernels/{kernel_id}?token={self.token}")
        return json.loads(body)["connections"] if status == 200 else None

    def open_without_browser(self) -> str:
        """GET the app's URL as a script would; the kernel id the page was given."""
        status, _, body = http(self.url)
        assert status == 200 and "application/vnd.jupyter.widget-view+json" in body
        return page_kernel(body)

    def stop(self):
        voila = _children(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)          # teichaku stops Voila and its kernels
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        for pid in voila:                                     # only if teichaku could not
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def page_kernel(html: str) -> str:
    return re.search(r'"kernelId": "([0-9a-f-]{36})"', html).group(1)


slow = pytest.mark.slow          # the tests that start the app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = App(tmp_path_factory.mktemp("app-server"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} がないためブラウザのテストは省略（.ci/run が入れます）")
    from playwright.sync_api import sync_playwright
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield chromium
        chromium.close()


def no_secret(body: str, app: App) -> None:
    assert app.token not in body
    assert OFFICE not in body and "application/vnd.jupyter.widget-view+json" not in body


def refused_without_the_token(app: App, kernel_id: str) -> None:
    """Another account's tries at the preheated kernel's request websocket: no token, a wrong
    one in the header or the URL, the token's first letters."""
    query = f"ws://127.0.0.1:{app.port}/voila/query/{kernel_id}"
    for url, headers in ((query, {}), (query, {"Authorization": "token wrong"}),
                         (query + "?token=wrong", {}), (query + f"?token={app.token[:8]}", {})):
        status, received = websocket(url, headers)
        assert (status, received) == (403, []), (url, headers)


# --- the token --------------------------------------------------------------------------------------

@slow
def test_the_kernels_request_websocket_refuses_anyone_without_the_token_after_the_kernel_is_ready(app):
    """The kernel waits on its connection (ready); a page opened now reaches that kernel, and
    someone who read its id in ps gets nothing and cannot take its place."""
    kernel, pid = wait_until(lambda: next(iter(app.kernels().items()), None), "the preheated kernel")
    wait_until(lambda: _holds_connection_to(pid, app.port), "the preheated kernel waiting for its page")
    refused_without_the_token(app, kernel)
    assert _holds_connection_to(pid, app.port)               # still the kernel's place
    assert app.open_without_browser() == kernel              # and the page's request reached it
    wait_until(lambda: not _holds_connection_to(pid, app.port), "the kernel done with its connection")


@slow
def test_the_kernels_request_websocket_refuses_anyone_without_the_token_before_the_kernel_is_ready(app):
    """The page is opened while its kernel is still starting: the server keeps the page's
    request until the kernel asks for it; nobody else gets it meanwhile."""
    taken = set(app.kernels())
    taken.add(app.open_without_browser())                      # the ready kernel goes; the pool starts another
    kernel, pid = wait_until(lambda: next(((k, p) for k, p in app.kernels().items() if k not in taken), None),
                             "a new preheated kernel")
    assert not _holds_connection_to(pid, app.port)             # not ready yet
    answer: list = []
    page = threading.Thread(target=lambda: answer.append(app.open_without_browser()))
    page.start()
    tries = 0
    while page.is_alive() or tries == 0:                       # for as long as the request waits
        refused_without_the_token(app, kernel)
        tries += 1
    page.join()
    assert answer == [kernel]                                  # the kernel got its page's request
    next_kernel = wait_until(lambda: [p for k, p in app.kernels().items() if k not in taken | {kernel}],
                             "the pool filled again")[0]
    # what the next kernel is told about the last request (Voila passes it on) has no token
    environ = dict(item.split("=", 1) for item in
                   Path(f"/proc/{next_kernel}/environ").read_text().split("\0") if "=" in item)
    assert environ["VOILA_REQUEST_URL"] == f"{app.base}/"



HELD = 2.0      # seconds a page's connection is seen still waiting while its kernel builds


@slow
def test_a_pages_connection_to_its_kernel_waits_until_the_kernel_has_built_the_page(app):
    """The first page after the start is sent while its kernel still reads the records: the
    kernel says it is building, and the page connects to it only once it says it is built (or
    its connection goes).  Only a page with the token is held; others are refused at once."""
    from websockets.sync.client import connect

    from teichaku_nb.server.preheat import BUILDING, BUILT

    def channels(kernel_id: str, token: str):
        return websocket(f"ws://127.0.0.1:{app.port}/api/kernels/{kernel_id}/channels?token={token}")

    for ending in ("built", "connection closed"):
        kernel = f"00000000-0000-4000-8000-00000000000{'1' if ending == 'built' else '2'}"    # none runs: 404 at the end
        with connect(f"ws://127.0.0.1:{app.port}/voila/query/{kernel}",
                     additional_headers={"Authorization": f"token {app.token}"}, open_timeout=30) as kernel_side:
            kernel_side.send(BUILDING)
            assert channels(kernel, "wrong") == (403, [])                 # not held, refused
            answer: list = []
            page = threading.Thread(target=lambda: answer.append(channels(kernel, app.token)))
            page.start()
            page.join(HELD)
            assert page.is_alive() and answer == []                        # held while the kernel builds
            if ending == "built":
                kernel_side.send(BUILT)                                     # the kernel's connection stays
            else:
                kernel_side.close()
            page.join(WAIT)
            assert answer == [(404, [])]                                    # then let through to the kernel


# Every route the server has, and where to knock on it without the token.
ROUTES = {
    r"/api/kernels/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)": ["/api/kernels/{kernel}"],
    r"/api/kernels/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)/channels": ["ws:/api/kernels/{kernel}/channels"],
    r"/voila/query/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)": ["ws:/voila/query/{kernel}"],
    r"/voila/templates/(.*)": ["/voila/templates/teichaku/static/index.css", "/voila/templates/x",
                               "/voila/templates/teichaku/static/", "/voila/templates/lab/static/index.css",
                               "/voila/templates/teichaku/static/..%2F..%2F..%2Fconf.json",
                               "/voila/templates/..%2F..%2F/static/etc/passwd"],
    r"/voila/static/(.*)": ["/voila/static/", "/voila/static/voila.js", "/voila/static/..%2F..%2F..%2Fapp.py"],
    r"/voila/api/themes/(.*)": ["/voila/api/themes/", "/voila/api/themes/..%2F..%2Fetc%2Fpasswd"],
    r"/voila/api/shutdown/(.*)": ["/voila/api/shutdown/{kernel}"],
    r"/login": ["/login"],
    r"/logout": ["/logout"],
    r"/voila/labextensions/(.*)": ["/voila/labextensions/", "/voila/labextensions/..%2F..%2Fetc%2Fpasswd"],
    r"/voila/files/(.*)": ["/voila/files/conference.ipynb", "/voila/files/..%2F..%2Fetc%2Fpasswd"],
    r"/(.*)": ["/", "/conference.ipynb", "/voila/render/conference.ipynb", "/voila/tree", "/api/contents",
               "/api/sessions", "/?token=wrong"],
}


def test_every_route_the_server_has_is_checked_below(monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda *args: None)     # Voila's initialize sets a SIGTERM handler
    for name, value in launcher.server_env("t").items():
        monkeypatch.setenv(name, value)
    voila = web.TeichakuVoila()
    voila.initialize(launcher.voila_command(app_notebook_path(), host="127.0.0.1", port=1)[3:])
    voila.server_url = voila.base_url
    voila.identity_provider = voila.identity_provider_class(parent=voila, token="t")
    patterns = [pattern for pattern, *_ in voila.init_handlers()]
    assert sorted(patterns) == sorted(ROUTES)


@slow
def test_without_the_token_no_route_answers_with_the_token_or_data_or_an_error(app):
    kernel = wait_until(lambda: next(iter(app.kernels()), None), "a kernel")
    for pattern, paths in ROUTES.items():
        for path in paths:
            path = path.format(kernel=kernel)
            if path.startswith("ws:"):
                status, received = websocket(f"ws://127.0.0.1:{app.port}{path[3:]}")
                assert (status, received) == (403, []), path
                continue
            status, location, body = http(app.base + path)
            assert status in (200, 302, 403, 404, 405), (path, status)
            if status == 302:
                assert "/login" in location, (path, location)
            no_secret(body, app)
            assert "root:" not in body, path
    # a static file of the page is served (nothing secret); Voila's other templates are not
    assert http(app.base + "/voila/templates/teichaku/static/index.css")[0] == 200
    assert http(app.base + "/voila/templates/lab/static/index.css")[0] == 404


@slow
def test_mistyped_addresses_and_logout_answer_in_japanese_not_with_an_error(app):
    for path in ("/voila/templates/x", "/voila/templates/teichaku", "/voila/templates/teichaku/static/",
                 "/voila/templates/teichaku/static/nothing.css"):
        for suffix in ("", f"?token={app.token}"):
            status, _, body = http(app.base + path + suffix)
            assert status == 404, (path, suffix, status)
    for suffix in ("", f"?token={app.token}"):
        status, _, body = http(app.base + "/logout" + suffix)
        assert status == 200 and "ログアウトしました" in body and 'lang="ja"' in body, (suffix, status)
        no_secret(body, app)
    log = app.log.read_text()
    assert not re.search(r"\b500 (GET|POST)", log) and "Uncaught exception" not in log
    assert app.token not in log                                   # the request log hides it


# --- kernels nobody uses ----------------------------------------------------------------------------

def open_page(browser, url: str, **route):
    from playwright.sync_api import expect
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    if route:
        page.route(route["pattern"], route["handler"])
    page.goto(url, timeout=WAIT * 1000)
    expect(page.locator(route.get("wait_for", ".teichaku-agenda .teichaku-case-button")).first).to_be_visible(
        timeout=WAIT * 1000)
    return context, page


def kernel_of(page) -> str:
    return page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")


@slow
def test_kernels_of_pages_that_never_connect_end_and_a_connected_page_keeps_its_own(app, browser):
    from playwright.sync_api import expect
    context, page = open_page(browser, app.url)
    connected = kernel_of(page)
    wait_until(lambda: app.connections(connected), "the page's connection")
    unopened = [app.open_without_browser() for _ in range(3)]      # a script, or pages that failed to load
    assert all(app.running(kernel) for kernel in unopened)
    wait_until(lambda: not any(app.running(kernel) for kernel in unopened), "the unopened pages' kernels to end",
               timeout=UNOPENED + 60)
    assert not set(unopened) & set(app.kernels())                   # their processes are gone too
    assert app.running(connected)                                   # idle as long, but its page is there
    page.locator(".teichaku-case-button").first.click()
    expect(page.locator(".teichaku-case-title")).to_be_visible(timeout=WAIT * 1000)
    context.close()


@slow
def test_a_page_that_went_away_without_closing_keeps_its_kernel_longer_but_not_forever(app):
    """Its connection dropped (a crashed browser, a computer asleep, a lost network): the
    kernel outlives one that never had a page, then ends."""
    left, unopened = app.open_without_browser(), app.open_without_browser()
    status, _ = websocket(f"ws://127.0.0.1:{app.port}/api/kernels/{left}/channels",
                          {"Authorization": f"token {app.token}"})   # as the page does; then it goes
    assert status is None
    wait_until(lambda: app.connections(left) == 0, "the server to see the page go")
    wait_until(lambda: not app.running(unopened), "the unopened page's kernel to end", timeout=UNOPENED + 60)
    assert app.running(left)
    wait_until(lambda: not app.running(left), "the left page's kernel to end", timeout=LEFT + 60)


@slow
def test_a_page_that_comes_back_after_its_kernel_ended_says_so_in_japanese_and_reloads_into_a_fresh_one(app, browser):
    """The page's connection dropped (a computer asleep, a lost network) for longer than the
    server keeps such kernels: when the page notices, it says so; its button opens a working
    page on a new kernel."""
    from playwright.sync_api import expect
    proxied = []

    def through_the_test(socket_route):                            # the page's kernel connection
        if proxied:
            socket_route.connect_to_server()                        # the page trying again: as it comes
            return
        to_server = socket_route.connect_to_server()
        to_server.on_close(lambda code, reason: None)               # the page does not hear of the drop
        proxied.append((socket_route, to_server))

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.route_web_socket(re.compile(r"/api/kernels/[^/]+/channels"), through_the_test)
    page.goto(app.url, timeout=WAIT * 1000)
    expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT * 1000)
    kernel = kernel_of(page)
    to_page, to_server = proxied[0]
    to_server.close()                                               # the network drops
    wait_until(lambda: not app.running(kernel), "the left page's kernel to end", timeout=LEFT + 60)
    to_page.close()                                                 # the page notices
    gone = page.locator(".teichaku-kernel-gone")
    expect(gone).to_contain_text("再読み込みしてください", timeout=WAIT * 1000)
    page.locator(".teichaku-kernel-gone-reload").click()
    expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT * 1000)
    expect(gone).to_have_count(0)
    assert kernel_of(page) != kernel and app.running(kernel_of(page))
    context.close()


@slow
def test_a_page_that_connects_after_its_kernel_ended_says_so_in_japanese_and_reloads_into_a_fresh_one(app, browser):
    """The page is delivered only after the server ended its kernel (a slow browser, a page
    restored from sleep): it says so and its button opens a working page on a new kernel."""
    from playwright.sync_api import expect
    held = []

    def deliver_after_the_kernel_ended(route):
        if held:                                                    # the reload: as it comes
            route.continue_()
            return
        response = route.fetch(timeout=WAIT * 1000)                 # the server gives the page its kernel
        kernel = page_kernel(response.text())
        held.append(kernel)
        wait_until(lambda: not app.running(kernel), "the unconnected kernel to end", timeout=UNOPENED + 60)
        route.fulfill(response=response)

    context, page = open_page(browser, app.url, pattern=re.compile(r"/\?token="),
                              handler=deliver_after_the_kernel_ended, wait_for=".teichaku-kernel-gone")
    gone = page.locator(".teichaku-kernel-gone")
    expect(gone).to_contain_text("再読み込みしてください")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "kernel-gone.png"))
    assert kernel_of(page) == held[0]
    page.locator(".teichaku-kernel-gone-reload").click()
    expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT * 1000)
    expect(gone).to_have_count(0)
    fresh = kernel_of(page)
    assert fresh != held[0] and app.running(fresh)
    context.close()


# --- when teichaku app dies ----------------------------------------------------------------------------

def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie has: nobody may be there to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except OSError:
        return False
    return True


@slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux: the children are told of their parent's death")
def test_killed_without_a_chance_to_clean_up_the_app_takes_its_server_kernels_and_read_ahead_along(tmp_path):
    """``kill -9`` of ``teichaku app``: its server and kernels end (nothing keeps serving with its
    token) and the folder of the workbook read ahead is removed."""
    app = App(tmp_path)
    kernels, folder = [], None
    try:
        kernels = wait_until(lambda: list(app.kernels().values()), "the preheated kernel")
        environ = Path(f"/proc/{app.voila}/environ").read_bytes().split(b"\0")
        folder = Path(next(v for v in environ if v.startswith(b"TEICHAKU_PREFETCH=")).split(b"=", 1)[1].decode()).parent
        assert folder.is_dir() and _answers(app.port)
        app.process.kill()
        app.process.wait(30)
        wait_until(lambda: all(_gone(pid) for pid in [app.voila, *kernels]), "the server and its kernels to end")
        wait_until(lambda: not _answers(app.port), "the port to close")
        wait_until(lambda: not folder.exists(), "the read ahead's folder to go")
    finally:
        for pid in [app.voila, *kernels]:             # only if the app could not take them along
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if folder is not None and folder.name.startswith("teichaku-app-"):
            shutil.rmtree(folder, ignore_errors=True)


# --- where to open it -------------------------------------------------------------------------------

class _Stopped:
    pid = 0

    def wait(self, timeout=None):
        return 0

    def poll(self):
        return 0


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_a_server_on_every_address_prints_urls_a_person_can_open(monkeypatch, host):
    """With staff accounts: the URLs carry no token (each person signs in), and the terminal
    warns that without HTTPS passwords cross the network in the clear."""
    monkeypatch.setattr(launcher, "port_free", lambda *args: True)
    monkeypatch.setattr(launcher, "start", lambda p, **popen: _Stopped())
    monkeypatch.setattr(launcher, "wait_until_ready", lambda *args, **kwargs: True)
    monkeypatch.setattr(socket, "gethostname", lambda: "office-pc")
    out, err = [], []
    assert launcher.run(None, "sqlite:///:memory:", host, 8866, locate_records=records_location,
                        staff_accounts=lambda *args: True, out=out.append, err=err.append) == 0
    text = "\n".join(out)
    assert "このパソコンから: http://127.0.0.1:8866/\n" in text + "\n"
    assert "ほかのパソコンから: http://office-pc:8866/\n" in text + "\n"
    assert "サインイン名とパスワード" in text and "token" not in text
    assert "IP アドレス" in text
    assert "0.0.0.0:" not in text and "[::]" not in text
    assert any("暗号化されずに" in line for line in err)            # the warning about listening widely


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20"])
def test_another_computer_may_reach_the_app_only_when_staff_have_accounts(monkeypatch, host):
    monkeypatch.setattr(launcher, "port_free", lambda *args: True)
    started = []
    monkeypatch.setattr(launcher, "start", lambda p, **popen: started.append(p) or _Stopped())
    out, err = [], []
    assert launcher.run(None, "sqlite:///:memory:", host, 8866, locate_records=records_location,
                        staff_accounts=lambda *args: False, out=out.append, err=err.append) == 2
    assert started == [] and "職員ごとのアカウントが必要" in err[0] and "teichaku staff add" in err[0]


def test_a_loopback_server_prints_its_one_url(monkeypatch):
    monkeypatch.setattr(launcher, "port_free", lambda *args: True)
    monkeypatch.setattr(launcher, "start", lambda p, **popen: _Stopped())
    monkeypatch.setattr(launcher, "wait_until_ready", lambda *args, **kwargs: True)
    out = []
    assert launcher.run(None, "sqlite:///:memory:", "127.0.0.1", 8866, locate_records=records_location,
                        staff_accounts=lambda *args: False, out=out.append, err=out.append) == 0
    urls = re.findall(r"http://\S+", "\n".join(out))
    assert len(urls) == 1 and urls[0].startswith("http://127.0.0.1:8866/?token=")


# --- the app's log ---------------------------------------------------------------------------------

def _log_line(handler, text: str) -> None:
    import logging
    handler.handle(logging.makeLogRecord({"msg": text}))


def _logged(path: Path) -> list[str]:
    """The lines of the log and its rotated files, oldest first."""
    files = sorted(path.parent.glob(path.name + ".*"), key=lambda p: -int(p.suffix[1:])) + [path]
    return [line for f in files if f.exists() for line in f.read_text(encoding="utf-8").splitlines()]


def test_two_writers_of_the_log_each_follow_a_rotation_the_other_made(tmp_path):
    """A kernel and the launcher (or two kernels) write the one log: after either rotates it,
    the other's next line is in the new file, so the files read in order, every line once."""
    import logging

    from teichaku_nb.server.applog import AppLogHandler

    path = tmp_path / "app.log"
    writers = [AppLogHandler(path, max_bytes=300, backups=20) for _ in range(2)]
    for writer in writers:
        writer.setFormatter(logging.Formatter("%(message)s"))
    expected = [f"line {i:02d} " + "x" * 40 for i in range(30)]
    for i, text in enumerate(expected):
        _log_line(writers[i % 2], text)
    for writer in writers:
        writer.close()
    assert len(list(tmp_path.glob("app.log.*"))) >= 3                     # it was rotated several times
    assert _logged(path) == expected


FAKE_VOILA = """
import subprocess, sys
kernel = [sys.executable, "-c", "import sys; print(sys.argv[1], flush=True)"]
print("voila: started", flush=True)
subprocess.run(kernel + ["kernel: started"], check=True)          # a kernel prints into Voila's output
with open(sys.argv[1]) as go:                                     # until the test has rotated the log
    go.read()
print("voila: after the rotation", flush=True)
subprocess.run(kernel + ["kernel: after the rotation"], check=True)
print("voila: 日本語も", file=sys.stderr, flush=True)
"""


def test_voila_writes_into_the_current_log_after_a_kernel_rotated_it(tmp_path, monkeypatch):
    """Voila's output (its kernels' too) reaches the file at the log's path after a kernel's
    own log line rotated it, not the renamed app.log.1; and no line of it is lost."""
    import logging

    from teichaku_nb.paths import app_log_path
    from teichaku_nb.server.applog import AppLogHandler

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    go = tmp_path / "go"
    os.mkfifo(go)
    monkeypatch.setattr(launcher, "start", lambda p, **popen: subprocess.Popen(
        [sys.executable, "-c", FAKE_VOILA, str(go)], start_new_session=True, **popen))
    process = launcher.start_logged(None)
    try:
        kernel = AppLogHandler(max_bytes=1)                                # full: its next line rotates
        kernel.setFormatter(logging.Formatter("%(message)s"))
        _log_line(kernel, "kernel's log: rotated")
        kernel.close()
        assert app_log_path().with_suffix(".log.1").exists()
        go.write_text("go")                                              # the fake Voila goes on
        assert process.wait(timeout=60) == 0
    finally:
        launcher.stop(process)
    after = app_log_path().read_text(encoding="utf-8").splitlines()
    assert {"voila: after the rotation", "kernel: after the rotation", "voila: 日本語も"} <= set(after), after
    lines = _logged(app_log_path())
    for text in ("voila: started", "kernel: started", "kernel's log: rotated", "voila: after the rotation",
                 "kernel: after the rotation", "voila: 日本語も"):
        assert lines.count(text) == 1, (text, lines)
    assert sum("teichaku app: starting Voila" in line for line in lines) == 1


# --- the server process stays light ---------------------------------------------------------------

HEAVY = ("ipywidgets", "pandas", "numpy", "sqlalchemy", "teichaku_nb.app", "teichaku_nb.store",
         "teichaku_nb.workbook", "teichaku_nb.reports")


def test_importing_the_server_package_loads_no_widgets_pandas_or_records():
    """The web server imports every module of ``teichaku_nb.server`` (the launcher, the login
    page, the handlers) and nothing of the widgets, pandas, the workbook or the records."""
    script = ("import importlib, pkgutil, sys, teichaku_nb.server as s\n"
              "for m in pkgutil.iter_modules(s.__path__):\n"
              "    if m.name != '__main__':\n"
              "        importlib.import_module(f'teichaku_nb.server.{m.name}')\n"
              "print('\\n'.join(sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert {"teichaku_nb.server.web", "teichaku_nb.server.launcher", "teichaku_nb.server.login",
            "teichaku_nb.server.preheat", "voila.app"} <= loaded
    assert sorted(name for name in loaded if name.startswith(HEAVY)) == []


def _imported_modules(path: Path, package: str) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, as an absolute name."""
    import ast
    found, parts = set(), package.split(".")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(parts[:len(parts) + 1 - node.level]) if node.level else ""     # "." is the package
            module = ".".join(filter(None, [base, node.module]))
            found |= {module} if node.module else {f"{module}.{alias.name}" for alias in node.names}
    return found


def test_the_server_package_takes_only_paths_errors_and_staff_from_the_rest_of_teichaku_nb():
    """Not even inside a function: what the server needs of the workbook's records comes from
    its caller (``launcher.plan(locate_records=...)``); the modules import nothing else, but
    for the sign-in (``login``), which reads the staff accounts and writes the access log in
    the store once someone signs in (the test above: not when the server starts)."""
    for path in sorted((ROOT / "teichaku_nb" / "server").glob("*.py")):
        ours = {name for name in _imported_modules(path, "teichaku_nb.server") if name.startswith("teichaku_nb")}
        allowed = {"teichaku_nb.paths", "teichaku_nb.errors", "teichaku_nb.staff"}
        if path.name == "login.py":
            allowed.add("teichaku_nb.store")
        assert all(name in allowed or name.startswith("teichaku_nb.server") for name in ours), (path.name, ours)


def test_the_page_handler_forgets_the_token_before_the_kernel_hears_of_the_request():
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    def request(uri: str) -> HTTPServerRequest:
        return HTTPServerRequest(start_line=RequestStartLine("GET", uri, "HTTP/1.1"),
                                 headers=HTTPHeaders({"Host": "127.0.0.1:8866"}))

    asked = request("/?token=secret&month=2026-10&x=")
    web.forget_token(asked)
    assert "secret" not in asked.uri + asked.query + asked.full_url()
    assert asked.query == "month=2026-10&x=" and asked.uri == "/?month=2026-10&x="
    assert "token" not in asked.arguments and asked.arguments["month"] == [b"2026-10"]
    asked = request("/?token=secret")
    web.forget_token(asked)
    assert asked.uri == "/" and asked.full_url() == "http://127.0.0.1:8866/"


@slow
def test_no_process_shows_the_database_password_while_the_app_runs_on_postgresql(tmp_path):
    """The password is given as libpq reads it (PGPASSWORD here; ~/.pgpass works the same), so
    the URL on the command line holds none, and nothing the app starts puts it there."""
    import sqlalchemy as sa

    url = os.environ.get("TEICHAKU_TEST_PG_URL")
    if not url:
        pytest.skip("TEICHAKU_TEST_PG_URL が設定されていないため PostgreSQL のテストは省略")
    parsed = sa.engine.make_url(url)
    assert parsed.password, "the test server's URL has a password"
    bare = sa.engine.URL.create(parsed.drivername, username=parsed.username, host=parsed.host, port=parsed.port,
                                database=parsed.database).render_as_string(hide_password=False)
    app = App(tmp_path, "--db", bare, PGPASSWORD=parsed.password)
    try:
        app.open_without_browser()

        def tree() -> set[int]:                         # the app and every process it started
            found, todo = set(), [app.process.pid]
            while todo:
                pid = todo.pop()
                found.add(pid)
                todo += _children(pid)
            return found

        # a kernel of the app holds a connection to the server: the store opened without a password typed
        wait_until(lambda: any(_holds_connection_to(pid, parsed.port) for pid in tree()), "the store's connection")
        tree = tree()
        shown = {pid: _cmdline(pid) for pid in tree}
        assert len(shown) >= 3                          # teichaku, Voila, a kernel
        leaks = {pid: line for pid, line in shown.items()
                 if f":{parsed.password}@" in line or "PGPASSWORD" in line}
        assert leaks == {}
        assert any(bare in line for line in shown.values())          # the app runs on that server
    finally:
        app.stop()
