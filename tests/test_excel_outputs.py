"""Every Excel file the project writes shows text as typed: a workbook's or a colleague's text
that starts a formula (also after leading spaces, tabs or line breaks) is a text cell, never a
live formula, in the fee check (`teichaku billing --out`), the records export (`teichaku
export`), the template and the demo."""

from __future__ import annotations

import shutil
import stat

import openpyxl
import pandas as pd

from teichaku_nb import cli
from teichaku_nb.store import Review, open_store
from teichaku_nb.workbook import load_casebook

from helpers_demo import DEMO

MONTH = pd.Period("2026-10", freq="M")
HOSTILE = {"001": "=cmd|' /C calc'!A0", "002": ' =HYPERLINK("http://example.invalid/","開く")', "004": "\t=1+1"}


def _formulas(path) -> list[str]:
    """Every cell of the file a spreadsheet program would run."""
    book = openpyxl.load_workbook(path)
    return [f"{ws.title}!{c.coordinate}: {c.value}" for ws in book.worksheets for row in ws.iter_rows()
            for c in row if c.data_type == "f"]


def _texts(path) -> set[str]:
    book = openpyxl.load_workbook(path)
    return {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def test_no_excel_file_we_write_turns_text_into_a_formula(tmp_path, capsys):
    book = tmp_path / "office.xlsx"
    shutil.copy(DEMO, book)
    wb = openpyxl.load_workbook(book)                    # typed as text into the office's workbook
    ws = wb["利用者"]
    column = next(c.column for c in ws[1] if c.value == "氏名")
    for row in ws.iter_rows(min_row=2):
        if row[0].value in HOSTILE:
            cell = ws.cell(row=row[0].row, column=column, value=HOSTILE[row[0].value])
            cell.data_type = "s"
    wb.save(book)
    key = load_casebook(book).key
    with open_store(book_path=book) as store:
        store.save_review(Review(key, "003", MONTH, issues="=SUM(A1:A9)", to_person="@SUM(1+1)"), by="+田村",
                          expected_version=None)

    made = {"billing": tmp_path / "billing.xlsx", "export": tmp_path / "export.xlsx",
            "template": tmp_path / "template.xlsx", "demo": tmp_path / "demo.xlsx"}
    assert cli.main(["billing", str(book), "--month", "2026-10", "--out", str(made["billing"])]) in (0, 1)
    assert cli.main(["export", str(book), str(made["export"])]) == 0
    assert cli.main(["template", str(made["template"])]) == 0
    assert cli.main(["demo", str(made["demo"])]) == 0
    capsys.readouterr()
    for what, path in made.items():
        assert _formulas(path) == [], what
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, what          # people's data: the owner's only
    # the hostile text is there, as text (the workbook's reading trims the leading blanks)
    assert {text.strip() for text in HOSTILE.values()} <= _texts(made["billing"])
    assert {"=SUM(A1:A9)", "@SUM(1+1)", "+田村"} <= _texts(made["export"])
