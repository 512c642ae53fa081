"""EfficientNet-Lite0 from the packaged PyTorch file: it recognises real photos, and its parts load.

The photos are scikit-image's samples; the expected ImageNet classes can only come out if every
one of the 246 weight tensors was read, permuted and placed correctly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

keras = pytest.importorskip("keras")
skimage_data = pytest.importorskip("skimage.data")

from inference.training import lite0  # noqa: E402

CAT_CLASSES = {281, 282, 285}  # tabby, tiger cat, Egyptian cat
ESPRESSO = 967


@pytest.fixture(scope="module")
def weights() -> dict[str, list[np.ndarray]]:
    return lite0.imagenet_weights()


@pytest.fixture(scope="module")
def model(weights: dict[str, list[np.ndarray]]) -> Any:
    m = lite0.build_lite0(224, include_top=True, imagenet=False)
    assert len(lite0.load_imagenet(m, weights)) == len(lite0.LAYER_NAMES)
    return m


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    """chelsea and coffee, centre square, 224×224, float32 RGB 0..255 (independent of lite0)."""
    out = []
    for image in (skimage_data.chelsea(), skimage_data.coffee()):
        h, w = image.shape[:2]
        s = min(h, w)
        crop = image[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
        out.append(cv2.resize(crop, (224, 224), interpolation=cv2.INTER_AREA))
    return np.stack(out).astype(np.float32)


def test_file_is_read_completely() -> None:
    state = lite0.read_legacy_torch(lite0.weights_path())
    assert len(state) == 296
    floats = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert all(v.dtype == np.float32 and v.flags.c_contiguous for v in floats.values())
    assert sum(v.size for v in floats.values()) == 4_694_024
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)
    # Variances are never negative (some are exactly 0: channels ImageNet training left dead).
    assert all(v.min() >= 0 for k, v in floats.items() if k.endswith("running_var"))


def test_imagenet_classes_of_real_photos(model: Any, photos: np.ndarray) -> None:
    probs = np.asarray(model.predict(photos, verbose=0))
    assert probs.shape == (2, 1000)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-4)
    cat, coffee = probs
    assert int(cat.argmax()) in CAT_CLASSES, (int(cat.argmax()), float(cat.max()))
    assert int(coffee.argmax()) == ESPRESSO, (int(coffee.argmax()), float(coffee.max()))
    assert coffee[ESPRESSO] > 0.5
    assert model.count_params() == 4_694_024


def test_architecture_tables() -> None:
    assert len(lite0.BLOCKS) == 16
    assert [lite0.stage_blocks(s) for s in range(1, 8)] == [
        range(0, 1),
        range(1, 3),
        range(3, 5),
        range(5, 8),
        range(8, 11),
        range(11, 15),
        range(15, 16),
    ]
    assert lite0.feature_shape(224, 8) == (28, 28, 40)
    assert lite0.feature_shape(224, 16) == (14, 14, 112)
    assert lite0.stage_output_shape(224, 4) == (14, 14, 80)
    assert lite0.feature_shape(100, 8) == (13, 13, 40)  # "same" padding rounds up


@pytest.mark.parametrize(("first_stage", "input_stage"), [(4, 3), (5, 4)])
def test_upper_stages_alone_load_by_name_and_match_the_full_network(
    model: Any,
    weights: dict[str, list[np.ndarray]],
    photos: np.ndarray,
    first_stage: int,
    input_stage: int,
) -> None:
    """A model of only the trained stages, on cached features, is the full network's top."""
    feature = keras.Input(lite0.stage_output_shape(224, input_stage))
    tail = keras.Model(
        feature, lite0.head(lite0.apply_stages(feature, first_stage, 7), include_top=True)
    )
    loaded = lite0.load_imagenet(tail, weights)
    assert "stem_conv" not in loaded and "block02_dw_conv" not in loaded
    assert "block10_dw_conv" in loaded
    for name in ("block10_dw_conv", "block15_project_bn", "predictions"):
        for a, b in zip(
            tail.get_layer(name).get_weights(), model.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(a, b)

    image = keras.Input((224, 224, 3))
    trunk = keras.Model(image, lite0.apply_stages(lite0.stem(image), 1, input_stage))
    lite0.load_imagenet(trunk, weights)
    cached = trunk.predict(photos, verbose=0)
    assert cached.shape[1:] == lite0.stage_output_shape(224, input_stage)
    np.testing.assert_allclose(
        tail.predict(cached, verbose=0), model.predict(photos, verbose=0), atol=1e-5
    )


def test_new_layers_must_be_named(weights: dict[str, list[np.ndarray]]) -> None:
    feature = keras.Input(lite0.feature_shape(64, 16))
    x = lite0.head(lite0.apply_stages(feature, 6, 7), include_top=False)
    tail = keras.Model(feature, keras.layers.Dense(4, name="emotions")(x))
    with pytest.raises(ValueError, match="emotions"):
        lite0.load_imagenet(tail, weights)
    loaded = lite0.load_imagenet(tail, weights, new_layers={"emotions"})
    assert "emotions" not in loaded and "head_conv" in loaded
    with pytest.raises(ValueError, match="takes 80 channels"):
        lite0.apply_stages(keras.Input((4, 4, 40)), 5, 7)


def test_saved_file_reloads_without_custom_code(
    model: Any, photos: np.ndarray, tmp_path: Path
) -> None:
    path = tmp_path / "lite0.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(
        reloaded.predict(photos[:1], verbose=0), model.predict(photos[:1], verbose=0), atol=1e-6
    )
