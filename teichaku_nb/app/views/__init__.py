"""The panels' views: the app's widgets, and the only part of ``app/`` that imports ipywidgets.

``views/<panel>.py`` draws the model of ``app/<panel>.py``: it observes the model's traits and
renders them, and turns clicks and typing into the model's traits and methods.  What the views
share is ``views/common.py``; ``views/lazy.py`` is how a view is built only once it is needed;
``views/conference.py`` lays the page out.
"""
