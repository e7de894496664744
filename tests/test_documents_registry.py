"""The documents are declared once (``teichaku_nb.documents``): the command's choices and help,
the app's 出力 panel, the notebooks and the file names all follow the declaration."""

import sys
from pathlib import Path

import pytest

from teichaku_nb import cli, documents
from teichaku_nb.paths import report_notebook_dir
from teichaku_nb.records import EMPLOYER, SELF, STAFF

sys.path.insert(0, str(Path(__file__).parent))
from helpers_demo import DEMO, DEMO_NAME  # noqa: E402


def _report_parser():
    commands = next(a for a in cli.build_parser()._actions if a.dest == "command")
    return commands.choices["report"]


def test_every_kind_has_its_notebook_and_every_notebook_is_declared():
    notebooks = {path.stem for path in report_notebook_dir().glob("*.ipynb")}
    assert notebooks == set(documents.KINDS)
    assert documents.ASKED == tuple(name for name, kind in documents.KINDS.items() if kind.asked)
    assert documents.CHECKS.name not in documents.ASKED          # made with a batch of 支援レポート


def test_the_report_command_offers_what_is_declared_and_says_what_each_is():
    parser = _report_parser()
    kind = next(a for a in parser._actions if a.dest == "kind")
    assert tuple(kind.choices) == documents.ASKED
    words = parser.format_help()
    for name in documents.ASKED:
        assert f"{name}: {documents.kind(name).file_label}" in words
    audience = next(a for a in parser._actions if a.dest == "audience")
    assert tuple(audience.choices) == (SELF, EMPLOYER) == documents.SUPPORT.readers


def test_the_app_offers_the_kinds_declared_for_it():
    from teichaku_nb.app import exports
    assert [name for _label, name in exports.KINDS] == [k.name for k in documents.KINDS.values() if k.in_app]
    assert dict(exports.KINDS)["支援レポート"] == "support"


def test_who_reads_a_document_is_declared_and_the_office_s_own_stay_inside():
    assert documents.MINUTES.internal and documents.SUMMARY.internal and documents.CHECKS.internal
    assert documents.SUPPORT.readers == (SELF, EMPLOYER) and documents.PLAN.readers == (SELF,)
    assert not any(STAFF in k.readers and len(k.readers) > 1 for k in documents.KINDS.values())
    assert documents.SUPPORT.copy_title(EMPLOYER) == "支援レポート（企業用）"
    assert documents.PLAN.copy_title(SELF) == "個別支援計画書"          # one copy: no label


@pytest.mark.parametrize("args, message", [
    (["minutes", "--user", "001"],
     "利用者（--user）は支援レポート（support）と個別支援計画書（plan）と運営指導の確認資料（事業所内用）（evidence）だけに指定できます"),
    (["summary", "--for", "本人"], "宛先（--for）は支援レポート（support）だけに指定できます"),
    (["plan", "--user", "001", "--all"], "全員（--all）は支援レポート（support）だけに指定できます"),
    (["plan"], "個別支援計画書（plan）には利用者ID（--user）を指定してください"),
    (["support"], "--month で対象の年月を指定してください"),
    (["evidence", "--month", "2026-10"], "運営指導の確認資料（事業所内用）（evidence）は期間（--from と --to）を指定して作ります"),
    (["minutes", "--from", "2026-05", "--to", "2026-10"], "期間（--from・--to）は運営指導の確認資料（事業所内用）（evidence）だけに"),
    (["evidence", "--from", "2026-05"], "期間は --from と --to の両方で指定してください"),
    (["evidence", "--from", "2026-11", "--to", "2026-10"], "--from（2026-11）が --to（2026-10）より後です"),
    (["evidence", "--from", "2026-05", "--to", "2026-10", "--for", "企業"], "宛先（--for）は支援レポート（support）だけに"),
])
def test_what_a_kind_cannot_be_asked_is_refused_before_anything_is_read(args, message, capsys, tmp_path):
    kind, *rest = args
    assert cli.main(["report", kind, str(tmp_path / "missing.xlsx"), *rest]) == 2
    assert message in capsys.readouterr().err


def test_file_names_carry_the_declared_label(tmp_path):
    from teichaku_nb.reports import make_reports
    batch = make_reports("minutes", DEMO, "2026-10", out_dir=tmp_path)
    assert [p.name for p in batch.documents] == [f"{DEMO_NAME}_{documents.MINUTES.file_label}_2026-10.html"]
