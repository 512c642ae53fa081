"""Webhook mode, health checks and metrics: the HTTP side of a running bot.

With ``FACELOG_WEBHOOK_URL`` set (or ``facelog run --webhook``), Telegram POSTs each update to
that URL instead of the bot polling for it. Any number of replicas may sit behind the load
balancer that URL names: each update is stored in the shared inbox (``bot.inbox``) before the
200, so a redelivery or a second replica handles it once and a replica that dies leaves it to
the others; a per-user lease keeps one person's updates in order (``bot.scale``).

The server answers Telegram as soon as the update is stored and queued (Telegram waits for the
answer before sending that chat's next update, so a slow Anna must not hold it) and checks the
``X-Telegram-Bot-Api-Secret-Token`` header on every request with a constant-time comparison.
``/healthz`` says the process is alive; ``/readyz`` that storage answers and the face model is
loaded (or an inference worker answers), so a load balancer sends updates only where they can be
handled. On SIGTERM the listening socket closes first, then the updates already queued are
finished (``Application.stop``), then the process exits.

In polling mode the same ``/healthz``, ``/readyz`` and ``/metrics`` are served on
``FACELOG_METRICS_PORT`` when it is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.inbox import InboxBot
from facelog.config import Settings
from facelog.http import HttpServer
from facelog.metrics import Metrics
from storage import Repository, StorageError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: How long a readiness probe waits for storage before calling it down.
READY_TIMEOUT_S = 2.0


def webhook_path(url: str) -> str:
    """The path the server listens on: the public URL's own path (a proxy forwards it as is)."""
    return urlsplit(url).path or "/"


def webhook_problem(settings: Settings) -> str | None:
    """Why webhook mode cannot start with these settings (None when it can)."""
    if not settings.webhook_url:
        return "webhook mode needs FACELOG_WEBHOOK_URL (the public https:// URL Telegram calls)"
    if settings.webhook_secret is None:
        return (
            "webhook mode needs FACELOG_WEBHOOK_SECRET (the same on every replica): "
            "requests without it are refused"
        )
    if webhook_path(settings.webhook_url) in ("/healthz", "/readyz", "/metrics"):
        return "FACELOG_WEBHOOK_URL's path must not be /healthz, /readyz or /metrics"
    return None


class Health:
    """``/healthz``, ``/readyz`` and ``/metrics`` for one running bot."""

    def __init__(
        self, repo: Repository, model_ready: Callable[[], Awaitable[bool]], metrics: Metrics
    ) -> None:
        self.repo = repo
        self.model_ready = model_ready
        self.metrics = metrics
        #: Set when shutting down: a load balancer stops sending before the socket closes.
        self.draining = False

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics.handle)

    def app(self) -> web.Application:
        app = web.Application()
        self.add_routes(app)
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        storage = await self._storage_ok()
        try:
            model = await asyncio.wait_for(self.model_ready(), READY_TIMEOUT_S)
        except TimeoutError:
            model = False
        ready = storage and model and not self.draining
        body = {
            "status": "ready" if ready else "not ready",
            "storage": "ok" if storage else "down",
            "model": "ok" if model else "down",
            "draining": self.draining,
        }
        return web.json_response(body, status=200 if ready else 503)

    async def _storage_ok(self) -> bool:
        try:
            await asyncio.wait_for(self.repo.ping(), READY_TIMEOUT_S)
        except (StorageError, TimeoutError):
            return False
        return True


class WebhookReceiver:
    """Checks the secret, stores the update in the inbox, queues it, then answers 200 (503 when
    storage is down, so Telegram delivers it again)."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        secret: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.application = application
        self._secret = secret.encode()
        self.metrics = metrics

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self._rejected("secret")
            return web.Response(status=403)
        try:
            data = await request.json(loads=json.loads)
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None:
            self._rejected("body")
            return web.Response(status=400)
        bot = self.application.bot
        if isinstance(bot, InboxBot):
            # 200 tells Telegram to forget the update: only once it is stored.
            try:
                fresh = await bot.inbox.receive(update, raw=data)
            except StorageError as exc:
                log.warning("webhook update not stored (Telegram retries): %s", type(exc).__name__)
                await bot.inbox.not_stored([update])
                return web.Response(status=503)
            if not fresh:  # a redelivery: stored already, handled or being handled
                if self.metrics is not None:
                    self.metrics.duplicates.inc()
                return web.Response(status=200)
        await self.application.update_queue.put(update)
        return web.Response(status=200)

    def _rejected(self, reason: str) -> None:
        # Neither the header nor the body is logged: one carries the secret, the other a diary.
        log.warning("webhook request refused reason=%s", reason)
        if self.metrics is not None:
            self.metrics.webhook_rejected.labels(reason).inc()


@contextlib.asynccontextmanager
async def updates_from_telegram(
    settings: Settings,
    application: Application,  # type: ignore[type-arg]
    health: Health,
) -> AsyncIterator[HttpServer | None]:
    """Receive updates (webhook server, or long polling) for the block; yields the HTTP server.

    Leaving the block stops receiving: the webhook socket closes (requests already inside are
    answered) or the poller stops. Finishing the queued updates is ``Application.stop``'s job,
    after this.
    """
    if settings.webhook_url:
        assert settings.webhook_secret is not None, webhook_problem(settings)
        secret = settings.webhook_secret.get_secret_value()
        app = health.app()
        receiver = WebhookReceiver(application, secret, health.metrics)
        app.router.add_post(webhook_path(settings.webhook_url), receiver.handle)
        server = await HttpServer(app, settings.listen_host, settings.listen_port).start()
        try:
            # drop_pending_updates=False: what arrived while no replica ran is still handled.
            await application.bot.set_webhook(
                settings.webhook_url, secret_token=secret, drop_pending_updates=False
            )
            log.info("Facelog is running (webhook, port %d)", server.port)
            yield server
        finally:
            health.draining = True
            await server.stop()
        return
    ops: HttpServer | None = None
    if settings.metrics_port is not None:
        ops = await HttpServer(health.app(), settings.listen_host, settings.metrics_port).start()
    try:
        assert application.updater is not None
        await application.updater.start_polling()
        log.info("Facelog is running (polling)")
        try:
            yield ops
        finally:
            await application.updater.stop()
    finally:
        if ops is not None:
            health.draining = True
            await ops.stop()
