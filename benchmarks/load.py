"""Loading speed and memory: ``teichaku validate`` against a plain pandas read, in one run.

    python benchmarks/load.py [--users 2000] [--months 24] [--repeat 3]

Makes a demo workbook, then times, each in a fresh process (so peak memory is its own):
- baseline A: ``pandas.read_excel(sheet_name=None, engine="openpyxl")``
- baseline B: ``pandas.read_excel(sheet_name=None, engine="calamine")``
- ours: ``teichaku validate BOOK --json`` (read, normalise, type, check everything)
Goals: ours ≤ 0.35 × A, ours ≤ 1.5 × B, peak memory < 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

WORKER = r"""
import contextlib, io, json, resource, sys, time
kind, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
import pandas as pd
from teichaku_nb.cli import main
def run():
    if kind == "ours":
        with contextlib.redirect_stdout(io.StringIO()):
            main(["validate", path, "--json"])
    else:
        pd.read_excel(path, sheet_name=None, engine=kind)
times = []
for _ in range(repeat):
    start = time.perf_counter()
    run()
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": min(times), "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(kind: str, path: Path, repeat: int) -> dict:
    done = subprocess.run([sys.executable, "-c", WORKER, kind, str(path), str(repeat)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from teichaku_nb.demo import make_demo

    with tempfile.TemporaryDirectory() as folder:
        book = Path(folder) / "demo.xlsx"
        make_demo(book, users=args.users, months=args.months, seed=1, end=pd.Period("2026-10", "M"))
        rows = {name: len(frame) for name, frame in pd.read_excel(book, sheet_name=None, engine="calamine").items()}
        print(f"workbook: {book.stat().st_size / 2**20:.1f} MiB, rows {rows}")
        results = {kind: measure(kind, book, args.repeat) for kind in ("openpyxl", "calamine", "ours")}

    for kind, result in results.items():
        print(f"{kind:>9}: {result['seconds']:7.2f} s   peak {result['peak_mib']:7.0f} MiB")
    ours = results["ours"]["seconds"]
    checks = [
        ("ours / openpyxl read", ours / results["openpyxl"]["seconds"], 0.35),
        ("ours / calamine read", ours / results["calamine"]["seconds"], 1.5),
        ("peak memory (GiB)", results["ours"]["peak_mib"] / 1024, 1.0),
    ]
    failed = False
    for label, value, goal in checks:
        ok = value <= goal
        failed |= not ok
        print(f"{label:>22}: {value:5.2f}  (goal ≤ {goal})  {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
