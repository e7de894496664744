"""The conference app (Voila): one model and one view per panel.

``app/<panel>.py`` is a panel's model (state and logic, traitlets only, on the base of
``panel.py``); ``app/views/<panel>.py`` is its view (ipywidgets), which observes the model and
draws it.  Nothing outside ``app/views/`` imports the widgets but ``opening.py``, the page the
app's notebook shows (``AppPage``, showing a ``ConferenceApp`` of the records the launcher
names), which imports them only once the records are being read.  ``teichaku app``
(``teichaku_nb.server``) serves that notebook with Voila.  This package runs in the notebook's
kernel (it loads the widgets, pandas and the store); the web server imports nothing from it.
The classes are imported when first asked for.
"""

from __future__ import annotations

from importlib import import_module

_MODELS = {
    "agenda": ["AgendaModel"],
    "audit": ["AuditModel"],
    "case": ["CaseModel"],
    "checks": ["ChecksModel"],
    "common": ["Guard"],
    "conference": ["ConferenceModel"],
    "exports": ["ExportModel"],
    "handover": ["HandoverModel"],
    "header": ["HeaderModel"],
    "meeting": ["MeetingModel"],
    "panel": ["Case", "Context", "Panel"],
    "plan": ["MonitoringModel", "PlanDocumentModel"],
    "plan_draft": ["DraftModel"],
    "review": ["ReviewModel"],
    "sending": ["SendingModel"],
    "staff_admin": ["StaffAdminModel"],
    "watch": ["OthersModel"],
}
_VIEWS = {
    "agenda": ["AgendaView"],
    "audit": ["AuditView"],
    "case": ["CaseView"],
    "checks": ["ChecksView"],
    "conference": ["ConferenceApp", "ConferenceView"],
    "exports": ["ExportView"],
    "handover": ["HandoverView"],
    "header": ["HeaderView"],
    "lazy": ["Lazy"],
    "meeting": ["MeetingView"],
    "plan": ["PlanView"],
    "plan_draft": ["DraftView"],
    "review": ["ReviewView"],
    "sending": ["SendingView"],
    "staff_admin": ["StaffAdminView"],
}
_HOMES = ({name: module for module, names in _MODELS.items() for name in names}
          | {name: f"views.{module}" for module, names in _VIEWS.items() for name in names})


def __getattr__(name: str):
    """The panels' classes, imported when first asked for (``opening`` loads without them)."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)


__all__ = sorted(_HOMES)
