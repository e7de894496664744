"""Field-level merge of two saves of one record: no save overwrites a change it never saw.

Two people open the same record (the *base*), each changes some fields, and the second to
save finds the first one's version stored (*theirs*).  Field by field: changed only by me →
mine; only by them → theirs; by both to the same value → that value; by both differently →
a real conflict, which a person resolves.  Blank and None are the same (nothing written).

The store keeps refusing stale versions (``store.Conflict``); the app merges with these
functions and saves the merge against the version stored now, so the history records who
changed what.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .records import FIELD_LABELS, REVIEW_TEXTS, Review

SNAPSHOT = "snapshot"       # saved_level and saved_flags, merged together: what the conference saw
REVIEW_MERGED = (*REVIEW_TEXTS, "judgement", SNAPSHOT, "conference_id")
MERGE_LABELS = FIELD_LABELS | {SNAPSHOT: "保存時の区分とフラグ"}


@dataclass(frozen=True)
class FieldConflict:
    """One field both sides changed, to different values."""

    name: str
    base: object
    mine: object
    theirs: object

    @property
    def label(self) -> str:
        return MERGE_LABELS.get(self.name, self.name)


def _same(a, b) -> bool:
    return (a or None) == (b or None)


def merge_fields(base: Mapping, mine: Mapping, theirs: Mapping,
                 names: Iterable[str] | None = None) -> tuple[dict, list[FieldConflict]]:
    """Merge ``mine`` and ``theirs``, both changed from ``base`` (field → value).

    Returns (merged, conflicts): ``merged`` holds a value for every field (for a conflict,
    mine: the caller resolves it), ``conflicts`` the fields both changed differently.
    """
    merged, conflicts = {}, []
    for name in (mine.keys() if names is None else names):
        b, m, t = base.get(name), mine.get(name), theirs.get(name)
        if _same(m, t) or _same(t, b):
            merged[name] = m
        elif _same(m, b):
            merged[name] = t
        else:
            merged[name] = m
            conflicts.append(FieldConflict(name, b, m, t))
    return merged, conflicts


def changed_fields(base: Mapping, mine: Mapping, theirs: Mapping) -> list[str]:
    """The fields a merge takes from theirs: changed by them only (not also by me)."""
    return [name for name in theirs if not _same(theirs.get(name), base.get(name))
            and _same(mine.get(name), base.get(name))]


def review_fields(review: Review | None) -> dict:
    """A review's mergeable fields (an empty review for None: nothing saved yet)."""
    if review is None:
        return dict.fromkeys(REVIEW_MERGED)
    values = {name: getattr(review, name) for name in REVIEW_MERGED if name != SNAPSHOT}
    values[SNAPSHOT] = (review.saved_level, review.saved_flags) if review.saved_level else None
    return values


def with_fields(review: Review, values: Mapping) -> Review:
    """``review`` with the mergeable ``values`` put in (the snapshot split again)."""
    plain = {k: v for k, v in values.items() if k != SNAPSHOT}
    for name in REVIEW_TEXTS:
        if name in plain:
            plain[name] = plain[name] or ""
    if SNAPSHOT in values:
        level, flags = values[SNAPSHOT] or (None, None)
        plain |= {"saved_level": level, "saved_flags": flags}
    return replace(review, **plain)


def merge_review(base: Review | None, mine: Review, theirs: Review) -> tuple[Review, list[FieldConflict]]:
    """Merge my review with theirs (stored now), both from ``base`` (None: neither had one).

    The merged review carries theirs' id and version, so saving it names the version it
    merged with; for each conflict it holds my value until resolved.
    """
    merged, conflicts = merge_fields(review_fields(base), review_fields(mine), review_fields(theirs), REVIEW_MERGED)
    return with_fields(replace(mine, id=theirs.id, version=theirs.version), merged), conflicts
