"""Who is signed in, and who may not try again yet: the server's memory of sign-ins.

``Sessions``: a signed-in browser holds a session's random id (in jupyter_server's signed
login cookie, ``login.AccountsIdentityProvider``); the session ends when its person signs out,
when nothing came from its browser for ``idle`` seconds (no page, no click or keystroke
reaching its kernels), or when the server stops.  The server keeps the kernels each session
opened, to close them with it.

``Lockout``: after ``failures`` wrong passwords for one sign-in name within ``window``
seconds, that name may not sign in for ``minutes``; the page says so plainly.  A right password
resets the count.  Counted per name typed, whether or not such an account exists, so that the
answer does not tell which names exist.

Both live in the server's memory only: a restart signs everyone out and forgets the counts.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass, field
from typing import Callable

from ..staff import Staff


@dataclass
class Session:
    """One signed-in browser."""

    sid: str
    staff: Staff
    address: str
    seen: float                        # the clock when its browser last did something
    checked: float                     # the clock when its account was last found enabled
    kernels: set[str] = field(default_factory=set)
    signed_in_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


class Sessions:
    """The sessions of this server, by id."""

    def __init__(self, idle: float, clock: Callable[[], float] = time.monotonic):
        self.idle = idle
        self.clock = clock
        self._by_id: dict[str, Session] = {}

    def start(self, staff: Staff, address: str = "") -> Session:
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), staff, address, now, now)
        self._by_id[session.sid] = session
        return session

    def get(self, sid: str) -> Session | None:
        """The session, if it is still open (an idle one is not: ``expired`` ends it)."""
        session = self._by_id.get(sid)
        if session is None or self.clock() - session.seen > self.idle:
            return None
        return session

    def touch(self, session: Session) -> None:
        session.seen = max(session.seen, self.clock())

    def of_kernel(self, kernel_id: str) -> Session | None:
        return next((s for s in self._by_id.values() if kernel_id in s.kernels), None)

    def end(self, sid: str) -> Session | None:
        return self._by_id.pop(sid, None)

    def end_all(self, login: str) -> list[Session]:
        """Every session of one person (their account was disabled)."""
        return [self._by_id.pop(s.sid) for s in list(self._by_id.values()) if s.staff.login == login]

    def expired(self) -> list[Session]:
        """The sessions idle for longer than ``idle``, ended."""
        now = self.clock()
        return [self._by_id.pop(s.sid) for s in list(self._by_id.values()) if now - s.seen > self.idle]


class Lockout:
    """Wrong passwords counted per sign-in name."""

    def __init__(self, failures: int = 5, window: float = 15 * 60, minutes: float = 5,
                 clock: Callable[[], float] = time.monotonic):
        self.failures, self.window, self.minutes, self.clock = failures, window, minutes, clock
        self._failed: dict[str, list[float]] = {}
        self._until: dict[str, float] = {}

    @staticmethod
    def _key(login: str) -> str:
        return login.strip().casefold()

    def remaining(self, login: str) -> float:
        """Seconds until ``login`` may try again (0: now)."""
        return max(0.0, self._until.get(self._key(login), 0.0) - self.clock())

    def failed(self, login: str) -> bool:
        """Count a wrong password; True when it locks the name."""
        key, now = self._key(login), self.clock()
        if len(self._failed) > self.KEPT:          # names typed once and never again are forgotten
            self._forget_before(now)
        recent = [at for at in self._failed.get(key, []) if now - at <= self.window] + [now]
        if len(recent) >= self.failures:
            self._failed.pop(key, None)
            self._until[key] = now + self.minutes * 60
            return True
        self._failed[key] = recent
        return False

    KEPT = 1000                 # names with failures remembered before the stale ones are dropped

    def _forget_before(self, now: float) -> None:
        for key in [k for k, at in self._failed.items() if now - at[-1] > self.window]:
            del self._failed[key]
        for key in [k for k, until in self._until.items() if until <= now]:
            del self._until[key]

    def succeeded(self, login: str) -> None:
        key = self._key(login)
        self._failed.pop(key, None)
        self._until.pop(key, None)

    def message(self, login: str) -> str:
        """What the sign-in page says to a locked name (Japanese)."""
        left = max(1, -(-int(self.remaining(login)) // 60))
        return (f"パスワードの誤りが続いたため、このサインイン名は{self.minutes:g}分間サインインできません"
                f"（あと約{left}分）。時間をおいてからもう一度入力してください。"
                "パスワードを忘れたときは、管理者に再設定を頼んでください。")
