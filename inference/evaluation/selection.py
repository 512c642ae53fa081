"""Choose the shipped combination of classifiers, and its calibration, on real photos (``val``).

    python -m inference.evaluation.selection [--members lite0 ferplus fer] [--write]

Why this way: ``val`` (600 ExpW faces of the four emotions) is the only set that looks like
Facelog's input and is labelled for all four classes; fitting weights and a class bias on it
and reporting the same figure would flatter the result. So the whole procedure — pick the
members' weights on a grid, then fit a per-class bias by maximum likelihood — is run inside a
5-fold cross-validation over ``val`` (folds by source photo), and the held-out folds' pooled
accuracy is what is reported and compared. ``val_lab`` (posed lab faces of people never seen
in training) is never fitted on: no weight or bias sees it; it is read once per candidate, with
the parameters fitted on all of ``val``, and takes part in the choice between candidates (a
bias that suits ExpW's crowd labels can cost clean posed faces). Every candidate is a subset of
the members, with and without the class bias; the one
with the best mean of cross-validated val and val_lab accuracy wins; a simpler candidate (fewer
members, no bias) is kept unless a more complex one beats it by 0.5 points.

Writes ``results/selection.json`` (every candidate's figures) and, with ``--write``, the
winner's recipe to ``inference/models/realface.json``, which is what the bot serves.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from inference.evaluation import realfaces
from inference.labels import COLUMNS
from inference.realface_model import RECIPE_PATH, Recipe, combine

F64 = npt.NDArray[np.float64]
FOLDS = 5
WEIGHT_STEP = 0.1
#: A candidate with more members must beat a smaller one by this much to be preferred.
TIE = 0.005
RESULTS = Path(__file__).with_name("results") / "selection.json"


def fold_of(group: str) -> int:
    """Stable fold from the source photo, so two crops of one photo never straddle folds."""
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % FOLDS


def fit_bias(probs: F64, labels: npt.NDArray[np.int64], steps: int = 400) -> F64:
    """Per-class log bias maximising the likelihood of the four-class labels (convex)."""
    logp = np.log(np.clip(probs[:, :4], 1e-7, None))
    onehot = np.eye(4)[labels]
    bias = np.zeros(4)
    for _ in range(steps):
        z = logp + bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        bias -= 1.0 * ((p - onehot).mean(axis=0) + 1e-3 * bias)
        bias -= bias.mean()
    return np.concatenate([bias, [0.0]])


def weight_grid(members: int) -> list[tuple[float, ...]]:
    if members == 1:
        return [(1.0,)]
    steps = round(1 / WEIGHT_STEP)
    grid = []
    for cut in itertools.product(range(steps + 1), repeat=members - 1):
        if sum(cut) <= steps:
            grid.append((*(c * WEIGHT_STEP for c in cut), (steps - sum(cut)) * WEIGHT_STEP))
    return [tuple(round(w, 3) for w in g) for g in grid if max(g) < 1.0 or members == 1]


def _accuracy(probs: F64, labels: npt.NDArray[np.int64]) -> float:
    return float((probs[:, :4].argmax(axis=1) == labels).mean())


def fit(
    names: Sequence[str],
    scores: Sequence[F64],
    labels: npt.NDArray[np.int64],
    with_bias: bool = True,
) -> tuple[Recipe, float]:
    """Best weights on the grid (each with its own fitted bias), by accuracy on these rows."""
    best: tuple[float, Recipe] | None = None
    for weights in weight_grid(len(names)):
        plain = Recipe(tuple(names), weights, (0.0,) * len(COLUMNS))
        mixed = np.asarray(combine(scores, plain), np.float64)
        bias = fit_bias(mixed, labels) if with_bias else np.zeros(len(COLUMNS))
        recipe = Recipe(tuple(names), weights, tuple(round(float(b), 4) for b in bias))
        accuracy = _accuracy(np.asarray(combine(scores, recipe), np.float64), labels)
        if best is None or accuracy > best[0] + 1e-9:
            best = (accuracy, recipe)
    assert best is not None
    return best[1], best[0]


def cross_validate(
    names: Sequence[str],
    scores: Sequence[F64],
    labels: npt.NDArray[np.int64],
    folds: npt.NDArray[np.int64],
    with_bias: bool = True,
) -> float:
    """Pooled held-out accuracy of :func:`fit` over the folds."""
    correct = 0
    for k in range(FOLDS):
        train, held = folds != k, folds == k
        recipe, _ = fit(names, [s[train] for s in scores], labels[train], with_bias)
        mixed = np.asarray(combine([s[held] for s in scores], recipe), np.float64)
        correct += int((mixed[:, :4].argmax(axis=1) == labels[held]).sum())
    return correct / len(labels)


def select(
    val: Mapping[str, F64],
    val_labels: Sequence[str],
    val_groups: Sequence[str],
    lab: Mapping[str, F64],
    lab_labels: Sequence[str],
) -> dict[str, Any]:
    """Every non-empty subset of the members, cross-validated on val, checked on val_lab."""
    four = realfaces.FOUR
    rows = np.array([label in four for label in val_labels])
    labels = np.array([four.index(x) for x in np.asarray(val_labels)[rows]], dtype=np.int64)
    folds = np.array([fold_of(g) for g in np.asarray(val_groups)[rows]], dtype=np.int64)
    lab_rows = np.array([label in four for label in lab_labels])
    lab_y = np.array([four.index(x) for x in np.asarray(lab_labels)[lab_rows]], dtype=np.int64)
    names = list(val)
    candidates = []
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            scores = [np.asarray(val[n], np.float64)[rows] for n in subset]
            lab_scores = [np.asarray(lab[n], np.float64)[lab_rows] for n in subset]
            plain = Recipe(subset, (1.0,) * size, (0.0,) * len(COLUMNS))
            for with_bias in (False, True):
                recipe, in_sample = fit(subset, scores, labels, with_bias)
                val_cv = cross_validate(subset, scores, labels, folds, with_bias)
                lab_acc = _accuracy(np.asarray(combine(lab_scores, recipe), np.float64), lab_y)
                candidates.append(
                    {
                        "members": list(subset),
                        "bias": with_bias,
                        "val_plain_mean": round(
                            _accuracy(np.asarray(combine(scores, plain), np.float64), labels), 4
                        ),
                        "val_cv": round(val_cv, 4),
                        "val_in_sample": round(in_sample, 4),
                        "val_lab": round(lab_acc, 4),
                        "score": round((val_cv + lab_acc) / 2, 4),
                        "recipe": json.loads(recipe.to_json()),
                    }
                )
    # Simpler first: fewer members, then no bias; a more complex candidate must win by TIE.
    candidates.sort(key=lambda c: (len(c["members"]), c["bias"]))
    winner = candidates[0]
    for c in candidates[1:]:
        if c["score"] > winner["score"] + TIE:
            winner = c
    return {
        "criterion": "mean of val (5-fold cross-validated) and val_lab 4-class accuracy",
        "folds": FOLDS,
        "weight_step": WEIGHT_STEP,
        "tie": TIE,
        "candidates": candidates,
        "winner": winner,
    }


def member_scores(
    names: Sequence[str], runtime: str = "tflite"
) -> tuple[dict[str, F64], dict[str, F64], realfaces.AlignedSplit, realfaces.AlignedSplit]:
    """Each member's five-column scores on val and val_lab, as the bot would load it."""
    from inference.realface_model import load_member

    val = realfaces.aligned_split("val")
    lab = realfaces.aligned_split("val_lab")
    val_scores: dict[str, F64] = {}
    lab_scores: dict[str, F64] = {}
    for name in names:
        classifier = load_member(name, runtime)  # type: ignore[arg-type]
        val_scores[name] = np.asarray(realfaces.classify_aligned(classifier, val.faces), np.float64)
        lab_scores[name] = np.asarray(realfaces.classify_aligned(classifier, lab.faces), np.float64)
    return val_scores, lab_scores, val, lab


def render_markdown(report: Mapping[str, Any]) -> str:
    lines = [
        "| members | class bias | val, plain mean | val, cross-validated | val_lab "
        "| score (mean) | weights | bias (anger, happy, panic, sadness) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in report["candidates"]:
        mark = "**" if c == report["winner"] else ""
        bias = ", ".join(f"{b:+.2f}" for b in c["recipe"]["log_bias"][:4]) if c["bias"] else "—"
        weights = " / ".join(f"{w:.1f}" for w in c["recipe"]["weights"])
        lines.append(
            f"| {mark}{' + '.join(c['members'])}{mark} | {'fitted' if c['bias'] else 'none'} "
            f"| {c['val_plain_mean']:.3f} | {c['val_cv']:.3f} | {c['val_lab']:.3f} "
            f"| {mark}{c['score']:.3f}{mark} | {weights} | {bias} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference.evaluation.selection")
    parser.add_argument("--members", nargs="+", default=["lite0", "ferplus", "fer"])
    parser.add_argument("--runtime", default="tflite", choices=("tflite", "keras"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--write", action="store_true", help="ship the winner's recipe")
    args = parser.parse_args(argv)
    val_scores, lab_scores, val, lab = member_scores(args.members, args.runtime)
    report = select(val_scores, list(val.labels), list(val.groups), lab_scores, list(lab.labels))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(render_markdown(report))
    winner = report["winner"]
    print(
        f"winner: {' + '.join(winner['members'])} (val cross-validated {winner['val_cv']:.3f}, "
        f"val_lab {winner['val_lab']:.3f})"
    )
    if args.write:
        recipe = winner["recipe"]
        RECIPE_PATH.write_text(
            Recipe(
                tuple(recipe["members"]), tuple(recipe["weights"]), tuple(recipe["log_bias"])
            ).to_json(
                chosen_by="python -m inference.evaluation.selection --write",
                val_cross_validated=winner["val_cv"],
                val_lab=winner["val_lab"],
            )
        )
        print(f"wrote {RECIPE_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
