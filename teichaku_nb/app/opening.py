"""The app's page as its notebook shows it.

The notebook (``app_notebook/conference.ipynb``) shows ``AppPage``.  This module imports
nothing heavy: the records are read first, and the app, pandas and the store are imported by
that read.  A failure while reading or building is shown in Japanese on the page and logged.

Under Voila's preheated kernels (``server.preheat``) a kernel runs the notebook before anyone
opens the page.  It reads the records in a thread (models only, no widget) and meanwhile listens
for a page:

- **nobody yet** (a kernel prepared for the next page): once the records are read, the widgets
  are built in the cell; ``wait_for_viewer`` then waits for the page and reads the records
  again if someone saved since (``viewer_arrived``).
- **a page is waiting** (the first page after ``teichaku app`` started: the browser asked
  before the kernel was ready): the cell ends at once with a line saying the records are
  being read, so the browser loads the page's scripts while the thread reads.  Once read, the
  widgets are built on the kernel's own thread (``build_once_read``).

On every path the page learns who opened it (the 記録者: ``ConferenceModel.sign_in``) only once
the page's request has arrived: the server writes the signed-in person into it, and a preheated
kernel has the request's details in its environment from then on.

Either way the kernel tells the server when the page is built and its widgets sent
(``PageRequest.built``, ``_widgets_sent``), and the server lets the browser connect to the
kernel only then: the browser receives the page whole.  Widgets made or sent while a browser
connects could reach it before the widgets they are made of, and the page would stay half
drawn.  For the same reason the first page's hidden forms wait until
the browser has drawn the agenda: static/opening.js then presses the page's hidden button
(``open_page``), and the page starts looking for others' saves and builds its forms
(``ConferenceApp.watch``).  Outside Voila (a test, nbclient) the page is built in the cell.
"""

from __future__ import annotations

import asyncio
import html
import threading
from typing import Callable

FAILED = "会議の画面を準備できませんでした"
READING = "ケース記録と会議記録を読み込んでいます…"
OPEN_CLASS = "teichaku-open-page"      # the page script (static/opening.js) presses it once it is drawn
READING_CLASS = "teichaku-reading"      # the line the page shows while it waits; the page script removes it


def _log():
    from .common import log          # common loads pandas: only when there is something to say
    return log


def _read_environment():
    """The records read as the launcher says (no widget is made); the fee check waits until
    the agenda is shown (``ConferenceModel.fee_check``)."""
    import gc

    from .conference import ConferenceModel
    collecting = gc.isenabled()
    gc.disable()           # reading makes many objects and frees few: collecting meanwhile only costs time
    try:
        model = ConferenceModel.from_environment()
        model.load(fee_check=False)
    finally:
        if collecting:
            gc.enable()
    return model


def _widgets_sent(timeout: float = 10.0) -> None:
    """Wait until the kernel has sent every message so far (the widgets just made).

    ipykernel sends its messages from a thread of its own, in order, and a page that connects
    receives only what is sent after it did: a widget still queued when the server lets the
    page in would reach it while it loads the page's widgets, before the widgets it is made
    of, and the page would stay half drawn."""
    from IPython import get_ipython

    sender = getattr(getattr(get_ipython(), "kernel", None), "iopub_thread", None)
    if sender is None:               # no kernel (a test): nothing is sent
        return
    sent = threading.Event()
    sender.schedule(sent.set)        # runs after everything queued before it
    sent.wait(timeout)


def _show(model):
    from .views.conference import ConferenceApp
    return ConferenceApp(model)


class AppPage:
    """``AppPage.from_environment()``, then ``wait_for_viewer()`` and display."""

    def __init__(self):
        import ipywidgets as w        # here, not above: a preheated kernel starts its read first

        self.box = w.VBox()
        self.box.add_class("teichaku-page")
        self.app = None
        self.request = None            # a preheated kernel's connection, while it waits for its page
        self.reader = self.open_page = None     # ``reading``: the thread and the drawn page's button
        self.waiting = self.built = False       # a page waits for the widgets; they are built
        self._records: list = []
        self._show: Callable[[object], object] | None = None

    @classmethod
    def from_environment(cls) -> AppPage:
        from ..server.preheat import PageRequest
        page = cls.reading(_read_environment, _show)     # first: the read is the page's longest wait
        try:
            request = PageRequest.open()
        except Exception as error:     # built as without preheating: the page is still served
            _log().error("preheated kernel: %s", error)
            request = None
        if request is None:
            page.build(ahead=True)
            return page
        try:
            while page.reader.is_alive():
                if request.arrived(timeout=0.05):
                    page.build_once_read(request)     # shown now, built once read
                    return page
        except Exception as error:     # the page's request is lost: build now, do not wait for it
            _log().error("preheated kernel: %s", error)
            request.close()            # the server lets the page connect
            request = None
        page.build(ahead=True)
        page.request = request
        page._said_built()
        return page

    @classmethod
    def reading(cls, read: Callable[[], object], show: Callable[[object], object]) -> AppPage:
        """A page whose records ``read()`` reads now, in a thread, and whose widgets
        ``show(records)`` builds when ``build`` is called."""
        records: list = []

        def reading() -> None:
            try:
                records.append(read())
            except Exception as error:   # shown when the widgets are built
                records.append(error)

        reader = threading.Thread(target=reading, name="teichaku-read", daemon=True)
        reader.start()                   # before the page's widgets are even imported
        import ipywidgets as w

        page = cls()
        page._show, page._records, page.reader = show, records, reader
        page.open_page = w.Button(description="会議の画面を開く", layout=w.Layout(display="none"))
        page.open_page.add_class(OPEN_CLASS)
        page.open_page.on_click(lambda _button: page._drawn())
        return page

    def build_once_read(self, request=None, loop=None) -> None:
        """A page is waiting: show the line saying the records are being read (``shown``),
        build the widgets on the kernel's event loop once they are, then tell ``request``."""
        self.waiting, self.request = True, request
        loop = loop or asyncio.get_running_loop()       # the kernel's, in a cell (``watch`` would load pandas)

        def when_read() -> None:
            self.reader.join()
            loop.call_soon_threadsafe(self.build)

        threading.Thread(target=when_read, name="teichaku-build", daemon=True).start()

    def build(self, *, ahead: bool = False) -> None:
        """Build the page once the records are read: ``ahead`` (nobody waits yet) with its fee
        check and its forms; else (a page is waiting) with the hidden button the browser
        presses once it has drawn the page."""
        if self.built:                  # built once
            return
        self.built = True
        self.reader.join()
        records = self._records[0]
        try:
            if isinstance(records, Exception):
                raise records
            self.app = self._show(records)
            if ahead:       # the whole page before the browser connects: the warm-up must not build
                            # widgets while the browser may be receiving the page's
                self.app.model.fee_check()
                self.app.view.forms.build()
            else:           # a page is waiting: its request (who signed in) has arrived
                self.app.model.sign_in()
            self.box.children = [self.app.view]
        except Exception as error:     # never an empty page: say what failed
            import ipywidgets as w

            _log().exception("building the page: %s", error)
            self.box.children = [w.Label(f"{FAILED}: {type(error).__name__}: {error}")]
            self.app = None
        if not ahead:
            self.box.children = [*self.box.children, self.open_page]
            _log().info("page built while the browser loaded it (the first page after the start)")
            self._said_built()

    def _said_built(self) -> None:
        """Tell the server the page is built: it lets the browser connect."""
        if self.request is not None:
            _widgets_sent()
            try:
                self.request.built()
            except Exception as error:     # the server then lets the browser in after its wait
                _log().error("preheated kernel: %s", error)
            if self.waiting:
                self.request = None

    def _drawn(self) -> None:
        """The browser has drawn the page built while it loaded: look for others' saves, and
        build the hidden forms (``ConferenceApp.watch``)."""
        if not self.open_page.disabled:
            self.open_page.disabled = True
            if self.app is not None:
                self.app.watch()

    def wait_for_viewer(self) -> None:
        """A kernel prepared ahead: pause until a page takes it, then learn who opened it (the
        page's 記録者: ``ConferenceModel.sign_in``, never before the request arrived) and read the
        records again if someone saved since; then look for others' saves (a page built once drawn
        already does)."""
        if self.app is None:
            return
        if self.request is not None:
            try:
                self.request.wait()
            except Exception as error:  # never leave the page empty: show what we have
                _log().error("wait_for_request: %s", error)
            self.request = None
            self.app.model.viewer_arrived()          # who signed in, and the records again
        else:                                        # not preheated: the kernel started with the request
            self.app.model.sign_in()
        self.app.watch()

    def shown(self) -> list:
        """What the cell shows: the widgets, after the line a waiting page shows first (plain
        HTML: the browser shows it before it connects to the kernel)."""
        from IPython.display import HTML

        line = [HTML(f'<p class="{READING_CLASS}">{html.escape(READING)}</p>')] if self.waiting else []
        return [*line, self.box]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(*self.shown())
