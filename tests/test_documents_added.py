"""A new kind of document is its declaration, its view, its template and its notebook.

Here another package, written into a temporary folder, declares a staff list of the month's
contacts (面談の一覧) and names it as an entry point of ``teichaku_nb.documents``; the
``teichaku report`` command then offers it and makes it, through the same planner, kernel,
nbconvert template and file names as the package's own documents."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from helpers_demo import DEMO  # noqa: E402

MONTH = "2026-10"

DECLARATION_AND_VIEW = '''
"""面談の一覧: every contact of the month, for staff."""
from pathlib import Path

import pandas as pd

from teichaku_nb.documents import OFFICE, DocumentKind
from teichaku_nb.markup import render
from teichaku_nb.records import STAFF
from teichaku_nb.report_views import load_book

HERE = Path(__file__).parent
CONTACTS = DocumentKind("contacts", "面談の一覧", "面談一覧", OFFICE, (STAFF,), help="その月の面談の一覧（事業所内用）",
                        in_app=False, notebook=HERE / "contacts.ipynb", templates=HERE / "templates")


def show_contacts(book, month, *, db=None, office=None, documents=None):
    from IPython.display import HTML, display

    for key in documents or [office]:
        casebook = load_book(book, key)
        c = casebook.contacts
        rows = c[c["date"].dt.to_period("M") == pd.Period(month, "M")].sort_values("date")
        display(HTML(render("documents/contacts.html.j2", office=casebook.office, month=month,
                            rows=[(r.date, r.user_id, r.staff) for r in rows.itertuples()])))
'''

TEMPLATE = """<article class="teichaku-contacts">
<h1>{{ office }} {{ month }} の面談（{{ rows | length }}件）</h1>
<table>{% for day, user_id, staff in rows %}<tr><td>{{ day | show }}</td><td>{{ user_id }}</td><td>{{ staff }}</td></tr>{% endfor %}</table>
</article>
"""


def _plugin(folder: Path) -> Path:
    """The other package: its module (declaration and view), template, notebook and entry point."""
    (folder / "templates" / "documents").mkdir(parents=True)
    (folder / "teichaku_contacts.py").write_text(textwrap.dedent(DECLARATION_AND_VIEW), encoding="utf-8")
    (folder / "templates" / "documents" / "contacts.html.j2").write_text(TEMPLATE, encoding="utf-8")
    parameters = nbformat.v4.new_code_cell('book = "office.xlsx"\nmonth = "2026-10"\ndb = None\noffice = None\n'
                                           'documents = None')
    parameters.metadata["tags"] = ["parameters"]
    nbformat.write(nbformat.v4.new_notebook(cells=[
        parameters, nbformat.v4.new_markdown_cell("# 面談の一覧"),
        nbformat.v4.new_code_cell("from teichaku_contacts import show_contacts\n\n"
                                  "show_contacts(book, month, db=db, office=office, documents=documents)")]),
        folder / "contacts.ipynb")
    info = folder / "teichaku_contacts-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: teichaku-contacts\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[teichaku_nb.documents]\ncontacts = teichaku_contacts:CONTACTS\n",
                                           encoding="utf-8")
    return folder


def _teichaku(*args, plugin: Path, cwd: Path) -> subprocess.CompletedProcess:
    path = os.pathsep.join(p for p in (str(plugin), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, "-c", "import sys; from teichaku_nb.cli import main; sys.exit(main())",
                           *map(str, args)], cwd=cwd, env={**os.environ, "PYTHONPATH": path},
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_kind_declared_by_another_package_is_offered_and_made_by_the_report_command(tmp_path):
    from teichaku_nb.workbook import load_casebook

    plugin = _plugin(tmp_path / "plugin")
    book = tmp_path / "office.xlsx"
    book.write_bytes(DEMO.read_bytes())

    helped = _teichaku("report", "--help", plugin=plugin, cwd=tmp_path)
    assert helped.returncode == 0 and "contacts: 面談一覧" in helped.stdout, helped.stdout + helped.stderr

    made = _teichaku("report", "contacts", book, "--month", MONTH, "--out", tmp_path / "out", plugin=plugin,
                     cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    casebook = load_casebook(book)
    [document] = (tmp_path / "out").iterdir()
    assert document.name == f"{casebook.office}_面談一覧_{MONTH}.html"
    html = document.read_text(encoding="utf-8")
    c = casebook.contacts
    count = int((c["date"].dt.to_period("M") == pd.Period(MONTH, "M")).sum())
    assert count > 0 and f"の面談（{count}件）" in html
    assert html.count("<tr>") == count
    assert "面談の一覧" in html                       # the header the package's template gives every document
    assert "import" not in html and "show_contacts" not in html        # no code in the document

    refused = _teichaku("report", "contacts", book, "--month", MONTH, "--user", "001", plugin=plugin, cwd=tmp_path)
    assert refused.returncode == 2 and "利用者（--user）は" in refused.stderr    # the one check applies to it too

    without = _teichaku("report", "--help", cwd=tmp_path, plugin=tmp_path / "nothing")
    assert "contacts" not in without.stdout                # declared by the package, not built in
