"""Writing files: a command never writes over a file it reads, never over an existing file
without --force, and never leaves a half-written one; report file names are safe whatever
the office is called."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from teichaku_nb import files
from teichaku_nb.cli import main
from teichaku_nb.reports import SAFE_NAME_BYTES, safe_name
from teichaku_nb.store import default_path, open_store

TEMPLATE = Path(__file__).parent.parent / "data" / "templates" / "teichaku_template.xlsx"
DEMO = Path(__file__).parent.parent / "teichaku_nb" / "demo" / "demo.xlsx"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def book(tmp_path):
    copy = tmp_path / "office.xlsx"
    shutil.copy(DEMO, copy)
    open_store(book_path=copy).close()                    # an (empty) store, so export has something to read
    return copy


def test_export_over_its_own_workbook_is_refused_even_with_force(book, capsys):
    before = digest(book)
    for extra in ([], ["--force"]):
        code, out, err = run(capsys, "export", book, book, *extra)
        assert code == 2 and out == ""
        assert f"エラー: {book} は読み込むファイル（{book}）です。書き出し先には別の名前を指定してください" in err
    assert digest(book) == before
    assert run(capsys, "validate", book)[0] == 0


def test_export_through_a_link_to_its_workbook_is_refused(book, tmp_path, capsys):
    link = tmp_path / "link.xlsx"
    os.link(book, link)
    before = digest(book)
    code, _, err = run(capsys, "export", book, link, "--force")
    assert code == 2 and "読み込むファイル" in err and digest(book) == before


def test_export_over_an_existing_file_needs_force(book, tmp_path, capsys):
    out = tmp_path / "records.xlsx"
    out.write_bytes(b"someone's own file")
    code, _, err = run(capsys, "export", book, out)
    assert code == 2 and f"エラー: {out} はすでにあります。上書きするときは --force を付けてください" in err
    assert out.read_bytes() == b"someone's own file"
    code, stdout, _ = run(capsys, "export", book, out, "--force")
    assert code == 0 and "会議記録を書き出しました" in stdout and out.read_bytes()[:2] == b"PK"
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm")))   # the store's own
    assert left == sorted(["office.xlsx", default_path(book).name, "records.xlsx"])


def test_export_to_a_folder_says_it_is_a_folder(book, tmp_path, capsys):
    folder = tmp_path / "x.xlsx"
    folder.mkdir()
    code, _, err = run(capsys, "export", book, folder)
    assert code == 2 and f"エラー: {folder} はフォルダです。書き出すファイルの名前を指定してください" in err
    assert "IsADirectoryError" not in err


def test_template_and_demo_do_not_write_over_an_existing_file_without_force(tmp_path, capsys):
    out = tmp_path / "mine.xlsx"
    out.write_bytes(b"my records")
    for args in (["template", out], ["demo", out, "--users", "3", "--months", "2"]):
        code, _, err = run(capsys, *args)
        assert code == 2 and f"{out} はすでにあります" in err and "--force" in err
        assert out.read_bytes() == b"my records"
    code, _, _ = run(capsys, "template", out, "--force")
    assert code == 0 and run(capsys, "validate", out)[0] == 0
    code, _, _ = run(capsys, "demo", out, "--users", "3", "--months", "2", "--force")
    assert code == 0 and run(capsys, "validate", out)[0] in (0, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xlsx"]          # no temporary file left


def test_demo_into_a_folder_checks_every_office_workbook_first(tmp_path, capsys):
    folder = tmp_path / "offices"
    folder.mkdir()
    (folder / "事業所02.xlsx").write_bytes(b"kept")
    code, _, err = run(capsys, "demo", folder, "--users", "4", "--months", "2", "--offices", "2")
    assert code == 2 and "事業所02.xlsx はすでにあります" in err
    assert sorted(p.name for p in folder.iterdir()) == ["事業所02.xlsx"]          # nothing written, not even 01
    assert (folder / "事業所02.xlsx").read_bytes() == b"kept"


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "records.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with files.replacing(target) as temporary:
            temporary.write_bytes(b"half")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]
    with files.replacing(target) as temporary:
        temporary.write_bytes(b"new")
    assert target.read_bytes() == b"new" and sorted(tmp_path.iterdir()) == [target]


def test_a_replaced_file_keeps_its_permissions_and_a_link_is_replaced_not_followed(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")
    target.chmod(0o640)
    files.write_text(target, "new")
    assert target.read_text() == "new" and target.stat().st_mode & 0o777 == 0o640
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not to be touched")
    link = tmp_path / "link.html"
    link.symlink_to(elsewhere)
    files.write_text(link, "document")
    assert elsewhere.read_text() == "not to be touched" and not link.is_symlink() and link.read_text() == "document"


# --- report file names ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["あ" * 100, "事業所\x00名", "a/b\\c:d*e?f\"g<h>i|j", "CON", "..", "ＡＢＣ　事業所\n"])
def test_report_file_names_are_safe_for_any_office_name(name):
    safe = safe_name(name)
    assert safe and len(safe.encode()) <= SAFE_NAME_BYTES
    assert not any(c in safe for c in '/\\:*?"<>|\x00\n') and safe not in (".", "..", "CON")


def test_two_long_office_names_that_share_a_start_stay_two_files():
    assert safe_name("東" * 60 + "一") != safe_name("東" * 60 + "二")


@pytest.mark.slow
def test_a_report_for_a_long_or_nul_office_name_is_written_and_replaced_by_its_next_run(tmp_path):
    """事業所名 of 100 characters, and one with a NUL from a CSV 設定: report summary writes its
    document (validate warns about the NUL), and a second run replaces it without --force."""
    from openpyxl import load_workbook
    long_book = tmp_path / "long.xlsx"
    workbook = load_workbook(TEMPLATE)
    workbook["設定"]["B2"] = "長" * 100
    workbook.save(long_book)
    csv_book = tmp_path / "csv"
    csv_book.mkdir()
    for sheet in ("利用者", "面談記録"):
        header = ",".join(c.value for c in workbook[sheet][1] if c.value)
        (csv_book / f"{sheet}.csv").write_text(header + "\n", encoding="utf-8")
    (csv_book / "設定.csv").write_text("項目,値\n事業所名,きた\x00事業所\n", encoding="utf-8")
    assert workbook["設定"]["A2"].value == "事業所名"

    done = subprocess.run([sys.executable, "-m", "teichaku_nb", "validate", str(csv_book)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "設定 2行目「値」: 「事業所名」: 見えない制御文字（U+0000）" in done.stdout
    for source in (long_book, csv_book):
        out = tmp_path / f"out-{source.name}"
        for _ in range(2):
            done = subprocess.run([sys.executable, "-m", "teichaku_nb", "report", "summary", str(source),
                                   "--month", "2026-10", "--out", str(out)], capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        written = sorted(out.iterdir())
        assert len(written) == 1 and written[0].suffix == ".html", written
        assert len(written[0].name.encode()) < 255 and "\x00" not in written[0].name
        assert "</html>" in written[0].read_text(encoding="utf-8")


def test_documents_are_the_owners_only_in_a_folder_the_tool_makes_the_owners_only(tmp_path):
    import stat

    from teichaku_nb import cli

    book = tmp_path / "office.xlsx"
    shutil.copy(Path(__file__).resolve().parents[1] / "teichaku_nb" / "demo" / "demo.xlsx", book)
    out = tmp_path / "made" / "2026-10"
    assert cli.main(["report", "minutes", str(book), "--month", "2026-10", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert [stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()] == [0o600]
    files.write_text(tmp_path / "new.html", "x")
    assert stat.S_IMODE((tmp_path / "new.html").stat().st_mode) == 0o600
