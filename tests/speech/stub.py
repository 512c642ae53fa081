"""A local aiohttp server standing in for ElevenLabs and the OpenAI audio API.

Tests queue responses and read back the requests the SDKs really sent over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    @staticmethod
    def json_body(payload: Any, status: int = 200, **kwargs: Any) -> Reply:
        return Reply(status=status, body=json.dumps(payload).encode(), **kwargs)


Handler = Callable[[Recorded], Awaitable[Reply] | Reply]


class Stub:
    """Records every request; answers with queued replies, then with ``default``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[Reply] = []
        self.default: Reply | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        recorded = Recorded(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json") and body:
            recorded.json = json.loads(body)
        elif content_type.startswith("multipart/form-data"):
            recorded.form = await _parse_multipart(body, content_type)
        self.requests.append(recorded)
        reply = self.replies.pop(0) if self.replies else self.default
        if reply is None:
            reply = Reply(status=500, body=b'{"detail": "no reply queued"}')
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        return web.Response(
            status=reply.status,
            body=reply.body,
            content_type=reply.content_type,
            headers=reply.headers,
        )

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Fields of a multipart body: text fields as str, files as (filename, bytes, type)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if filename:
            fields[str(name)] = (filename, payload, part.get_content_type())
        else:
            fields[str(name)] = payload.decode() if isinstance(payload, bytes) else payload
    return fields
