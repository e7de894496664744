"""The app's page as its notebook shows it (``opening.AppPage``): on screen at once with a
Japanese note, the app in its place once built, what waits for it run after; a failure while
building shown in Japanese.  Synthetic people only (the demo workbook)."""

from __future__ import annotations

import threading

from teichaku_nb.app.opening import PREPARING, AppPage

from test_app_models import make_app


def test_the_page_says_it_is_being_prepared_then_shows_the_app_and_reads_again_after(tmp_path):
    gate, seen = threading.Event(), []
    page = AppPage(lambda: gate.wait(120) and make_app(str(tmp_path / "records.sqlite")))
    assert [child.value for child in page.box.children] == [PREPARING]
    page.when_built(lambda app: seen.append(app.model.agenda.rows[0]["user_id"]))
    assert seen == []                                   # waits for the page
    gate.set()
    app = page.app
    assert page.box.children == (app.view,)
    assert seen == [app.model.agenda.rows[0]["user_id"]] and app.model.agenda.rows
    page.when_built(lambda built: seen.append("again"))     # built: at once
    assert seen[-1] == "again"


def test_a_page_that_cannot_be_built_says_so_in_japanese():
    def broken():
        raise OSError("ケース記録を開けません")

    page = AppPage(broken)
    assert page.app is None
    assert page.box.children[0].value == "会議の画面を準備できませんでした: OSError: ケース記録を開けません"
