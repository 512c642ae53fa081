"""Labeled Korean faces for training: AI-Hub "한국인 감정인식을 위한 복합 영상" and plain folders.

Why it is built this way:

* Two layouts are read. AI-Hub ships JSON records (``filename``, ``faceExp_uploader``, three
  annotators ``annot_A/B/C`` with a face box and a ``faceExp`` each) next to the photos; the
  seed's slides show them flattened (``"annot_A.boxes maxX"``), the raw files nest them
  (``annot_A → boxes → maxX``): both parse to the same :class:`Record`. A folder per class
  (``anger/``, ``분노/`` …) is the other layout, for anyone's own photos.
* Label cleaning follows the seed's EDA: the label is the uploader's, and a photo is kept when at
  least two of the three annotators chose it too; "2 mismatch" (one annotator agrees) and
  "3 mismatch" (none does) are outliers. ``consensus="majority"`` instead takes whatever two or
  more annotators agree on. Everything dropped is counted, by reason, in a :class:`DataReport`.
* Faces are framed exactly as the bot frames a selfie: MTCNN keypoints (searched inside the
  annotators' averaged box, the seed's recipe), eyes level, inter-eye scaling, nose tip centred,
  224×224 (:mod:`inference.align`). A model only works on faces framed the way it was trained on.
* Aligning thousands of multi-megapixel photos takes a while on a CPU, so each aligned crop is
  cached as a PNG (a person can look at it) keyed by the photo's sha256, the box, the keypoint
  source and the alignment constants: a second run, or a run with other training options,
  re-reads the crops; a changed photo or a changed alignment recipe misses the cache by itself.
* Class balancing caps every class at the smallest one (as the seed did: 1102 each), preferring
  photos all three annotators agreed on, or leaves the data as it is for class weights.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from inference import align
from inference.detect import (
    Box,
    DetectedFace,
    DlibDetector,
    FaceDetector,
    Landmarks,
    MtcnnDetector,
    SeedDetector,
    create_detector,
)
from inference.ferplus_model import file_sha256
from inference.image import ImageError, decode_image
from inference.labels import EMOTIONS, KOREAN, Emotion

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Aligned crops live here unless ``--cache`` says otherwise (``.cache/`` is gitignored).
DEFAULT_CACHE = REPO_ROOT / ".cache" / "aihub-aligned"
#: Bump when the way a crop is made changes in a way the key below does not capture.
PREPROCESS_VERSION = 1
ANNOTATORS: tuple[str, ...] = ("annot_A", "annot_B", "annot_C")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})

Consensus = Literal["uploader", "majority"]
Balance = Literal["cap", "weights", "none"]
U8 = npt.NDArray[np.uint8]

#: Every spelling of a class a dataset may use: Facelog's names and AI-Hub's Korean ones.
LABEL_NAMES: Mapping[str, Emotion] = {
    **{e.value: e for e in EMOTIONS},
    **{korean: e for e, korean in KOREAN.items()},
}


def parse_label(value: object) -> Emotion | None:
    """One of the four emotions, or ``None`` for anything else (AI-Hub's 불안, 상처, 중립 …).

    Names are NFC-normalised: folders unpacked on a Mac spell 분노 in decomposed jamo.
    """
    if not isinstance(value, str):
        return None
    return LABEL_NAMES.get(unicodedata.normalize("NFC", value).strip().lower())


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Annotation:
    """One annotator's face box (picture pixels) and emotion, as written in the file."""

    box: tuple[float, float, float, float] | None  # min x, min y, max x, max y
    label: str | None


@dataclass(frozen=True)
class Record:
    """One AI-Hub label record: the uploader's label and three annotators' opinions."""

    filename: str
    uploader: str | None
    annotations: tuple[Annotation, ...]


def _flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; ``"annot_A.boxes maxX"`` and ``annot_A.boxes.maxX`` agree."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = ".".join(str(key).split())
        name = f"{prefix}.{name}" if prefix else name
        if isinstance(value, Mapping):
            out.update(_flatten(value, name))
        else:
            out[name] = value
    return out


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_record(row: Mapping[str, Any]) -> Record:
    """A record in either spelling; a missing or broken box reads as ``None``."""
    flat = _flatten(row)
    filename = flat.get("filename")
    if not isinstance(filename, str) or not filename.strip():
        raise ValueError("record without a filename")
    annotations = []
    for who in ANNOTATORS:
        coords = [_number(flat.get(f"{who}.boxes.{k}")) for k in ("minX", "minY", "maxX", "maxY")]
        box: tuple[float, float, float, float] | None = None
        if all(c is not None for c in coords):
            x0, y0, x1, y1 = (float(c) for c in coords if c is not None)
            box = (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None
        label = flat.get(f"{who}.faceExp")
        annotations.append(Annotation(box, label if isinstance(label, str) else None))
    uploader = flat.get("faceExp_uploader", flat.get("emotion"))
    return Record(
        filename=Path(filename.strip()).name,
        uploader=uploader if isinstance(uploader, str) else None,
        annotations=tuple(annotations),
    )


def _rows(document: Any) -> list[Mapping[str, Any]]:
    """A list of records, one record, or an object wrapping a list of records."""
    if isinstance(document, list):
        return [row for row in document if isinstance(row, Mapping)]
    if isinstance(document, Mapping):
        if "filename" in document:
            return [document]
        for value in document.values():
            if isinstance(value, list) and value and isinstance(value[0], Mapping):
                return [row for row in value if isinstance(row, Mapping)]
    return []


def read_label_file(path: Path) -> list[Record]:
    """Records of one JSON file (UTF-8 with or without BOM; CP949 as AI-Hub sometimes ships)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp949"):
        try:
            document = json.loads(raw.decode(encoding))
            break
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
    else:
        raise ValueError(f"{path} is not JSON in UTF-8 or CP949")
    records = []
    for row in _rows(document):
        try:
            records.append(parse_record(row))
        except ValueError:
            continue
    return records


# --------------------------------------------------------------------------------------------
# Label consensus and the report of what was kept
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One labeled photo that survived cleaning; ``agree`` is how many annotators chose it."""

    path: Path
    emotion: Emotion
    box: Box | None = None
    agree: int = 3


def average_box(annotations: Sequence[Annotation]) -> Box | None:
    """The mean of the annotators' boxes (the seed cropped by it); ``None`` if nobody drew one."""
    boxes = np.array([a.box for a in annotations if a.box is not None], dtype=np.float64)
    if len(boxes) == 0:
        return None
    x0, y0, x1, y1 = boxes.mean(axis=0)
    return Box(round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0)))


def _name(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip().lower()


def consensus(record: Record, rule: Consensus = "uploader") -> tuple[Emotion | None, int, str]:
    """The record's label, how many annotators agree with it, and the label as written.

    ``uploader`` (the seed): the label is the uploader's and counts if ≥ 2 annotators chose it.
    ``majority``: the label is what most annotators chose, whatever the uploader said. The label
    is ``None`` when it is outside the four classes; the caller drops ``agree < 2``.
    """
    votes: list[Emotion | str] = [
        parse_label(a.label) or _name(a.label) for a in record.annotations if a.label
    ]
    if rule == "uploader":
        label = parse_label(record.uploader)
        agree = sum(1 for v in votes if label is not None and v == label)
        return label, agree, _name(record.uploader or "none")
    if not votes:
        return None, 0, "none"
    winner, agree = Counter(votes).most_common(1)[0]
    if isinstance(winner, Emotion):
        return winner, agree, winner.value
    return None, agree, winner


@dataclass
class DataReport:
    """What a dataset held and what was dropped, by reason; printed and saved with a run."""

    source: str
    layout: str
    records: int = 0
    #: class → how many annotators agreed with the label (3, 2, 1, 0) → photos.
    agreement: dict[str, dict[int, int]] = field(default_factory=dict)
    dropped: Counter[str] = field(default_factory=Counter)
    #: labels outside the four classes (AI-Hub's 불안, 상처, 중립 …) → photos.
    outside: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    aligned: Counter[str] = field(default_factory=Counter)  # how: cached / mtcnn / dlib …
    balanced: dict[str, int] = field(default_factory=dict)

    def count_agreement(self, emotion: Emotion, agree: int) -> None:
        row = self.agreement.setdefault(emotion.value, {3: 0, 2: 0, 1: 0, 0: 0})
        row[min(agree, 3)] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "layout": self.layout,
            "records": self.records,
            "agreement": {k: {str(a): n for a, n in v.items()} for k, v in self.agreement.items()},
            "dropped": dict(self.dropped),
            "outside": dict(self.outside),
            "kept": dict(self.kept),
            "aligned": dict(self.aligned),
            "balanced": self.balanced,
        }

    def table(self) -> str:
        """The seed's EDA table (annotators agreeing per class) plus every reason to drop."""
        lines = [f"{self.source} ({self.layout}): {self.records} records"]
        if self.agreement:
            lines.append("| annotators agreeing | 3 | 2 | 1 (outlier) | 0 (outlier) |")
            lines.append("|---|---|---|---|---|")
            for emotion in EMOTIONS:
                row = self.agreement.get(emotion.value, {3: 0, 2: 0, 1: 0, 0: 0})
                lines.append(
                    f"| {emotion.value} ({KOREAN[emotion]}) | {row[3]} | {row[2]} | {row[1]} | "
                    f"{row[0]} |"
                )
        kept = ", ".join(f"{e.value} {self.kept[e.value]}" for e in EMOTIONS)
        lines.append(f"kept: {kept}")
        if self.dropped:
            lines.append(
                "dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items()))
            )
        if self.outside:
            lines.append(
                "outside the four classes: "
                + ", ".join(f"{k} {v}" for k, v in self.outside.most_common())
            )
        if self.aligned:
            lines.append("faces: " + ", ".join(f"{k} {v}" for k, v in sorted(self.aligned.items())))
        if self.balanced:
            lines.append("balanced: " + ", ".join(f"{k} {v}" for k, v in self.balanced.items()))
        return "\n".join(lines)


def index_images(root: Path) -> dict[str, Path]:
    """File name → path for every photo under ``root`` (AI-Hub splits them across folders)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            found.setdefault(path.name, path)
    return found


def from_aihub(
    labels: Path, images: Path | None = None, rule: Consensus = "uploader"
) -> tuple[list[Example], DataReport]:
    """Examples from AI-Hub JSON (a file, or every ``*.json`` under a folder) and its photos.

    Photos are looked up by file name anywhere under ``images`` (default: the folder holding the
    labels), since AI-Hub keeps labels and photos in sibling folders.
    """
    files = [labels] if labels.is_file() else sorted(labels.rglob("*.json"))
    root = images if images is not None else (labels.parent if labels.is_file() else labels)
    photos = index_images(root)
    report = DataReport(source=str(labels), layout="aihub")
    examples: list[Example] = []
    seen: set[str] = set()
    for file in files:
        for record in read_label_file(file):
            report.records += 1
            if record.filename in seen:
                report.dropped["duplicate record"] += 1
                continue
            seen.add(record.filename)
            emotion, agree, name = consensus(record, rule)
            if emotion is None and (rule == "uploader" or agree >= 2):
                report.outside[name] += 1
                report.dropped["outside the four classes"] += 1
                continue
            if emotion is not None:
                report.count_agreement(emotion, agree)
            if emotion is None or agree < 2:
                report.dropped[f"outlier ({agree} of 3 annotators agree)"] += 1
                continue
            path = photos.get(record.filename)
            if path is None:
                report.dropped["photo missing"] += 1
                continue
            examples.append(Example(path, emotion, average_box(record.annotations), agree))
            report.kept[emotion.value] += 1
    return examples, report


def from_folders(root: Path) -> tuple[list[Example], DataReport]:
    """Examples from ``root/<class>/…``; folders of other classes are counted, not read."""
    report = DataReport(source=str(root), layout="folders")
    examples: list[Example] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        emotion = parse_label(folder.name)
        photos = [p for p in sorted(folder.rglob("*")) if p.suffix.lower() in IMAGE_SUFFIXES]
        report.records += len(photos)
        if emotion is None:
            report.outside[unicodedata.normalize("NFC", folder.name)] += len(photos)
            report.dropped["outside the four classes"] += len(photos)
            continue
        examples.extend(Example(p, emotion) for p in photos)
        report.kept[emotion.value] += len(photos)
    return examples, report


def load_source(
    source: Path, layout: str = "auto", images: Path | None = None, rule: Consensus = "uploader"
) -> tuple[list[Example], DataReport]:
    """A JSON file or a folder: AI-Hub when it holds ``*.json`` labels, class folders otherwise."""
    if not source.exists():
        raise FileNotFoundError(f"dataset not found: {source}")
    if layout == "auto":
        is_json = source.is_file() or next(source.rglob("*.json"), None) is not None
        layout = "aihub" if is_json else "folders"
    if layout == "aihub":
        return from_aihub(source, images, rule)
    if layout == "folders":
        return from_folders(source)
    raise ValueError(f"unknown layout {layout!r}: aihub, folders or auto")


# --------------------------------------------------------------------------------------------
# Splitting and balancing
# --------------------------------------------------------------------------------------------


def _by_class(examples: Iterable[Example]) -> dict[Emotion, list[Example]]:
    groups: dict[Emotion, list[Example]] = {e: [] for e in EMOTIONS}
    for example in examples:
        groups[example.emotion].append(example)
    return groups


def split_off(
    examples: Sequence[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """A seeded, stratified ``fraction`` of every class for validation (at least one each)."""
    rng = np.random.default_rng(seed)
    keep: list[Example] = []
    held: list[Example] = []
    for group in _by_class(examples).values():
        if not group:
            continue
        order = rng.permutation(len(group))
        count = min(len(group) - 1, max(1, round(fraction * len(group))))
        held += [group[i] for i in order[:count]]
        keep += [group[i] for i in order[count:]]
    return keep, held


def cap_per_class(examples: Sequence[Example], cap: int, seed: int) -> list[Example]:
    """At most ``cap`` photos per class: unanimous labels first, then a seeded random pick.

    The order of the result is the order of ``examples``, so the caller's data order (and with
    it the run) does not depend on how the pick was made.
    """
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    positions = {id(e): i for i, e in enumerate(examples)}
    for group in _by_class(examples).values():
        ranks = rng.permutation(len(group))
        order = sorted(range(len(group)), key=lambda i: (-group[i].agree, ranks[i]))
        chosen.update(positions[id(group[i])] for i in order[:cap])
    return [e for i, e in enumerate(examples) if i in chosen]


def balance(examples: Sequence[Example], mode: Balance, seed: int) -> list[Example]:
    """``cap``: every class cut to the smallest non-empty one; otherwise unchanged."""
    if mode != "cap":
        return list(examples)
    counts = [len(g) for g in _by_class(examples).values() if g]
    return cap_per_class(examples, min(counts), seed) if counts else []


# --------------------------------------------------------------------------------------------
# Alignment with an on-disk cache
# --------------------------------------------------------------------------------------------


class BoxAligner:
    """Keypoints and the aligned 224×224 crop for a photo, inside a known face box or not.

    With a box (labeled data) the keypoints are searched in that region only; without one the
    detector finds the largest face, exactly as the bot does. ``seed`` uses MTCNN's keypoints on
    the padded box crop and falls back to dlib's 68-point fit in the box when MTCNN finds
    nothing, as :class:`inference.detect.SeedDetector` does for a selfie.
    """

    def __init__(self, detector: str = "seed", detect_max_side: int = 640) -> None:
        self.name = detector
        self.detect_max_side = detect_max_side
        self._detector: FaceDetector | None = None

    @property
    def detector(self) -> FaceDetector:
        """Loaded on first use: a run whose crops are all cached never loads dlib or MTCNN."""
        if self._detector is None:
            self._detector = create_detector(self.name, self.detect_max_side)
        return self._detector

    def landmarks(self, rgb: U8, box: Box | None) -> tuple[Landmarks | None, str]:
        """The three alignment points and where they came from (``None`` and why if none)."""
        det = self.detector
        if box is None:
            faces = det.detect(rgb)
            return (faces[0].landmarks, det.name) if faces else (None, "no face found")
        box = _clip(box, rgb.shape[1], rgb.shape[0])
        if isinstance(det, DlibDetector):
            return det.landmarks(_gray(rgb), box), "dlib"
        if isinstance(det, SeedDetector):
            # SeedDetector's own refinement, so labeled and live faces get keypoints one way.
            fallback = DetectedFace(box, det._dlib.landmarks(_gray(rgb), box), 1.0)
            refined = det._refine(rgb, fallback)
            found = refined.landmarks is not fallback.landmarks
            return refined.landmarks, "mtcnn" if found else "dlib fallback"
        if isinstance(det, MtcnnDetector):
            pad = int(max(box.width, box.height) * SeedDetector.PADDING)
            x0, y0 = max(0, box.x - pad), max(0, box.y - pad)
            crop = rgb[y0 : box.y + box.height + pad, x0 : box.x + box.width + pad]
            faces = det.detect(np.ascontiguousarray(crop))
            if not faces:
                return None, "no keypoints in the box"
            lm = faces[0].landmarks
            return Landmarks(
                *((x + x0, y + y0) for x, y in (lm.left_eye, lm.right_eye, lm.nose))
            ), "mtcnn"
        raise TypeError(f"no box support for detector {det.name}")

    def align(self, data: bytes, box: Box | None) -> tuple[U8 | None, str]:
        """The aligned crop as 8-bit RGB, or ``None`` and the reason (unreadable, no face)."""
        try:
            decoded = decode_image(data)
        except ImageError as exc:
            return None, f"unreadable photo ({exc.code})"
        rgb = decoded.rgb
        if box is not None:
            # Boxes are in the photo's own pixels; big photos are decoded at ≤ 2048 px.
            scale = max(rgb.shape[:2]) / max(decoded.original_size)
            box = Box(
                round(box.x * scale),
                round(box.y * scale),
                max(1, round(box.width * scale)),
                max(1, round(box.height * scale)),
            )
        landmarks, how = self.landmarks(rgb, box)
        if landmarks is None:
            return None, how
        return align.to_uint8(align.align_face(rgb, landmarks)), how


def _gray(rgb: U8) -> U8:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def _clip(box: Box, width: int, height: int) -> Box:
    x0, y0 = min(max(0, box.x), width - 1), min(max(0, box.y), height - 1)
    x1, y1 = min(width, box.x + box.width), min(height, box.y + box.height)
    return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


class CropCache:
    """Aligned crops on disk: ``<dir>/v<version>/<key[:2]>/<key>.png`` plus a JSON note.

    A photo that gave no face is cached too (the note alone), so it is not retried every run.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / f"v{PREPROCESS_VERSION}"

    @staticmethod
    def key(file_digest: str, box: Box | None, detector: str) -> str:
        recipe = (
            file_digest,
            None if box is None else (box.x, box.y, box.width, box.height),
            detector,
            align.SIZE,
            align.EYE_DISTANCE,
            SeedDetector.PADDING,
            SeedDetector.CROP_SIDE,
        )
        return hashlib.sha256(repr(recipe).encode()).hexdigest()

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.png", folder / f"{key}.json"

    def get(self, key: str) -> tuple[U8 | None, str] | None:
        """``(crop, how)`` or ``(None, why)`` when cached; ``None`` on a miss."""
        image_path, note_path = self._paths(key)
        if not note_path.is_file():
            return None
        note = json.loads(note_path.read_text())
        if not note.get("face"):
            return None, str(note.get("how", "no face"))
        bgr = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
        if bgr is None:
            return None  # the PNG went missing: redo it
        return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8), str(note["how"])

    def put(self, key: str, crop: U8 | None, how: str) -> None:
        image_path, note_path = self._paths(key)
        image_path.parent.mkdir(parents=True, exist_ok=True)
        if crop is not None:
            ok, encoded = cv2.imencode(".png", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
            if not ok:
                raise OSError(f"cannot encode {image_path}")
            tmp = image_path.with_suffix(".tmp")
            tmp.write_bytes(encoded.tobytes())
            tmp.replace(image_path)
        tmp_note = note_path.with_suffix(".tmp")
        tmp_note.write_text(json.dumps({"face": crop is not None, "how": how}))
        tmp_note.replace(note_path)


@dataclass
class Aligned:
    """Examples whose face was aligned, their 224×224 crops (N, 224, 224, 3) uint8 and labels."""

    examples: list[Example]
    crops: U8

    @property
    def labels(self) -> npt.NDArray[np.int64]:
        return np.array([EMOTIONS.index(e.emotion) for e in self.examples], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.examples)

    def select(self, chosen: Iterable[Example]) -> Aligned:
        """The chosen examples (same objects as in ``examples``) with their crops, in order."""
        position = {id(e): i for i, e in enumerate(self.examples)}
        index = sorted(position[id(e)] for e in chosen)
        return Aligned([self.examples[i] for i in index], self.crops[index])


def iter_aligned(
    examples: Sequence[Example], aligner: BoxAligner, cache: CropCache
) -> Iterator[tuple[Example, U8 | None, str]]:
    """Each example with its crop (``None`` and why when no face), computed at most once."""
    for example in examples:
        digest = file_sha256(example.path)
        key = CropCache.key(digest, example.box, aligner.name)
        hit = cache.get(key)
        if hit is not None:
            crop, how = hit
            yield example, crop, "cached" if crop is not None else how
            continue
        crop, how = aligner.align(example.path.read_bytes(), example.box)
        cache.put(key, crop, how)
        yield example, crop, how


def prepare_examples(
    examples: Sequence[Example],
    report: DataReport,
    aligner: BoxAligner,
    cache: CropCache,
    progress: bool = True,
) -> Aligned:
    """Align (or read from the cache) every example; failures are dropped into ``report``."""
    bar = None
    if progress and examples:
        import keras

        bar = keras.utils.Progbar(len(examples), unit_name="photo")
    kept: list[Example] = []
    crops: list[U8] = []
    for example, crop, how in iter_aligned(examples, aligner, cache):
        if crop is None:
            report.dropped[how] += 1
            report.kept[example.emotion.value] -= 1
        else:
            report.aligned[how] += 1
            kept.append(example)
            crops.append(crop)
        if bar is not None:
            bar.add(1)
    size = align.SIZE
    array = np.stack(crops) if crops else np.zeros((0, size, size, 3), dtype=np.uint8)
    return Aligned(kept, np.asarray(array, dtype=np.uint8))


def load_aligned(
    source: Path,
    *,
    cache: Path = DEFAULT_CACHE,
    detector: str = "seed",
    layout: str = "auto",
    images: Path | None = None,
    rule: Consensus = "uploader",
    per_class: int | None = None,
    seed: int = 0,
    aligner: BoxAligner | None = None,
) -> tuple[Aligned, DataReport]:
    """Read, clean and align one dataset; ``per_class`` keeps a few photos a class (smoke runs)."""
    examples, report = load_source(source, layout, images, rule)
    if per_class is not None:
        examples = cap_per_class(examples, per_class, seed)
        report.kept = Counter(e.emotion.value for e in examples)
    aligned = prepare_examples(
        examples, report, aligner or BoxAligner(detector), CropCache(cache), progress=True
    )
    return aligned, report
