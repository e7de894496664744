"""The records' declaration (``records.py``) and what follows from it.

- docs/records.md has a table of each record's fields: its first three columns (field, 項目,
  kept as) are the declaration's, row for row; the last column (notes) is the document's own.
  ``python tests/test_records_doc.py`` prints the tables as the declaration gives them.
- The store's tables, the export's sheets and the review's texts follow the declaration.
"""

from __future__ import annotations

import re
from pathlib import Path

from teichaku_nb import records
from teichaku_nb.records import (DATE, FIELD_LABELS, INTEGER, JSON, LIST, MONTH, RECORD_CLASSES, REVIEW_FIELDS,
                                 SAVED_FIELDS, TEXT, TIMESTAMP, Review, field_labels, field_names, record_fields)
from teichaku_nb.store import export, tables

DOC = Path(__file__).resolve().parents[1] / "docs" / "records.md"
KEPT_AS = {TEXT: "text", MONTH: "month (YYYY-MM)", DATE: "date", TIMESTAMP: "timestamp (UTC)", INTEGER: "integer",
           LIST: "JSON list", JSON: "JSON"}
SAVED = "every record"           # the heading of the table of the fields the store fills in


def kept_as(f) -> str:
    text = KEPT_AS[f.metadata["kept_as"]]
    if f.metadata["nullable"]:
        return f"{text} or NULL"
    if f.metadata["blank_default"]:
        blank = "[]" if f.metadata["kept_as"] == LIST else "''"
        return f"{text}, default {blank}"
    return text


def declared_rows(fields) -> list[tuple[str, str, str]]:
    return [(f"`{f.name}`", f.metadata["label"], kept_as(f)) for f in fields]


def declared_tables() -> dict[str, list[tuple[str, str, str]]]:
    """Heading word (`Conference`, ... and "every record") → the rows the declaration gives."""
    found = {f"`{cls.__name__}`": declared_rows(record_fields(cls)) for cls in RECORD_CLASSES.values()}
    found[SAVED] = declared_rows(SAVED_FIELDS)
    return found


def documented_tables(text: str) -> dict[str, list[tuple[str, str, str]]]:
    """Heading word → the first three cells of each row of the first table under the ### heading
    that contains it."""
    found = {}
    for section in re.split(r"(?m)^### ", text)[1:]:
        heading, _, body = section.partition("\n")
        rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
                for line in body.splitlines() if line.startswith("|")]
        for word in declared_tables():
            if word in heading:
                found[word] = [tuple(row[:3]) for row in rows[2:]]        # after the header and |---|
    return found


def markdown(rows) -> str:
    return "\n".join(f"| {' | '.join(row)} | |" for row in rows)


def test_the_docs_tables_of_fields_are_the_declaration():
    documented = documented_tables(DOC.read_text(encoding="utf-8"))
    for word, rows in declared_tables().items():
        assert word in documented, f"docs/records.md has no ### heading naming {word}"
        assert documented[word] == rows, (
            f"docs/records.md, the table of {word}, is not the declaration in records.py; it should be:\n"
            f"{markdown(rows)}")


def test_a_drifted_doc_table_is_caught():
    text = DOC.read_text(encoding="utf-8")
    assert documented_tables(text) == declared_tables()
    drifted = text.replace("| `owner` | 担当 |", "| `owner` | 担当者 |")
    assert drifted != text and documented_tables(drifted) != declared_tables()


def test_the_tables_columns_are_the_declared_fields_in_order():
    for table in tables.RECORD_TABLES:
        cls = RECORD_CLASSES[table.name]
        assert [c.name for c in table.columns] == ["id", *field_names(cls), *records.STAMPS], table.name
        for f in record_fields(cls):
            assert table.c[f.name].nullable == (f.default is None), (table.name, f.name)


def test_the_export_has_every_declared_field_once():
    for kind, cls in RECORD_CLASSES.items():
        columns = export.sheet_columns(kind)
        assert sorted(columns) == sorted(["id", *field_names(cls), *records.STAMPS]), kind


def test_labels_follow_the_declaration():
    for cls in RECORD_CLASSES.values():
        for name, label in field_labels(cls).items():
            assert FIELD_LABELS[name] == label
    # the review's texts are Review's own text fields, labelled as it declares them
    texts = {f.name: f for f in record_fields(Review)}
    for rf in REVIEW_FIELDS:
        assert texts[rf.name].metadata["kept_as"] == TEXT and texts[rf.name].default == ""
        assert rf.label == texts[rf.name].metadata["label"]
    assert field_labels(records.Action)["owner"] == "担当"
    assert field_names(records.Action)[:4] == ("office", "user_id", "month", "conference_id")


if __name__ == "__main__":        # print the tables as the declaration gives them, notes blank
    for word, rows in declared_tables().items():
        print(f"### {word}\n\n| field | 項目 | kept as | notes |\n|---|---|---|---|\n{markdown(rows)}\n")
