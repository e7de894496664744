"""The workbook read ahead while ``teichaku app`` starts (``app.prefetch``): the first page's
kernel takes that reading only when it is of the workbook as it is now, on the same day;
otherwise it reads the workbook itself and shows what the workbook holds now.  The reading is
a file only its user can read.  All people are synthetic.
"""

from __future__ import annotations

import datetime as dt
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from teichaku_nb.app import prefetch
from teichaku_nb.app.conference import ConferenceModel
from teichaku_nb.demo import make_demo
from teichaku_nb.paths import PREFETCH_ENV
from teichaku_nb.workbook import read_source

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "teichaku_nb" / "demo" / "demo.xlsx"
TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def book(tmp_path) -> Path:
    return Path(shutil.copy(DEMO, tmp_path / "office.xlsx"))


@pytest.fixture
def ahead(tmp_path, book, monkeypatch) -> Path:
    """The reading of ``book`` saved as ``teichaku app`` saves it, and named to the kernel."""
    target = tmp_path / "run" / "workbook.pickle"
    target.parent.mkdir(mode=0o700)
    assert prefetch.write(book, target, TODAY)
    monkeypatch.setenv(PREFETCH_ENV, str(target))
    return target


def names(source) -> list[str]:
    return source.books[0].users["name"].tolist()


def test_the_reading_saved_ahead_is_the_workbooks_reading(book, ahead):
    taken = prefetch.take(book, TODAY)
    fresh = read_source(book, today=TODAY)
    assert names(taken) == names(fresh) and len(names(fresh)) == 36
    assert [(p.sheet, p.row, p.column, p.code) for p in taken.books[0].problems] == \
           [(p.sheet, p.row, p.column, p.code) for p in fresh.books[0].problems]
    for sheet in ("users", "contacts", "attendance", "plans"):
        assert getattr(taken.books[0], sheet).equals(getattr(fresh.books[0], sheet)), sheet


def test_only_its_user_can_read_the_saved_reading(ahead):
    assert stat.S_IMODE(ahead.stat().st_mode) == 0o600
    assert [p.name for p in ahead.parent.iterdir()] == ["workbook.pickle"]     # nothing half written left


def test_the_kernel_reads_the_workbook_itself_when_it_changed_since(tmp_path, book, ahead, monkeypatch):
    other = make_demo(tmp_path / "other.xlsx", users=12, seed=7)[0]
    shutil.copy(other, book)                              # the same file, other people in it
    assert prefetch.take(book, TODAY) is None
    model = ConferenceModel(book, str(tmp_path / "records.sqlite"), demo=False, today=TODAY)
    model.load()
    assert model.book.users["name"].tolist() == names(read_source(other, today=TODAY))


def test_the_kernel_takes_the_reading_when_the_workbook_is_unchanged(tmp_path, book, ahead, monkeypatch):
    def not_again(*_args, **_kwargs):
        raise AssertionError("the workbook was read again")
    monkeypatch.setattr("teichaku_nb.workbook.read_source", not_again)
    model = ConferenceModel(book, str(tmp_path / "records.sqlite"), demo=False, today=TODAY)
    model.load()
    assert model.header.fatal == "" and len(model.book.users) == 36 and model.agenda.rows


def test_another_day_another_workbook_or_no_reading_is_not_taken(tmp_path, book, ahead, monkeypatch):
    assert prefetch.take(book, TODAY + dt.timedelta(days=1)) is None       # the day decides warnings
    assert prefetch.take(DEMO, TODAY) is None                              # same bytes, other file
    ahead.write_bytes(b"not a reading")
    assert prefetch.take(book, TODAY) is None
    ahead.unlink()
    assert prefetch.take(book, TODAY) is None                              # not there yet
    monkeypatch.delenv(PREFETCH_ENV)
    assert prefetch.take(book, TODAY) is None                              # not under teichaku app


def test_a_folder_is_not_read_ahead_and_a_failure_says_nothing(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    target = tmp_path / "workbook.pickle"
    assert not prefetch.write(folder, target, TODAY) and not target.exists()
    done = subprocess.run([sys.executable, "-m", "teichaku_nb.app.prefetch", str(tmp_path / "missing.xlsx"),
                           str(target)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr, target.exists()) == (1, "", "", False)
