"""What runs in the app's web server, and what talks to it from outside the widgets.

- ``launcher``: ``teichaku app`` (in the CLI's process): the workbook and the conference
  records it serves, the token, the locked-down Voila command line and its environment;
- ``web``: the web server itself, Voila with every route behind the token and kernels that
  end when nobody uses them; ``python -m teichaku_nb.server`` runs it (``__main__``);
- ``login``: the Japanese page for a browser that comes without the token;
- ``page``: what the page knows beyond its widgets: the class that marks unsaved edits,
  named in every page's config for the page script (``static/leaving.js`` of the Voila
  template ``teichaku``; the view in ``teichaku_nb.app`` adds the class);
- ``applog``: the app's log file, written by the launcher (Voila's output) and by every
  kernel (the app's own log), rotated without leaving a writer in an old file;
- ``preheat``: the preheated kernel's half of the server's request handshake (it runs in
  the kernel, but it speaks the server's protocol: the token, ``/voila/query/<kernel id>``).

The server process must start fast and stay small: nothing here imports the widgets, pandas,
the workbook or the conference records (``teichaku_nb.app``, ``teichaku_nb.store``); only the
standard library, Jupyter and Voila, and ``teichaku_nb.paths``.  A test checks.
"""
