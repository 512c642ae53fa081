"""Per-person and community calibration: the properties a person can see.

- nobody who never corrects is adapted;
- one correction cannot flip a call whose winner leads by more than ``2 / strength`` log units
  (each bias value moves at most ``1 / strength`` from the prior);
- a systematic error corrected again and again is learned;
- a deleted entry leaves no trace (the fit is a function of the remaining entries only);
- the community prior waits for enough contributors and caps a prolific one;
- Newton's method reaches the optimum.

And ``facelog evaluate personal`` end to end on photos that ship inside packages.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from inference.calibration import (
    PERSON_CAP,
    Example,
    FitOptions,
    _arrays,
    calibrate,
    community,
    fit,
    solve,
)
from inference.labels import EMOTIONS, Emotion
from tests.conftest import FACE_PHOTOS, NO_FACE_PHOTOS, package_file

A, H, P, S = Emotion.ANGER, Emotion.HAPPY, Emotion.PANIC, Emotion.SADNESS
#: An angry face the model reads as sadness: sadness 0.50, anger 0.35.
MISREAD = {"anger": 0.35, "happy": 0.05, "panic": 0.10, "sadness": 0.50}


def _top(probabilities: dict[str, float], bias: tuple[float, ...]) -> Emotion:
    calibrated = calibrate(probabilities, bias)
    return max(calibrated, key=calibrated.__getitem__)


def _random_examples(rng: np.random.Generator, n: int, share: float) -> list[Example]:
    out = []
    for probs in rng.dirichlet(np.full(4, 0.7), size=n):
        person = bool(rng.random() < share)
        label = EMOTIONS[int(rng.integers(4))] if person else EMOTIONS[int(probs.argmax())]
        out.append(
            Example.of(
                dict(zip([e.value for e in EMOTIONS], probs, strict=True)), label, person=person
            )
        )
    return out


def test_no_label_of_their_own_leaves_the_reading_unchanged() -> None:
    confirmations = [Example.of(MISREAD, S, person=False) for _ in range(30)]
    assert fit([]).is_neutral
    assert fit(confirmations).is_neutral
    assert fit(confirmations).confirmations == 30
    prior = (0.2, -0.1, 0.3, -0.4)
    assert fit(confirmations, prior).bias == prior
    assert _top(MISREAD, fit(confirmations).bias) is S


@pytest.mark.parametrize("seed", range(8))
def test_one_correction_moves_a_log_odds_at_most_two_over_strength(seed: int) -> None:
    """The definition of "does not flip borderline calls": one more correction changes any
    pairwise log-odds by at most 2/strength log units against the fit on the same entries
    without it (each value by at most 1/strength when it is the only label), so a call whose
    winner leads by more than 2/strength keeps its winner. Strong convexity guarantees it: the
    correction's gradient has length at most √2, the objective's curvature is at least
    ``strength``."""
    rng = np.random.default_rng(seed)
    strength = FitOptions().strength
    prior = rng.normal(0.0, 0.5, 4)
    probs = rng.dirichlet(np.full(4, 0.7))
    label = EMOTIONS[int(probs.argmin())]  # the least likely class: the largest pull
    one = Example.of(dict(zip([e.value for e in EMOTIONS], probs, strict=True)), label, person=True)
    alone = np.asarray(fit([one], prior).bias)
    assert np.max(np.abs(alone - prior)) <= 1.0 / strength + 1e-5
    history = _random_examples(rng, int(rng.integers(1, 60)), 0.3)
    history.append(Example.of(MISREAD, A, person=True))
    before = np.asarray(fit(history, prior).bias)
    after = np.asarray(fit([*history, one], prior).bias)
    moved = after - before
    assert np.max(moved[:, None] - moved[None, :]) <= 2.0 / strength + 1e-5


def test_one_correction_does_not_flip_a_clear_but_borderline_call() -> None:
    strength = FitOptions().strength
    bias = fit([Example.of(MISREAD, A, person=True)]).bias
    # Sadness leads anger by just over 2/strength log units: kept after one correction.
    lead = 2.0 / strength + 0.05
    borderline = {"anger": 0.3, "happy": 0.05, "panic": 0.05}
    borderline["sadness"] = 0.3 * float(np.exp(lead))
    assert _top(borderline, bias) is S


def test_a_systematic_error_corrected_again_and_again_is_learned() -> None:
    happy = {"anger": 0.05, "happy": 0.85, "panic": 0.05, "sadness": 0.05}
    examples = [Example.of(happy, H, person=False) for _ in range(10)]
    for _ in range(8):
        examples.append(Example.of(MISREAD, A, person=True))
        assert _top(happy, fit(examples).bias) is H  # the right calls stay right
    assert _top(MISREAD, fit(examples).bias) is A


def test_a_deleted_entry_leaves_no_trace() -> None:
    rng = np.random.default_rng(7)
    kept = _random_examples(rng, 25, 0.4)
    deleted = [Example.of(MISREAD, A, person=True) for _ in range(5)]
    with_them = fit([*kept[:10], *deleted, *kept[10:]])
    after = fit(kept)
    assert after.bias != with_them.bias
    assert after == fit(list(reversed(kept)))  # order does not matter either
    assert after.corrections == sum(x.person for x in kept)


def test_community_waits_for_enough_contributors() -> None:
    rng = np.random.default_rng(3)
    people: dict[object, list[Example]] = {i: _random_examples(rng, 10, 0.5) for i in range(5)}
    people["silent"] = [Example.of(MISREAD, S, person=False)] * 10  # never corrects: not counted
    assert community(people, min_contributors=6) is None
    prior = community(people, min_contributors=5)
    assert prior is not None and prior.corrections == sum(
        x.person for k, v in people.items() for x in v if k != "silent"
    )


def test_community_caps_a_prolific_person() -> None:
    rng = np.random.default_rng(4)
    people: dict[object, list[Example]] = {i: _random_examples(rng, 8, 0.5) for i in range(20)}
    prolific = [Example.of(MISREAD, A, person=True)] * 60
    once = community(people | {"p": prolific})
    tenfold = community(people | {"p": prolific * 10})
    assert once is not None and tenfold is not None
    assert np.allclose(once.bias, tenfold.bias, atol=1e-5)
    assert PERSON_CAP < 60  # the test is about someone past the cap


def test_newton_reaches_the_optimum() -> None:
    rng = np.random.default_rng(5)
    examples = _random_examples(rng, 200, 0.3)
    options = FitOptions(max_shift=50.0)
    z, y, w = _arrays(examples, options.weak_weight)
    center = np.zeros(4)
    bias = solve(z, y, w, center, options)
    p = np.exp(z + bias)
    p /= p.sum(axis=1, keepdims=True)
    grad = ((p - y) * w[:, None]).sum(axis=0) + options.strength * (bias - center)
    assert np.max(np.abs(grad)) < 1e-6
    longer = solve(z, y, w, center, FitOptions(max_shift=50.0, iterations=200))
    assert np.allclose(bias, longer, atol=1e-7)


# -- facelog evaluate personal, on photos that ship inside packages ------------------------------


def test_evaluate_personal_on_a_tiny_manifest(tmp_path: Path) -> None:
    from inference.evaluation import personal

    photos = tmp_path / "photos"
    photos.mkdir()
    names = {}
    for name, where in {**FACE_PHOTOS, "coffee": NO_FACE_PHOTOS["coffee"]}.items():
        source = package_file(*where)
        names[name] = photos / f"{name}{source.suffix}"
        shutil.copyfile(source, names[name])
    rows = [
        ("photos/" + names["astronaut"].name, "happy", "ann"),  # relative to the CSV
        (str(names["grace_hopper"]), "sadness", "ann"),
        (str(names["coffee"]), "anger", "ann"),  # no face: a wrong reading, no label
        (str(names["astronaut"]), "happy", "bo"),
        (str(names["grace_hopper"]), "panic", "bo"),
        (str(names["grace_hopper"]), "other", "bo"),  # not one of the four: skipped
    ]
    manifest = tmp_path / "people.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label4", "person"])
        writer.writerows(rows)
    out = tmp_path / "out.json"
    args = ["--manifest", str(manifest), "--seeds", "3", "--out", str(out)]
    args += ["--cache", str(tmp_path / "cache"), "--min-contributors", "1"]
    assert personal.main(args) == 0
    result = json.loads(out.read_text())
    assert (result["people"], result["photos"], result["no_face"]) == (2, 5, 1)
    runs = result["runs"]
    assert [(r["method"], r["correct_rate"]) for r in runs] == [
        (m, rate) for rate in (1.0, 0.5) for m in personal.METHODS
    ]
    for run in runs:
        assert set(run) == {
            "method",
            "correct_rate",
            "posts_1_10",
            "posts_11_20",
            "posts_21_plus",
            "all",
        }
        assert run["posts_11_20"] is None and run["posts_21_plus"] is None
        assert run["all"] == run["posts_1_10"] and run["all"] <= 0.8  # the no-face post is wrong
    # The classifier ran once per distinct photo; a rerun reads the cache.
    [cache_file] = (tmp_path / "cache").glob("realface-*.json")  # keyed by the shipped models
    cache = json.loads(cache_file.read_text())
    assert len(cache) == 3 and sum(v is None for v in cache.values()) == 1
