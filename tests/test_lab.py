"""``teichaku lab``: the folder of notebooks it prepares (parameters set to the workbook and month,
a notebook already there never replaced), JupyterLab on 127.0.0.1 behind a token, stopped by
Ctrl+C, and the prepared notebooks run by nbval."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from teichaku_nb import paths, rules
from teichaku_nb.cli import lab, main
from teichaku_nb.server.launcher import port_free, wait_until_ready
from teichaku_nb.workbook import load_casebook

from helpers_demo import DEMO

NOTEBOOKS = ("analysis", "support", "minutes", "summary", "plan", "evidence")


@pytest.fixture
def no_server(monkeypatch):
    """``teichaku lab`` prepares its folder and stops where it would start JupyterLab."""
    started = []
    monkeypatch.setattr(lab, "serve", lambda folder, port, *, browser: started.append((folder, port, browser)) or 0)
    return started


@pytest.fixture
def office_book(tmp_path) -> Path:
    """A user's workbook (the demo's data, outside the package)."""
    book = tmp_path / "office" / "事業所.xlsx"
    book.parent.mkdir()
    shutil.copy(DEMO, book)
    return book


def parameters(path: Path) -> dict:
    return lab.read_parameters(path)


def default_month(book: Path) -> str:
    return str(rules.default_month(load_casebook(book), dt.date.today()))


# --- the folder -----------------------------------------------------------------------------------

def test_the_folder_beside_the_workbook_gets_every_notebook_set_to_it(office_book, no_server, capsys):
    assert main(["lab", str(office_book)]) == 0
    out = capsys.readouterr().out
    folder = office_book.parent / "notebooks"
    assert no_server == [(folder, lab.DEFAULT_PORT, True)]
    assert sorted(p.stem for p in folder.glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert f"ノートブックのフォルダ: {folder}" in out and "新しく用意しました: analysis.ipynb" in out
    month = default_month(office_book)
    first = rules.agenda(load_casebook(office_book), pd.Period(month, "M")).cases[0].user_id
    for name in NOTEBOOKS:
        path = folder / f"{name}.ipynb"
        nbformat.validate(nbformat.read(path, as_version=4))
        found = parameters(path)
        assert found["book"] == str(office_book.absolute()) and found["month"] == month
        assert found["db"] is None and found["office"] is None
        if name == "evidence":              # the six months ending with the month, the cover and the first person
            assert found["start"] == str(pd.Period(month, "M") - 5)
            assert found["documents"] == [[None, None], [first, None]]
        note = nbformat.read(path, as_version=4).cells[0]
        assert note.cell_type == "markdown" and "teichaku lab が用意した" in note.source.replace("`", "")
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert parameters(folder / "support.ipynb")["documents"] == [[first, "本人"]]
    assert parameters(folder / "plan.ipynb")["documents"] == [[first, None]]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_a_notebook_already_in_the_folder_is_kept_as_the_user_left_it(office_book, no_server, capsys, tmp_path):
    folder = tmp_path / "mine"
    assert main(["lab", str(office_book), "--dir", str(folder), "--month", "2026-09", "--port", "8901",
                 "--no-browser"]) == 0
    edited = nbformat.read(folder / "summary.ipynb", as_version=4)
    edited.cells.append(nbformat.v4.new_markdown_cell("所長のメモ: 来月は欠勤の多い人を先に見る"))
    nbformat.write(edited, folder / "summary.ipynb")
    before = (folder / "summary.ipynb").read_bytes()
    (folder / "plan.ipynb").unlink()                       # removed by the user: made again
    capsys.readouterr()

    assert main(["lab", str(office_book), "--dir", str(folder), "--month", "2026-10", "--no-browser"]) == 0
    out = capsys.readouterr().out
    assert (folder / "summary.ipynb").read_bytes() == before
    assert "所長のメモ" in (folder / "summary.ipynb").read_text(encoding="utf-8")
    assert re.search(r"新しく用意しました: plan\.ipynb（個別支援計画書）\n", out)
    assert re.search(r"そのまま残しました: .*summary\.ipynb（月次サマリー）", out)
    assert "前の値のままのもの: " in out and "summary.ipynb（month = '2026-09'）" in out
    assert parameters(folder / "plan.ipynb")["month"] == "2026-10"
    assert no_server[-1] == (folder, lab.DEFAULT_PORT, False)


def test_without_a_workbook_the_demo_s_folder_is_in_the_per_user_folder(no_server, capsys):
    assert main(["lab", "--no-browser"]) == 0
    out = capsys.readouterr().out
    folder = paths.data_dir() / lab.DEMO_FOLDER_NAME
    assert "デモデータ（架空の人物）を開きます" in out
    assert no_server[-1][0] == folder and paths.PACKAGE not in folder.parents
    assert parameters(folder / "minutes.ipynb")["book"] == str(paths.demo_book_path())
    assert not (paths.PACKAGE / "demo" / "notebooks").exists()


def test_a_folder_of_offices_sets_the_office(tmp_path, no_server, capsys):
    from teichaku_nb.demo import make_demo
    make_demo(tmp_path / "offices", users=8, months=3, offices=2, seed=2, end="2026-10")
    assert main(["lab", str(tmp_path / "offices"), "--no-browser"]) == 0
    first = sorted((tmp_path / "offices").glob("*.xlsx"))
    found = parameters(tmp_path / "offices" / "notebooks" / "summary.ipynb")
    assert found["office"] in {load_casebook(p).key for p in first}
    assert "ほかの事業所は、ノートブックの office を書き換える" in capsys.readouterr().out


def test_wrong_arguments_exit_2_in_japanese(tmp_path, no_server, capsys):
    assert main(["lab", str(tmp_path / "ない.xlsx")]) == 2
    assert "ケース記録が見つかりません" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["lab", "--dir", str(tmp_path / "file")]) == 2
    assert "はフォルダではありません" in capsys.readouterr().err
    assert main(["lab", "--port", "70000"]) == 2
    assert "ポート番号は 1〜65535" in capsys.readouterr().err
    assert no_server == []


def test_the_parameters_are_replaced_and_their_comments_kept():
    source = ('# Parameters: teichaku_nb.reports runs this notebook with its own values.\n'
              'book = "../demo/demo.xlsx"   # the case workbook\n'
              'documents = [["001", "本人"]]    # 利用者ID, 本人 or 企業\n'
              'other = {"a": 1,\n         "b": 2}   # two lines\n')
    changed = lab.set_parameters(source, {"book": "/ケース/記録.xlsx", "documents": [["U7", "本人"]],
                                          "other": None, "absent": 1})
    assert changed == (lab.PARAMETERS_HEADER + "book = '/ケース/記録.xlsx'   # the case workbook\n"
                       "documents = [['U7', '本人']]    # 利用者ID, 本人 or 企業\n"
                       "other = None   # two lines\n")


def test_the_analysis_notebook_is_package_data_and_uses_the_public_api_only():
    import ast
    import tomllib

    root = paths.PACKAGE.parent
    package_data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert "lab_notebooks/*.ipynb" in package_data["teichaku_nb"]
    notebook = nbformat.read(lab.LAB_NOTEBOOKS / "analysis.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert "parameters" in notebook.cells[0].metadata["tags"]
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            assert re.search(r"[\u3040-\u30ff]", cell.source), cell.source        # Japanese, for staff
            continue
        tree = ast.parse(cell.source)
        imported = [(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    for alias in node.names]
        assert all(not name.startswith("_") for _, name in imported), imported
        assert not [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                    and node.attr.startswith("_") and not node.attr.startswith("__")]


# --- JupyterLab -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net shows them) of the sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:             # 0A: LISTEN
                found.add(address)
    return found


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def status(port: int, path: str) -> tuple[int, str]:
    """The status and Location of GET ``path``, redirects not followed, no cookies."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        return answer.status, answer.getheader("Location") or ""
    finally:
        connection.close()


def lines_of(process: subprocess.Popen) -> queue.Queue:
    """The process's stdout lines as they come (None at its end)."""
    lines: queue.Queue = queue.Queue()

    def read():
        for line in process.stdout:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=read, daemon=True).start()
    return lines


def line_with(lines: queue.Queue, pattern: str, seen: list[str], timeout: float = 60) -> re.Match:
    deadline = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        assert line is not None, "teichaku lab ended:\n" + "".join(seen)
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found


@pytest.mark.slow
def test_the_command_serves_jupyterlab_on_loopback_behind_a_token_until_ctrl_c(office_book, tmp_path):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "teichaku_nb", "lab", str(office_book), "--dir",
                                str(tmp_path / "nb"), "--port", str(port), "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines, seen = lines_of(process), []
        assert wait_until_ready(f"http://127.0.0.1:{port}/", process), process.stderr.read()
        url = line_with(lines, r"^  (http://\S+)$", seen).group(1)
        assert url.startswith(f"http://127.0.0.1:{port}/lab?token=")
        token = url.partition("token=")[2]
        assert len(token) >= 32
        line_with(lines, "終了するには Ctrl\\+C を押します", seen)
        assert "JupyterLab を起動しました" in "".join(seen)

        code, location = status(port, "/lab")
        assert code == 403 or (code in (301, 302, 303, 307) and "/login" in location)
        assert status(port, "/api/contents")[0] == 403
        assert status(port, f"/lab?token={token}")[0] == 200
        assert listening_addresses(port) in (set(), {"0100007F"})     # 127.0.0.1 only (where /proc tells)
        for pid in [process.pid, *children(process.pid)]:                 # the token is on no command line
            assert token not in Path(f"/proc/{pid}/cmdline").read_text()

        process.send_signal(signal.SIGINT)                               # Ctrl+C
        assert process.wait(timeout=60) == 0
        line_with(lines, "JupyterLab を終了します", seen)
        deadline = time.monotonic() + 30
        while not port_free("127.0.0.1", port):
            assert time.monotonic() < deadline, f"port {port} still taken after teichaku lab ended"
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.terminate()                      # SIGTERM: teichaku lab stops JupyterLab too
            process.wait(timeout=60)


# --- nbval --------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_prepared_notebooks_pass_nbval_lax(tmp_path, no_server):
    """The analysis notebook and the report notebooks, prepared for the demo workbook, run."""
    folder = tmp_path / "nb"
    assert main(["lab", "--dir", str(folder), "--no-browser"]) == 0
    cells = sum(c.cell_type == "code" for p in folder.glob("*.ipynb") for c in nbformat.read(p, as_version=4).cells)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                             "--rootdir", str(tmp_path), str(folder)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(rf"\b{cells} passed\b", result.stdout), result.stdout[-2000:]
    assert sorted(p.stem for p in folder.glob("*.ipynb")) == sorted(NOTEBOOKS)
    analysis = json.loads((folder / "analysis.ipynb").read_text(encoding="utf-8"))
    assert any("teichaku lab" in "".join(c["source"]) for c in analysis["cells"] if c["cell_type"] == "markdown")
