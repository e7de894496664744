"""Speed of the conference app in a real browser, in one run.

    python benchmarks/app.py [--users 40] [--repeat 3] [--switches 10]

Makes a demo office of ``--users`` people and a one-button Voila notebook in a temporary
folder, serves each with the same locked-down, preheated Voila command line that
``teichaku app`` uses (``launcher.voila_command``), and drives headless Chromium:

- agenda: navigation (``page.goto`` with the token) until the agenda's first case button is
  visible, against navigation until the one-button notebook's button is visible.
  Goal: at most 1.5 × the one-button notebook.  Median of ``--repeat`` page loads,
  each in a fresh browser context on a freshly preheated kernel (the run waits for the
  server's kernels to go idle before each load, as a conference opens the page once).
- switch: click a case in the agenda until its title is in the case panel, over
  ``--switches`` cases in agenda order.  Goal: median under 0.3 s.
"""

from __future__ import annotations

import argparse
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

AGENDA_GOAL = 1.5
SWITCH_GOAL = 0.3
CHROMIUM = "/usr/bin/chromium"
ONE_BUTTON = ("import ipywidgets as w", "w.Button(description='ボタン')")


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
    """A Voila server as ``teichaku app`` starts it; its log is watched for the kernel pool."""

    def __init__(self, notebook: Path, env: dict[str, str], port: int):
        from teichaku_nb.server import launcher
        self.launcher = launcher
        self.token = "bench-" + os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{port}/?token={self.token}"
        self.fills = 0
        self.process = subprocess.Popen(
            launcher.voila_command(notebook, host="127.0.0.1", port=port),
            env={**os.environ, **env, **launcher.server_env(self.token)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
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


def time_loads(browser, server: Server, selector: str, repeat: int) -> tuple[list[float], object]:
    times, kept = [], None
    for i in range(repeat):
        server.wait_preheated(i + 1)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        start = time.perf_counter()
        page.goto(server.url)
        page.locator(selector).first.wait_for(state="visible", timeout=180_000)
        times.append(time.perf_counter() - start)
        if i == repeat - 1:
            kept = (context, page)
        else:
            context.close()
    return times, kept


def time_switches(page, switches: int) -> list[float]:
    buttons = page.locator(".teichaku-agenda .teichaku-case-button")
    labels = [buttons.nth(i).inner_text() for i in range(min(switches, buttons.count()))]
    times = []
    for label in labels:
        user_id = label.split()[0]
        start = time.perf_counter()
        page.locator(".teichaku-case-button", has_text=re.compile(rf"^{user_id} ")).click()
        page.locator(".teichaku-case-title", has_text=user_id).wait_for(state="visible", timeout=60_000)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--switches", type=int, default=10)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from teichaku_nb.paths import BOOK_ENV, DB_ENV, DEMO_ENV, app_notebook_path
    from teichaku_nb.demo import make_demo

    with tempfile.TemporaryDirectory(prefix="teichaku-bench-app-") as tmp:
        tmp = Path(tmp)
        book = make_demo(tmp / "office40.xlsx", users=args.users, months=12, seed=1, end="2026-10")[0]
        (tmp / "one").mkdir()
        one_button = write_notebook(tmp / "one" / "one_button.ipynb", ONE_BUTTON)
        env = {BOOK_ENV: str(book), DB_ENV: str(tmp / "records.sqlite"), DEMO_ENV: "0"}
        chromium_args = ["--no-sandbox"] if os.geteuid() == 0 else []
        results = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=chromium_args)
            for name, notebook, selector in (
                    ("one-button", one_button, ".widget-button"),
                    ("app", app_notebook_path(), ".teichaku-agenda .teichaku-case-button")):
                server = Server(notebook, env, port=launcher_port())
                try:
                    loads, (context, page) = time_loads(browser, server, selector, args.repeat)
                    results[name] = {"loads": loads}
                    if name == "app":
                        server.wait_preheated(args.repeat + 1)
                        results[name]["switches"] = time_switches(page, args.switches)
                    context.close()
                finally:
                    server.stop()
            browser.close()

    base = statistics.median(results["one-button"]["loads"])
    app = statistics.median(results["app"]["loads"])
    switches = results["app"]["switches"]
    switch = statistics.median(switches)
    rows = [
        ("metric", "app", "one-button", "ratio", "goal", "met"),
        (f"navigation → agenda ({args.users} people), median of {args.repeat}",
         f"{app:.2f} s", f"{base:.2f} s", f"{app / base:.2f}x", f"≤ {AGENDA_GOAL}x",
         "yes" if app / base <= AGENDA_GOAL else "NO"),
        (f"switch case, median of {len(switches)} (max {max(switches):.2f} s)",
         f"{switch:.3f} s", "—", "—", f"< {SWITCH_GOAL} s", "yes" if switch < SWITCH_GOAL else "NO"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"page loads (s): app {[round(x, 2) for x in results['app']['loads']]}, "
          f"one-button {[round(x, 2) for x in results['one-button']['loads']]}")
    print(f"case switches (s): {[round(x, 3) for x in switches]}")
    return 0


def launcher_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
