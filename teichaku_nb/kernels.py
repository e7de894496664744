"""Where the report notebooks run: a kernel in this process, or one kept beside the app.

``reports`` executes a report notebook cell by cell with nbclient, as JupyterLab would run it,
in one of two Jupyter kernels:

- ``InProcess`` (the command line, and any other plain Python process): ipykernel's in-process
  kernel.  The notebook runs in the caller's own process: no kernel process to start, nothing
  imported twice, and the workbook the caller has read is the one ``report_views.load_book``
  finds (its cache, keyed by the file's path, size and time).  The kernel's shell gets a module
  of its own (``__main__`` stays the caller's), and the process's environment is put back as
  it was after the shell set its own (TERM, FORCE_COLOR, PAGER …).
- ``Kept`` (the app): a page of the app runs in a Jupyter kernel, where a second IPython shell
  cannot live.  So its documents run in one kernel process, started the first time one is
  asked for (or ahead, ``warm``) and kept for the page's life: its imports and the workbook it
  has read stay warm for the next document.  Its sockets are local ones in a private folder.

Either way a cell that fails raises ``CellFailed`` with the error's name and message (a staff
error, ``errors.StaffError``, says in Japanese what to fix; ``staff_error`` tells it apart).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import types

from .errors import StaffError

CELL_TIMEOUT_S = 300

# jsonschema (nbformat's validator) imports rfc3987_syntax, when installed, for the "iri"
# format: it builds some thirty Earley parsers at import, a second of every command's wait.
# No notebook schema uses that format; without the module, jsonschema leaves it unchecked.
sys.modules.setdefault("rfc3987_syntax", None)


class CellFailed(Exception):
    """A cell of the notebook raised ``ename``: ``evalue``."""

    def __init__(self, ename: str, evalue: str):
        super().__init__(f"{ename}: {evalue}")
        self.ename, self.evalue = ename, evalue


def staff_error(failed: CellFailed) -> bool:
    """The cell raised a staff error: its message is for staff, as it is."""
    def names(cls) -> set[str]:
        return {cls.__name__}.union(*(names(sub) for sub in cls.__subclasses__()))
    return failed.ename in names(StaffError)


def for_this_process():
    """The kernel documents run in here: in this process, or, inside a Jupyter kernel (a page
    of the app, JupyterLab), where a second IPython shell cannot live, the kernel kept beside it."""
    global _KEPT
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or (_KERNEL is not None and shell is _KERNEL.shell):
        return InProcess()
    if _KEPT is None:
        _KEPT = Kept()
    return _KEPT


def _client(**traits):
    import nbformat
    from nbclient import NotebookClient

    return NotebookClient(nbformat.v4.new_notebook(), timeout=CELL_TIMEOUT_S, allow_errors=False, **traits)


async def _run_cells(client, nb) -> None:
    """Execute ``nb``'s cells in place with ``client``'s kernel."""
    from nbclient.exceptions import CellExecutionError

    client.nb = nb
    client.reset_execution_trackers()
    try:
        for index, cell in enumerate(nb.cells):
            await client.async_execute_cell(cell, index)
    except CellExecutionError as error:
        if error.ename == "KeyboardInterrupt":      # Ctrl-C inside a cell run in this process
            raise KeyboardInterrupt from None
        raise CellFailed(error.ename or "", error.evalue or "") from None


# --- the command line's: in this process -----------------------------------------------------------

_KERNEL = None                     # this process's in-process kernel, made by the first batch
_KEPT = None                       # inside a Jupyter kernel: the kernel kept beside it


def _in_process_classes():
    """ipykernel's in-process kernel manager and client, made to answer nbclient as a kernel
    process's do (its ``wait_for_ready`` and ``shutdown_kernel`` take no timeout or ``now``)."""
    from ipykernel.inprocess.blocking import BlockingInProcessKernelClient
    from ipykernel.inprocess.ipkernel import InProcessKernel
    from ipykernel.inprocess.manager import InProcessKernelManager
    from traitlets import default

    class Client(BlockingInProcessKernelClient):
        def wait_for_ready(self, timeout=None) -> None:
            # the kernel answers at once; ipykernel's own waits 0.2 s and prints what it drained
            self.kernel_info()
            self.get_shell_msg(timeout=timeout)
            while self.iopub_channel.msg_ready():
                self.get_iopub_msg()

    class Manager(InProcessKernelManager):
        @default("client_factory")
        def _client_factory_default(self):
            return Client

        def start_kernel(self, **_kwargs) -> None:
            global _KERNEL
            if _KERNEL is None:
                environment = dict(os.environ)      # the shell sets TERM, FORCE_COLOR, PAGER … for itself
                os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")   # else the debugger warns on stderr
                _KERNEL = InProcessKernel(session=self.session, user_module=types.ModuleType("teichaku_report"))
                os.environ.clear()
                os.environ.update(environment)
                # ipykernel stops the kernel's output thread at exit and leaves its clean-up task
                # pending, which asyncio reports on stderr; at that point nothing else is reported.
                atexit.register(lambda: logging.getLogger("asyncio").setLevel(logging.CRITICAL))
            self.kernel = _KERNEL

        def shutdown_kernel(self, now=False, restart=False) -> None:
            self.kernel = None          # kept for the next batch (stopping it leaves a task pending at exit)

    return Manager


class InProcess:
    """A kernel in this process for one batch: ``async with InProcess() as kernel: await
    kernel.run(nb)``."""

    async def __aenter__(self) -> InProcess:
        self._client = _client(kernel_manager_class=_in_process_classes())
        self._setup = self._client.async_setup_kernel()
        await self._setup.__aenter__()
        return self

    async def __aexit__(self, *exc) -> None:
        await self._setup.__aexit__(*exc)

    async def run(self, nb) -> None:
        await _run_cells(self._client, nb)


# --- the app's: one kernel process, kept ---------------------------------------------------------

class Kept:
    """One kernel process for every document of this process (the app's page), started on first
    use and again if it died.  Its calls come from any thread; they run one at a time on the
    kernel's own event loop, in a thread of their own."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client = None
        self._sockets: str | None = None

    async def __aenter__(self) -> Kept:
        return self

    async def __aexit__(self, *exc) -> None:
        """Nothing to end: the kernel stays for the next document."""

    def _submit(self, coroutine):
        """``coroutine`` running on the kernel's loop (a concurrent future)."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="teichaku-report-kernel", daemon=True).start()
                atexit.register(self.close)
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    @property
    def pid(self) -> int | None:
        """The kernel process's id (None before it started)."""
        return None if self._client is None else self._client.km.provisioner.pid

    async def _started(self):
        if self._client is not None and await self._client.km.is_alive():
            return self._client
        await self._stop()
        client = _client(kernel_name="python3")
        # Local sockets in a private folder rather than TCP on localhost: nothing else can connect.
        self._sockets = tempfile.mkdtemp(prefix="teichaku-kernel-")
        km = client.create_kernel_manager()
        km.transport = "ipc"
        km.ip = os.path.join(self._sockets, "kernel")
        # The kernel's own output is noise to staff.
        quiet = {} if os.environ.get("TEICHAKU_DEBUG") else {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        await client.async_start_new_kernel(**quiet)
        await client.async_start_new_kernel_client()
        self._client = client
        return client

    async def _run(self, nb) -> None:
        await _run_cells(await self._started(), nb)

    async def run(self, nb) -> None:
        """Execute ``nb``'s cells in place in the kept kernel."""
        await asyncio.wrap_future(self._submit(self._run(nb)))

    def warm(self, code: str = ""):
        """Start the kernel now, in the background (and run ``code`` in it, e.g. imports), so the
        first document does not wait for it.  Returns at once (a future of it)."""
        import nbformat

        return self._submit(self._run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code or "pass")])))

    async def _stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.kc.stop_channels()
                await client.km.shutdown_kernel(now=True)
            except Exception:          # noqa: BLE001 - it was dying already
                pass
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

    def close(self) -> None:
        """Stop the kernel (at the process's end)."""
        if self._loop is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
