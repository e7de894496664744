"""Who is working: the signed-in staff member, their role, and what each role may do.

The app's server knows who signed in (``server.accounts``); it hands the page's kernel that
person as a request header it writes itself (``HEADER``, over whatever a browser sent), and
Voila's ``http_header_envs`` puts it into the kernel's environment (``ENVIRONMENT``).
``from_environment`` reads it there: the 記録者 of every record saved from the page is that
person's name, never a name typed on the page.

Roles are ordered: each may do what the ones before it may.  ``ALLOWED`` names the least
role for the actions that need more than a 支援員; ``Staff.check`` refuses the others in
Japanese (``Refused``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from .errors import StaffError

SUPPORT, MANAGER, ADMIN = "支援員", "サービス管理責任者", "管理者"
ROLES = (SUPPORT, MANAGER, ADMIN)          # each may do what the ones before it may

# What needs more than a 支援員 (the action's key: the least role, and the action in Japanese).
ALLOWED = {
    "plan_finalise": (MANAGER, "個別支援計画の確定"),
    "plan_consent": (MANAGER, "個別支援計画の同意の記録"),
    "regional_presenters": (MANAGER, "地域連携会議の出席者の記録"),
    "audit": (MANAGER, "運営指導の準備"),
    "accounts": (ADMIN, "職員アカウントの管理"),
    "access_log": (ADMIN, "アクセス記録の閲覧"),
}

HEADER = "X-Teichaku-Staff"                                   # written by the server, never by a browser
ENVIRONMENT = "HTTP_" + HEADER.upper().replace("-", "_")      # where Voila puts it in the kernel


class Refused(StaffError):
    """An action the signed-in person's role does not allow (the message says why)."""


@dataclass(frozen=True)
class Staff:
    """A staff member at work: ``login`` (what they sign in with), ``name`` (the 記録者 of
    their records) and ``role`` (one of ``ROLES``)."""

    login: str
    name: str
    role: str

    def may(self, action: str) -> bool:
        least, _what = ALLOWED.get(action, (SUPPORT, ""))
        return rank(self.role) >= rank(least)

    def check(self, action: str) -> None:
        """Refuse ``action`` in Japanese unless this person's role allows it."""
        if not self.may(action):
            least, what = ALLOWED[action]
            above = "以上" if least != ADMIN else ""
            raise Refused(f"{what}は{least}{above}の職員が行います（{self.name}さんは{self.role}です）")

    def to_header(self) -> str:
        """The header value the server writes (ASCII: JSON with escapes)."""
        return json.dumps(asdict(self))


def rank(role: str) -> int:
    """A role's place in ``ROLES`` (-1: not a role)."""
    return ROLES.index(role) if role in ROLES else -1


def from_header(value: str | None) -> Staff | None:
    """The staff member a header value names (None: absent or not one of ours)."""
    if not value:
        return None
    try:
        found = json.loads(value)
        staff = Staff(login=str(found["login"]), name=str(found["name"]), role=str(found["role"]))
    except (ValueError, KeyError, TypeError):
        return None
    return staff if staff.role in ROLES and staff.name.strip() else None


def from_environment(environ=os.environ) -> Staff | None:
    """The person the server says opened this page (None outside an app page)."""
    return from_header(environ.get(ENVIRONMENT))

AUTH_ENVIRONMENT = "TEICHAKU_AUTH"     # how the app's server signs people in (set by ``teichaku app``)
ACCOUNTS, TOKEN, TRUSTED = "accounts", "token", "trusted-header"


def signs_out_here(environ=os.environ) -> bool:
    """Whether the page offers サインアウト: with accounts, not with the token of one computer
    nor behind an organisation's own sign-in (its front door signs people out)."""
    return environ.get(AUTH_ENVIRONMENT) == ACCOUNTS
