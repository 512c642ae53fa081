"""Face analysis through an inference worker gives what the in-process pipeline gives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import numpy as np
import pytest

from bot import callbacks
from facelog.config import Settings
from facelog.http import HttpServer
from facelog.i18n import t
from facelog.metrics import Metrics
from facelog.serve import Models
from fakebotapi.driver import TelegramUser
from fakebotapi.server import FakeTelegram
from inference.align import to_uint8
from inference.image import MAX_BYTES, EmptyImage, ImageTooLarge, UnsupportedImage
from inference.pipeline import Analysis, FacePipeline
from inference.service import (
    InferenceClient,
    InferenceServer,
    InferenceUnavailable,
    run_worker,
)

from .conftest import StartReplica

#: Nothing listens on the discard port.
DEAD = "http://127.0.0.1:9"


@pytest.fixture
async def worker(pipeline: FacePipeline) -> AsyncIterator[HttpServer]:
    metrics = Metrics(process=False)
    server = HttpServer(InferenceServer(pipeline, metrics=metrics).app(), "127.0.0.1", 0)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(worker: HttpServer) -> AsyncIterator[InferenceClient]:
    remote = InferenceClient([worker.url])
    yield remote
    await remote.aclose()


def assert_same(remote: Analysis, local: Analysis) -> None:
    assert remote.faces == local.faces and remote.image_size == local.image_size
    if local.face is None:
        assert remote.face is None
        return
    assert remote.face is not None
    assert remote.face.box == local.face.box
    assert remote.face.landmarks == local.face.landmarks
    np.testing.assert_array_equal(remote.face.scores, local.face.scores)  # bit for bit
    assert remote.emotion == local.emotion
    assert remote.probabilities == local.probabilities


async def test_same_results_as_in_process(
    client: InferenceClient,
    pipeline: FacePipeline,
    face_photos: dict[str, bytes],
    no_face_photos: dict[str, bytes],
) -> None:
    photos = [*face_photos.values(), no_face_photos["coffee"]]
    for photo in photos:
        assert_same(await client.analyze(photo), await pipeline.analyze(photo))
    [with_face, *_] = face_photos.values()
    remote = await client.analyze(with_face, aligned=True)
    local = await pipeline.analyze(with_face)
    np.testing.assert_array_equal(to_uint8(remote.aligned), to_uint8(local.aligned))


async def test_bad_photos_raise_the_same_errors(client: InferenceClient) -> None:
    with pytest.raises(UnsupportedImage):  # refused by the worker, raised here
        await client.analyze(b"%PDF-1.4 not a photo at all")
    with pytest.raises(EmptyImage):
        await client.analyze(b"")
    with pytest.raises(ImageTooLarge):
        await client.analyze(b"\xff" * (MAX_BYTES + 1))


async def test_a_dead_worker_is_skipped_and_all_dead_is_a_clear_error(
    worker: HttpServer, face_photos: dict[str, bytes]
) -> None:
    photo = face_photos["astronaut"]
    both = InferenceClient([DEAD, worker.url])
    try:
        for _ in range(2):  # round robin starts once on each: the dead one costs no photo
            assert (await both.analyze(photo)).face is not None
    finally:
        await both.aclose()
    none = InferenceClient([DEAD])
    try:
        with pytest.raises(InferenceUnavailable):
            await none.analyze(photo)
    finally:
        await none.aclose()


async def onboard(user: TelegramUser) -> None:
    await user.send_command("/start")
    await user.wait_for_reply(count=2)
    await user.send_text("Minji")
    [ask_intro] = await user.wait_for_reply()
    await user.press(callbacks.SKIP_INTRO, on=ask_intro)
    await user.wait_for_reply(lambda c: "⚙️" in (c.text or ""))


async def test_a_bot_replica_posts_through_the_worker(
    start_replica: StartReplica,
    fake_telegram: FakeTelegram,
    make_user,
    client: InferenceClient,
    pipeline: FacePipeline,
    face_photos: dict[str, bytes],
) -> None:
    replica = await start_replica(Models(client, None))
    fake_telegram.webhook_proxy = replica.url
    user: TelegramUser = make_user(language_code="en")
    await onboard(user)
    photo = face_photos["grace_hopper"]
    await user.send_photo(photo, caption="A long day at the lab.")
    await user.wait_for_reply(lambda c: c.method in ("sendPhoto", "sendMessage"))
    await replica.idle()
    [entry] = await replica.running.repo.recent_entries(user.id)
    local = await pipeline.analyze(photo)
    assert entry.emotion == local.emotion
    assert entry.probabilities["happy"] == round(local.probabilities[local.emotion.HAPPY], 4)
    assert replica.metric("facelog_stage_seconds_count", stage="detect") == 1


async def test_the_bot_says_try_again_when_no_worker_answers(
    start_replica: StartReplica,
    fake_telegram: FakeTelegram,
    make_user,
    face_photos: dict[str, bytes],
) -> None:
    down = InferenceClient([DEAD])
    replica = await start_replica(Models(down, None))
    fake_telegram.webhook_proxy = replica.url
    user: TelegramUser = make_user(language_code="en")
    await onboard(user)
    await user.send_photo(face_photos["astronaut"], caption="Nothing will analyse this.")
    [answer] = await user.wait_for_reply()
    assert answer.text == t("en", "try_again")
    assert await replica.running.repo.recent_entries(user.id) == []
    assert replica.metric("facelog_errors_total", kind="InferenceUnavailable") >= 1
    await down.aclose()


async def test_serve_inference_worker_starts_serves_and_stops(
    tmp_path, face_photos: dict[str, bytes]
) -> None:
    """What ``facelog serve-inference`` runs: its own models, then SIGTERM (the stop event)."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    stop = asyncio.Event()
    ready: asyncio.Future[HttpServer] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run_worker(settings, "127.0.0.1", 0, stop=stop, started=ready.set_result)
    )
    server = await asyncio.wait_for(ready, 60)
    remote = InferenceClient([server.url])
    try:
        assert await remote.ready()
        assert (await remote.analyze(face_photos["astronaut"])).face is not None
        async with aiohttp.ClientSession() as session, session.get(server.url + "/metrics") as r:
            assert "facelog_inference_batch_size_count 1.0" in await r.text()
        stop.set()
        await asyncio.wait_for(task, 30)
        assert not await remote.ready()  # the port is closed
    finally:
        await remote.aclose()
