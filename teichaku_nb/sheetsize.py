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
  the row and column of every BIFF cell record holding a value are taken, with the length
  of each shared text (SST) for the cells that use one.  A file this
  reader does not understand is measured by calamine after loading, before any cell is
  converted to Python (at most 65,536 × 256 cells by the format's own limits).

A small file can also hide a great deal: a zip part compressed a thousand to one, one shared
text of a gigabyte, twenty million tiny ones, a short text that a million cells use (calamine
copies a shared text into every cell that uses it).  So before calamine opens an xlsx or ods
file, ``measure_parts`` checks the uncompressed size every part declares (calamine's zip reader
stops at the declared size, so the declaration binds it) and counts and measures the shared
texts; while a sheet is measured, the text its cells will hold is added up (``Extent.text``).
Every scan reads its part once, in chunks, and never holds more than a chunk and one text:
a stretch longer than ``MAX_RUN_BYTES`` without a tag ends the scan (``TooLarge``).
"""

from __future__ import annotations

import contextlib
import re
import struct
import zipfile
from collections.abc import Collection, Iterator
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import numpy as np

CHUNK = 2 << 20                  # bytes of XML searched at a time

# What the parts of an xlsx / ods file may hold (README, 形式): beyond it the file is refused
# before calamine opens it.  The largest sheet the other limits allow (2.25 million distinct
# texts) is about 180 MiB of XML; Excel's longest cell (32,767 characters) about 260 KiB even
# written as character references.
MAX_PART_BYTES = 256 * 2**20     # one part (a sheet, the shared texts, content.xml), uncompressed
MAX_FILE_BYTES = 1024 * 2**20    # all parts together, uncompressed
MAX_RUN_BYTES = 2**20            # one shared text, or a stretch of XML without a tag
MAX_SHARED_TEXTS = 2_250_000     # texts in the shared-strings part
MAX_TEXT_BYTES = 256 * 2**20     # the sheets read: their XML, plus a shared text each time a cell uses it


class TooLarge(Exception):
    """Part of a file is larger than the reader takes.  ``what`` is one of "part", "file",
    "run", "shared_texts", "text"; ``amount`` and ``limit`` are bytes (a count for
    "shared_texts"); ``part`` names the zip member or sheet."""

    def __init__(self, what: str, part: str, amount: int, limit: int):
        super().__init__(f"{what} {part}: {amount} > {limit}")
        self.what, self.part, self.amount, self.limit = what, part, amount, limit


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"


@dataclass(frozen=True)
class Extent:
    """A sheet's used range: the last row and column holding a value (1-based; 0 when empty),
    how many cells hold a value and how many bytes of text they hold at most (None when not
    counted)."""

    rows: int
    columns: int
    filled: int | None = None
    text: int | None = field(default=None, compare=False)     # bytes of text its cells hold, at most

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
    formats).  Raises ``TooLarge`` for a file beyond the limits, and ``zipfile.BadZipFile`` /
    ``KeyError`` / ``ElementTree.ParseError`` for a file that is not what its name says (the
    caller reports both in Japanese)."""
    return dict(each_extent(path))


def each_extent(path, names: Collection[str] | None = None,
                shared: np.ndarray | None = None) -> Iterator[tuple[str, Extent]]:
    """(sheet name, extent) of the sheets named (default: all), one at a time in the file's
    order, so a reader can start on the first while the next is measured.  ``shared`` is
    what ``measure_parts`` found (measured here when not given)."""
    suffix = str(path).lower().rsplit(".", 1)[-1]
    if suffix in ("xlsx", "xlsm"):
        if shared is None:
            shared = measure_parts(path)
        with zipfile.ZipFile(path) as archive:
            for name, member in _xlsx_sheets(archive).items():
                if names is None or name in names:
                    yield name, _xlsx_sheet(archive, member, shared, f"シート「{name}」")
    elif suffix == "ods":
        measure_parts(path)
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
            for name, extent in _ods(content).items():
                if names is None or name in names:
                    yield name, extent
    elif suffix == "xls":
        for name, extent in _xls(path).items():
            if names is None or name in names:
                yield name, extent


def measure_parts(path) -> np.ndarray:
    """Check an xlsx / ods file before calamine opens it: every part's declared size, their
    total, no part named twice (which copy would calamine read?), and for an xlsx the shared
    texts, counted and measured.  Returns the XML bytes of each shared text by index (empty
    for an ods), or raises ``TooLarge`` / ``zipfile.BadZipFile``."""
    suffix = str(path).lower().rsplit(".", 1)[-1]
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
        if len({part.filename for part in parts}) != len(parts):
            raise zipfile.BadZipFile("a part is named twice")
        for part in parts:
            if part.file_size > MAX_PART_BYTES:
                raise TooLarge("part", _part_label(archive, part.filename), part.file_size, MAX_PART_BYTES)
        total = sum(part.file_size for part in parts)
        if total > MAX_FILE_BYTES:
            raise TooLarge("file", Path(path).name, total, MAX_FILE_BYTES)
        return _shared_lengths(archive) if suffix in ("xlsx", "xlsm") else np.zeros(0, np.int64)


def _part_label(archive: zipfile.ZipFile, member: str) -> str:
    """A part as staff can find it: the sheet it holds, the shared texts, or its name."""
    if member in _shared_members(archive):
        return f"共有文字列（{member}）"
    workbook_parts = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
    try:
        if all(archive.getinfo(name).file_size <= MAX_PART_BYTES for name in workbook_parts):
            for name, sheet in _xlsx_sheets(archive).items():
                if sheet == member:
                    return f"シート「{name}」"
    except (KeyError, ElementTree.ParseError):
        pass
    return f"部品「{member}」"


def _whole_tags(stream, part: str) -> Iterator[tuple[bytes, int]]:
    """A part's XML in chunks that end just after a ``>`` (the rest waits for the next chunk),
    each with its offset in the part.  What waits stays under ``MAX_RUN_BYTES``: a longer
    stretch without a tag (one huge text, gigabytes of spaces) raises ``TooLarge`` instead of
    being copied again with every chunk."""
    tail, offset, size = b"", 0, 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > MAX_PART_BYTES:
            raise TooLarge("part", part, size, MAX_PART_BYTES)
        data = tail + chunk
        end = data.rfind(b">") + 1
        if len(data) - end > MAX_RUN_BYTES:
            raise TooLarge("run", part, len(data) - end, MAX_RUN_BYTES)
        tail = data[end:]
        if end:
            yield data[:end], offset
            offset += end
    if tail:
        yield tail, offset


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


_SHARED_TEXT = re.compile(rb"<(?:[A-Za-z0-9_]+:)?si[\s/>]")
_SHARED_REF = re.compile(rb't="s"><v>([0-9]{1,10})</v>')      # a cell of a shared text, as Excel, LibreOffice
#                                                               and openpyxl write it
_SHARED_TYPE = re.compile(rb't\s*=\s*(?:"s"|\'s\')')             # ... and as XML allows writing it


def _shared_members(archive: zipfile.ZipFile) -> list[str]:
    """The shared-strings part the workbook names, and the usual one if it exists."""
    members = set(archive.namelist())
    found = {"xl/sharedStrings.xml"} & members
    rels = []
    with contextlib.suppress(KeyError):
        if archive.getinfo("xl/_rels/workbook.xml.rels").file_size <= MAX_PART_BYTES:     # else refused anyway
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Type", "").endswith("/sharedStrings"):
            target = rel.get("Target", "")
            member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            found |= {str(PurePosixPath(member))} & members
    return sorted(found)


def _shared_lengths(archive: zipfile.ZipFile) -> np.ndarray:
    """The XML bytes of each shared text by index: at least the text calamine makes of it.
    Refuses too many texts, or one too long, as soon as the scan meets them."""
    lengths = np.zeros(0, np.int64)
    for member in _shared_members(archive):
        label = f"共有文字列（{member}）"
        starts, size = array("q"), 0
        with archive.open(member) as stream:
            for data, offset in _whole_tags(stream, label):
                starts.extend(offset + found.start() for found in _SHARED_TEXT.finditer(data))
                if len(starts) > MAX_SHARED_TEXTS:
                    raise TooLarge("shared_texts", label, len(starts), MAX_SHARED_TEXTS)
                size = offset + len(data)
        each = np.diff(np.append(np.asarray(starts, np.int64), size))
        if len(each) and each.max() > MAX_RUN_BYTES:
            raise TooLarge("run", label, int(each.max()), MAX_RUN_BYTES)
        if len(each) > len(lengths):
            lengths = np.pad(lengths, (0, len(each) - len(lengths)))
        lengths[:len(each)] = np.maximum(lengths[:len(each)], each)
    return lengths


def _shared_bytes(data: bytes, shared: np.ndarray) -> int:
    """The bytes of the shared texts the cells of ``data`` use, once per cell; a cell written
    in another way than the usual one counts as the longest text."""
    if not len(shared):
        return 0
    refs = _SHARED_REF.findall(data)
    unusual = len(_SHARED_TYPE.findall(data)) - len(refs)
    used = int(shared.max()) * unusual if unusual > 0 else 0
    if refs:
        index = np.fromiter(map(int, refs), np.int64, len(refs))
        used += int(shared[index[index < len(shared)]].sum())
    return used


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


def _xlsx_sheet(archive: zipfile.ZipFile, member: str, shared: np.ndarray, label: str) -> Extent:
    rows = columns = filled = 0
    size = used = 0                 # the sheet's XML; the shared texts its cells use
    by_count = False                # cells placed by counting: placed again exactly below
    with archive.open(member) as stream:
        for data, offset in _whole_tags(stream, label):
            size = offset + len(data)
            used += _shared_bytes(data, shared)
            if size + used > MAX_TEXT_BYTES:
                raise TooLarge("text", label, size + used, MAX_TEXT_BYTES)
            if by_count:
                continue
            end = len(data)
            if data.count(b'<c r="') != data.count(b"<c ") or b"<c>" in data or _PREFIXED.search(data):
                by_count = True
                continue
            filled += data.count(b"</c>")
            rows = max(rows, _last_row(data, end))
            position = 0                              # before it: nothing beyond the old furthest
            while found := _beyond_column(columns).search(data, position, end):
                columns, position = column_index(found.group(1)), found.start() + 1
            position = 0
            while found := _beyond_row(rows).search(data, position, end):
                rows, position = int(found.group(1)), found.start() + 1
    if by_count:
        rows, columns, filled = _xlsx_sheet_exact(archive, member)
    return Extent(rows, columns, filled, size + used)


def _xlsx_sheet_exact(archive: zipfile.ZipFile, member: str) -> tuple[int, int, int]:
    """(rows, columns, cells holding a value) with every cell placed as calamine places it:
    by its ``r``, or after the previous cell (and in the row after the previous row) when it
    has none.  Run after the scan above, which has bounded every text."""
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
    return rows, columns, filled


# --- ods --------------------------------------------------------------------------------------

_ODS_TAG = re.compile(
    rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>")
_ODS_NAME = re.compile(rb'table:name="([^"]*)"')
_ODS_ROWS = re.compile(rb'table:number-rows-repeated="([0-9]+)"')
_ODS_COLUMNS = re.compile(rb'table:number-columns-repeated="([0-9]+)"')
_ODS_VALUE = re.compile(rb"office:value-type=")


def _ods(content) -> dict[str, Extent]:
    """Extents of the tables of ``content.xml``, cells expanded as calamine expands them: a
    cell counts when it has a value type or any text.  A table's text is its XML plus a copy
    of a cell's content for every repeat (calamine fills each repeated cell); as calamine
    parses every table on opening, their texts together are held to ``MAX_TEXT_BYTES``."""
    from xml.sax.saxutils import unescape

    sheets: dict[str, Extent] = {}
    name, rows, columns, filled = None, 0, 0, 0
    row = 0                       # rows before the current one
    row_repeat = 1
    column = 0                    # cells before the current one in the row
    row_has_value = 0             # furthest column holding a value in the current row
    cell_start = None             # (column, repeat, has value type, where its content begins) of an open cell
    table_start = 0               # where the current table begins in content.xml
    copies = 0                    # bytes of the current table's repeated cells beyond the first
    total = 0                     # text of the tables before the current one
    for data, offset in _whole_tags(content, "content.xml"):
        for tag in _ODS_TAG.finditer(data):
            closing, kind, attributes, empty = tag.groups()
            if kind == b"table":
                if not closing:
                    found = _ODS_NAME.search(attributes)
                    name = unescape(found.group(1).decode("utf-8")) if found else ""
                    rows = columns = filled = row = copies = 0
                    table_start = offset + tag.start()
                else:
                    text = offset + tag.end() - table_start + copies
                    sheets[name or ""] = Extent(rows, columns, filled, text)
                    total += text
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
                    cell_start = (column, repeat, bool(_ODS_VALUE.search(attributes)), offset + tag.end())
                    column += repeat
            elif cell_start is not None:
                start_column, repeat, typed, opened = cell_start
                content_bytes = offset + tag.start() - opened
                if typed or content_bytes:                     # a value type, or any content
                    row_has_value = start_column + repeat
                    filled += repeat * row_repeat
                    copies += content_bytes * (repeat * row_repeat - 1)
                    if total + offset - table_start + copies > MAX_TEXT_BYTES:
                        raise TooLarge("text", f"シート「{name}」", total + offset - table_start + copies,
                                       MAX_TEXT_BYTES)
                cell_start = None
    return sheets


# --- xls --------------------------------------------------------------------------------------

_CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
# BIFF records that hold a cell value: (row u16, column u16) first.  MULRK holds several.
_BIFF_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0205, 0x0006}
_BIFF_MULRK, _BIFF_BOUNDSHEET, _BIFF_EOF, _BIFF_FILEPASS = 0x00BD, 0x0085, 0x000A, 0x002F
_BIFF_SST, _BIFF_CONTINUE, _BIFF_LABELSST = 0x00FC, 0x003C, 0x00FD


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


def _sst_characters(segments: list[bytes]) -> list[int]:
    """The characters of each shared text of an SST record (``segments``: its data, then its
    CONTINUE records').  A text split over records resumes with a new option byte."""
    unique = struct.unpack_from("<I", segments[0], 4)[0]
    found: list[int] = []
    data, index, position = segments[0], 0, 8
    while len(found) < unique:
        if position >= len(data):                        # the next text starts in the next record
            index += 1
            if index >= len(segments):
                break
            data, position = segments[index], 0
        characters, options = struct.unpack_from("<HB", data, position)
        position += 3
        runs = extra = 0
        if options & 0x08:
            runs = struct.unpack_from("<H", data, position)[0]
            position += 2
        if options & 0x04:
            extra = struct.unpack_from("<I", data, position)[0]
            position += 4
        got = 0
        while True:
            width = 2 if options & 0x01 else 1
            taken = min((len(data) - position) // width, characters - got)
            position += taken * width
            got += taken
            if got == characters:
                break
            index += 1
            if index >= len(segments):
                raise _NotUnderstood("a shared text runs past its records")
            data = segments[index]
            options, position = data[0], 1
        position += 4 * runs + extra                      # formatting runs and phonetic text
        while position > len(data) and index + 1 < len(segments):
            position -= len(data)
            index += 1
            data = segments[index]
        found.append(characters)
    return found


def _biff_extents(stream: bytes) -> dict[str, Extent]:
    """Every sheet's extent; its text is the cell records' bytes plus, for each cell that
    uses a shared text, that text (3 bytes a character, as calamine makes UTF-8 of it) —
    calamine parses every sheet on opening, so their texts together are held to
    ``MAX_TEXT_BYTES``."""
    sheets = {}
    shared: list[int] = []
    sst: list[bytes] | None = None
    for kind, record in _biff_records(stream, 0):
        if kind == _BIFF_FILEPASS:
            raise _NotUnderstood("encrypted")
        if sst is not None and kind != _BIFF_CONTINUE:
            shared, sst = _sst_characters(sst), None
        if kind == _BIFF_SST and len(record) >= 8:
            sst = [record]
        elif kind == _BIFF_CONTINUE and sst is not None:
            sst.append(record)
        elif kind == _BIFF_BOUNDSHEET:
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
    total = 0
    for offset, name in sheets.items():
        rows = columns = filled = text = 0
        for kind, record in _biff_records(stream, offset):
            if kind in _BIFF_CELLS and len(record) >= 4:
                row, column = struct.unpack_from("<HH", record)
                rows, columns, filled = max(rows, row + 1), max(columns, column + 1), filled + 1
                text += len(record)
                if kind == _BIFF_LABELSST and len(record) >= 10:
                    which = struct.unpack_from("<I", record, 6)[0]
                    text += 3 * shared[which] if which < len(shared) else 0
                    if total + text > MAX_TEXT_BYTES:
                        raise TooLarge("text", f"シート「{name}」", total + text, MAX_TEXT_BYTES)
            elif kind == _BIFF_MULRK and len(record) >= 6:
                row, first = struct.unpack_from("<HH", record)
                last = struct.unpack_from("<H", record, len(record) - 2)[0]
                rows, columns = max(rows, row + 1), max(columns, last + 1)
                filled += max(0, last - first + 1)
            elif kind == _BIFF_EOF:
                break
        found[name] = Extent(rows, columns, filled, text)
        total += text
    return found
