"""The input template: generated from schema.py (the newest format), checked in, pleasant to
type into."""

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from teichaku_nb import schema
from teichaku_nb.template import FORMAT, column_reference_markdown, write_template
from teichaku_nb.workbook import load_casebook

ROOT = Path(__file__).parent.parent
CHECKED_IN = ROOT / "data" / "templates" / "teichaku_template.xlsx"


def fingerprint(path: Path) -> dict:
    """What staff see and what the checks do, sheet by sheet (not the zip's bytes)."""
    workbook = load_workbook(path)
    result = {"sheets": workbook.sheetnames}
    for ws in workbook.worksheets:
        result[ws.title] = {
            "cells": [[c.value for c in row] for row in ws.iter_rows()],
            "freeze": ws.freeze_panes,
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "validations": sorted((str(v.sqref), v.type, v.formula1, v.formula2, v.error, v.errorStyle,
                                   v.showErrorMessage, v.prompt) for v in ws.data_validations.dataValidation),
        }
    return result


def test_the_checked_in_template_matches_the_schema(tmp_path):
    fresh = write_template(tmp_path / "template.xlsx")
    assert fingerprint(CHECKED_IN) == fingerprint(fresh), \
        "data/templates/ is out of date: run `teichaku template data/templates/teichaku_template.xlsx --force`"


def test_the_template_loads_cleanly_with_every_sheet_and_header():
    book = load_casebook(CHECKED_IN)
    assert book.problems == []
    workbook = load_workbook(CHECKED_IN)
    assert workbook.sheetnames == ["説明", "設定"] + [s.title for s in schema.TABLES]
    for sheet in schema.TABLES:
        ws = workbook[sheet.title]
        assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]
        assert ws.freeze_panes == "B2"
        for cell, column in zip(ws[1], sheet.columns):
            assert cell.font.b
            assert cell.fill.fgColor.rgb.endswith("F4B183" if column.required else "DDEBF7")
    assert [ws_row[0].value for ws_row in workbook["設定"].iter_rows(min_row=2)] == [s.label for s in schema.SETTINGS]


def _validations(ws) -> dict[str, object]:
    by_column = {}
    for validation in ws.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            by_column[re.match(r"[A-Z]+", cell_range.coord).group()] = validation
    return by_column


def test_every_choice_column_has_a_dropdown_that_rejects_other_values():
    workbook = load_workbook(CHECKED_IN)
    checked = 0
    for sheet in schema.TABLES:
        validations = _validations(workbook[sheet.title])
        for index, column in enumerate(sheet.columns):
            letter = get_column_letter(index + 1)
            validation = validations.get(letter)
            if column.kind == schema.CHOICE:
                assert validation.type == "list"
                assert validation.formula1.strip('"').split(",") == list(column.choices)
            elif column.kind in (schema.INT, schema.SCORE):
                assert (validation.type, validation.formula1, validation.formula2) == \
                    ("whole", str(int(column.min)), str(int(column.max)))
            elif column.kind == schema.DATE:
                assert validation.type == "date"
            else:
                continue
            assert validation.showErrorMessage and validation.errorStyle == "stop"
            assert validation.errorTitle == "入力できない値です" and column.header in validation.error
            checked += 1
    assert checked == sum(c.kind in (schema.CHOICE, schema.INT, schema.SCORE, schema.DATE)
                          for s in schema.TABLES for c in s.columns)


def test_date_and_id_columns_are_formatted():
    ws = load_workbook(CHECKED_IN)["面談記録"]
    assert ws.column_dimensions["B"].number_format == "yyyy/mm/dd"   # 実施日
    assert ws.column_dimensions["A"].number_format == "@"            # 利用者ID stays text


def test_the_guide_explains_every_column_in_japanese():
    ws = load_workbook(CHECKED_IN)["説明"]
    rows = {(r[0], r[1]) for r in ws.iter_rows(values_only=True)}
    for sheet in schema.TABLES:
        for column in sheet.columns:
            assert (sheet.title, column.header) in rows


def test_the_readme_column_reference_is_generated_from_the_schema():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert column_reference_markdown() in readme, "README is out of date: run `make docs`"


def test_the_settings_sheet_has_every_setting_with_its_default_note_and_checks():
    ws = load_workbook(CHECKED_IN)["設定"]
    assert [c.value for c in ws[1]] == ["項目", "値", "説明"]
    rows = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    assert list(rows) == [s.label for s in schema.SETTINGS]
    validations = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    for setting in schema.SETTINGS:
        _, value, note = rows[setting.label]
        assert value.value == (setting.default or None), setting.label      # "" is an empty cell
        assert (note.value or "").startswith(setting.note), setting.label
        assert ("形式 2 で追加" in (note.value or "")) == (setting.since == 2), setting.label
        if setting.kind == schema.CHOICE:          # a dropdown like a choice column's
            validation = validations.pop(value.coordinate)
            assert validation.type == "list" and validation.formula1.strip('"').split(",") == list(setting.choices)
            assert validation.showErrorMessage and validation.errorStyle == "stop"
            assert setting.label in validation.error
    assert validations == {}
    unit_price = rows["1単位の単価（円）"][1]
    assert unit_price.value == 10 and unit_price.number_format == "0.00"      # shown as 10.00


def test_the_template_is_format_3_and_says_what_formats_2_and_3_added():
    assert FORMAT == 3
    workbook = load_workbook(CHECKED_IN)
    assert "就労確認" in workbook.sheetnames
    guide = workbook["説明"]
    assert guide["A1"].value == "就労定着支援 ケース記録（形式 3）の入力テンプレート"
    assert any("「形式 2 で追加」「形式 3 で追加」とある列" in (row[0] or "") and "形式 1 のファイルもそのまま使えます"
               in (row[0] or "") for row in guide.iter_rows(values_only=True))
    notes = {(r[0], r[1]): r[5] or "" for r in guide.iter_rows(values_only=True)}
    for sheet in schema.TABLES:
        for column in sheet.columns:
            added = max(sheet.since, column.since)
            for since in (2, 3):
                assert (f"（形式 {since} で追加）" in notes[(sheet.title, column.header)]) == (added == since), \
                    column.header
    assert notes[("利用者", "再就職日")].endswith("（形式 3 で追加）")
    settings = {r[0]: r[2] or "" for r in workbook["設定"].iter_rows(min_row=2, values_only=True)}
    assert settings["就労定着率区分（届出）"].endswith("（形式 3 で追加）")
    readme = column_reference_markdown()
    assert "#### 就労確認（任意のシート）\n\n支援が終わった後に" in readme and "| 区分 |" in readme and "自宅訪問" in readme


def test_the_template_without_format_2_is_a_format_1_book_that_loads_cleanly(tmp_path):
    """Format 2's columns, sheet and settings taken out: what an office on format 1 has."""
    workbook = load_workbook(CHECKED_IN)
    del workbook["就労確認"]
    for sheet in schema.TABLES:
        if sheet.title in workbook.sheetnames:
            ws = workbook[sheet.title]
            for index in reversed([i for i, c in enumerate(sheet.columns, start=1) if c.since > 1]):
                ws.delete_cols(index)
    settings = workbook["設定"]
    for row in reversed(range(2, settings.max_row + 1)):
        if settings.cell(row, 1).value in {s.label for s in schema.SETTINGS if s.since > 1}:
            settings.delete_rows(row)
    workbook.save(tmp_path / "format1.xlsx")
    book = load_casebook(tmp_path / "format1.xlsx")
    assert book.problems == []
    assert not book.has("users", "contract_on") and not book.has("contacts", "kind")
    assert book.has("users", "employer_consent") and book.counts.get("就労確認") is None


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_template_and_keeps_its_dropdowns(tmp_path):
    profile = tmp_path / "profile"
    done = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                           "--convert-to", "ods", "--outdir", str(tmp_path), str(CHECKED_IN)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "teichaku_template.ods") as ods:
        content = ods.read("content.xml").decode()
    validations = re.findall(r"<table:content-validation .*?</table:content-validation>", content, re.S)
    expected = sum(c.kind in (schema.CHOICE, schema.INT, schema.SCORE, schema.DATE, schema.NUMBER)
                   for s in schema.TABLES for c in s.columns) + sum(s.kind == schema.CHOICE for s in schema.SETTINGS)
    assert len(validations) == expected
    assert all('table:message-type="stop"' in v and 'table:display="true"' in v for v in validations)
    lists = [v for v in validations if "cell-content-is-in-list" in v]
    assert any("&quot;本人・企業&quot;" in v and "相手" in v for v in lists)
    assert any("&quot;いいえ&quot;" in v and "引継ぎの指針" in v for v in lists)
    # and LibreOffice reads the sheets back as the loader expects
    book = load_casebook(tmp_path / "teichaku_template.ods")
    assert book.problems == []
