"""Batch speed of the 支援レポート: a whole office against one person, in one run.

    python benchmarks/reports.py [--people 40] [--repeat 3] [--format html]

Makes a demo office (2026-10) in a temporary folder with ``--people`` people in service
(on the month's agenda: the demo office also holds people who left, ended or start next
month, so it has a few more in all), then times
``reports.make_reports("support", ...)`` end to end (kernel start, notebook runs,
export, printing for PDF), both copies (本人用・企業用) each time:

- one: the report of one person;
- all: the reports of every person on the month's agenda (one kernel for the batch).

Goal: all ≤ 2 × one.  The runs alternate (one, all, one, all ...) so both see the
same load on a shared machine; each time is the best of ``--repeat`` runs (the median is
printed too).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

GOAL = 2.0


def timed(work) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=40, help="people on the month's agenda")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", choices=("html", "pdf"), default="html")
    args = parser.parse_args()

    import pandas as pd

    from teichaku_nb import rules
    from teichaku_nb.demo import make_demo
    from teichaku_nb.reports import make_reports
    from teichaku_nb.workbook import load_casebook

    month = pd.Period("2026-10", "M")
    with tempfile.TemporaryDirectory() as folder:
        book = Path(folder) / "office.xlsx"
        users = args.people
        while True:      # the smallest demo office with that many people in service
            make_demo(book, users=users, months=args.months, seed=1, end=month)
            cases = rules.agenda(load_casebook(book), month).cases
            if len(cases) >= args.people:
                break
            users += 1
        first = cases[0].user_id

        def one():
            return make_reports("support", book, month, user=first, fmt=args.format,
                                out_dir=Path(folder) / "one").paths

        def every():
            return make_reports("support", book, month, fmt=args.format, include_unreviewed=True,
                                out_dir=Path(folder) / "all").paths

        one_times, all_times = [], []
        for _ in range(args.repeat):
            seconds, one_paths = timed(one)
            one_times.append(seconds)
            seconds, all_paths = timed(every)
            all_times.append(seconds)
        one_seconds, all_seconds = min(one_times), min(all_times)

    ratio = all_seconds / one_seconds
    people = len(all_paths) // 2
    print(f"office: {users} people, {len(cases)} on the agenda of {month}; format {args.format}; "
          f"best of {args.repeat}")
    print(f"{'run':<6} {'people':>6} {'documents':>9} {'best s':>8} {'median s':>8} {'s/person':>8}")
    print(f"{'one':<6} {1:>6} {len(one_paths):>9} {one_seconds:>8.2f} {statistics.median(one_times):>8.2f} "
          f"{one_seconds:>8.2f}")
    print(f"{'all':<6} {people:>6} {len(all_paths):>9} {all_seconds:>8.2f} {statistics.median(all_times):>8.2f} "
          f"{all_seconds / people:>8.2f}")
    verdict = "ok" if ratio <= GOAL else "SLOWER THAN THE GOAL"
    print(f"ratio all / one: {ratio:.2f} (goal ≤ {GOAL:.0f}): {verdict}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
