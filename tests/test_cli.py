"""The command line as scripts and staff use it: template, validate, help, exit codes."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from teichaku_nb.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = Path(__file__).parent.parent / "data" / "templates" / "teichaku_template.xlsx"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_help_is_japanese_and_python_m_works():
    done = subprocess.run([sys.executable, "-m", "teichaku_nb", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "使い方: teichaku" in done.stdout and "ケース記録" in done.stdout
    for command in ("template", "demo", "validate", "review", "retention"):
        assert command in done.stdout


def test_validate_a_workbook_with_errors_lists_them_by_sheet_and_exits_1(capsys):
    code, out, _ = run(capsys, "validate", FIXTURES / "messy.xlsx")
    assert code == 1
    assert "エラー 18件、警告 4件" in out
    assert out.index("[利用者]") < out.index("[面談記録]") < out.index("[勤怠]")
    assert "面談記録 3行目「利用者ID」: U099 は利用者シートにありません" in out


def test_validate_json_is_for_programs(capsys):
    code, out, _ = run(capsys, "validate", FIXTURES / "messy.xlsx", "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert data["counts"] == {"利用者": 12, "面談記録": 9, "勤怠": 6, "支援計画": 0}
    problem = next(p for p in data["problems"] if p["code"] == "unknown_user")
    assert problem == {"severity": "error", "sheet": "面談記録", "row": 3, "column": "利用者ID",
                       "code": "unknown_user", "message": "面談記録 3行目「利用者ID」: U099 は利用者シートにありません"}


def test_validate_a_clean_workbook_exits_0(capsys):
    code, out, _ = run(capsys, "validate", TEMPLATE)
    assert code == 0 and "問題はありません" in out


def test_validate_an_unreadable_file_exits_2_without_a_traceback(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    done = subprocess.run([sys.executable, "-m", "teichaku_nb", "validate", str(broken)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "broken.xlsx を表計算のファイルとして開けません" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_validate_a_folder_of_offices(tmp_path, capsys):
    for name in ("東", "西"):
        shutil.copy(TEMPLATE, tmp_path / f"{name}.xlsx")
    code, out, _ = run(capsys, "validate", tmp_path, "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    assert [o["office"] for o in data["offices"]] == ["東", "西"]


@pytest.mark.parametrize("args, message", [
    (["validate"], "次の引数が必要です"),
    (["review", "x.xlsx", "--month", "2025-13"], "年月として読めません"),
    (["retention", "x.xlsx", "--fiscal-year", "来年"], "年度として読めません"),
    (["frobnicate"], "選べない値です"),
])
def test_wrong_arguments_exit_2_with_a_japanese_message(capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_template_command_writes_a_loadable_template(tmp_path, capsys):
    code, out, _ = run(capsys, "template", tmp_path / "新しい記録.xlsx")
    assert code == 0 and "テンプレートを書き出しました" in out
    code, _, _ = run(capsys, "validate", tmp_path / "新しい記録.xlsx")
    assert code == 0
    code, _, err = run(capsys, "template", tmp_path / "x.csv")
    assert code == 2 and ".xlsx" in err


@pytest.mark.parametrize("command", [
    ["template", "{bad}/t.xlsx"],
    ["demo", "{bad}/demo.xlsx", "--users", "3", "--months", "2"],
    ["demo", "{bad}/offices", "--users", "3", "--months", "2", "--offices", "2"],
    ["export", "{book}", "{bad}/records.xlsx"],
    ["report", "summary", "{book}", "--month", "2026-10", "--out", "{bad}/reports"],
])
def test_an_output_that_cannot_be_written_is_named_at_once_without_a_traceback(tmp_path, command):
    """OUT inside a file (not a folder): the command says so before any work, exit 2."""
    blocker = tmp_path / "a-file.txt"
    blocker.write_text("not a folder")
    book = tmp_path / "office.xlsx"
    shutil.copy(TEMPLATE, book)
    args = [a.format(bad=blocker, book=book) for a in command]
    done = subprocess.run([sys.executable, "-m", "teichaku_nb", *args], capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{blocker}/" in done.stderr and "に書き出せません" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "Exception ignored" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file.txt", "office.xlsx"]


def test_a_store_file_that_cannot_be_made_is_a_japanese_error(tmp_path, capsys):
    book = tmp_path / "office.xlsx"
    shutil.copy(TEMPLATE, book)
    unwritable = Path("/proc/teichaku-test.teichaku.sqlite")            # /proc takes no new files
    if not Path("/proc").is_dir():
        pytest.skip("no /proc here")
    code, _, err = run(capsys, "sent", book, "--month", "2026-10", "--to", "本人", "--user", "001",
                       "--db", f"sqlite:///{unwritable}")
    assert code == 2 and f"会議記録のデータベース {unwritable} を作れません" in err
