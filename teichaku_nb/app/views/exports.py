"""The export panel's view: what to make, 作成, a progress bar and the download links."""

from __future__ import annotations

import ipywidgets as w

from ... import documents
from ...markup import render
from ..common import Guard
from ..exports import COPIES, FORMATS, KINDS, SCOPES, ExportModel
from .common import Results


class ExportView(w.VBox):
    """Choices, a button, a progress bar and the download links."""

    def __init__(self, model: ExportModel, guard: Guard, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.add_class("teichaku-export")
        self.kind = w.Dropdown(options=KINDS, description="帳票", layout=w.Layout(width="16em"))
        self.audience = w.Dropdown(options=COPIES, description="宛先", layout=w.Layout(width="16em"))
        self.scope = w.Dropdown(options=SCOPES, description="対象", layout=w.Layout(width="22em"))
        self.fmt = w.ToggleButtons(options=FORMATS, layout=w.Layout(width="auto"),
                                   style={"button_width": "5em"})
        for name in ("kind", "audience", "scope", "fmt"):
            w.link((model, name), (getattr(self, name), "value"))
        # what 作成 did, right below it (common.Results): its error too, not at the top of the page
        self.results = Results(model, guard, message="status", kind="status_kind",
                               draw=lambda text, how: render("app/export_status.html.j2", status=text,
                                                             notes=model.notes, kind=how))
        self.status = self.results.line("make", "export-status")
        self.button = self.results.button("作成", "export-make", self._make, "帳票の作成", line="make", width="8em",
                                          icon="file", button_style="info")
        self.bar = w.IntProgress(min=0, max=1, value=0, layout=w.Layout(width="16em", display="none"))
        self.link = w.HTML()
        self.link.add_class("teichaku-export-link")
        model.observe(guard.wrap(self._render, "帳票の表示"),
                      names=["progress", "status", "status_kind", "notes", "link_uri", "checks_uri", "kind"])
        self._render()
        self.children = [
            w.HTML(render("app/export_intro.html.j2")),
            w.HBox([self.kind, self.audience, self.scope]), w.HBox([self.fmt, self.button, self.bar]),
            self.status, self.link]

    def _make(self) -> None:
        self.button.disabled = True
        try:
            self.model.make()
        except Exception:
            self.model.status, self.model.notes = "", []
            raise                       # logged, and shown in Japanese below the button (Results)
        finally:
            self.button.disabled = False

    def _render(self, _change=None) -> None:
        m = self.model
        asked = documents.kind(m.kind)
        self.audience.layout.display = "" if asked.copies else "none"
        self.scope.layout.display = "" if asked.of_people else "none"
        done, total = m.progress
        self.bar.layout.display = "" if total and done < total else "none"
        self.bar.max, self.bar.value = max(total, 1), done
        self.results.show()
        self.link.value = render("app/export_links.html.j2", name=m.link_name, uri=m.link_uri,
                                 checks_name=m.checks_name, checks_uri=m.checks_uri)
