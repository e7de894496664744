"""The page a browser gets when it comes without the token, in Japanese.

jupyter_server's own login page ("Password or token:") is English; staff who open
``http://127.0.0.1:8866/`` without the token from ``teichaku app`` get this one instead: what
to open, and a field to paste the token into.  ``teichaku app`` selects it with
``--Voila.identity_provider_class`` (``launcher.voila_command``).  The field takes the token or
the whole URL ``teichaku app`` printed (``token_from``): staff paste what they have.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import unquote

from jupyter_server.auth.identity import PasswordIdentityProvider
from voila.voila_identity_provider import VoilaLoginHandler

PAGE = """<!DOCTYPE html>
<html lang="ja">
<head><meta charset="utf-8"><title>ケース会議（teichaku_nb）</title>
<style>
  body {{ font-family: 'Noto Sans CJK JP', 'Hiragino Sans', 'Yu Gothic', 'Meiryo', sans-serif;
          max-width: 42em; margin: 3em auto; padding: 0 1em; line-height: 1.7; color: #1d1d1f; }}
  .error {{ color: #b71c1c; font-weight: bold; }}
  input {{ font-size: 1em; padding: 0.3em; width: 22em; }}
  button {{ font-size: 1em; padding: 0.3em 1em; }}
</style></head>
<body>
<h1>ケース会議アプリ</h1>
<p>このアプリは、<b>teichaku app</b> を起動した画面に表示された URL（末尾に <code>?token=…</code> が付いたもの）で開きます。
その URL をそのままブラウザに貼り付けてください。</p>
{message}
<form method="post">
  {xsrf}
  <p><label>トークン（URL の token= の後ろの文字列。URL 全体を貼り付けてもかまいません）<br><input type="password" name="password" autocomplete="off" autofocus></label></p>
  <p><button type="submit">開く</button></p>
</form>
</body>
</html>
"""


TOKEN_IN_URL = re.compile(r"(?:^|[?&#])token=([^&#\s]*)")


def token_from(typed: str) -> str:
    """The token in what was typed into the field: the token itself, or a URL (or its
    ``?token=…`` part) that carries it."""
    typed = typed.strip()
    found = TOKEN_IN_URL.search(typed)
    return unquote(found.group(1)) if found else typed


class LoginHandler(VoilaLoginHandler):
    """jupyter_server's login handler with the page above."""

    def _render(self, message=None):
        error = (message or {}).get("error")
        self.write(PAGE.format(
            message='<p class="error">トークンが違います。起動した画面の URL をもう一度確かめてください。</p>' if error else "",
            xsrf=self.xsrf_form_html()))          # the form posts to this URL (with its ?next=)


class IdentityProvider(PasswordIdentityProvider):
    """Voila's token login, with ``LoginHandler`` for the page (Voila passes its own handler
    class when it makes the provider: ours replaces it)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.login_handler_class = LoginHandler

    def process_login_form(self, handler):
        """The token, or a pasted URL with the token in it (``token_from``); anything else
        refused (the page says so in Japanese)."""
        user = super().process_login_form(handler)
        if user is None and self.token:
            typed = token_from(handler.get_argument("password", default=""))
            if hmac.compare_digest(typed.encode(), self.token.encode()):
                user = self.generate_anonymous_user(handler)        # as jupyter_server does for the token
        return user
