"""Where things are: the notebooks, the demo data, and the per-user data folder.

The bundled demo workbook is the one file whose conference records are not kept beside it
(``store.default_path``): they go to the per-user data folder, never into the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

BOOK_ENV = "TEICHAKU_BOOK"      # the workbook (or folder) the app's kernel opens
DB_ENV = "TEICHAKU_DB"          # the review store's URL or file
DEMO_ENV = "TEICHAKU_DEMO"      # "1": the bundled demo data
PREFETCH_ENV = "TEICHAKU_PREFETCH"   # the file where the app's workbook is read ahead (app.prefetch)
RUN_FOLDER_ENV = "TEICHAKU_APP_RUN_FOLDER"   # that file's folder, removed by the app's server when it ends

PACKAGE = Path(__file__).resolve().parent


def demo_book_path() -> Path:
    """The bundled demo workbook (36 fictional people): ``demo/demo.xlsx``, package data, so an
    installed package has it too (``make demo`` writes it again)."""
    return PACKAGE / "demo" / "demo.xlsx"


def is_demo_book(path: Path | str) -> bool:
    path = Path(path).expanduser()
    return path.exists() and path.resolve() == demo_book_path().resolve()


def app_notebook_path() -> Path:
    """The conference app's notebook, ``app_notebook/conference.ipynb`` (package data)."""
    return PACKAGE / "app_notebook" / "conference.ipynb"


def report_notebook_dir() -> Path:
    """The report notebooks: ``$TEICHAKU_REPORT_NOTEBOOKS``, or the package's ``report_notebooks``
    (package data)."""
    configured = os.environ.get("TEICHAKU_REPORT_NOTEBOOKS")
    return Path(configured) if configured else PACKAGE / "report_notebooks"


def data_dir(*, create: bool = False) -> Path:
    """The per-user data folder (platformdirs: $XDG_DATA_HOME/teichaku or ~/.local/share/teichaku
    on Linux, the system's own place elsewhere); with ``create``, made if missing, readable by
    its owner only."""
    from platformdirs import user_data_path
    folder = user_data_path("teichaku", appauthor=False)
    if create:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def app_log_path() -> Path:
    """The conference app's log (errors shown to staff, with their tracebacks)."""
    return data_dir() / "app.log"


def demo_db_path() -> Path:
    """The demo's conference records (``store.open_store`` makes the folder)."""
    return data_dir() / "demo.teichaku.sqlite"
