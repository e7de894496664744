"""運営指導の準備 (``audit.audit``) of twelve months against twelve monthly fee checks, in one run.

    python benchmarks/audit.py [--users 2000] [--months 24] [--audit-months 12] [--repeat 3]

Makes a demo workbook (seed 1, months up to 2026-10) and an empty conference store (SQLite,
both in a temporary folder; neither the demo nor the other benchmarks make records cheaply),
loads the workbook once, opens the store read-only as the commands do, then times in this
process, for the last ``--audit-months`` months of the workbook:

- fees:  for each month, ``OfficeMonth(book, month, store, today=...).billing``, a fresh
  ``OfficeMonth`` each month, as ``teichaku billing`` does (the month's agenda and fee check);
- audit: ``audit.audit(book, months, store, today=...)`` over the same months.

Goal: audit ≤ 2 × fees.  The two run in turns (fees, audit, fees, audit ...) so both see the
same load on a shared machine; each time is the best of ``--repeat`` runs (the median too).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

GOAL = 2.0
END = "2026-10"
TODAY = dt.date(2026, 12, 6)        # the day the checks are made on: after the last month


def timed(work) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def prepare(folder: Path, users: int, months: int):
    """The demo workbook, loaded, and its (empty) store opened read-only."""
    import pandas as pd

    from teichaku_nb.demo import make_demo
    from teichaku_nb.store import open_existing, open_store
    from teichaku_nb.workbook import load_casebook

    path, db = folder / "office.xlsx", folder / "office.sqlite"
    make_demo(path, users=users, months=months, seed=1, end=pd.Period(END, "M"))
    book = load_casebook(path)
    open_store(str(db), books=[book]).close()          # created (and migrated), then read as the commands do
    return book, open_existing(str(db))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24, help="months of history in the workbook")
    parser.add_argument("--audit-months", type=int, default=12, help="months audited (the last of the workbook)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from teichaku_nb.audit import audit
    from teichaku_nb.office_month import OfficeMonth

    months = list(pd.period_range(end=pd.Period(END, "M"), periods=args.audit_months, freq="M"))
    with tempfile.TemporaryDirectory() as folder:
        book, store = prepare(Path(folder), args.users, args.months)
        sides = {"fees": lambda: [OfficeMonth(book, m, store, today=TODAY).billing for m in months],
                 "audit": lambda: audit(book, months, store, today=TODAY)}
        times: dict[str, list[float]] = {name: [] for name in sides}
        results = {}
        for _ in range(args.repeat):
            for name, work in sides.items():
                seconds, results[name] = timed(work)
                times[name].append(seconds)
        store.close()

    print(f"workbook: {args.users} users, {args.months} months; rows "
          + ", ".join(f"{sheet} {n}" for sheet, n in book.counts.items()))
    bills, found = results["fees"], results["audit"]
    in_service = sum(len(bill.people) for bill in bills)
    print(f"months {months[0]}〜{months[-1]} (today {TODAY}); empty store; {in_service:,} person-months "
          f"in service; audit: {len(found.people)} people, {found.totals['gaps']:,} gaps, "
          f"{found.totals['units_at_risk']:,} units at risk; best of {args.repeat}")
    print(f"{'side':<6} {'best s':>8} {'median s':>8}")
    for name, seconds in times.items():
        print(f"{name:<6} {min(seconds):>8.2f} {statistics.median(seconds):>8.2f}")
    ratio = min(times["audit"]) / min(times["fees"])
    verdict = "ok" if ratio <= GOAL else "SLOWER THAN THE GOAL"
    print(f"ratio audit / fees: {ratio:.2f} (goal ≤ {GOAL}): {verdict}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
