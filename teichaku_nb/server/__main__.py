"""``python -m teichaku_nb.server``: the app's web server (``web.TeichakuVoila``), with the
arguments ``launcher.voila_command`` gives it."""

from .web import main

main()
