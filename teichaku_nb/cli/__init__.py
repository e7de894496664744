"""The ``teichaku`` command line (the contract other tools rely on: docs/design.md).

Exit codes: 0 done (warnings allowed), 1 the data has errors, 2 the input cannot be
read or the arguments are wrong, 130 interrupted (Ctrl-C).  Messages for people are Japanese; ``--json`` is for
programs.

- ``parser``: the commands, their arguments and help (argparse, said in Japanese);
- ``run``: ``main``, which runs one command (Ctrl-C, a bug reported in Japanese);
- ``common``: the exit codes and what the commands share (reading BOOK, the store, checks before writing);
- ``books``: template, demo, validate;
- ``month``: review, retention, billing;
- ``records``: the conference's records: app, export, sent;
- ``report``: the documents;
- ``terminal``: the text blocks the terminal shows.
"""

from .parser import build_parser
from .run import main

__all__ = ["build_parser", "main"]
