"""The conference app (Voila): one model and one view per panel.

``ConferenceApp.from_environment()`` is what ``notebooks/conference.ipynb`` builds;
``teichaku app`` (``launcher.py``) serves that notebook with Voila.
"""

from .agenda import AgendaModel, AgendaView
from .case import CaseModel, CaseView
from .common import Guard
from .conference import ConferenceApp, ConferenceModel, ConferenceView
from .exports import ExportModel, ExportView
from .header import HeaderModel, HeaderView
from .meeting import MeetingModel, MeetingView
from .review import ReviewModel, ReviewView

__all__ = ["AgendaModel", "AgendaView", "CaseModel", "CaseView", "ConferenceApp", "ConferenceModel",
           "ConferenceView", "ExportModel", "ExportView", "Guard", "HeaderModel", "HeaderView", "MeetingModel",
           "MeetingView", "ReviewModel", "ReviewView"]
