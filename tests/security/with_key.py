"""pytest plugin: run any suite with encryption at rest switched on.

``pytest -p tests.security.with_key tests/storage tests/bot`` makes every ``Repository`` built
without a cipher (fixtures, ``open_storage``) use one with a key generated for the run, so the
whole storage contract and every bot flow are checked against sealed data too. Without the
plugin the same suites check plain storage.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from storage import Cipher, Repository

#: One key for the run (generated, never written anywhere).
CIPHER = Cipher([Fernet.generate_key()])

_original_init = Repository.__init__


def _init_with_key(self: Repository, *args: Any, cipher: Cipher | None = None, **kw: Any) -> None:
    _original_init(self, *args, cipher=cipher or CIPHER, **kw)


def pytest_configure(config: pytest.Config) -> None:
    Repository.__init__ = _init_with_key  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    Repository.__init__ = _original_init  # type: ignore[method-assign]


def pytest_report_header(config: pytest.Config) -> str:
    return "storage: encrypted at rest (tests.security.with_key)"
