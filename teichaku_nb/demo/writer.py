"""An office's workbook: 設定 and a sheet per table, in the order and with the headers of
``schema``, dates formatted as dates; every part of the file stamped with one time, so that the
same office gives the same bytes."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from .. import schema
from ..files import replacing
from .office import Office

DATE_FORMAT = "yyyy/mm/dd"


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one timestamp, so equal workbooks are equal files."""

    def __init__(self, path, when: dt.datetime):
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._when = (when.year, when.month, when.day, when.hour, when.minute, when.second)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, name, data, *args, **kwargs):
        if not isinstance(name, zipfile.ZipInfo):
            name = self._info(name)
        super().writestr(name, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        info = self._info(arcname or str(filename))
        info.file_size = Path(filename).stat().st_size
        with open(filename, "rb") as source, self.open(info, "w") as target:
            shutil.copyfileobj(source, target, 1 << 20)


def _write_table(workbook: Workbook, sheet: schema.Sheet, rows: list[dict]) -> None:
    ws = workbook.create_sheet(sheet.title)
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    names = [column.name for column in sheet.columns]
    dates = [i for i, column in enumerate(sheet.columns) if column.kind == schema.DATE]
    ws.append([column.header for column in sheet.columns])
    for row in rows:
        values = [row.get(name) for name in names]
        for i in dates:
            if values[i] is not None:
                cell = WriteOnlyCell(ws, value=values[i])
                cell.number_format = DATE_FORMAT
                values[i] = cell
        ws.append(values)


def write_office(path: Path, office: Office, when: dt.datetime) -> Path:
    """The office's workbook at ``path`` (through ``files.replacing``): 設定, then a sheet per table."""
    workbook = Workbook(write_only=True)
    settings = workbook.create_sheet(schema.SETTINGS_TITLE)
    settings.column_dimensions["A"].width = 22
    settings.column_dimensions["B"].width = 30
    settings.append(list(schema.SETTINGS_HEADERS))
    for setting in schema.SETTINGS:
        value = office.settings.get(setting.name, setting.default)
        if setting.kind == schema.NUMBER and value is not None:
            value = WriteOnlyCell(settings, value=value)
            value.number_format = "0.00"
        elif setting.kind == schema.DATE and value is not None:
            value = WriteOnlyCell(settings, value=value)
            value.number_format = DATE_FORMAT
        settings.append([setting.label, value])
    for sheet in schema.TABLES:
        _write_table(workbook, sheet, office.rows[sheet.name])
    workbook.properties.creator = "teichaku_nb"
    workbook.properties.title = "デモデータ（架空の人物）"
    workbook.properties.created = workbook.properties.modified = when
    with replacing(path) as temporary, _FixedTimeZip(temporary, when) as archive:
        ExcelWriter(workbook, archive).save()
    return path
