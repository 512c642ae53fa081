"""``facelog evaluate personal``: does learning each face pay, post by post?

Each person posts their own photos one after another, in a random order, as they would to the
bot. At post *n* the bot shows ``argmax(log p + bias)``, where the bias was fitted by the
product's own :mod:`inference.calibration` on that person's posts before *n*. The person corrects
a misread with probability ``R``; a reading left standing is a weak confirmation. The bias is
refit after **every** post (each post adds a confirmation or a correction, so the bot refits
whenever an entry is saved, corrected or deleted). Four methods are compared on the very same
orders and the same correction draws:

- ``generic``: the classifier's reading, never adapted;
- ``personal``: a bias fitted on the person's own labels, starting from zero;
- ``community``: the bias learned from the *other* people's simulated corrections and
  confirmations (leave one person out), never adapted further;
- ``community+personal``: the person's own fit on top of, and pulled toward, that prior.

The community prior is learned from the others' ``personal`` runs (their labels before any
community prior existed), with the same seed and correct rate, through
:func:`inference.calibration.community`. A photo with no face found counts as a wrong reading
and gives no label (the bot answers with its generic no-face reply).

The classifier runs once per photo through the real pipeline (decode, detection, alignment,
classification, as ``facelog analyze`` does); its four probabilities, rounded to 4 decimals as
the bot stores them, are cached by the photo's SHA-256 so reruns only simulate.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from inference.calibration import MIN_CONTRIBUTORS, Example, FitOptions, community, fit
from inference.labels import EMOTIONS, Emotion

METHODS: tuple[str, ...] = ("generic", "personal", "community", "community+personal")
#: Windows of a person's posts, 1-based and inclusive (``None``: no end).
WINDOWS: tuple[tuple[str, int, int | None], ...] = (
    ("posts_1_10", 1, 10),
    ("posts_11_20", 11, 20),
    ("posts_21_plus", 21, None),
)
DEFAULT_RATES: tuple[float, ...] = (1.0, 0.5)
DEFAULT_SEEDS = 20
REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).with_name("results")
#: realfaces source → the group name the tables show.
GROUPS: dict[str, str] = {"ckplus48": "CK+", "jaffe": "JAFFE", "yale": "Yale"}
_INDEX = {e: i for i, e in enumerate(EMOTIONS)}
LogProbs = tuple[float, float, float, float]


@dataclass(frozen=True)
class Photo:
    """One row of a manifest: a photo, its true emotion, whose face it is."""

    path: Path
    label: Emotion
    person: str
    group: str = ""


@dataclass(frozen=True)
class Reading:
    """A photo and what the classifier read: four log-probabilities, or None for no face."""

    photo: Photo
    log_probs: LogProbs | None


@dataclass
class Tally:
    """Hits and posts per window, for one method (summed over people and seeds)."""

    hits: dict[str, int] = field(default_factory=lambda: {w[0]: 0 for w in WINDOWS})
    posts: dict[str, int] = field(default_factory=lambda: {w[0]: 0 for w in WINDOWS})

    def add(self, position: int, hit: bool) -> None:
        window = _window(position)
        self.hits[window] += hit
        self.posts[window] += 1

    def accuracies(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {
            name: (round(self.hits[name] / self.posts[name], 4) if self.posts[name] else None)
            for name, _, _ in WINDOWS
        }
        total = sum(self.posts.values())
        out["all"] = round(sum(self.hits.values()) / total, 4) if total else None
        return out


def _window(position: int) -> str:
    for name, first, last in WINDOWS:
        if position >= first and (last is None or position <= last):
            return name
    raise ValueError(position)


# -- photos -------------------------------------------------------------------------------------


def read_manifest(path: Path) -> list[Photo]:
    """``path,label4,person`` rows (an optional ``group`` column too); relative paths are
    relative to the CSV. Rows whose label is not one of the four emotions are skipped: the bot
    has no right answer for them."""
    photos: list[Photo] = []
    names = {e.value for e in EMOTIONS}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            label = (row.get("label4") or "").strip()
            if label not in names:
                continue
            where = Path(row["path"])
            photos.append(
                Photo(
                    where if where.is_absolute() else path.parent / where,
                    Emotion(label),
                    row["person"].strip(),
                    (row.get("group") or "").strip(),
                )
            )
    return photos


def realfaces_people(root: Path | None = None) -> list[Photo]:
    """The realfaces ``val_lab`` people: CK+ subjects, JAFFE posers and Yale subjects whom the
    shipped model never saw (its training used ``train``, whose people are disjoint). The
    ``train`` people are left out: the shipped classifier learned their faces."""
    from inference.evaluation.realfaces import load_manifest, require_root

    root = require_root(root)
    names = {e.value for e in EMOTIONS}
    return [
        Photo(root / row.path, Emotion(row.label), row.group, GROUPS.get(row.source, row.source))
        for row in load_manifest(root, ("val_lab",))
        if row.label in names
    ]


def _models_fingerprint() -> str:
    """A short hash of the shipped models' checksums and the default recipe: a new model or
    new weights in the recipe must never be answered from an old model's cache."""
    models = Path(__file__).resolve().parent.parent / "models"
    digest = hashlib.sha256()
    for path in sorted(models.glob("*.sha256")) + sorted(models.glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def default_cache_dir() -> Path:
    return REPO_ROOT / ".cache" / "personal"


def classify(
    photos: Sequence[Photo], classifier: str = "realface", cache_dir: Path | None = None
) -> list[Reading]:
    """Each photo's four log-probabilities from the shipped pipeline, cached by content.

    The probabilities are rounded to 4 decimals first, as the bot stores them, so the simulation
    calibrates exactly what the product would have on file.
    """
    from inference.calibration import log_probabilities

    cache_file = (cache_dir or default_cache_dir()) / f"{classifier}-{_models_fingerprint()}.json"
    cache: dict[str, list[float] | None] = (
        json.loads(cache_file.read_text(encoding="utf-8")) if cache_file.is_file() else {}
    )
    keys = [hashlib.sha256(p.path.read_bytes()).hexdigest() for p in photos]
    missing = sorted({k for k in keys if k not in cache})
    if missing:
        wanted = {k: p for k, p in zip(keys, photos, strict=True) if k in set(missing)}
        cache.update(_run_pipeline(wanted, classifier))
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_text(json.dumps(cache, sort_keys=True), encoding="utf-8")
    readings: list[Reading] = []
    for key, photo in zip(keys, photos, strict=True):
        probs = cache[key]
        if probs is None:
            readings.append(Reading(photo, None))
        else:
            logs = log_probabilities(probs)
            readings.append(Reading(photo, (logs[0], logs[1], logs[2], logs[3])))
    return readings


def _run_pipeline(photos: Mapping[str, Photo], classifier: str) -> dict[str, list[float] | None]:
    """The probabilities ``facelog analyze`` would show (default detector), or None: no face."""
    from inference.detect import create_detector
    from inference.image import ImageError
    from inference.pipeline import FacePipeline, named_classifier

    pipeline = FacePipeline(create_detector("dlib"), named_classifier(classifier))
    out: dict[str, list[float] | None] = {}
    try:
        keys = list(photos)
        for start in range(0, len(keys), 32):
            chunk = keys[start : start + 32]
            results = pipeline.analyze_batch_sync([photos[k].path.read_bytes() for k in chunk])
            for key, result in zip(chunk, results, strict=True):
                if isinstance(result, ImageError) or result.face is None:
                    out[key] = None
                else:
                    out[key] = [round(result.probabilities[e], 4) for e in EMOTIONS]
    finally:
        pipeline.close()
    return out


# -- simulation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One post in a person's simulated order, with the draw that decides a correction."""

    z: npt.NDArray[np.float64] | None
    label: int
    draw: float


def person_posts(readings: Sequence[Reading], seed: int, index: int) -> list[Post]:
    """The person's photos in this seed's random order, each with its uniform draw: the same
    for every method, so methods differ only by what they show."""
    rng = np.random.default_rng([seed, index])
    order = rng.permutation(len(readings))
    draws = rng.random(len(readings))
    posts: list[Post] = []
    for k, i in enumerate(order):
        r = readings[int(i)]
        z = None if r.log_probs is None else np.asarray(r.log_probs, dtype=np.float64)
        posts.append(Post(z, _INDEX[r.photo.label], float(draws[k])))
    return posts


def simulate(
    posts: Sequence[Post],
    rate: float,
    prior: Sequence[float] | None,
    options: FitOptions | None,
    *,
    adapt: bool = True,
) -> tuple[list[bool], list[Example]]:
    """One person's run: whether each post's shown reading was right, and the labels it left.

    The bias starts at ``prior`` (zero when None); with ``adapt`` it is refit on all labels so
    far after every post, exactly as the bot refits when an entry is saved or corrected.
    """
    start = np.zeros(len(EMOTIONS)) if prior is None else np.asarray(prior, dtype=np.float64)
    bias = start
    examples: list[Example] = []
    hits: list[bool] = []
    for post in posts:
        if post.z is None:
            hits.append(False)
            continue
        shown = int(np.argmax(post.z + bias))
        hit = shown == post.label
        hits.append(hit)
        logs = (float(post.z[0]), float(post.z[1]), float(post.z[2]), float(post.z[3]))
        if not hit and post.draw < rate:
            examples.append(Example(logs, EMOTIONS[post.label], person=True))
        else:
            examples.append(Example(logs, EMOTIONS[shown], person=False))
        if adapt:
            bias = fit(examples, start, options).as_array()
    return hits, examples


def default_min_contributors(people: int) -> int:
    """The product waits for :data:`MIN_CONTRIBUTORS` people; a smaller evaluation set (one
    person left out) cannot reach that, so it asks for a fifth of the others, at least 2."""
    return min(MIN_CONTRIBUTORS, max(2, (people - 1) // 5))


@dataclass
class Outcome:
    """Per method and correct rate: the tallies overall and per group, and how often the
    held-out person had a community prior at all."""

    tallies: dict[tuple[str, float, str], Tally]
    with_prior: dict[float, list[int]]  # rate → [runs with a prior, runs]


def evaluate(
    readings: Sequence[Reading],
    rates: Sequence[float] = DEFAULT_RATES,
    seeds: int = DEFAULT_SEEDS,
    options: FitOptions | None = None,
    *,
    min_contributors: int | None = None,
    community_options: FitOptions | None = None,
) -> Outcome:
    """Every method, rate and seed; tallies keyed by (method, rate, group), group "" = all."""
    by_person: dict[str, list[Reading]] = {}
    for r in readings:
        by_person.setdefault(r.photo.person, []).append(r)
    people = sorted(by_person)
    group = {p: by_person[p][0].photo.group for p in people}
    needed = default_min_contributors(len(people)) if min_contributors is None else min_contributors
    tallies: dict[tuple[str, float, str], Tally] = {}
    with_prior: dict[float, list[int]] = {}

    def record(method: str, rate: float, person: str, hits: Iterable[bool]) -> None:
        for key in ((method, rate, ""), (method, rate, group[person])):
            tally = tallies.setdefault(key, Tally())
            for n, hit in enumerate(hits, start=1):
                tally.add(n, hit)

    for rate in rates:
        counts = with_prior.setdefault(rate, [0, 0])
        for seed in range(seeds):
            posts = {p: person_posts(by_person[p], seed, i) for i, p in enumerate(people)}
            own = {p: simulate(posts[p], rate, None, options) for p in people}
            for person in people:
                generic = [
                    x.z is not None and int(np.argmax(x.z)) == x.label for x in posts[person]
                ]
                record("generic", rate, person, generic)
                record("personal", rate, person, own[person][0])
                others: dict[object, Sequence[Example]] = {
                    q: own[q][1] for q in people if q != person
                }
                prior = community(others, community_options, min_contributors=needed)
                counts[1] += 1
                if prior is None:
                    record("community", rate, person, generic)
                    record("community+personal", rate, person, own[person][0])
                    continue
                counts[0] += 1
                fixed, _ = simulate(posts[person], rate, prior.bias, options, adapt=False)
                record("community", rate, person, fixed)
                both, _ = simulate(posts[person], rate, prior.bias, options)
                record("community+personal", rate, person, both)
    return Outcome(tallies, with_prior)


def runs(outcome: Outcome, group: str = "") -> list[dict[str, Any]]:
    """The issue's ``runs`` list for one group ("" = everyone)."""
    out: list[dict[str, Any]] = []
    rates = sorted({rate for _, rate, _ in outcome.tallies}, reverse=True)
    for rate in rates:
        for method in METHODS:
            tally = outcome.tallies.get((method, rate, group))
            if tally is None:
                continue
            out.append({"method": method, "correct_rate": rate, **tally.accuracies()})
    return out


def render_table(results: Mapping[str, Any]) -> str:
    """A Markdown table: one row per group, correct rate and method."""
    lines = [
        "| people | correct rate | method | posts 1–10 | posts 11–20 | posts 21+ | all |",
        "|---|---|---|---|---|---|---|",
    ]
    sections = [("all", results)] + [
        (name, part) for name, part in sorted(results.get("groups", {}).items())
    ]
    for name, part in sections:
        who = f"{name} ({part['people']} people, {part['photos']} photos)"
        for run in part["runs"]:
            cells = [_cell(run[w]) for w in ("posts_1_10", "posts_11_20", "posts_21_plus", "all")]
            lines.append(
                f"| {who} | {run['correct_rate']:g} | {run['method']} | {' | '.join(cells)} |"
            )
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def summarise(readings: Sequence[Reading], outcome: Outcome, **extra: Any) -> dict[str, Any]:
    """The JSON the issue specifies, plus per-group runs and how the run was made."""
    groups = sorted({r.photo.group for r in readings if r.photo.group})
    result: dict[str, Any] = {
        "people": len({r.photo.person for r in readings}),
        "photos": len(readings),
        "runs": runs(outcome),
    }
    if len(groups) > 1:
        result["groups"] = {
            g: {
                "people": len({r.photo.person for r in readings if r.photo.group == g}),
                "photos": sum(1 for r in readings if r.photo.group == g),
                "runs": runs(outcome, g),
            }
            for g in groups
        }
    result["community_prior_used"] = {
        f"{rate:g}": round(used / total, 4) if total else None
        for rate, (used, total) in sorted(outcome.with_prior.items(), reverse=True)
    }
    result["no_face"] = sum(1 for r in readings if r.log_probs is None)
    return result | extra


def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import platform
    import time
    from datetime import UTC, datetime

    parser = argparse.ArgumentParser(
        prog="facelog evaluate personal",
        description="Simulate people posting their own photos and correcting misreads: accuracy "
        "of the generic reading, per-person calibration, the community prior (leave one person "
        "out) and both, over posts 1–10, 11–20 and 21+.",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="CSV with path,label4,person (optional group); default: the realfaces val_lab "
        "people (CK+, JAFFE, Yale)",
    )
    parser.add_argument(
        "--correct-rate",
        type=float,
        action="append",
        default=None,
        help="probability that a misread is corrected (repeatable; default 1.0 and 0.5)",
    )
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="random orders per person")
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    parser.add_argument(
        "--min-contributors",
        type=int,
        default=None,
        help="people with a label the community prior needs (default: the product's 20, or a "
        "fifth of the others for a smaller set)",
    )
    parser.add_argument("--classifier", default="realface", help="a shipped classifier's name")
    parser.add_argument("--data", type=Path, default=None, help="the realfaces folder")
    parser.add_argument("--cache", type=Path, default=None, help="classifier outputs cache")
    args = parser.parse_args(argv)
    rates = tuple(args.correct_rate) if args.correct_rate else DEFAULT_RATES
    if any(not 0.0 <= r <= 1.0 for r in rates):
        parser.error("--correct-rate must lie in [0, 1]")
    photos = read_manifest(args.manifest) if args.manifest else realfaces_people(args.data)
    if not photos:
        parser.error("no photo with one of the four emotions in the manifest")
    readings = classify(photos, args.classifier, args.cache)
    people = len({p.person for p in photos})
    needed = args.min_contributors or default_min_contributors(people)
    started = time.perf_counter()
    options = FitOptions()
    outcome = evaluate(readings, rates, args.seeds, options, min_contributors=needed)
    results = summarise(
        readings,
        outcome,
        data=str(args.manifest) if args.manifest else "realfaces val_lab (CK+, JAFFE, Yale)",
        classifier=args.classifier,
        seeds=args.seeds,
        min_contributors=needed,
        refit="after every post",
        fit_options={
            "strength": options.strength,
            "weak_weight": options.weak_weight,
            "max_shift": options.max_shift,
        },
        simulate_s=round(time.perf_counter() - started, 2),
        command=" ".join(["facelog evaluate personal", *(argv or [])]),
        measured=datetime.now(UTC).strftime("%Y-%m-%d"),
        machine=f"{platform.machine()} {platform.system()}",
    )
    print(render_table(results))
    out = args.out or (RESULTS / "personal.json" if args.manifest is None else None)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
