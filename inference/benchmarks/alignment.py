"""How level the aligned eyes are, per detector, on rotated copies of real portraits.

    python -m inference.benchmarks.alignment

Each real portrait is rotated from -40° to +40° in 5° steps and run through the pipeline; the
aligned 224×224 crop is then measured independently: landmarks are fitted again on the crop
(upscaled 2×) and the angle of the eye line is the error. Writes
``inference/benchmarks/results/alignment.json``.
"""

from __future__ import annotations

import io
import json
import time
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from facelog.config import Settings
from inference.align import to_uint8
from inference.detect import DlibDetector, eye_angle
from inference.pipeline import FacePipeline

RESULTS = Path(__file__).parent / "results"
PORTRAITS = {
    "astronaut": ("scikit-image", "skimage/data/astronaut.png"),
    "grace_hopper": ("matplotlib", "matplotlib/mpl-data/sample_data/grace_hopper.jpg"),
}
ANGLES = range(-40, 41, 5)


def _portrait(distribution: str, relative: str) -> Image.Image:
    path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    return Image.open(path).convert("RGB")


def measure(detector: str, checker: DlibDetector) -> dict[str, float | int]:
    pipeline = FacePipeline.from_settings(Settings(detector=detector))  # type: ignore[arg-type]
    errors: list[float] = []
    missed = 0
    detect_ms: list[float] = []
    for where in PORTRAITS.values():
        portrait = _portrait(*where)
        for degrees in ANGLES:
            tilted = portrait.rotate(
                degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(128, 128, 128)
            )
            buffer = io.BytesIO()
            tilted.save(buffer, "JPEG", quality=92)
            analysis = pipeline.analyze_sync(buffer.getvalue())
            detect_ms.append(analysis.timings.detect)
            if analysis.face is None:
                missed += 1
                continue
            crop = np.asarray(
                cv2.resize(to_uint8(analysis.aligned), (448, 448), interpolation=cv2.INTER_CUBIC),
                dtype=np.uint8,
            )
            found = checker.detect(crop)
            if not found:
                missed += 1
                continue
            gray = np.asarray(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
            errors.append(abs(eye_angle(checker.landmarks(gray, found[0].box))))
    pipeline.close()
    return {
        "photos": len(PORTRAITS) * len(ANGLES),
        "missed": missed,
        "eye_angle_error_mean_deg": round(float(np.mean(errors)), 2),
        "eye_angle_error_p90_deg": round(float(np.percentile(errors, 90)), 2),
        "eye_angle_error_max_deg": round(float(np.max(errors)), 2),
        "detect_ms_p50": round(float(np.median(detect_ms)), 1),
    }


def main() -> None:
    checker = DlibDetector(detect_max_side=448, upsample=1)
    t0 = time.perf_counter()
    results = {name: measure(name, checker) for name in ("dlib", "seed", "mtcnn")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "alignment.json"
    out.write_text(json.dumps({"angles": list(ANGLES), "detectors": results}, indent=2) + "\n")
    print("| detector | missed | eye-angle error mean / p90 / max | detect p50 |")
    for name, r in results.items():
        print(
            f"| {name} | {r['missed']}/{r['photos']} | {r['eye_angle_error_mean_deg']}° / "
            f"{r['eye_angle_error_p90_deg']}° / {r['eye_angle_error_max_deg']}° | "
            f"{r['detect_ms_p50']} ms |"
        )
    print(f"wrote {out} in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
