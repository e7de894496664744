"""The conference app's log file (``paths.app_log_path``), and how every process writes it.

Several processes write the one file: ``teichaku app`` (``launcher``) copies Voila's
output into it line by line (Voila and its kernels print into a pipe the launcher reads,
never into the file itself), and each kernel of the app writes its own log lines
(``app.common.setup_logging``).  They all write through ``AppLogHandler``: the file is
rotated at ``MAX_BYTES`` (``app.log.1`` … ``app.log.3``, the oldest dropped) by whichever
writer finds it full, and before each line a writer checks that the path still names the
file it has open, reopening it when another process has rotated it.  So no writer goes on
writing into a rotated file, and a rotation loses no line.

Standard library and ``teichaku_nb.paths`` only, like the rest of the server package.
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

from ..paths import app_log_path, data_dir

MAX_BYTES = 1_000_000
BACKUPS = 3


class AppLogHandler(RotatingFileHandler):
    """A ``RotatingFileHandler`` that follows its path, as ``WatchedFileHandler`` does: a file
    another process rotated (renamed) or removed is closed, and the next line goes to the
    file now at the path."""

    def __init__(self, path: Path | None = None, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS):
        if path is None:
            data_dir(create=True)
        super().__init__(path or app_log_path(), maxBytes=max_bytes, backupCount=backups, encoding="utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        self._follow_the_path()
        super().emit(record)

    def _follow_the_path(self) -> None:
        if self.stream is None:
            return
        try:
            now = os.stat(self.baseFilename)
        except FileNotFoundError:
            now = None
        opened = os.fstat(self.stream.fileno())
        if now is None or (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino):
            self.stream.close()
            self.stream = None                 # opened again (at the path) before the line is written

