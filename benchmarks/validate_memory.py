"""Peak memory of ``teichaku validate`` on hostile and huge sheets, against a plain calamine read.

    python benchmarks/validate_memory.py [--rows 1000000] [--skip-worst]

Writes, straight as xlsx XML (tests/helpers_books.py):
- ``million``: 面談記録 with 1,000,000 wrong rows (5 problems each: 4 empty required
  cells and a 体調 of 9), the sheet of the hardening issue (before: 62 s, 11.6 GiB);
- ``XFD1048576`` and ``Z1048576``: one value in a far cell of 利用者 (before: the process
  aborted asking for 512 GiB; 1.2 GiB);
- ``worst``: the largest sheet the limits allow, at its most expensive (README, 形式):
  12 columns down to row 1,048,576 and 2.25 million cells, every one a distinct Japanese text.
- the small hostile files (tests/helpers_books.py ``hostile_books``): a few megabytes that
  unpack to gigabytes (one shared text of 3 GB, 20 million shared texts, 4 GB of spaces, a
  short text used by 300,000 cells, an ods cell repeated 20,000 times, …), each to be refused
  (exit 2) in under 10 s and 512 MiB, against validating the two-row workbook they are built on.
Each runs ``teichaku validate BOOK --json`` in a fresh process (peak memory is its own,
VmHWM, the high-water mark of its own memory: ``getrusage``'s ru_maxrss would start from
the parent's size, which Linux carries over fork and exec); the baseline is ``pandas.read_excel(sheet_name=None, engine="calamine")``
of the million-row workbook, in the same run.  Goal: every peak < 1 GiB, the far cells
refused (exit 2) within 10 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers_books import bad_contact_rows, hostile_books, minimal_sheets, row_xml, write_xlsx  # noqa: E402

WORKER = r"""
import contextlib, io, json, sys, time
kind, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if kind == "ours":
    from teichaku_nb.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["validate", path, "--json"])
    size = len(out.getvalue())
else:
    import pandas as pd
    pd.read_excel(path, sheet_name=None, engine="calamine")
    code, size = 0, 0
with open("/proc/self/status") as status:
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.perf_counter() - start, "code": code, "output_bytes": size,
                  "peak_mib": peak_kib / 1024}))
"""


def measure(kind: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", WORKER, kind, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        return {"seconds": float("nan"), "code": done.returncode, "output_bytes": 0, "peak_mib": float("nan")}
    return json.loads(done.stdout.strip().splitlines()[-1])


def worst_rows(first: int = 3, last: int = 1_048_576, extra: int = 150_000):
    """Distinct Japanese texts in A and L of every row (the range spans 12 columns), and in B
    of the first ``extra`` rows: 2,247,165 cells with the header and the fine rows."""
    for n in range(first, last + 1):
        b = f'<c r="B{n}" t="inlineStr"><is><t>記録{n}の二</t></is></c>' if n - first < extra else ""
        yield (f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>記録{n}の一</t></is></c>{b}'
               f'<c r="L{n}" t="inlineStr"><is><t>記録{n}の三</t></is></c></row>')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-worst", action="store_true", help="leave out the largest sheet allowed")
    parser.add_argument("--only-hostile", action="store_true", help="only the small hostile files")
    args = parser.parse_args()

    from teichaku_nb import schema
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        hostile = {name: path for name, (path, _words) in hostile_books(folder).items()}
        hostile_results = {name: measure("ours", path) for name, path in hostile.items()}
        floor = measure("ours", write_xlsx(folder / "two_rows.xlsx", minimal_sheets()))
        print(f"{'hostile file':<26} {'file MiB':>8} {'exit':>4} {'seconds':>8} {'peak MiB':>9} {'× two rows':>10}")
        for name, result in hostile_results.items():
            print(f"{name:<26} {hostile[name].stat().st_size / 2**20:8.1f} {result['code']:4d} "
                  f"{result['seconds']:8.2f} {result['peak_mib']:9.0f} {result['peak_mib'] / floor['peak_mib']:10.2f}")
        print(f"{'two rows (baseline)':<26} {'':8} {floor['code']:4d} {floor['seconds']:8.2f} {floor['peak_mib']:9.0f}")
        hostile_ok = all(r["code"] == 2 and r["seconds"] < 10 and r["peak_mib"] < 512 for r in hostile_results.values())
        print(f"{'every hostile file':>26}: exit 2, < 10 s, < 512 MiB  {'ok' if hostile_ok else 'MISSED'}\n")
        if args.only_hostile:
            return 0 if hostile_ok else 1
        books = {
            "million": write_xlsx(folder / "million.xlsx", minimal_sheets(
                {schema.CONTACTS.title: bad_contact_rows(args.rows, first=3)})),
            "XFD1048576": write_xlsx(folder / "xfd.xlsx", minimal_sheets(
                {schema.USERS.title: [row_xml(1048576, ["x"], first_column=16384)]})),
            "Z1048576": write_xlsx(folder / "z.xlsx", minimal_sheets(
                {schema.USERS.title: [row_xml(1048576, ["x"], first_column=26)]})),
        }
        if not args.skip_worst:
            books["worst"] = write_xlsx(folder / "worst.xlsx", minimal_sheets({schema.CONTACTS.title: worst_rows()}))
        sizes = {name: path.stat().st_size / 2**20 for name, path in books.items()}
        results = {name: measure("ours", path) for name, path in books.items()}
        baseline = measure("calamine", books["million"])

    print(f"{'sheet':<12} {'file MiB':>8} {'exit':>4} {'seconds':>8} {'peak MiB':>9} {'output':>10}")
    for name, result in results.items():
        print(f"{name:<12} {sizes[name]:8.1f} {result['code']:4d} {result['seconds']:8.2f} "
              f"{result['peak_mib']:9.0f} {result['output_bytes']:10,d}")
    print(f"{'calamine':<12} {sizes['million']:8.1f} {baseline['code']:4d} {baseline['seconds']:8.2f} "
          f"{baseline['peak_mib']:9.0f}   (pandas.read_excel of million, no checks)")
    checks = [(f"{name} peak (GiB)", result["peak_mib"] / 1024, "≤ 1.0", result["peak_mib"] < 1024)
              for name, result in results.items()]
    checks += [(f"{name} refused in (s)", results[name]["seconds"], "≤ 10, exit 2",
                results[name]["code"] == 2 and results[name]["seconds"] <= 10) for name in ("XFD1048576", "Z1048576")]
    checks.append(("million vs calamine peak", results["million"]["peak_mib"] / baseline["peak_mib"], "—", True))
    failed = not hostile_ok
    for label, value, goal, ok in checks:
        failed |= not ok
        print(f"{label:>26}: {value:6.2f}  (goal {goal})  {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
