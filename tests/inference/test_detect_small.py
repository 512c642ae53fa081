"""Faces the first detector missed: small ones in small photos, turned ones; and no new ghosts.

Built from public-domain portraits that ship in installed packages (scikit-image's astronaut,
matplotlib's Grace Hopper): never from the research-only real-photo set.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
import pytest
from PIL import Image

from inference.align import EYE_DISTANCE, SIZE, to_uint8
from inference.detect import Box, DlibDetector, eye_angle, eye_distance
from inference.image import DETECT_DECODE_SIDE, decode_image
from inference.pipeline import FacePipeline


def _jpeg(image: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _portrait(face_photos: dict[str, bytes], name: str) -> tuple[Image.Image, Box]:
    image = Image.open(io.BytesIO(face_photos[name])).convert("RGB")
    faces = DlibDetector.legacy().detect(np.asarray(image))
    assert faces, f"{name}: the full-size portrait must show a face"
    return image, faces[0].box


def _around_face(image: Image.Image, face: Box, face_px: int, side: int) -> Image.Image:
    """A square photo of ``side`` px centred on the face, scaled so the face is ``face_px``."""
    crop = face.width * side / face_px
    cx, cy = face.x + face.width / 2, face.y + face.height / 2
    box = (round(cx - crop / 2), round(cy - crop / 2), round(cx + crop / 2), round(cy + crop / 2))
    return image.crop(box).resize((side, side), Image.Resampling.LANCZOS)


@pytest.fixture(scope="module")
def legacy() -> DlibDetector:
    """The detector as it was: HOG on the ≤640 px copy and ±30° retries, nothing else."""
    return DlibDetector.legacy()


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
@pytest.mark.parametrize(("face_px", "side"), [(50, 100), (46, 90)])
def test_a_small_face_in_a_small_photo_is_found(
    pipeline: FacePipeline,
    legacy: DlibDetector,
    face_photos: dict[str, bytes],
    name: str,
    face_px: int,
    side: int,
) -> None:
    """A ~50 px face in a ~100 px photo (a thumbnail, a forwarded crop) is read, not refused."""
    image, face = _portrait(face_photos, name)
    small = _jpeg(_around_face(image, face, face_px, side))
    assert not legacy.detect(decode_image(small).rgb), "the old settings must miss this face"

    analysis = pipeline.analyze_sync(small)
    assert analysis.face is not None
    box = analysis.box
    centre = (box.x + box.width / 2, box.y + box.height / 2)
    assert abs(centre[0] - side / 2) < side * 0.15 and abs(centre[1] - side / 2) < side * 0.2
    assert 0.6 * face_px < box.width < 1.6 * face_px
    # Eyes level and above the nose in the photo itself, so the aligned crop is upright.
    marks = analysis.face.landmarks
    assert abs(eye_angle(marks)) < 12
    assert max(marks.left_eye[1], marks.right_eye[1]) < marks.nose[1]


def test_a_face_turned_on_its_side_is_found(
    pipeline: FacePipeline, legacy: DlibDetector, face_photos: dict[str, bytes]
) -> None:
    """A face lying at 90° (a phone held sideways, no EXIF): HOG sees none, the CNN does."""
    image, face = _portrait(face_photos, "astronaut")
    cx, cy = face.x + face.width / 2, face.y + face.height / 2
    turned = image.rotate(90, resample=Image.Resampling.BICUBIC, center=(cx, cy))
    half = round(1.25 * face.width)
    photo = _jpeg(
        turned.crop((round(cx) - half, round(cy) - half, round(cx) + half, round(cy) + half))
    )
    assert not legacy.detect(decode_image(photo).rgb), "the old settings must miss this face"

    analysis = pipeline.analyze_sync(photo)
    assert analysis.face is not None
    # Landmarks follow the face, not the photo: the eye line is vertical, so alignment turns it.
    assert abs(abs(eye_angle(analysis.face.landmarks)) - 90) < 15


def _small_no_face_photos(no_face_photos: dict[str, bytes]) -> dict[str, bytes]:
    """Photos without a face, also shrunk to ~100 px: the size where the new passes enlarge."""
    rng = np.random.default_rng(7)
    photos = dict(no_face_photos)
    for name, data in no_face_photos.items():
        image = Image.open(io.BytesIO(data)).convert("RGB")
        image.thumbnail((100, 100))
        photos[f"{name}-100px"] = _jpeg(image)
    photos["flat"] = _jpeg(Image.new("RGB", (100, 100), (128, 128, 128)))
    photos["noise"] = _jpeg(Image.fromarray(rng.integers(0, 256, (100, 100, 3), dtype=np.uint8)))
    return photos


def test_photos_without_a_face_stay_without_one(
    pipeline: FacePipeline, no_face_photos: dict[str, bytes]
) -> None:
    for name, data in _small_no_face_photos(no_face_photos).items():
        analysis = pipeline.analyze_sync(data)
        assert analysis.face is None, name
        assert analysis.faces == 0, name


def _aligned_eyes(aligned: np.ndarray) -> tuple[float, float]:
    """Eye angle and inter-eye distance measured again on the aligned crop (2× for the fit)."""
    checker = DlibDetector(detect_max_side=448, upsample=1)
    crop = np.asarray(
        cv2.resize(to_uint8(aligned), (448, 448), interpolation=cv2.INTER_CUBIC), dtype=np.uint8
    )
    found = checker.detect(crop)
    assert found, "the aligned crop should still show a detectable face"
    gray = np.asarray(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    marks = checker.landmarks(gray, found[0].box)
    return eye_angle(marks), eye_distance(marks) / 2


def _big_photo(face_photos: dict[str, bytes], face_share: float) -> bytes:
    """A 4096×3072 JPEG (a phone photo sent as a file) whose face is ``face_share`` of its width."""
    image, face = _portrait(face_photos, "astronaut")
    scale = face_share * 4096 / face.width
    person = image.resize((round(image.width * scale), round(image.height * scale)))
    canvas = Image.new("RGB", (4096, 3072), (96, 104, 112))
    canvas.paste(person, (400, 100))
    return _jpeg(canvas, quality=90)


def test_a_big_jpeg_is_decoded_at_reduced_scale_and_still_aligned_well(
    pipeline: FacePipeline, face_photos: dict[str, bytes]
) -> None:
    """A close-up on a 12 MP photo: libjpeg decodes 1/4 of each side, the crop is still sharp."""
    data = _big_photo(face_photos, 0.3)
    decoded = decode_image(data, min_side=DETECT_DECODE_SIDE)
    assert decoded.reduced and max(decoded.rgb.shape[:2]) == 1024
    analysis = pipeline.analyze_sync(data)
    assert analysis.face is not None
    assert analysis.image_size == (1024, 768)
    # The source had at least the aligned frame's eye spacing: no upscaling blur in the crop.
    assert eye_distance(analysis.face.landmarks) >= EYE_DISTANCE * SIZE
    angle, distance = _aligned_eyes(analysis.aligned)
    assert abs(angle) < 2.0
    assert distance == pytest.approx(EYE_DISTANCE * SIZE, rel=0.12)


def test_a_small_face_in_a_big_jpeg_gets_a_fuller_decode(
    pipeline: FacePipeline, face_photos: dict[str, bytes]
) -> None:
    """Too few pixels between the eyes in the reduced decode: the pipeline decodes more."""
    data = _big_photo(face_photos, 0.115)
    reduced = decode_image(data, min_side=DETECT_DECODE_SIDE)
    first = DlibDetector().detect(reduced.rgb)
    assert first and eye_distance(first[0].landmarks) < EYE_DISTANCE * SIZE
    analysis = pipeline.analyze_sync(data)
    assert analysis.face is not None
    assert analysis.image_size[0] > max(reduced.rgb.shape[:2])
    assert eye_distance(analysis.face.landmarks) >= EYE_DISTANCE * SIZE
    angle, distance = _aligned_eyes(analysis.aligned)
    assert abs(angle) < 2.0
    assert distance == pytest.approx(EYE_DISTANCE * SIZE, rel=0.12)
    assert math.isfinite(analysis.confidence)
