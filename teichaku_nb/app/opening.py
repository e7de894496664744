"""The app's page as its notebook shows it: on screen at once, built beside it.

The notebook (``notebooks/app/conference.ipynb``) shows ``AppPage``: a box that says the
page is being prepared, and a thread that imports the app, reads the workbook and the
conference records and builds ``ConferenceApp`` (``make``), then puts its view in the box.
The page is sent to the browser as soon as the notebook's cells have run, so the browser
loads its scripts while the kernel reads and computes (on a server that has just started,
both would otherwise wait for each other).  This module loads only the widgets: the app,
pandas and the store are imported by the thread.

A preheated kernel builds the page before anyone opens it; ``wait_for_viewer`` waits for a
viewer and then reads the records again if someone saved since (``viewer_arrived``), once
the page is built.  A failure while building is shown in Japanese in the box and logged.
"""

from __future__ import annotations

import os
import threading
from typing import Callable

import ipywidgets as w

PREPARING = "会議の画面を準備しています（ケース記録と会議記録を読み込んでいます）…"


def _from_environment():
    from .conference import ConferenceApp
    return ConferenceApp.from_environment()


class AppPage:
    """``AppPage.from_environment()``, then ``wait_for_viewer()`` and display."""

    def __init__(self, make: Callable[[], object]):
        self.box = w.VBox([w.Label(PREPARING)])
        self.box.add_class("teichaku-page")
        self._app = None
        self._built = threading.Event()
        self._lock = threading.Lock()
        self._then: list[Callable[[object], None]] = []      # what waits for the page to be built
        self._thread = threading.Thread(target=self._build, args=(make,), name="teichaku-page", daemon=True)
        self._thread.start()

    @classmethod
    def from_environment(cls) -> AppPage:
        return cls(_from_environment)

    def _build(self, make) -> None:
        try:
            app = make()
            self.box.children = [app.view]
        except Exception as error:     # never an empty page: say what failed
            from .common import log
            log.exception("building the page: %s", error)
            self.box.children = [w.Label(f"会議の画面を準備できませんでした: {type(error).__name__}: {error}")]
            app = None
        while True:                    # what waited for the page, then the page is built
            with self._lock:
                then, self._then = self._then, []
                if not then:
                    self._app = app
                    self._built.set()
                    return
            for step in then:
                self._run(step, app)

    @staticmethod
    def _run(step, app) -> None:
        if app is None:
            return
        try:
            step(app)
        except Exception as error:     # shown by the app's guard where it can be; logged always
            from .common import log
            log.exception("after building the page: %s", error)

    def when_built(self, step: Callable[[object], None]) -> None:
        """Run ``step(app)`` once the page is built (at once if it is)."""
        with self._lock:
            if not self._built.is_set():
                self._then.append(step)
                return
        self._run(step, self._app)

    @property
    def app(self):
        """The built ``ConferenceApp`` (waits for it; None if building failed)."""
        self._built.wait()
        return self._app

    def wait_for_viewer(self) -> None:
        """Under Voila's preheated kernels, pause until a viewer opens the page; the page reads
        the records again when it is built (elsewhere, return at once)."""
        if os.environ.get("VOILA_PREHEAT", "False") == "False":
            return
        try:
            from ..server.preheat import wait_for_request    # Voila's own has no token: refused
            wait_for_request()
        except Exception as error:  # never leave the page empty: show what we have
            from .common import log
            log.error("wait_for_request: %s", error)
        self.when_built(lambda app: app.model.viewer_arrived())

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)
