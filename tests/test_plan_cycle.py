"""The individual support plan's cycle (docs/review-rules.md, "The plan cycle"): the monitoring
kept with the review, a draft of the next plan written over several days, finalised, agreed and
handed over, after which the fee check counts it as the plan in force.  Synthetic people only."""

from __future__ import annotations

import dataclasses
import datetime as dt

import openpyxl
import pytest
import sqlalchemy as sa

from teichaku_nb import billing, plan_cycle, rules
from teichaku_nb import store as store_module
from teichaku_nb.office_month import OfficeMonth
from teichaku_nb.store import Conflict, Review, StoreError, export_workbook, open_store

from helpers_rules import MONTH, calm, contact, make_book

D = dt.date
NOV, DEC, JAN = MONTH + 1, MONTH + 2, MONTH + 3
GOALS = ("週5日の勤務を続ける", "毎朝7時に起きる")


def _book():
    """U001, calm in October 2026, whose plan of 2026年7月1日 (agreed and handed over on 7月31日)
    falls due for review on 10月31日."""
    tables = calm()
    tables["plans"] = [
        {"user_id": "U001", "plan_date": D(2026, 7, 1), "domain": "職場", "goal": GOALS[0], "support": "職場訪問で確認",
         "due_on": D(2026, 12, 31), "status": "取組中", "consent_on": D(2026, 7, 31), "delivered_on": D(2026, 7, 31)},
        {"user_id": "U001", "plan_date": D(2026, 7, 1), "domain": "生活", "goal": GOALS[1], "status": "取組中"},
    ]
    tables["contacts"].append(contact("U001", D(2026, 11, 10), "対面", "本人"))      # November can be billed too
    tables["reports"].append({"user_id": "U001", "month": "2026-11", "sent_on": D(2026, 11, 30), "recipient": "本人"})
    return make_book(tables, settings={"service_manager": "高橋 サビ管"})


@pytest.fixture
def book():
    return _book()


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'office.teichaku.sqlite'}"


@pytest.fixture
def store(url, book):
    with open_store(url, known_users={book.office: ["U001"]}) as opened:
        yield opened


def _codes(book, month, store=None) -> set[str]:
    return {"plan_missing", "plan_review_due"} & set(OfficeMonth(book, month, store).agenda.case("U001").codes)


def _monitor(book, store, *, decision="見直し", comment="9月は遅刻なし", version=None):
    form = plan_cycle.monitoring_form(book, "U001", MONTH, store)
    record = plan_cycle.monitoring_record(book, form, {1: ("継続", comment), 2: ("見直し", "起床が不安定")},
                                          monitored_on=D(2026, 10, 20), decision=decision)
    return store.save_monitoring(record, by="佐藤", expected_version=version)


# --- the monitoring ----------------------------------------------------------------------------------

def test_a_plan_due_this_month_is_on_the_agenda_with_its_goals_to_monitor(book, store):
    case = OfficeMonth(book, MONTH, store).agenda.case("U001")
    assert "plan_review_due" in case.codes and plan_cycle.plan_due(case)
    form = plan_cycle.monitoring_form(book, "U001", MONTH, store)
    assert form.plan.plan_date == D(2026, 7, 1) and form.monitoring is None
    assert [(g["index"], g["domain"], g["goal"], g["evaluation"]) for g in form.goals] == [
        (1, "職場", GOALS[0], ""), (2, "生活", GOALS[1], "")]


def test_the_monitoring_is_saved_reloaded_and_kept_in_history(book, store, url):
    saved = _monitor(book, store)
    assert saved.version == 1 and saved.revise
    again = _monitor(book, store, comment="10月も遅刻なし", version=1)
    assert again.version == 2
    with open_store(url) as reopened:                          # another session reads what was saved
        form = plan_cycle.monitoring_form(book, "U001", MONTH, reopened)
        assert [(g["goal"], g["evaluation"], g["comment"]) for g in form.goals] == [
            (GOALS[0], "継続", "10月も遅刻なし"), (GOALS[1], "見直し", "起床が不安定")]
        assert (form.decision, form.monitoring.plan_date, form.monitoring.monitored_on) == (
            "見直し", D(2026, 7, 1), D(2026, 10, 20))
        history = [h for h in reopened.history(book.office, "U001") if h.record_kind == "plan_monitorings"]
    assert [h.label for h in history] == ["モニタリングの作成", "モニタリングの更新"]
    old, new = history[1].changes["evaluations"]
    assert (old[0]["comment"], new[0]["comment"]) == ("9月は遅刻なし", "10月も遅刻なし")     # the earlier words stay


def test_a_stale_monitoring_save_is_a_conflict_and_changes_nothing(book, store):
    _monitor(book, store)
    _monitor(book, store, comment="鈴木さんの版", version=1)
    with pytest.raises(Conflict, match="佐藤 さん"):
        _monitor(book, store, comment="古い画面からの保存", version=1)
    assert store.monitoring(book.office, "U001", MONTH).evaluations[0]["comment"] == "鈴木さんの版"


@pytest.mark.parametrize("evaluation, decision, message", [
    ("できた", "見直し", "評価は 達成・継続・見直し"), ("継続", "やめる", "計画の判断は 継続・見直し")])
def test_a_wrong_evaluation_or_decision_is_refused_in_japanese(book, store, evaluation, decision, message):
    form = plan_cycle.monitoring_form(book, "U001", MONTH, store)
    record = plan_cycle.monitoring_record(book, form, {1: (evaluation, "")}, monitored_on=D(2026, 10, 20),
                                          decision=decision)
    with pytest.raises(StoreError, match=message):
        store.save_monitoring(record, by="佐藤", expected_version=None)
    assert store.monitoring(book.office, "U001", MONTH) is None


# --- revising: a draft, finalised, agreed and handed over ----------------------------------------------

def _review(book, store):
    return store.save_review(Review(book.office, "U001", MONTH, wishes="今の職場で長く働きたい",
                                    policy="生活リズムを整え、勤務を続ける"), by="佐藤", expected_version=None)


def test_a_draft_from_the_review_carries_the_goals_wishes_policy_and_service_manager(book, store):
    _review(book, store)
    _monitor(book, store)
    draft = plan_cycle.draft_from_review(book, store, "U001", MONTH, by="高橋 サビ管")
    assert (draft.status_label, draft.based_on, draft.review_month) == ("作成中", D(2026, 7, 1), MONTH)
    assert (draft.wishes, draft.overall_policy, draft.service_manager) == (
        "今の職場で長く働きたい", "生活リズムを整え、勤務を続ける", "高橋 サビ管")
    assert [(g["domain"], g["goal"], g["support"], g["due_on"], g.get("evaluation")) for g in draft.goals] == [
        ("職場", GOALS[0], "職場訪問で確認", D(2026, 12, 31), "継続"), ("生活", GOALS[1], "", None, "見直し")]
    assert (draft.period_start, draft.period_end) == (D(2026, 11, 1), D(2027, 1, 31))
    # asking again opens the same draft: a person has one at a time
    assert plan_cycle.draft_from_review(book, store, "U001", MONTH, by="佐藤") == draft
    with pytest.raises(StoreError, match="作成中の計画案"):
        store.create_plan_draft(book.office, "U001", by="佐藤")


def _finalised(book, store):
    _review(book, store)
    draft = plan_cycle.draft_from_review(book, store, "U001", MONTH, by="高橋 サビ管")
    goals = [dict(draft.goals[0]), {"domain": "生活", "goal": "平日は23時までに寝る", "support": "睡眠の記録を面談で確認",
                                    "due_on": D(2027, 1, 31)}]
    edited = store.update_plan(draft.id, {"goals": goals}, by="高橋 サビ管", expected_version=1)      # day 1
    edited = store.update_plan(draft.id, {"wishes": "今の職場で長く働きたい。残業は月10時間まで"}, by="高橋 サビ管",
                               expected_version=edited.version)                                    # day 2
    return store.finalise_plan(draft.id, by="高橋 サビ管", expected_version=edited.version, plan_date=D(2026, 10, 20))


def test_a_draft_is_edited_finalised_then_agreed_and_handed_over_on_purpose(book, store):
    plan = _finalised(book, store)
    assert (plan.status_label, plan.plan_date, plan.consent_on, plan.delivered_on) == ("確定", D(2026, 10, 20), None, None)
    assert plan.goals[1]["goal"] == "平日は23時までに寝る" and plan.wishes.endswith("残業は月10時間まで")
    with pytest.raises(StoreError, match="確定した計画は変更できません"):
        store.update_plan(plan.id, {"wishes": "後から"}, by="佐藤", expected_version=plan.version)
    agreed = store.record_plan_consent(plan.id, by="高橋 サビ管", expected_version=plan.version,
                                       consent_on=D(2026, 10, 22))
    handed = store.record_plan_consent(plan.id, by="高橋 サビ管", expected_version=agreed.version,
                                       delivered_on=D(2026, 10, 23))
    assert (handed.consent_on, handed.delivered_on) == (D(2026, 10, 22), D(2026, 10, 23))
    with pytest.raises(Conflict):
        store.record_plan_consent(plan.id, by="佐藤", expected_version=agreed.version, delivered_on=D(2026, 10, 24))
    kinds = [(h.operation, sorted(h.changes)) for h in store.history(book.office, "U001")
             if h.record_kind == "support_plans"]
    assert kinds[-3:] == [("update", ["plan_date", "status"]), ("update", ["consent_on"]), ("update", ["delivered_on"])]


def test_finalising_needs_a_goal_and_a_plan_date_after_the_plan_it_revises(book, store):
    draft = store.create_plan_draft(book.office, "U001", by="佐藤", based_on=D(2026, 7, 1))
    with pytest.raises(StoreError, match="目標が1つもありません"):
        store.finalise_plan(draft.id, by="佐藤", expected_version=1, plan_date=D(2026, 10, 20))
    draft = store.update_plan(draft.id, {"goals": [{"domain": "", "goal": "通院を続ける"}]}, by="佐藤", expected_version=1)
    with pytest.raises(StoreError, match="目標1の領域"):
        store.finalise_plan(draft.id, by="佐藤", expected_version=draft.version, plan_date=D(2026, 10, 20))
    draft = store.update_plan(draft.id, {"goals": [{"domain": "心身", "goal": "通院を続ける"}]}, by="佐藤",
                              expected_version=draft.version)
    with pytest.raises(StoreError, match="元の計画"):
        store.finalise_plan(draft.id, by="佐藤", expected_version=draft.version, plan_date=D(2026, 6, 1))
    with pytest.raises(StoreError, match="同意日・交付日は確定した計画に"):
        store.record_plan_consent(draft.id, by="佐藤", expected_version=draft.version, consent_on=D(2026, 10, 22))
    assert store.support_plan(draft.id).status == "draft"


def test_a_finalised_and_agreed_plan_clears_plan_missing_and_plan_review_due_for_the_next_months(book, store):
    """Rules plan_missing / plan_review_due and the 個別支援計画未作成減算 read the store's plans."""
    assert _codes(book, MONTH, store) == {"plan_review_due"}
    assert _codes(book, NOV, store) == {"plan_missing"}                    # 7月31日 + 3 months: the lapse from 11月1日
    plan = _finalised(book, store)
    # made but not agreed: the plan agreed in July is still the one in force in October
    assert _codes(book, MONTH, store) == {"plan_review_due"}
    assert plan_cycle.current_plan(book, "U001", MONTH, store).plan_date == D(2026, 7, 1)
    store.record_plan_consent(plan.id, by="高橋 サビ管", expected_version=plan.version, consent_on=D(2026, 10, 22),
                              delivered_on=D(2026, 10, 23))
    assert _codes(book, MONTH, store) == _codes(book, NOV, store) == set()
    # the next review falls due on 2027年1月22日 (3 months from the consent): watched from the
    # month before; January, with no review by its 22nd, is the lapse's first month
    assert _codes(book, DEC, store) == {"plan_review_due"}
    assert _codes(book, JAN, store) == {"plan_missing"}
    assert _codes(book, NOV) == {"plan_missing"}                           # the workbook alone: unchanged
    bill = OfficeMonth(book, NOV, store, today=D(2026, 11, 30)).billing
    assert [r.code for r in bill.people[0].reductions] == []
    assert [r.code for r in billing.month_billing(book, NOV, today=D(2026, 11, 30)).people[0].reductions] == [
        "plan_missing"]


def test_a_plan_agreed_after_the_month_is_not_that_months_plan_in_force(book, store):
    plan = _finalised(book, store)
    store.record_plan_consent(plan.id, by="佐藤", expected_version=plan.version, consent_on=D(2026, 11, 2),
                              delivered_on=D(2026, 11, 2))
    assert plan_cycle.current_plan(book, "U001", MONTH, store).plan_date == D(2026, 7, 1)
    assert plan_cycle.current_plan(book, "U001", NOV, store).plan_date == D(2026, 10, 20)
    # the lapse that began 11月1日 ended 11月2日, in the month it began: no month is reduced
    assert _codes(book, MONTH, store) == {"plan_review_due"} and _codes(book, NOV, store) == set()


def test_a_monitoring_that_keeps_the_plan_is_a_review(book, store):
    _monitor(book, store, decision="継続")                    # 10月20日: the plan is kept
    assert _codes(book, NOV, store) == set()                  # due 2027年1月20日, not 10月31日
    assert _codes(book, DEC, store) == {"plan_review_due"}
    _monitor(book, store, decision="見直し", version=1)        # a decision to revise is no review
    assert _codes(book, NOV, store) == {"plan_missing"}


def test_a_withdrawn_plan_no_longer_counts_and_a_new_draft_can_start(book, store):
    plan = _finalised(book, store)
    plan = store.record_plan_consent(plan.id, by="佐藤", expected_version=plan.version, consent_on=D(2026, 10, 22))
    store.withdraw_plan(plan.id, by="佐藤", expected_version=plan.version, reason="別の人の計画だった")
    assert _codes(book, NOV, store) == {"plan_missing"}
    assert store.support_plans(book.office, "U001", include_withdrawn=True)[0].withdrawn_reason == "別の人の計画だった"
    assert store.create_plan_draft(book.office, "U001", by="佐藤").status == "draft"


def test_the_next_monitoring_evaluates_the_goals_of_the_plan_made_in_the_app(book, store):
    plan = _finalised(book, store)
    store.record_plan_consent(plan.id, by="佐藤", expected_version=plan.version, consent_on=D(2026, 10, 22))
    form = plan_cycle.monitoring_form(book, "U001", JAN, store)
    assert form.plan.source == plan_cycle.STORE and form.plan.plan_date == D(2026, 10, 20)
    assert [g["goal"] for g in form.goals] == [GOALS[0], "平日は23時までに寝る"]


def test_the_export_has_the_monitorings_and_plans_in_japanese(book, store, tmp_path):
    _monitor(book, store)
    _finalised(book, store)
    out = tmp_path / "records.xlsx"
    written = export_workbook(store, book.office, out)
    assert (written["モニタリング"], written["個別支援計画"]) == (1, 1)
    sheets = openpyxl.load_workbook(out)
    monitoring = [[c.value for c in row] for row in sheets["モニタリング"].iter_rows()]
    assert monitoring[0][:8] == ["ID", "事業所", "利用者ID", "対象年月", "モニタリング日", "計画作成日", "目標の評価", "計画の判断"]
    assert f"1. 【職場】{GOALS[0]}: 継続（9月は遅刻なし）" in monitoring[1][6] and monitoring[1][7] == "見直し"
    plans = [[c.value for c in row] for row in sheets["個別支援計画"].iter_rows()]
    assert plans[1][3] == "確定" and "2. 【生活】平日は23時までに寝る / 支援内容: 睡眠の記録を面談で確認 / 期限: 2027年1月31日" \
        in plans[1][plans[0].index("目標")]
    history = [row for row in sheets["変更履歴"].values if row[4] == "個別支援計画"]
    assert any(row[7] == "目標" and "平日は23時までに寝る" in (row[9] or "") for row in history)


# --- the store of schema 5 -----------------------------------------------------------------------------

def test_a_schema_5_store_is_migrated_and_keeps_its_records(book, url):
    engine = sa.create_engine(url)
    older = sa.MetaData()
    for table in store_module.metadata.sorted_tables:
        if table.name == "reviews":              # without what schema 7 added
            sa.Table("reviews", older, *(c._copy() for c in table.columns if c.name not in ("to_person", "to_employer")),
                     sa.UniqueConstraint("office", "user_id", "month"))
        elif table.name not in ("plan_monitorings", "support_plans", "staff_accounts", "access_log"):   # 6's, 8's
            table.to_metadata(older)
    at = dt.datetime(2026, 10, 20, 5, 0)
    with engine.begin() as conn:
        older.create_all(conn)
        conn.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (5, :at)"), {"at": at})
        conn.execute(sa.text(
            "INSERT INTO reviews (office, user_id, month, policy, version, created_by, created_at, updated_by,"
            " updated_at) VALUES (:office, 'U001', '2026-10', '勤務を続ける', 1, '佐藤', :at, '佐藤', :at)"),
            {"office": book.office, "at": at})
    engine.dispose()
    with open_store(url) as opened:
        assert opened.schema_version() == store_module.SCHEMA_VERSION
        assert opened.review(book.office, "U001", MONTH).policy == "勤務を続ける"
        _monitor(book, opened)
        assert plan_cycle.draft_from_review(book, opened, "U001", MONTH, by="佐藤").overall_policy == "勤務を続ける"
    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    for name in ("plan_monitorings", "support_plans"):
        found = {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
        assert found == {c.name: c.nullable for c in store_module.metadata.tables[name].columns}, name
    engine.dispose()


def test_the_monitoring_record_keeps_what_was_evaluated_when_the_plan_changes(book, store):
    """A goal is its plan's 計画作成日 and place; its words are kept as they were."""
    _monitor(book, store)
    changed = dataclasses.replace(book, plans=book.plans.assign(goal=["週4日の勤務にする", GOALS[1]]))
    saved = store.monitoring(book.office, "U001", MONTH)
    assert saved.evaluations[0]["goal"] == GOALS[0]
    assert plan_cycle.monitoring_form(changed, "U001", MONTH, store).goals[0]["evaluation"] == "継続"
    assert rules.agenda(changed, MONTH).case("U001").codes == ["plan_review_due"]
