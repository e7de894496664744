"""The app's page as its notebook shows it (``opening.AppPage``): the app built in the cell,
or (the first page after the start) shown at once, built once read and before the browser
connects (the kernel tells the server); a failure while building shown in Japanese.  Synthetic people only (the demo workbook)."""

from __future__ import annotations

import asyncio
import os
import threading

from teichaku_nb.app.opening import FAILED, OPEN_CLASS, READING, READING_CLASS, AppPage, _show
from teichaku_nb.server.preheat import PageRequest

from teichaku_nb.app.conference import ConferenceModel

from test_app_models import DEMO, TODAY


def read_demo(db: str) -> ConferenceModel:
    """The demo's records read, no widget made (what the first page reads beside the kernel)."""
    model = ConferenceModel(DEMO, db, demo=True, today=TODAY)
    model.load(fee_check=False)
    return model


def test_the_page_shows_the_built_app(tmp_path):
    db = str(tmp_path / "records.sqlite")
    page = AppPage.reading(lambda: read_demo(db), _show)
    page.build(ahead=True)                                # in the cell: no page waits yet
    assert page.box.children == (page.app.view,) and page.app.model.agenda.rows


def test_a_page_that_cannot_be_built_says_so_in_japanese():
    def broken():
        raise OSError("ケース記録を開けません")

    page = AppPage.reading(broken, _show)
    page.build(ahead=True)
    assert page.app is None
    assert page.box.children[0].value == "会議の画面を準備できませんでした: OSError: ケース記録を開けません"


# --- the first page after the start: shown at once, built once read, before the browser connects ---

class FakeRequest:
    """The kernel's connection to the server (``PageRequest``), as far as a page built once read
    uses it: ``built`` is said on the kernel's event loop, once."""

    def __init__(self, loop):
        self.said = []
        self.told = loop.create_future()

    def built(self):
        self.said.append("built")
        if not self.told.done():
            self.told.set_result(True)


def build_on_a_loop(page):
    """What the kernel does after its cell ended: run its event loop until the page tells the
    server it is built."""
    loop = asyncio.new_event_loop()
    try:
        request = FakeRequest(loop)
        page.build_once_read(request, loop)
        loop.run_until_complete(asyncio.wait_for(request.told, 60))
        return request
    finally:
        loop.close()


def shown_line(page) -> str:
    """The plain HTML the cell shows before the page's widgets (empty when none)."""
    from IPython.display import HTML
    return "".join(o.data for o in page.shown() if isinstance(o, HTML))


def test_the_first_page_says_the_records_are_read_and_is_built_before_the_browser_connects(tmp_path):
    db = str(tmp_path / "records.sqlite")
    page = AppPage.reading(lambda: read_demo(db), _show)
    assert shown_line(page) == ""                         # a page prepared ahead shows no such line
    request = build_on_a_loop(page)
    assert READING in shown_line(page) and READING_CLASS in shown_line(page)   # shown before the widgets
    assert request.said == ["built"]                      # the server lets the browser connect now
    assert page.box.children == (page.app.view, page.open_page)
    assert page.app.model.agenda.rows and page.app.view.agenda.rows_box.children
    assert page.open_page.layout.display == "none" and OPEN_CLASS in page.open_page._dom_classes
    assert page.app.view.right.children == (page.app.view.case_head, page.app.view.placeholder)  # forms wait
    page.open_page.click()                                # what static/opening.js does once it is drawn
    assert page.open_page.disabled


def test_the_first_page_reads_in_a_thread_while_the_kernel_answers_the_browser(tmp_path):
    db = str(tmp_path / "records.sqlite")
    reading, go_on = threading.Event(), threading.Event()

    def read():
        reading.set()
        go_on.wait(30)
        return read_demo(db)

    page = AppPage.reading(read, _show)
    assert reading.wait(30)                               # the read runs beside the kernel's thread,
    assert page.app is None and page.box.children == ()   # which has built nothing yet
    go_on.set()
    build_on_a_loop(page)                                 # and builds once it is read
    assert page.app is not None and page.app.model.agenda.rows


def test_a_first_page_whose_records_cannot_be_read_says_so_in_japanese_and_lets_the_browser_in():
    def broken():
        raise OSError("ケース記録を開けません")

    page = AppPage.reading(broken, _show)
    request = build_on_a_loop(page)
    assert page.app is None and request.said == ["built"]
    assert page.box.children[0].value == f"{FAILED}: OSError: ケース記録を開けません"


class FakeConnection:
    """The server's side of a preheated kernel's request websocket: the page's request (JSON)
    once it has come, and what the kernel said."""

    def __init__(self, request: str | None):
        self.request, self.closed, self.said = request, False, []

    def recv(self, timeout=None):
        if self.request is None:
            raise TimeoutError
        return self.request

    def send(self, message):
        self.said.append(message)

    def close(self):
        self.closed = True


def test_a_preheated_kernel_says_it_builds_and_learns_whether_a_page_is_already_waiting(monkeypatch):
    from teichaku_nb.server import preheat
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    waiting = FakeConnection('{"QUERY_STRING": "token=x"}')
    monkeypatch.setattr(preheat, "_connect", lambda: waiting)
    request = PageRequest.open()
    assert waiting.said == [preheat.BUILDING]             # the server holds the page's connection
    assert request.arrived() and os.environ["QUERY_STRING"] == "token=x"
    assert not waiting.closed                             # built is still to be said
    request.built()
    assert waiting.said == [preheat.BUILDING, preheat.BUILT] and waiting.closed


def test_a_kernel_prepared_ahead_says_built_then_waits_for_its_page_on_the_same_connection():
    nobody = FakeConnection(None)
    request = PageRequest(nobody)
    assert not request.arrived()
    request.built()
    assert nobody.said == ["built"] and not nobody.closed   # kept: the page's request comes on it
    nobody.request = '{"QUERY_STRING": ""}'
    request.wait()
    assert nobody.closed


class HeldSender:
    """ipykernel's sending thread (``kernel.iopub_thread``): runs what is scheduled, in order,
    once released."""

    def __init__(self):
        self.queue: list = []
        self.sent: list[str] = []
        self.changed = threading.Condition()
        self.released = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def schedule(self, f):
        with self.changed:
            self.queue.append(f)
            self.changed.notify_all()

    def _run(self):
        self.released.wait()
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self.queue)
                f = self.queue.pop(0)
            f()


def test_the_server_hears_built_only_once_the_kernel_has_sent_the_widgets(monkeypatch):
    """The widgets just made may still wait in ipykernel's sending thread: a page let in before
    they are sent would receive them while it loads the page, before the widgets they are
    made of."""
    import types

    import IPython

    sender = HeldSender()
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(
        kernel=types.SimpleNamespace(iopub_thread=sender)))
    for n in range(3):                                      # the build's messages, queued
        sender.schedule(lambda n=n: sender.sent.append(f"widget {n}"))
    heard = []
    request = types.SimpleNamespace(built=lambda: heard.append(list(sender.sent)))
    page = AppPage()
    page.request = request

    def release_once_asked():                              # the page asks after the three
        with sender.changed:
            sender.changed.wait_for(lambda: len(sender.queue) == 4, timeout=30)
        sender.released.set()

    threading.Thread(target=release_once_asked, daemon=True).start()
    page._said_built()
    assert heard == [["widget 0", "widget 1", "widget 2"]]
