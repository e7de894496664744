"""Where a store is and how its database is opened: one URL selects the engine (a SQLite file
by default, beside the workbook; PostgreSQL by URL), SQLite's pragmas, and the checks that
keep other programs' files untouched."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from .. import paths
from ..files import temporary_beside, os_error_text
from .checks import StoreError

DEFAULT_FILE_NAME = "teichaku.sqlite"
SQLITE_SUFFIX = ".teichaku.sqlite"
BUSY_TIMEOUT_S = 10                # SQLite: wait this long for another writer's lock
CONNECT_TIMEOUT_S = 10             # PostgreSQL: give up on a server that does not answer after this long
WRITE = "teichaku_write"           # execution option: this connection is about to write
PG_LOCK_KEY = 0x7465696368616B75   # "teichaku": serialises schema set-up on PostgreSQL


def default_path(book_path: Path | str) -> Path:
    """The SQLite file beside the workbook.

    ``office.xlsx`` → ``office.teichaku.sqlite`` in the same folder; a folder (of CSV files
    or of office workbooks) → ``<folder>/teichaku.sqlite``.  The bundled demo workbook's
    records go to the per-user data folder instead (``paths.demo_db_path``), never into
    the checkout.
    """
    if paths.is_demo_book(book_path):
        return paths.demo_db_path()
    path = Path(book_path).absolute()
    return path / DEFAULT_FILE_NAME if path.is_dir() else path.with_name(path.stem + SQLITE_SUFFIX)


def default_url(book_path: Path | str) -> str:
    """``default_path`` as a URL (``sqlite:////abs/path/office.teichaku.sqlite``)."""
    return f"sqlite:///{default_path(book_path)}"


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL or plain path names (None for other engines and :memory:)."""
    if "://" not in url:
        return Path(url)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def shown_location(url: str) -> str:
    """A store URL or file for people: the URL without its password, or the path as given."""
    if "://" not in url:
        return url
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "（読めない URL）"


def _sqlite_uri(path: Path, **options: str) -> str:
    from urllib.parse import quote, urlencode
    return f"file:{quote(str(path.absolute()))}?{urlencode(options)}"


def _readonly_uri(path: Path) -> str:
    """How a connection that only reads opens ``path``, chosen anew for each connection.

    No -wal file beside it: the file alone is the whole database (the last connection to close
    a WAL-mode file checkpoints the WAL into it and deletes it), opened ``immutable=1``
    (https://www.sqlite.org/uri.html): read-only, no locks, and none of the -wal and -shm
    files that ``mode=ro`` makes beside a WAL-mode file, cannot delete again and cannot make
    in a folder it may not write to (wal.html, "Read-Only Databases").  A -wal file there:
    someone is writing (or stopped short) and the file alone is not the database, so
    ``mode=ro``, whose sidecars were there already.  The header's journal mode is not read:
    that takes a descriptor of our own (see sqlite_engine); a file in rollback mode is only
    identified and refused, our stores being in WAL mode from their first byte.

    A writer that starts meanwhile is not held up (an immutable connection takes no locks) and
    writes to a new WAL, which that connection does not read: it reads the database as it was,
    as if just before the writer.  The file changes only when a checkpoint copies the WAL into
    it (the writer closing, or a WAL of 1000 pages); within one read transaction of ours SQLite
    could then return rows of both versions or "database disk image is malformed" (uri.html).
    That takes a writer that opens, saves and closes within one read of a few milliseconds; we
    write nothing, so the file is never at risk; and read-only engines keep no connection
    (NullPool): the next transaction has no stale pages and, seeing the -wal, uses ``mode=ro``."""
    if Path(f"{path}-wal").exists():
        return _sqlite_uri(path, mode="ro")
    return _sqlite_uri(path, mode="ro", immutable="1")


def _check_sqlite_file(path: Path, *, readonly: bool) -> None:
    """Refuse a file that is not a teichaku store, looking only through a read-only connection
    that leaves nothing beside it (``_readonly_uri``: nothing is written to the file, nor is it
    switched to WAL).  A missing file is a new store to a writer and an error to a reader; a
    0-byte file is an error to both, since a new store is a database from its first moment at
    its path (``_create_sqlite_file``): a 0-byte file there was made by someone else."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        if readonly:
            raise StoreError(f"会議記録のデータベースが見つかりません: {path}") from None
        return
    if size == 0:
        if readonly:
            raise StoreError(f"{path} は空のファイルです（teichaku の会議記録ではありません）")
        raise StoreError(f"{path} は空のファイルです（teichaku の会議記録ではありません）。このファイルには何も"
                         "書き込んでいません。新しく会議記録を始めるときは、この空のファイルを削除するか、"
                         "別のファイル名を指定してください")
    # Only SQLite opens the file: closing a descriptor of our own would drop the POSIX locks
    # this process's open stores hold on it (see sqlite_engine).
    try:
        connection = sqlite3.connect(_readonly_uri(path), uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise StoreError(f"{path} を会議記録のデータベースとして開けません（SQLite のデータベースではありません）。"
                             "teichaku の会議記録のファイル（〜.teichaku.sqlite）を指定してください") from None
        raise StoreError(f"会議記録のデータベース {path} を開けません（{error}）") from error
    if "schema_version" in tables:
        return
    if tables:
        raise StoreError(f"{path} は teichaku の会議記録ではありません（ほかのプログラムのデータベースのようです）。"
                         "このファイルには何も書き込んでいません。別のファイルを指定してください")
    # A database with no tables holds no one's data, and is what a new store is until its
    # first writer has made the tables: another process may open it in between, and a writer
    # stopped there must be able to carry on.  A writer takes it; a reader finds nothing.
    if readonly:
        raise StoreError(f"{path} は空のデータベースです（teichaku の会議記録ではありません）")


def _create_sqlite_file(path: Path) -> None:
    """Make a new store appear at ``path`` already a SQLite database (the header, in WAL mode,
    no tables), so that a 0-byte file there is never ours.  It is made under a hidden name in
    the same folder (0600) and linked into place: ``os.link`` is atomic and fails when the path
    exists, as when another process (the app and a command at once) made the store meanwhile:
    theirs is as good."""
    temporary = temporary_beside(path)
    try:
        connection = sqlite3.connect(temporary)
        try:
            connection.execute("PRAGMA journal_mode = WAL").fetchall()     # writes the header
        finally:
            connection.close()
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        except OSError:         # no hard links on this file system (a FAT memory stick): a copy,
            header = temporary.read_bytes()      # at 0 bytes only for the moment of one write
            try:
                descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                return
            try:
                os.write(descriptor, header)
            finally:
                os.close(descriptor)              # a file no connection has open yet
    finally:
        temporary.unlink(missing_ok=True)


def sqlite_engine(url: sa.engine.URL, *, readonly: bool = False) -> sa.Engine:
    database = url.database
    if database and database != ":memory:":
        path = Path(database)
        _check_sqlite_file(path, readonly=readonly)
    if readonly:
        if not database or database == ":memory:":
            raise StoreError("読むだけのコマンドには会議記録のデータベースのファイルを指定してください")
        return _readonly_engine(url)
    if database and database != ":memory:":
        if not path.parent.is_dir():
            raise StoreError(f"会議記録のデータベースを置くフォルダ {path.parent} がありません")
        # Records about people's health: only the owner may read the file.  SQLite gives its
        # -wal and -shm files the same permissions as the database file.  Only a new file is
        # touched: closing a descriptor of an open database would drop the POSIX locks every
        # connection of this process holds on it, and another process could then delete the
        # WAL under them ("disk I/O error", lost saves).
        if not path.exists():
            try:
                _create_sqlite_file(path)
            except (OSError, sqlite3.Error) as error:
                why = os_error_text(error) if isinstance(error, OSError) else error
                raise StoreError(f"会議記録のデータベース {path} を作れません（{why}）") from error
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Transactions are ours: stop the sqlite3 module from emitting BEGIN itself
        # (SQLAlchemy's documented recipe), so "_on_begin" below chooses the BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL").fetchall()
        # WAL with synchronous=NORMAL already survives a killed process (a committed
        # transaction is in the WAL file); FULL also syncs the WAL on every commit, so an
        # acknowledged save survives a power cut too.  Saves are few: the fsync is cheap.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the write lock at BEGIN: reading first and upgrading later could
        # fail with "database is locked" instead of waiting for the busy timeout.
        write = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _readonly_engine(url: sa.engine.URL) -> sa.Engine:
    """Connections that cannot write (``_readonly_uri``: ``immutable=1`` or ``mode=ro``): no
    journal mode or other pragma that changes the file is set.  A new connection for each use
    (NullPool), each choosing how to open anew.  The URL still names the file (for
    ``Store.location``)."""
    path = Path(url.database)

    def connect():
        connection = sqlite3.connect(_readonly_uri(path), uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        connection.isolation_level = None          # BEGIN is ours, as for writers
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        return connection

    engine = sa.create_engine(url, creator=connect, poolclass=sa.pool.NullPool)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")

    return engine


def postgresql_engine(url: sa.engine.URL, *, readonly: bool = False) -> sa.Engine:
    """An engine on PostgreSQL that gives up on a server that does not answer
    (``CONNECT_TIMEOUT_S``) instead of hanging the command; read-only transactions when
    ``readonly``."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    return engine.execution_options(postgresql_readonly=True) if readonly else engine
