"""Every document the product writes as HTML can be read with a screen reader and by people
with low vision: axe-core finds no serious or critical violation in Chromium.

The documents are made once, the way ``teichaku report`` makes them (``reports.make_reports``:
the report notebooks in a kernel, exported with the project's template), from the demo
workbook with a seeded store and a few unreadable values (so the staff-only 確認事項 and the
data-problem appendices are there too).  Each HTML file is opened from disk (file:// URL),
as staff open it.  All people are synthetic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_app_browser import CHROMIUM, browser  # noqa: F401 (fixture)
from test_reports import MONTH, NO_CONSENT, WITH_CONSENT, _book_with_private_errors, _seed_store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} がないためブラウザのテストは省略（.ci/run が入れます）"),
]

DOCUMENTS = {"minutes": "会議録", "summary": "月次サマリー", "support-self": "支援レポート_本人用",
             "support-employer": "支援レポート_企業用", "checks": "確認事項"}      # test id → name


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    """Each kind of HTML document, made once: its name (as in DOCUMENTS) → the file."""
    from teichaku_nb.reports import make_reports
    from teichaku_nb.workbook import load_casebook

    folder = tmp_path_factory.mktemp("documents")
    book = _book_with_private_errors(folder / "office")
    _seed_store(book, office=load_casebook(book).key)
    out = folder / "out"
    support = make_reports("support", book, MONTH, user=NO_CONSENT, out_dir=out)     # 本人用 only
    employer = make_reports("support", book, MONTH, user=WITH_CONSENT, audience="企業", out_dir=out)
    made = {"確認事項": support.checks, "支援レポート_本人用": support.documents, "支援レポート_企業用": employer.documents}
    for kind, label in (("minutes", "会議録"), ("summary", "月次サマリー")):
        made[label] = make_reports(kind, book, MONTH, out_dir=out).paths
    assert {label: len(paths) for label, paths in made.items()} == dict.fromkeys(DOCUMENTS.values(), 1)
    return {label: paths[0] for label, paths in made.items()}


def _described(violation: dict) -> str:
    """One violation as lines to act on: the rule, its impact, what is wrong and where."""
    nodes = violation["nodes"]
    where = "".join(f"\n    {' '.join(map(str, n['target']))}: {n['html'][:160]}" for n in nodes[:5])
    more = f"\n    (and {len(nodes) - 5} more)" if len(nodes) > 5 else ""
    why = " ".join(nodes[0].get("failureSummary", "").split())
    return f"{violation['id']} [{violation['impact']}] {violation['help']} — {why}{where}{more}"


@pytest.mark.parametrize("name", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_no_serious_accessibility_violation_in_the_document(documents, browser, name):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.goto(documents[name].as_uri())
    expect(page.locator("main h1.doc-title")).to_be_visible()
    results = Axe().run(page)
    bad = [_described(v) for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    context.close()
    assert not bad, f"{documents[name].name}:\n" + "\n".join(bad)
