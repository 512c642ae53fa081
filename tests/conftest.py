"""Shared fixtures: real photos that ship inside installed packages, and one loaded pipeline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from facelog.config import Settings
from inference.pipeline import FacePipeline

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def package_file(distribution: str, relative: str) -> Path:
    """A data file inside an installed wheel, found through its file list (no import needed)."""
    path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    if not path.is_file():
        raise FileNotFoundError(f"{relative} not in {distribution}")
    return path


#: Real face photos (public domain portraits shipped by scikit-image and matplotlib).
FACE_PHOTOS = {
    "astronaut": ("scikit-image", "skimage/data/astronaut.png"),
    "grace_hopper": ("matplotlib", "matplotlib/mpl-data/sample_data/grace_hopper.jpg"),
}
#: Real photos with no human face in them.
NO_FACE_PHOTOS = {
    "coffee": ("scikit-image", "skimage/data/coffee.png"),
    "chelsea_cat": ("scikit-image", "skimage/data/chelsea.png"),
    "rocket": ("scikit-image", "skimage/data/rocket.jpg"),
    "motorcycle": ("scikit-image", "skimage/data/motorcycle_left.png"),
    "coins": ("scikit-image", "skimage/data/coins.png"),
    "hubble": ("scikit-image", "skimage/data/hubble_deep_field.jpg"),
}


@pytest.fixture(scope="session")
def face_photos() -> dict[str, bytes]:
    return {name: package_file(*where).read_bytes() for name, where in FACE_PHOTOS.items()}


@pytest.fixture(scope="session")
def no_face_photos() -> dict[str, bytes]:
    return {name: package_file(*where).read_bytes() for name, where in NO_FACE_PHOTOS.items()}


@pytest.fixture(scope="session")
def pipeline() -> Iterator[FacePipeline]:
    """The default pipeline, models loaded once for the whole run."""
    pipe = FacePipeline.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    yield pipe
    pipe.close()
