"""What the app's page knows beyond its widgets.

The page script ``static/leaving.js`` of the Voila template ``teichaku`` asks before a tab
with unsaved edits is closed.  It learns that there are unsaved edits from a class on the
page (``UNSAVED_CLASS``: ``ConferenceView`` adds it while the open case's form holds unsaved
text) and learns the class's name from the page config, where ``page_config_hook`` (set by
``web.TeichakuVoila``) puts it under ``CONFIG_KEY``.  Voila writes the page config into every
page as ``#jupyter-config-data``.  The kernel imports this module too: it loads nothing.
"""

from __future__ import annotations

UNSAVED_CLASS = "teichaku-unsaved"      # on the page while the open case has unsaved edits
CONFIG_KEY = "teichakuUnsavedClass"     # leaving.js reads the class's name from the page config here


def page_config_hook(page_config: dict, **_details) -> dict:
    """Voila's ``VoilaConfiguration.page_config_hook``: the page config with ``UNSAVED_CLASS``."""
    return {**page_config, CONFIG_KEY: UNSAVED_CLASS}
