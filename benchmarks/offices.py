"""The month's summaries of a folder of offices against the same number of people in one workbook.

    python benchmarks/offices.py [--users 5000] [--offices 50] [--months 12] [--repeat 2]

Makes, in a temporary folder, a demo folder of ``--offices`` office workbooks and a single
demo workbook, each with ``--users`` people (seed 1, months up to 2026-10), then times
``teichaku report summary BOOK --month 2026-10`` (HTML) end to end in a fresh process for
each: the folder makes one 月次サマリー per office, the workbook one.

Goal: folder ≤ 1.5 × one workbook.  Before, every document of a folder loaded the whole
folder again in the kernel (about 2,500 workbook loads for 50 offices: 338 s against 17 s);
now the kernel loads the folder once and each office's summary reads its part.  The runs
alternate (folder, book, folder, book ...); each time is the best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.5


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):                    # 1: the data has errors (warnings allowed)
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--offices", type=int, default=50)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import pandas as pd

    from teichaku_nb.demo import make_demo

    month = pd.Period("2026-10", "M")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        make_demo(base / "offices", users=args.users, months=args.months, offices=args.offices, seed=1, end=month)
        make_demo(base / "one.xlsx", users=args.users, months=args.months, seed=1, end=month)
        command = [sys.executable, "-m", "teichaku_nb", "report", "summary"]
        runs = {"folder": [], "book": []}
        for n in range(args.repeat):
            runs["folder"].append(timed(command + [str(base / "offices"), "--month", "2026-10",
                                                   "--out", str(base / f"out-folder-{n}")]))
            runs["book"].append(timed(command + [str(base / "one.xlsx"), "--month", "2026-10",
                                                 "--out", str(base / f"out-book-{n}")]))
        made = len(list((base / "out-folder-0").glob("*.html")))
    folder_s, book_s = min(runs["folder"]), min(runs["book"])
    ratio = folder_s / book_s
    print(f"{args.users} people; report summary of 2026-10 (HTML); best of {args.repeat}")
    print(f"  folder of {args.offices} offices ({made} summaries): {folder_s:7.2f} s")
    print(f"  one workbook (1 summary):            {book_s:7.2f} s")
    verdict = "ok" if ratio <= GOAL else "SLOWER THAN THE GOAL"
    print(f"  ratio folder / workbook: {ratio:.2f} (goal ≤ {GOAL}): {verdict}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
