"""The face pipeline on real photos: faces found, framed consistently, classified."""

from __future__ import annotations

import io
import math
from pathlib import Path

import cv2
import pytest
from PIL import Image

from facelog.config import Settings
from inference.align import EYE_DISTANCE, SIZE, to_uint8
from inference.detect import DlibDetector, eye_angle
from inference.image import EmptyImage, UnsupportedImage
from inference.labels import EMOTIONS, Emotion
from inference.pipeline import FacePipeline, NoFaceError


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def test_real_faces_give_a_face_and_a_probability_vector(
    pipeline: FacePipeline, face_photos: dict[str, bytes]
) -> None:
    for name, data in face_photos.items():
        analysis = pipeline.analyze_sync(data)
        assert analysis.face is not None, name
        assert analysis.faces == 1, name
        probs = analysis.probabilities
        assert list(probs) == list(EMOTIONS)
        assert all(0.0 <= p <= 1.0 for p in probs.values())
        assert math.isclose(sum(probs.values()), 1.0, abs_tol=1e-4)
        assert analysis.emotion == max(probs, key=probs.__getitem__)
        assert analysis.aligned.shape == (SIZE, SIZE, 3)
        assert analysis.aligned.min() >= 0.0 and analysis.aligned.max() <= 1.0


def test_a_broad_smile_reads_as_happy(
    pipeline: FacePipeline, face_photos: dict[str, bytes]
) -> None:
    analysis = pipeline.analyze_sync(face_photos["astronaut"])
    assert analysis.emotion is Emotion.HAPPY
    assert analysis.confidence > 0.8


def test_photos_without_faces_say_so(
    pipeline: FacePipeline, no_face_photos: dict[str, bytes]
) -> None:
    for name, data in no_face_photos.items():
        analysis = pipeline.analyze_sync(data)
        assert analysis.face is None, name
        assert analysis.faces == 0
        with pytest.raises(NoFaceError):
            _ = analysis.emotion


def test_several_faces_use_the_largest_and_count_them(
    pipeline: FacePipeline, face_photos: dict[str, bytes]
) -> None:
    """Two people side by side, as in a selfie with a friend: the larger face is read."""
    smiling = Image.open(io.BytesIO(face_photos["astronaut"])).convert("RGB")
    smiling = smiling.crop((120, 30, 330, 260))  # her face is ~88 px wide
    stern = Image.open(io.BytesIO(face_photos["grace_hopper"])).convert("RGB")
    stern = stern.crop((100, 60, 440, 440)).resize((238, 266))  # her face becomes ~150 px
    group = Image.new("RGB", (smiling.width + stern.width, 270), (90, 90, 90))
    group.paste(smiling, (0, 0))
    group.paste(stern, (smiling.width, 0))
    analysis = pipeline.analyze_sync(_jpeg(group))
    assert analysis.faces == 2
    assert analysis.box.x >= smiling.width  # the larger face is on the right
    alone = pipeline.analyze_sync(_jpeg(stern))
    assert analysis.emotion == alone.emotion


@pytest.mark.parametrize("degrees", [-25.0, 12.0, 35.0])
def test_alignment_levels_the_eyes_of_a_tilted_photo(
    pipeline: FacePipeline, face_photos: dict[str, bytes], degrees: float
) -> None:
    """Rotate a real portrait; the aligned crop must still have level eyes where we expect them.

    The check re-detects landmarks on the aligned crop itself, independently of the points the
    pipeline used to make it.
    """
    portrait = Image.open(io.BytesIO(face_photos["grace_hopper"])).convert("RGB")
    tilted = portrait.rotate(
        degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(128, 128, 128)
    )
    analysis = pipeline.analyze_sync(_jpeg(tilted))
    assert analysis.face is not None

    crop = cv2.resize(to_uint8(analysis.aligned), (448, 448), interpolation=cv2.INTER_CUBIC)
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    checker = DlibDetector(detect_max_side=448, upsample=1)
    found = checker.detect(crop)
    assert found, "the aligned crop should still show a detectable face"
    marks = checker.landmarks(gray, found[0].box)
    assert abs(eye_angle(marks)) < 2.0
    (lx, ly), (rx, ry) = marks.left_eye, marks.right_eye
    scale = 448 / SIZE
    distance = math.hypot(rx - lx, ry - ly) / scale
    assert distance == pytest.approx(EYE_DISTANCE * SIZE, rel=0.12)
    nose_x, nose_y = (c / scale for c in marks.nose)
    assert abs(nose_x - SIZE / 2) < 10 and abs(nose_y - SIZE / 2) < 10
    assert ly / scale < SIZE / 2 - 10  # eyes above the nose tip


def test_batch_api_matches_single_calls(
    pipeline: FacePipeline, face_photos: dict[str, bytes], no_face_photos: dict[str, bytes]
) -> None:
    photos = [face_photos["astronaut"], no_face_photos["coffee"], b"", face_photos["grace_hopper"]]
    results = pipeline.analyze_batch_sync(photos)
    assert isinstance(results[2], EmptyImage)
    with pytest.raises(UnsupportedImage):
        pipeline.analyze_sync(b"definitely not a photo")
    assert results[1].face is None  # type: ignore[union-attr]
    for index in (0, 3):
        single = pipeline.analyze_sync(photos[index])
        batched = results[index]
        assert batched.emotion == single.emotion  # type: ignore[union-attr]
        for emotion in EMOTIONS:
            assert batched.probabilities[emotion] == pytest.approx(  # type: ignore[union-attr]
                single.probabilities[emotion], abs=1e-4
            )


def test_a_user_trained_keras_model_plugs_in_by_configuration(
    tmp_path: Path, face_photos: dict[str, bytes]
) -> None:
    """The seed's EfficientNet or any 4-class Keras file is served through FACELOG_CLASSIFIER_*."""
    import keras

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    outputs = keras.layers.Dense(4, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "seed-like.keras"
    model.save(path)

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        classifier="keras",
        classifier_path=path,
        classifier_classes="sadness,happy,panic,anger",
    )
    pipe = FacePipeline.from_settings(settings)
    scaled = FacePipeline.from_settings(
        settings.model_copy(update={"classifier_value_range": "0..255", "classifier_crop": 0.5})
    )
    try:
        analysis = pipe.analyze_sync(face_photos["astronaut"])
        expected = model.predict(
            cv2.resize(analysis.aligned, (32, 32), interpolation=cv2.INTER_AREA)[None], verbose=0
        )[0]
        probs = analysis.probabilities
        # The file's own class order is mapped onto Facelog's.
        assert probs[Emotion.SADNESS] == pytest.approx(float(expected[0]), abs=1e-5)
        assert probs[Emotion.ANGER] == pytest.approx(float(expected[3]), abs=1e-5)
        # The value range and the crop are configuration too.
        centre = analysis.aligned[56:168, 56:168]
        view = cv2.resize(centre, (32, 32), interpolation=cv2.INTER_AREA)[None] * 255.0
        wanted = model.predict(view, verbose=0)[0]
        got = scaled.analyze_sync(face_photos["astronaut"]).probabilities
        assert got[Emotion.SADNESS] == pytest.approx(float(wanted[0]), abs=1e-4)
        assert got[Emotion.SADNESS] != pytest.approx(probs[Emotion.SADNESS], abs=1e-4)
    finally:
        pipe.close()
        scaled.close()


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, classifier="keras", classifier_path=tmp_path / "nope.keras"
    )
    with pytest.raises(FileNotFoundError, match=r"nope\.keras"):
        FacePipeline.from_settings(settings)
