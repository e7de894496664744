"""The conference app (Voila): one model and one view per panel.

``ConferenceApp.from_environment()`` is what ``notebooks/conference.ipynb`` builds;
``teichaku app`` (``teichaku_nb.server.launcher``) serves that notebook with Voila.

The names below are imported when first used, so that importing a module of this package
alone does not load every panel.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "AgendaModel": "agenda", "AgendaView": "agenda", "CaseModel": "case", "CaseView": "case",
    "Guard": "common", "ConferenceApp": "conference", "ConferenceModel": "conference",
    "ConferenceView": "conference", "ExportModel": "exports", "ExportView": "exports",
    "HeaderModel": "header", "HeaderView": "header", "MeetingModel": "meeting", "MeetingView": "meeting",
    "ReviewModel": "review", "ReviewView": "review", "SendingModel": "sending", "SendingView": "sending",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
