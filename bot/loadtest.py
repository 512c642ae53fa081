"""Load test: N simulated people use the real bot at once, then every entry is accounted for.

    facelog bench load --users 200            # or: python -m bot.loadtest --users 200

The bot runs as ``facelog run`` builds it (python-telegram-bot Application, per-user ordering,
the face pipeline, the embedded nx-27017 store, the offline Anna and offline voice), in a child
process of its own so its memory and CPU are its own. This process plays Telegram: the fake Bot
API server (the ``fakebotapi`` package, installed with the bot) and N scripted users.

Each user arrives at a random moment within ``--ramp`` seconds and, pausing ``--think`` seconds
between steps like a person typing: /start, their name, "skip" on the intro, three selfie posts
(real face photos from the installed packages, a distinct caption each) and one voice note,
which Anna answers in text and voice. Users speak English unless ``--korean-share`` says
otherwise: the only offline Korean voice (espeak-ng) is robotic enough that Whisper struggles
with it, which makes it a worst case rather than a typical note. Time to reply is measured
from the moment an update is queued at the fake server to the bot's first visible answer (a
message, an edit or a button answer; "typing…" does not count).

Afterwards the store is checked: every post the bot confirmed is stored exactly once with its
photo, nothing was stored unconfirmed, no orphan blob is left, and every message was answered.
Results go to ``--results-dir`` as JSON and are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import multiprocessing
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata, resources
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

#: Real face photos shipped inside installed wheels (the tests use the same ones).
PHOTOS = (
    ("scikit-image", "skimage/data/astronaut.png"),
    ("matplotlib", "matplotlib/mpl-data/sample_data/grace_hopper.jpg"),
)
SPOKEN = {
    "ko": "오늘은 친구랑 한강에서 자전거를 탔어. 바람이 시원해서 기분이 정말 좋았어.",
    "en": "I rode my bike along the river with a friend today, and the wind felt great.",
}
POSTS = 3


@dataclass(frozen=True)
class LoadConfig:
    users: int = 200
    ramp_s: float = 900.0
    think_s: tuple[float, float] = (2.0, 5.0)
    reply_timeout_s: float = 120.0
    #: Share of Korean-speaking users. Their voice note is espeak-ng's Korean, which Whisper
    #: hears badly (a slow worst case, see docs/reliability.md); English notes are Piper's.
    korean_share: float = 0.0
    seed: int = 7
    results_dir: Path = Path("runs/loadtest")
    data_dir: Path | None = None


@dataclass
class Action:
    """One thing a user did and what came back."""

    user: int
    kind: str
    sent_at: float
    first_reply_s: float | None = None
    complete_s: float | None = None
    answered: bool = False


@dataclass
class UserRun:
    user_id: int
    language: str
    captions: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    post_replies: Counter[str] = field(default_factory=Counter)
    aborted: str | None = None


def _package_file(distribution: str, relative: str) -> bytes:
    return Path(str(metadata.distribution(distribution).locate_file(relative))).read_bytes()


def photos() -> list[bytes]:
    """The two packaged portraits and the bundled sample selfie."""
    found = [_package_file(*where) for where in PHOTOS]
    found.append(resources.files("inference").joinpath("samples/selfie.jpg").read_bytes())
    return found


# -- the bot, in its own process -------------------------------------------------------------


@dataclass(frozen=True)
class BotArgs:
    token: str
    base_url: str
    base_file_url: str
    mongodb_uri: str
    data_dir: Path


def _bot_process(args: BotArgs, conn: Connection) -> None:
    """Child process entry point: run the bot until the parent says stop, then report."""
    asyncio.run(_serve_bot(args, conn))


async def _serve_bot(args: BotArgs, conn: Connection) -> None:
    from bot.app import build_application
    from facelog.anna import Anna
    from facelog.config import Settings
    from facelog.diary import DiaryService
    from facelog.followups import CommentFollowups, FollowupPolicy
    from facelog.voice import Voice
    from inference.pipeline import FacePipeline
    from storage import Repository

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=args.data_dir,
        llm_base_url=None,  # the offline Anna and the offline voice, whatever the environment
        elevenlabs_api_key=None,
        stt_engine="faster-whisper",
    )
    pipeline = FacePipeline.from_settings(settings)
    voice = Voice.from_settings(settings)
    await voice.warm_up()
    errors: Counter[str] = Counter()
    repo = await Repository.connect(args.mongodb_uri, "facelog")
    followups: CommentFollowups | None = None
    try:
        async with Anna(None) as anna:
            diary = DiaryService(repo, pipeline, anna)
            followups = CommentFollowups(diary, FollowupPolicy.from_settings(settings))
            app = build_application(
                args.token,
                diary,
                base_url=args.base_url,
                base_file_url=args.base_file_url,
                voice=voice,
                followups=followups,
            )

            async def count(update: object, context: Any) -> None:
                errors[type(context.error).__name__] += 1

            app.add_error_handler(count)
            async with app:
                if app.post_init is not None:
                    await app.post_init(app)
                assert app.updater is not None
                await app.updater.start_polling()
                await app.start()
                conn.send({"ready": True})
                await asyncio.to_thread(conn.recv)  # "stop"
                await followups.drain(60)
                await app.updater.stop()
                await app.stop()
                if app.post_stop is not None:
                    await app.post_stop(app)
    finally:
        await repo.close()
        await voice.aclose()
        await pipeline.aclose()
    conn.send(
        {
            "errors": dict(errors),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "followups_delivered": followups.delivered if followups else 0,
        }
    )


# -- the people ------------------------------------------------------------------------------


class CallIndex:
    """The fake server's finished calls, filed by chat as they complete.

    ``TelegramUser.wait_for_reply`` rescans the whole call log on every change, which is right
    for a test and far too slow for 200 people waiting at once: the load generator would eat the
    CPU the bot is being measured on. Here one task files each finished call once, and each user
    wakes only for calls in their own chat.
    """

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.by_chat: dict[int, list[Any]] = {}
        self._seen = 0
        self._unfinished: list[Any] = []
        self._events: dict[int, asyncio.Event] = {}

    def _chat_of(self, call: Any) -> int | None:
        chat = call.chat_id
        if isinstance(chat, int):
            return chat
        query = self.fake.callback_queries.get(str(call.params.get("callback_query_id")))
        return int(query["from"]["id"]) if query else None

    def scan(self) -> None:
        calls = self.fake.calls
        self._unfinished.extend(calls[self._seen :])
        self._seen = len(calls)
        waiting = []
        for call in self._unfinished:
            if not call.done:
                waiting.append(call)
                continue
            chat = self._chat_of(call)
            if chat is not None:
                self.by_chat.setdefault(chat, []).append(call)
                if chat in self._events:
                    self._events[chat].set()
        self._unfinished = waiting

    async def run(self) -> None:
        while True:
            self.scan()
            await asyncio.sleep(0.02)

    def mark(self, chat: int) -> int:
        return len(self.by_chat.get(chat, ()))

    async def wait(
        self, chat: int, since: int, done: Callable[[Any], bool], count: int, timeout: float
    ) -> list[Any]:
        """Calls in ``chat`` from ``since`` once ``count`` replies satisfy ``done``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            calls = self.by_chat.get(chat, [])[since:]
            if sum(1 for c in calls if c.is_reply and done(c)) >= count:
                return calls
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no answer within {timeout:.0f}s")
            event = self._events.setdefault(chat, asyncio.Event())
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)


class Crowd:
    """The simulated users and what they measured."""

    def __init__(self, fake: Any, config: LoadConfig, media: dict[str, Any]) -> None:
        from fakebotapi.server import REPLY_METHODS

        self.fake = fake
        self.index = CallIndex(fake)
        self.config = config
        self.media = media
        self.actions: list[Action] = []
        self.runs: list[UserRun] = []
        self._visible = REPLY_METHODS | {"answerCallbackQuery"}
        self._rng = random.Random(config.seed)

    async def act(
        self,
        run: UserRun,
        user: Any,
        kind: str,
        send: Callable[[], Any],
        done: Callable[[Any], bool],
        count: int = 1,
    ) -> list[Any]:
        """Do one step and wait for its whole answer; raise if it never came."""
        since = self.index.mark(user.chat_id)
        action = Action(run.user_id, kind, time.time())
        self.actions.append(action)
        await send()
        try:
            calls = await self.index.wait(
                user.chat_id, since, done, count, self.config.reply_timeout_s
            )
        finally:
            seen = [
                c.started
                for c in self.index.by_chat.get(user.chat_id, [])[since:]
                if c.ok and c.method in self._visible
            ]
            if seen:
                action.first_reply_s = min(seen) - action.sent_at
        action.complete_s = time.time() - action.sent_at
        action.answered = True
        return [c for c in calls if c.is_reply]

    async def think(self) -> None:
        low, high = self.config.think_s
        await asyncio.sleep(self._rng.uniform(low, high))

    async def person(self, index: int, start_at: float) -> None:
        from fakebotapi.driver import TelegramUser

        share = self.config.korean_share
        language = "ko" if int((index + 1) * share) > int(index * share) else "en"
        user = TelegramUser(self.fake, first_name=f"Load{index}", language_code=language)
        run = UserRun(user.id, language)
        self.runs.append(run)
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        try:
            await self._script(run, user, index)
        except AssertionError as error:  # a reply never came: wait_for_reply's report
            run.aborted = str(error).splitlines()[0][:200]

    async def _script(self, run: UserRun, user: Any, index: int) -> None:
        def any_reply(call: Any) -> bool:
            return True

        await self.act(run, user, "start", lambda: user.send_command("/start"), any_reply, 2)
        await self.think()
        [ask_intro] = await self.act(
            run, user, "name", lambda: user.send_text(f"Load {index}"), any_reply
        )
        await self.think()
        await self.act(
            run,
            user,
            "skip_intro",
            lambda: user.press("intro:skip", on=ask_intro),
            lambda c: "⚙️" in (c.text or ""),
        )
        header = "오늘의 감정" if run.language == "ko" else "Emotion of the day"
        for n in range(POSTS):
            await self.think()
            caption = f"load test {index} post {n + 1}: a good day, really"
            run.captions.append(caption)
            sizes = self.media["photos"][(index + n) % len(self.media["photos"])]

            def is_post(call: Any, caption: str = caption) -> bool:
                return header in (call.text or "") and caption in (call.text or "")

            send = functools.partial(_send_photo, user, sizes, caption)
            await self.act(run, user, "post", send, is_post)
            run.confirmed.append(caption)
        await self.think()
        note = self.media["voice"][run.language]
        await self.act(
            run,
            user,
            "voice",
            lambda: user._send({"voice": note}),
            lambda c: c.method in ("sendMessage", "sendVoice"),
            2,
        )


async def _send_photo(user: Any, sizes: list[dict[str, Any]], caption: str) -> None:
    """A photo message reusing already stored sizes (the same picture sent again, as Telegram
    does with a forwarded photo): thumbnails are made once, not in the middle of the test."""
    await user._send({"photo": sizes, "caption": caption})


# -- running it ------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 3)


def _summary(values: list[float]) -> dict[str, float | int | None]:
    return {
        "n": len(values),
        "p50": _percentile(values, 0.50),
        "p95": _percentile(values, 0.95),
        "max": round(max(values), 3) if values else None,
        "mean": round(statistics.fmean(values), 3) if values else None,
    }


async def _voice_notes(data_dir: Path) -> dict[str, Any]:
    """One spoken note per language, made once by the offline voice."""
    from facelog.speech import SpeechConfig, build_synthesizer

    # The users' Korean notes are espeak-ng's (the only offline Korean voice, off by default
    # for Anna's replies because nobody can understand it): chosen here explicitly.
    synthesizer = build_synthesizer(
        SpeechConfig(data_dir=data_dir, tts_cache_on_disk=False, korean_offline_voice="espeak"),
        cache=False,
    )
    try:
        return {lang: await synthesizer.synthesize(text, lang) for lang, text in SPOKEN.items()}
    finally:
        await synthesizer.aclose()


async def _verify(uri: str, runs: list[UserRun]) -> dict[str, Any]:
    from gridfs import AsyncGridFSBucket

    from storage import Repository

    repo = await Repository.connect(uri, "facelog")
    try:
        lost = duplicated = unconfirmed = stored_total = without_comment = 0
        for run in runs:
            entries = await repo.recent_entries(run.user_id, 1000)
            stored_total += len(entries)
            texts = Counter(e.text for e in entries)
            lost += sum(1 for caption in run.confirmed if texts[caption] == 0)
            duplicated += sum(n - 1 for n in texts.values() if n > 1)
            unconfirmed += sum(1 for text in texts if text not in run.confirmed)
            without_comment += sum(1 for e in entries if not e.anna_comment)
        blobs = AsyncGridFSBucket(repo.database, bucket_name="photos").find({})
        photo_blobs = len([b async for b in blobs])
        pending = await repo.database["pending_blobs"].count_documents({})
    finally:
        await repo.close()
    return {
        "confirmed_posts": sum(len(r.confirmed) for r in runs),
        "stored_entries": stored_total,
        "lost": lost,
        "duplicated": duplicated,
        "stored_unconfirmed": unconfirmed,
        "without_comment": without_comment,
        "photo_blobs": photo_blobs,
        "orphan_or_pending_blobs": pending + max(0, photo_blobs - stored_total),
    }


async def run(config: LoadConfig) -> dict[str, Any]:
    from fakebotapi.server import FakeTelegram
    from storage import EmbeddedMongo

    data_dir = config.data_dir or Path(tempfile.mkdtemp(prefix="facelog-load-"))
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = os.getloadavg()
    async with EmbeddedMongo(data_dir) as server, FakeTelegram(max_poll_timeout=1.0) as fake:
        media: dict[str, Any] = {"photos": [fake.photo_sizes(p) for p in photos()]}
        notes = await _voice_notes(data_dir)
        media["voice"] = {
            lang: fake.media_object(
                "voice",
                fake.store_file(note.ogg, "voice", mime_type="audio/ogg"),
                {"duration": note.duration_s},
            )
            for lang, note in notes.items()
        }
        args = BotArgs(fake.token, fake.base_url, fake.base_file_url, server.uri, data_dir)
        context = multiprocessing.get_context("spawn")
        parent, child_end = context.Pipe()
        child = context.Process(target=_bot_process, args=(args, child_end), daemon=True)
        child.start()
        await asyncio.to_thread(parent.poll, 300)
        if not parent.poll() or not parent.recv().get("ready"):
            child.kill()
            raise RuntimeError("the bot process did not start")
        crowd = Crowd(fake, config, media)
        begin = time.monotonic()
        wall_begin = time.time()
        rng = random.Random(config.seed)
        arrivals = sorted(rng.uniform(0, config.ramp_s) for _ in range(config.users))
        indexing = asyncio.create_task(crowd.index.run())
        await asyncio.gather(*(crowd.person(i, begin + t) for i, t in enumerate(arrivals)))
        duration = time.time() - wall_begin
        await fake.wait_until(lambda: not fake.pending_updates, 60)
        await fake.wait_until(lambda: all(c.done for c in fake.calls), 60)
        await asyncio.sleep(2.0)  # room for a late duplicate to show up
        crowd.index.scan()
        indexing.cancel()
        for person in crowd.runs:
            for caption in person.confirmed:
                person.post_replies[caption] = sum(
                    1
                    for c in crowd.index.by_chat.get(person.user_id, [])
                    if c.is_reply and caption in (c.text or "")
                )
        parent.send("stop")
        await asyncio.to_thread(parent.poll, 120)
        stats: dict[str, Any] = parent.recv() if parent.poll() else {"errors": {"no-report": 1}}
        await asyncio.to_thread(child.join, 30)
        failed_calls = Counter(
            f"{c.method} {c.error_code}" for c in fake.calls if c.error and not c.injected
        )
        verified = await _verify(server.uri, crowd.runs)

    actions = crowd.actions

    def waited(action: Action) -> float:
        # An update never answered counts as the whole timeout: a lower bound, not left out.
        reply = action.first_reply_s
        return config.reply_timeout_s if reply is None else reply

    first = [waited(a) for a in actions]
    by_kind = {
        kind: _summary([waited(a) for a in actions if a.kind == kind])
        for kind in ("start", "name", "skip_intro", "post", "voice")
    }
    unanswered = sum(1 for a in actions if not a.answered)
    report: dict[str, Any] = {
        "started_at": started_at,
        "config": {**asdict(config), "results_dir": str(config.results_dir), "data_dir": None},
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "duration_s": round(duration, 1),
        "updates": len(actions),
        "throughput_updates_per_s": round(len(actions) / duration, 2),
        "posts_per_s": round(verified["stored_entries"] / duration, 2),
        "time_to_reply_s": _summary(first),
        "time_to_reply_by_kind_s": by_kind,
        "time_to_complete_answer_s": _summary(
            [
                a.complete_s if a.answered and a.complete_s else config.reply_timeout_s
                for a in actions
            ]
        ),
        "unanswered": unanswered,
        "users_aborted": sum(1 for r in crowd.runs if r.aborted),
        "abort_reasons": Counter(r.aborted for r in crowd.runs if r.aborted).most_common(3),
        "duplicate_post_replies": sum(
            n - 1 for r in crowd.runs for n in r.post_replies.values() if n > 1
        ),
        "errors": {
            "bot_error_handler": stats.get("errors", {}),
            "failed_bot_api_calls": dict(failed_calls),
        },
        "bot_peak_rss_mb": round(float(stats.get("peak_rss_mb", 0.0)), 1),
        "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "followups_delivered": stats.get("followups_delivered", 0),
        "entries": verified,
    }
    report["targets"] = {
        "zero_lost_or_duplicated": verified["lost"] == 0 and verified["duplicated"] == 0,
        "zero_unanswered": unanswered == 0 and not report["users_aborted"],
        "p95_reply_le_10s": (report["time_to_reply_s"]["p95"] or 1e9) <= 10.0,
    }
    if config.data_dir is None:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    return report


def parse_args(argv: list[str] | None = None) -> LoadConfig:
    parser = argparse.ArgumentParser(prog="facelog bench load", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--ramp", type=float, default=900.0, help="arrivals spread over seconds")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(2.0, 5.0),
        metavar=("MIN", "MAX"),
        help="pause between a user's steps, seconds",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="longest wait for a reply")
    parser.add_argument(
        "--korean-share", type=float, default=0.0, help="share of Korean users (0..1)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--results-dir", type=Path, default=Path("runs/loadtest"))
    parser.add_argument("--data-dir", type=Path, default=None, help="keep the store here")
    args = parser.parse_args(argv)
    return LoadConfig(
        users=args.users,
        ramp_s=args.ramp,
        think_s=(args.think[0], args.think[1]),
        reply_timeout_s=args.timeout,
        korean_share=min(1.0, max(0.0, args.korean_share)),
        seed=args.seed,
        results_dir=args.results_dir,
        data_dir=args.data_dir,
    )


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    report = asyncio.run(run(config))
    config.results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    (config.results_dir / "load-results.json").write_text(text + "\n")
    print(text)
    return 0 if all(report["targets"].values()) else 1


if __name__ == "__main__":
    # Run the importable copy: the bot process is spawned from its functions, which pickle by
    # module name ("__main__" would not resolve in the child under ``facelog bench load``).
    from bot import loadtest

    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(loadtest.main(sys.argv[1:]))
