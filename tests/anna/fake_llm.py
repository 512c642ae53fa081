"""A small OpenAI-compatible chat server for tests: records requests, answers from a script.

Requests travel for real (openai SDK → httpx → aiohttp), so what the tests assert is exactly what
an LLM server would receive. Without a scripted step the server answers "well": in the language
the system prompt asks for and at the length it asks for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from facelog.anna import AnnaConfig


@dataclass
class Step:
    """One scripted response. ``kind``: reply, slow, status, malformed, html, shape."""

    kind: str = "reply"
    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def reply(content: str | None) -> Step:
    return Step("reply", content=content)


def slow(delay: float, content: str | None = None) -> Step:
    return Step("slow", content=content, delay=delay)


def status(code: int, **headers: str) -> Step:
    return Step("status", status=code, headers=headers)


def malformed() -> Step:
    return Step("malformed")


def html() -> Step:
    return Step("html")


def wrong_shape() -> Step:
    return Step("shape")


_LENGTH = re.compile(r"about (\d+) characters")


def fitting_answer(body: dict[str, Any]) -> str:
    """A plausible answer of the requested language and length, read from the system prompt."""
    system = body["messages"][0]["content"]
    target = int(_LENGTH.search(system).group(1)) if _LENGTH.search(system) else 150
    korean = "Answer only in Korean." in system
    unit = "오늘 하루 정말 고생 많았어. " if korean else "What a day you had, friend. "
    return (unit * (target // len(unit) + 1))[:target].strip()


def completion(model: str, content: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class FakeLLM:
    """The server's state: the script, every request body and header set it received."""

    def __init__(self) -> None:
        self.script: deque[Step] = deque()
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.base_url = ""
        self.closing = asyncio.Event()

    def push(self, *steps: Step) -> None:
        self.script.extend(steps)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        self.raw.append(raw)
        body = json.loads(raw)
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        step = self.script.popleft() if self.script else reply(fitting_answer(body))
        content = step.content if step.content is not None else fitting_answer(body)
        if step.kind == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), step.delay)
            return web.json_response(completion(body["model"], content))
        if step.kind == "status":
            error = {"error": {"message": f"fake {step.status}", "type": "test", "code": None}}
            return web.json_response(error, status=step.status, headers=step.headers)
        if step.kind == "malformed":
            return web.Response(text='{"id": "x", "choices": [', content_type="application/json")
        if step.kind == "html":
            return web.Response(text="<html>Bad gateway</html>", content_type="text/html")
        if step.kind == "shape":
            return web.json_response({"unexpected": True})
        return web.json_response(completion(body["model"], step.content))


def fast_config(base_url: str, **overrides: object) -> AnnaConfig:
    """Short timeouts and millisecond backoff so fault tests finish quickly."""
    values: dict[str, object] = {
        "base_url": base_url,
        "model": "test-model",
        "api_key": "sk-test",
        "timeout_s": 2.0,
        "max_retries": 2,
        "retry_base_s": 0.01,
        "retry_max_s": 0.05,
        "deadline_s": 10.0,
    }
    values.update(overrides)
    return AnnaConfig(**values)  # type: ignore[arg-type]
