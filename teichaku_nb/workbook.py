"""Read an office's case workbook, forgive what real spreadsheets look like, name every problem.

Two stages, readable on their own:

1. *reading*: a source (xlsx / xlsm / xls / ods through python-calamine, or a folder of
   CSV files in UTF-8 or cp932) becomes raw sheets: lists of cell values with the row
   number staff see.  A file that cannot be opened is one ``unreadable`` problem.
2. *building*: each raw sheet is matched against ``schema.py`` (header row found among
   the top rows, columns in any order), every cell is normalised and typed, and every
   problem is reported with sheet, row and column.  The result is a ``CaseBook``.

The contract is shared/workbook-format.md.  Nothing here writes to the source.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import python_calamine

from . import japanese, schema
from .casebook import ERROR, WARNING, CaseBook, Problem, Settings

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SEARCH_ROWS = 10
CSV_ENCODINGS = ("utf-8-sig", "cp932")


@dataclass
class RawSheet:
    title: str            # the sheet name as written (spaces kept)
    rows: list[list]      # cell values; row i is the sheet's row ``first_row + i``
    first_row: int = 1


class Unreadable(Exception):
    """The source cannot be opened; the message is Japanese and says why."""


# --- stage 1: reading -------------------------------------------------------------------

def read_sheets(path: Path) -> list[RawSheet]:
    """Every sheet of a workbook file, or every CSV file of a folder."""
    path = Path(path)
    if not path.exists():
        raise Unreadable(f"{path} が見つかりません")
    if path.is_dir():
        return _read_csv_folder(path)
    if path.suffix.lower() == ".csv":
        raise Unreadable(f"{path.name} はCSVファイル1つです。シートごとのCSV（利用者.csv、面談記録.csv など）を"
                         "1つのフォルダに入れ、そのフォルダを指定してください")
    if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        raise Unreadable(f"{path.name} は表計算のファイルではありません（.xlsx、.xlsm、.xls、.ods を指定してください）")
    if path.stat().st_size == 0:
        raise Unreadable(f"{path.name} は空のファイルです")
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = [RawSheet(name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
                  for name in workbook.sheet_names]
    except Exception as error:  # calamine raises several error types for bad files
        raise Unreadable(_unreadable_reason(path, error)) from error
    return sheets


def _unreadable_reason(path: Path, error: Exception) -> str:
    with path.open("rb") as f:
        head = f.read(8)
    if path.suffix.lower() in (".xlsx", ".xlsm") and head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"{path.name} はパスワードで保護されているため開けません。保護を外して保存し直してください"
    return f"{path.name} を表計算のファイルとして開けません（壊れているか、別の形式のファイルです）"


def _read_csv_folder(folder: Path) -> list[RawSheet]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and not p.name.startswith("."))
    if not files:
        raise Unreadable(f"フォルダ {folder} にCSVファイルがありません")
    return [RawSheet(path.stem, _read_csv(path)) for path in files]


def _read_csv(path: Path) -> list[list]:
    data = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Unreadable(f"{path.name} の文字コードが読めません（UTF-8 か Shift_JIS で保存してください）")
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise Unreadable(f"{path.name} をCSVとして読めません（{error}）") from error


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


def load_source(path: Path, *, today: dt.date | None = None) -> tuple[list[CaseBook], bool]:
    """The casebooks of BOOK (a workbook, a CSV folder or a folder of office workbooks),
    and whether BOOK was a folder of offices."""
    path = Path(path)
    if path.is_dir() and not any(p.suffix.lower() == ".csv" for p in path.iterdir()):
        books = office_workbooks(path)
        if books:
            return [load_casebook(p, today=today) for p in books], True
    return [load_casebook(path, today=today)], False


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
        headers = [c.header for c in sheet.columns]
        names = {c.name: c.header for c in sheet.columns}
        rows = [headers] + [[record.get(c.name, record.get(c.header)) for c in sheet.columns]
                            for record in records]
        unknown = {k for record in records for k in record} - set(names) - set(headers)
        if unknown:
            raise KeyError(f"unknown columns for {sheet.name}: {sorted(unknown)}")
        raw.append(RawSheet(sheet.title, rows))
    if settings:
        labels = {s.name: s.label for s in schema.SETTINGS}
        raw.append(RawSheet(schema.SETTINGS_TITLE, [list(schema.SETTINGS_HEADERS)] +
                            [[labels.get(k, k), v] for k, v in settings.items()]))
    return build_casebook(raw, source=Path(f"{office}.xlsx"), office=office, today=today)


# --- stage 2: building ----------------------------------------------------------------------

class _Problems(list):
    def add(self, severity, sheet, row, column, code, detail):
        row = None if row is None or pd.isna(row) else int(row)
        where = sheet or ""
        if row is not None:
            where += f" {row}行目"
        if column:
            where += f"「{column}」"
        self.append(Problem(severity, sheet, row, column, code, f"{where}: {detail}" if where else detail))


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
    for sheet in schema.TABLES:
        raw = found.get(sheet.title)
        if raw is None:
            if sheet.required and sheets:
                problems.add(ERROR, sheet.title, None, None, "missing_sheet",
                             f"必須のシート「{sheet.title}」がありません")
            frames[sheet.name] = _empty_frame(sheet)
            continue
        frame, counts[sheet.title], owners[sheet.title] = _read_table(sheet, raw, problems, today)
        frames[sheet.name] = frame

    settings = _read_settings(settings_sheet, office, problems)
    _check_users(frames, problems)
    _check_references(frames, problems)
    frames["attendance"] = _check_attendance(frames["attendance"], problems)
    order = {title: i for i, title in enumerate([None, *schema.TABLES_BY_TITLE, schema.SETTINGS_TITLE])}
    problems.sort(key=lambda p: (order.get(p.sheet, len(order)), p.row or 0))
    return CaseBook(source=Path(source), settings=settings, problems=_with_owners(problems, owners),
                    counts=counts, **frames)


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
                today: dt.date) -> tuple[pd.DataFrame, int, pd.Series]:
    """The sheet's usable rows, the number of data rows, and the 利用者ID of every data row
    (indexed by row number; NA where unreadable)."""
    header_index, header = _find_header(sheet, raw.rows)
    if header_index is None:
        for column in sheet.columns:
            if column.required:
                problems.add(ERROR, sheet.title, None, column.header, "missing_column",
                             f"必須の列「{column.header}」が見つかりません（上から{HEADER_SEARCH_ROWS}行に見出しがありません）")
        return _empty_frame(sheet), 0, _NO_OWNERS
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
        return _empty_frame(sheet), 0, _NO_OWNERS

    body = raw.rows[header_index + 1:]
    numbers = range(header_row + 1, header_row + 1 + len(body))
    kept_rows, kept_numbers = [], []
    for number, row in zip(numbers, body):
        if not all(japanese.is_blank(v) for v in row):
            kept_rows.append(row)
            kept_numbers.append(number)
    width = max((len(r) for r in kept_rows), default=0)
    cells = {}
    for column in sheet.columns:
        position = positions.get(column.header)
        if position is None or position >= width:
            cells[column.name] = [None] * len(kept_rows)
        else:
            cells[column.name] = [r[position] if position < len(r) else None for r in kept_rows]
    frame = pd.DataFrame(cells, dtype=object)
    frame.insert(0, "row", pd.array(kept_numbers, dtype="Int64"))

    usable = pd.Series(True, index=frame.index)
    typed = {}
    for column in sheet.columns:
        values, bad = _convert(sheet, column, frame[column.name], frame["row"], problems, today)
        typed[column.name] = values
        if column.required:
            usable &= ~bad & values.notna()
    result = pd.DataFrame({"row": frame["row"], **typed})
    ids = pd.Series(typed["user_id"].to_numpy(), index=frame["row"].to_numpy())
    return result[usable.to_numpy()].reset_index(drop=True), len(frame), ids[~ids.index.duplicated()]


_NO_OWNERS = pd.Series([], dtype=object)


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
    for value in pd.unique(cells):
        try:
            parsed[value] = parser(value)
        except ValueError as error:
            parsed[value] = None
            errors[value] = str(error)
    values = cells.map(parsed.get).astype(object)
    bad = pd.Series(False, index=cells.index)
    if errors:
        failed = cells.isin(list(errors))
        bad |= failed
        for row, value in zip(rows[failed], cells[failed]):
            problems.add(ERROR, sheet.title, row, column.header, _BAD_CODES[column.kind],
                         f"{errors[value]}。{_EXPECTED[column.kind]}で入力してください")

    empty = values.isna() & ~bad
    if column.default is not None:
        values = values.where(~empty, column.default)
    elif column.required:
        for row in rows[empty]:
            problems.add(ERROR, sheet.title, row, column.header, "empty_required",
                         f"必須の「{column.header}」が空欄です")

    if column.kind == schema.CHOICE:
        normalised = values.map(lambda v: "".join(v.split()) if isinstance(v, str) else v)
        wrong = normalised.notna() & ~normalised.isin(column.choices)
        for row, value in zip(rows[wrong], values[wrong]):
            problems.add(ERROR, sheet.title, row, column.header, "bad_choice",
                         f"「{value}」は選べません。選べるのは {' / '.join(column.choices)} です")
        values = normalised.where(~wrong, None)
        bad |= wrong
    if column.min is not None or column.max is not None:
        numeric = pd.to_numeric(values, errors="coerce")
        wrong = numeric.notna() & ((numeric < column.min) | (numeric > column.max))
        for row, value in zip(rows[wrong], numeric[wrong]):
            shown = int(value) if float(value).is_integer() else value
            problems.add(ERROR, sheet.title, row, column.header, "out_of_range",
                         f"{shown} は範囲外です（{_fmt(column.min)}〜{_fmt(column.max)}）")
        values = values.where(~wrong, None)
        bad |= wrong
    if column.kind == schema.DATE and column.past:
        dates = pd.to_datetime(values, errors="coerce")
        future = dates > pd.Timestamp(today)
        for row, value in zip(rows[future], dates[future]):
            problems.add(WARNING, sheet.title, row, column.header, "future_date",
                         f"{japanese.format_date(value)} は今日（{japanese.format_date(today)}）より後の日付です")
    return _typed(column, values), bad


def _fmt(number) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _typed(column: schema.Column, values: pd.Series) -> pd.Series:
    dtype = _DTYPES[column.kind]
    values = values.astype(object).where(values.notna(), None)
    if column.kind == schema.DATE:
        return pd.Series(pd.to_datetime(values, errors="coerce"), index=values.index).astype(dtype)
    if column.kind == schema.MONTH:
        return pd.Series(pd.PeriodIndex(values.tolist(), freq="M"), index=values.index)
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
            try:
                parsed = (japanese.parse_int(value) if setting.kind == schema.INT
                          else japanese.parse_text(value))
            except ValueError as error:
                problems.add(ERROR, title, i, "値", "bad_number",
                             f"「{setting.label}」: {error}。整数で入力してください（既定値 {setting.default} を使います）")
                continue
            if parsed is not None and setting.kind == schema.INT and parsed < 1:
                problems.add(ERROR, title, i, "値", "out_of_range",
                             f"「{setting.label}」: {parsed} は1以上にしてください（既定値 {setting.default} を使います）")
                continue
            if parsed is not None:
                values[setting.name] = parsed
    defaults = {s.name: s.default for s in schema.SETTINGS if s.default is not None}
    return Settings(**(defaults | {"office": office} | values))


# --- checks across rows and sheets ------------------------------------------------------------

def _check_users(frames: dict[str, pd.DataFrame], problems: _Problems) -> None:
    users = frames["users"]
    title = schema.USERS.title
    header = schema.USERS.column
    duplicate = users["user_id"].duplicated()
    for row, user_id in zip(users.loc[duplicate, "row"], users.loc[duplicate, "user_id"]):
        first = users.loc[users["user_id"] == user_id, "row"].iloc[0]
        problems.add(ERROR, title, row, header("user_id").header, "duplicate_id",
                     f"{user_id} は {first}行目と重複しています（後の行は読み飛ばしました）")
    users = users[~duplicate].reset_index(drop=True)

    hired = users["hired_on"]
    users["support_start"] = users["support_start"].fillna(hired + pd.DateOffset(months=6))
    users["support_end"] = users["support_end"].fillna(
        hired + pd.DateOffset(years=3, months=6) - pd.Timedelta(days=1))

    left = users["status"] == "離職"
    no_date = left & users["left_on"].isna()
    for row in users.loc[no_date, "row"]:
        problems.add(ERROR, title, row, header("left_on").header, "inconsistent",
                     "状況が「離職」なのに離職日が空欄です")
    early = users["left_on"] < hired
    for row, left_on, hired_on in zip(users.loc[early, "row"], users.loc[early, "left_on"], hired[early]):
        problems.add(ERROR, title, row, header("left_on").header, "inconsistent",
                     f"離職日 {japanese.format_date(left_on)} が就職日 {japanese.format_date(hired_on)} より前です")
    frames["users"] = users


def _check_references(frames: dict[str, pd.DataFrame], problems: _Problems) -> None:
    """Rows of other sheets must name a user of 利用者; contacts not before 就職日."""
    users = frames["users"]
    known = set(users["user_id"])
    for sheet in schema.TABLES[1:]:
        frame = frames[sheet.name]
        unknown = ~frame["user_id"].isin(known)
        for row, user_id in zip(frame.loc[unknown, "row"], frame.loc[unknown, "user_id"]):
            problems.add(ERROR, sheet.title, row, "利用者ID", "unknown_user",
                         f"{user_id} は利用者シートにありません")
        frames[sheet.name] = frame[~unknown].reset_index(drop=True)

    contacts = frames["contacts"][["row", "user_id", "date"]].merge(
        users[["user_id", "hired_on"]], on="user_id", how="left")
    early = contacts[contacts["date"] < contacts["hired_on"]]
    for row, date, hired_on in zip(early["row"], early["date"], early["hired_on"]):
        problems.add(ERROR, schema.CONTACTS.title, row, "実施日", "inconsistent",
                     f"実施日 {japanese.format_date(date)} が就職日 {japanese.format_date(hired_on)} より前です")


def _check_attendance(attendance: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    title = schema.ATTENDANCE.title
    duplicate = attendance.duplicated(["user_id", "month"])
    for row, user_id, month in zip(attendance.loc[duplicate, "row"], attendance.loc[duplicate, "user_id"],
                                   attendance.loc[duplicate, "month"]):
        problems.add(ERROR, title, row, "年月", "duplicate_id",
                     f"{user_id} の {japanese.format_month(month)} の勤怠が2行あります（1か月1行です）")
    over = (attendance["worked_days"] + attendance["absent"]) > attendance["scheduled_days"]
    for _, r in attendance[over.fillna(False)].iterrows():
        problems.add(ERROR, title, r["row"], "出勤日数", "inconsistent",
                     f"出勤日数 {r['worked_days']} と欠勤 {r['absent']} の合計が所定日数 {r['scheduled_days']} を超えています")
    return attendance[~duplicate].reset_index(drop=True)
