"""Speed of the conference app in a real browser, from ``teichaku app`` started, in one run.

    python benchmarks/app.py [--users 40] [--repeat 7] [--switches 20]

Makes a demo office of ``--users`` people and a one-button Voila notebook in a temporary
folder.  Each is served exactly as ``teichaku app`` serves the app (``launcher.start``: the
same locked-down Voila command line, environment and token, a preheated kernel pool of one),
and headless Chromium opens it:

- from start (the goal): the clock starts when the server process is started; as soon as
  the server answers (``launcher.wait_until_ready``, as ``teichaku app`` waits before it
  prints the URL) a fresh browser context opens the URL with the token, and the clock stops
  when the agenda's first case button (resp. the one button) is visible.  ``--repeat``
  server starts of each (7 by default: on a 2-core machine one start differs from the next by
  up to a second, and a median of 3 moves with it), alternating the two (and which goes
  first) so drift on the machine hits both; medians compared.  Goal: the app at most 1.3 ×
  the one-button notebook.
- warm (shown, no goal): on the same server, once its pool has been filled again and its
  kernels are idle, navigation in a fresh context until the same element is visible.
- switch: click a case in the agenda, over ``--switches`` switches (in agenda order, round
  again if the agenda is shorter), timed in the page as its user sees it: from the click (the
  mousedown event's time) to the paint after the last change the switch made (the page then
  stays unchanged for 0.3 s).  Goal: p95 under 0.2 s (median and max shown).  Shown beside it,
  without a goal: the same switch as Playwright sees it, from asking for the click (Playwright
  first checks that the button is visible, stable and not covered) to its polling seeing the
  new title; those checks and that polling are no part of what a user waits for.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AGENDA_GOAL = 1.3
SWITCH_GOAL = 0.2
CHROMIUM = "/usr/bin/chromium"
ONE_BUTTON = ("import ipywidgets as w", "w.Button(description='ボタン')")
AGENDA_BUTTON = ".teichaku-agenda .teichaku-case-button"
WAIT_MS = 180_000


def write_notebook(path: Path, cells) -> Path:
    """A notebook of code cells, as the app's (title, Python kernel)."""
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["title"] = "ケース会議"
    nbformat.write(nb, str(path))
    return path


def _tree_cpu(pid: int) -> float:
    """CPU seconds used by a process and its children (the kernels)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            todo += [int(x) for x in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, IndexError, ValueError):
            pass
    return total


class Server:
    """A Voila server started as ``teichaku app`` starts it (``launcher.start`` of a plan);
    ``started`` is when its process was started.  Its log is watched for the kernel pool."""

    def __init__(self, notebook: Path, book: Path, db: str):
        from teichaku_nb.server import launcher
        self.launcher = launcher
        plan = launcher.Plan(book=book, demo=False, db=db, db_shown=db, host="127.0.0.1",
                             port=free_port(), token=launcher.secrets.token_urlsafe(32))
        self.url = plan.url
        self.fills = 0
        self.started = time.perf_counter()
        self.process = launcher.start(plan, notebook, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._watch, daemon=True).start()
        if not launcher.wait_until_ready(self.url, self.process):
            raise SystemExit("Voila did not start")

    def _watch(self):
        for line in self.process.stderr:
            if "is filled with" in line:
                self.fills += 1

    def wait_preheated(self, fills: int, timeout: float = 240) -> None:
        """Until the pool has been filled ``fills`` times and the kernels are idle."""
        deadline = time.monotonic() + timeout
        while self.fills < fills and time.monotonic() < deadline:
            time.sleep(0.2)
        quiet, last = 0, _tree_cpu(self.process.pid)
        while quiet < 4 and time.monotonic() < deadline:
            time.sleep(0.25)
            now = _tree_cpu(self.process.pid)
            quiet = quiet + 1 if now - last < 0.02 else 0
            last = now

    def stop(self):
        self.launcher.stop(self.process)


def open_page(browser, url: str, selector: str):
    """A fresh browser context on ``url``, waiting until ``selector`` is visible."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.locator(selector).first.wait_for(state="visible", timeout=WAIT_MS)
    return context, page


def measure(browser, notebook: Path, selector: str, book: Path, db: str, switches: int = 0) -> dict:
    """One server start: from start to ``selector`` visible, then warm navigation (and the
    app's case switches on the warm page)."""
    server = Server(notebook, book, db)
    try:
        context, _page = open_page(browser, server.url, selector)
        result = {"start": time.perf_counter() - server.started}
        context.close()
        server.wait_preheated(2)
        begin = time.perf_counter()
        context, page = open_page(browser, server.url, selector)
        result["warm"] = time.perf_counter() - begin
        if switches:
            server.wait_preheated(3)
            result["switches"], result["round_trips"] = time_switches(page, switches)
        context.close()
        return result
    finally:
        server.stop()


WATCH_SWITCH = """() => {
  // a case switch as its user sees it: from the click (the mousedown event's own time) to the
  // paint after the last change the switch made to the page
  window.__switch = {};
  if (window.__watching) { return; }
  window.__watching = true;
  document.addEventListener('mousedown', (event) => {
    if (!window.__switch.clicked) { window.__switch.clicked = event.timeStamp; }
  }, {capture: true});
  new MutationObserver(() => {
    const s = window.__switch;
    if (!s.clicked) { return; }
    s.changed = performance.now();
    requestAnimationFrame(() => setTimeout(() => { s.painted = performance.now(); }));   // after the paint
  }).observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
QUIET_MS = 300      # a switch is over when the page has not changed for this long


def time_switches(page, switches: int) -> tuple[list[float], list[float]]:
    """Each switch in the page (click to paint after its last change) and as Playwright sees it
    (from asking for the click, which first waits for the button to be actionable, to the
    title seen by its polling)."""
    buttons = page.locator(AGENDA_BUTTON)
    ids = [buttons.nth(i).inner_text().split()[0] for i in range(buttons.count())]
    if len(ids) < 2:
        raise SystemExit("the agenda needs two cases to switch between")
    order = [ids[i % len(ids)] for i in range(switches)]     # round again: never the open case
    in_page, round_trip = [], []
    for user_id in order:
        page.evaluate(WATCH_SWITCH)
        start = time.perf_counter()
        page.locator(".teichaku-case-button", has_text=re.compile(rf"^{user_id} ")).click()
        page.locator(".teichaku-case-title", has_text=user_id).wait_for(state="visible", timeout=60_000)
        round_trip.append(time.perf_counter() - start)
        page.wait_for_function(f"""() => {{ const s = window.__switch;
            return s.painted && performance.now() - s.changed > {QUIET_MS}; }}""", timeout=60_000)
        switch = page.evaluate("window.__switch")
        in_page.append((switch["painted"] - switch["clicked"]) / 1000)
    return in_page, round_trip


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def table(rows) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--switches", type=int, default=20)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from teichaku_nb.demo import make_demo
    from teichaku_nb.paths import app_notebook_path

    runs: dict[str, list[dict]] = {"app": [], "one-button": []}
    with tempfile.TemporaryDirectory(prefix="teichaku-bench-app-") as tmp:
        tmp = Path(tmp)
        book = make_demo(tmp / "office.xlsx", users=args.users, months=12, seed=1, end="2026-10")[0]
        (tmp / "one").mkdir()
        one_button = write_notebook(tmp / "one" / "one_button.ipynb", ONE_BUTTON)
        db = str(tmp / "records.sqlite")
        chromium_args = ["--no-sandbox"] if os.geteuid() == 0 else []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=chromium_args)
            for i in range(args.repeat):
                order = [("one-button", one_button, ".widget-button"), ("app", app_notebook_path(), AGENDA_BUTTON)]
                for name, notebook, selector in (order if i % 2 == 0 else order[::-1]):
                    last_app = name == "app" and i == args.repeat - 1
                    runs[name].append(measure(browser, notebook, selector, book, db,
                                              switches=args.switches if last_app else 0))
            browser.close()

    def median(name, key):
        return statistics.median(r[key] for r in runs[name])

    app, base = median("app", "start"), median("one-button", "start")
    warm_app, warm_base = median("app", "warm"), median("one-button", "warm")
    switches, round_trips = runs["app"][-1]["switches"], runs["app"][-1]["round_trips"]
    switch = p95(switches)
    table([
        ("metric", "app", "one-button", "ratio", "goal", "met"),
        (f"teichaku app started → agenda visible ({args.users} people), median of {args.repeat}",
         f"{app:.2f} s", f"{base:.2f} s", f"{app / base:.2f}x", f"≤ {AGENDA_GOAL}x",
         "yes" if app / base <= AGENDA_GOAL else "NO"),
        (f"warm navigation → agenda visible, median of {args.repeat}",
         f"{warm_app:.2f} s", f"{warm_base:.2f} s", f"{warm_app / warm_base:.2f}x", "—", "—"),
        ((f"switch case, click → painted, p95 of {len(switches)} (median {statistics.median(switches):.3f} s, "
          f"max {max(switches):.3f} s)"), f"{switch:.3f} s", "—", "—", f"< {SWITCH_GOAL} s",
         "yes" if switch < SWITCH_GOAL else "NO"),
        ((f"switch case as Playwright sees it (its click's checks and polling included), p95 "
          f"(median {statistics.median(round_trips):.3f} s)"), f"{p95(round_trips):.3f} s", "—", "—", "—", "—"),
    ])
    for name in runs:
        print(f"{name} from start (s): {[round(r['start'], 2) for r in runs[name]]}, "
              f"warm (s): {[round(r['warm'], 2) for r in runs[name]]}")
    print(f"case switches, click → painted (s): {[round(x, 3) for x in switches]}")
    print(f"case switches as Playwright sees them (s): {[round(x, 3) for x in round_trips]}")
    return 0


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
