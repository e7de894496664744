"""How big a sheet is, found before its cells are read.

python-calamine turns a sheet into one dense grid spanning every cell that holds a value:
one value at XFD1048576 asks for 16,384 × 1,048,576 cells (512 GiB: the process aborts), one
at Z1048576 for 27 million (about 1 GiB).  So the extent of each sheet is measured first, on
the file itself, and ``reading.read_sheets`` refuses a sheet that is too large before
calamine touches it.

- xlsx / xlsm: each worksheet's XML is decompressed in chunks and searched with regular
  expressions for the furthest column and row that a cell *holding a value* names (a cell
  with only a format, ``<c r="XFD1" s="1"/>``, is no cell to calamine).  The ``<dimension>``
  element is not trusted (it is optional and may say anything).  The common case costs a
  few passes of C-speed searching per chunk: a search for any cell beyond the furthest
  column seen so far, and one for any row beyond the chunk's last row (rows come in order,
  so neither finds anything in a well-formed sheet).  Cells without an ``r`` attribute (or
  with a namespace prefix) are placed by counting, as calamine does, in a slower exact pass.
- ods: ``content.xml`` is walked tag by tag, counting ``number-rows-repeated`` and
  ``number-columns-repeated`` the way calamine expands them.
- xls: the compound file's Workbook stream is read (a small reader of its sectors) and
  the row and column of every BIFF cell record holding a value are taken.  A file this
  reader does not understand is measured by calamine after loading, before any cell is
  converted to Python (at most 65,536 × 256 cells by the format's own limits).
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from xml.etree import ElementTree

CHUNK = 2 << 20                  # bytes of XML searched at a time
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"


@dataclass(frozen=True)
class Extent:
    """A sheet's used range: the last row and column holding a value (1-based; 0 when empty)
    and how many cells hold a value (None when not counted)."""

    rows: int
    columns: int
    filled: int | None = None

    @property
    def area(self) -> int:
        return self.rows * self.columns

    @property
    def last_cell(self) -> str:
        return f"{column_letters(self.columns)}{self.rows}" if self.rows and self.columns else "A1"


def column_letters(index: int) -> str:
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: bytes | str) -> int:
    """A → 1, AA → 27, XFD → 16384."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def extents(path) -> dict[str, Extent]:
    """The extent of every sheet of an xlsx / xlsm / ods file, by sheet name ({} for other
    formats).  Raises ``zipfile.BadZipFile`` / ``KeyError`` / ``ElementTree.ParseError`` for a
    file that is not what its name says (the caller reports it as unreadable)."""
    return dict(each_extent(path))


def each_extent(path, names: Collection[str] | None = None) -> Iterator[tuple[str, Extent]]:
    """(sheet name, extent) of the sheets named (default: all), one at a time in the file's
    order, so a reader can start on the first while the next is measured."""
    suffix = str(path).lower().rsplit(".", 1)[-1]
    if suffix in ("xlsx", "xlsm"):
        with zipfile.ZipFile(path) as archive:
            for name, member in _xlsx_sheets(archive).items():
                if names is None or name in names:
                    yield name, _xlsx_sheet(archive, member)
    elif suffix == "ods":
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
            for name, extent in _ods(content).items():
                if names is None or name in names:
                    yield name, extent
    elif suffix == "xls":
        for name, extent in _xls(path).items():
            if names is None or name in names:
                yield name, extent


# --- xlsx ------------------------------------------------------------------------------------

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_REL_ID = ("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
           "{http://purl.oclc.org/ooxml/officeDocument/relationships}id")


def _xlsx_sheets(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the zip member holding its XML."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    members = set(archive.namelist())
    sheets = {}
    for sheet in workbook.iter():
        if sheet.tag not in (f"{_NS_MAIN}sheet", f"{_NS_STRICT}sheet"):
            continue
        rel_id = next((sheet.get(key) for key in _REL_ID if sheet.get(key)), None)
        target = targets.get(rel_id, "")
        member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        member = str(PurePosixPath(member))          # xl/./worksheets → xl/worksheets
        if member in members:
            sheets[sheet.get("name", "")] = member
    return sheets


def _greater(text: str, alphabet: str) -> list[str]:
    """Regular expressions for strings over ``alphabet`` as long as ``text`` and greater."""
    parts = []
    for i, ch in enumerate(text):
        following = alphabet[alphabet.index(ch) + 1:]
        if following:
            rest = len(text) - i - 1
            cls = f"[{following[0]}-{following[-1]}]" if len(following) > 1 else following
            tail = f"[{alphabet[0]}-{alphabet[-1]}]{{{rest}}}" if rest else ""
            parts.append(re.escape(text[:i]) + cls + tail)
    return parts


_VALUE_TAG = b'"[^>]*(?<!/)>'         # the rest of a cell tag that has content (not <c .../>)


@lru_cache(maxsize=256)
def _beyond_column(column: int) -> re.Pattern:
    """A cell holding a value whose column is after ``column``."""
    letters = column_letters(column)
    choices = [f"[A-Z]{{{len(letters) + 1},3}}"] if len(letters) < 3 else []
    choices += _greater(letters, _ALPHABET) if letters else []
    return re.compile(b'<c r="((?:' + "|".join(choices).encode() + b'))[0-9]{1,10}' + _VALUE_TAG)


@lru_cache(maxsize=256)
def _beyond_row(row: int) -> re.Pattern:
    """A cell holding a value whose row is after ``row``."""
    digits = str(row)
    choices = [f"[1-9][0-9]{{{len(digits)},9}}", *_greater(digits, _DIGITS)]
    return re.compile(b'<c r="[A-Z]{1,3}(' + "|".join(choices).encode() + b')' + _VALUE_TAG)


_VALUE_CELL = re.compile(b'<c r="[A-Z]{1,3}([0-9]{1,10})' + _VALUE_TAG)
_PREFIXED = re.compile(rb":c[ >]")                     # <x:c ...>: a cell in a prefixed namespace


def _last_row(data: bytes, end: int) -> int:
    """The row of the last cell holding a value in ``data[:end]`` (0 if none): in a
    well-formed sheet the furthest row, found by searching ever larger tails of the chunk."""
    window = 1 << 16
    while True:
        start = max(0, end - window)
        start = max(0, data.find(b"<c ", start, end)) if start else 0      # begin at a tag
        last = None
        for last in _VALUE_CELL.finditer(data, start, end):
            pass
        if last is not None:
            return int(last.group(1))
        if start == 0:
            return 0
        window *= 8


def _xlsx_sheet(archive: zipfile.ZipFile, member: str) -> Extent:
    rows = columns = filled = 0
    with archive.open(member) as stream:
        tail = b""
        while True:
            chunk = stream.read(CHUNK)
            data = tail + chunk
            end = data.rfind(b">") + 1 if chunk else len(data)     # whole tags; the rest waits
            tail = data[end:]
            placed = data.count(b'<c r="', 0, end)
            if placed != data.count(b"<c ", 0, end) or b"<c>" in data or _PREFIXED.search(data, 0, end):
                return _xlsx_sheet_exact(archive, member)       # cells placed by counting
            filled += data.count(b"</c>", 0, end)
            rows = max(rows, _last_row(data, end))
            position = 0                              # before it: nothing beyond the old furthest
            while found := _beyond_column(columns).search(data, position, end):
                columns, position = column_index(found.group(1)), found.start() + 1
            position = 0
            while found := _beyond_row(rows).search(data, position, end):
                rows, position = int(found.group(1)), found.start() + 1
            if not chunk:
                break
    return Extent(rows, columns, filled)


def _xlsx_sheet_exact(archive: zipfile.ZipFile, member: str) -> Extent:
    """Every cell placed as calamine places it: by its ``r``, or after the previous cell (and
    in the row after the previous row) when it has none."""
    rows = columns = filled = 0
    row = 0
    with archive.open(member) as stream:
        column = 0
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            name = element.tag.rsplit("}", 1)[-1]
            if event == "start":
                if name == "row":
                    row = int(element.get("r") or row + 1)
                    column = 0
                elif name == "c":
                    ref = element.get("r")
                    if ref:
                        found = re.fullmatch(r"([A-Z]{1,3})([0-9]{1,10})", ref)
                        if found:
                            column, row = column_index(found.group(1)), int(found.group(2))
                    else:
                        column += 1
                continue
            if name == "c":
                if len(element) or (element.text or "").strip():
                    filled += 1
                    rows, columns = max(rows, row), max(columns, column)
                element.clear()
            elif name == "row":
                element.clear()
    return Extent(rows, columns, filled)


# --- ods --------------------------------------------------------------------------------------

_ODS_TAG = re.compile(
    rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>")
_ODS_NAME = re.compile(rb'table:name="([^"]*)"')
_ODS_ROWS = re.compile(rb'table:number-rows-repeated="([0-9]+)"')
_ODS_COLUMNS = re.compile(rb'table:number-columns-repeated="([0-9]+)"')
_ODS_VALUE = re.compile(rb"office:value-type=")


def _ods(content) -> dict[str, Extent]:
    """Extents of the tables of ``content.xml``, cells expanded as calamine expands them: a
    cell counts when it has a value type or any text."""
    from xml.sax.saxutils import unescape

    sheets: dict[str, Extent] = {}
    name, rows, columns, filled = None, 0, 0, 0
    row = 0                       # rows before the current one
    row_repeat = 1
    column = 0                    # cells before the current one in the row
    row_has_value = 0             # furthest column holding a value in the current row
    cell_start = None             # (column, repeat, has value type) of an open cell
    tail = b""
    while True:
        chunk = content.read(CHUNK)
        data = tail + chunk
        if chunk:
            cut = data.rfind(b">") + 1
            data, tail = data[:cut], data[cut:]
        for tag in _ODS_TAG.finditer(data):
            closing, kind, attributes, empty = tag.groups()
            if kind == b"table":
                if not closing:
                    found = _ODS_NAME.search(attributes)
                    name = unescape(found.group(1).decode("utf-8")) if found else ""
                    rows = columns = filled = row = 0
                else:
                    sheets[name or ""] = Extent(rows, columns, filled)
                continue
            if kind == b"table-row":
                if not closing:
                    found = _ODS_ROWS.search(attributes)
                    row_repeat = int(found.group(1)) if found else 1
                    column, row_has_value = 0, 0
                if closing or empty:
                    if row_has_value:
                        rows = max(rows, row + row_repeat)
                        columns = max(columns, row_has_value)
                    row += row_repeat
                continue
            # a cell
            if not closing:
                found = _ODS_COLUMNS.search(attributes)
                repeat = int(found.group(1)) if found else 1
                if empty:
                    if _ODS_VALUE.search(attributes):
                        row_has_value = column + repeat
                        filled += repeat * row_repeat
                    column += repeat
                else:
                    cell_start = (column, repeat, bool(_ODS_VALUE.search(attributes)), tag.end())
                    column += repeat
            elif cell_start is not None:
                start_column, repeat, typed, opened = cell_start
                has_text = typed or tag.start() > opened      # any content between the tags
                if has_text:
                    row_has_value = start_column + repeat
                    filled += repeat * row_repeat
                cell_start = None
        if not chunk:
            break
    return sheets


# --- xls --------------------------------------------------------------------------------------

_CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
# BIFF records that hold a cell value: (row u16, column u16) first.  MULRK holds several.
_BIFF_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0205, 0x0006}
_BIFF_MULRK, _BIFF_BOUNDSHEET, _BIFF_EOF, _BIFF_FILEPASS = 0x00BD, 0x0085, 0x000A, 0x002F


class _NotUnderstood(Exception):
    """An xls file this reader cannot follow; calamine measures it after loading instead."""


def _xls(path) -> dict[str, Extent]:
    try:
        stream = _cfb_stream(path, ("Workbook", "Book"))
        return _biff_extents(stream)
    except (_NotUnderstood, struct.error, IndexError, ValueError, UnicodeDecodeError):
        return {}


def _cfb_stream(path, names: tuple[str, ...]) -> bytes:
    """The first stream called one of ``names`` in a compound file (OLE2)."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(_CFB_SIGNATURE) or len(data) < 512:
        raise _NotUnderstood("not a compound file")
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
    fat_count, first_directory = struct.unpack_from("<II", data, 0x2C)
    cutoff, first_mini_fat, mini_fat_count, first_difat, difat_count = struct.unpack_from("<IIIII", data, 0x38)
    if sector_size not in (512, 4096):
        raise _NotUnderstood("sector size")
    sectors = max(0, (len(data) - sector_size) // sector_size)

    def sector(n: int) -> bytes:
        if n >= sectors:
            raise _NotUnderstood("sector out of range")
        return data[(n + 1) * sector_size:(n + 2) * sector_size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    following = first_difat
    for _ in range(min(difat_count, sectors)):
        if following >= _END_OF_CHAIN:
            break
        entries = struct.unpack(f"<{sector_size // 4}I", sector(following))
        difat += entries[:-1]
        following = entries[-1]
    fat: list[int] = []
    for n in difat[:fat_count]:
        fat += struct.unpack(f"<{sector_size // 4}I", sector(n))

    def chain(start: int, table: list[int]) -> list[int]:
        found = []
        while start < _END_OF_CHAIN:
            if start >= len(table) or len(found) > len(table):
                raise _NotUnderstood("broken chain")
            found.append(start)
            start = table[start]
        return found

    directory = b"".join(sector(n) for n in chain(first_directory, fat))
    entries = []
    for offset in range(0, len(directory) - 127, 128):
        length = struct.unpack_from("<H", directory, offset + 0x40)[0]
        name = directory[offset:offset + max(0, length - 2)].decode("utf-16-le")
        kind = directory[offset + 0x42]
        start, size = struct.unpack_from("<II", directory, offset + 0x74)
        entries.append((name, kind, start, size))
    if not entries:
        raise _NotUnderstood("no directory")
    _, _, root_start, root_size = entries[0]
    for wanted in names:
        for name, kind, start, size in entries[1:]:
            if kind != 2 or name != wanted:
                continue
            if size >= cutoff:
                return b"".join(sector(n) for n in chain(start, fat))[:size]
            mini_fat: list[int] = []
            for n in chain(first_mini_fat, fat)[:mini_fat_count]:
                mini_fat += struct.unpack(f"<{sector_size // 4}I", sector(n))
            ministream = b"".join(sector(n) for n in chain(root_start, fat))[:root_size]
            return b"".join(ministream[n * mini_size:(n + 1) * mini_size] for n in chain(start, mini_fat))[:size]
    raise _NotUnderstood("no workbook stream")


def _biff_records(stream: bytes, position: int) -> Iterator[tuple[int, bytes]]:
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, position)
        yield kind, stream[position + 4:position + 4 + length]
        position += 4 + length


def _biff_extents(stream: bytes) -> dict[str, Extent]:
    sheets = {}
    for kind, record in _biff_records(stream, 0):
        if kind == _BIFF_FILEPASS:
            raise _NotUnderstood("encrypted")
        if kind == _BIFF_BOUNDSHEET:
            offset, count, flags = struct.unpack_from("<IxxBB", record)
            raw = record[8:]
            if len(record) > 8 and flags & 1:           # BIFF8, UTF-16
                name = raw[:2 * count].decode("utf-16-le")
            elif len(record) > 8 and flags == 0 and len(raw) >= count:   # BIFF8, compressed
                name = raw[:count].decode("latin-1")
            else:                                           # BIFF5: a byte count, then bytes
                name = record[7:7 + record[6]].decode("cp932", "replace")
            sheets[offset] = name
        elif kind == _BIFF_EOF:
            break
    found = {}
    for offset, name in sheets.items():
        rows = columns = filled = 0
        for kind, record in _biff_records(stream, offset):
            if kind in _BIFF_CELLS and len(record) >= 4:
                row, column = struct.unpack_from("<HH", record)
                rows, columns, filled = max(rows, row + 1), max(columns, column + 1), filled + 1
            elif kind == _BIFF_MULRK and len(record) >= 6:
                row, first = struct.unpack_from("<HH", record)
                last = struct.unpack_from("<H", record, len(record) - 2)[0]
                rows, columns = max(rows, row + 1), max(columns, last + 1)
                filled += max(0, last - first + 1)
            elif kind == _BIFF_EOF:
                break
        found[name] = Extent(rows, columns, filled)
    return found
