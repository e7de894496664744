"""The app's page as its notebook shows it.

The notebook (``notebooks/app/conference.ipynb``) shows ``AppPage``.  This module loads only
the widgets: the app, pandas and the store are imported when the page is built.  A failure
while building is shown in Japanese on the page and logged.

Under Voila's preheated kernels (``server.preheat``) a kernel runs the notebook before anyone
opens the page.  It reads the records in a thread (models only, no widget) and meanwhile listens
for a page:

- **nobody yet** (a kernel prepared for the next page): once the records are read, the widgets
  are built in the cell, on the kernel's own thread; ``wait_for_viewer`` then waits for the page
  and reads the records again if someone saved since (``viewer_arrived``).
- **a page is waiting** (the first page after ``teichaku app`` started: the browser asked
  before the kernel was ready): the cell shows a line saying the records are being read, and
  the browser loads the page's scripts while the thread reads.  The widgets are built once the
  browser has drawn that line: static/opening.js then presses the line's hidden button
  (``open_page``), and the kernel builds the page as after any click.  Built earlier, while the
  browser connects and receives the widgets it was told of, some would reach it before the
  widgets they are made of, and the page would stay half drawn.

Either way, from then on the page looks for others' saves every few seconds
(``ConferenceApp.watch``).  Outside Voila (a test, nbclient) the page is built in the cell.
"""

from __future__ import annotations

import threading
from typing import Callable

import ipywidgets as w

FAILED = "会議の画面を準備できませんでした"
READING = "ケース記録と会議記録を読み込んでいます…"
OPEN_CLASS = "teichaku-open-page"      # the page script (static/opening.js) presses it once it is drawn


def _log():
    from .common import log          # common loads pandas: only when there is something to say
    return log


def _from_environment():
    """The whole page, forms included: built in the cell, before the browser connects (the
    warm-up must not build widgets while the browser may be receiving the page's)."""
    from .conference import ConferenceApp
    app = ConferenceApp.from_environment()
    app.view.build_forms()
    return app


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


def _show(model):
    from .conference import ConferenceApp
    return ConferenceApp(model)


class AppPage:
    """``AppPage.from_environment()``, then ``wait_for_viewer()`` and display."""

    def __init__(self, make: Callable[[], object] | None = None):
        self.box = w.VBox()
        self.box.add_class("teichaku-page")
        self.app = None
        self.request = None            # a preheated kernel's connection, while it waits for its page
        self.reader = self.open_page = None     # ``reading``: the thread and the first line's button
        self._records: list = []
        self._show: Callable[[object], object] | None = None
        if make is not None:
            self._build(make)

    def _build(self, make: Callable[[], object]) -> None:
        try:
            self.app = make()
            self.box.children = [self.app.view]
        except Exception as error:     # never an empty page: say what failed
            _log().exception("building the page: %s", error)
            self.box.children = [w.Label(f"{FAILED}: {type(error).__name__}: {error}")]
            self.app = None

    @classmethod
    def from_environment(cls) -> AppPage:
        from ..server.preheat import PageRequest
        try:
            request = PageRequest.open()
        except Exception as error:     # built as without preheating: the page is still served
            _log().error("preheated kernel: %s", error)
            request = None
        if request is None:
            return cls(_from_environment)
        page = cls.reading(_read_environment, _show)
        try:
            while page.reader.is_alive():
                if request.arrived(timeout=0.05):
                    return page                      # shown now, built once drawn
        except Exception as error:     # the page's request is lost: build now, do not wait for it
            _log().error("preheated kernel: %s", error)
            request = None
        page.build(ahead=True)
        page.request = request
        return page

    @classmethod
    def reading(cls, read: Callable[[], object], show: Callable[[object], object]) -> AppPage:
        """A page whose records ``read()`` reads now, in a thread, and whose widgets
        ``show(records)`` builds when ``build`` is called (the browser's press of ``open_page``)."""
        page = cls()
        page._show = show

        def reading() -> None:
            try:
                page._records.append(read())
            except Exception as error:   # shown when the widgets are built
                page._records.append(error)

        page.reader = threading.Thread(target=reading, name="teichaku-read", daemon=True)
        page.reader.start()
        page.open_page = w.Button(description="会議の画面を開く", layout=w.Layout(display="none"))
        page.open_page.add_class(OPEN_CLASS)
        page.open_page.on_click(lambda _button: page.build())
        page.box.children = [w.Label(READING), page.open_page]
        return page

    def build(self, *, ahead: bool = False) -> None:
        """Build the page once the records are read: ``ahead`` (nobody waits yet) with its fee
        check and its forms; else when the browser has drawn the first line, and watch from
        now on."""
        if self.open_page.disabled:                  # built once
            return
        self.open_page.disabled = True
        self.reader.join()
        records = self._records[0]

        def make():
            if isinstance(records, Exception):
                raise records
            app = self._show(records)
            if ahead:                    # the whole page before the browser connects (``_from_environment``)
                app.model.fee_check()
                app.view.build_forms()
            return app

        self._build(make)
        if self.app is not None and not ahead:
            _log().info("page built while the browser loaded it (the first page after the start)")
            self.app.watch()

    def wait_for_viewer(self) -> None:
        """A kernel prepared ahead: pause until a page takes it, then read the records again if
        someone saved since; then look for others' saves (a page built once drawn already does)."""
        if self.app is None:
            return
        if self.request is not None:
            try:
                self.request.wait()
            except Exception as error:  # never leave the page empty: show what we have
                _log().error("wait_for_request: %s", error)
            self.request = None
            self.app.model.viewer_arrived()
        self.app.watch()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)
