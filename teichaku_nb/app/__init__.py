"""The conference app (Voila): one model and one view per panel.

``opening.AppPage`` (showing a ``ConferenceApp`` of the records the launcher names) is what
the app's notebook shows; ``teichaku app`` (``teichaku_nb.server``) serves that notebook with
Voila.  This package runs in the notebook's
kernel (it loads the widgets, pandas and the store); the web server imports nothing from it.
The classes are imported when first asked for.
"""

from __future__ import annotations

from importlib import import_module

_HOMES = {name: module for module, names in {
    "agenda": ["AgendaModel", "AgendaView"],
    "case": ["CaseModel", "CaseView"],
    "checks": ["ChecksModel", "ChecksView"],
    "common": ["Guard"],
    "conference": ["ConferenceApp", "ConferenceModel", "ConferenceView"],
    "exports": ["ExportModel", "ExportView"],
    "handover": ["HandoverModel", "HandoverView"],
    "header": ["HeaderModel", "HeaderView"],
    "meeting": ["MeetingModel", "MeetingView"],
    "panel": ["Case", "Context", "Panel"],
    "plan": ["MonitoringModel", "PlanDocumentModel", "PlanView"],
    "plan_draft": ["DraftModel", "DraftView"],
    "review": ["ReviewModel", "ReviewView"],
    "sending": ["SendingModel", "SendingView"],
    "watch": ["OthersModel"],
}.items() for name in names}


def __getattr__(name: str):
    """The panels' classes, imported when first asked for (``opening`` loads without them)."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)


__all__ = sorted(_HOMES)
