"""How long staff wait for documents from the command line, in one run.

    python benchmarks/reports.py [--people 40] [--repeat 3]

Makes a demo office (2026-10) in a temporary folder with ``--people`` people in service
(on the month's agenda: the demo office also holds people who left, ended or start next
month, so it has a few more in all), then runs each command below as staff would, each
in a fresh process (start, imports, reading the workbook, kernel, export, printing for
PDF: everything a user waits for):

- review:      ``teichaku review BOOK --month M --json`` (the baseline: the month's agenda);
- minutes:     ``teichaku report minutes`` as HTML, and as PDF;
- one / all:   ``teichaku report support`` for one person (both copies) and for everyone
  on the agenda (``--all``: both copies each, and the 確認事項).

Goals: minutes HTML ≤ 2 × review, minutes PDF ≤ 3.5 × review, all ≤ 2 × one.  The commands
run in turns (review, minutes, minutes PDF, one, all, review, ...) so all see the same load
on a shared machine; each time is the best of ``--repeat`` runs (the median is printed too).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"minutes_html": ("review", 2.0), "minutes_pdf": ("review", 3.5), "all": ("one", 2.0)}


def teichaku(*args) -> list[str]:
    return [sys.executable, "-c", "import sys; from teichaku_nb.cli import main; sys.exit(main())", *map(str, args)]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[3:])} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=40, help="people on the month's agenda")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from teichaku_nb import rules
    from teichaku_nb.demo import make_demo
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
        out = Path(folder) / "out"
        commands = {
            "review": teichaku("review", book, "--month", month, "--json"),
            "minutes_html": teichaku("report", "minutes", book, "--month", month, "--out", out / "m"),
            "minutes_pdf": teichaku("report", "minutes", book, "--month", month, "--format", "pdf", "--out", out / "p"),
            "one": teichaku("report", "support", book, "--month", month, "--user", first, "--out", out / "one"),
            "all": teichaku("report", "support", book, "--month", month, "--all", "--out", out / "all"),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                times[name].append(timed(command))
        documents = {name: len(list((out / folder_name).glob("*"))) for name, folder_name in
                     (("minutes_html", "m"), ("minutes_pdf", "p"), ("one", "one"), ("all", "all"))}

    best = {name: min(seconds) for name, seconds in times.items()}
    print(f"office: {users} people, {len(cases)} on the agenda of {month}; each command a fresh process; "
          f"best of {args.repeat}")
    print(f"{'command':<14} {'documents':>9} {'best s':>8} {'median s':>8}")
    for name, seconds in times.items():
        print(f"{name:<14} {documents.get(name, 0):>9} {best[name]:>8.2f} {statistics.median(seconds):>8.2f}")
    met = True
    for name, (baseline, goal) in GOALS.items():
        ratio = best[name] / best[baseline]
        met = met and ratio <= goal
        print(f"ratio {name} / {baseline}: {ratio:.2f} (goal ≤ {goal}): {'ok' if ratio <= goal else 'SLOWER THAN THE GOAL'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
