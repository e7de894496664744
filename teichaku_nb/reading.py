"""Reading a source into raw sheets, before anything is typed or checked.

A workbook (.xlsx / .xlsm / .xls / .ods, read with python-calamine) or a folder of CSV files
(UTF-8, Shift_JIS, JIS or UTF-16, detected) becomes a list of ``RawSheet``: cell values row by
row, nothing typed yet.  A sheet larger than the format allows (``MAX_*``, stated in the
README) is refused before its cells are read: ``sheetsize`` measures it on the file itself.
A source that cannot be read raises ``Unreadable`` with a Japanese message.
"""

from __future__ import annotations

import codecs
import csv
import threading
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from . import japanese, schema, sheetsize
from .errors import StaffError

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_ENCODINGS = ("utf-8-sig", "cp932")
CSV_ENCODING_NAMES = "UTF-8・Shift_JIS（cp932）・JIS（ISO-2022-JP）・UTF-16"

# The largest sheet read (README, 形式): beyond it a sheet is refused before its cells are read.
MAX_ROWS = 1_048_576          # Excel's own last row
MAX_COLUMNS = 200             # column GR
MAX_AREA = 13_700_000         # rows × columns of the range holding values (13 columns: every row)
MAX_FILLED = 2_250_000        # cells holding a value (all of them distinct texts: about 0.9 GiB)
MAX_CSV_BYTES = 128 * 2**20   # one CSV file
MAX_CELL_CHARS = 1_000_000    # one CSV cell (Excel's own cells hold 32,767)
_SHARED_TEXTS = 100_000       # distinct texts of a sheet kept to share equal ones (_python_rows)

@dataclass
class RawSheet:
    title: str            # the sheet name as written (spaces kept)
    rows: list            # cell values (a list or tuple per row); row i is the sheet's row ``first_row + i``
    first_row: int = 1


class Unreadable(StaffError):
    """The source cannot be opened; the message is Japanese and says why."""


# --- stage 1: reading -------------------------------------------------------------------

def read_sheets(path: Path) -> list[RawSheet]:
    """Every sheet of a workbook file, or every CSV file of a folder.

    Only the sheets of the format (``schema``) are read cell by cell; any other sheet is
    given by its name alone (its rows are empty), so in an xlsx file a large sheet of notes
    costs nothing.  calamine parses an ods or xls file whole when it opens it, so there
    every sheet is measured (and refused when too large) before opening.
    """
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
    measured = shared = None
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):     # calamine reads the shared texts when it opens these
            shared = sheetsize.measure_parts(path)
        elif path.suffix.lower() in (".ods", ".xls"):      # and every sheet of these
            measured = sheetsize.extents(path)
    except Exception as error:
        raise Unreadable(_unreadable_reason(path, error)) from error
    for name, extent in (measured or {}).items():
        _check_size(path, name, extent)
    text = 0                                              # bytes of text held by the sheets read so far
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
    except Exception as error:  # calamine raises several error types for bad files
        raise Unreadable(_unreadable_reason(path, error)) from error
    sheets = []
    with _Measuring(path, [name for name in names if _is_read(name)], measured, shared) as extents:
        for name in names:
            if not _is_read(name):
                sheets.append(RawSheet(name, []))
                continue
            extent = extents.get(name)
            _check_size(path, name, extent)                       # before calamine builds the grid
            text += extent.text or 0 if extent is not None else 0
            if text > sheetsize.MAX_TEXT_BYTES:                   # the sheets read so far, together
                raise Unreadable(_too_large(path, sheetsize.TooLarge(
                    "text", f"シート「{japanese.clean(name)}」まで", text, sheetsize.MAX_TEXT_BYTES)))
            try:
                sheet = workbook.get_sheet_by_name(name)
            except Exception as error:
                raise Unreadable(_unreadable_reason(path, error)) from error
            last_row, last_column = sheet.end
            if sheet.height and sheet.width:                 # again, before any cell is converted (an xls
                _check_size(path, name, sheetsize.Extent(last_row + 1, last_column + 1))   # not measured)
            sheets.append(RawSheet(name, _python_rows(sheet)))
            del sheet                                         # frees calamine's grid before the next sheet
    return sheets


class _Measuring:
    """The sheets' extents, measured in a thread one sheet ahead of the reading (calamine
    lets go of the GIL while it parses, so measuring costs little time), or given measured.
    ``get(name)`` waits for that sheet's extent (None when it could not be measured)."""

    def __init__(self, path: Path, names: list[str], measured: dict[str, sheetsize.Extent] | None = None,
                 shared=None):
        self.path, self.names, self.shared = path, names, shared
        self.found: dict[str, sheetsize.Extent] = dict(measured or {})
        self.done = threading.Condition()
        self.finished = measured is not None             # measured already: nothing to wait for
        self.error: BaseException | None = None
        self.stop = False
        self.thread = threading.Thread(target=self._measure, name="teichaku-sheetsize", daemon=True)

    def _measure(self) -> None:
        try:
            for name, extent in sheetsize.each_extent(self.path, set(self.names), self.shared):
                with self.done:
                    self.found[name] = extent
                    self.done.notify_all()
                if self.stop:
                    break
        except BaseException as error:       # reported to the reader, which is the one to raise
            self.error = error
        finally:
            with self.done:
                self.finished = True
                self.done.notify_all()

    def get(self, name: str) -> sheetsize.Extent | None:
        with self.done:
            self.done.wait_for(lambda: name in self.found or self.finished)
            if name not in self.found and self.error is not None:
                raise Unreadable(_unreadable_reason(self.path, self.error)) from self.error
            return self.found.get(name)

    def __enter__(self) -> _Measuring:
        if not self.finished:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop = True
        if self.thread.is_alive():
            self.thread.join()


def _is_read(name: str) -> bool:
    title = japanese.clean(name)
    return title in schema.TABLES_BY_TITLE or title == schema.SETTINGS_TITLE


def _python_rows(sheet) -> list[tuple]:
    """The sheet's rows from row 1 as tuples without their trailing empty cells.  Equal texts
    share one string object (a 面談記録 repeats its 方法, 相手 and 担当者 on every row), which
    halves the memory of a large sheet."""
    rows = []
    same: dict[str, str] = {}
    keep = same.setdefault
    for row in sheet.iter_rows():
        while row and row[-1] == "":
            row.pop()
        rows.append(tuple([keep(v, v) if v.__class__ is str else v for v in row]))
        if len(same) > _SHARED_TEXTS:                   # mostly distinct texts: sharing would cost more
            keep = same.get
    return rows


def size_problem(extent: sheetsize.Extent) -> str | None:
    """Why a sheet of this extent is not read (Japanese), or None when it is within the limits."""
    if extent.columns > MAX_COLUMNS:
        return f"{extent.columns:,}列あります（{MAX_COLUMNS}列まで）"
    if extent.rows > MAX_ROWS:
        return f"{extent.rows:,}行あります（{MAX_ROWS:,}行まで）"
    if extent.area > MAX_AREA:
        return (f"値の入っている範囲が {extent.rows:,}行 × {extent.columns}列 = {extent.area:,}セルあります"
                f"（行数×列数 {MAX_AREA:,}セルまで）")
    if extent.filled is not None and extent.filled > MAX_FILLED:
        return f"値の入ったセルが {extent.filled:,}個あります（{MAX_FILLED:,}個まで）"
    return None


def _check_size(path: Path, sheet: str, extent: sheetsize.Extent | None) -> None:
    reason = size_problem(extent) if extent is not None else None
    if reason:
        raise Unreadable(f"{path.name} のシート「{japanese.clean(sheet)}」は大きすぎるため読み込みません: {reason}。"
                         f"値の入っている範囲は A1:{extent.last_cell} です。離れたセルに入っている値を消すか、"
                         "シートを分けて保存し直してください")


_TOO_LARGE = {
    "part": "{part}が展開すると {amount} あります（1つの部品は {limit} まで）",
    "file": "中の部品が展開すると合計 {amount} あります（{limit} まで）",
    "run": "{part}に、1つのセルの文字、または空白などが {amount} 以上続くところがあります（{limit} まで）",
    "shared_texts": "{part}に文字列が {amount}個以上あります（{limit}個まで）",
    "text": "{part}のセルの文字が {amount} 以上あります（読み込むシート全体で {limit} まで。"
            "同じ文字列を使うセルは、その数だけ数えます）",
}


def _too_large(path: Path, error: sheetsize.TooLarge) -> str:
    """The Japanese message for a file beyond the limits of its parts (README, 形式)."""
    size = (lambda n: f"{n:,}") if error.what == "shared_texts" else _mib
    reason = _TOO_LARGE[error.what].format(part=error.part, amount=size(error.amount), limit=size(error.limit))
    return (f"{path.name} は大きすぎるため読み込みません: {reason}。ファイルが壊れているか、表計算ソフト以外で"
            "作られたおそれがあります。表計算ソフトで開いて、要らない部分を消して保存し直してください")


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} KB"


def _unreadable_reason(path: Path, error: Exception) -> str:
    if isinstance(error, sheetsize.TooLarge):
        return _too_large(path, error)
    with path.open("rb") as f:
        head = f.read(8)
    if path.suffix.lower() in (".xlsx", ".xlsm") and head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"{path.name} はパスワードで保護されているため開けません。保護を外して保存し直してください"
    return f"{path.name} を表計算のファイルとして開けません（壊れているか、別の形式のファイルです）"


def _read_csv_folder(folder: Path) -> list[RawSheet]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and not p.name.startswith("."))
    if not files:
        raise Unreadable(f"フォルダ {folder} にCSVファイルがありません")
    return [RawSheet(path.stem, _read_csv(path) if _is_read(path.stem) else []) for path in files]


def _csv_encoding(path: Path) -> str:
    """The encoding the whole file decodes in: UTF-16 by its BOM (or its zero bytes), JIS by
    its escape sequences, else UTF-8, else cp932 (Japanese Excel's "CSV")."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    elif head.count(0) * 20 > len(head) and max(odd := head[1::2].count(0), even := head[0::2].count(0)) * 10 > \
            (odd + even) * 9:                                # UTF-16 without its BOM: ASCII's zero bytes on one side
        candidates = ("utf-16-le",) if odd > even else ("utf-16-be",)
    elif b"\x1b$" in head:
        candidates = ("iso2022_jp_ext",)
    else:
        candidates = CSV_ENCODINGS
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as f:
                while block := f.read(1 << 20):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise Unreadable(f"{path.name} の文字コードが読めません。{CSV_ENCODING_NAMES} のどれかで保存してください"
                     "（Excel なら「CSV UTF-8（コンマ区切り）」か「CSV（コンマ区切り）」）")


def _read_csv(path: Path) -> list:
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise Unreadable(f"{path.name} は大きすぎるため読み込みません（{size / 2**20:,.0f} MB。CSVは1ファイル "
                         f"{MAX_CSV_BYTES // 2**20} MB まで）")
    encoding = _csv_encoding(path)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))
    rows, filled, columns = [], 0, 0
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        try:
            for row in reader:
                while row and row[-1] == "":
                    row.pop()
                rows.append(row or ())
                filled += len(row)
                columns = max(columns, len(row))
                if len(rows) > MAX_ROWS or columns > MAX_COLUMNS or filled > MAX_FILLED:
                    extent = sheetsize.Extent(len(rows), columns, filled)
                    raise Unreadable(f"{path.name} は大きすぎるため読み込みません: {size_problem(extent)}")
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise Unreadable(f"{path.name} の {reader.line_num}行目に長すぎるセルがあります"
                                 f"（{MAX_CELL_CHARS:,}文字まで）") from None
            raise Unreadable(f"{path.name} をCSVとして読めません（{reader.line_num}行目: 引用符「\"」の対応が"
                             "崩れているか、文字でないデータが入っています）") from None
    return rows
