"""Workbooks written straight as xlsx XML, for sizes and shapes a spreadsheet program would
take minutes to save: a million rows, one cell in the last column of the last row, and the
small files that unpack to gigabytes (``Repeated``, ``hostile_books``).

Only synthetic values; nothing here is read from a real workbook.
"""

from __future__ import annotations

import itertools
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from teichaku_nb import schema

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
{overrides}
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets>{sheets}</sheets>
</workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
{relationships}
</Relationships>"""
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '{dimension}<sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"


def _cell(ref: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def row_xml(number: int, values: Iterable, first_column: int = 1) -> str:
    cells = "".join(_cell(f"{get_column_letter(first_column + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


@dataclass(frozen=True)
class Repeated:
    """XML made of ``head``, ``block`` ``count`` times, then ``tail``: gigabytes of it are
    written in about a second (``_write_part``)."""

    head: str
    block: str
    count: int
    tail: str = ""

    @property
    def size(self) -> int:
        return len(self.head.encode()) + len(self.block.encode()) * self.count + len(self.tail.encode())


class _CompressedOnce:
    """Stands in for zipfile's deflate compressor so that a piece written again and again is
    compressed once: each piece is compressed on its own and ends on a full flush (a byte
    boundary, no reference to what came before), so the copies of its compressed form make
    one valid deflate stream.  zipfile still counts the size and the CRC of every byte."""

    def __init__(self):
        self.piece, self.compressed = None, b""

    def compress(self, data: bytes) -> bytes:
        if data is not self.piece:
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            self.piece, self.compressed = data, deflate.compress(data) + deflate.flush(zlib.Z_FULL_FLUSH)
        return self.compressed

    def flush(self) -> bytes:
        return zlib.compressobj(9, zlib.DEFLATED, -15).flush()          # the last, empty block


def _write_part(archive: zipfile.ZipFile, name: str, content: Repeated | Iterable[str], head="", tail="") -> None:
    with archive.open(name, "w", force_zip64=True) as part:
        if isinstance(content, Repeated):
            part._compressor = _CompressedOnce()        # CPython's zipfile: the writer's compressor
            block = content.block.encode()
            piece = block * max(1, 2**20 // len(block)) if block else b""
            copies, rest = divmod(content.count * len(block), len(piece)) if piece else (0, 0)
            part.write((head + content.head).encode())
            for _ in range(copies):
                part.write(piece)
            part.write(piece[:rest] + (content.tail + tail).encode())
            return
        part.write(head.encode())
        chunk = []
        for row in content:
            chunk.append(row)
            if len(chunk) >= 10_000:
                part.write("".join(chunk).encode())
                chunk = []
        part.write(("".join(chunk) + tail).encode())


_SHARED_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def write_xlsx(path: Path, sheets: dict[str, Iterable[str] | Repeated], *,
               dimensions: dict[str, str] | None = None, shared: Repeated | Iterable[str] | None = None) -> Path:
    """A workbook whose sheet ``title`` holds the ``<row>`` elements given (``row_xml``),
    streamed into the zip; ``dimensions`` sets a sheet's ``<dimension ref>``, true or not;
    ``shared`` holds the ``<si>`` elements of a shared-strings part."""
    dimensions = dimensions or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        overrides, entries, relationships = [], [], []
        for index, title in enumerate(sheets, start=1):
            overrides.append(f'<Override PartName="/xl/worksheets/sheet{index}.xml" ContentType='
                             '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
            entries.append(f'<sheet name="{escape(title)}" sheetId="{index}" r:id="rId{index}"/>')
            relationships.append(f'<Relationship Id="rId{index}" Type="http://schemas.openxmlformats.org/'
                                 f'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{index}.xml"/>')
        if shared is not None:
            overrides.append('<Override PartName="/xl/sharedStrings.xml" ContentType='
                             '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
            relationships.append('<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/'
                                 'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(overrides="\n".join(overrides)))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(entries)))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(relationships="\n".join(relationships)))
        if shared is not None:
            _write_part(archive, "xl/sharedStrings.xml", shared, _SHARED_HEAD, "</sst>")
        for index, (title, rows) in enumerate(sheets.items(), start=1):
            dimension = f'<dimension ref="{dimensions[title]}"/>' if title in dimensions else ""
            _write_part(archive, f"xl/worksheets/sheet{index}.xml", rows,
                        _SHEET_HEAD.format(dimension=dimension), _SHEET_TAIL)
    return path


def headers(sheet: schema.Sheet) -> list[str]:
    return [column.header for column in sheet.columns]


def minimal_sheets(extra: dict[str, Iterable[str] | Repeated] | None = None) -> dict[str, Iterable[str] | Repeated]:
    """利用者 with one person and 面談記録 with one contact (both fine), plus ``extra`` rows
    appended to (or sheets added beside) them."""
    extra = dict(extra or {})
    users = [row_xml(1, headers(schema.USERS)),
             row_xml(2, ["U001", "架空 太郎", "", "支援員A", "", "", "2025/04/01", "架空商事", "", "", "",
                         "", "", "", "利用中"])]
    contacts = [row_xml(1, headers(schema.CONTACTS)),
                row_xml(2, ["U001", "2025/06/01", "対面", "本人", "支援員A"])]
    sheets = {schema.USERS.title: users, schema.CONTACTS.title: contacts}
    for title, rows in extra.items():
        if isinstance(rows, Repeated):
            sheets[title] = Repeated("".join(sheets.get(title, ())) + rows.head, rows.block, rows.count, rows.tail)
        else:
            sheets[title] = itertools.chain(sheets.get(title, ()), rows)     # lazily: rows may be millions
    return sheets


def bad_contact_rows(count: int, first: int = 2) -> Iterable[str]:
    """``count`` 面談記録 rows, each wrong five ways with two cells: a 利用者ID and a 体調 of 9
    (out of range), and 実施日, 方法, 相手 and 担当者 left empty."""
    for i in range(count):
        n = first + i
        yield f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>X{i}</t></is></c><c r="F{n}"><v>9</v></c></row>'


def write_ods(path: Path, tables: str | Repeated) -> Path:
    """An ods file whose spreadsheet holds the ``<table:table>`` elements given."""
    head = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>')
    tail = "</office:spreadsheet></office:body></office:document-content>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
                         'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                         '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                         '</manifest:manifest>')
        _write_part(archive, "content.xml", tables if isinstance(tables, Repeated) else [tables], head, tail)
    return path


GB = 2**30


def hostile_books(folder: Path) -> dict[str, tuple[Path, str]]:
    """Small files that unpack to far more than they show, each with words its refusal must
    say: (file, expected part of the message).  The largest is a few megabytes on disk."""
    contacts = schema.CONTACTS.title
    cells = '<row>' + '<c t="s"><v>0</v></c>' * 10 + '</row>'
    long_text = Repeated("<si><t>", "記録", 340, "</t></si>")      # 2 KiB
    ods_cell = ('<table:table-cell table:number-columns-repeated="200" office:value-type="string"><text:p>'
                + "あ" * 30_000 + "</text:p></table:table-cell>")
    books = {
        "shared text of 3 GB": (write_xlsx(folder / "shared3g.xlsx", minimal_sheets(), shared=Repeated(
            "<si><t>", "a", 3 * GB, "</t></si>")), "共有文字列（xl/sharedStrings.xml）が展開すると 3,072 MB"),
        "shared text of 1 GB": (write_xlsx(folder / "shared1g.xlsx", minimal_sheets(), shared=Repeated(
            "<si><t>", "a", GB, "</t></si>")), "共有文字列（xl/sharedStrings.xml）が展開すると 1,024 MB"),
        "20 million shared texts": (write_xlsx(folder / "shared20m.xlsx", minimal_sheets(), shared=Repeated(
            "", "<si><t>a</t></si>", 20_000_000)), "共有文字列（xl/sharedStrings.xml）が展開すると 324 MB"),
        "3 million shared texts": (write_xlsx(folder / "shared3m.xlsx", minimal_sheets(), shared=Repeated(
            "", "<si><t>a</t></si>", 3_000_000)), "個まで）"),
        "inline text of 1 GB": (write_xlsx(folder / "inline1g.xlsx", minimal_sheets({contacts: Repeated(
            '<row r="3"><c r="A3" t="inlineStr"><is><t>', "a", GB, "</t></is></c></row>")})),
            f"シート「{contacts}」が展開すると 1,024 MB"),
        "4 GB of spaces": (write_xlsx(folder / "spaces4g.xlsx", minimal_sheets({contacts: Repeated(
            "", " ", 4 * GB)})), f"シート「{contacts}」が展開すると 4,096 MB"),
        "inline text of 200 MB": (write_xlsx(folder / "inline200m.xlsx", minimal_sheets({contacts: Repeated(
            '<row r="3"><c r="A3" t="inlineStr"><is><t>', "a", 200 * 2**20, "</t></is></c></row>")})),
            f"シート「{contacts}」に、1つのセルの文字、または空白などが"),
        "200 MB of spaces": (write_xlsx(folder / "spaces200m.xlsx", minimal_sheets({contacts: Repeated(
            "", " ", 200 * 2**20)})), "続くところがあります（1 MB まで）"),
        "one text in 300,000 cells": (write_xlsx(folder / "reused.xlsx", minimal_sheets({contacts: Repeated(
            "", cells, 30_000)}), shared=long_text), f"シート「{contacts}」のセルの文字が"),
        "two sheets together": (write_xlsx(folder / "together.xlsx", minimal_sheets(
            {schema.USERS.title: Repeated("", cells, 7_000), contacts: Repeated("", cells, 7_000)}),
            shared=long_text), f"シート「{contacts}」までのセルの文字が"),
        "ods text repeated": (write_ods(folder / "repeated.ods", Repeated(
            '<table:table table:name="利用者">', f'<table:table-row table:number-rows-repeated="100">{ods_cell}'
            '</table:table-row>', 1, "</table:table>")), "シート「利用者」のセルの文字が"),
    }
    return books
