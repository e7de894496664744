"""Writing files: never over an input, never over an existing file unless asked, never half.

Every file the package writes for people (the template, demo workbooks, the records export,
report documents) goes through ``replacing``, as a file only its owner may read, in folders
the package makes only its owner may enter (``private_folder``): the content is written to a
hidden temporary
file in the same folder and renamed over the target only when it is complete, so an error or
Ctrl-C leaves either the old file or the new one, never a torn one.  A rename also replaces a
symbolic link itself, never the file it points to.

``check_output`` is the question asked before the work: may ``path`` be written?  It says
no, in Japanese and naming the file, for a folder, for a file that the command reads, and
for an existing file unless ``force``.
"""

from __future__ import annotations

import errno
import os
import secrets
import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import StaffError


class OutputRefused(StaffError):
    """``path`` must not be written; the message is Japanese and names the file."""


_OS_ERRORS = {
    errno.EACCES: "書き込む権限がありません", errno.EPERM: "書き込む権限がありません",
    errno.ENOENT: "フォルダがありません", errno.ENOTDIR: "途中にフォルダでないファイルがあります",
    errno.EISDIR: "同じ名前のフォルダがあります", errno.ENOSPC: "ディスクの空きがありません",
    errno.EROFS: "読み取り専用の場所です", errno.ENAMETOOLONG: "名前が長すぎます",
    errno.EEXIST: "同じ名前のものがあります", errno.EDQUOT: "ディスクの割り当てを超えています",
}


def os_error_text(error: OSError) -> str:
    """An operating system error in Japanese (the English text of the rare others kept)."""
    return _OS_ERRORS.get(error.errno) or error.strerror or str(error)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: Path | str, *, inputs: Iterable[Path | str] = (), force: bool = False) -> None:
    """Raise ``OutputRefused`` when ``path`` must not be written: it is a folder, it is one of
    ``inputs`` (also through a link; ``--force`` does not change that), or it exists and
    ``force`` is not set."""
    path = Path(path)
    if path.is_dir():
        raise OutputRefused(f"{path} はフォルダです。書き出すファイルの名前を指定してください")
    for source in inputs:
        source = Path(source)
        if path.absolute() == source.absolute() or _same_file(path, source):
            raise OutputRefused(f"{path} は読み込むファイル（{source}）です。書き出し先には別の名前を指定してください")
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputRefused(f"{path} はすでにあります。上書きするときは --force を付けてください")


def temporary_beside(path: Path) -> Path:
    """A new empty hidden file in ``path``'s folder that only its owner may read (0600)."""
    stem = path.name if len(path.name.encode()) <= 200 else "teichaku"     # names stay under 255 bytes
    for _ in range(100):
        candidate = path.with_name(f".{stem}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"{path.parent} に一時ファイルを作れません")


@contextmanager
def replacing(path: Path | str) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block ends
    without an exception, removed otherwise (KeyboardInterrupt included).  A new file only its
    owner may read (0600: documents, exports and workbooks hold people's data); a file
    replaced keeps the permissions it had (the office chose them)."""
    path = Path(path)
    temporary = None
    try:
        with _ctrl_c_held():         # no Ctrl-C between making the file and knowing its name
            temporary = temporary_beside(path)
        yield temporary
        try:
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            pass
        os.replace(temporary, path)
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold SIGINT back for a few statements (it is delivered, as KeyboardInterrupt, right
    after).  Only the main thread hears signals; elsewhere, and where the system cannot
    hold signals, this does nothing."""
    try:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def write_text(path: Path | str, text: str, *, encoding: str = "utf-8") -> Path:
    """``Path.write_text`` through ``replacing``."""
    with replacing(path) as temporary:
        temporary.write_text(text, encoding=encoding)
    return Path(path)


def private_folder(path: Path | str) -> Path:
    """``path`` as a folder, made (with its parents) only its owner may enter (0700) when it
    does not exist yet; an existing folder is left as it is."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)                 # mkdir's mode is filtered by the umask
    return path
