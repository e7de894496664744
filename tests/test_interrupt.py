"""Ctrl-C: any command ends with 「中断しました」 and exit 130, without a traceback and
without a half-written file.  The signal goes to the whole process group, as a terminal
sends it, once the command is visibly at work."""

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from helpers_books import bad_contact_rows, minimal_sheets, write_xlsx  # noqa: E402
from helpers_proc import open_files  # noqa: E402

from teichaku_nb import schema  # noqa: E402

DEMO = Path(__file__).resolve().parents[1] / "teichaku_nb" / "demo" / "demo.xlsx"


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "teichaku_nb", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(condition, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the command ended before it could be interrupted"
        assert time.monotonic() < deadline, "the command never got to work"
        time.sleep(0.02)


def interrupt(process: subprocess.Popen) -> tuple[int, str, str]:
    os.killpg(process.pid, signal.SIGINT)                   # what Ctrl-C in a terminal does
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def has_open(pid: int, path: Path) -> bool:
    return str(path) in open_files(pid)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_ctrl_c_while_validating_a_large_workbook(tmp_path):
    book = write_xlsx(tmp_path / "large.xlsx", minimal_sheets(
        {schema.CONTACTS.title: bad_contact_rows(300_000, first=3)}))
    process = start("validate", book)
    wait_for(lambda: has_open(process.pid, book), process)
    code, out, err = interrupt(process)
    assert code == 130 and "中断しました" in err, err
    assert "Traceback" not in err + out


@pytest.mark.slow
def test_ctrl_c_during_a_report_batch_leaves_only_whole_documents(tmp_path):
    book = tmp_path / "office.xlsx"
    shutil.copy(DEMO, book)
    out = tmp_path / "reports"
    process = start("report", "support", book, "--month", "2026-10", "--all", "--out", out)
    progress = []

    def first_document_done() -> bool:              # the progress bar is the command's stderr
        if select.select([process.stderr], [], [], 0.1)[0]:
            progress.append(os.read(process.stderr.fileno(), 4096).decode(errors="replace"))
        return re.search(r" [1-9]\d*/\d+", "".join(progress)) is not None

    wait_for(first_document_done, process)
    code, _, err = interrupt(process)
    err = "".join(progress) + err
    assert code == 130 and "中断しました" in err, err
    assert "Traceback" not in err and "AssertionError" not in err and "Error" not in err
    written = list(out.iterdir())
    assert written and all(p.suffix == ".html" and not p.name.startswith(".") for p in written)
    assert all(p.read_text(encoding="utf-8").rstrip().endswith("</html>") for p in written)
