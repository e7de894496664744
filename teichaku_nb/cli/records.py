"""The conference's records: ``teichaku app`` (where they are made; which store it opens),
``teichaku export`` (all of them to Excel; ``exported`` in the access log, the entry written
before the file is put in place, so no export exists without its entry) and ``teichaku sent``:
record that a 支援レポート was handed over, list the month's records, or withdraw a wrong one
(the record stays in the history).  Recording is the only way a sending enters the store:
making a document records no sending."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from .. import japanese
from ..casebook import CaseBook, offices_called
from ..records import EMPLOYER, RECIPIENT_PARTS
from .common import (EXIT_INPUT, EXIT_OK, LogNotWritten, excel_out_refused, load, log_access, open_store,
                     readable_books, unlogged_export)


# --- app ---------------------------------------------------------------------------

def records_location(book: Path, db: str | None) -> tuple[str, str]:
    """The conference records for ``book``: ``db`` (``--db``) or the store's default for the
    workbook, and the same for people (a URL's password hidden)."""
    from ..store import default_path, shown_location
    db = db or str(default_path(book))
    return db, shown_location(db)


def staff_accounts(db: str, book: Path, offer: bool, *, first_admin=None) -> bool:
    """Whether the records at ``db`` have a staff account; with ``offer``, at the first start
    without one, asks at the terminal whether to create the first 管理者 now (``first_admin``:
    ``cli.staff.offer_first_admin``), once for these records."""
    from ..paths import data_dir
    from ..store import open_store as open_records
    store = open_records(db, book_path=book)
    if store.has_accounts():
        return True
    if not offer:
        return False
    asked = data_dir(create=True) / f"first-admin-asked-{hashlib.sha256(db.encode()).hexdigest()[:16]}"
    if asked.exists():
        return False
    asked.touch()
    if first_admin is None:
        from .staff import offer_first_admin as first_admin
    return first_admin(store) is not None


def cmd_app(args) -> int:
    from ..server.launcher import run
    return run(args.book, args.db, args.host, args.port, locate_records=records_location,
               staff_accounts=staff_accounts, certfile=args.certfile, keyfile=args.keyfile,
               trusted_header=args.trusted_header, trusted_proxies=args.trusted_proxy,
               out=lambda text: print(text, flush=True),
               err=lambda text: print(text, file=sys.stderr, flush=True))


# --- export --------------------------------------------------------------------------

def cmd_export(args) -> int:
    from ..store import StoreError, default_path, export_workbook
    if excel_out_refused(args):
        return EXIT_INPUT
    books, is_offices = load(args.book)
    opened = readable_books(books)
    if not opened:
        return EXIT_INPUT
    try:
        store = open_store(args, opened)
    except StoreError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return EXIT_INPUT
    if store is None:
        print(f"エラー: 会議記録のデータベースがありません（{default_path(args.book)}）。"
              "会議の記録を保存したデータベースを --db で指定してください。", file=sys.stderr)
        return EXIT_INPUT
    from ..files import replacing
    # One office's book exports that office; a folder of offices exports every office.
    office = None if is_offices else opened[0].key
    try:
        with replacing(args.out) as temporary:
            with store:                     # read-only, closed before the log's own connection
                written = export_workbook(store, office, temporary)
            summary = "、".join(f"{sheet} {n}件" for sheet, n in written.items())
            log_access(args.db, args.book, [{"action": "exported", "office": office, "document": args.out.name,
                                             "detail": f"会議記録（{summary}）"}])
    except LogNotWritten as error:          # no file: an export is not left without its entry
        unlogged_export(args.out, error)
        return EXIT_INPUT
    print(f"会議記録を書き出しました: {args.out}（{summary}）")
    return EXIT_OK


# --- sent ----------------------------------------------------------------------------

def _login_name() -> str:
    import getpass
    try:
        return getpass.getuser() or "teichaku"
    except Exception:      # no user name in some containers
        return "teichaku"


def _sent_book(args, books: list[CaseBook]) -> CaseBook | None:
    if args.office is not None:
        chosen = offices_called(books, args.office)
        if not chosen:
            print(f"エラー: 事業所「{args.office}」のケース記録が {args.book} にありません", file=sys.stderr)
            return None
        if len(chosen) > 1:
            print(f"エラー: 事業所名「{args.office}」の事業所が {len(chosen)} か所あります。事業所番号"
                  f"（{'、'.join(b.key for b in chosen)}）で指定してください", file=sys.stderr)
            return None
        return chosen[0]
    if len(books) > 1:
        print(f"エラー: {args.book} には事業所が {len(books)} か所あります。--office で指定してください", file=sys.stderr)
        return None
    return books[0]


def cmd_sent(args) -> int:
    from ..store import StoreError, open_existing, open_store
    if args.withdraw is not None and (args.recipient or args.user or args.reviewed):
        print("エラー: --withdraw は --to・--user・--reviewed と一緒には使えません", file=sys.stderr)
        return EXIT_INPUT
    if args.recipient and not (args.user or args.reviewed):
        print("エラー: 送付した人を --user（1人ずつ）か --reviewed（検討の記録がある全員）で指定してください",
              file=sys.stderr)
        return EXIT_INPUT
    if not args.recipient and (args.user or args.reviewed or args.date):
        print("エラー: 送付を記録するには送付先を --to で指定してください（本人 / 企業 / 本人・企業）", file=sys.stderr)
        return EXIT_INPUT
    books = readable_books(load(args.book)[0])
    book = _sent_book(args, books) if books else None
    if book is None:
        return EXIT_INPUT
    known = {book.key: book.users["user_id"]}
    names = book.names
    try:
        if args.recipient or args.withdraw is not None:
            store = open_store(args.db, book_path=args.book, known_users=known,   # recording is on purpose
                               books=books)
        else:
            store = open_existing(args.db, book_path=args.book, known_users=known)
            if store is None:
                print(f"{japanese.format_month(args.month)}の支援レポートの送付の記録はありません（会議記録のデータベースがありません）")
                return EXIT_OK
        with store:
            print(store.describe(), file=sys.stderr)
            by = args.by or _login_name()
            if args.withdraw is not None:
                found = store.issued_report(args.withdraw)
                if found is None or found.office != book.key:
                    print(f"エラー: 送付記録ID {args.withdraw} は {book.office} の記録にありません", file=sys.stderr)
                    return EXIT_INPUT
                done = store.withdraw_report(found.id, by=by, expected_version=found.version, reason=args.reason)
                print(f"送付の記録を取り消しました: {_sent_line(done, names)}")
                print("元の記録と取消は変更履歴に残ります（teichaku export で確認できます）")
                return EXIT_OK
            if args.recipient:
                return _record_sent(args, store, book, names, by)
            _print_sent(store, book, args.month, names)
            return EXIT_OK
    except StoreError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return EXIT_INPUT


def _record_sent(args, store, book: CaseBook, names: dict, by: str) -> int:
    if args.reviewed:
        users = sorted(r.user_id for r in store.reviews(book.key, args.month))
        if not users:
            print(f"エラー: {japanese.format_month(args.month)}に検討の記録がある人はいません", file=sys.stderr)
            return EXIT_INPUT
    else:
        users = list(dict.fromkeys(args.user))
    if EMPLOYER in RECIPIENT_PARTS[args.recipient]:
        refused = [u for u in users if u in names and not book.shares_with_employer(u)]
        if refused:
            print(f"エラー: 企業共有同意が「はい」でない人の支援レポートは企業に渡せないため、記録しません: "
                  f"{'、'.join(f'{u} {names[u]}' for u in refused)}。本人に渡したときは --to 本人 で記録してください",
                  file=sys.stderr)
            return EXIT_INPUT
    recorded, already = store.record_sending(book.key, users, args.month, args.recipient, by=by, sent_on=args.date)
    for record in recorded:
        print(f"送付を記録しました: {_sent_line(record, names)}")
    for record in already:
        print(f"記録済みのため記録しませんでした: {_sent_line(record, names)}")
    return EXIT_OK


def _sent_line(record, names: dict) -> str:
    from ..store import format_time
    text = (f"[{record.id}] {record.user_id} {names.get(record.user_id, '')}　{japanese.format_month(record.month)}分　"
            f"{record.recipient}　送付日 {japanese.format_date(record.sent_on)}　記録 {record.created_by}")
    if record.is_withdrawn:
        text += f"　（取消 {record.withdrawn_by} {format_time(record.withdrawn_at)}"
        text += f"・理由 {record.withdrawn_reason}）" if record.withdrawn_reason else "）"
    return text


def _print_sent(store, book: CaseBook, month, names: dict) -> None:
    records = store.issued_reports(book.key, month, include_withdrawn=True)
    label = japanese.format_month(month)
    if not records:
        print(f"{label}の支援レポートの送付の記録はありません")
        return
    print(f"{label}の支援レポートの送付の記録（{book.office}、{len(records)}件。[ ] は記録ID）:")
    for record in records:
        print(f"  {_sent_line(record, names)}")
