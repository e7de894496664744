"""``teichaku app``: serve the app's notebook (``paths.app_notebook_path``) with Voila, locked down.

- loopback by default, token authentication with a token from ``secrets``, on every route
  (``web``: Voila with its preheated kernels' websocket behind the token too);
- sources stripped, template and theme fixed (no overrides from the URL), tracebacks hidden;
- no files served from the notebook folder, only the widget manager's JupyterLab extension;
- preheated kernels (a pool of one) so the agenda is ready when the page is opened;
- kernels nobody uses end: see ``KernelTimeouts``;
- BOOK and DB reach the kernel through environment variables (merged with ``os.environ``);
- the terminal shows staff only what they need, in Japanese (``run``): what is open, the URL
  and how to stop; Voila's and its kernels' output (library warnings, Jupyter's log lines,
  tracebacks) goes to the app's log file (``paths.app_log_path``) with the app's own log:
  through a pipe, each line written by the launcher (``applog``), so a rotation of the log
  never leaves Voila writing into the old file;
- Voila, its kernels and the read ahead end when ``teichaku app`` ends, however it ends
  (``kill -9`` included): see ``ends_with_this_process``.
"""

from __future__ import annotations

import ctypes
import ipaddress
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import StaffError
from ..paths import (BOOK_ENV, DB_ENV, DEMO_ENV, PREFETCH_ENV, RUN_FOLDER_ENV, app_log_path, app_notebook_path,
                     demo_book_path)
from ..staff import ACCOUNTS, AUTH_ENVIRONMENT, TOKEN, TRUSTED
from .applog import AppLogHandler

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866
POOL_SIZE = 1
# The JupyterLab extensions the page loads: Voila's widget manager and the widgets themselves.
EXTENSIONS = ("@voila-dashboards/widgets-manager8", "@jupyter-widgets/jupyterlab-manager")

# The page's template: Voila's lab template with Japanese loading messages, found by Voila
# through JUPYTER_PATH (templates/voila/voila/templates/teichaku in the package).
TEMPLATE = "teichaku"
TEMPLATE_ROOT = Path(__file__).resolve().parent.parent / "templates" / "voila"
WILDCARDS = ("", "0.0.0.0", "::")  # hosts that listen on every address of the machine
IDLE_MINUTES = 30.0                # a signed-in session ends after this long without activity


@dataclass(frozen=True)
class KernelTimeouts:
    """When the server ends a kernel nobody uses (seconds of idleness).

    Every page gets its own kernel, and a closed tab ends it at once.  A kernel handed to a
    page that never connects (the page failed to load, a script fetched the URL) ends after
    ``unopened``; one whose page connected and then went away without closing (the browser
    crashed, the computer slept, the network dropped) after ``left``; a connected page's
    kernel never.  A page that comes back to an ended kernel says so in Japanese and offers
    a reload (the app's Voila template).  ``TEICHAKU_APP_UNOPENED_TIMEOUT`` and
    ``TEICHAKU_APP_LEFT_TIMEOUT`` change them (tests)."""

    unopened: int = 120
    left: int = 1800

    @property
    def interval(self) -> int:
        """How often the server looks (a fraction of the shorter time, at most 30 s)."""
        return max(1, min(30, min(self.unopened, self.left) // 4))

    @classmethod
    def from_environment(cls, environ=os.environ) -> "KernelTimeouts":
        def seconds(name: str, default: int) -> int:
            try:
                return max(1, int(environ.get(name, default)))
            except ValueError:
                return default
        return cls(seconds("TEICHAKU_APP_UNOPENED_TIMEOUT", cls.unopened),
                   seconds("TEICHAKU_APP_LEFT_TIMEOUT", cls.left))


@dataclass(frozen=True)
class Doors:
    """How people get in (``login``): ``mode`` is ``staff.TOKEN`` (one token, this computer
    only), ``staff.ACCOUNTS`` (each signs in) or ``staff.TRUSTED`` (the organisation's proxy
    names them in ``trusted_header``); HTTPS with ``certfile`` (and ``keyfile``).  The
    ``trusted_proxies`` are believed about the browser's address and HTTPS (the access log,
    the cookie) and, in ``TRUSTED`` mode, about who the person is."""

    mode: str = TOKEN
    certfile: Path | None = None
    keyfile: Path | None = None
    trusted_header: str = ""
    trusted_proxies: tuple[str, ...] = ()

    @property
    def scheme(self) -> str:
        return "https" if self.certfile else "http"

    def arguments(self) -> list[str]:
        """Voila's arguments for these doors."""
        provider = "TokenIdentityProvider" if self.mode == TOKEN else "AccountsIdentityProvider"
        args = [f"--Voila.identity_provider_class=teichaku_nb.server.login.{provider}"]
        if self.mode != TOKEN:
            args += [f"--{provider}.idle_minutes={idle_minutes()}"]
        if self.mode == TRUSTED:
            args += [f"--{provider}.trusted_header={self.trusted_header}"]
        if self.mode != TOKEN:
            args += [arg for proxy in self.trusted_proxies for arg in (f"--{provider}.trusted_proxies", proxy)]
        if self.certfile:
            args += [f"--TeichakuVoila.certfile={self.certfile}"]
            if self.keyfile:
                args += [f"--TeichakuVoila.keyfile={self.keyfile}"]
        return args


def idle_minutes(environ=os.environ) -> float:
    """Minutes without activity that end a signed-in session (``TEICHAKU_APP_IDLE_MINUTES``
    changes it: tests)."""
    try:
        return max(0.02, float(environ.get("TEICHAKU_APP_IDLE_MINUTES", IDLE_MINUTES)))
    except ValueError:
        return IDLE_MINUTES


def choose_doors(host: str, has_accounts: bool, *, certfile: Path | None = None, keyfile: Path | None = None,
                 trusted_header: str | None = None, trusted_proxies=None) -> Doors:
    """The doors for ``teichaku app``'s arguments, or a LaunchError saying in Japanese what is
    missing: another computer may reach the app only when staff have accounts."""
    for path in filter(None, (certfile, keyfile)):
        if not Path(path).is_file():
            raise LaunchError(f"証明書のファイルが見つかりません: {path}")
    if keyfile and not certfile:
        raise LaunchError("--keyfile は --certfile と一緒に指定してください")
    cert = Path(certfile).absolute() if certfile else None
    key = Path(keyfile).absolute() if keyfile else None
    proxies = tuple(trusted_proxies or ())
    for proxy in proxies:
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            raise LaunchError(f"--trusted-proxy には IP アドレスを指定してください（{proxy}）") from None
    if trusted_header:
        if not has_accounts:
            raise LaunchError("組織のサインイン（--trusted-header）で開くには、職員アカウントが必要です。"
                              "先に teichaku staff add 名前 --role 管理者 で作ってください")
        return Doors(TRUSTED, cert, key, trusted_header.strip(), proxies or ("127.0.0.1",))
    if has_accounts:
        return Doors(ACCOUNTS, cert, key, trusted_proxies=proxies)
    if proxies:
        raise LaunchError("--trusted-proxy は、職員アカウントがあるとき（サインインするとき）に使います。"
                          "先に teichaku staff add 名前 --role 管理者 で最初の管理者を作ってください")
    if not is_loopback(host):
        raise LaunchError(f"ほかのパソコンから開けるようにする（--host {host}）には、職員ごとのアカウントが必要です。"
                          "先に teichaku staff add 名前 --role 管理者 で最初の管理者を作ってください")
    return Doors(TOKEN, cert, key)


def voila_command(notebook: Path, *, host: str, port: int, pool_size: int = POOL_SIZE,
                  timeouts: KernelTimeouts | None = None, doors: Doors | None = None) -> list[str]:
    """The Voila command line that serves ``notebook`` and nothing else (Voila as
    ``teichaku_nb.server.web`` adapts it).

    The token is not on the command line (other users can read that in ``ps``): Voila reads it
    from ``JUPYTER_TOKEN`` in its environment (``server_env``).  With accounts, the token only
    lets the preheated kernels call back."""
    timeouts = timeouts or KernelTimeouts.from_environment()
    manager = "TeichakuKernelManager"
    return [
        sys.executable, "-m", "teichaku_nb.server", str(notebook),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--Voila.auto_token=True",
        *(doors or Doors()).arguments(),           # token or accounts, HTTPS: pages in Japanese (login)
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaConfiguration.template={TEMPLATE}",
        "--VoilaConfiguration.theme=light",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        # No file of the notebook folder is served: a pattern that matches nothing, one list item
        # (not wrapped in brackets or parentheses, which traitlets reads as a deprecated literal).
        "--VoilaConfiguration.file_allowlist", "(?!).*",
        "--VoilaConfiguration.file_denylist", ".*",
        *[arg for name in EXTENSIONS for arg in ("--VoilaConfiguration.extension_allowlist", name)],
        "--VoilaConfiguration.preheat_kernel=True",
        f"--VoilaConfiguration.default_pool_size={pool_size}",
        f"--VoilaConfiguration.multi_kernel_manager_class=teichaku_nb.server.web.{manager}",
        f"--{manager}.unopened_timeout={timeouts.unopened}",
        f"--{manager}.cull_idle_timeout={timeouts.left}",
        f"--{manager}.cull_interval={timeouts.interval}",
    ]


def server_env(token: str) -> dict[str, str]:
    """What ``voila_command`` needs in its environment: the token (where jupyter_server's
    identity provider takes it from) and JUPYTER_PATH with the package's Voila template first."""
    return {"JUPYTER_TOKEN": token,
            "JUPYTER_PATH": os.pathsep.join(filter(None, [str(TEMPLATE_ROOT), os.environ.get("JUPYTER_PATH")]))}


@dataclass
class Plan:
    """What ``teichaku app`` is about to serve, resolved from its arguments."""

    book: Path
    demo: bool
    db: str                 # URL or SQLite file
    db_shown: str           # for people (password hidden)
    host: str
    port: int
    token: str
    doors: Doors = Doors()

    @property
    def url(self) -> str:
        """The app's URL on this machine (on a wildcard host: its loopback address)."""
        return self._url(local_host(self.host))

    def _url(self, host: str) -> str:
        host = f"[{host}]" if ":" in host else host
        query = f"?token={self.token}" if self.doors.mode == TOKEN else ""
        return f"{self.doors.scheme}://{host}:{self.port}/{query}"

    def where_to_open(self) -> list[str]:
        """What ``teichaku app`` prints about where to open the app (Japanese)."""
        head = {TOKEN: "会議アプリを起動しました。次のURLをブラウザで開いてください（トークン付き。他の人に渡さないでください）:",
                ACCOUNTS: "会議アプリを起動しました。次のURLをブラウザで開き、自分のサインイン名とパスワードでサインインしてください:",
                TRUSTED: "会議アプリを起動しました。組織のサインインの入口（プロキシ）から開いてください。このパソコンの待ち受け先:",
                }[self.doors.mode]
        if self.host not in WILDCARDS:
            return [head, f"  {self.url}"]
        name = socket.gethostname()
        return [head,
                f"  このパソコンから: {self.url}",
                f"  ほかのパソコンから: {self._url(name)}",
                f"  （ほかのパソコンで開けないときは、{name} をこのパソコンの IP アドレスに置き換えてください）"]

    def env(self) -> dict[str, str]:
        """The server's environment (Voila gives kernels a copy of it)."""
        env = dict(os.environ)
        env[BOOK_ENV] = str(self.book)
        env[DB_ENV] = self.db
        env[DEMO_ENV] = "1" if self.demo else "0"
        env.update(server_env(self.token))
        env[AUTH_ENVIRONMENT] = self.doors.mode
        if self.doors.certfile:
            env["VOILA_WS_PROTOCOL"] = "wss"       # the preheated kernels call back over TLS
        # A preheated kernel calls back to the server (preheat.PageRequest) at
        # VOILA_APP_IP, which Voila leaves at 127.0.0.1: give it the address we listen on.
        ip = local_host(self.host)
        env["VOILA_APP_IP"] = f"[{ip}]" if ":" in ip else ip
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env


class LaunchError(StaffError):
    """The app cannot start; the message is Japanese."""


# Where a workbook's conference records are (``--db``, or the store's default for the
# workbook) and how to show that to people: ``(db, db_shown)``.  The CLI hands in the store's
# (``cli.records_location``), so that nothing here imports the store.
RecordsLocation = Callable[[Path, str | None], tuple[str, str]]
# Whether the records at ``db`` (for the workbook) have a staff account; when ``offer`` is
# True and there is none, the CLI may ask at the terminal to create the first 管理者.
StaffAccounts = Callable[[str, Path, bool], bool]


def plan(book: Path | None, db: str | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
         token: str | None = None, *, locate_records: RecordsLocation, doors: Doors = Doors()) -> Plan:
    demo = book is None
    book = demo_book_path() if demo else Path(book).absolute()
    if not book.exists():
        raise LaunchError(f"ケース記録が見つかりません: {book}")
    db, db_shown = locate_records(book, db)
    if not 0 < port < 65536:
        raise LaunchError(f"ポート番号は 1〜65535 にしてください（{port}）")
    return Plan(book=book, demo=demo, db=db, db_shown=db_shown, host=host, port=port,
                token=token or secrets.token_urlsafe(32), doors=doors)


def local_host(host: str) -> str:
    """The address a browser on this machine uses for a server listening on ``host``."""
    return "127.0.0.1" if host in WILDCARDS else host


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def port_free(host: str, port: int) -> bool:
    """Whether the server could listen on ``port``: nothing else listens there.  Connections
    of a server that just stopped (TIME_WAIT) do not count, as they do not for the server
    (Tornado binds with SO_REUSEADDR too), so the app can be started again at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_ready(url: str, process: subprocess.Popen | None = None, timeout: float = 120, *,
                     tls: bool = False) -> bool:
    """Poll Voila's static endpoint until it answers (it does while kernels preheat).  Over
    HTTPS the office's certificate is not checked: this is our own server, on this machine."""
    base = url.split("?")[0].rstrip("/")
    deadline = time.monotonic() + timeout
    context = None
    if tls:
        import ssl
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{base}/voila/static/", timeout=2, context=context):
                return True
        except urllib.error.HTTPError:
            return True            # any HTTP answer: the server is up
        except OSError:
            time.sleep(0.2)
    return False


def open_log() -> AppLogHandler | None:
    """The app's log, to write Voila's output into, with a line that says where this run
    begins; None if it cannot be written (then the terminal has Voila's output)."""
    try:
        log = AppLogHandler()
    except OSError:
        return None
    log.setFormatter(logging.Formatter("%(message)s"))
    _write(log, f"[teichaku app] {time.strftime('%Y-%m-%d %H:%M:%S')} teichaku app: starting Voila")
    return log


def _write(log: logging.Handler, line: str) -> None:
    log.handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO, "levelname": "INFO"}))


def _relay(pipe: int, log: AppLogHandler) -> None:
    """Each line Voila and its kernels print, into the log, until all of them have closed the pipe."""
    try:
        with open(pipe, "rb") as lines:
            for line in lines:
                _write(log, line.decode("utf-8", "replace").rstrip("\r\n"))
    finally:
        log.close()


PR_SET_PDEATHSIG = 1          # linux/prctl.h


def ends_with_this_process() -> Callable[[], None] | None:
    """For ``Popen(preexec_fn=...)``: the child is sent SIGTERM when this process ends, however
    it ends (``kill -9`` included, when no ``finally`` runs); None where that cannot be had.

    Linux's parent-death signal (``PR_SET_PDEATHSIG``), set in the child before it runs its
    program.  The signal comes when the *thread* that started the child ends: only the main
    thread lives as long as the process, so a child started from another thread is not bound.
    A parent that died before the child set it would never send it: then the child has
    another parent already, and ends at once.  On SIGTERM Voila stops its kernels (which also
    end by themselves once Voila is gone: ipykernel watches its parent) and removes the
    run's folder (``teichaku_nb.server.__main__``); the read ahead just ends."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)
    return in_child


def start(p: Plan, notebook: Path | None = None, **popen) -> subprocess.Popen:
    """Start Voila for the plan (the caller stops it: ``stop``), and beside it the read ahead
    of the workbook for the first page's kernel (``app.prefetch``), in a folder of this run
    that only its user can open.  Both end when this process ends, and Voila removes the
    folder when it ends (``ends_with_this_process``)."""
    folder = Path(tempfile.mkdtemp(prefix="teichaku-app-"))        # mode 0700
    env = p.env()
    env[PREFETCH_ENV] = str(folder / "workbook.pickle")
    env[RUN_FOLDER_ENV] = str(folder)
    bound = ends_with_this_process()
    try:
        process = subprocess.Popen(voila_command(notebook or app_notebook_path(), host=p.host, port=p.port,
                                                 doors=p.doors),
                                   env=env, start_new_session=True, preexec_fn=bound, **popen)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    process.prefetch_folder = folder
    try:        # silent: when there is no reading ahead, a kernel reads the workbook itself
        process.prefetch = subprocess.Popen(
            [sys.executable, "-m", "teichaku_nb.app.prefetch", str(p.book), env[PREFETCH_ENV]], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=bound)
    except OSError:
        process.prefetch = None
    return process


def start_logged(p: Plan) -> subprocess.Popen:
    """``start``, Voila's output (stdout and stderr, its kernels' too) into the app's log: they
    print into a pipe and a thread of the launcher writes the lines (``stop`` waits for the last)."""
    log = open_log()
    if log is None:
        return start(p)
    pipe, into_pipe = os.pipe()
    try:
        process = start(p, stdin=subprocess.DEVNULL, stdout=into_pipe, stderr=subprocess.STDOUT)
    except BaseException:
        os.close(pipe)
        log.close()
        raise
    finally:
        os.close(into_pipe)           # Voila and its kernels hold the others: the end of their output
    process.log_relay = threading.Thread(target=_relay, args=(pipe, log), name="teichaku-app-log", daemon=True)
    process.log_relay.start()
    return process


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop Voila and its kernels (they are in its process group); their last lines reach the
    log.  The read ahead of the workbook ends too, and its folder is removed."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        else:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout)
    prefetch = getattr(process, "prefetch", None)
    if prefetch is not None:
        if prefetch.poll() is None:            # a large workbook still being read: not needed now
            prefetch.kill()
        prefetch.wait(timeout)
    folder = getattr(process, "prefetch_folder", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    relay = getattr(process, "log_relay", None)
    if relay is not None:
        relay.join(timeout)


def run(book: Path | None, db: str | None, host: str, port: int, *, locate_records: RecordsLocation,
        staff_accounts: StaffAccounts | None = None, certfile: Path | None = None, keyfile: Path | None = None,
        trusted_header: str | None = None, trusted_proxies=None, out=print, err=None) -> int:
    """``teichaku app``: start, print where to open it, serve until Ctrl-C."""
    err = err or (lambda text: print(text, file=sys.stderr))
    try:
        p = plan(book, db, host, port, locate_records=locate_records)
        offer = sys.stdin is not None and sys.stdin.isatty()
        has_accounts = bool(staff_accounts and staff_accounts(p.db, p.book, offer))
        p.doors = choose_doors(host, has_accounts, certfile=certfile, keyfile=keyfile,
                               trusted_header=trusted_header, trusted_proxies=trusted_proxies)
    except (LaunchError, StaffError) as error:
        err(f"エラー: {error}")
        return 2
    if not port_free(host, port):
        err(f"エラー: {host} のポート {port} は使われています。--port で別の番号を指定してください")
        return 2
    if not is_loopback(host) and p.doors.scheme != "https":
        err(f"注意: {host} で待ち受けます。パスワードや記録が暗号化されずにネットワークを流れます。"
            "--certfile と --keyfile で HTTPS にするか、README の「チームで使う」の手順でプロキシの後ろに置いてください（docs/team.md）。")
    if p.demo:
        out(f"ケース記録を指定していないため、デモデータ（架空の人物）を開きます: {p.book}")
    else:
        out(f"ケース記録: {p.book}")
    where = "（デモ用。リポジトリの外、利用者ごとのフォルダ）" if p.demo and not db else ""
    out(f"会議記録のデータベース: {p.db_shown}{where}")
    out(f"動作の記録（ログ）: {app_log_path()}")
    def _terminate(signum, _frame):
        raise SystemExit(0)              # run the finally below: Voila and its kernels stop too

    previous = {sig: signal.signal(sig, _terminate) for sig in (signal.SIGTERM, signal.SIGHUP)}
    process = start_logged(p)
    try:
        if not wait_until_ready(p.url, process, tls=p.doors.scheme == "https"):
            err(f"エラー: 会議アプリ（Voila）を起動できませんでした。詳しくは動作の記録（ログ）を見てください: {app_log_path()}")
            return 2
        for line in p.where_to_open():
            out(line)
        out("終了するには Ctrl+C を押します。")
        code = process.wait()
        if code not in (0, -signal.SIGTERM, -signal.SIGINT):
            err(f"エラー: 会議アプリ（Voila）が終了しました（終了コード {code}）。"
                f"詳しくは動作の記録（ログ）を見てください: {app_log_path()}")
            return 2
        return 0
    except KeyboardInterrupt:
        out("会議アプリを終了します。")
        return 0
    finally:
        stop(process)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
