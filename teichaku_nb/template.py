"""The empty input template and the column reference, both generated from ``schema.py``.

The template is what staff type into: one sheet per table, a styled and frozen header
row, dropdowns that refuse other values (the 設定 sheet's choices too), whole-number and 1–5
checks, date formats, widths that fit, and a 説明 sheet.  ``column_reference_markdown()`` is
the README's column reference, so the two never drift from the loader.  The template is the
newest format (``FORMAT``); what a later format added says so in its note.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import schema
from .japanese import format_number
from .files import replacing

GUIDE_TITLE = "説明"
LAST_ROW = 5000                      # how far down the checks and formats reach
REQUIRED_FILL = PatternFill("solid", fgColor="F4B183")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_FONT = Font(bold=True)
THIN = Side(style="thin", color="999999")
HEADER_BORDER = Border(bottom=THIN, right=THIN)
DATE_FORMAT = "yyyy/mm/dd"
MONTH_FORMAT = 'yyyy"年"m"月"'
NUMBER_SETTING_FORMAT = "0.00"       # 1単位の単価 shows as 10.00
FIXED_TIME = dt.datetime(2025, 4, 1)  # document properties: keeps regenerated files comparable
FORMAT = max([s.since for s in schema.TABLES] + [c.since for s in schema.TABLES for c in s.columns]
             + [s.since for s in schema.SETTINGS])


def since_note(since: int) -> str:
    """What a sheet, column or setting added after format 1 says about it (empty for format 1)."""
    return f"（形式 {since} で追加）" if since > 1 else ""


def write_template(path: Path) -> Path:
    workbook = Workbook()
    guide = workbook.active
    guide.title = GUIDE_TITLE
    _write_guide(guide)
    _write_settings(workbook.create_sheet(schema.SETTINGS_TITLE))
    for sheet in schema.TABLES:
        _write_table(workbook.create_sheet(sheet.title), sheet)
    workbook.active = 2  # open on 利用者
    workbook.properties.creator = "teichaku_nb"
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as temporary:          # never a half-written template
        workbook.save(temporary)
    return path


def _constraint(column: schema.Column) -> str:
    """What a cell of this column accepts, in words (for the guide and the README)."""
    if column.kind == schema.CHOICE:
        return " / ".join(column.choices)
    if column.min is not None:
        unit = "整数" if column.kind in (schema.INT, schema.SCORE) else "数値"
        return f"{format_number(column.min)}〜{format_number(column.max)}の{unit}"
    return ""


def _header_cell(cell, required: bool) -> None:
    cell.font = HEADER_FONT
    cell.fill = REQUIRED_FILL if required else OPTIONAL_FILL
    cell.border = HEADER_BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _write_table(ws, sheet: schema.Sheet) -> None:
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=column.header)
        _header_cell(cell, column.required)
        ws.column_dimensions[letter].width = max(column.width, _display_width(column.header) + 2)
        validation = _validation(column)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(validation)
        number_format = {schema.DATE: DATE_FORMAT, schema.MONTH: MONTH_FORMAT, schema.ID: "@"}.get(column.kind)
        if number_format:
            ws.column_dimensions[letter].number_format = number_format
    ws.freeze_panes = "B2"
    ws.row_dimensions[1].height = 30


def _validation(column: schema.Column) -> DataValidation | None:
    what = f"「{column.header}」"
    if column.kind == schema.CHOICE:
        validation = _choice_validation(what, column.choices, column.note)
        validation.promptTitle = column.header
        return validation
    if column.kind in (schema.INT, schema.SCORE):
        validation = DataValidation(type="whole", operator="between", allow_blank=True,
                                    formula1=format_number(column.min), formula2=format_number(column.max))
        message = f"{what}は{_constraint(column)}で入力してください"
    elif column.kind == schema.NUMBER:
        validation = DataValidation(type="decimal", operator="between", allow_blank=True,
                                    formula1=format_number(column.min), formula2=format_number(column.max))
        message = f"{what}は{_constraint(column)}で入力してください"
    elif column.kind == schema.DATE:
        validation = DataValidation(type="date", operator="between", allow_blank=True,
                                    formula1="DATE(1900,1,1)", formula2="DATE(2200,12,31)")
        message = f"{what}は日付で入力してください（例: 2025/4/1）"
    else:
        return None
    _refuse(validation, message, column.note)
    validation.promptTitle = column.header
    return validation


def _choice_validation(what: str, choices: tuple[str, ...], note: str) -> DataValidation:
    """A dropdown of ``choices`` that refuses anything else."""
    formula = '"' + ",".join(choices) + '"'
    if len(formula) > 255:  # Excel's limit for an inline list
        raise ValueError(f"choice list of {what} is too long to inline")
    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
    _refuse(validation, f"{what}は一覧から選んでください: {' / '.join(choices)}", note)
    return validation


def _refuse(validation: DataValidation, message: str, note: str) -> None:
    validation.showErrorMessage = True
    validation.errorStyle = "stop"
    validation.errorTitle = "入力できない値です"
    validation.error = message
    validation.showInputMessage = bool(note)
    validation.prompt = note[:255] if note else None


def _write_settings(ws) -> None:
    for index, header in enumerate(schema.SETTINGS_HEADERS, start=1):
        _header_cell(ws.cell(row=1, column=index, value=header), True)
    ws.cell(row=1, column=3, value="説明").font = HEADER_FONT
    for row, setting in enumerate(schema.SETTINGS, start=2):
        ws.cell(row=row, column=1, value=setting.label)
        value = ws.cell(row=row, column=2, value=setting.default)
        if setting.kind == schema.NUMBER:
            value.number_format = NUMBER_SETTING_FORMAT
        ws.cell(row=row, column=3, value=(setting.note + since_note(setting.since)) or None)
        if setting.kind == schema.CHOICE:
            validation = _choice_validation(f"「{setting.label}」", setting.choices, setting.note)
            validation.promptTitle = setting.label
            validation.add(f"B{row}")
            ws.add_data_validation(validation)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 50
    ws.freeze_panes = "A2"


def guide_rows(sheets=schema.TABLES, *, sheet_marked: bool = False) -> list[tuple[str, str, str, str, str, str]]:
    """(シート, 見出し, 必須, 種類, 入力できる値, 説明) for every column of the sheets.  A column
    added after format 1 says so, and so does every column of a later sheet unless
    ``sheet_marked`` (the sheet's own note says it)."""
    rows = []
    for sheet in sheets:
        for column in sheet.columns:
            note = column.note
            if column.default is not None and "空欄" not in note:
                note = (note + " " if note else "") + f"空欄は {column.default}"
            note += since_note(column.since if sheet_marked else max(sheet.since, column.since))
            rows.append((sheet.title, column.header, "必須" if column.required else "",
                         schema.KIND_LABELS[column.kind], _constraint(column), note))
    return rows


def _write_guide(ws) -> None:
    lines = [
        f"就労定着支援 ケース記録（形式 {FORMAT}）の入力テンプレート",
        "シートごとに1行目が見出しです。見出しの文字と並びは変えないでください（列の順番は入れ替えても読めます）。",
        "オレンジ色の見出しは必須、青色は任意です。日付は 2025/4/1 や 令和7年4月1日 のように入力できます。",
        "選択肢のある列は一覧から選んでください。ほかの値は入力できません。",
        "「形式 2 で追加」" + "".join(f"「形式 {n} で追加」" for n in range(3, FORMAT + 1))
        + "とある列・シート・設定は、算定チェック（減算・加算・就労定着率の根拠）に使います。"
        "なくても読めるので、形式 1 のファイルもそのまま使えます。",
        "このファイルに実在の方の情報を入れたら、要配慮個人情報として事業所の規程どおりに保管してください。",
    ]
    for row, text in enumerate(lines, start=1):
        ws.cell(row=row, column=1, value=text).font = Font(bold=row == 1, size=14 if row == 1 else 11)
    start = len(lines) + 2
    headers = ("シート", "見出し", "必須", "種類", "入力できる値", "説明")
    for index, header in enumerate(headers, start=1):
        _header_cell(ws.cell(row=start, column=index, value=header), True)
    for row, values in enumerate(guide_rows(), start=start + 1):
        for index, value in enumerate(values, start=1):
            ws.cell(row=row, column=index, value=value or None).alignment = Alignment(wrap_text=True,
                                                                                      vertical="top")
    for letter, width in zip("ABCDEF", (12, 18, 6, 10, 36, 60)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=start + 1, column=1)


def column_reference_markdown() -> str:
    """The README's column reference (edit schema.py, then `make docs`)."""
    out = []
    for sheet in schema.TABLES:
        kind = "必須" if sheet.required else "任意"
        out.append(f"#### {sheet.title}（{kind}のシート）\n\n{sheet.note}{since_note(sheet.since)}\n")
        out.append("| 見出し | 必須 | 種類 | 入力できる値 | 説明 |\n|---|---|---|---|---|")
        for _, header, required, kind_label, constraint, note in guide_rows([sheet], sheet_marked=True):
            out.append(f"| {header} | {required} | {kind_label} | {constraint} | {note} |")
        out.append("")
    out.append(f"#### {schema.SETTINGS_TITLE}（任意のシート: 項目 / 値）\n")
    out.append("| 項目 | 既定値 | 説明 |\n|---|---|---|")
    for setting in schema.SETTINGS:
        out.append(f"| {setting.label} | {_setting_default(setting)} | {setting.note}{since_note(setting.since)} |")
    return "\n".join(out) + "\n"


def _setting_default(setting: schema.Setting) -> str:
    """The 既定値 column: what a blank 値 means."""
    if setting.name == "office":
        return "ファイル名"
    if setting.default is None:
        return ""
    if setting.kind == schema.NUMBER:
        return f"{setting.default:.2f}"
    return str(setting.default)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


README_BEGIN = "<!-- column reference: generated from teichaku_nb/schema.py by `make docs` -->"
README_END = "<!-- end of column reference -->"


def update_readme(path: Path) -> None:
    """Rewrite the column reference between the README's markers."""
    text = Path(path).read_text(encoding="utf-8")
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    Path(path).write_text(f"{head}{README_BEGIN}\n{column_reference_markdown()}{README_END}{tail}",
                          encoding="utf-8")


if __name__ == "__main__":
    import sys
    update_readme(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
