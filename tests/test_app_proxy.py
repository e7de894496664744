"""The app over HTTPS, as an office runs it for its team: with its own certificate, or behind
the reverse proxy of ``docs/proxy`` (nginx, and Caddy where Debian has it).

``teichaku app`` runs on the demo data (synthetic people) with one staff account made by
``teichaku staff add``; the certificate is a self-signed one for ``localhost`` made here with
``openssl``.  The proxies run from the documented recipes with only their placeholders
replaced (the server name, the certificate's files, the ports) and what a proxy needs to run
as this user in a temporary folder.  A browser signs in over HTTPS, the agenda appears (the
preheated kernel called the server back, over ``wss`` when the app serves HTTPS itself) and a
widget answers a click.  Without nginx or Caddy their tests say why they skipped
(``scripts/system-packages.sh`` installs both).  Every wait is for a condition, never a fixed
sleep; every process started here is stopped in a ``finally``.
"""

from __future__ import annotations

import json
import os
import pwd
import queue
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.client import HTTPSConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from test_app_server import App, _children, _cmdline, browser, free_port, http, slow, wait_until  # noqa: F401
from teichaku_nb.staff import ADMIN

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "docs" / "proxy"
WAIT = 180
WAIT_MS = WAIT * 1000
LOGIN, NAME, PASSWORD = "yamada", "山田 花子", "office-pass-2026"     # a synthetic 管理者
SIGNED_IN = f"記録者: {NAME}（{ADMIN}）"


def _program(name: str) -> str | None:
    """A program on PATH, or in /usr/sbin where Debian puts nginx (not on a user's PATH)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def _missing(name: str) -> str:
    return f"{name} がないため省略（scripts/system-packages.sh が入れます）"


NGINX, CADDY, OPENSSL = _program("nginx"), _program("caddy"), _program("openssl")
needs_nginx = pytest.mark.skipif(NGINX is None, reason=_missing("nginx"))
needs_caddy = pytest.mark.skipif(CADDY is None, reason=_missing("caddy"))


# --- the office's certificate ---------------------------------------------------------------------

def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 and its key (PEM files)."""
    if OPENSSL is None:
        pytest.skip(_missing("openssl"))
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=WAIT)
    return cert, key


def tls_to(cert: Path) -> ssl.SSLContext:
    """TLS that trusts only the test's certificate, and checks the name."""
    return ssl.create_default_context(cafile=str(cert))


def tls_answers(port: int) -> bool:
    """Whether something completes a TLS handshake on ``port`` (certificate not checked)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost"):
                return True
    except OSError:
        return False


def get(port: int, path: str, cert: Path, headers: dict | None = None) -> tuple[int, dict, str]:
    """(status, headers, body) of an HTTPS GET to localhost:``port``, the certificate checked."""
    connection = HTTPSConnection("localhost", port, context=tls_to(cert), timeout=WAIT)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


# --- the app, with a staff account ---------------------------------------------------------------

def add_account(env: dict) -> None:
    """The account, made as an office's 管理者 makes it (``teichaku staff add``)."""
    result = subprocess.run([sys.executable, "-m", "teichaku_nb", "staff", "add", NAME, "--login", LOGIN,
                             "--role", ADMIN, "--password-stdin"], input=PASSWORD + "\n", text=True,
                            capture_output=True, env=env, cwd=ROOT, timeout=WAIT)
    assert result.returncode == 0, result.stderr


class SignedInApp(App):
    """``teichaku app`` on the demo data with a staff account: each person signs in, no token
    in the URL it prints (``App``'s own start expects one; its ``stop`` is the same)."""

    def __init__(self, folder: Path, *args: str):
        self.port = free_port()
        self.log = folder / "stderr.txt"
        self.env = dict(os.environ, XDG_DATA_HOME=str(folder / "xdg"))
        for name in ("TEICHAKU_BOOK", "TEICHAKU_DB"):
            self.env.pop(name, None)
        add_account(self.env)
        self.process = subprocess.Popen([sys.executable, "-m", "teichaku_nb", "app", "--port", str(self.port), *args],
                                        cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=open(self.log, "w"),
                                        stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True).start()
        self.printed: list[str] = []
        deadline = time.monotonic() + WAIT
        while not any("終了するには" in line for line in self.printed):      # printed once it answers
            try:
                self.printed.append(lines.get(timeout=1))
            except queue.Empty:
                if self.process.poll() is None and time.monotonic() < deadline:
                    continue
                self.stop()
                app_log = folder / "xdg" / "teichaku" / "app.log"          # Voila's output
                pytest.fail("teichaku app did not start: " + "".join(self.printed) + self.log.read_text()
                            + (app_log.read_text(encoding="utf-8")[-3000:] if app_log.exists() else ""))
        self.urls = re.findall(r"https?://\S+", "".join(self.printed))
        self.voila = wait_until(lambda: next((pid for pid in _children(self.process.pid)
                                              if "teichaku_nb.server" in _cmdline(pid)), None), "Voila's process")

    def access_log(self) -> list[dict]:
        """``teichaku log --json``, as the 管理者 reads it."""
        result = subprocess.run([sys.executable, "-m", "teichaku_nb", "log", "--json"], env=self.env, cwd=ROOT,
                                capture_output=True, text=True, timeout=WAIT)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["entries"]


def sign_in(browser, url: str):
    """A browser context of its own opens ``url``, is sent to the sign-in page, signs in and
    sees the agenda with its own name as 記録者; (context, page)."""
    from playwright.sync_api import expect
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="ja-JP", ignore_https_errors=True)
    page = context.new_page()
    page.goto(url, timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"/login\b"))
    page.locator("input[name=login]").fill(LOGIN)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".teichaku-recorder-name")).to_have_text(SIGNED_IN)
    assert page.url.startswith(url)
    return context, page


def a_widget_answers(page) -> None:
    """A click on the first case of the agenda opens its panel (over the kernel's websocket)."""
    from playwright.sync_api import expect
    button = page.locator(".teichaku-agenda .teichaku-case-button").first
    user_id = button.inner_text().split()[0]
    button.click()
    expect(page.locator(".teichaku-case-title")).to_contain_text(user_id, timeout=WAIT_MS)


def session_cookies(context) -> list[dict]:
    return [c for c in context.cookies() if c["name"].startswith("username-")]


# --- HTTPS by the app itself ----------------------------------------------------------------------

@slow
def test_the_app_serves_https_with_the_offices_certificate_and_its_kernels_call_back_over_wss(tmp_path, browser):
    cert, key = certificate(tmp_path)
    app = SignedInApp(tmp_path, "--certfile", str(cert), "--keyfile", str(key))
    try:
        assert app.urls == [f"https://127.0.0.1:{app.port}/"], app.printed
        assert "サインイン名とパスワード" in "".join(app.printed)
        status, location, _ = http_over_tls(app.port, cert)
        assert status == 302 and "/login" in location
        with pytest.raises(OSError):                  # plain HTTP is not served on the port
            http(f"http://127.0.0.1:{app.port}/login")
        environ = Path(f"/proc/{app.voila}/environ").read_bytes().split(b"\0")
        assert b"VOILA_WS_PROTOCOL=wss" in environ   # what the preheated kernel calls back with
        context, page = sign_in(browser, app.urls[0])
        try:
            a_widget_answers(page)
            assert session_cookies(context) and all(c["secure"] for c in session_cookies(context))
        finally:
            context.close()
        log = app.access_log()
        assert any(e["action"] == "sign_in" and e["login"] == LOGIN for e in log)
    finally:
        app.stop()


def http_over_tls(port: int, cert: Path) -> tuple[int, str, str]:
    """(status, Location, body) of ``GET /`` at 127.0.0.1 over TLS, the certificate checked."""
    connection = HTTPSConnection("127.0.0.1", port, context=tls_to(cert), timeout=WAIT)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        return response.status, response.getheader("Location", ""), response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("missing", ["certfile", "keyfile"])
def test_a_missing_certificate_file_stops_the_app_before_anything_starts(tmp_path, missing):
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    gone, there = (cert, key) if missing == "certfile" else (key, cert)
    there.write_text("-----BEGIN PRIVATE KEY-----\n")      # never read: the missing one stops the app first
    port = free_port()
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"))
    result = subprocess.run([sys.executable, "-m", "teichaku_nb", "app", "--port", str(port),
                             "--certfile", str(cert), "--keyfile", str(key)], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 2, result
    assert result.stderr.strip() == f"エラー: 証明書のファイルが見つかりません: {gone}"
    assert "起動しました" not in result.stdout and "http" not in result.stdout
    app_log = tmp_path / "xdg" / "teichaku" / "app.log"
    assert not app_log.exists() or "starting Voila" not in app_log.read_text(encoding="utf-8")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


# --- the proxies of docs/proxy ---------------------------------------------------------------------

def from_recipe(name: str, replacements: dict[str, str]) -> str:
    """The recipe ``docs/proxy/<name>`` with its placeholders replaced (each must be there)."""
    text = (RECIPES / name).read_text(encoding="utf-8")
    for placeholder, value in replacements.items():
        assert placeholder in text, f"{placeholder!r} is not in docs/proxy/{name} any more"
        text = text.replace(placeholder, value)
    return text


class Proxy:
    """A proxy started from a recipe as this user, in ``folder``; ``port`` serves HTTPS,
    ``http_port`` plain HTTP (the redirect)."""

    def __init__(self, folder: Path, command: list[str], port: int, http_port: int, env: dict | None = None):
        self.folder, self.port, self.http_port = folder, port, http_port
        self.output = folder / "proxy-output.txt"
        self.process = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                        stdout=open(self.output, "w"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        try:
            wait_until(lambda: self.process.poll() is not None or tls_answers(port), "the proxy's HTTPS port", 60)
            assert self.process.poll() is None, self.output.read_text()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def nginx(folder: Path, upstream: int, cert: Path, key: Path, *, edit=lambda site: site) -> Proxy:
    """nginx with ``docs/proxy/nginx.conf`` (``edit``: the change docs/team.md asks for, if any),
    included in the ``http`` block as Debian's nginx.conf includes ``sites-enabled``."""
    folder.mkdir(exist_ok=True)
    port, http_port = free_port(), free_port()
    site = folder / "teichaku.conf"
    site.write_text(edit(from_recipe("nginx.conf", {
        "teichaku.example.lan": "localhost",
        "/etc/ssl/teichaku/server.crt": str(cert),
        "/etc/ssl/teichaku/server.key": str(key),
        "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "127.0.0.1:8866": f"127.0.0.1:{upstream}",
    })), encoding="utf-8")
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""   # workers stay this user
    conf = folder / "nginx.conf"
    conf.write_text(f"""
{user}
daemon off;
master_process on;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
""", encoding="utf-8")
    command = [NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    return Proxy(folder, command, port, http_port)


def caddy(folder: Path, upstream: int, cert: Path, key: Path) -> Proxy:
    """Caddy with ``docs/proxy/Caddyfile``, its admin endpoint off and its own files in ``folder``."""
    folder.mkdir(exist_ok=True)
    port, http_port = free_port(), free_port()
    site = from_recipe("Caddyfile", {
        "teichaku.example.lan {": f"localhost:{port} {{",
        "/etc/ssl/teichaku/server.crt": str(cert),
        "/etc/ssl/teichaku/server.key": str(key),
        "127.0.0.1:8866": f"127.0.0.1:{upstream}",
    })
    conf = folder / "Caddyfile"
    conf.write_text(f"{{\n\tadmin off\n\tdefault_bind 127.0.0.1\n\thttp_port {http_port}\n\thttps_port {port}\n"
                    f"\tskip_install_trust\n"
                    f"\tstorage file_system {folder / 'data'}\n}}\n\n{site}", encoding="utf-8")
    env = dict(os.environ, HOME=str(folder), XDG_DATA_HOME=str(folder / "data"), XDG_CONFIG_HOME=str(folder / "config"))
    checked = subprocess.run([CADDY, "validate", "--config", str(conf), "--adapter", "caddyfile"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return Proxy(folder, [CADDY, "run", "--config", str(conf), "--adapter", "caddyfile"], port, http_port, env)


PROXIES = [pytest.param(nginx, marks=needs_nginx, id="nginx"), pytest.param(caddy, marks=needs_caddy, id="caddy")]


# What the recipes pass on, seen by a server in the app's place that answers with what it got.

class Echo(BaseHTTPRequestHandler):
    """Answers with the request's path and headers, and sets two cookies as the app does."""

    def do_GET(self):
        body = json.dumps({"path": self.path, "headers": [[k.lower(), v] for k, v in self.headers.items()]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "username-probe=1; HttpOnly; Path=/")
        self.send_header("Set-Cookie", "_xsrf=2; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def echo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


FORGED = {"X-Remote-User": "admin", "X-Real-IP": "10.0.0.99", "X-Forwarded-For": "10.0.0.99"}


@pytest.mark.parametrize("start", PROXIES)
def test_the_recipe_passes_what_the_app_reads_and_drops_a_forged_sign_in_header(tmp_path, echo, start):
    cert, key = certificate(tmp_path)
    proxy = start(tmp_path / "proxy", echo, cert, key)
    try:
        status, _, body = get(proxy.port, "/voila/static/?x=1", cert, FORGED)
        assert status == 200, body
        got = json.loads(body)
        seen = {}
        for name, value in got["headers"]:
            seen.setdefault(name, []).append(value)
        assert got["path"] == "/voila/static/?x=1"
        assert seen["host"] == [f"localhost:{proxy.port}"]            # as the browser's Origin has it
        assert seen["x-real-ip"] == ["127.0.0.1"]                      # the browser's address, not what it said
        assert seen["x-forwarded-for"][-1].split(",")[-1].strip() == "127.0.0.1"
        assert seen["x-forwarded-proto"] == ["https"]
        assert "x-remote-user" not in seen                             # forged: dropped
        cookies = [line for line in headers_all(proxy.port, cert) if line[0].lower() == "set-cookie"]
        assert len(cookies) == 2 and all(re.search(r";\s*secure\b", v, re.I) for _, v in cookies), cookies
        # http:// is sent to https://
        status, location, _ = http(f"http://127.0.0.1:{proxy.http_port}/login?next=%2F")
        assert status in (301, 302, 308) and location.startswith("https://") and location.endswith("/login?next=%2F")
    finally:
        proxy.stop()


def headers_all(port: int, cert: Path) -> list[tuple[str, str]]:
    """Every header line of a response through the proxy (Set-Cookie comes more than once)."""
    connection = HTTPSConnection("localhost", port, context=tls_to(cert), timeout=WAIT)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        response.read()
        return response.getheaders()
    finally:
        connection.close()


# docs/team.md, 5.: the organisation's sign-in in nginx.conf, here nginx's own (basic authentication)
TEAM = ROOT / "docs" / "team.md"
CLEARED = 'proxy_set_header X-Remote-User "";'
HTPASSWD = "/etc/nginx/teichaku.htpasswd"
BASIC_PASSWORD = "pass-of-the-organisation"


def organisation_sign_in(folder: Path):
    """The change docs/team.md asks for in nginx.conf (its ``nginx`` block with basic
    authentication, in place of the line that clears the header), with a password file for
    LOGIN in ``folder``."""
    team = TEAM.read_text(encoding="utf-8")
    assert CLEARED in team
    block = next(b for b in re.findall(r"```nginx\n(.*?)```", team, re.S) if "auth_basic_user_file" in b)
    assert HTPASSWD in block and "proxy_set_header X-Remote-User $remote_user;" in block
    hashed = subprocess.run([OPENSSL, "passwd", "-apr1", "-stdin"], input=BASIC_PASSWORD + "\n", capture_output=True,
                            text=True, check=True, timeout=60).stdout.strip()
    users = folder / "htpasswd"
    users.write_text(f"{LOGIN}:{hashed}\n")

    def edit(site: str) -> str:
        assert site.count(CLEARED) == 1
        return site.replace(CLEARED, block.replace(HTPASSWD, str(users)))
    return edit


@needs_nginx
def test_with_the_organisations_sign_in_nginx_names_the_person_and_a_browser_cannot(tmp_path, echo):
    """A header the browser sends under the trusted name never gets through: nginx puts the
    person it signed in there, and nothing reaches the app without signing in."""
    import base64
    cert, key = certificate(tmp_path)
    proxy = nginx(tmp_path / "proxy", echo, cert, key, edit=organisation_sign_in(tmp_path))
    try:
        status, _, _ = get(proxy.port, "/", cert, {"X-Remote-User": "admin"})
        assert status == 401                                            # nothing reaches the app
        basic = base64.b64encode(f"{LOGIN}:{BASIC_PASSWORD}".encode()).decode()
        status, _, body = get(proxy.port, "/", cert, {"Authorization": f"Basic {basic}", "X-Remote-User": "admin"})
        seen = dict(json.loads(body)["headers"])
        assert status == 200 and seen["x-remote-user"] == LOGIN and "authorization" not in seen
    finally:
        proxy.stop()


@slow
@needs_nginx
def test_behind_the_organisations_sign_in_the_app_takes_the_person_nginx_names(tmp_path, browser):
    """``--trusted-header X-Remote-User --trusted-proxy 127.0.0.1`` behind nginx as docs/team.md
    sets it up: the person signed in at nginx is the 記録者, with no sign-in page of the app."""
    from playwright.sync_api import expect
    cert, key = certificate(tmp_path)
    app = SignedInApp(tmp_path, "--trusted-header", "X-Remote-User", "--trusted-proxy", "127.0.0.1")
    proxy = None
    try:
        proxy = nginx(tmp_path / "proxy", app.port, cert, key, edit=organisation_sign_in(tmp_path))
        context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="ja-JP", ignore_https_errors=True,
                                      http_credentials={"username": LOGIN, "password": BASIC_PASSWORD})
        try:
            page = context.new_page()
            page.goto(f"https://localhost:{proxy.port}/", timeout=WAIT_MS)
            expect(page.locator(".teichaku-agenda .teichaku-case-button").first).to_be_visible(timeout=WAIT_MS)
            expect(page.locator(".teichaku-recorder-name")).to_have_text(SIGNED_IN)
            expect(page.locator(".teichaku-signout")).to_have_count(0)      # signing out is the organisation's
            a_widget_answers(page)
        finally:
            context.close()
        sign_ins = [e for e in app.access_log() if e["action"] == "sign_in"]
        assert [(e["login"], e["detail"]) for e in sign_ins] == [(LOGIN, "組織のサインイン")]
    finally:
        if proxy is not None:
            proxy.stop()
        app.stop()


# --- a browser through the proxy ------------------------------------------------------------------

@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The app as it runs behind a proxy (docs/team.md): on this computer's loopback, plain HTTP,
    staff accounts, the proxy believed about the browser's address."""
    if NGINX is None and CADDY is None:
        pytest.skip("nginx も caddy もないため省略（scripts/system-packages.sh が入れます）")
    app = SignedInApp(tmp_path_factory.mktemp("behind-a-proxy"), "--trusted-proxy", "127.0.0.1")
    try:
        yield app
    finally:
        app.stop()


@slow
@pytest.mark.parametrize("start", PROXIES)
def test_staff_sign_in_through_the_proxy_over_https_and_the_page_works(office, browser, tmp_path, start):
    from playwright.sync_api import expect
    assert office.urls == [f"http://127.0.0.1:{office.port}/"]
    cert, key = certificate(tmp_path)
    proxy = start(tmp_path / "proxy", office.port, cert, key)
    try:
        context, page = sign_in(browser, f"https://localhost:{proxy.port}/")
        try:
            a_widget_answers(page)                      # the kernel's websocket, through the proxy
            assert context.cookies() and all(c["secure"] for c in context.cookies()), context.cookies()
            page.locator(".teichaku-signout").click()   # サインアウト, through the proxy too
            expect(page.locator("body")).to_contain_text("サインアウトしました", timeout=WAIT_MS)
            page.goto(f"https://localhost:{proxy.port}/", timeout=WAIT_MS)
            expect(page).to_have_url(re.compile(r"/login\b"))
        finally:
            context.close()
        entries = [e for e in office.access_log() if e["login"] == LOGIN]
        assert {"sign_in", "sign_out"} <= {e["action"] for e in entries}
    finally:
        proxy.stop()
