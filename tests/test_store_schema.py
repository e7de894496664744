"""The store's schema stays what it was when the tables came to be built from the records'
declaration (``records.py``): the DDL of every table on SQLite and PostgreSQL, and each
column's Python type, are compared with snapshots taken from the tables as they were written
out by hand (``tests/fixtures/store_schema.*``).  A change to the schema is a new migration,
a raised ``SCHEMA_VERSION`` and new snapshots (``python tests/test_store_schema.py``), on purpose.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from teichaku_nb.store.tables import EXTRA_DDL, metadata

FIXTURES = Path(__file__).parent / "fixtures"
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def schema_ddl(dialect) -> str:
    """CREATE TABLE and CREATE INDEX of every table, in the order ``create_all`` uses, and what
    a table needs beyond them (``EXTRA_DDL``: the access log's append-only triggers)."""
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(sa.schema.CreateTable(table).compile(dialect=dialect)).strip() + ";")
        for index in sorted(table.indexes, key=lambda i: i.name):
            statements.append(str(sa.schema.CreateIndex(index).compile(dialect=dialect)).strip() + ";")
        statements += EXTRA_DDL.get(table.name, {}).get(dialect.name, ())
    text = "\n\n".join(statements) + "\n"
    return "\n".join(line.rstrip() for line in text.split("\n"))


def column_types() -> str:
    """Each column's SQLAlchemy type as Python sees it (the DDL cannot tell UTCDateTime from
    DateTime), its nullability, server default, key and foreign keys."""
    lines = []
    for table in metadata.sorted_tables:
        for c in table.columns:
            default = c.server_default.arg.text if c.server_default is not None else None
            keys = ",".join(sorted(fk.target_fullname for fk in c.foreign_keys))
            lines.append(f"{table.name}.{c.name}: {c.type!r} nullable={c.nullable} default={default!r}"
                         f" primary_key={c.primary_key} autoincrement={c.autoincrement!r} foreign_keys={keys}")
    return "\n".join(lines) + "\n"


def _snapshots() -> dict[str, str]:
    found = {f"store_schema.{name}.sql": schema_ddl(dialect) for name, dialect in DIALECTS.items()}
    found["store_schema.columns.txt"] = column_types()
    return found


def test_the_tables_built_from_the_records_are_todays_schema():
    for name, text in _snapshots().items():
        assert text == (FIXTURES / name).read_text(encoding="utf-8"), name


if __name__ == "__main__":          # rewrite the snapshots: only with a new schema version
    for name, text in _snapshots().items():
        (FIXTURES / name).write_text(text, encoding="utf-8")
        print("wrote", FIXTURES / name)
