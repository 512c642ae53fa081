"""Fine-tune ImageNet EfficientNet-Lite0 on real faces (realfaces ``train``) and FER+ together.

    facelog train realfaces --out runs/lite0/r2 [--color rgb|gray] [--epochs 10] [--smoke]

The defaults are the recipe of the shipped ``lite0`` (inference/README.md, its model card).

Why this recipe (inference/README.md, model card "lite0"):

- **ImageNet transfer** is the seed's recipe, and what a 5 k-photo real-face set can afford:
  from random weights a network learns the photos; from ImageNet weights it learns the faces.
  Frozen ImageNet features with a linear head are weak (val 0.475 in the issue's probe), so the
  upper stages are fine-tuned.
- **Frozen lower stages, cached.** Two CPU cores train the whole network at ~50 faces/s. The
  stem and stages 1–3 stay at their ImageNet weights (edges and textures transfer as they are),
  so their output is computed once per face (and once for its mirror image) and cached; only
  stages 4–7 and the new head train, on those cached maps. Augmentation then works on the maps:
  the mirror image (every real face both ways; each FER+ face one way, half of them mirrored)
  and a random shift of one cell (8 pixels at 112 px).
- **Both data sets in every epoch**: every real face, plus a fresh random share of FER+'s 28 k
  web crops with their vote distributions as soft targets; FER+ teaches the expressions, the
  real photos teach the look of real photos (colour, blur, pose, framing).
- **The product's own framing**: real faces are aligned by the pipeline's code in their
  labelled box and cut at the model's crop (0.85 of the aligned frame, FER's tight framing), so
  FER+ crops and real crops show the face at the same scale. Colour by measurement: the RGB
  run (FER+ and gray photos replicated to three channels, a quarter of the real faces shown
  gray each epoch) combined better with the FER+ nets than an all-gray run.
- **Chosen on val**: each epoch is scored on ``val`` and ``val_lab`` (4-class accuracy); the
  best ``val`` epoch is kept. Test sets are never read here.

Outputs in ``--out``: ``model.keras`` (float32, takes the pipeline's crop 0..255),
``model.tflite`` (int8 weights, the CPU runtime), ``history.json`` (every epoch), ``run.json``
(the whole record: data counts, timings, the chosen epoch, agreement of the two files) and
``scores-val.npy`` / ``scores-val_lab.npy`` (5-column scores, for ensemble selection).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from inference.classifier import InputSpec, prepare
from inference.evaluation import realfaces
from inference.labels import COLUMNS, FERPLUS_CLASSES, FERPLUS_TO_FACELOG, mapping_matrix
from inference.training import lite0

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

DEFAULT_FERPLUS = realfaces.REPO_ROOT.parent / "shared" / "data" / "ferplus" / "ferplus48.npz"
#: Facelog's five columns are the classes of this model (the four emotions, then ``other``).
CLASSES: tuple[str, ...] = COLUMNS
#: The same crop the FER+ ensemble uses (FER's tight framing), so FER+ crops match real ones.
CROP = 0.85
#: Where a finished run's report is published beside the other results (``--results``), so
#: the model card's training figures are rendered from a file (``facelog report``) rather than
#: copied from a log by hand.
RESULTS_DIR = realfaces.REPO_ROOT / "inference" / "evaluation" / "results"


@dataclass(frozen=True)
class TrainConfig:
    out: Path
    ferplus: Path = DEFAULT_FERPLUS
    realfaces: Path | None = None
    size: int = 112
    crop: float = CROP
    #: Stages 1..frozen_through stay at their ImageNet weights; the rest train.
    frozen_through: int = 3
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 5e-4
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    #: FER+ faces drawn (without replacement) for each epoch, beside every real face.
    ferplus_per_epoch: int = 4000
    dropout: float = 0.3
    #: ``gray`` (replicated to RGB inside the model) or ``rgb``; rgb runs also see a gray copy
    #: of a quarter of the real faces each epoch, as many real photos are gray.
    color: str = "rgb"
    #: FER+ faces whose frozen features are cached (a random subset when smaller than FER+).
    ferplus_cached: int = 10_000
    seed: int = 2
    smoke: bool = False

    @property
    def spec(self) -> InputSpec:
        channels: Literal[1, 3] = 1 if self.color == "gray" else 3
        return InputSpec(size=self.size, channels=channels, value_range="0..255", crop=self.crop)


# -- data ---------------------------------------------------------------------------------------


def real_inputs(faces: U8, spec: InputSpec) -> U8:
    """Aligned 224×224 faces → the model's crop (uint8, to keep the cache small)."""
    out = np.empty((len(faces), spec.size, spec.size, spec.channels), dtype=np.uint8)
    for start in range(0, len(faces), 256):
        chunk = np.asarray(faces[start : start + 256], dtype=np.float32) / 255.0
        out[start : start + 256] = np.clip(prepare(chunk, spec) + 0.5, 0, 255).astype(np.uint8)
    return out


def ferplus_inputs(images: U8, size: int, channels: int = 1) -> U8:
    """FER+'s 48×48 crops already show the face at the model's framing: only resized (and
    replicated to three channels for an RGB model)."""
    out = np.empty((len(images), size, size, channels), dtype=np.uint8)
    for i, image in enumerate(images):
        out[i] = cv2.resize(image, (size, size), interpolation=cv2.INTER_CUBIC)[:, :, None]
    return out


def to_gray(images: U8) -> U8:
    """RGB crops as gray replicated to three channels (the augmentation for gray photos)."""
    gray = np.asarray(images, np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.repeat(np.clip(gray + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=-1)


def ferplus_targets(soft8: F32) -> F32:
    """FER+ vote distributions (8 emotions) → Facelog's five columns."""
    return np.asarray(soft8 @ mapping_matrix(FERPLUS_CLASSES, FERPLUS_TO_FACELOG), dtype=np.float32)


def one_hot(labels: Sequence[str], smoothing: float) -> F32:
    targets = np.full((len(labels), len(CLASSES)), smoothing / len(CLASSES), dtype=np.float32)
    for i, label in enumerate(labels):
        targets[i, CLASSES.index(label)] += 1.0 - smoothing
    return targets


# -- model --------------------------------------------------------------------------------------


def frozen_part(cfg: TrainConfig) -> Any:
    """The crop (gray: replicated to three channels) → stem and stages 1..frozen_through."""
    import keras

    inputs = keras.Input((cfg.size, cfg.size, cfg.spec.channels), name="crop")
    if cfg.spec.channels == 1:
        rgb = keras.layers.Concatenate(name="gray_to_rgb")([inputs, inputs, inputs])
    else:
        rgb = inputs
    x = lite0.apply_stages(lite0.stem(rgb), 1, cfg.frozen_through)
    model = keras.Model(inputs, x, name="lite0_frozen")
    lite0.load_imagenet(model)
    model.trainable = False
    return model


def trained_part(cfg: TrainConfig) -> Any:
    """Stages above the frozen ones, the 1280-channel head, dropout and a 5-way softmax."""
    import keras

    shape = lite0.stage_output_shape(cfg.size, cfg.frozen_through)
    inputs = keras.Input(shape, name="features")
    x = lite0.apply_stages(inputs, cfg.frozen_through + 1, len(lite0.STAGES))
    x = lite0.head(x, include_top=False)
    x = keras.layers.Dropout(cfg.dropout, name="dropout")(x)
    outputs = keras.layers.Dense(
        len(CLASSES), activation="softmax", dtype="float32", name="emotion"
    )(x)
    model = keras.Model(inputs, outputs, name="lite0_trained")
    lite0.load_imagenet(model, new_layers=("emotion",))
    return model


def full_model(frozen: Any, trained: Any, cfg: TrainConfig) -> Any:
    """One graph for serving: the pipeline's gray crop (0..255) in, five columns out."""
    import keras

    inputs = keras.Input((cfg.size, cfg.size, cfg.spec.channels), name="face")
    return keras.Model(inputs, trained(frozen(inputs)), name="facelog_lite0")


def features(frozen: Any, images: U8, batch: int = 128) -> npt.NDArray[np.float16]:
    """The frozen stages' output, stored as float16 (half the memory; training reads float32)."""
    parts = [
        np.asarray(frozen(np.asarray(images[i : i + batch], np.float32), training=False))
        for i in range(0, len(images), batch)
    ]
    return np.concatenate(parts).astype(np.float16)


# -- training -----------------------------------------------------------------------------------


def _shift(batch: F32, rng: np.random.Generator) -> F32:
    """Shift each feature map by up to one cell (edge cells repeated)."""
    out = np.empty_like(batch)
    padded = np.pad(batch, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    height, width = batch.shape[1:3]
    for i, (dy, dx) in enumerate(rng.integers(0, 3, size=(len(batch), 2))):
        out[i] = padded[i, dy : dy + height, dx : dx + width]
    return out


def four_accuracy(scores: F32, labels: Sequence[str]) -> float:
    metrics = realfaces.four_class_metrics(list(labels), realfaces.predicted_four(scores))
    return float(metrics["accuracy"])


def default_results(cfg: TrainConfig) -> Path | None:
    """``results/lite0-run-<out>-<color>.json`` for a real run; none for ``--smoke``, whose
    figures mean nothing and must not overwrite a published run's."""
    return None if cfg.smoke else RESULTS_DIR / f"lite0-run-{cfg.out.name}-{cfg.color}.json"


def train(cfg: TrainConfig, results: Path | None = None) -> dict[str, Any]:
    import keras

    from inference.training.ferplus import load_splits

    keras.utils.set_random_seed(cfg.seed)
    keras.mixed_precision.set_global_policy("float32")  # depthwise convolutions gain nothing
    rng = np.random.default_rng(cfg.seed)
    cfg.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    # Real faces, aligned by the pipeline's code in their labelled boxes.
    train_real = realfaces.aligned_split("train", cfg.realfaces)
    val = realfaces.aligned_split("val", cfg.realfaces)
    val_lab = realfaces.aligned_split("val_lab", cfg.realfaces)
    fer = load_splits(cfg.ferplus)["train"]
    if cfg.smoke:
        pick = rng.choice(len(train_real.faces), size=96, replace=False)
        real_faces, real_labels = train_real.faces[pick], train_real.labels[pick]
        fer_images, fer_soft = fer.images[:96], fer.targets[:96]
        val_faces, val_labels = val.faces[:64], val.labels[:64]
        lab_faces, lab_labels = val_lab.faces[:32], val_lab.labels[:32]
    else:
        real_faces, real_labels = train_real.faces, train_real.labels
        fer_images, fer_soft = fer.images, fer.targets
        val_faces, val_labels = val.faces, val.labels
        lab_faces, lab_labels = val_lab.faces, val_lab.labels

    frozen = frozen_part(cfg)
    t0 = time.perf_counter()
    real_x = real_inputs(real_faces, cfg.spec)
    if len(fer_images) > cfg.ferplus_cached:
        keep = np.sort(rng.choice(len(fer_images), size=cfg.ferplus_cached, replace=False))
        fer_images, fer_soft = fer_images[keep], fer_soft[keep]
    fer_x = ferplus_inputs(fer_images, cfg.size, cfg.spec.channels)
    fer_mirror = rng.random(len(fer_x)) < 0.5
    cache = {
        "real": features(frozen, real_x),
        "real_flip": features(frozen, real_x[:, :, ::-1]),
        # FER+ is seen a few times per run: one view of each face (half of them mirrored) is
        # enough, and halves the slowest step (2 CPU cores compute ~65 faces/s here).
        "fer": features(
            frozen, np.where(fer_mirror[:, None, None, None], fer_x[:, :, ::-1], fer_x)
        ),
        **(
            {"real_gray": features(frozen, to_gray(real_x[:, :, ::-1]))}
            if cfg.spec.channels == 3
            else {}
        ),
        "val": features(frozen, real_inputs(val_faces, cfg.spec)),
        "val_lab": features(frozen, real_inputs(lab_faces, cfg.spec)),
    }
    feature_seconds = time.perf_counter() - t0
    log.info("cached frozen features in %.0f s", feature_seconds)
    real_y = one_hot(list(real_labels), cfg.label_smoothing)
    fer_y = ferplus_targets(fer_soft)

    model = trained_part(cfg)
    per_epoch = len(real_y) + min(cfg.ferplus_per_epoch, len(fer_y))
    steps = max(1, per_epoch // cfg.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        cfg.learning_rate, decay_steps=cfg.epochs * steps, alpha=0.02
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=cfg.weight_decay, clipnorm=5.0),
        loss=keras.losses.CategoricalCrossentropy(),
    )

    history: list[dict[str, Any]] = []
    best: dict[str, Any] = {"val": -1.0}
    best_weights = cfg.out / "best.weights.h5"
    for epoch in range(1, cfg.epochs + 1):
        t_epoch = time.perf_counter()
        fer_pick = rng.choice(
            len(fer_y), size=min(cfg.ferplus_per_epoch, len(fer_y)), replace=False
        )
        # Each face once per epoch, as itself or as its mirror image.
        real_flip = rng.random(len(real_y)) < 0.5
        real = np.where(real_flip[:, None, None, None], cache["real_flip"], cache["real"])
        if "real_gray" in cache:
            gray = rng.random(len(real_y)) < 0.25
            real = np.where(gray[:, None, None, None], cache["real_gray"], real)
        x = np.concatenate([real, cache["fer"][fer_pick]])
        y = np.concatenate([real_y, fer_y[fer_pick]])
        order = rng.permutation(len(y))
        losses = []
        for step in range(steps):
            rows = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            batch = _shift(np.asarray(x[rows], dtype=np.float32), rng)
            losses.append(float(model.train_on_batch(batch, y[rows])))
        train_seconds = time.perf_counter() - t_epoch
        val_scores = np.asarray(model.predict(cache["val"], batch_size=256, verbose=0))
        lab_scores = np.asarray(model.predict(cache["val_lab"], batch_size=256, verbose=0))
        record = {
            "epoch": epoch,
            "loss": round(float(np.mean(losses)), 4),
            "val": round(four_accuracy(val_scores, list(val_labels)), 4),
            "val_lab": round(four_accuracy(lab_scores, list(lab_labels)), 4),
            "seconds": round(train_seconds, 1),
            "faces_per_s": round(steps * cfg.batch_size / train_seconds, 1),
        }
        history.append(record)
        log.info("epoch %s", json.dumps(record))
        (cfg.out / "history.json").write_text(json.dumps(history, indent=2) + "\n")
        if record["val"] > best["val"]:
            best = record
            model.save_weights(best_weights)
    model.load_weights(best_weights)

    # A fresh copy of the trained part: the compiled one would carry its optimizer's state
    # (twice its own size) into the served file.
    clean = trained_part(cfg)
    clean.set_weights(model.get_weights())
    served = full_model(frozen, clean, cfg)
    served.save(cfg.out / "model.keras")
    val_scores = np.asarray(served.predict(real_inputs(val_faces, cfg.spec), verbose=0))
    lab_scores = np.asarray(served.predict(real_inputs(lab_faces, cfg.spec), verbose=0))
    np.save(cfg.out / "scores-val.npy", val_scores)
    np.save(cfg.out / "scores-val_lab.npy", lab_scores)
    report: dict[str, Any] = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        "data": {
            "realfaces_train": len(real_y),
            "ferplus_train": len(fer_y),
            "ferplus_per_epoch": min(cfg.ferplus_per_epoch, len(fer_y)),
            "val": len(val_labels),
            "val_lab": len(lab_labels),
        },
        "params": {
            "total": int(served.count_params()),
            "trained": int(model.count_params()),
        },
        "feature_cache_seconds": round(feature_seconds, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "best_epoch": best,
        "served_val": round(four_accuracy(val_scores, list(val_labels)), 4),
        "served_val_lab": round(four_accuracy(lab_scores, list(lab_labels)), 4),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "history": history,
    }
    (cfg.out / "run.json").write_text(json.dumps(report, indent=2) + "\n")
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(report, indent=2) + "\n")
        log.info("wrote %s", results)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="facelog train realfaces", description=__doc__)
    defaults = TrainConfig(out=Path("runs/lite0/run"))
    parser.add_argument("--out", type=Path, default=defaults.out)
    parser.add_argument("--ferplus", type=Path, default=defaults.ferplus)
    parser.add_argument("--realfaces", type=Path, default=None)
    parser.add_argument("--size", type=int, default=defaults.size)
    parser.add_argument("--crop", type=float, default=defaults.crop)
    parser.add_argument("--frozen-through", type=int, default=defaults.frozen_through)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.learning_rate)
    parser.add_argument("--ferplus-per-epoch", type=int, default=defaults.ferplus_per_epoch)
    parser.add_argument("--color", choices=("gray", "rgb"), default=defaults.color)
    parser.add_argument("--ferplus-cached", type=int, default=defaults.ferplus_cached)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--smoke", action="store_true", help="a few faces, 2 epochs: the path")
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="also write the run's report here (default: "
        "inference/evaluation/results/lite0-run-<out>-<color>.json; none with --smoke)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = TrainConfig(
        out=args.out,
        ferplus=args.ferplus,
        realfaces=args.realfaces,
        size=args.size,
        crop=args.crop,
        frozen_through=args.frozen_through,
        epochs=2 if args.smoke else args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        ferplus_per_epoch=64 if args.smoke else args.ferplus_per_epoch,
        color=args.color,
        ferplus_cached=args.ferplus_cached,
        seed=args.seed,
        smoke=args.smoke,
    )
    record = train(cfg, args.results if args.results is not None else default_results(cfg))
    print(json.dumps({k: record[k] for k in ("best_epoch", "served_val", "served_val_lab")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
