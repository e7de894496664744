"""The 管理者's panel's view: the accounts (table, add, password reset, disable asked first) and
the access log (range, person, table, Excel download).  Shown only while the model says the
signed-in person is a 管理者 (``StaffAdminModel.allowed``); the model refuses anyone else anyway."""

from __future__ import annotations

import ipywidgets as w

from ...markup import render
from ...staff import ROLES
from ..common import Guard
from ..staff_admin import ALL_STAFF, SHOWN, StaffAdminModel
from .common import Results, status_line
from .dates import DateText

NONE_CHOSEN = ""                  # a dropdown of accounts with nothing chosen


class _Choice:
    """A Dropdown of accounts kept in step with a model's login trait; its options are set by the
    view (``show``), a login no longer among them is forgotten."""

    def __init__(self, model: StaffAdminModel, name: str, guard: Guard, dropdown: w.Dropdown):
        self.model, self.name, self.dropdown = model, name, dropdown
        self._updating = False
        dropdown.observe(guard.wrap(self._chosen, "アカウントの選択"), names="value")

    def show(self, options: list[tuple[str, str]]) -> None:
        value = getattr(self.model, self.name)
        self._updating = True
        try:
            if list(self.dropdown.options) != options:
                self.dropdown.options = options
            known = {v for _label, v in options}
            self.dropdown.value = value if value in known else options[0][1]
        finally:
            self._updating = False
        if value != self.dropdown.value:
            setattr(self.model, self.name, self.dropdown.value)

    def _chosen(self, change) -> None:
        if not self._updating and change["new"] is not None and change["new"] != getattr(self.model, self.name):
            setattr(self.model, self.name, change["new"])


WIDE = {"description_width": "8.5em"}                 # the labels of the accounts' fields
ROW = {"flex_flow": "row wrap", "align_items": "center"}


def heading(text: str) -> w.HTML:
    return w.HTML(render("app/section_heading.html.j2", text=text))


class StaffAdminView(w.VBox):
    """The accounts (add, reset a password, disable, asked first) and the access log (a range,
    a person, the table, an Excel file), for the 管理者 only (hidden for everyone else)."""

    def __init__(self, model: StaffAdminModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.add_class("teichaku-staff-admin")
        self.accounts = w.HTML()
        self.accounts.add_class("teichaku-staff-accounts")
        self.results = Results(model, guard, draw=status_line)
        self.children = [w.HTML(render("app/staff_admin_intro.html.j2")), self.accounts, *self._adding(),
                         *self._resetting(guard), *self._disabling(guard), *self._access_log(guard)]
        model.observe(guard.wrap(self._render, "職員アカウントの表示"),
                      names=["allowed", "accounts", "asking", "message", "message_kind", "add_name"])
        model.observe(guard.wrap(self._render_log, "アクセス記録の表示"),
                      names=["allowed", "accounts", "entries", "entries_total", "entries_filters", "log_message",
                             "log_message_kind", "link_uri"])
        self._render()
        self._render_log()

    def _adding(self) -> list:
        model, r = self.model, self.results
        self.add_message = r.line("add", "staff-add-message")
        self.name = w.Text(description="名前", placeholder="記録者として記録に出る名前", style=WIDE,
                           layout=w.Layout(width="24em"))
        self.login = w.Text(description="ログイン名", style=WIDE, layout=w.Layout(width="24em"))
        self.role = w.Dropdown(options=ROLES, description="役割", style={"description_width": "3em"},
                               layout=w.Layout(width="16em"))
        self.password = w.Password(description="パスワード", placeholder="10文字以上", style=WIDE,
                                   layout=w.Layout(width="24em"))
        self.password_again = w.Password(description="もう一度", placeholder="確認のため同じものを", style=WIDE,
                                         layout=w.Layout(width="24em"))
        for widget, name in ((self.name, "add_name"), (self.login, "add_login"), (self.role, "add_role"),
                             (self.password, "add_password"), (self.password_again, "add_password_again")):
            widget.add_class(f"teichaku-staff-{name.replace('_', '-')}")
            w.link((model, name), (widget, "value"))
        self.add = r.button("アカウントを追加", "staff-add", model.add, "アカウントの追加", line="add", icon="user-plus",
                            button_style="primary", width="12em")
        return [heading("アカウントを追加"), w.HBox([self.name, self.login, self.role], layout=w.Layout(**ROW)),
                w.HBox([self.password, self.password_again, self.add], layout=w.Layout(**ROW)), self.add_message]

    def _resetting(self, guard: Guard) -> list:
        model, r = self.model, self.results
        self.reset_message = r.line("reset", "staff-reset-message")
        self.reset_choice = w.Dropdown(description="アカウント", style=WIDE, layout=w.Layout(width="32em"))
        self.reset_password = w.Password(description="新しいパスワード", placeholder="10文字以上", style=WIDE,
                                         layout=w.Layout(width="24em"))
        self.reset_password_again = w.Password(description="もう一度", placeholder="確認のため同じものを", style=WIDE,
                                               layout=w.Layout(width="24em"))
        for widget, name in ((self.reset_choice, "reset_login"), (self.reset_password, "reset_password"),
                             (self.reset_password_again, "reset_password_again")):
            widget.add_class(f"teichaku-staff-{name.replace('_', '-')}")
        for name in ("reset_password", "reset_password_again"):
            w.link((model, name), (getattr(self, name), "value"))
        self.reset = r.button("パスワードを再設定", "staff-reset", model.reset, "パスワードの再設定", line="reset",
                              icon="key", width="12em")
        self._reset_choice = _Choice(model, "reset_login", guard, self.reset_choice)
        return [heading("パスワードを再設定"), w.HBox([self.reset_choice], layout=w.Layout(**ROW)),
                w.HBox([self.reset_password, self.reset_password_again, self.reset], layout=w.Layout(**ROW)),
                self.reset_message]

    def _disabling(self, guard: Guard) -> list:
        model, r = self.model, self.results
        self.disable_message = r.line("disable", "staff-disable-message")
        self.disable_choice = w.Dropdown(description="アカウント", style=WIDE, layout=w.Layout(width="32em"))
        self.disable_choice.add_class("teichaku-staff-disable-login")
        self.disable = r.button("無効にする", "staff-disable", model.ask_disable, "アカウントの無効化", line="disable",
                                button_style="warning", width="9em")
        # the question before disabling (it cannot be undone): the safe answer is the primary button
        self.confirm_text = w.HTML()
        self.disable_yes = r.button("はい、無効にする", "staff-disable-yes", model.disable, "アカウントの無効化",
                                    line="disable")
        self.disable_no = r.button("やめる", "staff-disable-no", model.cancel_disable, "無効化の取りやめ",
                                   line="disable", button_style="primary")
        self.confirm = w.VBox([self.confirm_text, w.HBox([self.disable_no, self.disable_yes])])
        self.confirm.add_class("teichaku-confirm")
        self._disable_choice = _Choice(model, "disable_login", guard, self.disable_choice)
        return [heading("アカウントを無効にする"), w.HBox([self.disable_choice, self.disable], layout=w.Layout(**ROW)),
                self.confirm, self.disable_message]

    def _access_log(self, guard: Guard) -> list:
        model = self.model
        self.log_results = Results(model, guard, message="log_message", kind="log_message_kind", draw=status_line)
        self.log_message = self.log_results.line("log", "staff-log-message")
        self.since = DateText("開始日", width="15em", description_width="4em")
        self.until = DateText("終了日", width="15em", description_width="4em")
        self.who = w.Dropdown(description="職員", style={"description_width": "3em"}, layout=w.Layout(width="24em"))
        for widget, name in ((self.since, "log_since"), (self.until, "log_until"), (self.who, "log_login")):
            widget.add_class(f"teichaku-staff-{name.replace('_', '-')}")
        for name, widget in (("log_since", self.since), ("log_until", self.until)):
            w.link((model, name), (widget, "value"))
        self._who = _Choice(model, "log_login", guard, self.who)
        self.reload = self.log_results.button("表示を更新", "staff-log-reload", model.load_log, "アクセス記録の表示",
                                              line="log", icon="refresh", width="9em")
        self.export = self.log_results.button("Excel で書き出す", "staff-log-export", model.export_log,
                                              "アクセス記録の書き出し", line="log", icon="file-excel-o",
                                              button_style="info", width="11em")
        self.link = w.HTML()
        self.link.add_class("teichaku-staff-log-link")
        self.entries = w.HTML()
        self.entries.add_class("teichaku-staff-log")
        return [heading("アクセス記録"),
                w.HBox([self.since, self.until, self.who, self.reload, self.export], layout=w.Layout(**ROW)),
                self.log_message, self.link, self.entries]

    def _render(self, _change=None) -> None:
        m = self.model
        self.layout.display = "" if m.allowed else "none"
        self.accounts.value = render("app/staff_accounts.html.j2", accounts=m.accounts)
        name = m.add_name.strip()
        self.login.placeholder = f"空欄なら「{name}」" if name else "空欄なら名前と同じ"
        self._reset_choice.show([("（選んでください）", NONE_CHOSEN), *m.account_options()])
        self._disable_choice.show([("（選んでください）", NONE_CHOSEN), *m.account_options(enabled_only=True)])
        self.confirm_text.value = render("app/confirm_question.html.j2", text=m.asking)
        self.confirm.layout.display = "" if m.asking else "none"
        self.disable.disabled = bool(m.asking)              # answer the question first
        self.results.show()

    def _render_log(self, _change=None) -> None:
        m = self.model
        self._who.show([("すべての職員", ALL_STAFF), *m.account_options()])
        self.link.value = render("app/export_links.html.j2", name=m.link_name, uri=m.link_uri,
                                 checks_name="", checks_uri="")
        self.entries.value = render("app/access_log_list.html.j2", entries=m.entries, total=m.entries_total,
                                    filters=m.entries_filters, shown=SHOWN)
        self.log_results.show()
