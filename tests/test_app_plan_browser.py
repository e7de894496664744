"""The plan section in real headless Chromium on a laptop screen (1366×800): a case whose plan is
due this month is monitored goal by goal, 「見直し」 opens the draft of the next plan, and the
個別支援計画書 is made and downloaded from the page, recording nothing.  The server and the browser
are those of tests/test_app_browser.py; every wait is for a named widget or text.  Screenshots of
the section and the draft editor go to /tmp/look/.  All people are synthetic."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from teichaku_nb.store import open_store
from test_app_browser import CHROMIUM, WAIT_MS, browser, open_case, served  # noqa: F401 (fixtures)
from test_app_layout import LOOK, open_laptop, serious_findings
from helpers_demo import DEMO_KEY

OFFICE = DEMO_KEY                      # the store keeps the demo office's records under its 事業所番号

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} がないためブラウザのテストは省略（.ci/run が入れます）"),
]


def due_case(page) -> str:
    """The 利用者ID of the first case the agenda marks 「計画の見直し月」."""
    row = page.locator(".teichaku-row", has=page.locator(".teichaku-plan-due-badge", has_text="計画の見直し月")).first
    return row.get_attribute("data-user")


def test_monitoring_a_due_plan_revising_it_and_making_its_document(served, browser, tmp_path):
    from playwright.sync_api import expect
    url, _base, db, _pid = served
    context, page = open_laptop(browser, url)                # 記録者: the computer's user, 管理者
    user_id = due_case(page)
    open_case(page, user_id)
    section = page.locator(".teichaku-plan.teichaku-plan-due")
    expect(section.locator(".teichaku-plan-heading")).to_contain_text(
        re.compile(rf"個別支援計画のモニタリング — {user_id} .+ さん（2026年10月）"), timeout=WAIT_MS)
    expect(section).to_contain_text("今月は個別支援計画の見直し月です")
    first_goal = section.locator(".teichaku-plan-goal-text").first.inner_text().strip()

    # the monitoring: each goal evaluated, the plan to be revised
    section.locator(".teichaku-plan-evaluation-1 select").select_option("達成")
    section.locator(".teichaku-plan-comment-1 input").fill("自分から報告できるようになった")
    section.locator(".teichaku-plan-evaluation-2 select").select_option("見直し")
    section.locator(".teichaku-plan-comment-2 input").fill("家計簿は続かなかった")
    section.locator(".teichaku-plan-decision select").select_option("見直し")
    expect(section.locator(".teichaku-plan-heading .teichaku-dirty")).to_contain_text("保存していない変更があります")
    expect(page.locator(".teichaku-app.teichaku-unsaved")).to_have_count(1)        # closing the tab would ask
    LOOK.mkdir(exist_ok=True)
    section.screenshot(path=str(LOOK / "plan-monitoring.png"))
    section.locator(".teichaku-plan-save").click()
    expect(section.locator(".teichaku-plan-message")).to_contain_text("モニタリングを保存しました", timeout=WAIT_MS)
    expect(page.locator(".teichaku-app.teichaku-unsaved")).to_have_count(0)

    # 「見直し」: the draft of the next plan, edited and saved
    section.locator(".teichaku-draft-create").click()
    draft = section.locator(".teichaku-draft")
    expect(draft.locator(".teichaku-draft-message")).to_contain_text("次の計画の案を開きました", timeout=WAIT_MS)
    expect(draft.locator(".teichaku-draft-heading")).to_contain_text(f"次の個別支援計画の案 — {user_id}")
    expect(draft.locator(".teichaku-draft-goal-goal-1 input")).to_have_value(first_goal)
    expect(draft.locator(".teichaku-draft-service-manager input")).to_have_value("田村 浩")
    draft.locator(".teichaku-draft-goal-goal-2 input").fill("給料日に1か月の使い道を決める")
    draft.locator(".teichaku-draft-wishes textarea").fill("事務の仕事を長く続けたい")
    draft.locator(".teichaku-draft-save").click()
    expect(draft.locator(".teichaku-draft-save-message")).to_contain_text("計画案を保存しました", timeout=WAIT_MS)
    draft.screenshot(path=str(LOOK / "plan-draft.png"))
    page.screenshot(path=str(LOOK / "plan-draft-screen.png"))
    bad = serious_findings(page, ".teichaku-plan")
    assert bad == [], bad

    # the 個別支援計画書 (PDF), downloaded from the page: the draft's goals, and nothing recorded
    section.locator(".teichaku-plan-document").click()
    link = section.locator(".teichaku-plan-document-link a")
    expect(link).to_have_attribute("download", re.compile(rf"_個別支援計画書_2026-10_{user_id}\.pdf$"), timeout=WAIT_MS)
    expect(section.locator(".teichaku-plan-document-status")).to_contain_text("交付の記録になりません")
    with page.expect_download() as download:
        link.click()
    pdf = tmp_path / "plan.pdf"
    Path(download.value.path()).replace(pdf)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        flat = re.sub(r"\s+", "", text)
        assert "個別支援計画書" in flat and "給料日に1か月の使い道を決める" in flat and "同意" in flat
    with open_store(str(db)) as store:
        plan = store.plan_draft(OFFICE, user_id)
        assert plan is not None and (plan.consent_on, plan.delivered_on) == (None, None)
        assert store.monitoring(OFFICE, user_id, "2026-10").decision == "見直し"
    context.close()
