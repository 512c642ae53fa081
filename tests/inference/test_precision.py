"""Shipping Keras files with float16 variables: half the bytes, the same answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def test_float16_copy_is_half_the_file_and_answers_the_same(tmp_path: Path) -> None:
    import keras

    from inference.training.precision import resave, with_dtype

    inner_in = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inner_in)
    x = keras.layers.GlobalAveragePooling2D()(x)
    inner = keras.Model(inner_in, keras.layers.Dense(5, activation="softmax")(x), name="member")
    outer_in = keras.Input((8, 8, 1))
    model = keras.Model(outer_in, inner(outer_in))
    face = np.random.default_rng(0).random((4, 8, 8, 1)).astype(np.float32)

    half = with_dtype(model, "float16")
    member = half.layers[1]
    assert member.layers[1].dtype_policy.name == "float16"  # the convolution
    assert member.layers[-1].dtype_policy.name == "float32"  # the output layer stays float32
    out = np.asarray(half(face))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(out, np.asarray(model(face)), atol=2e-3)

    path = tmp_path / "m.keras"
    model.save(path)
    before = path.stat().st_size
    sha = tmp_path / "m.sha256"
    sha.write_text(f"{'0' * 64}  m.keras\n{'1' * 64}  other.tflite\n")
    digest = resave(path, sha)
    assert path.stat().st_size < before
    assert sha.read_text().splitlines() == [f"{digest}  m.keras", f"{'1' * 64}  other.tflite"]
    again = keras.models.load_model(path, compile=False)
    np.testing.assert_allclose(np.asarray(again(face)), out, atol=1e-6)
