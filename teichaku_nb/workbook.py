"""Read an office's case workbook, forgive what real spreadsheets look like, name every problem.

Two stages:

1. *reading* (``reading.py``): a source becomes raw sheets (cell values with the row number
   staff see); a file that cannot be opened, or a sheet larger than the format allows, is
   one ``unreadable`` problem;
2. *building* (here): each raw sheet is matched against ``schema.py`` (header row found among
   the top rows, columns in any order), every cell is normalised and typed, and every
   problem is reported with sheet, row and column (the first ``MAX_PROBLEMS`` of each code
   and sheet; the rest are counted in one line).  The result is a ``CaseBook``.

The format is described in docs/workbook-format.md.  Nothing here writes to the source.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import pickle
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from . import japanese, schema
from . import periods
from .casebook import CODE_LABELS, ERROR, SEVERITY_LABELS, WARNING, CaseBook, Problem, Settings
from .fee_table import REDUCTIONS
from .reading import SPREADSHEET_SUFFIXES, RawSheet, Unreadable, read_sheets

HEADER_SEARCH_ROWS = 10
MAX_PROBLEMS = 100            # problems listed with their places per code and sheet; the rest counted

# Characters nobody types: NUL and the other control characters (tab and line breaks are text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# --- entry points ----------------------------------------------------------------------------

def load_casebook(path: Path, *, today: dt.date | None = None) -> CaseBook:
    """One office's casebook from a workbook file or a folder of CSV files."""
    path = Path(path)
    office = path.stem if path.is_file() or path.suffix else path.name
    try:
        sheets = read_sheets(path)
    except Unreadable as error:
        book = build_casebook([], source=path, office=office, today=today)
        book.problems = [Problem(ERROR, None, None, None, "unreadable", str(error))]
        return book
    return build_casebook(sheets, source=path, office=office, today=today)


def office_workbooks(folder: Path) -> list[Path]:
    """The workbooks of a folder of offices (lock files and hidden files left out)."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in SPREADSHEET_SUFFIXES and not p.name.startswith((".", "~$")))


@dataclass
class Source:
    """What BOOK holds, read once: its offices' casebooks, and whether BOOK is a folder of
    offices.  A batch of documents works from it (``report_views.keep_source``) instead of
    reading the workbooks again."""

    path: Path
    books: list[CaseBook]
    is_offices: bool

    @property
    def unreadable(self) -> list[Problem]:
        return [p for b in self.books for p in b.unreadable]


def read_source(path: Path, *, today: dt.date | None = None) -> Source:
    """The casebooks of BOOK (a workbook, a CSV folder or a folder of office workbooks)."""
    path = Path(path)
    if path.is_dir() and not any(p.suffix.lower() == ".csv" for p in path.iterdir()):
        books = office_workbooks(path)
        if books:
            return Source(path, _one_office_each(_load_all(books, today)), True)
    return Source(path, [load_casebook(path, today=today)], False)


def _one_office_each(books: list[CaseBook]) -> list[CaseBook]:
    """Two workbooks of a folder that claim one office (the same 事業所番号, or the same name
    when 設定 has no number) would share its records: both are refused, each naming the
    other, until one is corrected."""
    claims: dict[str, list[CaseBook]] = {}
    for book in books:
        if not book.unreadable:
            claims.setdefault(book.key, []).append(book)
    for same in claims.values():
        if len(same) < 2:
            continue
        files = "・".join(b.source.name for b in same)
        number = same[0].settings.office_number.strip()
        what = f"事業所番号 {number}" if number else f"事業所名「{same[0].office}」（事業所番号なし）"
        for book in same:
            book.problems = [Problem(ERROR, None, None, None, "unreadable",
                                     f"{files} が同じ事業所（{what}）のケース記録になっています。記録が混ざらないよう、"
                                     "どちらも読み込みません。設定シートの事業所名か事業所番号を直してください")] + book.problems
    return books


PARALLEL_FROM = 8            # workbooks in a folder: from this many they are read side by side


def _load_all(paths: list[Path], today: dt.date | None) -> list[CaseBook]:
    """The workbooks of a folder of offices, in order.  A workbook's reading has a fixed cost
    (opening, typing each column) that fifty small ones pay fifty times, so from
    ``PARALLEL_FROM`` workbooks they are read side by side, one share per core: this process
    reads the first share while worker processes (``python -m teichaku_nb.workbook``) read
    the others and hand their casebooks back as pickles in a private folder of ours."""
    workers = min(len(paths) // (PARALLEL_FROM // 2), os.cpu_count() or 1)
    if workers < 2:
        return [load_casebook(p, today=today) for p in paths]
    shares = [paths[k::workers] for k in range(workers)]
    day = (today or dt.date.today()).isoformat()
    with tempfile.TemporaryDirectory(prefix="teichaku-read-") as folder:
        outs = [Path(folder) / f"share-{k}.pickle" for k in range(1, workers)]
        started = [subprocess.Popen([sys.executable, "-m", __name__, str(out), day, *map(str, share)])
                   for out, share in zip(outs, shares[1:])]
        try:
            read = {p: load_casebook(p, today=today) for p in shares[0]}
            if any(process.wait() != 0 for process in started):
                return [read.get(p) or load_casebook(p, today=today) for p in paths]   # a worker said why on stderr
        finally:
            for process in started:
                if process.poll() is None:
                    process.kill()
        for out, share in zip(outs, shares[1:]):
            with open(out, "rb") as found:
                read.update(zip(share, pickle.load(found)))
    return [read[p] for p in paths]


def _read_share(out: str, today: str, *paths: str) -> None:
    """A worker of ``_load_all``: the casebooks of ``paths`` into the pickle ``out``."""
    books = [load_casebook(Path(p), today=dt.date.fromisoformat(today)) for p in paths]
    with open(out, "wb") as target:
        pickle.dump(books, target, protocol=pickle.HIGHEST_PROTOCOL)


def load_source(path: Path, *, today: dt.date | None = None) -> tuple[list[CaseBook], bool]:
    """``read_source`` as (casebooks, whether BOOK was a folder of offices)."""
    source = read_source(path, today=today)
    return source.books, source.is_offices


def casebook_from_records(tables: dict[str, list[dict]], *, settings: dict | None = None,
                          office: str = "テスト事業所", today: dt.date | None = None) -> CaseBook:
    """A casebook built from rows given in code, through the same checks as a file.

    ``tables`` maps a sheet (internal name such as ``"users"`` or its title ``"利用者"``) to
    rows keyed by internal column name or Japanese header.  Meant for tests and examples.
    """
    by_name = {sheet.name: sheet for sheet in schema.TABLES} | schema.TABLES_BY_TITLE
    raw = []
    for key, records in tables.items():
        sheet = by_name[key]
        names = {c.name: c.header for c in sheet.columns}
        used = {k for record in records for k in record}
        # A format 1 book has none of the later columns: those appear only when a record has them.
        columns = [c for c in sheet.columns if c.since == 1 or c.name in used or c.header in used]
        headers = [c.header for c in columns]
        rows = [headers] + [[record.get(c.name, record.get(c.header)) for c in columns] for record in records]
        unknown = used - set(names) - set(sheet.headers)
        if unknown:
            raise KeyError(f"unknown columns for {sheet.name}: {sorted(unknown)}")
        raw.append(RawSheet(sheet.title, rows))
    if settings:
        labels = {s.name: s.label for s in schema.SETTINGS}
        raw.append(RawSheet(schema.SETTINGS_TITLE, [list(schema.SETTINGS_HEADERS)] +
                            [[labels.get(k, k), v] for k, v in settings.items()]))
    return build_casebook(raw, source=Path(f"{office}.xlsx"), office=office, today=today)


# --- stage 2: building ----------------------------------------------------------------------

def _visible(text: str) -> str:
    """Text for a message: control characters shown as U+0000, never written out raw."""
    return _CONTROL.sub(lambda m: f"U+{ord(m.group()):04X}", text)


class _Problems(list):
    """The problems found.  Each (code, sheet) lists its first ``MAX_PROBLEMS`` with their
    places; the rest are only counted (cheaply: ``add_each`` does not even word them) and
    become one summary problem (row None, ``omitted`` = the count) at the end of the sheet."""

    def __init__(self):
        super().__init__()
        self.found: dict[tuple[str, str | None], int] = {}
        self.severities: dict[tuple[str, str | None], str] = {}

    def _room(self, severity, sheet, code) -> int:
        self.severities.setdefault((code, sheet), severity)
        return MAX_PROBLEMS - self.found.get((code, sheet), 0)

    def add(self, severity, sheet, row, column, code, detail):
        key = (code, sheet)
        room = self._room(severity, sheet, code)
        self.found[key] = self.found.get(key, 0) + 1
        if room <= 0:
            return
        row = None if row is None or pd.isna(row) else int(row)
        where = sheet or ""
        if row is not None:
            where += f" {row}行目"
        if column:
            where += f"「{column}」"
        detail = _visible(detail)
        self.append(Problem(severity, sheet, row, column, code, f"{where}: {detail}" if where else detail))

    def add_each(self, severity, sheet, column, code, rows, *values, detail):
        """One problem per row of ``rows`` (``detail(*values of that row)`` says what): the
        first ones worded and placed, the others counted."""
        total = len(rows)
        shown = max(0, min(total, self._room(severity, sheet, code)))
        for row, *row_values in itertools.islice(zip(rows, *values), shown):
            self.add(severity, sheet, row, column, code, detail(*row_values))
        key = (code, sheet)
        self.found[key] = self.found.get(key, 0) + total - shown

    def listed(self) -> list[Problem]:
        """The problems listed, and a summary for each (code, sheet) that had more."""
        summaries = []
        for (code, sheet), count in self.found.items():
            if count > MAX_PROBLEMS:
                severity = self.severities[(code, sheet)]
                more = count - MAX_PROBLEMS
                summaries.append(Problem(
                    severity, sheet, None, None, code,
                    f"{sheet or 'ファイル全体'}: ほかにも「{CODE_LABELS.get(code, code)}」の{SEVERITY_LABELS[severity]}が "
                    f"{more:,}件あります（同じ種類は最初の{MAX_PROBLEMS}件だけ行・列つきで示しています。"
                    f"全部で {count:,}件）", omitted=more))
        return [*self, *summaries]


def build_casebook(sheets: list[RawSheet], *, source: Path, office: str,
                   today: dt.date | None = None) -> CaseBook:
    today = today or dt.date.today()
    problems = _Problems()
    found: dict[str, RawSheet] = {}
    settings_sheet = None
    for raw in sheets:
        title = japanese.clean(raw.title)
        if title in schema.TABLES_BY_TITLE and title not in found:
            found[title] = raw
        elif title == schema.SETTINGS_TITLE:
            settings_sheet = raw
        elif title not in schema.KNOWN_OTHER_SHEETS:
            problems.add(WARNING, title, None, None, "unknown_sheet",
                         f"シート「{title}」はこの形式にないため読み飛ばしました")

    frames: dict[str, pd.DataFrame] = {}
    counts: dict[str, int] = {}
    owners: dict[str, pd.Series] = {}          # sheet title -> 利用者ID by row, also of rows left out
    present: dict[str, frozenset] = {sheet.name: frozenset() for sheet in schema.TABLES}
    for sheet in schema.TABLES:
        raw = found.get(sheet.title)
        if raw is None:
            if sheet.required and sheets:
                problems.add(ERROR, sheet.title, None, None, "missing_sheet",
                             f"必須のシート「{sheet.title}」がありません")
            frames[sheet.name] = _empty_frame(sheet)
            continue
        frame, counts[sheet.title], owners[sheet.title], present[sheet.name] = _read_table(sheet, raw, problems, today)
        frames[sheet.name] = frame

    settings = _read_settings(settings_sheet, office, problems)
    _check_settings(settings, problems)
    _check_users(frames, problems)
    _check_references(frames, problems)
    frames["attendance"] = _check_attendance(frames["attendance"], problems)
    order = {title: i for i, title in enumerate([None, *schema.TABLES_BY_TITLE, schema.SETTINGS_TITLE])}
    listed = sorted(problems.listed(), key=lambda p: (order.get(p.sheet, len(order)), p.omitted > 0, p.row or 0))
    return CaseBook(source=Path(source), settings=settings, problems=_with_owners(listed, owners),
                    counts=counts, present=present, **frames)


def _with_owners(problems: list[Problem], owners: dict[str, pd.Series]) -> list[Problem]:
    """The problems, each of a row with a readable 利用者ID naming that person (``Problem.user_id``:
    a 支援レポート made for them left out what could not be read)."""
    located = []
    for problem in problems:
        ids = owners.get(problem.sheet)
        if problem.row is not None and ids is not None and problem.row in ids.index:
            owner = ids.loc[problem.row]
            if isinstance(owner, str) and owner:
                problem = replace(problem, user_id=owner)
        located.append(problem)
    return located


def _find_header(sheet: schema.Sheet, rows: list[list]) -> tuple[int | None, list[str]]:
    """The index of the header row among the top rows, and its cleaned cells."""
    required = {c.header for c in sheet.columns if c.required}
    best, best_known = None, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [japanese.clean(v) if not japanese.is_blank(v) else "" for v in row]
        if required <= set(cells):
            return i, cells
        known = len(set(cells) & set(sheet.headers))
        if known > best_known:
            best, best_known = i, known
    if best is None:
        return None, []
    return best, [japanese.clean(v) if not japanese.is_blank(v) else "" for v in rows[best]]


def _read_table(sheet: schema.Sheet, raw: RawSheet, problems: _Problems,
                today: dt.date) -> tuple[pd.DataFrame, int, pd.Series, frozenset]:
    """The sheet's usable rows, the number of data rows, the 利用者ID of every data row
    (indexed by row number; NA where unreadable), and the columns the sheet has."""
    header_index, header = _find_header(sheet, raw.rows)
    if header_index is None:
        for column in sheet.columns:
            if column.required:
                problems.add(ERROR, sheet.title, None, column.header, "missing_column",
                             f"必須の列「{column.header}」が見つかりません（上から{HEADER_SEARCH_ROWS}行に見出しがありません）")
        return _empty_frame(sheet), 0, _NO_OWNERS, frozenset()
    header_row = raw.first_row + header_index
    positions: dict[str, int] = {}
    for position, text in enumerate(header):
        if not text:
            continue
        if text in sheet.headers:
            positions.setdefault(text, position)
        else:
            problems.add(WARNING, sheet.title, header_row, text, "unknown_column",
                         f"列「{text}」はこの形式にないため読み飛ばしました")
    missing = [c for c in sheet.columns if c.required and c.header not in positions]
    for column in missing:
        problems.add(ERROR, sheet.title, header_row, column.header, "missing_column",
                     f"必須の列「{column.header}」がありません")
    if missing:
        return _empty_frame(sheet), 0, _NO_OWNERS, frozenset()

    # The body is taken out of ``raw`` and each column is let go once typed, so a large sheet
    # is not held twice over.
    body, raw.rows = raw.rows[header_index + 1:], raw.rows[:header_index + 1]
    numbers = range(header_row + 1, header_row + 1 + len(body))
    kept_rows, kept_numbers = [], []
    for number, row in zip(numbers, body):
        if not _blank_row(row):
            kept_rows.append(row)
            kept_numbers.append(number)
    del body
    width = max((len(r) for r in kept_rows), default=0)
    cells = {}
    for column in sheet.columns:
        position = positions.get(column.header)
        if position is None or position >= width:
            cells[column.name] = pd.Series([None] * len(kept_rows), dtype=object)
        else:
            cells[column.name] = pd.Series([r[position] if position < len(r) else None for r in kept_rows],
                                           dtype=object)
    del kept_rows
    rows = pd.Series(pd.array(kept_numbers, dtype="Int64"))
    del kept_numbers

    usable = pd.Series(True, index=rows.index)
    typed = {}
    for column in sheet.columns:
        values, bad = _convert(sheet, column, cells.pop(column.name), rows, problems, today)
        typed[column.name] = values
        if column.required:
            usable &= ~bad & values.notna()
    result = pd.DataFrame({"row": rows, **typed})
    ids = pd.Series(typed["user_id"].to_numpy(), index=rows.to_numpy())
    present = frozenset(sheet.headers[h].name for h in positions)
    return result[usable.to_numpy()].reset_index(drop=True), len(rows), ids[~ids.index.duplicated()], present


_NO_OWNERS = pd.Series([], dtype=object)


def _blank_row(row) -> bool:
    """Whether no cell of ``row`` holds anything (``japanese.is_blank``, quicker for text)."""
    for value in row:
        if value.__class__ is str:
            if value.strip():
                return False
        elif not japanese.is_blank(value):
            return False
    return True


_PARSERS = {
    schema.DATE: japanese.parse_date, schema.MONTH: japanese.parse_month,
    schema.INT: japanese.parse_int, schema.SCORE: japanese.parse_int,
    schema.NUMBER: japanese.parse_number,
}
_BAD_CODES = {schema.DATE: "bad_date", schema.MONTH: "bad_month", schema.INT: "bad_number",
              schema.SCORE: "bad_number", schema.NUMBER: "bad_number"}
_EXPECTED = {schema.DATE: "日付（例: 2025/4/1、令和7年4月1日）", schema.MONTH: "年月（例: 2025-04、令和7年4月）",
             schema.INT: "整数", schema.SCORE: "1〜5の整数", schema.NUMBER: "数値"}
_DTYPES = {schema.TEXT: "str", schema.ID: "str", schema.CHOICE: "str", schema.DATE: "datetime64[ns]",
           schema.MONTH: "period[M]", schema.INT: "Int64", schema.SCORE: "Int64", schema.NUMBER: "Float64"}


def _convert(sheet: schema.Sheet, column: schema.Column, cells: pd.Series, rows: pd.Series,
             problems: _Problems, today: dt.date) -> tuple[pd.Series, pd.Series]:
    """Typed values of one column and a mask of cells that were filled but unusable.

    Each distinct cell value is parsed once; the result is mapped back to the rows.
    """
    parser = _PARSERS.get(column.kind, japanese.parse_text)
    parsed: dict = {}
    errors: dict = {}
    controlled: list = []
    for value in pd.unique(cells):
        text = value
        if isinstance(value, str) and _CONTROL.search(value):
            controlled.append(value)             # read without them, and said so below
            text = _CONTROL.sub("", value)
        try:
            parsed[value] = parser(text)
        except ValueError as error:
            parsed[value] = None
            errors[value] = str(error)
    values = cells.map(parsed.get).astype(object)
    bad = pd.Series(False, index=cells.index)
    if controlled:
        hit = cells.isin(controlled)
        problems.add_each(WARNING, sheet.title, column.header, "control_char", rows[hit], cells[hit],
                          detail=_control_detail)
    if errors:
        failed = cells.isin(list(errors))
        bad |= failed
        problems.add_each(ERROR, sheet.title, column.header, _BAD_CODES[column.kind], rows[failed], cells[failed],
                          detail=lambda value: f"{errors[value]}。{_EXPECTED[column.kind]}で入力してください")

    empty = values.isna() & ~bad
    if column.default is not None:
        values = values.where(~empty, column.default)
    elif column.required and empty.any():
        problems.add_each(ERROR, sheet.title, column.header, "empty_required", rows[empty],
                          detail=lambda: f"必須の「{column.header}」が空欄です")

    if column.kind == schema.CHOICE:
        spaced = {v: "".join(v.split()) for v in pd.unique(values) if isinstance(v, str)}
        normalised = values.map(spaced).astype(object)
        wrong = normalised.notna() & ~normalised.isin(column.choices)
        values = normalised
        if wrong.any():
            problems.add_each(ERROR, sheet.title, column.header, "bad_choice", rows[wrong], values[wrong],
                              detail=lambda value: f"「{value}」は選べません。選べるのは {' / '.join(column.choices)} です")
            values = normalised.where(~wrong, None)
            bad |= wrong
    if column.min is not None or column.max is not None:
        numeric = pd.to_numeric(values, errors="coerce")
        wrong = numeric.notna() & ((numeric < column.min) | (numeric > column.max))
        if wrong.any():
            problems.add_each(ERROR, sheet.title, column.header, "out_of_range", rows[wrong], numeric[wrong],
                              detail=lambda value: f"{int(value) if float(value).is_integer() else value} は範囲外です"
                                                   f"（{japanese.format_number(column.min)}〜"
                                                   f"{japanese.format_number(column.max)}）")
            values = values.where(~wrong, None)
            bad |= wrong
    if column.kind == schema.DATE and column.past:
        dates = pd.to_datetime(values, errors="coerce")
        future = dates > pd.Timestamp(today)
        if future.any():
            problems.add_each(WARNING, sheet.title, column.header, "future_date", rows[future], dates[future],
                              detail=lambda value: f"{japanese.format_date(value)} は今日"
                                                   f"（{japanese.format_date(today)}）より後の日付です")
    return _typed(column, values), bad


def _control_detail(value: str) -> str:
    found = "・".join(dict.fromkeys(f"U+{ord(c):04X}" for c in _CONTROL.findall(value)))
    return (f"見えない制御文字（{found}）が入っていたため、取り除いて読みました。"
            "ほかのシステムから貼り付けた値に多い文字です。セルを入力し直してください")


def _typed(column: schema.Column, values: pd.Series) -> pd.Series:
    """The column in its dtype (``_DTYPES``); missing values (None, NaN) become the dtype's NA."""
    dtype = _DTYPES[column.kind]
    if column.kind == schema.DATE:
        return pd.Series(pd.to_datetime(values, errors="coerce"), index=values.index).astype(dtype)
    if column.kind == schema.MONTH:
        return pd.Series(pd.PeriodIndex(values.where(values.notna(), None).tolist(), freq="M"), index=values.index)
    return values.astype(dtype)


def _empty_frame(sheet: schema.Sheet) -> pd.DataFrame:
    columns = {"row": pd.Series([], dtype="Int64")}
    for column in sheet.columns:
        columns[column.name] = pd.Series([], dtype=_DTYPES[column.kind])
    return pd.DataFrame(columns)


def _read_settings(raw: RawSheet | None, office: str, problems: _Problems) -> Settings:
    values: dict = {}
    if raw is not None:
        title = schema.SETTINGS_TITLE
        by_label = {japanese.clean(s.label): s for s in schema.SETTINGS}
        start = 0
        for i, row in enumerate(raw.rows[:HEADER_SEARCH_ROWS]):
            cells = [japanese.clean(v) for v in row[:2] if not japanese.is_blank(v)]
            if tuple(cells) == schema.SETTINGS_HEADERS:
                start = i + 1
                break
        for i, row in enumerate(raw.rows[start:], start=raw.first_row + start):
            if not row or japanese.is_blank(row[0]):
                continue
            label = japanese.clean(row[0])
            value = row[1] if len(row) > 1 else None
            setting = by_label.get(label)
            if setting is None:
                problems.add(WARNING, title, i, "項目", "unknown_column",
                             f"設定の項目「{label}」は知らないため読み飛ばしました")
                continue
            if isinstance(value, str) and _CONTROL.search(value):
                problems.add(WARNING, title, i, "値", "control_char", f"「{setting.label}」: {_control_detail(value)}")
                value = _CONTROL.sub("", value)
            parsed = _setting_value(setting, value, i, problems)
            if parsed is not None:
                values[setting.name] = parsed
    defaults = {s.name: s.default for s in schema.SETTINGS if s.default is not None}
    return Settings(**(defaults | {"office": office} | values))


_SETTING_PARSERS = {schema.INT: japanese.parse_int, schema.NUMBER: japanese.parse_number,
                    schema.DATE: japanese.parse_date, schema.MONTH: japanese.parse_month}
_SETTING_ERRORS = {schema.INT: ("bad_number", "整数"), schema.NUMBER: ("bad_number", "数値"),
                   schema.DATE: ("bad_date", "日付（2026/4/1 など）"), schema.MONTH: ("bad_month", "年月（2026-04 など）")}


def _setting_value(setting: schema.Setting, value, row: int, problems: _Problems):
    """A setting's value (None: blank, or wrong and reported: its default is used)."""
    title = schema.SETTINGS_TITLE
    if setting.kind == schema.MONTH and setting.choices and isinstance(value, str) \
            and "".join(japanese.clean(value).split()) in setting.choices:
        return "".join(japanese.clean(value).split())      # a word allowed instead of a month (なし)
    try:
        parsed = _SETTING_PARSERS.get(setting.kind, japanese.parse_text)(value)
    except ValueError as error:
        code, expected = _SETTING_ERRORS[setting.kind]
        instead = "空欄として扱います" if setting.default is None else f"既定値 {setting.default} を使います"
        words = f"か {' / '.join(setting.choices)} " if setting.kind == schema.MONTH and setting.choices else ""
        problems.add(ERROR, title, row, "値", code,
                     f"「{setting.label}」: {error}。{expected}{words}で入力してください（{instead}）")
        return None
    if parsed is None:
        return None
    if setting.kind in (schema.INT, schema.NUMBER) and parsed <= 0:
        problems.add(ERROR, title, row, "値", "out_of_range",
                     f"「{setting.label}」: {japanese.format_number(parsed)} は0より大きくしてください"
                     f"（既定値 {setting.default} を使います）")
        return None
    if setting.kind == schema.CHOICE and "".join(parsed.split()) not in setting.choices:
        problems.add(ERROR, title, row, "値", "bad_choice",
                     f"「{setting.label}」: 「{parsed}」は選べません。選べるのは {' / '.join(setting.choices)} です")
        return None
    return "".join(parsed.split()) if setting.kind == schema.CHOICE else parsed


def _check_settings(settings: Settings, problems: _Problems) -> None:
    """What the settings say together: a review interval the rules cannot use, a 処遇改善加算
    half given, an office-level reduction that ends before it starts."""
    title = schema.SETTINGS_TITLE
    if settings.plan_review_months > settings.review_months:
        problems.add(WARNING, title, None, None, "fee_rule",
                     f"「計画見直し間隔（月）」: {settings.plan_review_months}か月は長すぎます。就労定着支援の個別支援計画は"
                     f"少なくとも{settings.review_months}か月ごとに見直すため、{settings.review_months}か月として判断します")
    if (settings.treatment_class is None) != (settings.treatment_rate is None):
        given, missing = ("処遇改善加算の区分", "処遇改善加算の率（%）") if settings.treatment_rate is None \
            else ("処遇改善加算の率（%）", "処遇改善加算の区分")
        problems.add(ERROR, title, None, None, "inconsistent",
                     f"「{given}」があるのに「{missing}」が空欄です（処遇改善加算は両方がそろったときだけ算定します）")
    for kind in REDUCTIONS:
        first, last = settings.months_of(kind.code) if kind.office else (None, None)
        if isinstance(first, pd.Period) and last is not None and last < first:
            problems.add(ERROR, title, None, None, "inconsistent",
                         f"「{kind.label}」の終了月 {japanese.format_month(last)} が開始月 "
                         f"{japanese.format_month(first)} より前です")
        elif last is not None and first is None:
            problems.add(ERROR, title, None, None, "inconsistent",
                         f"「{kind.label}」の終了月があるのに開始月が空欄です（開始月を記入してください）")


# --- checks across rows and sheets ------------------------------------------------------------

def _check_users(frames: dict[str, pd.DataFrame], problems: _Problems) -> None:
    users = frames["users"]
    title = schema.USERS.title
    header = schema.USERS.column
    duplicate = users["user_id"].duplicated()
    first = dict(zip(users.loc[~duplicate, "user_id"], users.loc[~duplicate, "row"]))
    problems.add_each(ERROR, title, header("user_id").header, "duplicate_id", users.loc[duplicate, "row"],
                      users.loc[duplicate, "user_id"],
                      detail=lambda user_id: f"{user_id} は {first[user_id]}行目と重複しています（後の行は読み飛ばしました）")
    users = users[~duplicate].reset_index(drop=True)

    hired = users["hired_on"]
    eligible = periods.eligible_start(users)
    early_start = (users["support_start"] < eligible).fillna(False)
    problems.add_each(WARNING, title, header("support_start").header, "fee_rule", users.loc[early_start, "row"],
                      users.loc[early_start, "support_start"], eligible[early_start],
                      detail=lambda start, may: f"支援開始日 {japanese.format_date(start)} は、働き始めて6か月たつ日"
                                                f"（{japanese.format_date(may)}）より前です。それより前の月は算定できません")
    users = periods.fill_defaults(users)

    rehired = users["rehired_on"]
    far = (rehired > periods.job_change_deadline(users)).fillna(False)
    problems.add_each(WARNING, title, header("rehired_on").header, "fee_rule", users.loc[far, "row"],
                      rehired[far], users.loc[far, "left_on"],
                      detail=lambda day, left: f"再就職日 {japanese.format_date(day)} が離職日 {japanese.format_date(left)}"
                                               f" から1か月を超えているため、転職（就労の継続）とはみなしません")
    alone = (rehired.notna() & (users["left_on"].isna() | (rehired < users["left_on"]))).fillna(False)
    problems.add_each(ERROR, title, header("rehired_on").header, "inconsistent", users.loc[alone, "row"],
                      detail=lambda: "再就職日は離職日の後の日付です（離職日がないか、離職日より前です）")

    left = users["status"] == "離職"
    no_date = left & users["left_on"].isna()
    problems.add_each(ERROR, title, header("left_on").header, "inconsistent", users.loc[no_date, "row"],
                      detail=lambda: "状況が「離職」なのに離職日が空欄です")
    early = users["left_on"] < hired
    problems.add_each(ERROR, title, header("left_on").header, "inconsistent", users.loc[early, "row"],
                      users.loc[early, "left_on"], hired[early],
                      detail=lambda left_on, hired_on: f"離職日 {japanese.format_date(left_on)} が就職日 "
                                                       f"{japanese.format_date(hired_on)} より前です")
    frames["users"] = users


def _check_references(frames: dict[str, pd.DataFrame], problems: _Problems) -> None:
    """Rows of other sheets must name a user of 利用者; contacts not before 就職日."""
    users = frames["users"]
    known = set(users["user_id"])
    for sheet in schema.TABLES[1:]:
        frame = frames[sheet.name]
        unknown = ~frame["user_id"].isin(known)
        problems.add_each(ERROR, sheet.title, "利用者ID", "unknown_user", frame.loc[unknown, "row"],
                          frame.loc[unknown, "user_id"], detail=lambda user_id: f"{user_id} は利用者シートにありません")
        frames[sheet.name] = frame[~unknown].reset_index(drop=True)

    contacts = frames["contacts"][["row", "user_id", "date"]].merge(
        users[["user_id", "hired_on"]], on="user_id", how="left")
    early = contacts[contacts["date"] < contacts["hired_on"]]
    problems.add_each(ERROR, schema.CONTACTS.title, "実施日", "inconsistent", early["row"], early["date"],
                      early["hired_on"],
                      detail=lambda date, hired_on: f"実施日 {japanese.format_date(date)} が就職日 "
                                                    f"{japanese.format_date(hired_on)} より前です")


def _check_attendance(attendance: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    title = schema.ATTENDANCE.title
    duplicate = attendance.duplicated(["user_id", "month"])
    problems.add_each(ERROR, title, "年月", "duplicate_id", attendance.loc[duplicate, "row"],
                      attendance.loc[duplicate, "user_id"], attendance.loc[duplicate, "month"],
                      detail=lambda user_id, month: f"{user_id} の {japanese.format_month(month)} の勤怠が2行あります"
                                                    "（1か月1行です）")
    over = attendance[((attendance["worked_days"] + attendance["absent"]) > attendance["scheduled_days"]).fillna(False)]
    problems.add_each(ERROR, title, "出勤日数", "inconsistent", over["row"], over["worked_days"], over["absent"],
                      over["scheduled_days"],
                      detail=lambda worked, absent, scheduled: f"出勤日数 {worked} と欠勤 {absent} の合計が"
                                                               f"所定日数 {scheduled} を超えています")
    return attendance[~duplicate].reset_index(drop=True)


if __name__ == "__main__":          # a worker of _load_all
    _read_share(*sys.argv[1:])
