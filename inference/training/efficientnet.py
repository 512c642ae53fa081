"""Train the seed's EfficientNetB0 emotion model on Korean faces (AI-Hub format or class folders).

    facelog train aihub --train DATA/Training [--valid DATA/Validation] [--test TEST] \
        [--imagenet-weights efficientnetb0_notop.h5] [--out runs/aihub/run] [--smoke]

The seed's recipe (86 % test accuracy: anger 73, happy 97, panic 92, sadness 81), reproducible:

* model: EfficientNetB0 backbone → global average pooling → dropout 0.5 → dense(4, softmax,
  L2 0.01); Adam; the learning rate ×0.2 after 3 epochs without a better validation loss
  (ReduceLROnPlateau, floor 1e-5); early stopping; checkpoints every epoch;
* data: the annotators' consensus, classes capped at the smallest (or class weights), faces aligned
  exactly as the bot aligns a selfie (:mod:`inference.training.aihub`);
* augmentation: rotation ±20°, shifts ±20 %, zoom ±20 %, horizontal flip, brightness ×0.8–1.2.

What differs from the seed, and why:

* The model takes the pipeline's 0..1 faces and scales them to 0..255 itself, because Keras'
  EfficientNet normalises 0..255 input internally (the seed fed it 0..1); the saved file then
  plugs into the bot with ``FACELOG_CLASSIFIER=keras`` and no other setting.
* ImageNet weights come only from a file given with ``--imagenet-weights`` (Keras' own
  ``efficientnetb0_notop.h5``); nothing is downloaded, and without it the backbone starts from
  random weights (which needs far more data and epochs to reach the seed's numbers).
* Like :mod:`inference.training.ferplus`, a run is resumable (``state.json`` next to the
  checkpoints holds the early-stopping and learning-rate-plateau counters), its input pipeline is
  a pure function of (seed, epoch, batch), and BatchNorm statistics are re-estimated on clean
  faces after each epoch so the checkpoint that is validated is the one that ships.
* GPU: mixed precision (float16 compute, float32 softmax); CPU: float32.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from inference.evaluation import ensemble
from inference.labels import EMOTIONS
from inference.training import aihub
from inference.training.ferplus import (
    Augment,
    _atomic_json,
    _setup_logging,
    augment_batch,
    class_weights,
    recalibrate_batch_norm,
    run_record,
    start_run,
)

log = logging.getLogger(__name__)

MODEL_NAME = "aihub_efficientnetb0"
CLASSES: tuple[str, ...] = tuple(e.value for e in EMOTIONS)
#: The seed's ImageDataGenerator ranges (flip and brightness are applied separately).
AUGMENT = Augment(
    rotate_deg=20.0, scale=0.2, shift=0.2, brightness=0.0, contrast=0.0, erase_prob=0.0
)
BRIGHTNESS = (0.8, 1.2)
#: Keras' EfficientNet with ``weights="imagenet"`` divides its normalised input by sqrt(std) once
#: more (tensorflow/tensorflow#49930); loading the same weights from a file skips that layer, so the
#: Normalization variance is multiplied by these instead (the same arithmetic, no extra layer).
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


def build_model(
    size: int = 224,
    dropout: float = 0.5,
    l2: float = 0.01,
    imagenet_weights: Path | None = None,
) -> Any:
    """EfficientNetB0 + pooling + dropout + dense(4, softmax, L2) on (size, size, 3) in 0..1.

    Only built-in layers, so ``keras.models.load_model`` needs no custom code; the softmax is
    float32 even under mixed precision.
    """
    import keras
    from keras import layers

    inputs = keras.Input((size, size, 3), name="face")
    x = layers.Rescaling(255.0, name="to_0_255")(inputs)
    weights: str | None = None
    if imagenet_weights is not None:
        if not Path(imagenet_weights).is_file():
            raise FileNotFoundError(
                f"ImageNet weights not found: {imagenet_weights} (Keras' efficientnetb0_notop.h5; "
                "nothing is downloaded)"
            )
        weights = str(imagenet_weights)
    backbone = keras.applications.EfficientNetB0(include_top=False, weights=weights, input_tensor=x)
    if weights is not None:
        _match_imagenet_normalisation(backbone)
    x = layers.GlobalAveragePooling2D(name="pool")(backbone.output)
    x = layers.Dropout(dropout, name="head_dropout")(x)
    x = layers.Dense(len(CLASSES), kernel_regularizer=keras.regularizers.L2(l2), name="logits")(x)
    outputs = layers.Activation("softmax", dtype="float32", name="probs")(x)
    return keras.Model(inputs, outputs, name=MODEL_NAME)


def _match_imagenet_normalisation(backbone: Any) -> None:
    import keras

    norm = next(layer for layer in backbone.layers if isinstance(layer, keras.layers.Normalization))
    variance = np.asarray(norm.adapt_variance, dtype=np.float32)
    norm.adapt_variance.assign(variance * np.asarray(IMAGENET_STDDEV_RGB, np.float32))
    norm.finalize_state()  # the layer computes with tensors derived from its variables


def inference_model(checkpoint: Path) -> Any:
    """The checkpoint's weights in a float32 model without optimizer state: what ships."""
    import keras

    trained = keras.models.load_model(checkpoint, compile=False)
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        model = build_model(size=int(trained.input_shape[1]))
        model.set_weights(trained.get_weights())
        for layer in model.layers:
            if isinstance(layer, keras.layers.Normalization):
                layer.finalize_state()  # set_weights does not refresh its derived tensors
    finally:
        keras.mixed_precision.set_global_policy(policy)
    return model


# --------------------------------------------------------------------------------------------
# Input pipeline
# --------------------------------------------------------------------------------------------


def resize_crops(crops: U8, size: int) -> U8:
    """Aligned 224×224 crops at the model's size (area averaging, as the classifier does)."""
    if crops.shape[1] == size:
        return crops
    out = np.empty((len(crops), size, size, 3), dtype=np.uint8)
    for i, crop in enumerate(crops):
        out[i] = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return out


def augment(x: Any, seed: Any) -> Any:
    """Flip, rotation/zoom/shift (one warp, from the FER+ trainer), then brightness ×0.8–1.2."""
    import tensorflow as tf

    x = augment_batch(x, seed, AUGMENT)
    factor = tf.random.stateless_uniform(
        [tf.shape(x)[0], 1, 1, 1],
        tf.random.experimental.stateless_fold_in(seed, 1),
        BRIGHTNESS[0],
        BRIGHTNESS[1],
    )
    return tf.clip_by_value(x * factor, 0.0, 1.0)


def training_batches(
    images: U8,
    targets: F32,
    weights: F32,
    batch_size: int,
    seed: int,
    first_epoch: int,
    epochs: int,
    augmented: bool = True,
) -> Any:
    """Batches for epochs ``first_epoch .. epochs-1``; order and augmentation depend only on
    (seed, epoch, batch), so a resumed run sees what an uninterrupted one would have.

    Images stay uint8 in host memory and are gathered per batch (a float32 copy of a few
    thousand 224×224 faces would be gigabytes).
    """
    import tensorflow as tf

    n, size = len(images), images.shape[1]

    def plan() -> Any:
        for epoch in range(first_epoch, epochs):
            order = np.random.default_rng([seed, epoch]).permutation(n)
            for batch, start in enumerate(range(0, n, batch_size)):
                yield epoch, batch, order[start : start + batch_size]

    def load(epoch: Any, batch: Any, index: Any) -> Any:
        pixels = tf.numpy_function(lambda ix: images[ix], [index], tf.uint8)
        x = tf.reshape(tf.cast(pixels, tf.float32) / 255.0, [-1, size, size, 3])
        if augmented:
            step = tf.cast(tf.stack([seed + 1, epoch * 100003 + batch]), tf.int32)
            x = augment(x, step)
        return x, tf.gather(targets, index), tf.gather(weights, index)

    signature = (
        tf.TensorSpec([], tf.int64),
        tf.TensorSpec([], tf.int64),
        tf.TensorSpec([None], tf.int64),
    )
    return (
        tf.data.Dataset.from_generator(plan, output_signature=signature)
        .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def predict(model: Any, images: U8, batch_size: int = 64) -> F32:
    """Softmax outputs for uint8 faces at the model's size, in batches."""
    chunks = [np.zeros((0, len(CLASSES)), dtype=np.float32)]
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].astype(np.float32) / 255.0
        chunks.append(np.asarray(model.predict_on_batch(x), dtype=np.float32))
    return np.concatenate(chunks)


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Everything that defines a run; saved as ``config.json`` and checked on resume."""

    train: str = ""
    valid: str | None = None
    test: str | None = None
    images: str | None = None
    layout: str = "auto"
    consensus: str = "uploader"
    balance: str = "cap"
    valid_fraction: float = 0.1
    detector: str = "seed"
    cache: str = str(aihub.DEFAULT_CACHE)
    out: str = "runs/aihub/run"
    image_size: int = 224
    epochs: int = 50
    batch_size: int = 32
    learning_rate: float = 1e-3
    dropout: float = 0.5
    l2: float = 0.01
    patience: int = 8
    lr_patience: int = 3
    lr_factor: float = 0.2
    min_lr: float = 1e-5
    augment: bool = True
    bn_calibration: int = 512
    imagenet_weights: str | None = None
    seed: int = 1234
    smoke: bool = False
    smoke_per_class: int = 8


@dataclass
class Data:
    """The three splits at the model's size, plus the reports of what was read and dropped."""

    train: aihub.Aligned
    valid: aihub.Aligned
    test: aihub.Aligned | None
    reports: dict[str, aihub.DataReport]


def load_data(cfg: TrainConfig) -> Data:
    """Read, clean, align (cached), split and balance; every step counted in the reports."""
    aligner = aihub.BoxAligner(cfg.detector)
    per_class = cfg.smoke_per_class if cfg.smoke else None

    def read(source: str, name: str) -> tuple[aihub.Aligned, aihub.DataReport]:
        log.info("reading %s data", name)
        images = Path(cfg.images) if cfg.images and name == "train" else None
        return aihub.load_aligned(
            Path(source),
            cache=Path(cfg.cache),
            detector=cfg.detector,
            layout=cfg.layout,
            images=images,
            rule="majority" if cfg.consensus == "majority" else "uploader",
            per_class=per_class,
            seed=cfg.seed,
            aligner=aligner,
        )

    train, train_report = read(cfg.train, "train")
    reports = {"train": train_report}
    if cfg.valid:
        valid, reports["valid"] = read(cfg.valid, "valid")
    else:
        keep, held = aihub.split_off(train.examples, cfg.valid_fraction, cfg.seed)
        train, valid = train.select(keep), train.select(held)
    test = None
    if cfg.test:
        test, reports["test"] = read(cfg.test, "test")
    if cfg.balance == "cap":
        train = train.select(aihub.balance(train.examples, "cap", cfg.seed))
    train_report.balanced = {
        e.value: int((train.labels == i).sum()) for i, e in enumerate(EMOTIONS)
    }
    for name, report in reports.items():
        print(f"\n## {name} data\n{report.table()}")
    return Data(train, valid, test, reports)


def _compile(model: Any, cfg: TrainConfig) -> None:
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=[keras.metrics.CategoricalAccuracy(name="acc")],
    )
    # Built here, Adam's slots exist before ``fit`` traces its step: otherwise TensorFlow traces
    # the step twice (once creating them), which doubled the first epoch's overhead (23 → 12 s).
    model.optimizer.build(model.trainable_variables)


def _set_learning_rate(model: Any, value: float) -> None:
    optimizer = model.optimizer
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer on GPU
    inner.learning_rate.assign(value)


def validate(model: Any, images: U8, labels: npt.NDArray[np.int64]) -> dict[str, float]:
    """Validation loss (cross-entropy, without the L2 term) and accuracy."""
    probs = predict(model, images)
    picked = probs[np.arange(len(labels)), labels]
    return {
        "val_loss": float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0)))),
        "val_acc": float(np.mean(probs.argmax(axis=1) == labels)),
    }


def _run_state_callback(
    out: Path, state: dict[str, Any], cfg: TrainConfig, valid: tuple[U8, Any], calibration: U8
) -> Any:
    """Per epoch: re-estimate BatchNorm, validate, lower the learning rate on a plateau of the
    validation loss (the seed's ReduceLROnPlateau), checkpoint (last, and best by validation
    accuracy) and stop early. Counters live in ``state.json``, written after the model files,
    so an interrupted run resumes with them instead of forgetting them as Keras' callbacks do.
    """
    import keras

    class RunState(keras.callbacks.Callback):  # type: ignore[misc]
        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self._t0 = time.time()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            logs = logs if logs is not None else {}
            if len(calibration):
                recalibrate_batch_norm(
                    self.model, calibration.astype(np.float32) / 255.0, batch_size=32
                )
            result = validate(self.model, *valid)
            logs.update(result, lr=state["lr"])
            self._plateau(result["val_loss"])
            self._checkpoint(epoch, result)
            state["epoch"] = epoch + 1
            state["history"].append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
            state["seconds"] = state.get("seconds", 0.0) + (time.time() - self._t0)
            if state["wait"] >= cfg.patience:
                log.info(
                    "early stopping: no better validation accuracy for %d epochs", state["wait"]
                )
                state["stopped_early"] = True
                self.model.stop_training = True
            _atomic_json(out / "state.json", state)
            log.info(
                "epoch %d: loss %.4f, val_loss %.4f, val_acc %.4f (best %.4f @ %d), lr %.1e, %.0fs",
                epoch + 1,
                float(logs.get("loss", math.nan)),
                result["val_loss"],
                result["val_acc"],
                state["best_val_acc"],
                state["best_epoch"],
                float(logs["lr"]),
                time.time() - self._t0,
            )

        def _plateau(self, val_loss: float) -> None:
            if val_loss < state["best_val_loss"] - 1e-4:
                state.update(best_val_loss=val_loss, plateau_wait=0)
                return
            state["plateau_wait"] += 1
            if state["plateau_wait"] >= cfg.lr_patience and state["lr"] > cfg.min_lr:
                state["lr"] = max(cfg.min_lr, state["lr"] * cfg.lr_factor)
                state["plateau_wait"] = 0
                _set_learning_rate(self.model, state["lr"])
                log.info("validation loss on a plateau: learning rate now %.1e", state["lr"])

        def _checkpoint(self, epoch: int, result: dict[str, float]) -> None:
            tmp = out / "last.tmp.keras"
            self.model.save(tmp)
            tmp.replace(out / "last.keras")
            better = result["val_acc"] > state["best_val_acc"] or (
                result["val_acc"] == state["best_val_acc"]
                and result["val_loss"] < state["best_at_loss"]
            )
            if better:
                state.update(
                    best_val_acc=result["val_acc"],
                    best_at_loss=result["val_loss"],
                    best_epoch=epoch + 1,
                    wait=0,
                )
                shutil.copyfile(out / "last.keras", out / "best.tmp.keras")
                (out / "best.tmp.keras").replace(out / "best.keras")
            else:
                state["wait"] += 1

    return RunState()


def _fresh_state(cfg: TrainConfig, device: str) -> dict[str, Any]:
    return {
        "config": asdict(cfg),
        "epoch": 0,
        "best_val_acc": -1.0,
        "best_at_loss": math.inf,
        "best_epoch": 0,
        "best_val_loss": math.inf,
        "wait": 0,
        "plateau_wait": 0,
        "lr": cfg.learning_rate,
        "history": [],
        "device": device,
        "stopped_early": False,
    }


def train(cfg: TrainConfig, resume: bool = True) -> dict[str, Any]:
    """Train (or resume) a run in ``cfg.out``; writes the model, its card and metrics there."""
    import keras

    out, device = start_run(cfg.out, cfg.seed, cpu_precision="float32")
    data = load_data(cfg)
    if len(data.train) == 0 or len(data.valid) == 0:
        raise SystemExit("no training or validation faces left after cleaning (see the report)")
    _atomic_json(out / "data.json", {k: r.as_dict() for k, r in data.reports.items()})
    size = cfg.image_size
    train_x = resize_crops(data.train.crops, size)
    valid_x = resize_crops(data.valid.crops, size)
    targets = np.eye(len(CLASSES), dtype=np.float32)[data.train.labels]
    if cfg.balance == "weights":
        per_class = class_weights(targets, power=1.0)
        sample_weights = (targets @ per_class).astype(np.float32)
        log.info("class weights %s", np.round(per_class, 2).tolist())
    else:
        sample_weights = np.ones(len(targets), dtype=np.float32)
    steps = math.ceil(len(train_x) / cfg.batch_size)
    log.info(
        "faces: train %d, valid %d, test %d; %d steps/epoch",
        len(train_x),
        len(valid_x),
        len(data.test) if data.test is not None else 0,
        steps,
    )

    state_path = out / "state.json"
    if resume and state_path.is_file() and (out / "last.keras").is_file():
        state = json.loads(state_path.read_text())
        if state["config"] != asdict(cfg):
            raise SystemExit(
                f"{out} holds a run with another configuration; use a new --out or --no-resume"
            )
        model = keras.models.load_model(out / "last.keras")
        _set_learning_rate(model, state["lr"])
        log.info("resuming %s after epoch %d", out, state["epoch"])
    else:
        state = _fresh_state(cfg, device)
        weights = Path(cfg.imagenet_weights) if cfg.imagenet_weights else None
        if weights is None:
            log.warning("no --imagenet-weights: the backbone starts from random weights")
        model = build_model(size, cfg.dropout, cfg.l2, weights)
        _compile(model, cfg)
        _atomic_json(out / "config.json", asdict(cfg))
    first = int(state["epoch"])
    if first < cfg.epochs and not state.get("stopped_early"):
        rng = np.random.default_rng(cfg.seed + 2)
        pick = rng.permutation(len(train_x))[: cfg.bn_calibration]
        model.fit(
            training_batches(
                train_x,
                targets,
                sample_weights,
                cfg.batch_size,
                cfg.seed,
                first,
                cfg.epochs,
                cfg.augment,
            ),
            epochs=cfg.epochs,
            initial_epoch=first,
            steps_per_epoch=steps,
            shuffle=False,  # the input pipeline orders each epoch itself
            callbacks=[
                _run_state_callback(
                    out, state, cfg, (valid_x, data.valid.labels), train_x[np.sort(pick)]
                ),
                keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
            ],
            verbose=1 if sys.stdout.isatty() else 2,
        )
    return finalise(out, cfg, data, state)


def finalise(out: Path, cfg: TrainConfig, data: Data, state: dict[str, Any]) -> dict[str, Any]:
    """Best checkpoint → ``model.keras`` + ``model.json`` card; metrics on valid, then test."""
    model = inference_model(out / "best.keras")
    model.save(out / "model.keras")
    metrics: dict[str, Any] = {**run_record(state, model), "train_faces": len(data.train)}
    splits = {"valid": data.valid, "test": data.test}
    for name, split in splits.items():
        if split is None or not len(split):
            continue
        probs = predict(model, resize_crops(split.crops, cfg.image_size))
        result = ensemble.scores(split.labels, probs.argmax(axis=1))
        ensemble.confusion_png(result, out / f"confusion-{name}.png", f"{MODEL_NAME} — {name}")
        print(ensemble.confusion_table(result, f"\n## {name}"))
        metrics[name] = result
    _atomic_json(out / "metrics.json", metrics)
    _atomic_json(out / "history.json", state["history"])
    card = {
        "name": MODEL_NAME,
        "classes": list(CLASSES),
        "input": {"size": cfg.image_size, "channels": 3},
        "value_range": "0..1",
        "crop": 1.0,
        "detector": cfg.detector,
        "preprocess_version": aihub.PREPROCESS_VERSION,
        "imagenet_weights": bool(cfg.imagenet_weights),
        "metrics": {k: metrics[k]["accuracy"] for k in splits if k in metrics},
    }
    _atomic_json(out / "model.json", card)
    print(
        f"\nmodel: {out / 'model.keras'}\nserve it with:\n  FACELOG_CLASSIFIER=keras\n"
        f"  FACELOG_CLASSIFIER_PATH={(out / 'model.keras').resolve()}\n"
        f"  FACELOG_DETECTOR={cfg.detector}   # the faces it was trained on were framed this way"
    )
    return metrics


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = TrainConfig()
    parser.add_argument(
        "--train",
        type=Path,
        required=True,
        help="AI-Hub labels (JSON file or folder) or class folders",
    )
    parser.add_argument("--valid", type=Path, default=None, help="default: a split of --train")
    parser.add_argument("--test", type=Path, default=None, help="evaluated once, at the end")
    parser.add_argument("--images", type=Path, default=None, help="where --train's photos are")
    parser.add_argument("--layout", choices=["auto", "aihub", "folders"], default="auto")
    parser.add_argument(
        "--consensus",
        choices=["uploader", "majority"],
        default=defaults.consensus,
        help="uploader: keep when ≥2 annotators chose the uploader's label (the seed)",
    )
    parser.add_argument(
        "--balance",
        choices=["cap", "weights", "none"],
        default=defaults.balance,
        help="cap every class at the smallest (the seed), or weight the loss by class",
    )
    parser.add_argument("--valid-fraction", type=float, default=defaults.valid_fraction)
    parser.add_argument("--detector", choices=["seed", "dlib", "mtcnn"], default=defaults.detector)
    parser.add_argument("--cache", type=Path, default=Path(defaults.cache), help="aligned crops")
    parser.add_argument("--out", type=Path, default=Path(defaults.out), help="run directory")
    parser.add_argument("--image-size", type=int, default=defaults.image_size)
    parser.add_argument("--epochs", type=int, default=None, help=f"default {defaults.epochs}")
    parser.add_argument(
        "--batch-size", type=int, default=None, help=f"default {defaults.batch_size}"
    )
    parser.add_argument("--lr", type=float, default=defaults.learning_rate)
    parser.add_argument("--patience", type=int, default=defaults.patience)
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--bn-calibration", type=int, default=defaults.bn_calibration)
    parser.add_argument(
        "--imagenet-weights", type=Path, default=None, help="efficientnetb0_notop.h5 (local file)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--smoke", action="store_true", help="a few faces per class, two epochs: the whole path"
    )
    parser.add_argument(
        "--no-resume", action="store_true", help="start over even if --out holds a checkpoint"
    )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    defaults = TrainConfig()
    cfg = TrainConfig(
        train=str(args.train),
        valid=str(args.valid) if args.valid else None,
        test=str(args.test) if args.test else None,
        images=str(args.images) if args.images else None,
        layout=args.layout,
        consensus=args.consensus,
        balance=args.balance,
        valid_fraction=args.valid_fraction,
        detector=args.detector,
        cache=str(args.cache),
        out=str(args.out),
        image_size=args.image_size,
        epochs=args.epochs or (2 if args.smoke else defaults.epochs),
        batch_size=args.batch_size or (8 if args.smoke else defaults.batch_size),
        learning_rate=args.lr,
        patience=args.patience,
        augment=not args.no_augment,
        bn_calibration=min(args.bn_calibration, 64) if args.smoke else args.bn_calibration,
        imagenet_weights=str(args.imagenet_weights) if args.imagenet_weights else None,
        seed=args.seed,
        smoke=args.smoke,
    )
    return cfg


def _train_command(args: argparse.Namespace) -> int:
    _setup_logging()
    metrics = train(config_from_args(args), resume=not args.no_resume)
    summary = {
        split: {"accuracy": metrics[split]["accuracy"], "per_class": metrics[split]["per_class"]}
        for split in ("valid", "test")
        if split in metrics
    }
    print(json.dumps(summary, indent=2))
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``aihub``: train the seed's EfficientNetB0 (resumes by itself from ``--out``)."""
    parser = subparsers.add_parser(
        "aihub",
        help="train the seed's EfficientNetB0 on AI-Hub Korean faces or class folders",
        description=__doc__.split("\n")[0],
    )
    _add_train_arguments(parser)
    parser.set_defaults(func=_train_command)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m inference.training.efficientnet --train DATA …``."""
    parser = argparse.ArgumentParser(prog="python -m inference.training.efficientnet")
    _add_train_arguments(parser)
    args = parser.parse_args(argv)
    return _train_command(args)


if __name__ == "__main__":
    raise SystemExit(main())
