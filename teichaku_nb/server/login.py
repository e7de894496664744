"""Who may open the app, and who they are: jupyter_server's identity hooks, three ways.

``teichaku app`` picks one (``launcher.voila_command``, ``--Voila.identity_provider_class``):

- ``TokenIdentityProvider`` — no staff account in the store: one secret token, printed by
  ``teichaku app`` on this computer's loopback address only.  Whoever opens it is the person
  who started the app (their computer account's name) with every role;
- ``AccountsIdentityProvider`` — each staff member signs in with their name and password
  (``store`` accounts, ``teichaku staff``).  Wrong passwords lock a name for a few minutes
  (``sessions.Lockout``); a session ends on サインアウト or after ``idle_minutes`` without
  anything from its browser, and its kernels end with it;
- ``AccountsIdentityProvider`` with ``trusted_header`` — the organisation's own front door
  (oauth2-proxy, Authelia…) signs people in and names them in a header; the header counts
  only on requests from ``trusted_proxies`` (the socket's peer, never a forwarded address).

Each gives the page's kernel its person: ``staff_of(user)``, written into the page request
by ``web.PageHandler`` (``staff.HEADER``).  Every sign-in, failure, lockout and sign-out is
written to the store's access log.  The pages are Japanese (``templates/server``).

A preheated kernel calls back to the server (``preheat.PageRequest``) with the token it has in
its environment; with accounts the token opens that websocket only (``accepts_kernel_token``).
"""

from __future__ import annotations

import getpass
import hmac
import os
import re
from dataclasses import dataclass
from urllib.parse import unquote

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider, User
from jupyter_server.base.handlers import JupyterHandler
from jupyter_core.utils import ensure_async
from tornado.ioloop import IOLoop, PeriodicCallback
from traitlets import Float, Integer, List, Unicode
from voila.voila_identity_provider import VoilaLoginHandler

from ..paths import BOOK_ENV, DB_ENV
from ..staff import ADMIN, Staff
from .sessions import Lockout, Sessions

TOKEN_IN_URL = re.compile(r"(?:^|[?&#])token=([^&#\s]*)")
KERNEL_USER = "teichaku-kernel"          # the preheated kernels' callback (``accepts_kernel_token``)
ACCOUNT_RECHECK = 60                     # seconds a session trusts that its account is still enabled


def token_from(typed: str) -> str:
    """The token in what was typed into the field: the token itself, or a URL (or its
    ``?token=…`` part) that carries it."""
    typed = typed.strip()
    found = TOKEN_IN_URL.search(typed)
    return unquote(found.group(1)) if found else typed


def computer_user() -> Staff:
    """The person who started ``teichaku app`` in token mode: their computer account."""
    name = getpass.getuser()
    return Staff(login=name, name=name, role=ADMIN)


@dataclass
class StaffUser(User):
    """jupyter_server's user with the staff member it is and the session that holds it."""

    staff: Staff | None = None
    sid: str = ""


class LoginHandler(VoilaLoginHandler):
    """The sign-in page (``templates/server/signin.html``) for every mode."""

    def _render(self, message=None):
        provider = self.identity_provider
        error = getattr(self, "signin_error", "")
        if not error and (message or {}).get("error"):
            error = "トークンが違います。起動した画面の URL をもう一度確かめてください。"
        self.write(self.render_template(
            "signin.html", error=error, login=self.get_argument("login", default=""),
            idle_minutes=getattr(provider, "idle_minutes", 0),
            proxy_message=provider.proxy_message(self) if hasattr(provider, "proxy_message") else ""))


class SignOutHandler(JupyterHandler):
    """``/logout``: the session ends (its kernels too) and the page says so."""

    @allow_unauthenticated
    def get(self):
        provider = self.identity_provider
        if hasattr(provider, "sign_out"):
            provider.sign_out(self)
        provider.clear_login_cookie(self)
        self.write(self.render_template("logout.html"))


class TokenIdentityProvider(PasswordIdentityProvider):
    """Voila's token login with the Japanese page; the token, or a pasted URL carrying it."""

    mode = "token"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.login_handler_class = LoginHandler
        self.logout_handler_class = SignOutHandler
        self.owner = computer_user()

    def staff_of(self, user) -> Staff | None:
        return self.owner if user is not None else None

    def process_login_form(self, handler):
        user = super().process_login_form(handler)
        if user is None and self.token:
            typed = token_from(handler.get_argument("password", default=""))
            if hmac.compare_digest(typed.encode(), self.token.encode()):
                user = self.generate_anonymous_user(handler)        # as jupyter_server does for the token
        return user


class AccountsIdentityProvider(IdentityProvider):
    """Staff accounts from the store (see the module's docstring)."""

    idle_minutes = Float(30, config=True, help="Minutes without activity after which a session ends.")
    lockout_failures = Integer(5, config=True, help="Wrong passwords in a row that lock a sign-in name.")
    lockout_minutes = Float(5, config=True, help="Minutes a locked sign-in name waits.")
    trusted_header = Unicode("", config=True, help="Header naming the person, set by the organisation's proxy.")
    trusted_proxies = List(Unicode(), config=True, help="Addresses whose trusted_header is believed.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.login_handler_class = LoginHandler
        self.logout_handler_class = SignOutHandler
        self.cookie_options = {"samesite": "Lax", **self.cookie_options}
        self.sessions = Sessions(self.idle_minutes * 60)
        self.lockout = Lockout(self.lockout_failures, minutes=self.lockout_minutes)
        self._store = None
        self._kernels = None               # the kernel manager, to end a session's kernels
        self._ticker: PeriodicCallback | None = None
        self._proxied: dict[str, str] = {}      # login: session id (trusted header)

    @property
    def mode(self) -> str:
        return "trusted" if self.trusted_header else "accounts"

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    # --- the store ---------------------------------------------------------------------

    @property
    def store(self):
        if self._store is None:
            from ..store import open_store
            self._store = open_store(os.environ.get(DB_ENV) or None, book_path=os.environ.get(BOOK_ENV) or None)
        return self._store

    def record(self, staff: Staff | None, action: str, handler=None, **details) -> None:
        """An entry in the access log; a store that cannot write it is logged for developers
        (the person's sign-in or sign-out goes on)."""
        try:
            self.store.log_access(staff, action, address=self._address(handler) if handler else None, **details)
        except Exception:      # the server keeps serving; the failure is in the app's log
            self.log_failure(action)

    def log_failure(self, action: str) -> None:
        self.log.exception("Could not write the access log (%s)", action)

    def _address(self, handler) -> str:
        """The browser's address: the socket's peer, or what a trusted proxy says it is."""
        peer = handler.request.remote_ip or ""
        if peer in self.trusted_proxies:
            forwarded = handler.request.headers.get("X-Real-IP") or \
                handler.request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
            return forwarded or peer
        return peer

    def set_login_cookie(self, handler, user) -> None:
        """jupyter_server's, the cookie marked Secure also behind a trusted proxy that says the
        browser came over HTTPS (``X-Forwarded-Proto``), as it is over HTTPS directly."""
        proxied_https = (handler.request.remote_ip in self.trusted_proxies
                         and handler.request.headers.get("X-Forwarded-Proto", "").lower() == "https")
        if proxied_https and self.secure_cookie is None:
            self.secure_cookie = True              # the proxy is the only way in: true of every request
        super().set_login_cookie(handler, user)

    def _account(self, login: str):
        found = self.store.account(login)
        return found if found is not None and not found.disabled else None

    # --- who is asking -----------------------------------------------------------------

    def get_user(self, handler) -> User | None:
        if getattr(handler, "_jupyter_current_user", None):
            return handler._jupyter_current_user
        self._start_ticking(handler)
        if getattr(handler, "accepts_kernel_token", False) and self.token:
            given = self.get_token(handler) or ""
            if hmac.compare_digest(given.encode(), self.token.encode()):
                return User(KERNEL_USER)
        if self.trusted_header:
            return self._from_proxy(handler)
        user = self.get_user_cookie(handler)
        if user is None and handler.get_cookie(self.get_cookie_name(handler)) is not None:
            self.clear_login_cookie(handler)       # an ended session's cookie: the browser forgets it
        return user

    def user_to_cookie(self, user: User) -> str:
        return user.sid

    def user_from_cookie(self, cookie_value: str) -> User | None:
        session = self.sessions.get(cookie_value)
        if session is None:
            return None
        if not self._still_enabled(session):
            return None
        self.sessions.touch(session)
        return self._user(session)

    @staticmethod
    def _user(session) -> StaffUser:
        staff = session.staff
        return StaffUser(username=staff.login, name=staff.name, display_name=staff.name, staff=staff, sid=session.sid)

    def _still_enabled(self, session) -> bool:
        now = self.sessions.clock()
        if now - session.checked < ACCOUNT_RECHECK:
            return True
        try:
            account = self._account(session.staff.login)
        except Exception:
            self.log_failure("account check")
            return True                    # the store is busy: the session goes on, checked next time
        if account is None:
            self._end(session, "sign_out", detail="アカウントが無効")
            return False
        if not self.trusted_header and account.password_changed_at > session.signed_in_at:
            self._end(session, "sign_out", detail="パスワードが変更された")
            return False
        session.checked = now
        return True

    def _from_proxy(self, handler) -> User | None:
        login = (handler.request.headers.get(self.trusted_header) or "").strip()
        if not login or handler.request.remote_ip not in self.trusted_proxies:
            return None
        session = self.sessions.get(self._proxied.get(login, ""))
        if session is None:
            account = self._account(login)
            if account is None:
                return None
            session = self.sessions.start(account.staff, self._address(handler))
            self._proxied[login] = session.sid
            self.record(account.staff, "sign_in", handler, detail="組織のサインイン")
        elif not self._still_enabled(session):
            return None
        self.sessions.touch(session)
        return self._user(session)

    def proxy_message(self, handler) -> str:
        """What the sign-in page says in trusted-header mode."""
        if not self.trusted_header:
            return ""
        login = (handler.request.headers.get(self.trusted_header) or "").strip()
        if login and handler.request.remote_ip in self.trusted_proxies:
            return f"サインイン名「{login}」の職員アカウントがこのアプリにありません。管理者に登録を頼んでください。"
        return "この会議アプリは、組織のサインイン画面を通して開きます。いつも使っている入口のアドレスから開いてください。"

    def staff_of(self, user) -> Staff | None:
        return getattr(user, "staff", None)

    # --- signing in and out ------------------------------------------------------------

    def process_login_form(self, handler) -> User | None:
        if self.trusted_header:
            handler.signin_error = self.proxy_message(handler)
            return None
        login = handler.get_argument("login", default="").strip()
        password = handler.get_argument("password", default="")
        if not login or not password:
            handler.signin_error = "サインイン名とパスワードを入力してください。"
            return None
        if self.lockout.remaining(login):
            handler.signin_error = self.lockout.message(login)
            self.record(None, "sign_in_failed", handler, login=login, detail="ロック中")
            return None
        account = self.store.verify_password(login, password)
        if account is None:
            locked = self.lockout.failed(login)
            self.record(None, "sign_in_failed", handler, login=login)
            if locked:
                self.record(None, "locked_out", handler, login=login)
                handler.signin_error = self.lockout.message(login)
            else:
                handler.signin_error = "サインイン名かパスワードが違います。"
            return None
        self.lockout.succeeded(login)
        session = self.sessions.start(account.staff, self._address(handler))
        self.record(account.staff, "sign_in", handler)
        return self._user(session)

    def sign_out(self, handler) -> None:
        user = self.get_user_cookie(handler)
        session = self.sessions.end(getattr(user, "sid", "")) if user is not None else None
        if session is not None:
            self.record(session.staff, "sign_out", handler)
            self._end_kernels(session)

    def _end(self, session, action: str, **details) -> None:
        self.sessions.end(session.sid)
        self.record(session.staff, action, **details)
        self._end_kernels(session)

    def _end_kernels(self, session) -> None:
        if self._kernels is None:
            return
        for kernel_id in list(session.kernels):
            if kernel_id in self._kernels:
                self._shut_down(kernel_id)

    def _shut_down(self, kernel_id: str) -> None:
        IOLoop.current().add_callback(lambda: ensure_async(self._kernels.shutdown_kernel(kernel_id)))

    # --- activity ----------------------------------------------------------------------

    def seen_kernel(self, user, kernel_id: str) -> None:
        """A page of ``user``'s session connected to ``kernel_id`` (web.KernelChannelHandler)."""
        session = self.sessions.get(getattr(user, "sid", ""))
        if session is not None:
            session.kernels.add(kernel_id)
            self.sessions.touch(session)

    def seen(self, user) -> None:
        """Something came from ``user``'s browser on a kernel connection."""
        session = self.sessions.get(getattr(user, "sid", ""))
        if session is not None:
            self.sessions.touch(session)

    def _start_ticking(self, handler) -> None:
        if self._ticker is not None:
            return
        self._kernels = handler.settings.get("kernel_manager")
        every = max(1.0, min(30.0, self.sessions.idle / 4))
        self._ticker = PeriodicCallback(self._expire, every * 1000)
        self._ticker.start()

    def _expire(self) -> None:
        for session in self.sessions.expired():
            self.record(session.staff, "timed_out")
            self._end_kernels(session)
            if self._proxied.get(session.staff.login) == session.sid:
                del self._proxied[session.staff.login]
