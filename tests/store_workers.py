"""Code that runs in other processes for the store's concurrency and crash tests.

The multiprocessing workers are started with the "spawn" context (a fresh interpreter,
as on any platform); the crash writer runs as a script, ``python store_workers.py crash
URL RUN``, and prints one line per acknowledged save: a line is printed only after the
save's transaction has committed.  All people are synthetic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys

import pandas as pd

from teichaku_nb.store import Action, Conflict, Review, open_store
from teichaku_nb.store.checks import LONG_TEXT

OFFICE = "テスト事業所"
BASE_MONTH = pd.Period("2026-01", "M")


def writer(url: str, worker: int, rounds: int, results) -> None:
    """Save a new review, add an action and update the previous one, ``rounds`` times.

    Every worker has its own user, so nothing it does may conflict.  Puts the list of
    acknowledged saves on ``results``: (kind, key, expected values).
    """
    acknowledged = []
    try:
        with open_store(url) as store:
            user_id = f"W{worker:02d}"
            previous = None
            for i in range(rounds):
                month = BASE_MONTH + i
                review = store.save_review(
                    Review(OFFICE, user_id, month, workplace=f"{user_id} 第{i}回", policy="継続"),
                    by=f"職員{worker}", expected_version=None)
                acknowledged.append(("review", (user_id, str(month)), {"workplace": review.workplace}))
                action = store.add_action(
                    Action(OFFICE, user_id, month, f"{user_id} の対応 {i}", f"職員{worker}",
                           dt.date(2026, 1, 1) + dt.timedelta(days=30 * i)), by=f"職員{worker}")
                acknowledged.append(("action", action.id, {"content": action.content, "status": "未着手"}))
                if previous is not None:
                    done = store.update_action(previous.id, {"status": "完了", "result": f"第{i}回で完了"},
                                               by=f"職員{worker}", expected_version=previous.version)
                    acknowledged.append(("action", done.id, {"content": done.content, "status": "完了"}))
                previous = action
        results.put((worker, acknowledged, None))
    except BaseException as error:  # report, so the test fails with the reason
        results.put((worker, acknowledged, repr(error)))


def editor(url: str, name: str, user_id: str, rounds: int, create: bool, barrier, results) -> None:
    """Save the same review as another editor, in lock step: both read, then both save.

    ``create``: each round both create the review of a new month (expected_version None);
    else both update the October review from the version both have read.
    """
    outcomes = []
    try:
        with open_store(url) as store:
            for i in range(rounds):
                month = BASE_MONTH + i if create else pd.Period("2026-10", "M")
                current = None if create else store.review(OFFICE, user_id, month)
                barrier.wait(timeout=60)            # both have read the same version
                try:
                    if create:
                        store.save_review(Review(OFFICE, user_id, month, policy=f"{name} の方針"),
                                          by=name, expected_version=None)
                    else:
                        store.save_review(dataclasses.replace(current, policy=f"{name} の方針 {i}"),
                                          by=name, expected_version=current.version)
                    outcomes.append(("saved", None))
                except Conflict as conflict:
                    outcomes.append(("conflict", conflict.saved_by))
                barrier.wait(timeout=60)            # both are done with this round
        results.put((name, outcomes, None))
    except BaseException as error:
        barrier.abort()
        results.put((name, outcomes, repr(error)))


def creator(folder: str, name: str, rounds: int, barrier, results) -> None:
    """Open ``store{i}.sqlite`` in ``folder``, which no one has made yet, at the same moment as
    another process, and save a review in it, ``rounds`` times."""
    try:
        for i in range(rounds):
            barrier.wait(timeout=60)                # both open the same new store at once
            with open_store(f"{folder}/store{i}.sqlite") as store:
                store.save_review(Review(OFFICE, name, "2026-10", policy=f"{name} の方針"),
                                  by=name, expected_version=None)
        results.put((name, None))
    except BaseException as error:
        barrier.abort()
        results.put((name, repr(error)))


def crash_writer(url: str, run: int) -> None:
    """Save until killed; print each acknowledged save after its commit."""
    store = open_store(url)
    print("ready", flush=True)
    note = ("経過を記録します。" * 200)[:LONG_TEXT]  # a larger write (as long as a text may be): more time inside a save
    i = 0
    while True:
        user_id = f"K{run:02d}-{i:04d}"
        store.save_review(Review(OFFICE, user_id, "2026-10", discussion=note, policy=f"方針 {i}"),
                          by="職員", expected_version=None)
        print(f"review {user_id}", flush=True)
        action = store.add_action(Action(OFFICE, user_id, "2026-10", f"対応 {i}", "職員"), by="職員")
        print(f"action {action.id} {user_id}", flush=True)
        i += 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "crash":
        crash_writer(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit("usage: store_workers.py crash URL RUN")
