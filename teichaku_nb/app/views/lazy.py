"""Views built when they are first needed: the one way the page defers a view (``Lazy``).

The browser loads every widget's state before it shows anything, so the first page shows the
agenda sooner when what staff do not see yet is not built: the folded panels (帳票の出力, 会議の
記録, 就労定着率と就労確認, 運営指導の準備, 職員アカウントとアクセス記録: ``Folded``) and the open case's panel with
its forms (the case column of ``views/conference.py``).  A ``Lazy`` knows how to make its view and where to put it on the
page; ``build()`` makes it the first time and gives the same view after, ``built`` says whether
it is made.  ``shown`` is set by what shows it (its section of the accordion opened, a case
opened): the view is built when it first becomes true, and a model that computes only while on
screen follows it (``ChecksModel.shown``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import ipywidgets as w
import traitlets as t


class Lazy(t.HasTraits):
    """A view made by ``make()`` the first time it is needed, then put on the page by ``place(view)``."""

    shown = t.Bool(False)          # on screen now: built the first time it is

    def __init__(self, make: Callable[[], object], place: Callable[[object], None] = lambda _view: None):
        super().__init__()
        self._make, self._place = make, place
        self.view = None
        self.observe(self._on_shown, names="shown")

    @property
    def built(self) -> bool:
        return self.view is not None

    def build(self):
        """The view, made (and placed) the first time."""
        if self.view is None:
            self.view = self._make()
            self._place(self.view)
        return self.view

    def _on_shown(self, change) -> None:
        if change["new"]:
            self.build()


class Folded(w.Accordion):
    """An accordion of ``(title, make)`` sections, all folded, each a ``Lazy`` (``sections``): an
    empty box until it is opened, which builds its view and puts it in the box's place."""

    def __init__(self, sections: list[tuple[str, Callable[[], w.Widget]]], **kwargs):
        super().__init__(children=[w.VBox() for _ in sections], titles=tuple(title for title, _make in sections),
                         selected_index=None, **kwargs)
        self.sections = [Lazy(make, partial(self._place, index)) for index, (_title, make) in enumerate(sections)]
        self.observe(self._opened, names="selected_index")

    def _opened(self, change) -> None:
        for index, section in enumerate(self.sections):
            section.shown = index == change["new"]

    def _place(self, index: int, view: w.Widget) -> None:
        children = list(self.children)
        children[index] = view
        self.children = children
