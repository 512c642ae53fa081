"""Learning each face from the person's own labels: a 4-value bias on the log-probabilities.

The classifiers' errors on a given person (or a given population) are systematic: the FER+-trained
members pour East Asian anger and surprise into sadness. A per-class bias added to the
log-probabilities before the argmax fixes such a class bias with four numbers, where temperature
scaling never changes the argmax at all. The bias is the MAP estimate of a multinomial logistic
model ``p(y | z) = softmax(z + b)`` with a Gaussian prior ``b ~ N(prior, 1/strength)``:

- labels the person gave (a correction, or choosing the emotion themselves) count fully;
- readings that were shown and left alone count as weak confirmations (``WEAK_WEIGHT``), so a fit
  does not learn only from mistakes and flip every borderline call;
- the pull toward the prior keeps one correction from moving the bias far, and fades as labels
  accumulate;
- nobody who gave no label of their own is adapted: :func:`fit` returns the prior unchanged.

Newton's method on four parameters converges in a handful of steps taking microseconds, where
plain gradient steps with a strong prior oscillate. Pure NumPy, no model and no app imports, so
the same code serves the bot, the community prior job and ``facelog evaluate personal``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inference.labels import EMOTIONS, Emotion

__all__ = [
    "COMMUNITY_STRENGTH",
    "FLOOR",
    "MIN_CONTRIBUTORS",
    "WEAK_WEIGHT",
    "Calibration",
    "Example",
    "FitOptions",
    "calibrate",
    "community",
    "fit",
    "log_probabilities",
]

#: Smallest probability taken into a logarithm: stored probabilities are rounded to 4 decimals,
#: so an exact zero means "below 5e-5", not "impossible".
FLOOR = 1e-4
#: Weight of a reading that was shown and not corrected, against 1.0 for the person's own label.
WEAK_WEIGHT = 0.3
#: People who must have given labels before a community prior is used at all: below that, a few
#: people's habits would become everyone's starting point.
MIN_CONTRIBUTORS = 20
#: Pull of the community prior toward zero, in labels: four times a person's. Its evidence is
#: pooled from hundreds of entries, so in a real deployment this barely matters; when the pool
#: is thin (a few dozen labels, or one group's habits) it keeps the prior from hurting people it
#: does not fit (measured: ``inference/evaluation/personal_sweep.py``).
COMMUNITY_STRENGTH = 16.0
#: Most label weight one person brings to the community prior, so one prolific diarist cannot
#: become everyone's prior.
PERSON_CAP = 40.0
_K = len(EMOTIONS)
_KEYS = tuple(e.value for e in EMOTIONS)
Vector = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class FitOptions:
    """How strongly a fit trusts its data against its prior.

    ``strength`` is the prior's precision in units of one full label. It is also the promise
    that one correction does not flip borderline calls: one more correction changes each bias
    value by at most ``1/strength`` and any pairwise log-odds by at most ``2/strength`` (0.25
    and 0.5 log units with 4.0), so a call whose winner leads by more than that is kept; about
    ten corrections outweigh the prior. ``max_shift`` bounds each value's distance from the
    prior (a trust region), so a run of labels on near-certain readings cannot drive a value
    toward infinity.

    The defaults were chosen by ``inference/evaluation/personal_sweep.py`` (strength 1, 2, 4, 8
    × weak weight 0.3, 0.6, 1.0 on four classifiers' readings of real people and on ExpW
    pseudo-people, with and without an imitated Korean-style bias): strength 4 kept posts 1–10
    within a point of the generic reading where there was nothing to learn and gave up little
    of strength 1's gain where there was; a weak weight of 0.3 lost least when only half the
    misreads are corrected (uncorrected misreads then confirm mistakes).
    """

    strength: float = 4.0
    weak_weight: float = WEAK_WEIGHT
    max_shift: float = 4.0
    iterations: int = 25


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled reading: the classifier's raw log-probabilities and the emotion it showed.

    ``person`` says whether the person gave the label (a correction or their own choice) or only
    left the shown reading standing (a weak confirmation).
    """

    log_probs: tuple[float, float, float, float]
    label: Emotion
    person: bool

    @classmethod
    def of(
        cls, probabilities: Mapping[str, float], label: Emotion | str, *, person: bool
    ) -> Example:
        """From stored four-class probabilities (extra keys such as ``other`` are ignored)."""
        logs = log_probabilities(probabilities)
        return cls((logs[0], logs[1], logs[2], logs[3]), Emotion(label), person)


@dataclass(frozen=True, slots=True)
class Calibration:
    """A fitted bias with what it was learned from (``/settings`` shows the counts)."""

    bias: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    corrections: int = 0
    confirmations: int = 0

    @property
    def is_neutral(self) -> bool:
        """True when applying it changes nothing."""
        return not any(self.bias)

    def as_array(self) -> Vector:
        return np.asarray(self.bias, dtype=np.float64)


def log_probabilities(probabilities: Mapping[str, float] | Sequence[float]) -> list[float]:
    """Natural logs of the four emotions' probabilities, renormalised and floored at ``FLOOR``."""
    if isinstance(probabilities, Mapping):
        values = [float(probabilities.get(key, 0.0)) for key in _KEYS]
    else:
        values = [float(v) for v in probabilities][:_K]
    if len(values) != _K:
        raise ValueError(f"need {_K} probabilities")
    # Plain floats, not NumPy: a refit rebuilds every stored entry through here, and four
    # values are cheaper in Python than a round trip through arrays (5× for 200 entries).
    floored = [v if v > FLOOR else FLOOR for v in values]
    total = sum(floored)
    return [math.log(v / total) for v in floored]


def calibrate(
    probabilities: Mapping[str, float] | Sequence[float], bias: Sequence[float] | Vector
) -> dict[Emotion, float]:
    """The four probabilities after adding ``bias`` to their logarithms (softmax of the sum)."""
    z = np.asarray(log_probabilities(probabilities)) + np.asarray(bias, dtype=np.float64)
    p = _softmax(z[None, :])[0]
    return {emotion: float(v) for emotion, v in zip(EMOTIONS, p, strict=True)}


def _softmax(z: Vector) -> Vector:
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    out: Vector = e / e.sum(axis=1, keepdims=True)
    return out


def _arrays(examples: Iterable[Example], weak_weight: float) -> tuple[Vector, Vector, Vector]:
    items = list(examples)
    z = np.asarray([x.log_probs for x in items], dtype=np.float64).reshape(-1, _K)
    onehot = np.zeros((len(items), _K))
    index = {e: i for i, e in enumerate(EMOTIONS)}
    for row, item in enumerate(items):
        onehot[row, index[item.label]] = 1.0
    w = np.asarray([1.0 if x.person else weak_weight for x in items], dtype=np.float64)
    return z, onehot, w


def fit(
    examples: Iterable[Example],
    prior: Sequence[float] | Vector | None = None,
    options: FitOptions | None = None,
) -> Calibration:
    """The MAP bias for these examples, starting from (and pulled toward) ``prior``.

    Without a single example the person labelled, the prior comes back unchanged: adapting to
    someone from their uncorrected readings alone would only sharpen the model's own mistakes.
    """
    opts = options or FitOptions()
    items = list(examples)
    center = np.zeros(_K) if prior is None else np.asarray(prior, dtype=np.float64)
    corrections = sum(1 for x in items if x.person)
    confirmations = len(items) - corrections
    if corrections == 0:
        return Calibration(_tuple(center), 0, confirmations)
    z, y, w = _arrays(items, opts.weak_weight)
    bias = solve(z, y, w, center, opts)
    return Calibration(_tuple(bias), corrections, confirmations)


def solve(z: Vector, y: Vector, w: Vector, center: Vector, opts: FitOptions) -> Vector:
    """Newton's method for ``Σ w·CE(softmax(z + b), y) + strength/2·|b − center|²``.

    Exposed for the community prior, which pools many people's arrays without building
    :class:`Example` objects. Each step is damped by a backtracking line search, then clipped to
    the trust region around ``center``.
    """
    lam = float(opts.strength)
    bias = center.copy()
    if not len(z):
        return bias  # the prior alone: its optimum is its centre
    # The objective is Σ w·logsumexp(z + b) − Σ w·(z·y) − b·(wᵀy) + strength/2·|b − centre|²;
    # one exp per evaluation gives both its value and the probabilities the next step needs
    # (this is what a post's refit spends its time on).
    wy = w @ y
    fixed = float(w @ (z * y).sum(axis=1))

    def evaluate(b: Vector) -> tuple[float, Vector]:
        logits = z + b
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        total = e.sum(axis=1, keepdims=True)
        nll = float(w @ (m[:, 0] + np.log(total[:, 0]))) - fixed - float(b @ wy)
        return nll + 0.5 * lam * float(np.sum((b - center) ** 2)), e / total

    current, p = evaluate(bias)
    for _ in range(opts.iterations):
        wp = w @ p
        grad = wp - wy + lam * (bias - center)
        hess = np.diag(wp + lam) - (p * w[:, None]).T @ p
        step = np.linalg.solve(hess, grad)
        scale = 1.0
        while scale > 1e-4:
            candidate = np.clip(
                bias - scale * step, center - opts.max_shift, center + opts.max_shift
            )
            value, probs = evaluate(candidate)
            if value <= current:
                break
            scale *= 0.5
        else:
            break
        moved = float(np.max(np.abs(candidate - bias)))
        bias, current, p = candidate, value, probs
        if moved < 1e-7:
            break
    return bias


def community(
    people: Mapping[object, Sequence[Example]],
    options: FitOptions | None = None,
    *,
    min_contributors: int = MIN_CONTRIBUTORS,
) -> Calibration | None:
    """One bias for everyone, from many people's labels; None below ``min_contributors``.

    Each person's weights are scaled down to at most ``PERSON_CAP`` in total, then all examples
    are pooled into one fit toward zero. Only people who gave at least one label of their own
    count as contributors (and only their examples are pooled): a person who never corrects says
    nothing about where the model goes wrong. The result holds four numbers and two counts,
    nothing about any one person.
    """
    opts = options or FitOptions(strength=COMMUNITY_STRENGTH)
    chunks: list[tuple[Vector, Vector, Vector]] = []
    corrections = confirmations = 0
    for examples in people.values():
        mine = [x for x in examples if x.person]
        if not mine:
            continue
        z, y, w = _arrays(examples, opts.weak_weight)
        total = float(w.sum())
        if total > PERSON_CAP:
            w = w * (PERSON_CAP / total)
        chunks.append((z, y, w))
        corrections += len(mine)
        confirmations += len(examples) - len(mine)
    if len(chunks) < min_contributors:
        return None
    z = np.concatenate([c[0] for c in chunks])
    y = np.concatenate([c[1] for c in chunks])
    w = np.concatenate([c[2] for c in chunks])
    bias = solve(z, y, w, np.zeros(_K), opts)
    return Calibration(_tuple(bias), corrections, confirmations)


def _tuple(values: Vector) -> tuple[float, float, float, float]:
    v = [round(float(x), 6) for x in values]
    return (v[0], v[1], v[2], v[3])
