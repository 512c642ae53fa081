"""AI-Hub data: both record spellings, the seed's label consensus, balancing, class folders, and
box-guided alignment of real photos with its on-disk cache."""

from __future__ import annotations

import io
import json
import math
import unicodedata
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from inference.align import EYE_DISTANCE, SIZE
from inference.detect import Box, DlibDetector, eye_angle
from inference.labels import Emotion
from inference.training import aihub

NESTED = {
    "filename": "6oj439e3.jpg",
    "faceExp_uploader": "분노",
    "annot_A": {"boxes": {"minX": 10.5, "minY": 20, "maxX": 110.5, "maxY": 140}, "faceExp": "분노"},
    "annot_B": {"boxes": {"minX": 12.5, "minY": 22, "maxX": 112.5, "maxY": 142}, "faceExp": "슬픔"},
    "annot_C": {"boxes": {"minX": 8.5, "minY": 18, "maxX": 108.5, "maxY": 138}, "faceExp": "분노"},
}
#: The same record as the seed's slides print it (pandas-flattened keys).
FLAT = {
    "filename": "6oj439e3.jpg",
    "faceExp_uploader": "분노",
    **{
        f"annot_{who}.boxes {k}": v
        for who in "ABC"
        for k, v in NESTED[f"annot_{who}"]["boxes"].items()  # type: ignore[index]
    },
    "annot_A.faceExp": "분노",
    "annot_B.faceExp": "슬픔",
    "annot_C.faceExp": "분노",
    "emotion": "anger",
}


def _record(uploader: str, *votes: str) -> aihub.Record:
    return aihub.Record("x.jpg", uploader, tuple(aihub.Annotation(None, v) for v in votes))


def test_nested_and_flattened_records_read_the_same() -> None:
    nested, flat = aihub.parse_record(NESTED), aihub.parse_record(FLAT)
    assert nested == flat
    assert nested.uploader == "분노"
    assert [a.label for a in nested.annotations] == ["분노", "슬픔", "분노"]
    box = aihub.average_box(nested.annotations)
    assert box == Box(10, 20, 100, 120)  # the mean of the three boxes


def test_label_files_in_utf8_with_bom_and_cp949_and_wrapped_lists(tmp_path: Path) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps([NESTED], ensure_ascii=False), encoding="utf-8-sig")
    korean_windows = tmp_path / "cp949.json"
    korean_windows.write_bytes(json.dumps({"data": [FLAT]}, ensure_ascii=False).encode("cp949"))
    single = tmp_path / "single.json"
    single.write_text(json.dumps(NESTED, ensure_ascii=False))
    for path in (bom, korean_windows, single):
        (record,) = aihub.read_label_file(path)
        assert aihub.consensus(record)[:2] == (Emotion.ANGER, 2), path.name


def test_labels_in_korean_english_and_decomposed_hangul() -> None:
    assert aihub.parse_label("분노") is Emotion.ANGER
    assert aihub.parse_label(unicodedata.normalize("NFD", "당황")) is Emotion.PANIC
    assert aihub.parse_label(" Happy ") is Emotion.HAPPY
    assert aihub.parse_label("중립") is None
    assert aihub.parse_label(None) is None


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        (("기쁨", "기쁨", "기쁨"), (Emotion.HAPPY, 3)),
        (("기쁨", "슬픔", "기쁨"), (Emotion.HAPPY, 2)),
        (("슬픔", "기쁨", "당황"), (Emotion.HAPPY, 1)),  # "2 mismatch": an outlier
        (("슬픔", "분노", "당황"), (Emotion.HAPPY, 0)),  # "3 mismatch": an outlier
        (("슬픔", "슬픔", "기쁨"), (Emotion.HAPPY, 1)),  # annotators agree, not with the uploader
    ],
)
def test_seed_consensus_counts_annotators_agreeing_with_the_uploader(
    votes: tuple[str, str, str], expected: tuple[Emotion, int]
) -> None:
    assert aihub.consensus(_record("기쁨", *votes))[:2] == expected


def test_majority_consensus_takes_what_two_annotators_agree_on() -> None:
    label, agree, _ = aihub.consensus(_record("기쁨", "슬픔", "sadness", "기쁨"), "majority")
    assert (label, agree) == (Emotion.SADNESS, 2)  # Korean and English names count together
    assert aihub.consensus(_record("기쁨", "슬픔", "분노", "기쁨"), "majority")[1] == 1
    assert aihub.consensus(_record("기쁨", "중립", "중립", "기쁨"), "majority")[::2] == (
        None,
        "중립",
    )


def _examples(counts: dict[Emotion, list[int]]) -> list[aihub.Example]:
    return [
        aihub.Example(Path(f"{emotion.value}-{i}.jpg"), emotion, agree=agree)
        for emotion, agrees in counts.items()
        for i, agree in enumerate(agrees)
    ]


def test_cap_balancing_keeps_the_smallest_count_and_prefers_unanimous_labels() -> None:
    examples = _examples(
        {
            Emotion.ANGER: [2, 2, 3, 2, 3],
            Emotion.HAPPY: [3, 3, 3, 3, 3, 3, 3],
            Emotion.PANIC: [2, 3, 2],
            Emotion.SADNESS: [3, 2, 2, 2],
        }
    )
    capped = aihub.balance(examples, "cap", seed=1)
    per_class = {e: [x for x in capped if x.emotion is e] for e in Emotion}
    assert {e: len(v) for e, v in per_class.items()} == dict.fromkeys(Emotion, 3)
    assert sorted(x.agree for x in per_class[Emotion.ANGER]) == [2, 3, 3]  # both 3s kept
    assert sorted(x.agree for x in per_class[Emotion.SADNESS]) == [2, 2, 3]
    assert capped == aihub.balance(examples, "cap", seed=1)  # seeded
    assert [examples.index(x) for x in capped] == sorted(examples.index(x) for x in capped)
    assert aihub.balance(examples, "weights", seed=1) == examples


def test_validation_split_is_stratified_and_disjoint() -> None:
    examples = _examples({e: [3] * n for e, n in zip(Emotion, (20, 30, 10, 2), strict=True)})
    keep, held = aihub.split_off(examples, 0.1, seed=3)
    assert len(keep) + len(held) == len(examples)
    assert not {id(x) for x in keep} & {id(x) for x in held}
    held_counts = {e: sum(x.emotion is e for x in held) for e in Emotion}
    assert held_counts == {Emotion.ANGER: 2, Emotion.HAPPY: 3, Emotion.PANIC: 1, Emotion.SADNESS: 1}


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def test_aihub_folder_report_counts_every_reason_to_drop(tmp_path: Path) -> None:
    (tmp_path / "photos" / "분노").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(tmp_path / "photos" / "분노" / "6oj439e3.jpg")
    rows = [
        NESTED,
        NESTED,  # repeated
        {**NESTED, "filename": "gone.jpg"},
        {**NESTED, "filename": "n.jpg", "faceExp_uploader": "중립"},
        {**FLAT, "filename": "o.jpg", "annot_C.faceExp": "슬픔"},  # only A agrees
    ]
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.json").write_text(json.dumps(rows, ensure_ascii=False))
    examples, report = aihub.load_source(tmp_path)
    assert report.layout == "aihub" and report.records == 5
    assert [(e.path.name, e.emotion, e.agree) for e in examples] == [
        ("6oj439e3.jpg", Emotion.ANGER, 2)
    ]
    assert examples[0].box == Box(10, 20, 100, 120)
    assert report.dropped == {
        "duplicate record": 1,
        "photo missing": 1,
        "outside the four classes": 1,
        "outlier (1 of 3 annotators agree)": 1,
    }
    assert report.outside == {"중립": 1}
    assert report.agreement["anger"] == {3: 0, 2: 2, 1: 1, 0: 0}
    table = report.table()
    assert "| anger (분노) | 0 | 2 | 1 | 0 |" in table
    assert "photo missing 1" in table and "중립 1" in table


def test_class_folders_in_either_language(tmp_path: Path) -> None:
    for name in ("anger", "기쁨", unicodedata.normalize("NFD", "당황"), "Sadness", "중립"):
        (tmp_path / name / "sub").mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(tmp_path / name / "sub" / "a.png")
    (tmp_path / "기쁨" / "notes.txt").write_text("not a photo")
    examples, report = aihub.load_source(tmp_path)
    assert report.layout == "folders"
    assert sorted(e.emotion.value for e in examples) == ["anger", "happy", "panic", "sadness"]
    assert report.outside == {"중립": 1}
    with pytest.raises(FileNotFoundError):
        aihub.load_source(tmp_path / "nowhere")


# -- alignment of real photos --------------------------------------------------------------------


def _check_framing(crop: np.ndarray) -> None:
    """Re-detect landmarks on the aligned crop: eyes level, nose tip near the centre."""
    big = cv2.resize(crop, (448, 448), interpolation=cv2.INTER_CUBIC)
    checker = DlibDetector(detect_max_side=448, upsample=1)
    found = checker.detect(big)
    assert found, "the aligned crop should still show a face"
    marks = checker.landmarks(cv2.cvtColor(big, cv2.COLOR_RGB2GRAY), found[0].box)
    assert abs(eye_angle(marks)) < 4.0
    (lx, ly), (rx, ry) = marks.left_eye, marks.right_eye
    assert math.hypot(rx - lx, ry - ly) / 2 == pytest.approx(EYE_DISTANCE * SIZE, rel=0.15)
    nose_x, nose_y = (c / 2 for c in marks.nose)
    assert abs(nose_x - SIZE / 2) < 14 and abs(nose_y - SIZE / 2) < 14


def test_box_guided_alignment_frames_a_tilted_big_photo_like_the_bot(
    tmp_path: Path, face_photos: dict[str, bytes], no_face_photos: dict[str, bytes]
) -> None:
    """An annotator's box on a 2400×2800 photo (decoded at ≤2048 px) still finds the face."""
    portrait = Image.open(io.BytesIO(face_photos["grace_hopper"])).convert("RGB")
    tilted = portrait.rotate(15, resample=Image.Resampling.BICUBIC, fillcolor=(128, 128, 128))
    big = tilted.resize((tilted.width * 5, tilted.height * 5), Image.Resampling.BICUBIC)
    face = DlibDetector().detect(np.asarray(tilted))[0].box
    box = Box(face.x * 5, face.y * 5, face.width * 5, face.height * 5)  # the photo's own pixels
    photo = tmp_path / "hopper.jpg"
    photo.write_bytes(_jpeg(big))
    blank = tmp_path / "coffee.png"
    blank.write_bytes(no_face_photos["coffee"])
    examples = [
        aihub.Example(photo, Emotion.SADNESS, box),
        aihub.Example(blank, Emotion.HAPPY),  # no box, no face
    ]

    cache = aihub.CropCache(tmp_path / "cache")
    report = aihub.DataReport("test", "aihub", kept=Counter(sadness=1, happy=1))
    first = aihub.prepare_examples(examples, report, aihub.BoxAligner("seed"), cache, False)
    assert [e.path.name for e in first.examples] == ["hopper.jpg"]
    assert first.crops.shape == (1, SIZE, SIZE, 3) and first.crops.dtype == np.uint8
    assert report.aligned == {"mtcnn": 1}
    assert report.dropped == {"no face found": 1}
    _check_framing(first.crops[0])

    # Second run: everything from the cache, the detector never loaded.
    again_report = aihub.DataReport("test", "aihub", kept=Counter(sadness=1, happy=1))
    lazy = aihub.BoxAligner("seed")
    second = aihub.prepare_examples(examples, again_report, lazy, cache, False)
    assert lazy._detector is None
    assert again_report.aligned == {"cached": 1}
    assert again_report.dropped == {"no face found": 1}
    np.testing.assert_array_equal(second.crops, first.crops)

    # A changed photo is a new key: aligned afresh.
    photo.write_bytes(_jpeg(big.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    mirrored_box = Box(big.width - box.x - box.width, box.y, box.width, box.height)
    changed = [aihub.Example(photo, Emotion.SADNESS, mirrored_box)]
    third_report = aihub.DataReport("test", "aihub", kept=Counter(sadness=1))
    third = aihub.prepare_examples(changed, third_report, lazy, cache, False)
    assert third_report.aligned == {"mtcnn": 1}
    assert not np.array_equal(third.crops[0], first.crops[0])
