"""The app's page as its notebook shows it (``opening.AppPage``): the app built in the cell,
or (the first page after the start) shown at once and built once the browser has drawn it; a
failure while building shown in Japanese.  Synthetic people only (the demo workbook)."""

from __future__ import annotations

import os
import threading

from teichaku_nb.app.opening import FAILED, OPEN_CLASS, READING, AppPage, _show
from teichaku_nb.server.preheat import PageRequest

from teichaku_nb.app.conference import ConferenceModel

from test_app_models import DEMO, TODAY, make_app


def read_demo(db: str) -> ConferenceModel:
    """The demo's records read, no widget made (what the first page reads beside the kernel)."""
    model = ConferenceModel(DEMO, db, demo=True, today=TODAY)
    model.load(fee_check=False)
    return model


def test_the_page_shows_the_built_app(tmp_path):
    page = AppPage(lambda: make_app(str(tmp_path / "records.sqlite")))
    assert page.box.children == (page.app.view,) and page.app.model.agenda.rows


def test_a_page_that_cannot_be_built_says_so_in_japanese():
    def broken():
        raise OSError("ケース記録を開けません")

    page = AppPage(broken)
    assert page.app is None
    assert page.box.children[0].value == "会議の画面を準備できませんでした: OSError: ケース記録を開けません"


# --- the first page after the start: shown at once, built once the browser has drawn it ----------

def test_the_first_page_says_the_records_are_read_and_is_built_when_the_browser_presses_open(tmp_path):
    db = str(tmp_path / "records.sqlite")
    page = AppPage.reading(lambda: read_demo(db), _show)
    assert [type(c).__name__ for c in page.box.children] == ["Label", "Button"]
    assert page.box.children[0].value == READING
    assert page.open_page.layout.display == "none" and OPEN_CLASS in page.open_page._dom_classes
    assert page.app is None                               # nothing built before the browser asks
    page.open_page.click()                                # what static/opening.js does once it is drawn
    assert page.box.children == (page.app.view,)
    assert page.app.model.agenda.rows and page.app.view.agenda.rows_box.children
    built = page.app
    page.open_page.click()                                # a second press builds nothing new
    assert page.app is built


def test_the_first_page_reads_in_a_thread_while_the_kernel_answers_the_browser(tmp_path):
    db = str(tmp_path / "records.sqlite")
    reading, go_on = threading.Event(), threading.Event()

    def read():
        reading.set()
        go_on.wait(30)
        return read_demo(db)

    page = AppPage.reading(read, _show)
    assert reading.wait(30)                               # the read runs beside the kernel's thread,
    assert page.box.children[0].value == READING          # which has shown the page already
    go_on.set()
    page.open_page.click()                                # and waits for the read when pressed
    assert page.app is not None and page.app.model.agenda.rows


def test_a_first_page_whose_records_cannot_be_read_says_so_in_japanese():
    def broken():
        raise OSError("ケース記録を開けません")

    page = AppPage.reading(broken, _show)
    page.open_page.click()
    assert page.app is None
    assert page.box.children[0].value == f"{FAILED}: OSError: ケース記録を開けません"


class FakeConnection:
    """The server's side of a preheated kernel's request websocket: the page's request (JSON)
    once it has come."""

    def __init__(self, request: str | None):
        self.request, self.closed = request, False

    def recv(self, timeout=None):
        if self.request is None:
            raise TimeoutError
        return self.request

    def close(self):
        self.closed = True


def test_a_preheated_kernel_learns_whether_a_page_is_already_waiting(monkeypatch):
    monkeypatch.delenv("QUERY_STRING", raising=False)
    waiting = PageRequest(FakeConnection('{"QUERY_STRING": "token=x"}'))
    assert waiting.arrived() and os.environ["QUERY_STRING"] == "token=x"
    nobody = FakeConnection(None)
    assert not PageRequest(nobody).arrived() and not nobody.closed     # kept: the page's request comes on it
