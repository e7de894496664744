"""Shared test set-up: nothing a test does reaches the developer's own data folder; a store's
database on each engine (``db_url``: SQLite, and PostgreSQL when ``TEICHAKU_TEST_PG_URL``
names a server)."""

import os
import uuid

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("TEICHAKU_TEST_PG_URL")
PG_SKIP = "TEICHAKU_TEST_PG_URL が設定されていないため PostgreSQL のテストは省略"


@pytest.fixture(autouse=True, scope="session")
def private_data_folder(tmp_path_factory):
    """The per-user data folder (where the bundled demo's records go) is a temporary one,
    for the tests and for every process they start."""
    previous = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if previous is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = previous


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'office.teichaku.sqlite'}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
