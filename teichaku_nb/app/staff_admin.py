"""職員アカウントとアクセス記録: the 管理者's panel, what ``teichaku staff`` and ``teichaku log`` do,
in the app.

Only a 管理者 sees it (``allowed``: ``staff.ALLOWED``'s "accounts" and "access_log"; the view
shows the panel only then), and the model refuses every read and every change to anyone else
with ``Staff.check``'s Japanese message: a browser can send any widget message, so the view's
hiding the panel is not the check.  Nothing is read until the panel is opened (``shown``).

- Accounts: the table (every account, disabled ones with when and by whom), 「アカウントを追加」
  (the login is the name unless typed), 「パスワードを再設定」 and 「無効にする」, asked first
  (``asking``: it cannot be undone; the safe answer is the view's primary button).  The store
  (``store/accounts.py``) decides what it refuses (a login already used, a short password, the
  last 管理者), and its message is shown as it is; each change is in the access log with the
  signed-in person's login as who made it (``by``).  A password is typed twice; its traits are
  emptied as soon as the button is pressed, whatever comes of it, and it is never part of a
  message or the app's log.
- The access log: the entries of a range of days (日本時間; this month so far in Japan to begin with)
  and of one account or everyone, newest first, the newest ``SHOWN`` of them on screen;
  「Excel で書き出す」 writes all of them with ``store.export.write_access_log`` (as ``teichaku log
  --out``: the export's own ``log_exported`` entry, no file without it) into a folder of its own
  that is removed at once, and offers the file as a download link (``exports.download``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import traitlets as t

from ..errors import FormError
from ..japanese import JST, format_date, format_time
from ..staff import ADMIN, SUPPORT, Staff
from .common import Guard
from .dates import HINT
from .exports import download
from .panel import Context, Panel, moved

SHOWN = 200                       # the newest entries of the range shown on screen (all go to Excel)
ALL_STAFF = ""                    # the log's filter: everyone
ACTIONS = ("accounts", "access_log")     # what the panel does (staff.ALLOWED): a 管理者's both


def today_in_japan() -> dt.date:
    """Today in 日本時間: the log's days are Japan's whatever the server's clock says."""
    return dt.datetime.now(JST).date()


def log_file_name(since: dt.date | None, until: dt.date | None, login: str | None) -> str:
    """アクセス記録_2026-11-01_2026-11-30[_sato].xlsx (the range and the person asked for)."""
    from ..reports import safe_name
    parts = ["アクセス記録", since.isoformat() if since else "はじめから", until.isoformat() if until else "いままで"]
    if login:
        parts.append(safe_name(login))
    return "_".join(parts) + ".xlsx"


def account_row(account) -> dict:
    """An account as the table shows it (``store.accounts.Account``)."""
    if account.disabled:
        when = format_time(account.disabled_at) if account.disabled_at else "—"
        state = f"無効（{when}・{account.disabled_by or '—'}）"
    else:
        state = "有効"
    return {"login": account.login, "name": account.name, "role": account.role, "disabled": account.disabled,
            "state": state, "password_changed": format_time(account.password_changed_at)}


def entry_row(entry: dict, offices: dict[str, str] | None = None) -> dict:
    """An access-log entry as the table shows it (``Store.access_entries``): the time in 日本時間,
    the office by its name where the page knows it (``offices``: key → name), else its key."""
    local = entry["at"].astimezone(JST)
    who = entry["name"] or entry["login"]
    detail = [entry["detail"] or ""]
    if entry["office"]:
        detail.append((offices or {}).get(entry["office"]) or f"事業所 {entry['office']}")
    return {"at": f"{format_date(local)} {local:%H:%M:%S}", "who": who,
            "login": entry["login"] if entry["login"] != who else "", "role": entry["role"] or "—",
            "action": entry["action_label"], "user_id": entry["user_id"] or "", "document": entry["document"] or "",
            "detail": "　".join(part for part in detail if part), "address": entry["address"] or ""}


class StaffAdminModel(Panel):
    """The accounts and the access log, for a 管理者."""

    shown = t.Bool(False)                # the panel is open: read while it is
    allowed = t.Bool(False)              # the signed-in person is a 管理者 (the view shows the panel only then)
    accounts = t.List()                  # account_row of every account, in the order they were added
    # 「アカウントを追加」
    add_name = t.Unicode("")
    add_login = t.Unicode("")            # "": the name
    add_role = t.Unicode(SUPPORT)
    add_password = t.Unicode("")         # emptied as soon as 「アカウントを追加」 is pressed
    add_password_again = t.Unicode("")
    # 「パスワードを再設定」
    reset_login = t.Unicode("")
    reset_password = t.Unicode("")       # emptied as soon as 「パスワードを再設定」 is pressed
    reset_password_again = t.Unicode("")
    # 「無効にする」, asked first
    disable_login = t.Unicode("")
    asking = t.Unicode("")               # the question before disabling (it cannot be undone); "" when not asked
    message = t.Unicode("")              # what the accounts' buttons did (the view's Results)
    message_kind = t.Unicode("ok")
    # the access log
    log_since = t.Any(None)              # datetime.date, None (no bound), or typed text that is not a date
    log_until = t.Any(None)
    log_login = t.Unicode(ALL_STAFF)
    entries = t.List()                   # entry_row of the newest SHOWN entries of the range, newest first
    entries_total = t.Int(0)             # how many entries the range has
    entries_filters = t.Unicode("")      # the range and person the table shows, in words
    log_message = t.Unicode("")          # what the log's buttons did (the view's second Results)
    log_message_kind = t.Unicode("ok")
    link_name = t.Unicode("")            # the Excel file written, as a download link (data: URI)
    link_uri = t.Unicode("")

    def __init__(self, **kwargs):
        self._dated = False              # the range starts as this month so far, once
        super().__init__(**kwargs)
        self.observe(self._unask, names=["disable_login", "accounts"])
        self.observe(self._filters_changed, names=["log_since", "log_until", "log_login"])
        self.observe(self._on_shown, names="shown")

    # -- who may

    def context_changed(self, old: Context, new: Context) -> None:
        staff = new.staff
        self.allowed = staff is not None and all(staff.may(action) for action in ACTIONS)
        if not self._dated:
            self._dated = True
            today = today_in_japan()
            with self.hold_trait_notifications():
                self.log_since, self.log_until = today.replace(day=1), today
        if not self.allowed:             # nothing of the accounts or the log stays for anyone else
            self._forget()
        elif self.shown and moved(old, new, "store", "staff"):
            self.refresh()

    def _forget(self) -> None:
        with self.hold_trait_notifications():
            self.accounts, self.entries, self.entries_total, self.entries_filters = [], [], 0, ""
            self.link_name = self.link_uri = self.asking = ""
            self._clear_passwords()

    def _clear_passwords(self) -> None:
        self.add_password = self.add_password_again = ""
        self.reset_password = self.reset_password_again = ""

    def _checked(self, action: str) -> Staff:
        """The signed-in person, if their role may do ``action`` (else ``Refused``, in Japanese)."""
        staff = self.staff
        if staff is None:
            raise FormError("サインインした職員がわからないため、職員アカウントとアクセス記録は扱えません。"
                            "ページを開き直してください")
        staff.check(action)
        if self.store is None:
            from ..store import StoreError
            raise StoreError("会議記録のデータベースが開けていないため、職員アカウントとアクセス記録は扱えません")
        return staff

    # -- reading

    def _on_shown(self, change) -> None:
        if change["new"] and self.allowed:
            self.refresh()

    def refresh(self) -> None:
        """Read the accounts and the log again; what cannot be read is said in each part's line."""
        for read, message in ((self.load_accounts, "message"), (self.load_log, "log_message")):
            try:
                read()
            except Exception as error:   # shown in the part's line, logged
                with self.hold_trait_notifications():
                    setattr(self, message, Guard.logged(error, "職員アカウントとアクセス記録の表示"))
                    setattr(self, f"{message}_kind", "error")

    def load_accounts(self) -> None:
        self._checked("accounts")
        self.accounts = [account_row(a) for a in self.store.accounts()]

    def account_options(self, *, enabled_only: bool = False) -> list[tuple[str, str]]:
        """(label, login) of the accounts (the enabled ones only with ``enabled_only``)."""
        from ..store.accounts import described
        return [(described(a["login"], a["name"], a["role"]) + ("（無効）" if a["disabled"] else ""), a["login"])
                for a in self.accounts if not (enabled_only and a["disabled"])]

    def _range(self) -> tuple[dt.date | None, dt.date | None, str | None]:
        """The log's range and person as asked, or a FormError saying which date cannot be read."""
        found = []
        for value, label in ((self.log_since, "開始日"), (self.log_until, "終了日")):
            if value is not None and not isinstance(value, dt.date):
                raise FormError(f"{label}「{value}」を日付として読めません。{HINT}")
            found.append(value)
        return found[0], found[1], self.log_login or None

    def load_log(self) -> None:
        """The newest ``SHOWN`` entries of the range, newest first, and how many it has."""
        self._checked("access_log")
        from ..store.export import access_log_filters
        since, until, login = self._range()
        found = self.store.access_entries(since=since, until=until, login=login)
        with self.hold_trait_notifications():
            offices = {self.book.key: self.book.office} if self.book is not None else {}
            self.entries = [entry_row(e, offices) for e in reversed(found[-SHOWN:])]
            self.entries_total = len(found)
            self.entries_filters = access_log_filters(since, until, login)

    def _filters_changed(self, _change=None) -> None:
        """Another range or person: the table follows (a date still being typed waits; its field says why)."""
        self._reload_log()

    def _reload_log(self) -> None:
        """The log's table read again, quietly: what cannot be read is said in the log's line."""
        if not (self.shown and self.allowed):
            return
        if any(value is not None and not isinstance(value, dt.date) for value in (self.log_since, self.log_until)):
            return
        try:
            self.load_log()
        except Exception as error:       # e.g. 開始日 after 終了日: said in the log's line
            with self.hold_trait_notifications():
                self.log_message, self.log_message_kind = Guard.logged(error, "アクセス記録の表示"), "error"
            return
        if self.log_message_kind == "error":
            self.log_message = ""

    # -- the accounts

    @staticmethod
    def _twice(password: str, again: str) -> None:
        if not password:
            raise FormError("パスワードを入力してください")
        if password != again:
            raise FormError("2回入力したパスワードが一致しません。もう一度入力してください")

    def add(self) -> None:
        """「アカウントを追加」: an account that can sign in at once (the login is the name unless typed)."""
        password, again = self.add_password, self.add_password_again
        self.add_password = self.add_password_again = ""          # whatever comes of it
        staff = self._checked("accounts")
        from ..store.accounts import checked_name, described
        name = checked_name(self.add_name)
        login = self.add_login.strip() or name
        self._twice(password, again)
        first = not self.store.has_accounts()
        account = self.store.add_account(login, name, self.add_role, password, by=staff)
        del password, again
        with self.hold_trait_notifications():
            self.add_name = self.add_login = ""
            self.add_role = SUPPORT
            self.load_accounts()
        said = [f"アカウントを追加しました: {described(account.login, account.name, account.role)}。"
                f"ログイン名「{account.login}」と入力したパスワードで、すぐにサインインできます"]
        if first:
            said.append("次に teichaku app を起動したときから、各職員がサインイン画面で自分のアカウントで"
                        "サインインします（このパソコンのトークンの URL では開けなくなります）")
        no_admin = not any(a["role"] == ADMIN and not a["disabled"] for a in self.accounts)
        if no_admin:
            said.append(f"注意: 有効な{ADMIN}のアカウントがありません。アプリでのアカウントの管理とアクセス記録の閲覧には"
                        f"{ADMIN}が必要です（{ADMIN}の役割でもう1人追加してください）")
        with self.hold_trait_notifications():
            self.message = "。".join(said)
            self.message_kind = "warning" if no_admin else "ok"
        self._reload_log()                   # its entry in the log's table

    def reset(self) -> None:
        """「パスワードを再設定」: a new password for the account chosen."""
        password, again = self.reset_password, self.reset_password_again
        self.reset_password = self.reset_password_again = ""      # whatever comes of it
        staff = self._checked("accounts")
        from ..store.accounts import described
        if not self.reset_login:
            raise FormError("パスワードを再設定するアカウントを選んでください")
        self._twice(password, again)
        account = self.store.set_password(self.reset_login, password, by=staff)
        del password, again
        with self.hold_trait_notifications():
            self.reset_login = ""
            self.load_accounts()
        self.message = (f"{described(account.login, account.name, account.role)}のパスワードを再設定しました。"
                        "新しいパスワードは本人に直接伝えてください（画面にも記録にも残りません）"
                        + ("。このアカウントは無効のままです" if account.disabled else ""))
        self.message_kind = "ok"
        self._reload_log()                   # its entry in the log's table

    def _to_disable(self) -> dict:
        chosen = next((a for a in self.accounts if a["login"] == self.disable_login), None)
        if chosen is None:
            raise FormError("無効にするアカウントを選んでください")
        if chosen["disabled"]:
            raise FormError(f"ログイン名「{chosen['login']}」のアカウントはすでに無効です")
        return chosen

    def ask_disable(self) -> None:
        """「無効にする」: the question first (``asking``): 「はい、無効にする」 (``disable``) or 「やめる」
        (``cancel_disable``)."""
        staff = self._checked("accounts")
        from ..store.accounts import described
        chosen = self._to_disable()
        own = ("ご自身のアカウントです。無効にすると、この画面も1分以内に使えなくなります。"
               if chosen["login"] == staff.login else "")
        self.asking = (f"{described(chosen['login'], chosen['name'], chosen['role'])}を無効にしますか。"
                       "無効にしたアカウントはサインインできなくなり、サインインしている画面も1分以内に終わります。"
                       "元に戻す操作はありません（一覧と記録には残ります。同じ人がまた使うときは、別のログイン名で"
                       f"追加します）。{own}")

    def _unask(self, _change=None) -> None:
        self.asking = ""

    def cancel_disable(self) -> None:
        """「やめる」: nothing is disabled."""
        self.asking = ""
        self.message, self.message_kind = "無効にしていません（アカウントはそのままです）", "ok"

    def disable(self) -> None:
        """「はい、無効にする」, after the question: the account can no longer sign in and stays in the list."""
        if not self.asking:
            raise FormError("無効にする前に「無効にする」を押して、確認に答えてください")
        try:
            staff = self._checked("accounts")
            self._to_disable()
            account = self.store.disable_account(self.disable_login, by=staff)
        except Exception:
            self.asking = ""                 # refused: the question is over, the reason is shown
            raise
        from ..store.accounts import described
        with self.hold_trait_notifications():
            self.disable_login = ""
            self.load_accounts()
            self.asking = ""
        self.message = (f"{described(account.login, account.name, account.role)}を無効にしました（一覧と記録には残ります）。"
                        "サインインしている画面があれば、1分以内に終わります")
        self.message_kind = "ok"
        self._reload_log()                   # its entry in the log's table

    # -- the access log

    def export_log(self) -> None:
        """「Excel で書き出す」: every entry of the range (not only those on screen), with the
        export's own entry in the log, offered as a download link; the table is read again."""
        from ..store.export import access_log_filters, write_access_log
        staff = self._checked("access_log")
        since, until, login = self._range()
        name = log_file_name(since, until, login)
        self.link_name = self.link_uri = ""
        folder = Path(tempfile.mkdtemp(prefix="teichaku-log-"))     # 0700, removed at once: the link holds the file
        try:
            path = folder / name
            written = write_access_log(self.store, path, since=since, until=until, login=login, staff=staff)
            link_name, link_uri = download([path], name)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.load_log()                      # the export's own entry, when the range has today
        filters = access_log_filters(since, until, login)
        with self.hold_trait_notifications():
            self.link_name, self.link_uri = link_name, link_uri
            self.log_message = (f"アクセス記録 {written}件（{filters or 'すべて'}）を Excel に書き出しました。"
                                "下のリンクからダウンロードしてください（書き出したこともアクセス記録に残ります）")
            self.log_message_kind = "ok"

