"""The conference app (Voila): one model and one view per panel.

``ConferenceApp.from_environment()`` is what the app's notebook builds; ``teichaku app``
(``teichaku_nb.server``) serves that notebook with Voila.  This package runs in the notebook's
kernel (it loads the widgets, pandas and the store); the web server imports nothing from it.
"""

from __future__ import annotations

from .agenda import AgendaModel, AgendaView
from .case import CaseModel, CaseView
from .checks import ChecksModel, ChecksView
from .common import Guard
from .conference import ConferenceApp, ConferenceModel, ConferenceView
from .exports import ExportModel, ExportView
from .handover import HandoverModel, HandoverView
from .header import HeaderModel, HeaderView
from .meeting import MeetingModel, MeetingView
from .review import ReviewModel, ReviewView
from .sending import SendingModel, SendingView

__all__ = [
    "AgendaModel", "AgendaView", "CaseModel", "CaseView", "ChecksModel", "ChecksView", "ConferenceApp", "ConferenceModel",
    "ConferenceView", "ExportModel", "ExportView", "Guard", "HandoverModel", "HandoverView", "HeaderModel", "HeaderView",
    "MeetingModel", "MeetingView", "ReviewModel", "ReviewView", "SendingModel", "SendingView",
]
