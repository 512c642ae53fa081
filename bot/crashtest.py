"""Crash test: the bot process is killed with SIGKILL while people post, then started again.

    facelog bench crash --users 20 --posts 2 --cycles 5      # kill -9 at random moments
    facelog bench crash --point stored --point replied        # kill -9 at steps of a post

The bot runs as ``facelog run`` builds it (python-telegram-bot Application with the durable
inbox, per-user ordering, the face pipeline, the offline Anna) in a child process, against the
fake Telegram Bot API server (``fakebotapi``) and an embedded nx-27017 store that outlive it.
``SIGKILL`` runs no cleanup: no ``finally``, no lease handed back, nothing flushed.

With ``--point`` the child kills itself at that step of a post (see :data:`POINTS`); several
points run one after another on the same store, each child first replaying what the last one
left, then taking a fresh batch of posts and dying on it. Otherwise
this process kills it at ``--cycles`` random moments while the posts arrive. Each time a fresh
child is started on the same store. At the end a last child runs until every post is answered,
and the store and the chat are audited: every post stored exactly once and confirmed, how many
confirmations were shown twice, how many posts were in flight at each kill. Results are printed
and, with ``--results-dir``, written as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from bot.loadtest import BotArgs, photos

#: Where a child kills itself, in the order a post passes them.
POINTS: dict[str, str] = {
    "fetched": "updates fetched from Telegram, before the inbox write",
    "download": "while the photo downloads",
    "analysis": "during face analysis",
    "stored": "after the entry is stored, before the reply",
    "replied": "after the reply was sent and recorded, before the update is done",
    "reply-unrecorded": "after the reply was sent, before that was recorded",
}
#: Not a step but an update: every run of a post whose text says POISON kills the process.
POISON = "poison"
#: Short leases so a test need not wait 30 s for a dead owner's claims to lapse.
LEASE_S = 2.0


@dataclass(frozen=True)
class CrashConfig:
    users: int = 20
    posts: int = 2
    cycles: int = 5
    points: tuple[str, ...] = ()
    #: Posts arrive at random moments within this window; the kills fall inside it too.
    window_s: float = 6.0
    answer_timeout_s: float = 120.0
    seed: int = 11
    results_dir: Path | None = None


@dataclass
class Post:
    user_id: int
    caption: str
    update_id: int | None = None
    sent_at: float | None = None


@dataclass
class Kill:
    at_s: float
    in_flight: int
    how: str


@dataclass
class Outcome:
    posts: int
    lost: int
    duplicated: int
    unconfirmed: int
    confirmed_twice: int
    kills: list[Kill] = field(default_factory=list)
    parked: int = 0


# -- the bot, in its own process -------------------------------------------------------------


def _bot_process(args: BotArgs, point: str | None, strikes: int, conn: Connection) -> None:
    asyncio.run(_serve_bot(args, point, strikes, conn))


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_at(point: str, app: Any, diary: Any, repo: Any) -> None:
    """Wrap the step ``point`` names so the process dies there (on the first post reaching it)."""

    def before(owner: Any, name: str) -> None:
        real = getattr(owner, name)

        async def dying(*args: Any, **kwargs: Any) -> Any:
            _die()
            return await real(*args, **kwargs)

        setattr(owner, name, dying)

    def after(owner: Any, name: str, when: Callable[..., bool] = lambda *a, **k: True) -> None:
        real = getattr(owner, name)

        async def dying(*args: Any, **kwargs: Any) -> Any:
            result = await real(*args, **kwargs)
            if when(*args, **kwargs):
                _die()
            return result

        setattr(owner, name, dying)

    if point == "fetched":
        before(repo, "inbox_receive")
    elif point == "download":
        # A Bot refuses new attributes; in this throwaway process its class is patched instead.
        bot_class = type(app.bot)
        real_get_file = bot_class.get_file

        async def dying_get_file(self: Any, *args: Any, **kwargs: Any) -> Any:
            _die()
            return await real_get_file(self, *args, **kwargs)

        bot_class.get_file = dying_get_file
    elif point == "analysis":
        real = diary.analyze

        async def midway(photo: bytes) -> Any:
            running = asyncio.ensure_future(real(photo))
            await asyncio.sleep(0.01)  # the analysis is under way in its executor
            _die()
            return await running

        diary.analyze = midway
    elif point == "stored":
        after(repo, "create_entry")
    elif point == "replied":
        after(repo, "inbox_mark_sent", lambda update_id, what, **_: what == "confirmation")
    elif point == "reply-unrecorded":
        before(repo, "inbox_mark_sent")
    elif point == POISON:
        real_post = diary.post

        async def poisoned(
            account: Any, photo: bytes, reading: Any, day: Any, text: str, **kw: Any
        ) -> Any:
            if "POISON" in text:
                _die()
            return await real_post(account, photo, reading, day, text, **kw)

        diary.post = poisoned
    else:
        raise ValueError(f"unknown kill point {point!r}; one of {', '.join(POINTS)}")


async def _serve_bot(args: BotArgs, point: str | None, strikes: int, conn: Connection) -> None:
    from bot.app import build_application
    from bot.inbox import InboxPolicy
    from bot.resilience import ResilientRateLimiter
    from facelog.anna import Anna
    from facelog.config import Settings
    from facelog.diary import DiaryService
    from facelog.followups import CommentFollowups, FollowupPolicy
    from inference.pipeline import FacePipeline
    from storage import Repository

    settings = Settings(_env_file=None, data_dir=args.data_dir, llm_base_url=None)  # type: ignore[call-arg]
    pipeline = FacePipeline.from_settings(settings)
    repo = await Repository.connect(args.mongodb_uri, "facelog")
    async with Anna(None) as anna:
        diary = DiaryService(repo, pipeline, anna)
        followups = CommentFollowups(diary, FollowupPolicy.from_settings(settings))
        app = build_application(
            args.token,
            diary,
            base_url=args.base_url,
            base_file_url=args.base_file_url,
            followups=followups,
            rate_limiter=ResilientRateLimiter(backoff_base_s=0.05, backoff_max_s=0.2),
            inbox_policy=InboxPolicy(
                lease=timedelta(seconds=LEASE_S),
                heartbeat=timedelta(seconds=LEASE_S / 4),
                max_strikes=strikes,
            ),
        )
        if point == POISON:  # poisoned from the start: replays must meet it
            _kill_at(point, app, diary, repo)
        async with app:
            assert app.post_init is not None and app.updater is not None
            await app.post_init(app)
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            await app.start()
            if point is not None and point != POISON:
                # Armed once the last child's updates are replayed: the kill is meant for the
                # batch sent to this child (a step that fails every time makes every update a
                # poison, which is the poison test's business).
                await _replayed(repo)
                _kill_at(point, app, diary, repo)
            conn.send({"ready": True})
            await asyncio.to_thread(conn.recv)  # "stop" (unless killed first)
            await followups.drain(30)
            await app.updater.stop()
            await app.stop()
            assert app.post_stop is not None
            await app.post_stop(app)
    await repo.close()
    pipeline.close()
    conn.send({"stopped": True})


async def _replayed(repo: Any, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while await repo.inbox_unfinished(expired_only=False) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


class BotProcess:
    """One bot process: started, then stopped cleanly or killed."""

    def __init__(self, args: BotArgs, point: str | None, *, max_strikes: int = 3) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_end = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_bot_process, args=(args, point, max_strikes, child_end), daemon=True
        )

    async def start(self) -> None:
        self.process.start()
        ready = await asyncio.to_thread(self._conn.poll, 120)
        if not ready or not self._conn.recv().get("ready"):
            self.process.kill()
            raise RuntimeError("the bot process did not start")

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or ``kill -9`` does it."""
        self.process.kill()
        self.process.join(10)

    async def died(self, timeout: float) -> bool:
        await asyncio.to_thread(self.process.join, timeout)
        return self.process.exitcode == -signal.SIGKILL

    async def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self._conn.send("stop")
        await asyncio.to_thread(self.process.join, 60)
        if self.process.is_alive():
            self.process.kill()


# -- the people and the audit ----------------------------------------------------------------


def confirmations(fake: Any, post: Post) -> int:
    """Messages in the person's chat that show the post: its text in a sent message."""
    return sum(
        1
        for call in fake.calls
        if call.method == "sendMessage"
        and call.chat_id == post.user_id
        and post.caption in (call.text or "")
        and not call.error
    )


async def register(uri: str, users: list[Any]) -> None:
    """The people are past onboarding: accounts made as the bot makes them."""
    from facelog.diary import DiaryService
    from storage import Repository

    repo = await Repository.connect(uri, "facelog")
    try:
        await repo.migrate()
        diary = DiaryService(repo, None, None)  # type: ignore[arg-type]
        for person in users:
            await diary.register(person.id, person.user["first_name"], "en")
    finally:
        await repo.close()


async def _audit(uri: str, fake: Any, posts: list[Post], kills: list[Kill]) -> Outcome:
    from storage import Repository

    repo = await Repository.connect(uri, "facelog")
    try:
        stored: dict[str, int] = {}
        for user_id in {p.user_id for p in posts}:
            for entry in await repo.recent_entries(user_id, 1000):
                stored[entry.text] = stored.get(entry.text, 0) + 1
        parked = (await repo.inbox_counts()).get("parked", 0)
    finally:
        await repo.close()
    shown = [confirmations(fake, p) for p in posts]
    return Outcome(
        posts=len(posts),
        lost=sum(1 for p in posts if p.caption not in stored),
        duplicated=sum(max(0, n - 1) for n in stored.values()),
        unconfirmed=sum(1 for n in shown if n == 0),
        confirmed_twice=sum(1 for n in shown if n > 1),
        kills=kills,
        parked=parked,
    )


@contextlib.asynccontextmanager
async def stage(prefix: str = "facelog-crash-") -> AsyncIterator[tuple[Any, BotArgs]]:
    """What outlives every bot process: an embedded store in a fresh directory and the fake Bot
    API server; yields the server and the arguments a bot process needs to reach both."""
    from fakebotapi.server import FakeTelegram
    from storage import EmbeddedMongo

    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    async with EmbeddedMongo(data_dir) as server, FakeTelegram(max_poll_timeout=1.0) as fake:
        yield fake, BotArgs(fake.token, fake.base_url, fake.base_file_url, server.uri, data_dir)


async def run(config: CrashConfig) -> dict[str, Any]:
    from fakebotapi.driver import TelegramUser

    rng = random.Random(config.seed)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    async with stage() as (fake, args):
        pictures = [fake.photo_sizes(p) for p in photos()]
        people = [
            TelegramUser(fake, first_name=f"Crash{i}", language_code="en")
            for i in range(config.users)
        ]
        await register(args.mongodb_uri, people)
        batches = max(1, len(config.points))
        posts = [
            Post(person.id, f"crash test {i} post {n + 1}: the harbour at dusk")
            for n in range(config.posts * batches)
            for i, person in enumerate(people)
        ]
        kills: list[Kill] = []
        begin = time.monotonic()

        async def send(post: Post, person: Any, delay: float) -> None:
            await asyncio.sleep(delay)
            sizes = pictures[posts.index(post) % len(pictures)]
            update = await person._send({"photo": sizes, "caption": post.caption})
            post.update_id, post.sent_at = update["update_id"], time.monotonic() - begin

        def in_flight() -> int:
            return sum(1 for p in posts if p.sent_at is not None and not confirmations(fake, p))

        by_id = {person.id: person for person in people}
        batch = len(people) * config.posts
        for n, point in enumerate(config.points):
            bot = BotProcess(args, point)
            await bot.start()
            fresh = posts[n * batch : (n + 1) * batch]
            await asyncio.gather(*(send(p, by_id[p.user_id], 0.0) for p in fresh))
            if not await bot.died(60):
                bot.kill()
                raise RuntimeError(f"the bot never reached the kill point {point!r}")
            kills.append(Kill(time.monotonic() - begin, in_flight(), point))
        if not config.points:
            sending = asyncio.gather(
                *(send(p, by_id[p.user_id], rng.uniform(0, config.window_s)) for p in posts)
            )
            for _ in range(config.cycles):
                bot = BotProcess(args, None)
                await bot.start()
                # Alive for a random while: long enough to take posts, killed mid-stream.
                await asyncio.sleep(rng.uniform(0.3, 2 * config.window_s / config.cycles))
                bot.kill()
                kills.append(Kill(time.monotonic() - begin, in_flight(), "random"))
            await sending
        last = BotProcess(args, None)
        await last.start()
        await fake.wait_until(
            lambda: all(confirmations(fake, p) for p in posts), config.answer_timeout_s
        )
        await fake.wait_until(lambda: all(c.done for c in fake.calls), 30)
        await asyncio.sleep(1.0)  # room for a late, wrong second confirmation
        await last.stop()
        outcome = await _audit(args.mongodb_uri, fake, posts, kills)
    report = {
        "started_at": started_at,
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "outcome": asdict(outcome),
        "points": [POINTS[p] for p in config.points] or ["random moments"],
    }
    if config.results_dir is not None:
        name = "crash-points.json" if config.points else "crash-random.json"
        config.results_dir.mkdir(parents=True, exist_ok=True)
        (config.results_dir / name).write_text(json.dumps(report, indent=2) + "\n")
    return report


def parse_args(argv: list[str] | None = None) -> CrashConfig:
    parser = argparse.ArgumentParser(prog="facelog bench crash", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=CrashConfig.users)
    parser.add_argument("--posts", type=int, default=CrashConfig.posts, help="per person")
    parser.add_argument("--cycles", type=int, default=CrashConfig.cycles, help="random kills")
    parser.add_argument(
        "--point", choices=sorted(POINTS), action="append", help="kill at this step instead"
    )
    parser.add_argument("--window", type=float, default=CrashConfig.window_s, dest="window_s")
    parser.add_argument("--seed", type=int, default=CrashConfig.seed)
    parser.add_argument("--results-dir", type=Path, default=None)
    ns = parser.parse_args(argv)
    return CrashConfig(
        users=ns.users,
        posts=ns.posts,
        cycles=ns.cycles,
        points=tuple(ns.point or ()),
        window_s=ns.window_s,
        seed=ns.seed,
        results_dir=ns.results_dir,
    )


def main(argv: list[str] | None = None) -> int:
    report = run_sync(parse_args(argv))
    print(json.dumps(report["outcome"], indent=2))
    outcome = report["outcome"]
    return 0 if outcome["lost"] == 0 and outcome["duplicated"] == 0 else 1


def run_sync(config: CrashConfig) -> dict[str, Any]:
    return asyncio.run(run(config))


if __name__ == "__main__":
    # Run the importable copy: the bot process is spawned from its functions, which pickle by
    # module name, and ``__main__`` is not importable in the child.
    from bot import crashtest

    sys.exit(crashtest.main(sys.argv[1:]))
