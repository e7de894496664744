"""Make the report documents: execute the report notebooks, export HTML or PDF.

``make_reports(kind, book, month, ...)`` is the one entry point (the ``teichaku report``
command and the app's export buttons call it):

1. plan the documents (``Job``): one 会議録 or 月次サマリー per office; for 支援レポート one
   per person on the month's agenda (or the one ``user``) and copy (本人用 / 企業用);
2. execute ``notebooks/reports/<kind>.ipynb`` with nbclient in ONE kernel for the whole
   batch: for each document the notebook is re-run with its parameters in place of the
   ``parameters`` cell's defaults (tagged ``injected-parameters``, as papermill does), so a
   batch pays the kernel start, the imports and the workbook load once (``report_views``
   caches them in the kernel);
3. export each executed notebook with nbconvert and the project's template
   (``templates/teichaku_report``: no code, A4 print styles, Japanese fonts, office and
   month in the header, charts inline as data URIs: self-contained HTML);
4. for PDF, print the HTML with the system's Chromium (``pdf.py``: the batch laid end to
   end in one page, printed once and cut apart, with the office, month and page numbers in
   the page margins);
5. for 支援レポート, record each person's report as issued in the review store
   (``store.record_report``), so ``report_not_shared`` clears: both copies → 本人・企業,
   one copy → 本人 or 企業; a recipient already recorded for the month is not recorded again.

Messages for people are Japanese (``ReportError``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import getpass
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import pdf
from .files import write_text
from .japanese import format_month
from .paths import report_notebook_dir
from .report_views import AUDIENCE_LABELS, AUDIENCES, EMPLOYER, KIND_TITLES, SELF

KINDS = ("minutes", "support", "summary")
FORMATS = ("html", "pdf")
KIND_FILE_LABELS = {"minutes": "会議録", "support": "支援レポート", "summary": "月次サマリー"}
PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
TEMPLATE_NAME = "teichaku_report"
CELL_TIMEOUT_S = 300


class ReportError(Exception):
    """The reports cannot be made; the message is Japanese, for staff."""


class NoBrowser(ReportError):
    """No Chromium for PDF."""


# --- where things are ---------------------------------------------------------------------------

def notebook_path(kind: str) -> Path:
    path = report_notebook_dir() / f"{kind}.ipynb"
    if not path.is_file():
        raise ReportError(f"レポートのノートブック {path} が見つかりません")
    return path


def default_out_dir(month: pd.Period) -> Path:
    return Path("reports") / month.strftime("%Y-%m")


SAFE_NAME_BYTES = 80              # one part of a file name (the office, an ID), in UTF-8 bytes
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def _safe(text: str) -> str:
    """Text usable in a file name on every system: no separators, control characters or
    characters Windows refuses, and at most ``SAFE_NAME_BYTES`` bytes (a long name keeps its
    start and gets a short hash of the whole, so two long names stay two files)."""
    text = str(text)
    safe = re.sub(r'[\\/:*?"<>|\s\x00-\x1f\x7f-\x9f]+', "_", text).strip("._") or "office"
    if safe.upper().split(".")[0] in _WINDOWS_RESERVED:
        safe = f"_{safe}"
    if len(safe.encode()) > SAFE_NAME_BYTES:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        cut = safe.encode()[:SAFE_NAME_BYTES - 10].decode("utf-8", "ignore")
        safe = f"{cut}_{digest}"
    return safe


# --- the plan ------------------------------------------------------------------------------------

@dataclass
class Job:
    """One document: the notebook's parameters and where the result goes."""

    kind: str
    office: str
    params: dict
    stem: str                      # file name without suffix
    title: str                     # the document kind as shown in the header
    user_id: str | None = None
    audience: str | None = None
    html: str | None = None
    paths: list[Path] = field(default_factory=list)


def _month(month) -> pd.Period:
    if isinstance(month, pd.Period):
        return month.asfreq("M")
    from .japanese import parse_month
    try:
        parsed = parse_month(month)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ReportError(f"年月として読めません: {month}（例: 2026-10）")
    return parsed


def _plan(kind: str, books, is_offices: bool, book_path: Path, month: pd.Period, *, db: str | None,
          user: str | None, audiences: tuple[str, ...]) -> list[Job]:
    from . import rules

    jobs = []
    ym = month.strftime("%Y-%m")
    for book in books:
        base = {"book": str(book_path), "month": ym, "db": db,
                "office": book.office if is_offices else None, "user": None, "audience": None}
        prefix = f"{_safe(book.office)}_{KIND_FILE_LABELS[kind]}_{ym}"
        if kind != "support":
            jobs.append(Job(kind, book.office, base, prefix, KIND_TITLES[kind]))
            continue
        if user is not None:
            if str(user) not in set(book.users["user_id"]):
                if is_offices:
                    continue
                raise ReportError(f"利用者ID {user} は {book.office} のケース記録にありません")
            people = [str(user)]
        else:
            people = sorted(c.user_id for c in rules.agenda(book, month).cases)
        for user_id in people:
            for audience in audiences:
                label = AUDIENCE_LABELS[audience]
                jobs.append(Job(kind, book.office, base | {"user": user_id, "audience": audience},
                                f"{prefix}_{_safe(user_id)}_{label}", f"{KIND_TITLES[kind]}（{label}）",
                                user_id=user_id, audience=audience))
    if user is not None and not jobs:
        raise ReportError(f"利用者ID {user} はどの事業所のケース記録にもありません")
    return jobs


# --- executing: one kernel for the batch ---------------------------------------------------------

def _with_parameters(template, params: dict):
    """A copy of the notebook whose ``parameters`` cell sets ``params`` instead of its defaults
    (tagged ``injected-parameters`` like papermill's; one cell, so a batch runs one cell less)."""
    import nbformat

    nb = nbformat.from_dict(template)
    source = "# Parameters of this document (injected by teichaku_nb.reports)\n" + "\n".join(
        f"{name} = {value!r}" for name, value in params.items())
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters", "injected-parameters"]
    at = next((i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), None)
    if at is None:
        nb.cells.insert(0, cell)
    else:
        nb.cells[at] = cell
    return nb


def _cell_error(error) -> ReportError:
    ename = getattr(error, "ename", "")
    evalue = getattr(error, "evalue", "")
    if ename in ("ReportDataError", "StoreError"):
        return ReportError(evalue)
    return ReportError(f"レポートのノートブックの実行中にエラーが起きました（{ename}: {evalue}）")


async def _execute(path: Path, jobs: list[Job], on_executed: Callable[[Job, object], None]) -> None:
    import nbformat
    from nbclient import NotebookClient

    template = nbformat.read(path, as_version=4)
    client = NotebookClient(nbformat.v4.new_notebook(), timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            allow_errors=False, resources={"metadata": {"path": str(path.parent)}})
    # Local sockets in a private folder rather than TCP on localhost: nothing else can connect.
    sockets = tempfile.mkdtemp(prefix="teichaku-kernel-")
    km = client.create_kernel_manager()
    km.transport = "ipc"
    km.ip = os.path.join(sockets, "kernel")
    # The kernel's own output is noise to staff (after Ctrl-C, a traceback of its closed socket).
    quiet = {} if os.environ.get("TEICHAKU_DEBUG") else {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    sigint = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    try:
        async with client.async_setup_kernel(**quiet):
            _keep_sigint(sigint)
            await _execute_jobs(client, template, jobs, on_executed)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
        if sigint is not None:
            signal.signal(signal.SIGINT, sigint)


def _keep_sigint(handler) -> None:
    """Put the caller's Ctrl-C handling back.  nbclient answers SIGINT by shutting the kernel
    down under the running batch, which then fails with an AssertionError; the caller's
    handler (KeyboardInterrupt) ends the batch instead, and nbclient's cleanup still stops
    the kernel."""
    if handler is None:
        return
    asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
    signal.signal(signal.SIGINT, handler)


async def _execute_jobs(client, template, jobs: list[Job], on_executed) -> None:
    from nbclient.exceptions import CellExecutionError

    for job in jobs:
        nb = _with_parameters(template, job.params)
        client.nb = nb
        client.reset_execution_trackers()
        try:
            for index, cell in enumerate(nb.cells):
                await client.async_execute_cell(cell, index)
        except CellExecutionError as error:
            raise _cell_error(error) from error
        on_executed(job, nb)


def _run(factory):
    """Run a coroutine to the end, also from code that already runs an event loop (Voila, Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, factory()).result()


# --- exporting -----------------------------------------------------------------------------------

def html_exporter():
    """nbconvert's HTML exporter with the project's template (no code, no prompts)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """HTMLExporter without its BeautifulSoup pass (alt texts and focus for JupyterLab's
        cells: the template writes its own alt texts and has no cells), which took two thirds
        of the export time of a 支援レポート."""

        def from_notebook_node(self, nb, resources=None, **kw):
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATE_DIR)],
                          exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def _resources(job: Job, month: pd.Period) -> dict:
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=9)))          # 日本時間
    made = f"{now.year}年{now.month}月{now.day}日 {now:%H:%M}"
    return {"teichaku": {"office": job.office, "month_label": format_month(month), "title": job.title,
                         "footer": f"{job.office}　{job.title}　{format_month(month)}分　作成 {made}（teichaku_nb）"}}


# --- recording the 支援レポート as issued ----------------------------------------------------------

def _recipient(audiences: set[str]) -> str:
    if audiences >= {SELF, EMPLOYER}:
        return "本人・企業"
    return SELF if SELF in audiences else EMPLOYER


def _covered(existing: set[str], recipient: str) -> bool:
    return recipient in existing or "本人・企業" in existing


def _record_issued(store, jobs: list[Job], month: pd.Period, by: str) -> None:
    made: dict[tuple[str, str], set[str]] = {}
    for job in jobs:
        if job.paths:
            made.setdefault((job.office, job.user_id), set()).add(job.audience)
    for (office, user_id), audiences in made.items():
        recipient = _recipient(audiences)
        existing = {r.recipient for r in store.issued_reports(office, month, user_id=user_id)}
        if not _covered(existing, recipient):
            store.record_report(office, user_id, month, recipient, by=by)


def _who(by: str | None) -> str:
    if by and by.strip():
        return by
    try:
        return getpass.getuser() or "teichaku"
    except Exception:      # no user name in some containers
        return "teichaku"


# --- the entry point ---------------------------------------------------------------------------------

def make_reports(kind: str, book, month, *, db: str | None = None, user: str | None = None,
                 audience: str | None = None, fmt: str = "html", out_dir=None, by: str | None = None,
                 progress: Callable[[int, int], None] | None = None, office: str | None = None) -> list[Path]:
    """Make the ``kind`` reports (minutes / support / summary) of ``book`` for ``month``.

    ``book``: a workbook, a CSV folder or a folder of office workbooks.  ``db``: the review
    store URL (default: the SQLite file beside the book; minutes and summary only read it
    when it exists, support creates it to record the reports issued).  ``user`` and
    ``audience`` (本人 / 企業; None: both copies) are for support only.  ``fmt``: html or
    pdf.  ``out_dir``: default ``reports/YYYY-MM``.  ``by``: who records the issue
    (default: the login name).  ``progress(done, total)`` is called as documents are made.
    ``office``: with a folder of offices, only that office (IDs are unique within an office
    only); None: every office.  Returns the files written (none when nobody is on the
    month's agenda: no kernel is started then).  Raises ``ReportError`` (``NoBrowser`` when PDF is asked
    and no Chromium is found) with a Japanese message.
    """
    from .store import StoreError, default_path, open_existing, open_store
    from .workbook import load_source

    if kind not in KINDS:
        raise ReportError(f"レポートの種類は {'・'.join(KINDS)} のどれかにしてください（{kind!r}）")
    if fmt not in FORMATS:
        raise ReportError(f"形式は html か pdf にしてください（{fmt!r}）")
    if audience is not None and audience not in AUDIENCES:
        raise ReportError(f"宛先は 本人 か 企業 にしてください（{audience!r}）")
    if kind != "support" and (user is not None or audience is not None):
        raise ReportError("利用者（--user）と宛先（--for）は支援レポート（support）だけに指定できます")
    month = _month(month)
    book_path = Path(book).expanduser().absolute()
    if not book_path.exists():
        raise ReportError(f"ケース記録 {book_path} が見つかりません")
    executable = None
    if fmt == "pdf":
        executable = pdf.find_chromium()
        if executable is None:
            raise NoBrowser(pdf.INSTALL_CHROMIUM)
    path = notebook_path(kind)

    books, is_offices = load_source(book_path)
    unreadable = [p for b in books for p in b.problems if p.code == "unreadable"]
    if unreadable:
        raise ReportError(unreadable[0].message)
    if office is not None:
        books = [b for b in books if b.office == office]
        if not books:
            raise ReportError(f"事業所「{office}」のケース記録が {book_path} にありません")
    if user is not None and is_offices and office is None:
        # IDs are unique within an office only: never make (and record as issued) a namesake's report
        having = [b.office for b in books if str(user) in set(b.users["user_id"])]
        if len(having) > 1:
            raise ReportError(f"利用者ID {user} は複数の事業所（{'、'.join(having)}）にあります。"
                              "事業所を指定してください（--office 事業所名）")

    store = None
    if kind != "support" and db is not None:
        # The reports only read a store: a --db that names nothing is an error, not an empty store.
        try:
            found = open_existing(db, book_path=book_path)
        except StoreError as error:
            raise ReportError(str(error)) from error
        found.close()
    if kind == "support":
        # Reports issued are recorded: the store is opened (and created beside the book) here.
        location = db or str(default_path(book_path))
        try:
            store = open_store(location, known_users={b.office: b.users["user_id"] for b in books})
        except StoreError as error:
            raise ReportError(str(error)) from error
        db = location
    audiences = (audience,) if audience else AUDIENCES
    try:
        jobs = _plan(kind, books, is_offices, book_path, month, db=db, user=None if user is None else str(user),
                     audiences=audiences)
        if not jobs:
            return []
        out = Path(out_dir) if out_dir is not None else default_out_dir(month)
        out.mkdir(parents=True, exist_ok=True)
        total = len(jobs) * (2 if fmt == "pdf" else 1)
        done = 0

        def step() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total)

        if progress:
            progress(0, total)
        exporter = html_exporter()
        staging = Path(tempfile.mkdtemp(prefix="teichaku-report-")) if fmt == "pdf" else None
        try:
            def exported(job: Job, nb) -> None:
                body, _ = exporter.from_notebook_node(nb, resources=_resources(job, month))
                target = (staging if staging else out) / f"{job.stem}.html"
                write_text(target, body)              # renamed into place when complete
                if staging is None:
                    job.paths.append(target)
                else:
                    job.html = str(target)
                step()

            _run(lambda: _execute(path, jobs, exported))
            if fmt == "pdf":
                documents = [pdf.Document(Path(j.html), out / f"{j.stem}.pdf",
                                          f"{j.office}　{format_month(month)}　{j.title}") for j in jobs]
                try:
                    _run(lambda: pdf.print_pdfs(documents, executable=executable, staging=staging,
                                                progress=step))
                except pdf.NoChromium as error:
                    raise NoBrowser(str(error)) from error
                except pdf.PrintError as error:
                    raise ReportError(str(error)) from error
                for job, document in zip(jobs, documents):
                    job.paths.append(document.pdf)
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
        if store is not None:
            _record_issued(store, jobs, month, _who(by))
    finally:
        if store is not None:
            store.close()
    return [p for job in jobs for p in job.paths]
