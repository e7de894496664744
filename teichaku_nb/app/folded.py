"""Folded panels built when they are first opened.

The page opens with the 帳票の出力, 会議の記録 and 就労定着率と就労確認 panels folded; the
browser loads every widget's state before it shows anything, so a folded panel is an empty
box until staff open it (``Folded``), and the first page shows the agenda sooner.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as w


class Folded(w.Accordion):
    """An accordion of ``(title, make)`` panels, all folded; ``make()`` builds a panel the
    first time it is opened (``panel(i)`` builds it as opening does)."""

    def __init__(self, panels: list[tuple[str, Callable[[], w.Widget]]], **kwargs):
        self._makers = [make for _title, make in panels]
        self._built: dict[int, w.Widget] = {}
        super().__init__(children=[w.VBox() for _ in panels], titles=tuple(title for title, _make in panels),
                         selected_index=None, **kwargs)
        self.observe(self._opened, names="selected_index")

    def _opened(self, change) -> None:
        if change["new"] is not None:
            self.panel(change["new"])

    def panel(self, index: int) -> w.Widget:
        if index not in self._built:
            self._built[index] = self._makers[index]()
            children = list(self.children)
            children[index] = self._built[index]
            self.children = children
        return self._built[index]
