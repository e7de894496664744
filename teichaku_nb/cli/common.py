"""What the commands share: the exit codes, reading BOOK (and saying on stderr what could not
be read), the store a reading command opens, the access log of what a command made or
exported, the checks before a file is written, and JSON for programs."""

from __future__ import annotations

import getpass
import json
import sys
import tempfile
from pathlib import Path

from ..casebook import CaseBook

EXIT_OK, EXIT_DATA, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130                 # Ctrl-C (128 + SIGINT, as shells report it)


# --- BOOK and the store -------------------------------------------------------------------------

def load(path: Path) -> tuple[list[CaseBook], bool]:
    """All office casebooks under ``path`` and whether it was a folder of offices."""
    from ..workbook import load_source
    return load_source(path)


def readable_books(books: list[CaseBook]) -> list[CaseBook]:
    """The books that could be opened; the others are reported on stderr."""
    found = []
    for book in books:
        if book.unreadable:
            print(f"エラー: {book.errors[0].message}", file=sys.stderr)
        else:
            found.append(book)
    return found


def exit_code(books: list[CaseBook]) -> int:
    if any(b.unreadable for b in books):
        return EXIT_INPUT
    return EXIT_DATA if any(not b.ok for b in books) else EXIT_OK


def open_store(args, books: list[CaseBook]):
    """The store named by ``--db``, or the one beside the workbook if it exists (else None).

    Says on stderr which database is read.  Readers never create a database.
    """
    from ..store import open_existing
    store = open_existing(args.db, book_path=args.book,
                          known_users={b.key: b.users["user_id"] for b in books})
    if store is not None:
        print(store.describe(), file=sys.stderr)
    return store


# --- the access log ------------------------------------------------------------------------------

class LogNotWritten(Exception):
    """The access log could not take a command's entries (the message, Japanese, says why)."""


def terminal_by() -> str:
    """Who runs the command, for the records: ``端末:<OS user>``."""
    from ..store.accounts import TERMINAL
    try:
        user = getpass.getuser()
    except Exception:           # no user name in some containers
        user = ""
    return f"{TERMINAL}{user or '不明'}"


def log_access(db: str | None, book: Path, entries: list[dict]) -> bool:
    """Write ``entries`` (each the keywords of ``Store.log_access`` but who: ``action``, and
    ``office``, ``user_id``, ``document``, ``detail``) to the access log of the store of ``--db``
    or beside ``book``, as the command line: ``端末:<OS user>`` (``terminal_by``).

    Only a store that exists already takes them: the log never creates a store (nor migrates an
    older one: ``open_existing`` refuses it first).  The command reads the store read-only; this
    opens it for writing only now, once, for the entries.  Returns whether there was a store to
    write to.  Raises ``LogNotWritten`` (its message Japanese) when the entries cannot be written
    (a store this OS user may only read, a database that refuses the write); entries written
    before stay."""
    import os

    import sqlalchemy as sa

    from ..store import StoreError, default_path, open_existing, open_store, sqlite_file
    try:
        existing = open_existing(db, book_path=book)
        if existing is None:
            return False
        existing.close()
        path = sqlite_file(db) if db else default_path(book)
        if path is not None and not os.access(path, os.W_OK):   # said plainly, and nothing made beside it
            raise LogNotWritten(f"アクセス記録を書き込めません（{path} に書き込む権限がありません）")
        by = terminal_by()
        with open_store(db, book_path=book) as store:
            for entry in entries:
                store.log_access(None, entry["action"], login=by, **{k: v for k, v in entry.items() if k != "action"})
    except StoreError as error:
        raise LogNotWritten(str(error)) from error
    except (OSError, sa.exc.SQLAlchemyError) as error:
        raise LogNotWritten(f"アクセス記録を書き込めません（{type(error).__name__}: {error}）") from error
    return True


def unlogged_export(path: Path, error: LogNotWritten) -> None:
    """Say on stderr that ``path`` was not written because its access-log entry could not be."""
    print(f"エラー: アクセス記録に書き込めないため、{path} は書き出しませんでした: {error}\n"
          "書き出しは、アクセス記録に残してから行います。データベースに書き込める利用者で実行するか、管理者に連絡してください。",
          file=sys.stderr)


def print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# --- before a file is written ---------------------------------------------------------------------

def writable(path: Path, *, folder: bool = False) -> bool:
    """Whether ``path`` (a file to write, or with ``folder`` a folder to fill) can be written;
    if not, says why on stderr.  A file's missing folders are made; a folder is
    left to the writer (nothing is made for a report that then fails).  Checked before the
    work, so a wrong OUT fails at once and clearly, not after minutes with a library's error."""
    where = path if folder else path.parent
    try:
        if folder:
            while not where.exists():          # the nearest folder that exists must take files
                where = where.parent
        else:
            from ..files import private_folder
            private_folder(where)
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as error:
        from ..files import os_error_text
        print(f"エラー: {path} に書き出せません（{where}: {os_error_text(error)}）", file=sys.stderr)
        return False
    return True


def refused(path: Path, *, force: bool = False, inputs=()) -> bool:
    """Whether ``path`` must not be written (a folder, a file the command reads, or an existing
    file without ``--force``); if so, says why on stderr, naming the file."""
    from ..files import OutputRefused, check_output
    try:
        check_output(path, inputs=inputs, force=force)
    except OutputRefused as error:
        print(f"エラー: {error}", file=sys.stderr)
        return True
    return False


def excel_out_refused(args) -> bool:
    """Whether the ``--out`` (or OUT) Excel file of a command reading ``args.book`` (and
    ``args.db``) must not be written: not .xlsx, a file it reads, an existing file without
    ``--force``, or a place it cannot write; if so, says why on stderr."""
    if args.out.suffix.lower() != ".xlsx":
        print(f"エラー: 書き出しは .xlsx です（指定: {args.out}）", file=sys.stderr)
        return True
    return refused(args.out, force=args.force, inputs=files_read(args.book, args.db)) or not writable(args.out)


def files_read(book: Path, db: str | None) -> list[Path]:
    """The files a command reads: the workbook (or every file of its folder) and the store."""
    from ..store import default_path, sqlite_file
    found = [book]
    if book.is_dir():
        found += [p for p in book.iterdir() if p.is_file()]
    try:
        store = sqlite_file(db) if db else default_path(book)
    except Exception:               # an unreadable URL is reported when the store is opened
        store = None
    return found + ([store] if store is not None else [])
