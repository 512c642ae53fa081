"""Fixtures for the storage contract tests (the server and ``repo`` are in tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")


class FakeClock:
    """A clock tests move by hand, for leases and timestamps without real waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 6, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
