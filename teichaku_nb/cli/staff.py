"""Staff accounts and the access log: ``teichaku staff add|list|passwd|disable`` and
``teichaku log``; ``offer_first_admin`` for the app's first start.

The store is the one ``teichaku app`` opens: ``--db``, or the one beside BOOK, or without
either the demo's (``paths.demo_db_path``).  A password is asked twice on the terminal
(``getpass``: never echoed) or read as one line from stdin (``--password-stdin``); it is never
printed.  Whoever runs a command is recorded as ``端末:<OS user>`` (``terminal_by``): the
command line has no signed-in person, and whoever can run it can open the store anyway.
"""

from __future__ import annotations

import getpass
import sys
import unicodedata
from pathlib import Path

from ..staff import ADMIN
from .common import EXIT_INPUT, EXIT_OK, print_json, refused, terminal_by, writable

TRIES = 3                       # a password is asked at most this many times


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- the password ------------------------------------------------------------------------------

def ask_new_password(login: str, *, secret=None, out=_err, tries: int = TRIES) -> str | None:
    """A new password for ``login``, typed twice (``secret``: getpass); asked again when the two
    differ or the store would refuse it, at most ``tries`` times (None after that)."""
    from ..store.accounts import MIN_PASSWORD, password_problem
    secret = secret or getpass.getpass
    for attempt in range(1, tries + 1):
        again = "もう一度入力してください。" if attempt < tries else ""
        first = secret(f"パスワード（{MIN_PASSWORD}文字以上。画面には表示されません）: ")
        problem = password_problem(first, login)
        if problem is not None:
            out(f"{problem}。{again}")
            continue
        if secret("確認のため、同じパスワードをもう一度: ") != first:
            out(f"2回の入力が一致しません。{again}")
            continue
        return first
    out(f"パスワードを{tries}回とも受け付けられなかったため、やめました。")
    return None


def _password_from_stdin(login: str) -> str | None:
    from ..store.accounts import password_problem
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    password = password[:-1] if password.endswith("\r") else password
    problem = password_problem(password, login)
    if problem is not None:
        _err(f"エラー: {problem}（標準入力の1行目をパスワードとして読みました）")
        return None
    return password


def _new_password(args, login: str) -> str | None:
    if args.password_stdin:
        return _password_from_stdin(login)
    try:
        return ask_new_password(login)
    except EOFError:
        _err("エラー: パスワードの入力がありませんでした。--password-stdin で標準入力から渡すこともできます")
        return None


# --- the store -----------------------------------------------------------------------------------

def _book(args) -> Path | None:
    """BOOK, or the demo workbook without one (as ``teichaku app``); None (said on stderr) for a
    BOOK that does not exist."""
    from .. import paths
    if args.book is None:
        return paths.demo_book_path()
    if not args.book.exists():
        _err(f"エラー: ケース記録が見つかりません: {args.book}")
        return None
    return args.book


def _where(args, book: Path) -> str:
    from ..store import default_path, shown_location
    return shown_location(args.db) if args.db else str(default_path(book))


def _db_path(args, book: Path) -> Path | None:
    """The store's SQLite file (None: another engine, or a URL that cannot be read)."""
    from ..store import default_path, sqlite_file
    try:
        return sqlite_file(args.db) if args.db else default_path(book)
    except Exception:               # an unreadable URL is reported when the store is opened
        return None


def _missing(args, book: Path) -> bool:
    """Whether the store is a SQLite file that does not exist (nothing to read or change)."""
    path = _db_path(args, book)
    return path is not None and not path.exists()


def _opened(args, book: Path, *, write: bool):
    """The store (said on stderr); None when it does not exist (only a writer that adds
    creates one) or cannot be opened (said on stderr).  Raises nothing for staff errors."""
    from ..store import StoreError, open_existing, open_store
    try:
        store = open_store(args.db, book_path=book) if write else open_existing(args.db, book_path=book)
    except StoreError as error:
        _err(f"エラー: {error}")
        return None
    if store is not None:
        demo = "（デモデータ用）" if args.book is None and args.db is None else ""
        _err(f"{store.describe()}{demo}")
    return store


# --- staff add | list | passwd | disable -------------------------------------------------------------

def cmd_staff_add(args) -> int:
    from ..store import StoreError
    from ..store.accounts import checked_login, checked_name
    book = _book(args)
    if book is None:
        return EXIT_INPUT
    try:
        name = checked_name(args.name)
        login = checked_login(args.login if args.login is not None else name)
    except StoreError as error:
        _err(f"エラー: {error}")
        return EXIT_INPUT
    password = _new_password(args, login)
    if password is None:
        return EXIT_INPUT
    store = _opened(args, book, write=True)
    if store is None:
        return EXIT_INPUT
    with store:
        try:
            account = store.add_account(login, name, args.role, password, by=terminal_by())
        except StoreError as error:
            _err(f"エラー: {error}")
            return EXIT_INPUT
        print(f"アカウントを追加しました: {_account_line(account)}")
        if not any(a.role == ADMIN and not a.disabled for a in store.accounts()):
            _err(f"注意: 有効な{ADMIN}のアカウントがありません。アプリでのアカウントの管理とアクセス記録の閲覧には"
                 f"{ADMIN}が必要です（teichaku staff add 名前 --role {ADMIN}）")
    return EXIT_OK


def _account_line(account) -> str:
    from ..store.accounts import described
    return described(account.login, account.name, account.role)


def _change(args, what) -> int:
    """passwd and disable: an existing account of an existing store."""
    from ..store import StoreError
    book = _book(args)
    if book is None:
        return EXIT_INPUT
    if _missing(args, book):
        _err(f"エラー: 会議記録のデータベースがありません（{_where(args, book)}）。アカウントはまだありません")
        return EXIT_INPUT
    store = _opened(args, book, write=True)
    if store is None:
        return EXIT_INPUT
    with store:
        try:
            if store.account(args.login) is None:
                raise StoreError(f"ログイン名「{args.login}」のアカウントはありません（teichaku staff list で確かめてください）")
            return what(store)
        except StoreError as error:
            _err(f"エラー: {error}")
            return EXIT_INPUT


def cmd_staff_passwd(args) -> int:
    def change(store) -> int:
        account = store.account(args.login)
        password = _new_password(args, account.login)
        if password is None:
            return EXIT_INPUT
        account = store.set_password(account.login, password, by=terminal_by())
        print(f"パスワードを変更しました: {_account_line(account)}"
              + ("（このアカウントは無効のままです）" if account.disabled else ""))
        return EXIT_OK
    return _change(args, change)


def cmd_staff_disable(args) -> int:
    def change(store) -> int:
        account = store.disable_account(args.login, by=terminal_by())
        print(f"アカウントを無効にしました: {_account_line(account)}（一覧と記録には残ります）")
        return EXIT_OK
    return _change(args, change)


def _time(moment) -> str:
    from ..japanese import JST
    return moment.astimezone(JST).strftime("%Y/%m/%d %H:%M:%S")


def _iso(moment) -> str | None:
    from ..japanese import JST
    return None if moment is None else moment.astimezone(JST).isoformat()


def cmd_staff_list(args) -> int:
    book = _book(args)
    if book is None:
        return EXIT_INPUT
    if _missing(args, book):
        accounts = []
    else:
        store = _opened(args, book, write=False)
        if store is None:
            return EXIT_INPUT
        with store:
            accounts = store.accounts()
    if args.json:
        print_json({"accounts": [{
            "login": a.login, "name": a.name, "role": a.role, "disabled": a.disabled,
            "created_at": _iso(a.created_at), "created_by": a.created_by,
            "password_changed_at": _iso(a.password_changed_at),
            "disabled_at": _iso(a.disabled_at), "disabled_by": a.disabled_by} for a in accounts]})
        return EXIT_OK
    if not accounts:
        print(f"職員アカウントはまだありません（teichaku staff add 名前 --role {ADMIN} で作ります）")
        return EXIT_OK
    enabled = sum(not a.disabled for a in accounts)
    print(f"職員アカウント（{len(accounts)}件、うち有効 {enabled}件）:")
    rows = [(a.login, a.name, a.role,
             f"無効（{_time(a.disabled_at)} {a.disabled_by}）" if a.disabled else "有効",
             _time(a.created_at), _time(a.password_changed_at)) for a in accounts]
    for line in _table(("ログイン名", "名前", "役割", "状態", "作成", "パスワード変更"), rows):
        print(line)
    return EXIT_OK


def _table(headers: tuple[str, ...], rows: list[tuple]) -> list[str]:
    """Columns padded to the terminal's widths (Japanese takes two), the last one as it is."""
    from .terminal import display_width

    def pad(text: str, width: int) -> str:
        return text + " " * max(0, width - display_width(text))
    n = len(headers) - 1
    widths = [max(display_width(str(r[i])) for r in [headers, *rows]) for i in range(n)]
    lines = ["  ".join(pad(str(v), w) for v, w in zip(row[:n], widths)) + "  " + str(row[n])
             for row in [headers, *rows]]
    lines.insert(1, "-" * max(display_width(line) for line in lines))
    return [line.rstrip() for line in lines]


# --- log -----------------------------------------------------------------------------------------------

def _filters(args) -> str:
    from ..store.export import access_log_filters
    return access_log_filters(args.since, args.until, args.user)


def cmd_log(args) -> int:
    from ..store import StoreError, open_existing
    if args.since and args.until and args.since > args.until:
        _err(f"エラー: --from（{args.since}）が --to（{args.until}）より後です")
        return EXIT_INPUT
    book = _book(args)
    if book is None:
        return EXIT_INPUT
    if args.out is not None:
        if args.out.suffix.lower() != ".xlsx":
            _err(f"エラー: 書き出しは .xlsx です（指定: {args.out}）")
            return EXIT_INPUT
        inputs = [book] + [path for path in [_db_path(args, book)] if path is not None]
        if refused(args.out, force=args.force, inputs=inputs) or not writable(args.out):
            return EXIT_INPUT
    if _missing(args, book):
        if args.out is not None:
            _err(f"エラー: 会議記録のデータベースがありません（{_where(args, book)}）。書き出すアクセス記録はありません")
            return EXIT_INPUT
        entries = []
    else:
        try:
            if args.out is not None:
                existing = open_existing(args.db, book_path=book)    # never create one to export
                if existing is not None:
                    existing.close()
            store = _opened(args, book, write=args.out is not None)
            if store is None:
                return EXIT_INPUT
            with store:
                if args.out is not None:
                    return _export(store, args)
                entries = store.access_entries(since=args.since, until=args.until, login=args.user)
        except StoreError as error:
            _err(f"エラー: {error}")
            return EXIT_INPUT
    if args.json:
        print_json({"from": args.since, "to": args.until, "user": args.user, "entries": [
            {"id": e["id"], "at": _iso(e["at"]), "login": e["login"], "name": e["name"], "role": e["role"],
             "action": e["action"], "action_label": e["action_label"], "office": e["office"],
             "user_id": e["user_id"], "document": e["document"], "detail": e["detail"], "address": e["address"]}
            for e in entries]})
        return EXIT_OK
    filters = _filters(args)
    if not entries:
        print(f"該当するアクセス記録はありません{f'（{filters}）' if filters else ''}")
        return EXIT_OK
    print(f"アクセス記録（{filters + '、' if filters else ''}{len(entries)}件。日時は日本時間）:")
    rows = [(_time(e["at"]), e["name"] or e["login"], e["role"] or "—", e["action_label"], e["user_id"] or "",
             e["document"] or "", _detail(e)) for e in entries]
    for line in _table(("日時", "職員", "役割", "操作", "利用者ID", "帳票", "詳細"), rows):
        print(line)
    return EXIT_OK


def _detail(entry: dict) -> str:
    parts = [entry["detail"] or ""]
    if entry["office"]:
        parts.append(f"事業所 {entry['office']}")
    if entry["address"]:
        parts.append(f"接続元 {entry['address']}")
    if entry["name"] and entry["login"] != entry["name"]:
        parts.append(f"ログイン名 {entry['login']}")
    return "　".join(p for p in parts if p)


def _export(store, args) -> int:
    """The Excel file and its own entry in the log (``store.export.write_access_log``, which the
    app's 「Excel で書き出す」 calls too: no file without its entry)."""
    from ..store.export import write_access_log
    written = write_access_log(store, args.out, since=args.since, until=args.until, login=args.user,
                               by=terminal_by())
    print(f"アクセス記録を書き出しました: {args.out}（{written}件）")
    return EXIT_OK


# --- the app's first start -------------------------------------------------------------------------------

_YES = {"y", "yes", "はい", "作る"}


def offer_first_admin(store, *, ask=input, secret=getpass.getpass, out=print):
    """On a first start with no account that can sign in: offer to make the first 管理者 now
    (Enter: no), asking the name, the login and the password twice.  Returns the account, or
    None (declined, input ended, or refused: said through ``out``)."""
    from ..store import StoreError
    from ..store.accounts import checked_login, checked_name
    try:
        out("サインインできる職員アカウントがまだありません。")
        answer = ask(f"最初の{ADMIN}のアカウントをいま作りますか？ [y/N]（Enter で作りません）: ")
        if unicodedata.normalize("NFKC", answer or "").strip().lower() not in _YES:
            out(f"作りませんでした。あとで teichaku staff add 名前 --role {ADMIN} で作れます。")
            return None
        name = login = None
        for _ in range(TRIES):
            try:
                name = checked_name(ask("記録に表示する名前（記録者）: "))
                break
            except StoreError as error:
                out(str(error))
        if name is None:
            return None
        for _ in range(TRIES):
            try:
                login = checked_login(ask(f"サインインに使うログイン名（Enter で「{name}」）: ").strip() or name)
                break
            except StoreError as error:
                out(str(error))
        if login is None:
            return None
        password = ask_new_password(login, secret=secret, out=out)
        if password is None:
            return None
        account = store.add_account(login, name, ADMIN, password, by=terminal_by())
    except EOFError:
        out("入力が終わったため、アカウントは作りませんでした。")
        return None
    except StoreError as error:
        out(f"アカウントを作れませんでした: {error}")
        return None
    out(f"{ADMIN}のアカウントを作りました: {_account_line(account)}")
    return account

