"""Shared test set-up: nothing a test does reaches the developer's own data folder."""

import os

import pytest


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
