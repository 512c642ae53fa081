"""Fixtures for Anna's tests: a live fake LLM server on 127.0.0.1, closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from .fake_llm import FakeLLM


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    fake = FakeLLM()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("/v1"))
    try:
        yield fake
    finally:
        fake.closing.set()
        await server.close()
