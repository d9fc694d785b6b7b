"""The corpus, generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.documents.corpus import Generated, generate


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Generated]:
    """Every corpus document, written into a session folder."""
    folder: Path = tmp_path_factory.mktemp("corpus")
    return generate(folder)
