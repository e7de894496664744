"""``python -m teichaku_nb.server``: the app's web server (``web.TeichakuVoila``), with the
arguments ``launcher.voila_command`` gives it.

Before Voila is imported, ``rfc3987_syntax`` is marked as absent.  jsonschema (through
jupyter_events) imports it for its ``iri`` formats, which no schema of Jupyter or Voila uses,
and it builds some 35 parsers when imported: seconds of every start, while the first page
waits for the server.  jsonschema expects it may be missing and leaves those two formats out.

The folder of this run of the app (``launcher.start``: the workbook read ahead) goes with the
server, however it is stopped: by ``launcher.stop``, or by SIGTERM when ``teichaku app``
died (``launcher.ends_with_this_process``), also while Voila still starts.
"""

import os
import shutil
import signal
import sys

from ..paths import RUN_FOLDER_ENV

sys.modules.setdefault("rfc3987_syntax", None)       # import rfc3987_syntax raises ImportError

folder = os.environ.pop(RUN_FOLDER_ENV, None)        # popped: the kernels have nothing to do with it
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # until Voila takes SIGTERM over (it stops its kernels)
try:
    from .web import main
    main()
finally:
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
