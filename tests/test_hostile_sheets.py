"""Spreadsheets made carelessly or to do harm: a stray cell in the last row and column, a
million wrong rows, invisible control characters, CSV files in other encodings or with a
cell longer than the csv module takes.  Each is read or refused in Japanese, quickly, in
bounded memory."""

import codecs
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from teichaku_nb import schema, sheetsize
from teichaku_nb.workbook import MAX_PROBLEMS, casebook_from_records, load_casebook

sys.path.insert(0, str(Path(__file__).parent))
from helpers_books import (Repeated, bad_contact_rows, hostile_books, minimal_sheets, row_xml,  # noqa: E402
                           write_ods, write_xlsx)

TODAY = dt.date(2026, 11, 26)
GIB = 2**30
pytestmark = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="peak memory is read from /proc")

# Runs the command in a fresh interpreter and prints its own peak memory last (bytes): VmHWM,
# as getrusage's ru_maxrss would start from the size of the process that started it.
MEASURED = r"""
import sys
from teichaku_nb.cli import main
try:
    code = main(sys.argv[1:])
finally:
    sys.stdout.flush()
    with open("/proc/self/status") as status:
        print(next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:")), file=sys.stderr)
sys.exit(code)
"""


def teichaku_measured(*args) -> tuple[subprocess.CompletedProcess, int, float]:
    """(the finished command, its peak memory in bytes, seconds it took)."""
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", MEASURED, *map(str, args)], capture_output=True, text=True)
    seconds = time.monotonic() - start
    *_, peak = done.stderr.strip().splitlines()
    return done, int(peak), seconds


def far_cell_book(tmp_path, ref_column: int, ref_row: int, name="far.xlsx") -> Path:
    return write_xlsx(tmp_path / name, minimal_sheets(
        {schema.USERS.title: [row_xml(ref_row, ["x"], first_column=ref_column)]}))


# --- a sheet too large to read -----------------------------------------------------------------

@pytest.mark.parametrize("column, row, reason", [
    (16384, 1048576, "16,384列あります（200列まで）"),
    (30, 1048576, "1,048,576行 × 30列"),
], ids=["XFD1048576", "AD1048576"])
def test_a_value_in_a_far_cell_is_refused_before_the_sheet_is_read(tmp_path, column, row, reason):
    book = far_cell_book(tmp_path, column, row)
    done, peak, seconds = teichaku_measured("validate", book)
    assert done.returncode == 2, done.stderr
    assert reason in done.stdout and "シート「利用者」は大きすぎるため読み込みません" in done.stdout
    assert f"A1:{sheetsize.column_letters(column)}{row}" in done.stdout
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr
    assert seconds < 10 and peak < GIB / 4


def test_every_command_refuses_the_far_cell_with_exit_2(tmp_path):
    book = far_cell_book(tmp_path, 16384, 1048576)
    for args in (["review", book, "--month", "2026-10"], ["retention", book, "--fiscal-year", "2026"],
                 ["report", "summary", book, "--month", "2026-10", "--out", tmp_path / "out"]):
        done, _, seconds = teichaku_measured(*args)
        assert done.returncode == 2 and "大きすぎるため読み込みません" in done.stderr, done.stderr
        assert seconds < 10
    assert not (tmp_path / "out").exists()


def test_a_dimension_that_lies_does_not_hide_a_far_cell(tmp_path):
    path = write_xlsx(tmp_path / "lie.xlsx", minimal_sheets(
        {schema.USERS.title: [row_xml(1048576, ["x"], first_column=16384)]}), dimensions={schema.USERS.title: "A1:R2"})
    filled = len(schema.USERS.columns) + 6 + 1            # the headers, the person's six cells, the far one
    assert sheetsize.extents(path)[schema.USERS.title] == sheetsize.Extent(1048576, 16384, filled)
    book = load_casebook(path, today=TODAY)
    assert [p.code for p in book.problems] == ["unreadable"]


def test_the_extent_counts_only_cells_holding_values_and_places_cells_without_a_reference(tmp_path):
    formatted_only = '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    unreferenced = '<row r="5">' + '<c t="inlineStr"><is><t>x</t></is></c>' * 300 + "</row>"
    hidden = '<row r="3"><c r="C900000" t="inlineStr"><is><t>y</t></is></c></row>'
    path = write_xlsx(tmp_path / "shapes.xlsx", {"A": [row_xml(1, ["a", "b"]), formatted_only],
                                                 "B": [row_xml(1, ["a"]), unreferenced],
                                                 "C": [row_xml(1, ["a"]), hidden]})
    found = sheetsize.extents(path)
    assert (found["A"].rows, found["A"].columns) == (1, 2)
    assert (found["B"].rows, found["B"].columns) == (5, 300)
    assert (found["C"].rows, found["C"].columns) == (900000, 3)


def test_an_ods_sheet_is_measured_with_its_repeated_rows_and_cells(tmp_path):
    cell = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
    path = write_ods(tmp_path / "far.ods", (
        '<table:table table:name="利用者"><table:table-row>' + cell + '</table:table-row>'
        '<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
        'table:number-columns-repeated="16384"/></table:table-row><table:table-row>'
        '<table:table-cell table:number-columns-repeated="25"/>' + cell + '</table:table-row></table:table>'))
    assert sheetsize.extents(path)["利用者"] == sheetsize.Extent(1048576, 26, 2)
    done, peak, seconds = teichaku_measured("validate", path)     # calamine parses an ods whole on opening
    assert done.returncode == 2 and "1,048,576行 × 26列" in done.stdout
    assert seconds < 10 and peak < GIB / 4


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_an_xls_workbook_with_a_value_in_its_last_cell_is_refused_before_it_is_opened(tmp_path):
    far = far_cell_book(tmp_path, 256, 65536, name="far.xlsx")          # IV65536: the last cell of an xls
    profile = tmp_path / "profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xls",
                    "--outdir", str(tmp_path), str(far)], capture_output=True, timeout=180, check=True)
    book = tmp_path / "far.xls"
    filled = len(schema.USERS.columns) + 6 + 1            # the headers, the person's six cells, the far one
    assert sheetsize.extents(book)["利用者"] == sheetsize.Extent(65536, 256, filled)
    done, peak, seconds = teichaku_measured("validate", book)
    assert done.returncode == 2 and "256列あります（200列まで）" in done.stdout and "A1:IV65536" in done.stdout
    assert seconds < 10 and peak < GIB / 4


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_an_xls_whose_cells_share_one_long_text_is_refused_before_it_is_opened(tmp_path):
    """40,000 cells of an xls name one shared text of 8 KiB: calamine would copy it into each
    (330 MB); its length is read from the SST and counted once per cell."""
    cells = "<row>" + '<c t="s"><v>0</v></c>' * 10 + "</row>"
    write_xlsx(tmp_path / "reused.xlsx", minimal_sheets({schema.CONTACTS.title: Repeated("", cells, 4_000)}),
               shared=Repeated("<si><t>", "記録", 1_400, "</t></si>"))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                    "xls", "--outdir", str(tmp_path), str(tmp_path / "reused.xlsx")],
                   capture_output=True, timeout=180, check=True)
    book = tmp_path / "reused.xls"
    assert book.stat().st_size < 2**20
    done, peak, _ = teichaku_measured("validate", book)
    assert done.returncode == 2, done.stdout
    assert "reused.xls は大きすぎるため読み込みません: シート「面談記録」のセルの文字が" in done.stdout
    assert peak < GIB / 4


def test_a_large_sheet_the_format_does_not_know_is_not_read(tmp_path):
    """Only the format's sheets are read cell by cell: a big sheet of notes beside them costs nothing."""
    path = write_xlsx(tmp_path / "notes.xlsx", minimal_sheets(
        {"メモ": [row_xml(1048576, ["x"], first_column=16384)]}))
    book = load_casebook(path, today=TODAY)
    assert [p.code for p in book.problems] == ["unknown_sheet"] and len(book.users) == 1


# --- a small file that unpacks to too much -----------------------------------------------------

@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_books(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("name", ["shared text of 3 GB", "shared text of 1 GB", "20 million shared texts",
                                  "3 million shared texts", "inline text of 1 GB", "4 GB of spaces",
                                  "inline text of 200 MB", "200 MB of spaces", "one text in 300,000 cells",
                                  "two sheets together", "ods text repeated"])
def test_a_small_file_that_unpacks_to_too_much_is_refused_before_calamine_reads_it(hostile, name):
    """Each file is a few megabytes at most; what it would unpack to is measured first and
    refused with the part and the limit (peak memory and time: benchmarks/validate_memory.py)."""
    path, words = hostile[name]
    assert path.stat().st_size < 5 * 2**20
    done = subprocess.run([sys.executable, "-m", "teichaku_nb", "validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{path.name} は大きすぎるため読み込みません" in done.stdout and words in done.stdout, done.stdout
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr


def test_the_text_of_a_sheet_counts_a_shared_text_once_for_every_cell_that_uses_it(tmp_path):
    cells = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c><c r="B{n}" t="s"><v>1</v></c></row>'
                    for n in range(1, 1001))
    path = write_xlsx(tmp_path / "shared.xlsx", {"A": [cells]},
                      shared=["<si><t>" + "a" * 1000 + "</t></si>", "<si><t>b</t></si>"])
    extent = sheetsize.extents(path)["A"]
    assert (extent.rows, extent.columns, extent.filled) == (1000, 2, 2000)
    markup = 30                                         # <si><t></t></si>, and </sst> after the last
    assert len(cells) + 1000 * 1001 <= extent.text <= len(cells) + 500 + 1000 * (1000 + markup) + 1000 * (1 + markup)


def test_a_workbook_with_two_parts_of_one_name_is_not_opened(tmp_path):
    import warnings
    import zipfile
    path = write_xlsx(tmp_path / "twice.xlsx", minimal_sheets(), shared=["<si><t>a</t></si>"])
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as archive:
        warnings.simplefilter("ignore")                       # zipfile warns of the duplicate name
        archive.writestr("xl/sharedStrings.xml", "<sst><si><t>" + "b" * 100 + "</t></si></sst>")
    book = load_casebook(path, today=TODAY)
    assert [p.code for p in book.problems] == ["unreadable"]
    assert "開けません" in book.problems[0].message


def test_a_workbook_within_the_limits_reads_its_shared_texts(tmp_path):
    path = write_xlsx(tmp_path / "fine.xlsx", minimal_sheets({schema.CONTACTS.title: Repeated(
        "", '<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>', 3)}),
        shared=Repeated("<si><t>", "架空", 5, "</t></si><si><t>対面</t></si>"))
    book = load_casebook(path, today=TODAY)
    assert not [p for p in book.problems if p.code == "unreadable"]


# --- a million wrong rows ----------------------------------------------------------------------

@pytest.mark.slow
def test_a_million_wrong_rows_give_a_capped_report_quickly_in_bounded_memory(tmp_path):
    book = write_xlsx(tmp_path / "million.xlsx", minimal_sheets(
        {schema.CONTACTS.title: bad_contact_rows(1_000_000, first=3)}))
    done, peak, seconds = teichaku_measured("validate", book, "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= {"ok", "counts", "problems"} and data["counts"]["面談記録"] == 1_000_001
    listed = [p for p in data["problems"] if p["row"] is not None]
    summaries = [p for p in data["problems"] if p["row"] is None]
    by_code = {}
    for problem in listed:
        by_code[problem["code"]] = by_code.get(problem["code"], 0) + 1
    assert by_code == {"empty_required": MAX_PROBLEMS, "out_of_range": MAX_PROBLEMS}
    assert {(p["code"], p["sheet"]) for p in summaries} == {("empty_required", "面談記録"), ("out_of_range", "面談記録")}
    omitted = {o["code"]: o["count"] for o in data["omitted"]}
    assert omitted == {"empty_required": 4_000_000 - MAX_PROBLEMS, "out_of_range": 1_000_000 - MAX_PROBLEMS}
    assert "ほかにも「必須の欄が空欄」のエラーが 3,999,900件あります" in summaries[0]["message"] + summaries[1]["message"]
    assert len(done.stdout) < 200_000
    assert seconds < 60 and peak < GIB


def test_problems_past_the_first_of_their_kind_are_counted_in_one_line(capsys):
    from teichaku_nb.cli.terminal import format_problems
    contacts = [{"user_id": f"U{i}", "date": "2025/4/1", "method": "対面", "party": "本人", "staff": "A"}
                for i in range(MAX_PROBLEMS + 150)]
    book = casebook_from_records({"users": [], "contacts": contacts}, today=TODAY)
    unknown = [p for p in book.problems if p.code == "unknown_user"]
    assert len(unknown) == MAX_PROBLEMS + 1 and [p.row for p in unknown[:3]] == [2, 3, 4]
    summary = unknown[-1]
    assert summary.row is None and summary.omitted == 150 and summary.sheet == "面談記録"
    assert book.error_count == MAX_PROBLEMS + 150
    text = format_problems(book)
    assert f"エラー {MAX_PROBLEMS + 150}件" in text
    assert "面談記録: ほかにも「利用者シートにない利用者ID」のエラーが 150件あります" in text
    assert text.index("U99 は利用者シートにありません") < text.index("ほかにも") and "U100 は" not in text


# --- control characters ------------------------------------------------------------------------

def test_control_characters_in_text_cells_are_reported_and_removed(tmp_path):
    folder = tmp_path / "きた"
    folder.mkdir()
    users = ",".join(c.header for c in schema.USERS.columns) + "\n"
    users += "U001,架空\x00太郎,,支援員\x07A,,,2025/4/1,架空商事,,,,,,,利用中\n"
    (folder / "利用者.csv").write_text(users, encoding="utf-8")
    (folder / "面談記録.csv").write_text(",".join(c.header for c in schema.CONTACTS.columns) + "\n",
                                      encoding="utf-8")
    (folder / "設定.csv").write_text("項目,値\n事業所名,きた\x00事業所\n", encoding="utf-8")
    book = load_casebook(folder, today=TODAY)
    found = {(p.severity, p.sheet, p.row, p.column) for p in book.problems if p.code == "control_char"}
    assert found == {("warning", "利用者", 2, "氏名"), ("warning", "利用者", 2, "担当支援員"),
                     ("warning", "設定", 2, "値")}
    message = next(p.message for p in book.problems if p.column == "氏名")
    assert message.startswith("利用者 2行目「氏名」: 見えない制御文字（U+0000）") and "\x00" not in message
    assert book.users.loc[0, "name"] == "架空太郎" and book.office == "きた事業所"


# --- CSV files ---------------------------------------------------------------------------------

def _csv_folder(tmp_path, encoding: str, *, note: str = "", bom: bytes = b"") -> Path:
    folder = tmp_path / encoding
    folder.mkdir()
    users = ",".join(c.header for c in schema.USERS.columns) + "\r\n"
    users += "U001,架空 花子,カクウ ハナコ,支援員A,,,2025/4/1,架空商事,,,,,,,利用中\r\n"
    contacts = ",".join(c.header for c in schema.CONTACTS.columns) + "\r\n"
    contacts += f'U001,2025/6/1,対面,本人,支援員A,,,,,,"{note}"\r\n'
    (folder / "利用者.csv").write_bytes(bom + users.encode(encoding))
    (folder / "面談記録.csv").write_bytes(bom + contacts.encode(encoding))
    return folder


@pytest.mark.parametrize("encoding, bom", [
    ("iso2022_jp", b""), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-le", b""), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("cp932", b""), ("utf-8", b""),
])
def test_csv_files_in_the_japanese_encodings_are_read(tmp_path, encoding, bom):
    book = load_casebook(_csv_folder(tmp_path, encoding, bom=bom), today=TODAY)
    assert book.ok, [p.message for p in book.problems]
    assert book.users.loc[0, "name"] == "架空 花子" and len(book.contacts) == 1


def test_a_csv_cell_longer_than_the_csv_module_takes_is_read(tmp_path):
    note = "長い記録。" * 40_000                       # 200,000 characters (the csv module stops at 131,072)
    book = load_casebook(_csv_folder(tmp_path, "utf-8", note=note), today=TODAY)
    assert book.ok and book.contacts.loc[0, "notes"] == note


def test_a_csv_cell_past_the_limit_is_refused_in_japanese(tmp_path):
    from teichaku_nb.reading import MAX_CELL_CHARS
    book = load_casebook(_csv_folder(tmp_path, "utf-8", note="あ" * (MAX_CELL_CHARS + 1)), today=TODAY)
    assert [p.code for p in book.problems] == ["unreadable"]
    assert "面談記録.csv の 2行目に長すぎるセルがあります（1,000,000文字まで）" == book.problems[0].message


def test_a_csv_file_in_an_unknown_encoding_names_the_ones_accepted(tmp_path):
    folder = tmp_path / "euc"
    folder.mkdir()
    (folder / "利用者.csv").write_bytes("利用者ID,氏名\n".encode("utf-8") + b"\xff\xfe\xfd\n")
    book = load_casebook(folder, today=TODAY)
    assert [p.code for p in book.problems] == ["unreadable"]
    assert "UTF-8・Shift_JIS（cp932）・JIS（ISO-2022-JP）・UTF-16" in book.problems[0].message
