"""Re-save a trained Keras graph with its variables in another floating-point type.

Why: the ``.keras`` files only serve GPUs, which run them in float16 anyway; storing float16
variables halves each file, which keeps every model Facelog ships inside its size budget
(inference/README.md). The int8 LiteRT files that CPUs serve are converted from the float32
graph and do not change.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _output_names(entries: Any) -> frozenset[str]:
    """``output_layers`` is ``[name, node, tensor]`` for one output, a list of those for several."""
    if entries and isinstance(entries[0], str):
        entries = [entries]
    return frozenset(str(entry[0]) for entry in entries)


def _patch_policies(node: Any, dtype: str, keep: frozenset[str] = frozenset()) -> None:
    """Point every layer's dtype policy at ``dtype``, except the layers that produce a model's
    output (named in ``output_layers``): those stay float32, so probabilities still sum to one
    to float32 precision. Inputs keep their declared dtype."""
    if isinstance(node, list):
        for value in node:
            _patch_policies(value, dtype, keep)
        return
    if not isinstance(node, dict):
        return
    config = node.get("config")
    if isinstance(config, dict) and "layers" in config and "output_layers" in config:
        outputs = _output_names(config["output_layers"])
        for layer in config["layers"]:
            _patch_policies(layer, dtype, outputs)
        return
    if node.get("class_name") == "DTypePolicy" and isinstance(config, dict):
        config["name"] = dtype
        return
    if isinstance(config, dict) and config.get("name") in keep and "layers" not in config:
        return  # an output layer: stays as it is
    for value in node.values():
        _patch_policies(value, dtype, keep)


def with_dtype(model: Any, dtype: str = "float16") -> Any:
    """A fresh copy of ``model`` (no optimizer state) whose layers compute and store ``dtype``."""
    import keras

    config = model.get_config()
    outputs = _output_names(config.get("output_layers", []))
    for layer in config["layers"]:
        _patch_policies(layer, dtype, outputs)
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    return clone


def resave(path: Path, sha_path: Path, dtype: str = "float16") -> str:
    """Rewrite a shipped ``.keras`` file in ``dtype`` and its line in the sha256 file."""
    import keras

    from inference.ferplus_model import file_sha256

    model = keras.models.load_model(path, compile=False)
    with_dtype(model, dtype).save(path)
    digest = file_sha256(path)
    lines = sha_path.read_text().splitlines()
    updated = [
        f"{digest}  {path.name}" if line.split()[-1] == path.name else line for line in lines
    ]
    sha_path.write_text("\n".join(updated) + "\n")
    return digest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference.training.precision")
    parser.add_argument("model", type=Path, help="a shipped .keras file")
    parser.add_argument("--sha", type=Path, required=True, help="its sha256 file")
    parser.add_argument("--dtype", default="float16", choices=("float16", "bfloat16", "float32"))
    args = parser.parse_args(argv)
    print(resave(args.model, args.sha, args.dtype), args.model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
