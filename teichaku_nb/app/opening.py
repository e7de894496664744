"""The app's page as its notebook shows it.

The notebook (``notebooks/app/conference.ipynb``) shows ``AppPage``: it imports the app, reads
the workbook and the conference records and builds ``ConferenceApp`` (``make``), in the cell,
on the kernel's own thread: ipywidgets are not made to be built by one thread while another
answers the browser (a page built beside the kernel's thread sometimes never finished
loading).  This module loads only the widgets: the app, pandas and the store are imported
when the page is built.

A preheated kernel builds the page before anyone opens it; ``wait_for_viewer`` waits for a
viewer and then reads the records again if someone saved since (``viewer_arrived``); from
then on the page looks for others' saves every few seconds (``ConferenceApp.watch``).
A failure while building is shown in Japanese on the page and logged.
"""

from __future__ import annotations

import os
from typing import Callable

import ipywidgets as w

FAILED = "会議の画面を準備できませんでした"


def _from_environment():
    from .conference import ConferenceApp
    return ConferenceApp.from_environment()


class AppPage:
    """``AppPage.from_environment()``, then ``wait_for_viewer()`` and display."""

    def __init__(self, make: Callable[[], object]):
        self.box = w.VBox()
        self.box.add_class("teichaku-page")
        try:
            self.app = make()
            self.box.children = [self.app.view]
        except Exception as error:     # never an empty page: say what failed
            from .common import log
            log.exception("building the page: %s", error)
            self.box.children = [w.Label(f"{FAILED}: {type(error).__name__}: {error}")]
            self.app = None

    @classmethod
    def from_environment(cls) -> AppPage:
        return cls(_from_environment)

    def wait_for_viewer(self) -> None:
        """Under Voila's preheated kernels, pause until a viewer opens the page, then read the
        records again (elsewhere, at once); then look for others' saves."""
        if self.app is None:
            return
        if os.environ.get("VOILA_PREHEAT", "False") != "False":
            try:
                from ..server.preheat import wait_for_request    # Voila's own has no token: refused
                wait_for_request()
            except Exception as error:  # never leave the page empty: show what we have
                from .common import log
                log.error("wait_for_request: %s", error)
            self.app.model.viewer_arrived()
        self.app.watch()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)
