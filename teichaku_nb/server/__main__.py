"""``python -m teichaku_nb.server``: the app's web server (``web.TeichakuVoila``), with the
arguments ``launcher.voila_command`` gives it.

Before Voila is imported, ``rfc3987_syntax`` is marked as absent.  jsonschema (through
jupyter_events) imports it for its ``iri`` formats, which no schema of Jupyter or Voila uses,
and it builds some 35 parsers when imported: seconds of every start, while the first page
waits for the server.  jsonschema expects it may be missing and leaves those two formats out.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)       # import rfc3987_syntax raises ImportError

from .web import main  # noqa: E402  (after the line above)

main()
