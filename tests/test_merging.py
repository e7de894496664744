"""The field-level merge of two saves made from the same base (``merging``)."""

from __future__ import annotations

import pandas as pd

from teichaku_nb.merging import SNAPSHOT, FieldConflict, changed_fields, merge_fields, merge_review
from teichaku_nb.records import Review

BASE = {"workplace": "元の職場", "issues": "元の課題", "policy": "元の方針"}


def merged(mine: dict, theirs: dict):
    return merge_fields(BASE, BASE | mine, BASE | theirs)


def test_a_field_only_i_changed_is_mine():
    assert merged({"issues": "私の課題"}, {}) == (BASE | {"issues": "私の課題"}, [])


def test_a_field_only_they_changed_is_theirs():
    result, conflicts = merged({}, {"workplace": "同僚の職場"})
    assert result == BASE | {"workplace": "同僚の職場"} and conflicts == []
    assert changed_fields(BASE, BASE, BASE | {"workplace": "同僚の職場"}) == ["workplace"]
    assert changed_fields(BASE, BASE | {"workplace": "同僚の職場"}, BASE | {"workplace": "同僚の職場"}) == []


def test_different_fields_changed_by_each_are_both_kept():
    result, conflicts = merged({"issues": "私の課題"}, {"workplace": "同僚の職場"})
    assert result == {"workplace": "同僚の職場", "issues": "私の課題", "policy": "元の方針"} and conflicts == []


def test_both_changed_to_the_same_value_is_that_value():
    result, conflicts = merged({"policy": "同じ方針"}, {"policy": "同じ方針"})
    assert result["policy"] == "同じ方針" and conflicts == []


def test_both_changed_differently_is_a_conflict_with_all_three():
    result, conflicts = merged({"policy": "私の方針"}, {"policy": "同僚の方針"})
    assert conflicts == [FieldConflict("policy", "元の方針", "私の方針", "同僚の方針")]
    assert conflicts[0].label == "方針"
    assert result["policy"] == "私の方針"          # until the person chooses


def test_blank_and_none_are_the_same_and_blank_against_text_counts_as_a_change():
    base = {"issues": None, "policy": "元の方針"}
    assert merge_fields(base, {"issues": "", "policy": "元の方針"}, {"issues": "同僚の課題", "policy": "元の方針"}) == (
        {"issues": "同僚の課題", "policy": "元の方針"}, [])
    # I emptied the field, they did not touch it: the field is emptied
    assert merge_fields(base, {"issues": None, "policy": ""}, base)[0] == {"issues": None, "policy": ""}
    # I emptied it, they rewrote it: a conflict
    (conflict,) = merge_fields(base, {"issues": None, "policy": ""}, {"issues": None, "policy": "新しい方針"})[1]
    assert (conflict.name, conflict.mine, conflict.theirs) == ("policy", "", "新しい方針")


def review(**values) -> Review:
    return Review(office="事業所", user_id="001", month=pd.Period("2026-10", "M"), **values)


def test_a_review_merges_texts_judgement_and_the_saved_snapshot_as_fields():
    flags = ({"code": "absence", "level": "注意", "message": "欠勤が増えています"},)
    base = review(workplace="元", judgement="安定", saved_level="安定", saved_flags=())
    mine = review(workplace="元", issues="私の課題", judgement="安定", saved_level="安定", saved_flags=())
    theirs = review(workplace="同僚の職場", judgement="注意", saved_level="注意", saved_flags=flags,
                    id=7, version=2, updated_by="甲")
    result, conflicts = merge_review(base, mine, theirs)
    assert conflicts == []
    assert (result.workplace, result.issues, result.judgement) == ("同僚の職場", "私の課題", "注意")
    assert (result.saved_level, result.saved_flags) == ("注意", flags)
    assert (result.id, result.version) == (7, 2)          # saved against the version merged with


def test_a_review_judgement_both_chose_differently_is_a_conflict():
    base = review()
    result, conflicts = merge_review(base, review(judgement="要対応"), review(judgement="注意", version=1))
    assert [(c.name, c.mine, c.theirs) for c in conflicts] == [("judgement", "要対応", "注意")]
    assert result.judgement == "要対応"


def test_without_a_base_both_new_reviews_merge_from_blank():
    result, conflicts = merge_review(None, review(issues="私の課題", saved_level="安定", saved_flags=()),
                                     review(workplace="同僚の職場", saved_level="安定", saved_flags=(), version=1))
    assert (result.workplace, result.issues, conflicts) == ("同僚の職場", "私の課題", [])
    conflicts = merge_review(None, review(saved_level="安定", saved_flags=()),
                             review(saved_level="注意", saved_flags=(), version=1))[1]
    assert [c.name for c in conflicts] == [SNAPSHOT] and conflicts[0].label == "保存時の区分とフラグ"
