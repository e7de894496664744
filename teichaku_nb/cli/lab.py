"""``teichaku lab``: JupyterLab for a supervisor, on a folder of the office's notebooks.

- The folder (``--dir``; else ``notebooks/`` beside the workbook, inside a folder BOOK, and for
  the bundled demo in the per-user data folder, never in the package) gets a copy of each
  report notebook (``reports.notebook_path`` of every kind one may ask for) and of the
  supervisor's analysis notebook (``lab_notebooks/analysis.ipynb``), their ``parameters`` cell
  set to this workbook (absolute path), month, store and office, and a note in Japanese on
  top.  A notebook already in the folder is never replaced: it may be the user's work.  The
  terminal says what was made and what was kept (and when a kept one shows another workbook
  or month).
- JupyterLab listens on 127.0.0.1 only, with a random token that it takes from its environment
  (not its command line, which other users see in ``ps``), as the app's Voila does
  (``server.launcher``).  Once it answers, a request without the token must be refused: a
  JupyterLab that Jupyter's own settings opened to anyone is stopped.
- The terminal shows in Japanese what is open, the URL with its token and how to stop;
  JupyterLab's own output (English) goes to ``lab.log`` in the per-user data folder, the
  token masked.  Ctrl+C, SIGTERM and SIGHUP stop JupyterLab and its kernels
  (``launcher.stop``); so does JupyterLab's File → Shut Down, which ends the command.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import PACKAGE
from .common import EXIT_INPUT, EXIT_OK, readable_books, writable

HOST = "127.0.0.1"             # JupyterLab runs any code its user types: this machine only
DEFAULT_PORT = 8888
FOLDER_NAME = "notebooks"      # beside the workbook
LAB_PERIOD_MONTHS = 6          # a document of a period (運営指導の確認資料): the months ending with the lab's month
DEMO_FOLDER_NAME = "demo-notebooks"     # the demo's, in the per-user data folder
LOG_NAME = "lab.log"           # JupyterLab's output, in the per-user data folder
LAB_NOTEBOOKS = PACKAGE / "lab_notebooks"
ANALYSIS = "analysis"
ANALYSIS_TITLE = "事業所の月ごとの推移（スーパーバイザー向け）"
PARAMETERS_HEADER = "# Parameters: set by `teichaku lab` for this workbook; change them and run all cells again.\n"


# --- the folder of notebooks --------------------------------------------------------------------

@dataclass
class Notebook:
    """A notebook of the folder: its file name's stem, where it is copied from, its title for
    people, and the values of its ``parameters`` cell."""

    name: str
    source: Path
    title: str
    values: dict
    document: bool = True          # a report notebook (its files are made by teichaku report)

    @property
    def file_name(self) -> str:
        return f"{self.name}.ipynb"


@dataclass
class Prepared:
    """What ``prepare`` did: the notebooks it made, those it kept as they were, and of those the
    parameters that are not this run's (file name → ``name = value`` texts)."""

    folder: Path
    created: list[Notebook] = field(default_factory=list)
    kept: list[Notebook] = field(default_factory=list)
    differing: dict[str, list[str]] = field(default_factory=dict)


def notebook_folder(book: Path) -> Path:
    """Where the notebooks of ``book`` go by default: ``notebooks/`` beside a workbook file or
    inside a folder BOOK (as the store: ``store.default_path``); the bundled demo's in the
    per-user data folder, never in the package."""
    from ..paths import data_dir, is_demo_book
    if is_demo_book(book):
        return data_dir() / DEMO_FOLDER_NAME
    return book / FOLDER_NAME if book.is_dir() else book.parent / FOLDER_NAME


def first_person(casebook, month) -> str | None:
    """The person the per-person notebooks show: the first of the month's agenda (else of the
    workbook), or None when there is nobody."""
    from ..rules import agenda
    cases = agenda(casebook, month).cases
    if cases:
        return cases[0].user_id
    ids = casebook.users["user_id"].dropna()
    return str(ids.iloc[0]) if len(ids) else None


def lab_notebooks(book: Path, casebook, month, db: str | None, *, offices: bool) -> list[Notebook]:
    """The notebooks of the folder for ``casebook`` (of ``book``) and ``month``: the analysis
    notebook, then each report notebook, a per-person one showing ``first_person``."""
    from .. import documents
    from ..reports import notebook_path
    common = {"book": str(book), "month": str(month), "db": db, "office": casebook.key if offices else None}
    found = [Notebook(ANALYSIS, LAB_NOTEBOOKS / f"{ANALYSIS}.ipynb", ANALYSIS_TITLE, common, document=False)]
    person = None
    for name in documents.ASKED:
        kind = documents.kind(name)
        values = dict(common)
        if kind.per == documents.PERSON:
            person = person or first_person(casebook, month)
            values["documents"] = [[person, kind.readers[0] if kind.copies else None]] if person else []
        if kind.period:                    # the six months ending with ``month``: the office's cover page too
            import pandas as pd
            values["start"] = str(pd.Period(month, "M") - (LAB_PERIOD_MONTHS - 1))
            values["documents"] = [[None, None], *values["documents"]]
        found.append(Notebook(name, notebook_path(name), kind.title, values))
    return found


def prepare(folder: Path, notebooks: list[Notebook]) -> Prepared:
    """Copy each notebook into ``folder`` (made, only its owner may enter, when missing) with
    its parameters set, unless a file of that name is there already: that one is kept."""
    from ..files import private_folder, write_text
    private_folder(folder)
    prepared = Prepared(folder)
    for notebook in notebooks:
        target = folder / notebook.file_name
        if target.exists() or target.is_symlink():
            prepared.kept.append(notebook)
            differing = kept_differences(target, notebook)
            if differing:
                prepared.differing[notebook.file_name] = differing
            continue
        template = json.loads(notebook.source.read_text(encoding="utf-8"))
        copy = with_parameters(template, notebook.values, intro(notebook))
        write_text(target, json.dumps(copy, ensure_ascii=False, indent=1) + "\n")
        prepared.created.append(notebook)
    return prepared


def parameters_cell(notebook: dict) -> dict | None:
    return next((cell for cell in notebook.get("cells", [])
                 if "parameters" in cell.get("metadata", {}).get("tags", [])), None)


def cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def set_parameters(source: str, values: dict) -> str:
    """``source`` (a parameters cell) with the value of each assignment to a name of ``values``
    replaced by that value (a Python literal), the rest of its line (its comment) kept, and
    names it does not assign left out; its first comment says who set them."""
    edits = [(node.value, values[node.targets[0].id]) for node in ast.parse(source).body
             if isinstance(node, ast.Assign) and len(node.targets) == 1
             and isinstance(node.targets[0], ast.Name) and node.targets[0].id in values]
    lines = [line.encode("utf-8") for line in source.splitlines(keepends=True)]
    for node, value in sorted(edits, key=lambda edit: (edit[0].lineno, edit[0].col_offset), reverse=True):
        first, last = node.lineno - 1, node.end_lineno - 1      # ast's columns count UTF-8 bytes
        lines[first:last + 1] = [lines[first][:node.col_offset] + repr(value).encode("utf-8")
                                 + lines[last][node.end_col_offset:]]
    text = b"".join(lines).decode("utf-8")
    if text.startswith("# Parameters"):
        text = PARAMETERS_HEADER + text.partition("\n")[2]
    return text


def with_parameters(notebook: dict, values: dict, note: str) -> dict:
    """A copy of ``notebook`` whose ``parameters`` cell sets ``values`` (a new one on top when it
    has none), with ``note`` (Markdown) as its first cell."""
    copy = json.loads(json.dumps(notebook))
    cell = parameters_cell(copy)
    if cell is None:
        cell = {"cell_type": "code", "execution_count": None, "metadata": {"tags": ["parameters"]}, "outputs": [],
                "source": PARAMETERS_HEADER + "".join(f"{name} = {value!r}\n" for name, value in values.items())}
        copy.setdefault("cells", []).insert(0, cell)
    else:
        cell["source"] = set_parameters(cell_text(cell), values)
    cell["source"] = cell["source"].splitlines(keepends=True)
    note_cell = {"cell_type": "markdown", "metadata": {}, "source": note.splitlines(keepends=True)}
    if (copy.get("nbformat"), copy.get("nbformat_minor", 0)) >= (4, 5):
        note_cell["id"] = "teichaku-lab-note"                   # cell ids: nbformat 4.5
    copy["cells"].insert(0, note_cell)
    return copy


def intro(notebook: Notebook) -> str:
    """The note on top of a copy, for staff: what its parameters are set to and how to change them."""
    from ..japanese import as_month, format_month
    from ..store import default_path, shown_location
    values = notebook.values
    lines = [f"**{notebook.title}**: `teichaku lab` が用意したノートブックです。"
             "すぐ下の parameters のセルに、次の値を入れてあります。", "",
             f"- ケース記録（book）: `{values['book']}`",
             f"- 対象の年月（month）: {format_month(as_month(values['month']))}"]
    if values.get("start"):
        lines[-1] = (f"- 期間（start〜month）: {format_month(as_month(values['start']))}〜"
                     f"{format_month(as_month(values['month']))}")
    if values.get("office"):
        lines.append(f"- 事業所（office）: `{values['office']}`（事業所ごとのブックのフォルダから1つ）")
    people = [user for user, _ in values.get("documents") or [] if user is not None]     # None: the cover page
    if people:
        lines.append(f"- 利用者ID（documents）: `{'`, `'.join(people)}`（その月の検討一覧の最初の人）")
    db = values.get("db")
    lines.append(f"- 会議記録のデータベース（db）: `{shown_location(db)}`" if db else
                 f"- 会議記録のデータベース（db）: 指定なし（`{default_path(values['book'])}` があれば読みます）")
    lines += ["", "値を書き換えて、すべてのセルを実行し直す（メニューの Run → Run All Cells）と、"
              "ほかの月や人を表示できます。ケース記録にも会議記録にも書き込みません。",
              "teichaku lab はこのフォルダにあるノートブックを上書きしないので、書き換えた内容は残ります。"]
    if notebook.document:
        lines.append("渡す・保存する帳票のファイル（HTML・PDF）は、`teichaku report` か会議アプリの出力で作ります。")
    return "\n".join(lines)


def read_parameters(path: Path) -> dict:
    """The literal values of the ``parameters`` cell of the notebook at ``path`` ({} when it has
    none or cannot be read)."""
    try:
        cell = parameters_cell(json.loads(path.read_text(encoding="utf-8")))
        tree = ast.parse(cell_text(cell)) if cell is not None else None
    except (OSError, ValueError, SyntaxError, AttributeError, TypeError):
        return {}
    found = {}
    for node in tree.body if tree is not None else []:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return found


def kept_differences(path: Path, notebook: Notebook) -> list[str]:
    """The workbook, month and office a kept notebook shows where they are not this run's
    (``name = value``, as its parameters cell has them)."""
    found = read_parameters(path)
    return [f"{name} = {found[name]!r}" for name in ("book", "month", "office")
            if name in found and name in notebook.values and str(found[name]) != str(notebook.values[name])]


def prepared_lines(prepared: Prepared) -> list[str]:
    """What the terminal says about the folder (Japanese)."""
    def listed(notebooks: list[Notebook]) -> str:
        return "、".join(f"{n.file_name}（{n.title}）" for n in notebooks)

    lines = [f"ノートブックのフォルダ: {prepared.folder}"]
    if prepared.created:
        lines.append(f"  新しく用意しました: {listed(prepared.created)}")
    if prepared.kept:
        lines.append(f"  すでにあるので上書きせず、そのまま残しました: {listed(prepared.kept)}")
    if prepared.differing:
        files = "、".join(f"{name}（{', '.join(values)}）" for name, values in prepared.differing.items())
        lines.append(f"  ※ 残したノートブックのうち、前の値のままのもの: {files}。今回の値で用意し直すには、"
                     "そのファイルを消すか名前を変えてから起動し直すか、--dir で別のフォルダを指定してください。")
    return lines


# --- the command ----------------------------------------------------------------------------------

def cmd_lab(args) -> int:
    from ..errors import StaffError
    from ..paths import demo_book_path
    from ..rules import default_month
    from ..workbook import read_source
    from .terminal import problem_line
    if not 0 < args.port < 65536:
        print(f"エラー: ポート番号は 1〜65535 にしてください（{args.port}）", file=sys.stderr)
        return EXIT_INPUT
    demo = args.book is None
    book = demo_book_path() if demo else Path(args.book).expanduser().absolute()
    if not book.exists():
        print(f"エラー: ケース記録が見つかりません: {book}", file=sys.stderr)
        return EXIT_INPUT
    folder = Path(args.folder).expanduser().absolute() if args.folder else notebook_folder(book)
    if folder.exists() and not folder.is_dir():
        print(f"エラー: {folder} はフォルダではありません（--dir にはノートブックを置くフォルダを指定します）", file=sys.stderr)
        return EXIT_INPUT
    if not writable(folder, folder=True):
        print("--dir で、ノートブックを置くフォルダを指定してください", file=sys.stderr)
        return EXIT_INPUT
    source = read_source(book)
    opened = readable_books(source.books)
    if not opened:
        return EXIT_INPUT
    casebook = opened[0]                       # a folder of offices: its first, the others by office
    month = args.month or default_month(casebook, dt.date.today())
    db = _absolute_db(args.db)
    try:
        prepared = prepare(folder, lab_notebooks(book, casebook, month, db, offices=source.is_offices))
    except StaffError as error:              # a report notebook that is not there (reports.notebook_path)
        print(f"エラー: {error}", file=sys.stderr)
        return EXIT_INPUT
    from ..japanese import format_month
    _say(f"ケース記録を指定していないため、デモデータ（架空の人物）を開きます: {book}" if demo else f"ケース記録: {book}")
    if source.is_offices:
        _say(f"事業所: {casebook.office}（ほかの事業所は、ノートブックの office を書き換えると表示できます）")
    _say(f"対象の年月: {format_month(month)}")
    _say(_store_line(book, db))
    for line in prepared_lines(prepared):
        _say(line)
    for line in filter(None, (problem_line(b) for b in opened)):
        print(line, file=sys.stderr, flush=True)
    return serve(folder, args.port, browser=not args.no_browser)


def _absolute_db(db: str | None) -> str | None:
    """``--db`` as the notebooks must read it: a SQLite file given by a relative path, from the
    current directory (their kernels run in the notebooks' folder)."""
    if db is None or "://" in db:
        return db
    return str(Path(db).expanduser().absolute())


def _store_line(book: Path, db: str | None) -> str:
    from ..store import default_path, shown_location
    if db is not None:
        return f"会議記録のデータベース: {shown_location(db)}"
    beside = default_path(book)
    if beside.exists():
        return f"会議記録のデータベース: {beside}"
    return f"会議記録のデータベース: まだありません（{beside}）。ノートブックはケース記録だけで計算します"


def _say(text: str) -> None:
    print(text, flush=True)


# --- JupyterLab -----------------------------------------------------------------------------------

def lab_url(port: int, token: str) -> str:
    return f"http://{HOST}:{port}/lab?token={token}"


def lab_command(folder: Path, port: int, *, browser: bool) -> list[str]:
    """The JupyterLab command line: on 127.0.0.1 only, the folder as its root.  The token is not
    on it: JupyterLab reads it from ``JUPYTER_TOKEN`` (``start``).  Given on the command line,
    these settings win over any Jupyter settings file."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--ServerApp.root_dir={folder}", f"--ServerApp.open_browser={browser}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")       # (containers) JupyterLab refuses root otherwise
    return command


def log_path() -> Path:
    from ..paths import data_dir
    return data_dir() / LOG_NAME


def _open_log() -> logging.Handler | None:
    """JupyterLab's log (rotated like the app's: ``server.applog``), None if it cannot be written."""
    from ..paths import data_dir
    from ..server.applog import AppLogHandler
    try:
        data_dir(create=True)
        log = AppLogHandler(log_path())
    except OSError:
        return None
    log.setFormatter(logging.Formatter("%(message)s"))
    return log


def _write(log: logging.Handler, line: str) -> None:
    log.handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO, "levelname": "INFO"}))


def _relay(pipe: int, log: logging.Handler, token: str) -> None:
    """Each line JupyterLab and its kernels print, into the log without the token, until all of
    them have closed the pipe."""
    try:
        with open(pipe, "rb") as lines:
            for line in lines:
                _write(log, line.decode("utf-8", "replace").rstrip("\r\n").replace(token, "(token)"))
    finally:
        log.close()


def start(folder: Path, port: int, token: str, *, browser: bool) -> subprocess.Popen:
    """Start JupyterLab in a process group of its own (Ctrl+C in the terminal reaches this
    command only, which stops the group: ``launcher.stop``), its output into the log.  It ends
    with this command, however that ends (``kill -9`` included)."""
    from ..server.launcher import ends_with_this_process

    command = lab_command(folder, port, browser=browser)
    env = dict(os.environ, JUPYTER_TOKEN=token)
    bound = ends_with_this_process()
    log = _open_log()
    if log is None:
        return subprocess.Popen(command, env=env, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=bound)
    _write(log, f"[teichaku lab] {time.strftime('%Y-%m-%d %H:%M:%S')} starting JupyterLab on {folder}")
    pipe, into_pipe = os.pipe()
    try:
        process = subprocess.Popen(command, env=env, cwd=folder, stdin=subprocess.DEVNULL, stdout=into_pipe,
                                   stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=bound)
    except BaseException:
        os.close(pipe)
        log.close()
        raise
    finally:
        os.close(into_pipe)
    process.log_relay = threading.Thread(target=_relay, args=(pipe, log, token), name="teichaku-lab-log", daemon=True)
    process.log_relay.start()
    return process


def answers_without_token(port: int) -> bool:
    """Whether JupyterLab lists its files to a request without the token (it must refuse: 403)."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/api/contents", timeout=10):
            return True
    except OSError:                          # HTTPError (403) included
        return False


def serve(folder: Path, port: int, *, browser: bool) -> int:
    """Start JupyterLab on ``folder``, say where to open it, serve until Ctrl+C."""
    from ..server.launcher import port_free, stop, wait_until_ready
    if not port_free(HOST, port):
        print(f"エラー: {HOST} のポート {port} は使われています。--port で別の番号を指定してください", file=sys.stderr)
        return EXIT_INPUT
    token = secrets.token_urlsafe(32)

    def _terminate(signum, _frame):
        raise SystemExit(EXIT_OK)            # run the finally below: JupyterLab and its kernels stop too

    previous = {sig: signal.signal(sig, _terminate) for sig in (signal.SIGTERM, signal.SIGHUP)}
    process = start(folder, port, token, browser=browser)
    try:
        if not wait_until_ready(f"http://{HOST}:{port}/", process):
            print(f"エラー: JupyterLab を起動できませんでした。詳しくは動作の記録（ログ）を見てください: {log_path()}",
                  file=sys.stderr)
            return EXIT_INPUT
        if answers_without_token(port):
            print("エラー: JupyterLab がトークンなしで開ける設定になっていたため、止めました。Jupyter の設定ファイル"
                  "（~/.jupyter など）でトークンやパスワードを変えていないか確かめてください", file=sys.stderr)
            return EXIT_INPUT
        _say("JupyterLab を起動しました。次のURLをブラウザで開いてください（トークン付き。他の人に渡さないでください）:")
        _say(f"  {lab_url(port, token)}")
        _say(f"動作の記録（ログ）: {log_path()}")
        _say("終了するには Ctrl+C を押します。")
        code = process.wait()
        if code not in (0, -signal.SIGTERM, -signal.SIGINT):
            print(f"エラー: JupyterLab が終了しました（終了コード {code}）。詳しくは動作の記録（ログ）を見てください: "
                  f"{log_path()}", file=sys.stderr)
            return EXIT_INPUT
        _say("JupyterLab が終了しました。")
        return EXIT_OK
    except KeyboardInterrupt:
        _say("JupyterLab を終了します。")
        return EXIT_OK
    finally:
        stop(process)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
