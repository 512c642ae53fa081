"""Which part of the aligned face a FER-style classifier should see, measured on real photos.

    python -m inference.benchmarks.crop [--classifier fer|ferplus] [--include-restricted]

FER2013/FER+ crops are tight: the face fills the frame. The pipeline's aligned 224×224 frame
shows the whole head (inter-eye distance 0.3 of the width), so each classifier takes a central
fraction of it (``InputSpec.crop``). Every labeled photo of the evaluation set is detected and
aligned once, then classified at each fraction; reported per fraction: 4-class accuracy, mean
probability of the true class, and for faces labeled "other" the mean ``other`` mass. Writes
``inference/benchmarks/results/crop-<classifier>.json``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from facelog.config import Settings
from inference.classifier import ModelClassifier, load_fer
from inference.detect import create_detector
from inference.evaluation.dataset import iter_samples, load_manifest
from inference.labels import EMOTIONS, four_class
from inference.pipeline import FacePipeline

RESULTS = Path(__file__).parent / "results"
FRACTIONS = (0.55, 0.65, 0.75, 0.85, 1.0)


def _classifier(name: str) -> ModelClassifier:
    if name == "ferplus":
        from inference.ferplus_model import load_ferplus

        return load_ferplus()
    return load_fer()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--classifier", choices=["fer", "ferplus"], default="fer")
    parser.add_argument("--include-restricted", action="store_true")
    args = parser.parse_args()
    records = [
        r for r in load_manifest() if r.has_face and (args.include_restricted or not r.restricted)
    ]
    classifier = _classifier(args.classifier)
    pipeline = FacePipeline(create_detector(Settings(_env_file=None).detector), classifier)  # type: ignore[call-arg]
    faces, labels = [], []
    for sample in iter_samples(records):
        located = pipeline.locate(sample.data)
        if located.aligned is not None:
            faces.append(located.aligned)
            labels.append(sample.label)
    pipeline.close()
    stack = np.stack(faces)
    four = [i for i, label in enumerate(labels) if label in {e.value for e in EMOTIONS}]
    other = [i for i, label in enumerate(labels) if label == "other"]
    results = {}
    for fraction in FRACTIONS:
        classifier.spec = replace(classifier.spec, crop=fraction)
        scores = classifier.predict(stack)
        probs = four_class(scores)
        truth = [EMOTIONS.index(next(e for e in EMOTIONS if e.value == labels[i])) for i in four]
        predicted = probs[four].argmax(axis=1)
        results[str(fraction)] = {
            "accuracy_4": round(float(np.mean(predicted == np.array(truth))), 4),
            "true_class_probability": round(float(np.mean(probs[four, truth])), 4),
            "other_mass_on_other_faces": round(float(np.mean(scores[other, -1])), 4),
        }
    report = {
        "classifier": classifier.name,
        "faces_four_classes": len(four),
        "faces_other": len(other),
        "include_restricted": args.include_restricted,
        "by_crop": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "-with-restricted" if args.include_restricted else ""
    out = RESULTS / f"crop-{args.classifier}{suffix}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{classifier.name}: {len(four)} faces with one of the four emotions, {len(other)} other")
    print("| crop | 4-class accuracy | mean p(true class) | mean 'other' on other faces |")
    for shown, r in results.items():
        print(
            f"| {shown} | {r['accuracy_4']:.1%} | {r['true_class_probability']:.3f} | "
            f"{r['other_mass_on_other_faces']:.3f} |"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
