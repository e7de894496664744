"""The conference app (Voila): one model and one view per panel.

``opening.AppPage`` (showing a ``ConferenceApp`` of the records the launcher names) is what
the app's notebook shows; ``teichaku app`` (``teichaku_nb.server``) serves that notebook with
Voila.  This package runs in the notebook's
kernel (it loads the widgets, pandas and the store); the web server imports nothing from it.
The classes are imported when first asked for.
"""

from __future__ import annotations

from importlib import import_module

_HOMES = {
    "AgendaModel": "agenda", "AgendaView": "agenda", "CaseModel": "case", "CaseView": "case",
    "ChecksModel": "checks", "ChecksView": "checks", "Guard": "common", "ConferenceApp": "conference",
    "ConferenceModel": "conference", "ConferenceView": "conference", "ExportModel": "exports",
    "ExportView": "exports", "HandoverModel": "handover", "HandoverView": "handover", "HeaderModel": "header",
    "HeaderView": "header", "MeetingModel": "meeting", "MeetingView": "meeting", "ReviewModel": "review",
    "ReviewView": "review", "SendingModel": "sending", "SendingView": "sending",
}


def __getattr__(name: str):
    """The panels' classes, imported when first asked for (``opening`` loads without them)."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)


__all__ = [
    "AgendaModel", "AgendaView", "CaseModel", "CaseView", "ChecksModel", "ChecksView", "ConferenceApp", "ConferenceModel",
    "ConferenceView", "ExportModel", "ExportView", "Guard", "HandoverModel", "HandoverView", "HeaderModel", "HeaderView",
    "MeetingModel", "MeetingView", "ReviewModel", "ReviewView", "SendingModel", "SendingView",
]
