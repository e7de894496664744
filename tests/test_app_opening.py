"""The app's page as its notebook shows it (``opening.AppPage``): the app built in the cell,
a failure while building shown in Japanese.  Synthetic people only (the demo workbook)."""

from __future__ import annotations

from teichaku_nb.app.opening import AppPage

from test_app_models import make_app


def test_the_page_shows_the_built_app(tmp_path):
    page = AppPage(lambda: make_app(str(tmp_path / "records.sqlite")))
    assert page.box.children == (page.app.view,) and page.app.model.agenda.rows


def test_a_page_that_cannot_be_built_says_so_in_japanese():
    def broken():
        raise OSError("ケース記録を開けません")

    page = AppPage(broken)
    assert page.app is None
    assert page.box.children[0].value == "会議の画面を準備できませんでした: OSError: ケース記録を開けません"
