"""Speed of the month's review and fee check against loading the workbook, in one run.

    python benchmarks/review.py [--users 2000] [--months 24] [--repeat 3]

Makes a demo workbook in a temporary folder, then times in this process:
- load: ``workbook.load_source`` (read, normalise, type, check everything);
- review: ``rules.agenda`` for the last month, ``retention.of_fiscal_year`` for its fiscal year
  and ``billing.month_billing`` for the month, reading the agenda's facts as the app and the
  月次サマリー do (what ``teichaku review``, ``teichaku retention`` and ``teichaku billing``
  compute: the whole month's review and its fee check).
Goal: review ≤ 0.2 × load.  Each time is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

GOAL = 0.2


def best_of(repeat: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from teichaku_nb import billing, retention, rules
    from teichaku_nb.demo import make_demo
    from teichaku_nb.workbook import load_source

    end = pd.Period("2026-10", "M")
    fiscal_year = end.year if end.month >= 4 else end.year - 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.xlsx"
        make_demo(path, users=args.users, months=args.months, seed=1, end=end)
        load_seconds, (books, _) = best_of(args.repeat, lambda: load_source(path))
    book = books[0]
    print(f"workbook: {args.users} users, {args.months} months; rows "
          + ", ".join(f"{sheet} {n}" for sheet, n in book.counts.items()))

    def review():
        agenda = rules.agenda(book, end)          # the fee check reads the agenda's facts, as the app does
        return agenda, retention.of_fiscal_year(book, fiscal_year), billing.month_billing(book, end, review=agenda)

    review_seconds, (month, rate, bill) = best_of(args.repeat, review)
    counts = "、".join(f"{level} {n}" for level, n in month.level_counts().items())
    print(f"review of {end}: {len(month.cases)} cases ({counts}); FY{fiscal_year} rate "
          f"{retention.format_rate(rate.rate)} → {retention.format_units(rate.units)}")
    totals = bill.totals
    print(f"fee check: 算定可 {totals['billable']}, 要確認 {totals['to_check']}, 算定不可 {totals['not_billable']}; "
          f"{totals['units']:,} units; 減算 {sum(len(p.reductions) for p in bill.people)}")
    ratio = review_seconds / load_seconds
    print(f"  load: {load_seconds:7.3f} s")
    print(f"review: {review_seconds:7.3f} s")
    print(f" ratio: {ratio:7.3f}  (goal ≤ {GOAL})  {'ok' if ratio <= GOAL else 'MISSED'}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
