"""The 管理者's panel 「職員アカウントとアクセス記録」 (``app/staff_admin.py``, its view in
``app/views/staff_admin.py``): what ``teichaku staff`` and ``teichaku log --out`` do, in the app.

Only a 管理者 sees it, and the model refuses everyone else every read and every change in
Japanese, changing nothing (a browser can send any widget message); a 管理者 adds accounts,
resets passwords and disables accounts (asked first), the store's refusals shown as they are; a
password is in no trait and no widget once its button was pressed; the log's table and its
Excel file hold the range's entries, both boundary days included, and the export is logged.
The model and its view driven as the page drives them, on a store in tmp_path; the page's
integration on the demo workbook.  All people are fictional.
"""

from __future__ import annotations

import base64
import datetime as dt
import io

import ipywidgets as w
import pytest
from openpyxl import load_workbook

from teichaku_nb.app.common import Guard
from teichaku_nb.app import staff_admin
from teichaku_nb.app.panel import Context
from teichaku_nb.app.staff_admin import SHOWN, StaffAdminModel, log_file_name
from teichaku_nb.app.views.staff_admin import StaffAdminView
from teichaku_nb.staff import ADMIN, ENVIRONMENT, MANAGER, SUPPORT, Refused, Staff
from teichaku_nb.store import access_log as access_log_module
from teichaku_nb.store import open_store

from test_app_fees import text
from test_app_models import make_app

KANRI = Staff("kanri", "管理 花子", ADMIN)           # the 管理者 signed in (an account of the store)
SATO = Staff("sato", "佐藤 一郎", SUPPORT)
TODAY = dt.date(2026, 11, 26)
JST = dt.timezone(dt.timedelta(hours=9))
OLD, NEW = "はるのおがわはさらさらいくよ", "ゆうやけこやけのあかとんぼ"      # passwords (10+ characters)


@pytest.fixture
def db(tmp_path) -> str:
    """A store with two accounts: the 管理者 kanri and the 支援員 sato."""
    url = str(tmp_path / "records.teichaku.sqlite")
    with open_store(url) as store:
        store.add_account("kanri", KANRI.name, ADMIN, OLD, by="端末:test")
        store.add_account("sato", SATO.name, SUPPORT, OLD, by="端末:test")
    return url


@pytest.fixture
def clock(monkeypatch):
    """Set the moment the next entries are written at (a JST wall-clock time)."""
    def set_to(*jst):
        moment = dt.datetime(*jst, tzinfo=JST).astimezone(dt.timezone.utc)
        monkeypatch.setattr(access_log_module, "utc_now", lambda: moment)
    return set_to


@pytest.fixture
def store(db, monkeypatch):
    monkeypatch.setattr(staff_admin, "today_in_japan", lambda: TODAY)      # the log's range starts as its month
    with open_store(db) as opened:
        yield opened


def panel(store, staff: Staff | None = KANRI, *, shown: bool = True) -> tuple[StaffAdminModel, StaffAdminView]:
    """The panel's model in the page's context, and its view (as the page builds it when opened)."""
    model = StaffAdminModel()
    model.context = Context(store=store, staff=staff, today=TODAY)
    view = StaffAdminView(model, Guard())
    model.shown = shown
    return model, view


def accounts(store) -> list[tuple]:
    return [(a.login, a.name, a.role, a.disabled, a.password_changed_at) for a in store.accounts()]


def actions(store) -> list[str]:
    return [e["action"] for e in store.access_entries()]


def shown_values(model: StaffAdminModel, view: w.Widget) -> list[str]:
    """Every trait of the model and every value of the view's widgets, as text."""
    found = [repr(getattr(model, name)) for name in model.trait_names()]

    def walk(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)
    for widget in walk(view):
        found += [repr(getattr(widget, name, "")) for name in ("value", "placeholder", "tooltip", "description")]
    return found


def add(view: StaffAdminView, name: str, login: str, role: str, password: str, again: str | None = None) -> str:
    view.name.value, view.login.value, view.role.value = name, login, role
    view.password.value, view.password_again.value = password, password if again is None else again
    view.add.click()
    return text(view.add_message.value)


# --- who sees it, who may ------------------------------------------------------------------------------------

def test_the_panel_is_on_the_page_for_a_manager_of_the_accounts_only_and_built_when_opened(db):
    app = make_app(db)
    folded, model = app.view.staff_admin, app.model.staff_admin
    assert folded in app.view.children and app.view.children[-1] is folded           # at the bottom of the page
    assert folded.layout.display == "none" and not folded.sections[0].built           # nobody signed in yet
    for staff in (SATO, Staff("tamura", "田村 浩", MANAGER)):
        app.model.sign_in({ENVIRONMENT: staff.to_header()})
        assert folded.layout.display == "none" and not model.allowed
        model.shown = True                                       # as a forged widget message would
        assert model.accounts == [] and model.entries == [] and not folded.sections[0].built
        model.shown = False
    app.model.sign_in({ENVIRONMENT: KANRI.to_header()})
    assert folded.layout.display == "" and model.allowed and not folded.sections[0].built
    assert folded.get_title(0) == "職員アカウントとアクセス記録（管理者）"
    folded.selected_index = 0                                    # the 管理者 opens it
    view = folded.children[0]
    assert isinstance(view, StaffAdminView) and folded.sections[0].built and model.shown
    assert [a["login"] for a in model.accounts] == ["kanri", "sato"]
    assert "sato" in view.accounts.value
    app.model.sign_in({ENVIRONMENT: SATO.to_header()})           # another person: nothing stays on screen
    assert folded.layout.display == "none" and folded.selected_index is None
    assert model.accounts == [] and "sato" not in view.accounts.value and view.layout.display == "none"


@pytest.mark.parametrize("staff, role", [(SATO, SUPPORT), (Staff("tamura", "田村 浩", MANAGER), MANAGER)])
def test_anyone_but_a_manager_of_the_accounts_is_refused_every_action_and_nothing_changes(store, staff, role):
    before, logged = accounts(store), actions(store)
    model, view = panel(store, staff)
    assert model.accounts == [] and model.entries == []
    refused_accounts = f"職員アカウントの管理は管理者の職員が行います（{staff.name}さんは{role}です）"
    refused_log = f"アクセス記録の閲覧は管理者の職員が行います（{staff.name}さんは{role}です）"
    # the buttons (a forged press): each says why below it
    assert add(view, "山田 太郎", "yamada", SUPPORT, NEW) == f"アカウントの追加ができませんでした: {refused_accounts}"
    model.reset_login, model.reset_password, model.reset_password_again = "kanri", NEW, NEW
    view.reset.click()
    assert text(view.reset_message.value) == f"パスワードの再設定ができませんでした: {refused_accounts}"
    model.disable_login = "kanri"
    view.disable.click()
    assert text(view.disable_message.value) == f"アカウントの無効化ができませんでした: {refused_accounts}"
    assert model.asking == ""
    view.export.click()
    assert text(view.log_message.value) == f"アクセス記録の書き出しができませんでした: {refused_log}"
    view.reload.click()
    assert text(view.log_message.value) == f"アクセス記録の表示ができませんでした: {refused_log}"
    # the model's methods themselves
    for method, message in ((model.load_accounts, refused_accounts), (model.add, refused_accounts),
                            (model.reset, refused_accounts), (model.ask_disable, refused_accounts),
                            (model.load_log, refused_log), (model.export_log, refused_log)):
        with pytest.raises(Refused) as refused:
            method()
        assert str(refused.value) == message
    model.asking = "無効にしますか"                             # even past the question
    with pytest.raises(Refused):
        model.disable()
    assert accounts(store) == before and actions(store) == logged
    assert store.verify_password("kanri", OLD) is not None
    assert model.accounts == [] and model.entries == [] and model.link_uri == ""
    assert not any(p in value for value in shown_values(model, view) for p in (NEW, OLD))


def test_nobody_signed_in_is_refused_too(store):
    model, view = panel(store, None)
    assert add(view, "山田 太郎", "yamada", SUPPORT, NEW) == (
        "アカウントの追加ができませんでした: サインインした職員がわからないため、職員アカウントとアクセス記録は扱えません。"
        "ページを開き直してください")
    assert [a.login for a in store.accounts()] == ["kanri", "sato"]


# --- the accounts --------------------------------------------------------------------------------------------

def test_a_manager_of_the_accounts_adds_one_whose_login_is_the_name_unless_typed(store):
    model, view = panel(store)
    assert view.layout.display == "" and "職員アカウント（2件、うち有効 2件）" in text(view.accounts.value)
    assert view.login.placeholder == "空欄なら名前と同じ"
    view.name.value = "鈴木 一郎"
    assert view.login.placeholder == "空欄なら「鈴木 一郎」"
    said = add(view, "鈴木 一郎", "", MANAGER, NEW)
    assert said == ("アカウントを追加しました: 鈴木 一郎（サービス管理責任者）。ログイン名「鈴木 一郎」と入力したパスワードで、"
                    "すぐにサインインできます")
    assert store.verify_password("鈴木 一郎", NEW).staff == Staff("鈴木 一郎", "鈴木 一郎", MANAGER)
    assert add(view, "山田 太郎", "yamada", SUPPORT, NEW).startswith("アカウントを追加しました: yamada（山田 太郎・支援員）")
    assert (view.name.value, view.login.value, view.role.value) == ("", "", SUPPORT)      # ready for the next
    table = text(view.accounts.value)
    assert "職員アカウント（4件、うち有効 4件）" in table and "yamada 山田 太郎 支援員 有効" in table
    last = store.access_entries()[-1]
    assert (last["action"], last["login"], last["name"], last["role"]) == ("account_added", "kanri", KANRI.name, ADMIN)
    assert last["detail"] == "yamada（山田 太郎・支援員）を追加"


def test_the_stores_refusals_and_two_different_passwords_are_said_below_the_button_and_nothing_is_added(store):
    model, view = panel(store)
    failed = "アカウントの追加ができませんでした: "
    assert add(view, "", "yamada", SUPPORT, NEW) == f"{failed}名前は必須です"
    assert add(view, "佐藤 一郎", "sato", SUPPORT, NEW) == (
        f"{failed}ログイン名「sato」のアカウントはすでにあります（無効にしたアカウントも含みます）。別のログイン名を指定してください")
    assert add(view, "山田 太郎", "yamada", SUPPORT, "みじかい") == f"{failed}パスワードは10文字以上にしてください"
    assert add(view, "山田 太郎", "yamada", SUPPORT, NEW, OLD) == (
        f"{failed}2回入力したパスワードが一致しません。もう一度入力してください")
    assert add(view, "山田 太郎", "yamada", SUPPORT, "") == f"{failed}パスワードを入力してください"
    assert [a.login for a in store.accounts()] == ["kanri", "sato"]
    assert (view.name.value, view.login.value) == ("山田 太郎", "yamada")      # kept to correct; the passwords not
    assert view.password.value == view.password_again.value == ""


def test_the_password_is_in_no_trait_and_no_widget_after_any_attempt_and_never_in_a_message(store, caplog):
    model, view = panel(store)
    secrets = [f"{NEW}{n}" for n in range(6)]
    add(view, "山田 太郎", "yamada", SUPPORT, secrets[0], secrets[1])       # two different ones
    add(view, "山田 太郎", "yamada", SUPPORT, secrets[2])                   # added
    add(view, "山田 太郎", "yamada", SUPPORT, secrets[3])                   # refused: the login is taken
    model.reset_login = "sato"
    view.reset_password.value = view.reset_password_again.value = secrets[4]
    view.reset.click()
    model.reset_login = "sato"
    view.reset_password.value, view.reset_password_again.value = secrets[5], "ちがうパスワードですよ"
    view.reset.click()
    values = shown_values(model, view)
    assert not any(secret in value for value in values for secret in secrets)
    assert not any(secret in record.getMessage() for record in caplog.records for secret in secrets)
    assert not any(secret in str(e) for e in store.access_entries() for secret in secrets)
    assert store.verify_password("yamada", secrets[2]) and store.verify_password("sato", secrets[4])


def test_a_manager_of_the_accounts_resets_a_password(store):
    model, view = panel(store)
    changed = store.account("sato").password_changed_at
    assert [v for _label, v in view.reset_choice.options] == ["", "kanri", "sato"]
    view.reset.click()
    assert text(view.reset_message.value) == "パスワードの再設定ができませんでした: パスワードを再設定するアカウントを選んでください"
    view.reset_choice.value = "sato"
    view.reset_password.value = view.reset_password_again.value = NEW
    view.reset.click()
    assert text(view.reset_message.value) == ("sato（佐藤 一郎・支援員）のパスワードを再設定しました。新しいパスワードは本人に"
                                              "直接伝えてください（画面にも記録にも残りません）")
    assert store.verify_password("sato", NEW) and not store.verify_password("sato", OLD)
    assert store.account("sato").password_changed_at > changed and view.reset_choice.value == ""
    last = store.access_entries()[-1]
    assert (last["action"], last["login"], last["detail"]) == ("password_changed", "kanri", "sato（佐藤 一郎）のパスワードを変更")


def test_disabling_is_asked_first_and_the_last_manager_of_the_accounts_is_kept(store):
    model, view = panel(store)
    assert [v for _label, v in view.disable_choice.options] == ["", "kanri", "sato"]
    view.disable_choice.value = "sato"
    view.disable.click()                                         # the question, nothing done yet
    assert view.confirm.layout.display == "" and view.disable.disabled
    question = text(view.confirm_text.value)
    assert question.startswith("sato（佐藤 一郎・支援員）を無効にしますか。") and "元に戻す操作はありません" in question
    assert view.disable_no.button_style == "primary" and view.disable_yes.button_style == ""   # the safe answer first
    assert view.confirm.children[1].children == (view.disable_no, view.disable_yes)
    view.disable_no.click()                                      # やめる
    assert not store.account("sato").disabled and model.asking == ""
    assert text(view.disable_message.value) == "無効にしていません（アカウントはそのままです）"
    view.disable.click()
    view.disable_choice.value = "kanri"                          # another choice withdraws the question
    assert model.asking == "" and view.confirm.layout.display == "none"
    view.disable_choice.value = "sato"
    view.disable.click()
    view.disable_yes.click()                                     # はい、無効にする
    sato = store.account("sato")
    assert sato.disabled and sato.disabled_by == "kanri"
    assert text(view.disable_message.value).startswith("sato（佐藤 一郎・支援員）を無効にしました（一覧と記録には残ります）")
    assert "無効（" in text(view.accounts.value) and "・kanri）" in text(view.accounts.value)
    assert [v for _label, v in view.disable_choice.options] == ["", "kanri"]     # only the enabled ones
    assert ("sato（佐藤 一郎・支援員）（無効）", "sato") in view.reset_choice.options
    # the last enabled 管理者: the store refuses, its message shown as it is; one's own account is said so
    view.disable_choice.value = "kanri"
    view.disable.click()
    assert "ご自身のアカウントです。無効にすると、この画面も1分以内に使えなくなります。" in text(view.confirm_text.value)
    view.disable_yes.click()
    assert text(view.disable_message.value) == (
        "アカウントの無効化ができませんでした: kanri（管理 花子）はただ一人の有効な管理者のため無効にできません。"
        "先にほかの職員を管理者として追加してください")
    assert not store.account("kanri").disabled and model.asking == ""
    assert actions(store)[-1] == "account_disabled"
    # 「はい、無効にする」 without the question (a forged press) does nothing
    model.disable_login = ""
    with pytest.raises(Exception, match="確認に答えてください"):
        model.disable()


# --- the access log ------------------------------------------------------------------------------------------

def entries_in_november(store, clock) -> None:
    """A case opened at each boundary of November (日本時間): two outside, two inside."""
    for moment, user_id in (((2026, 10, 31, 23, 59, 59), "001"), ((2026, 11, 1, 0, 0, 0), "002"),
                            ((2026, 11, 30, 23, 59, 59), "003"), ((2026, 12, 1, 0, 0, 0), "004")):
        clock(*moment)
        store.log_access(SATO, "case_opened", office="1310000001", user_id=user_id, detail="2026-10",
                         address="192.0.2.10")


def test_the_log_shows_this_month_so_far_at_first_and_a_range_with_both_boundary_days(store, clock):
    entries_in_november(store, clock)
    model, view = panel(store)
    assert (view.since.text.value, view.until.text.value) == ("2026/11/01", "2026/11/26")    # this month so far
    assert [e["user_id"] for e in model.entries] == ["002"]
    view.until.text.value = "2026/11/30"                         # the table follows the range
    assert [e["user_id"] for e in model.entries] == ["003", "002"]                      # newest first
    table = text(view.entries.value)
    assert "日時 職員 役割 操作 利用者ID 帳票 詳細 接続元" in table
    assert ("2026年11月30日 23:59:59 佐藤 一郎 sato 支援員 ケースを開いた 003 2026-10 事業所 1310000001 192.0.2.10"
            in table)
    assert "2026年11月1日〜2026年11月30日: 2件" in table
    view.who.value = "kanri"                                     # one person's
    assert model.entries == [] and "この期間のアクセス記録はありません（2026年11月1日〜2026年11月30日、職員 kanri）" in table_of(view)
    view.who.value = ""
    clock(2026, 11, 30, 23, 59, 59)
    view.export.click()                                          # everything of the range, and its own entry
    assert text(view.log_message.value).startswith("アクセス記録 2件（2026年11月1日〜2026年11月30日）を Excel に書き出しました")
    assert model.link_name == log_file_name(dt.date(2026, 11, 1), dt.date(2026, 11, 30), None) \
        == "アクセス記録_2026-11-01_2026-11-30.xlsx"
    assert f'download="{model.link_name}"' in view.link.value
    prefix = "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,"
    assert model.link_uri.startswith(prefix)
    sheet = load_workbook(io.BytesIO(base64.b64decode(model.link_uri[len(prefix):]))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "アクセス記録" and rows[0][:5] == ("日時（日本時間）", "ログイン名", "職員", "役割", "操作")
    assert [(r[0], r[6]) for r in rows[1:]] == [(dt.datetime(2026, 11, 1, 0, 0), "002"),
                                                (dt.datetime(2026, 11, 30, 23, 59, 59), "003")]
    last = store.access_entries(since=dt.date(2026, 11, 30), until=dt.date(2026, 11, 30))[-1]
    assert (last["action"], last["login"], last["name"], last["role"]) == ("log_exported", "kanri", KANRI.name, ADMIN)
    assert last["document"] == "アクセス記録"
    assert last["detail"] == "アクセス記録_2026-11-01_2026-11-30.xlsx（2件、2026年11月1日〜2026年11月30日）"
    assert [e["action"] for e in model.entries][0] == "アクセス記録の書き出し"          # the table read again


def table_of(view: StaffAdminView) -> str:
    return text(view.entries.value)


def test_the_table_holds_the_newest_entries_and_the_excel_all_of_them(store, clock):
    for n in range(SHOWN + 5):
        clock(2026, 11, 2, 9, n // 60, n % 60)
        store.log_access(SATO, "case_opened", user_id=f"{n:03d}")
    model, view = panel(store)
    assert model.entries_total == SHOWN + 5 and len(model.entries) == SHOWN
    assert model.entries[0]["user_id"] == f"{SHOWN + 4:03d}" and model.entries[-1]["user_id"] == "005"
    assert "205件のうち、新しい順に 200件を表示しています" in table_of(view)
    view.export.click()
    data = base64.b64decode(model.link_uri.partition(",")[2])
    assert load_workbook(io.BytesIO(data)).active.max_row == 1 + SHOWN + 5


def test_a_date_that_cannot_be_read_or_a_range_backwards_is_said_below_the_buttons(store):
    model, view = panel(store)
    view.since.text.value = "11月の初め"                       # its field says why; the table waits
    assert "日付として読めません" in view.since.error.value and view.log_message.value == ""
    view.reload.click()
    assert text(view.log_message.value).startswith("アクセス記録の表示ができませんでした: 開始日「11月の初め」を日付として読めません。")
    view.export.click()
    assert "開始日「11月の初め」を日付として読めません" in text(view.log_message.value) and model.link_uri == ""
    view.since.text.value = "2026/12/01"                         # after 終了日: the store's words
    assert text(view.log_message.value) == (
        "アクセス記録の表示ができませんでした: 開始日 2026年12月1日 が終了日 2026年11月26日 より後です")
    view.since.text.value = "2026/11/01"
    assert view.log_message.value == ""
    assert actions(store).count("log_exported") == 0


def test_an_export_the_log_cannot_record_is_not_offered(store, monkeypatch, tmp_path):
    """As ``teichaku log --out``: no file without its own entry (``store.export.write_access_log``)."""
    from teichaku_nb.store import StoreError
    monkeypatch.setattr(staff_admin.tempfile, "tempdir", str(tmp_path))        # where its folder is made
    model, view = panel(store)

    def refuse(*_args, **_kwargs):
        raise StoreError("アクセス記録を書き込めません（テスト）")
    monkeypatch.setattr(store, "log_access", refuse)
    view.export.click()
    assert text(view.log_message.value) == "アクセス記録の書き出しができませんでした: アクセス記録を書き込めません（テスト）"
    assert model.link_uri == "" and "download" not in view.link.value
    assert list(tmp_path.glob("teichaku-log-*")) == []                         # nothing left behind


def test_an_entry_names_the_office_the_page_knows_and_shows_the_key_of_another():
    import datetime as dt
    entry = {"at": dt.datetime(2026, 10, 5, 1, 2, 3, tzinfo=dt.timezone.utc), "name": "佐藤 一郎", "login": "sato",
             "role": SUPPORT, "action_label": "ケースを開いた", "user_id": "003", "document": None,
             "detail": "2026-10", "office": "1310000001", "address": "192.168.1.23"}
    shown = staff_admin.entry_row(entry, {"1310000001": "みなと定着支援センター"})
    assert shown["detail"] == "2026-10　みなと定着支援センター" and shown["at"].endswith("10:02:03")
    assert staff_admin.entry_row(entry, {})["detail"] == "2026-10　事業所 1310000001"
