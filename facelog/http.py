"""A small aiohttp server with a known port and a graceful stop (webhook, metrics, inference).

aiohttp's ``TCPSite`` does not say which port it got for port 0; binding the socket here does,
which is what tests and "any free port" configurations need. ``stop`` closes the listening
socket first (a load balancer's next try goes to another replica) and then lets the requests in
progress finish, up to ``shutdown_timeout``.
"""

from __future__ import annotations

import socket

from aiohttp import web


class HttpServer:
    def __init__(
        self, app: web.Application, host: str, port: int, *, shutdown_timeout: float = 30.0
    ) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def start(self) -> HttpServer:
        # access_log=None: request lines carry the webhook path and are not worth a log line each.
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=self.shutdown_timeout
        )
        await runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.requested_port))
            self._port = int(sock.getsockname()[1])
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        return self

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def url(self) -> str:
        """Where a client on this machine reaches the server (wildcard hosts become loopback)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        """Stop accepting, finish the requests in progress, close."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
