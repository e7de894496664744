"""Workbooks written straight as xlsx XML, for sizes and shapes a spreadsheet program would
take minutes to save: a million rows, one cell in the last column of the last row.

Only synthetic values; nothing here is read from a real workbook.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterable
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


def write_xlsx(path: Path, sheets: dict[str, Iterable[str]], *, dimensions: dict[str, str] | None = None) -> Path:
    """A workbook whose sheet ``title`` holds the ``<row>`` elements given (``row_xml``),
    streamed into the zip; ``dimensions`` sets a sheet's ``<dimension ref>``, true or not."""
    dimensions = dimensions or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        overrides, entries, relationships = [], [], []
        for index, title in enumerate(sheets, start=1):
            overrides.append(f'<Override PartName="/xl/worksheets/sheet{index}.xml" ContentType='
                             '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
            entries.append(f'<sheet name="{escape(title)}" sheetId="{index}" r:id="rId{index}"/>')
            relationships.append(f'<Relationship Id="rId{index}" Type="http://schemas.openxmlformats.org/'
                                 f'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{index}.xml"/>')
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(overrides="\n".join(overrides)))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(entries)))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(relationships="\n".join(relationships)))
        for index, (title, rows) in enumerate(sheets.items(), start=1):
            dimension = f'<dimension ref="{dimensions[title]}"/>' if title in dimensions else ""
            with archive.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True) as sheet:
                sheet.write(_SHEET_HEAD.format(dimension=dimension).encode())
                chunk = []
                for row in rows:
                    chunk.append(row)
                    if len(chunk) >= 10_000:
                        sheet.write("".join(chunk).encode())
                        chunk = []
                sheet.write(("".join(chunk) + _SHEET_TAIL).encode())
    return path


def headers(sheet: schema.Sheet) -> list[str]:
    return [column.header for column in sheet.columns]


def minimal_sheets(extra: dict[str, Iterable[str]] | None = None) -> dict[str, Iterable[str]]:
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
        sheets[title] = itertools.chain(sheets.get(title, ()), rows)     # lazily: rows may be millions
    return sheets


def bad_contact_rows(count: int, first: int = 2) -> Iterable[str]:
    """``count`` 面談記録 rows, each wrong five ways with two cells: a 利用者ID and a 体調 of 9
    (out of range), and 実施日, 方法, 相手 and 担当者 left empty."""
    for i in range(count):
        n = first + i
        yield f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>X{i}</t></is></c><c r="F{n}"><v>9</v></c></row>'
