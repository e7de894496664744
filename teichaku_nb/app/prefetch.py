"""The app's workbook, read ahead while the server starts.

``teichaku app`` starts this module beside Voila (``server.launcher.start``:
``python -m teichaku_nb.app.prefetch BOOK FILE``).  It reads the workbook on the machine's
other core while Voila starts and its first kernel loads Jupyter, and saves what it read
(``workbook.Source``) in FILE: in a folder made for this run of the app, that only its user
can open, removed when the app stops.  The first page's kernel then reads the records in
less time than the browser takes to load the page.

A kernel takes that reading (``take``) only if it is of the same workbook, byte for byte, on
the same day (the day decides some of the workbook's warnings); otherwise, or while the file
is not there yet, it reads the workbook itself (a very large workbook may be read twice:
the read ahead yields the core to the kernel and the browser).  A folder of CSV files or of
offices is not read ahead.  Nothing here is shown to anyone: when the read ahead fails, the
kernel reads the workbook and shows what is wrong with it as always.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import sys
from pathlib import Path

from ..files import replacing
from ..paths import PREFETCH_ENV


def fingerprint(book: Path, today: dt.date) -> tuple | None:
    """What a reading is valid for: the workbook file (its path and a digest of its bytes)
    and the day; None for a folder or a file that cannot be read."""
    try:
        with open(book, "rb") as found:
            digest = hashlib.file_digest(found, "sha256").hexdigest()
    except OSError:
        return None
    return str(Path(book).resolve()), digest, today.isoformat()


def write(book: Path, target: Path, today: dt.date) -> bool:
    """Read ``book`` and save the reading in ``target`` (whole or not at all); False when
    ``book`` is not one workbook file or changed while it was read."""
    from ..workbook import read_source

    mark = fingerprint(book, today)
    if mark is None:
        return False
    source = read_source(book, today=today)
    if fingerprint(book, today) != mark:
        return False
    with replacing(target) as temporary:        # a kernel never finds half a file
        os.chmod(temporary, 0o600)
        with open(temporary, "wb") as out:
            pickle.dump(mark, out, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(source, out, protocol=pickle.HIGHEST_PROTOCOL)
    return True


def take(book: Path, today: dt.date, environ=os.environ):
    """The reading saved for this run of the app (``workbook.Source``), if it is of ``book``
    as it is now and of ``today``; else None (the caller reads the workbook)."""
    target = environ.get(PREFETCH_ENV)
    if not target:
        return None
    try:
        with open(target, "rb") as found:
            if pickle.load(found) != fingerprint(book, today):     # a file of ours (see above)
                return None
            return pickle.load(found)
    except Exception:         # not there yet, or unreadable: read the workbook instead
        return None


def main(argv: list[str] | None = None) -> int:
    book, target = (argv if argv is not None else sys.argv[1:])[:2]
    try:
        os.nice(10)           # a kernel or the browser that needs the core goes first
    except OSError:
        pass
    try:
        return 0 if write(Path(book), Path(target), dt.date.today()) else 1
    except Exception:         # the kernel reads the workbook itself and says what is wrong
        return 1


if __name__ == "__main__":
    sys.exit(main())
