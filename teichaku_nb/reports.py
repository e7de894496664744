"""Make the documents: execute the report notebooks, export HTML or PDF.

``make_reports(kind, book, month, ...)`` is the entry point for a month's documents (the
``teichaku report`` command and the app's export panel call it); ``make_evidence(book, start,
end, ...)`` plans the 運営指導の確認資料 of a period (an office cover page and a document per
person) and makes it the same way, from step 2:

1. plan the documents (``Job``) as their kind is declared (``documents``): one per office
   (会議録, 月次サマリー); or one per person and copy (支援レポート: 本人用 / 企業用): the one
   ``user``, else the people whose case was reviewed that month (a saved review in the
   store), or with ``include_unreviewed`` everyone on the month's agenda; or one for the
   ``user`` named (個別支援計画書, ``make_plan_document``);
2. execute the kind's notebook (``report_notebooks/<kind>.ipynb``) with nbclient in ONE
   kernel for the whole batch (``kernels``: in this process; from the app, the kernel kept
   beside its page): the notebook is re-run with its parameters in place of the
   ``parameters`` cell's defaults (tagged ``injected-parameters``, as papermill does), once
   per run of up to ``RUN_SIZE`` 支援レポート (``documents``: one output each) or per 会議録 /
   月次サマリー.  The notebook's view works from the workbook this process has read
   (``report_views.keep_source``) and a document costs no wait of its own;
3. export each executed notebook with nbconvert and the project's template
   (``templates/teichaku_report``: no code, A4 print styles, Japanese fonts, office and
   month in the header, charts inline as data URIs: self-contained HTML);
4. for a batch of 支援レポート from a workbook with problems, add the staff-only 確認事項
   (``report_notebooks/checks.ipynb``, the same way): whose copies were made from the
   readable values only, and the problems.  The copies themselves never carry them;
5. for PDF, print the HTML with the system's Chromium (``pdf.py``: the batch laid end to
   end in one page, printed once and cut apart, with the office, month and page numbers in
   the page margins).

Making a document records nothing: the store is only read.  Sending a 支援レポート is
recorded on purpose (``teichaku sent``, the app's sending panel).

Messages for people are Japanese (``ReportError``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import re
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import documents, kernels, pdf
from .documents import COPY_LABELS
from .errors import StaffError
from .files import private_folder, write_text
from .japanese import as_month, dates_in, format_date, format_month
from .paths import report_notebook_dir
from .casebook import namesakes, offices_called
from .records import EMPLOYER
from .report_views import no_employer_copy

FORMATS = ("html", "pdf")
PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
TEMPLATE_NAME = "teichaku_report"
CELL_TIMEOUT_S = 300
RUN_SIZE = 20                      # documents made by one execution of the notebook (the progress steps)
KERNELS = 2                        # kernels running a large batch's executions side by side


class ReportError(StaffError):
    """The reports cannot be made; the message is Japanese, for staff."""


class NoBrowser(ReportError):
    """No Chromium for PDF."""


# --- where things are ---------------------------------------------------------------------------

def notebook_path(kind: str) -> Path:
    declared = documents.kind(kind)
    path = declared.notebook or report_notebook_dir() / f"{kind}.ipynb"
    if not path.is_file():
        raise ReportError(f"レポートのノートブック {path} が見つかりません")
    return path


def default_out_dir(month: pd.Period) -> Path:
    return Path("reports") / month.strftime("%Y-%m")


SAFE_NAME_BYTES = 80              # one part of a file name (the office, an ID), in UTF-8 bytes
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_name(text: str) -> str:
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


def office_part(book, namesakes: frozenset[str]) -> str:
    """The office in a file name: its name, and its 事業所番号 too when another office of the
    source has the same name (two offices never write to one file name)."""
    return f"{safe_name(book.office)}_{safe_name(book.key)}" if book.office in namesakes else safe_name(book.office)


# --- the plan ------------------------------------------------------------------------------------

@dataclass
class Job:
    """One document: the notebook's parameters and where the result goes."""

    kind: str
    office: str                    # the office's key (CaseBook.key)
    params: dict
    stem: str                      # file name without suffix
    title: str                     # the document kind as shown in the header
    office_name: str = ""          # the office as the header prints it
    user_id: str | None = None
    audience: str | None = None
    html: str | None = None
    paths: list[Path] = field(default_factory=list)


@dataclass
class Batch:
    """What ``make_reports`` made, and what staff must be told about it."""

    paths: list[Path] = field(default_factory=list)        # the documents, in order
    checks: list[Path] = field(default_factory=list)       # the staff-only 確認事項 (支援レポート)
    affected: list[dict] = field(default_factory=list)     # office, user_id, name, errors: copies made from
    #                                                        the readable values only
    unreviewed: list[dict] = field(default_factory=list)   # office, user_id, name: on the agenda, no review,
    #                                                        so no 支援レポート (unless asked for)
    people: list[dict] = field(default_factory=list)       # office, user_id: whose 支援レポート were made
    no_employer: list[dict] = field(default_factory=list)  # office, user_id, name: no 企業共有同意, so no
    #                                                        企業用 copy

    @property
    def documents(self) -> list[Path]:
        return [p for p in self.paths if p not in self.checks]


def _month(month) -> pd.Period:
    try:
        return as_month(month)
    except ValueError:
        raise ReportError(f"年月として読めません: {month}（例: 2026-10）") from None


def _reviewed(store, office: str, month: pd.Period) -> set[str]:
    return {r.user_id for r in store.reviews(office, month)} if store is not None else set()


def _plan(kind: str, books, is_offices: bool, book_path: Path, month: pd.Period, *, db: str | None,
          user: str | None, audiences: tuple[str, ...], store, include_unreviewed: bool,
          batch: Batch, same_names: frozenset[str] = frozenset()) -> list[Job]:
    from . import rules

    declared = documents.kind(kind)
    jobs = []
    ym = month.strftime("%Y-%m")
    for book in books:
        base = {"book": str(book_path), "month": ym, "db": db,
                "office": book.key if is_offices else None}
        prefix = f"{office_part(book, same_names)}_{declared.file_label}_{ym}"

        def job(stem: str, title: str, **more) -> Job:
            return Job(kind, book.key, base, stem, title, office_name=book.office, **more)

        if declared.per == documents.OFFICE:
            jobs.append(job(prefix, declared.title))
            continue
        if user is not None:
            if str(user) not in set(book.users["user_id"]):
                if is_offices:
                    continue
                raise ReportError(f"利用者ID {user} は {book.office} のケース記録にありません")
            people = [str(user)]
            if audiences == (EMPLOYER,) and not book.shares_with_employer(str(user)):
                raise ReportError(no_employer_copy(book.names.get(str(user)) or str(user)))
        else:
            cases = rules.agenda(book, month).cases
            reviewed = _reviewed(store, book.key, month)
            batch.unreviewed += [{"office": book.key, "user_id": c.user_id, "name": c.name}
                                 for c in cases if c.user_id not in reviewed]
            people = sorted(c.user_id for c in cases if include_unreviewed or c.user_id in reviewed)
        for user_id in people:
            if not declared.copies:
                jobs.append(job(f"{prefix}_{safe_name(user_id)}", declared.title, user_id=user_id))
                continue
            for audience in audiences:
                if audience == EMPLOYER and not book.shares_with_employer(user_id):
                    batch.no_employer.append({"office": book.key, "user_id": user_id,
                                              "name": book.names.get(user_id) or ""})
                    continue
                jobs.append(job(f"{prefix}_{safe_name(user_id)}_{COPY_LABELS[audience]}", declared.copy_title(audience),
                                user_id=user_id, audience=audience))
    if user is not None and not jobs:
        raise ReportError(f"利用者ID {user} はどの事業所のケース記録にもありません")
    stems = [j.stem for j in jobs]
    if len(set(stems)) != len(stems):          # never two documents in one file
        twice = sorted({s for s in stems if stems.count(s) > 1})
        raise ReportError(f"同じファイル名の書類が2つできてしまうため作りません: {twice[0]}")
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


def _failed(error: kernels.CellFailed) -> ReportError:
    """A cell failed: a staff error's message is for staff as it is; anything else is a bug of ours."""
    if kernels.staff_error(error):
        return ReportError(error.evalue)
    return ReportError(f"レポートのノートブックの実行中にエラーが起きました（{error.ename}: {error.evalue}）")


def warm_up() -> None:
    """From a page of the app: start the kernel its documents run in, and import their code in
    it, in the background (the page calls this once its agenda is shown), so the first
    document does not wait for them.  Elsewhere: nothing to do."""
    kernel = kernels.for_this_process()
    if isinstance(kernel, kernels.Kept):
        kernel.warm("import teichaku_nb.report_views, teichaku_nb.plan_document, teichaku_nb.charts")


async def _execute(work: list[tuple[Path, list[Job]]], on_executed: Callable[[Job, object], None]) -> None:
    """Run each notebook for its ``jobs``, a run of up to ``RUN_SIZE`` documents at a time, in
    one kernel; ``on_executed(job, notebook)`` gets each document as its run ends."""
    import nbformat

    sigint = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    try:
        async with kernels.for_this_process() as kernel:
            _keep_sigint(sigint)
            for path, jobs in work:
                template = nbformat.read(path, as_version=4)
                for params, run in _runs(jobs):
                    nb = _with_parameters(template, params)
                    try:
                        await kernel.run(nb)
                    except kernels.CellFailed as error:
                        raise _failed(error) from None
                    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                             if o.output_type in ("display_data", "execute_result")]
                    if len(shown) != len(run):
                        raise ReportError(f"レポートのノートブックの出力が {len(shown)}件でした（{len(run)}件のはず）")
                    for job, output in zip(run, shown):
                        on_executed(job, _static_notebook(output, nb.metadata))
    finally:
        if sigint is not None:
            signal.signal(signal.SIGINT, sigint)


def _keep_sigint(handler) -> None:
    """Put the caller's Ctrl-C handling back.  nbclient answers SIGINT by shutting the kernel
    down under the running batch; the caller's handler (KeyboardInterrupt) ends the batch
    instead, between two documents or inside one."""
    if handler is None:
        return
    asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
    signal.signal(signal.SIGINT, handler)


def _runs(jobs: list[Job]) -> list[tuple[dict, list[Job]]]:
    """The notebook's executions: (parameters, the documents it makes), ``RUN_SIZE`` documents
    at most: 支援レポート of one office (``documents``: [利用者ID, 本人 or 企業] each), or the
    会議録 / 月次サマリー of several offices (``documents``: the offices).  A 確認事項 is one
    execution for its office's copies (its ``documents`` are set already)."""
    runs: list[list[Job]] = []
    for job in jobs:
        last = runs[-1] if runs else None
        if last is not None and len(last) < RUN_SIZE and "documents" not in job.params | last[0].params and (
                job.user_id is None or last[-1].office == job.office):
            last.append(job)
        else:
            runs.append([job])
    return [(run[0].params if "documents" in run[0].params else
             run[0].params | {"documents": [[j.user_id, j.audience] if j.user_id else j.office for j in run]}, run)
            for run in runs]


def _run(factory):
    """Run a coroutine to the end, also from code that already runs an event loop (Voila, Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_here(factory)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(_run_here, factory).result()


def _run_here(factory):
    """``asyncio.run``, without asyncio's report of the tasks a Ctrl-C ended (the command
    says 「中断しました」; the kernels are still shut down as the loop closes)."""
    def quiet(loop, context) -> None:
        if not isinstance(context.get("exception"), (KeyboardInterrupt, asyncio.CancelledError)):
            loop.default_exception_handler(context)

    with asyncio.Runner() as runner:
        runner.get_loop().set_exception_handler(quiet)
        return runner.run(factory())


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


def period_label(month: pd.Period, start: pd.Period | None = None) -> str:
    """「2026年10月」, or 「2026年5月〜2026年10月」 for a document of a period."""
    return format_month(month) if start is None else f"{format_month(start)}〜{format_month(month)}"


def period_part(month: pd.Period, start: pd.Period | None = None) -> str:
    """The month in file and folder names: 2026-10, or 2026-05_2026-10 for a period."""
    return month.strftime("%Y-%m") if start is None else f"{start.strftime('%Y-%m')}_{month.strftime('%Y-%m')}"


def _resources(job: Job, month: pd.Period, date_style: str, start: pd.Period | None = None) -> dict:
    """The header of a document: its dates as its office's 日付の表記 says (西暦 / 和暦)."""
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=9)))          # 日本時間
    with dates_in(date_style):
        return {"teichaku": {"office": job.office_name, "month_label": period_label(month, start), "title": job.title,
                             "made": f"作成 {format_date(now)} {now:%H:%M}"}}


# --- the staff-only 確認事項 of a batch of 支援レポート ---------------------------------------------

def _checks(books, jobs: list[Job], month: pd.Period, batch: Batch, same_names: frozenset[str]) -> list[Job]:
    """One 確認事項 per office whose workbook has problems (the copies never carry them)."""
    from .report_views import affected_people

    made = []
    checks = documents.CHECKS
    ym = month.strftime("%Y-%m")
    for book in books:
        copies = [job for job in jobs if job.office == book.key and job.user_id is not None]
        if not copies or not book.problems:
            continue
        batch.affected += [{"office": book.key, **p} for p in affected_people(book, dict.fromkeys(j.user_id for j in copies))]
        params = {key: copies[0].params[key] for key in ("book", "month", "office")}
        made.append(Job(checks.name, book.key, params | {"documents": [[j.user_id, j.audience] for j in copies]},
                        f"{office_part(book, same_names)}_{checks.file_label}_{ym}", checks.title,
                        office_name=book.office))
    return made


def _static_notebook(output, metadata=None):
    """A notebook whose one output is ``output``: one document to export."""
    import nbformat

    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[output])], metadata=metadata or {})


# --- the entry point ---------------------------------------------------------------------------------

def make_reports(kind: str, book, month, *, db: str | None = None, user: str | None = None,
                 audience: str | None = None, fmt: str = "html", out_dir=None,
                 progress: Callable[[int, int], None] | None = None, office: str | None = None,
                 include_unreviewed: bool = False, source=None) -> Batch:
    """Make the ``kind`` documents (minutes / support / summary) of ``book`` for ``month``.

    ``book``: a workbook, a CSV folder or a folder of office workbooks.  ``db``: the review
    store URL (default: the SQLite file beside the book, read when it exists; a ``db`` that
    names nothing is an error).  ``user`` and ``audience`` (本人 / 企業; None: both copies)
    are for support only; without ``user`` a 支援レポート is made for each person whose case
    has a saved review that month, or for everyone on the agenda with ``include_unreviewed``.
    ``fmt``: html or pdf.  ``out_dir``: default ``reports/YYYY-MM``.  ``progress(done, total)``
    is called as documents are made.  ``office``: with a folder of offices, only that office
    (IDs are unique within an office only); None: every office.  ``source``: the book as the
    caller has read it already (``workbook.Source``): the notebooks run in this process and
    work from it, so a batch reads the workbook once (the app's kept kernel reads it once for
    as long as the file is unchanged).

    Records nothing.  Returns the ``Batch`` (no kernel is started when there is nothing to
    make).  Raises ``ReportError`` (``NoBrowser`` when PDF is asked and no Chromium is found)
    with a Japanese message.
    """
    from .workbook import read_source

    month = _month(month)
    book_path, executable = _checked(kind, book, fmt, user, audience, include_unreviewed)
    source = source if source is not None else read_source(book_path)
    books = _books(source, book_path, office, user)
    batch = Batch()
    jobs = _planned(kind, books, source.is_offices, book_path, month, db=db, user=user, audience=audience,
                    include_unreviewed=include_unreviewed, batch=batch, same_names=namesakes(source.books))
    if not jobs:
        return batch
    extra = _checks(books, jobs, month, batch, namesakes(source.books)) if documents.kind(kind).with_checks else []
    out = Path(out_dir) if out_dir is not None else default_out_dir(month)
    private_folder(out)
    _make([(notebook_path(kind), jobs), (notebook_path(documents.CHECKS.name), extra)], month, fmt, out, source,
          book_path, executable, progress)
    batch.people = [{"office": o, "user_id": u} for o, u in dict.fromkeys((j.office, j.user_id) for j in jobs
                                                                           if j.user_id is not None)]
    batch.paths = [p for job in jobs + extra for p in job.paths]
    batch.checks = [p for job in extra for p in job.paths]
    return batch


def make_plan_document(book, user_id: str, *, month=None, db: str | None = None, fmt: str = "pdf", out_dir=None,
                       office: str | None = None, source=None) -> Path:
    """The 個別支援計画書 of one person (``plan_document``): the path of the HTML or PDF made in
    ``out_dir`` (default ``reports/YYYY-MM``).  ``month``: the review the plan follows (default:
    last month, or the latest month with data).  Records nothing (no 交付日).  Raises
    ``ReportError`` with a Japanese message."""
    from .rules import default_month
    from .workbook import read_source

    if month is None:
        source = source if source is not None else read_source(Path(book).expanduser().absolute())
        books = _books(source, Path(book), office, str(user_id))
        having = [b for b in books if str(user_id) in set(b.users["user_id"])] or books
        month = default_month(having[0], dt.date.today())
    batch = make_reports("plan", book, month, db=db, user=str(user_id), fmt=fmt, out_dir=out_dir, office=office,
                         source=source)
    return batch.documents[0]


MAX_PERIOD_MONTHS = 60             # the longest period a document of a period covers


def make_evidence(book, start, end, *, db: str | None = None, user: str | None = None, fmt: str = "pdf",
                  out_dir=None, progress: Callable[[int, int], None] | None = None, office: str | None = None,
                  source=None) -> Batch:
    """The 運営指導の確認資料 (``documents.EVIDENCE``) of ``book`` for the months ``start`` to
    ``end`` (both included): for each office a cover page and a document per person in service
    in any month of the period, or the one ``user`` (no cover then).  Files are named
    ``<事業所>_運営指導資料_<YYYY-MM>_<YYYY-MM>_表紙`` / ``…_<利用者ID>`` in ``out_dir`` (default
    ``reports/<YYYY-MM>_<YYYY-MM>``).  The other arguments as ``make_reports``.  Records
    nothing.  Raises ``ReportError`` with a Japanese message."""
    from .workbook import read_source

    start, end = _month(start), _month(end)
    if start > end:
        raise ReportError(f"最初の月（{format_month(start)}）が最後の月（{format_month(end)}）より後です")
    if (end - start).n + 1 > MAX_PERIOD_MONTHS:
        raise ReportError(f"期間は{MAX_PERIOD_MONTHS}か月までです（{period_label(end, start)}）")
    kind = documents.EVIDENCE
    book_path, executable = _checked(kind.name, book, fmt, user, None, False, period=True)
    source = source if source is not None else read_source(book_path)
    books = _books(source, book_path, office, user)
    jobs = _evidence_jobs(books, source.is_offices, book_path, start, end, db=db,
                          user=None if user is None else str(user), same_names=namesakes(source.books))
    batch = Batch()
    out = Path(out_dir) if out_dir is not None else Path("reports") / period_part(end, start)
    private_folder(out)
    _make([(notebook_path(kind.name), jobs)], end, fmt, out, source, book_path, executable, progress, start=start)
    batch.people = [{"office": j.office, "user_id": j.user_id} for j in jobs if j.user_id is not None]
    batch.paths = [p for job in jobs for p in job.paths]
    return batch


def _evidence_jobs(books, is_offices: bool, book_path: Path, start: pd.Period, end: pd.Period, *, db,
                   user: str | None, same_names: frozenset[str]) -> list[Job]:
    """The cover page and the people's documents of each office (the one ``user``'s only)."""
    from .periods import in_service

    kind = documents.EVIDENCE
    months = list(pd.period_range(start, end, freq="M"))
    batch = secrets.token_hex(8)          # the notebook's runs of this batch share one audit
    jobs = []
    for book in books:
        base = {"book": str(book_path), "start": start.strftime("%Y-%m"), "month": end.strftime("%Y-%m"), "db": db,
                "office": book.key if is_offices else None, "batch": batch}
        prefix = f"{office_part(book, same_names)}_{kind.file_label}_{period_part(end, start)}"
        users = book.users
        served = pd.concat([in_service(users, m) for m in months], axis=1).any(axis=1)
        people = sorted(users.loc[served, "user_id"])
        if user is not None:
            if user not in set(users["user_id"]):
                if is_offices:
                    continue
                raise ReportError(f"利用者ID {user} は {book.office} のケース記録にありません")
            if user not in people:
                raise ReportError(f"利用者ID {user} は {period_label(end, start)}に支援の期間がありません"
                                  "（支援開始日・支援終了予定日・離職日を確かめてください）")
            people = [user]
        else:
            jobs.append(Job(kind.name, book.key, base | {"documents": [[None, None]]}, f"{prefix}_表紙",
                            f"{kind.title}　表紙", office_name=book.office))
        jobs += [Job(kind.name, book.key, base, f"{prefix}_{safe_name(u)}", kind.title, office_name=book.office,
                     user_id=u) for u in people]
    if user is not None and not jobs:
        raise ReportError(f"利用者ID {user} はどの事業所のケース記録にもありません")
    return jobs


def _checked(kind: str, book, fmt: str, user, audience, include_unreviewed: bool,
             period: bool = False) -> tuple[Path, str | None]:
    """The book's path and, for PDF, the browser; a ``ReportError`` for what cannot be asked."""
    wrong = documents.asking_problem(kind, user=user, audience=audience, include_unreviewed=include_unreviewed,
                                     period=period)
    if wrong:
        raise ReportError(wrong)
    if fmt not in FORMATS:
        raise ReportError(f"形式は html か pdf にしてください（{fmt!r}）")
    book_path = Path(book).expanduser().absolute()
    if not book_path.exists():
        raise ReportError(f"ケース記録 {book_path} が見つかりません")
    executable = None
    if fmt == "pdf":
        executable = pdf.find_chromium()
        if executable is None:
            raise NoBrowser(pdf.INSTALL_CHROMIUM)
    return book_path, executable


def _books(source, book_path: Path, office: str | None, user) -> list:
    """The offices' casebooks the documents are made from."""
    if source.unreadable:
        raise ReportError(source.unreadable[0].message)
    books = source.books
    if office is not None:
        books = offices_called(books, office)
        if not books:
            raise ReportError(f"事業所「{office}」のケース記録が {book_path} にありません")
        if len(books) > 1:
            raise ReportError(f"事業所名「{office}」の事業所が {len(books)} か所あります。事業所番号"
                              f"（{'、'.join(b.key for b in books)}）で指定してください")
    if user is not None and source.is_offices and office is None:
        # IDs are unique within an office only: never make a namesake's report
        having = [f"{b.office}（{b.key}）" if b.key != b.office else b.office
                  for b in books if str(user) in set(b.users["user_id"])]
        if len(having) > 1:
            raise ReportError(f"利用者ID {user} は複数の事業所（{'、'.join(having)}）にあります。"
                              "事業所を指定してください（--office 事業所名か事業所番号）")
    return books


def _planned(kind: str, books, is_offices: bool, book_path: Path, month: pd.Period, *, db, user, audience,
             include_unreviewed: bool, batch: Batch, same_names: frozenset[str]) -> list[Job]:
    """``_plan`` with the store read for who was reviewed (only read: a --db that names
    nothing is an error, not an empty store)."""
    from .store import StoreError, open_existing

    try:
        store = open_existing(db, book_path=book_path)
    except StoreError as error:
        raise ReportError(str(error)) from error
    try:
        return _plan(kind, books, is_offices, book_path, month, db=db, user=None if user is None else str(user),
                     audiences=(audience,) if audience else documents.kind(kind).readers, store=store,
                     include_unreviewed=include_unreviewed, batch=batch, same_names=same_names)
    finally:
        if store is not None:
            store.close()


def _make(work: list[tuple[Path, list[Job]]], month: pd.Period, fmt: str, out: Path, source, book_path: Path,
          executable: str | None, progress, start: pd.Period | None = None) -> None:
    """Execute, export and (for PDF) print the documents into ``out``: each notebook's jobs
    (the asked kind's, then any 確認事項); ``job.paths`` says where each went.  ``start``: the
    first month of a document of a period (``month`` its last)."""
    from .report_views import keep_source

    everything = [job for _path, jobs in work for job in jobs]
    total = len(everything) * (2 if fmt == "pdf" else 1)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    if progress:
        progress(0, total)
    with contextlib.ExitStack() as stack:
        printer = stack.enter_context(pdf.Printer(executable)) if fmt == "pdf" else None   # starts now
        staging = Path(tempfile.mkdtemp(prefix="teichaku-report-"))         # ours only (0700)
        stack.callback(shutil.rmtree, staging, ignore_errors=True)
        exporter = html_exporter()
        keep_source(book_path, source)             # the notebooks, run in this process, find this reading
        styles = {b.key: b.settings.date_style for b in source.books}       # each office's 日付の表記

        def exported(job: Job, nb) -> None:
            body, _ = exporter.from_notebook_node(nb, resources=_resources(job, month, styles.get(job.office, ""), start))
            target = (staging if fmt == "pdf" else out) / f"{job.stem}.html"
            write_text(target, body)              # renamed into place when complete
            if fmt == "pdf":
                job.html = str(target)
            else:
                job.paths.append(target)
            step()

        _run(lambda: _execute([(path, jobs) for path, jobs in work if jobs], exported))
        if printer is None:
            return
        printed = []
        for j in everything:
            with dates_in(styles.get(j.office, "")):
                printed.append(pdf.Document(Path(j.html), out / f"{j.stem}.pdf",
                                            f"{j.office_name}　{period_label(month, start)}　{j.title}"))
        try:
            printer.print(printed, staging, progress=step)
        except pdf.NoChromium as error:
            raise NoBrowser(str(error)) from error
        except pdf.PrintError as error:
            raise ReportError(str(error)) from error
        for job, document in zip(everything, printed):
            job.paths.append(document.pdf)
