"""``main``: run one command of ``teichaku``."""

from __future__ import annotations

import os
import signal
import sys

from .common import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK
from .parser import build_parser


def main(argv: list[str] | None = None) -> int:
    """Run one command.  Ctrl-C ends any command with 「中断しました」 and exit 130: files are
    written through a temporary file (files.replacing) and records in one transaction, so
    nothing is left half-written; an error raised while cleaning up after Ctrl-C is still
    an interruption."""
    interrupted = []

    def on_interrupt(signum, frame):
        interrupted.append(signum)
        signal.default_int_handler(signum, frame)            # KeyboardInterrupt, where the work is

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:                                       # not the main thread: no signals here
        previous = None
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as error:  # a bug of ours: say so in Japanese, keep details for developers
        if interrupted:
            return _interrupted()
        if os.environ.get("TEICHAKU_DEBUG"):
            raise
        print(f"エラー: 処理を続けられませんでした（{type(error).__name__}: {error}）。\n"
              "環境変数 TEICHAKU_DEBUG=1 を付けて実行すると詳細が出ます。", file=sys.stderr)
        return EXIT_INPUT
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _interrupted() -> int:
    print("\n中断しました", file=sys.stderr, flush=True)
    return EXIT_INTERRUPTED
