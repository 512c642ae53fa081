"""A tiny AI-Hub-format dataset built from real face photos that ship inside packages.

Boxes come from the dlib detector; labels are assigned here. Each class is one face with its own
colour cast (astronaut / Grace Hopper, natural or tinted), so a model can learn the split in a
few steps, while every photo still goes through the real detector and alignment. Alongside the
clean rows are the rows the seed calls outliers (one or no annotator agreeing with the
uploader), a label outside the four classes, a photo that is missing and a repeated record.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from inference.detect import DlibDetector
from inference.labels import KOREAN, Emotion
from tests.conftest import FACE_PHOTOS, package_file

#: class → (photo, RGB gain): four visibly different faces.
LOOKS: dict[Emotion, tuple[str, tuple[float, float, float]]] = {
    Emotion.HAPPY: ("astronaut", (1.0, 1.0, 1.0)),
    Emotion.ANGER: ("astronaut", (1.0, 0.45, 0.45)),
    Emotion.SADNESS: ("grace_hopper", (1.0, 1.0, 1.0)),
    Emotion.PANIC: ("grace_hopper", (0.45, 0.6, 1.0)),
}
SCALES = (1.0, 0.92, 1.08, 0.85)


@dataclass
class ToySet:
    root: Path
    labels: Path
    images: Path
    clean: dict[Emotion, int]  # rows kept by the seed's rule, per class
    outliers: dict[int, int]  # annotators agreeing with the uploader → rows


def _photo(name: str) -> Image.Image:
    return Image.open(package_file(*FACE_PHOTOS[name])).convert("RGB")


def _variant(image: Image.Image, gain: tuple[float, float, float], scale: float) -> Image.Image:
    size = (round(image.width * scale), round(image.height * scale))
    pixels = np.asarray(image.resize(size, Image.Resampling.LANCZOS), dtype=np.float32)
    tinted = np.clip(pixels * np.asarray(gain, dtype=np.float32), 0, 255).astype(np.uint8)
    return Image.fromarray(tinted)


def _boxes(box: tuple[int, int, int, int], rng: np.random.Generator) -> list[dict[str, float]]:
    """Three annotators' boxes around the detector's: a few pixels apart, as people draw them."""
    x, y, w, h = box
    out = []
    for _ in range(3):
        dx0, dy0, dx1, dy1 = rng.uniform(-4, 4, size=4)
        out.append({"minX": x + dx0, "minY": y + dy0, "maxX": x + w + dx1, "maxY": y + h + dy1})
    return out


def _record(
    name: str, uploader: str, votes: list[str], boxes: list[dict[str, float]], flat: bool
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "filename": name,
        "gender": "여",
        "age": 30,
        "isProf": "일반인",
        "faceExp_uploader": uploader,
        "bg_uploader": "실내",
    }
    for who, vote, box in zip(("annot_A", "annot_B", "annot_C"), votes, boxes, strict=True):
        if flat:  # the seed's slides: pandas-flattened keys
            row.update({f"{who}.boxes {k}": v for k, v in box.items()})
            row.update({f"{who}.faceExp": vote, f"{who}.bg": "실내"})
        else:  # the raw files: nested objects
            row[who] = {"boxes": box, "faceExp": vote, "bg": "실내"}
    return row


def build(root: Path, copies: int = 4, seed: int = 0) -> ToySet:
    """Labels in ``root/labels`` (two JSON files, both spellings), photos in ``root/photos``."""
    rng = np.random.default_rng(seed)
    detector = DlibDetector()
    labels_dir, photos_dir = root / "labels", root / "photos"
    labels_dir.mkdir(parents=True)
    photos_dir.mkdir(parents=True)
    rows: list[dict[str, Any]] = []
    clean: dict[Emotion, int] = {}
    korean = {e: KOREAN[e] for e in Emotion}
    for emotion, (photo, gain) in LOOKS.items():
        base = _photo(photo)
        for i in range(copies + 2):
            image = _variant(base, gain, SCALES[i % len(SCALES)] * (1 + 0.01 * i))
            faces = detector.detect(np.asarray(image))
            assert faces, f"the detector lost {photo}"
            b = faces[0].box
            name = f"{emotion.value}-{i:02d}.jpg"
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=90 - i)
            (photos_dir / name).write_bytes(buffer.getvalue())
            own = korean[emotion]
            other = korean[Emotion.HAPPY if emotion is not Emotion.HAPPY else Emotion.SADNESS]
            third = korean[Emotion.PANIC if emotion is not Emotion.PANIC else Emotion.ANGER]
            if i < copies:  # clean: all agree, or two of three
                votes = [own, own, own] if i % 2 == 0 else [own, other, own]
                clean[emotion] = clean.get(emotion, 0) + 1
            elif i == copies:  # one annotator agrees: "2 mismatch"
                votes = [other, own, other]
            else:  # nobody agrees: "3 mismatch"
                votes = [other, third, other]
            rows.append(
                _record(name, own, votes, _boxes((b.x, b.y, b.width, b.height), rng), i % 2 == 1)
            )
    # A label outside the four classes, a missing photo and a repeated record.
    any_box = _boxes((10, 10, 50, 50), rng)
    rows.append(_record("neutral-00.jpg", "중립", ["중립"] * 3, any_box, False))
    rows.append(
        _record("gone-00.jpg", korean[Emotion.HAPPY], [korean[Emotion.HAPPY]] * 3, any_box, False)
    )
    rows.append(rows[0])
    half = len(rows) // 2
    (labels_dir / "img_emotion_training_data(1).json").write_text(
        json.dumps(rows[:half], ensure_ascii=False), encoding="utf-8"
    )
    (labels_dir / "img_emotion_training_data(2).json").write_text(
        json.dumps(rows[half:], ensure_ascii=False), encoding="utf-8-sig"
    )
    outliers = {1: len(LOOKS), 0: len(LOOKS)}
    return ToySet(root, labels_dir, photos_dir, clean, outliers)


def build_folders(root: Path) -> Path:
    """The same four faces in a folder per class (Korean and English names), plus an extra
    class folder that must be skipped."""
    for emotion, (photo, gain) in LOOKS.items():
        folder = root / (
            KOREAN[emotion] if emotion in (Emotion.ANGER, Emotion.PANIC) else emotion.value
        )
        folder.mkdir(parents=True)
        _variant(_photo(photo), gain, 0.95).save(folder / "face.png")
    (root / "중립").mkdir()
    _photo("astronaut").save(root / "중립" / "calm.png")
    return root
