"""Decoding what chat users actually send: every bad input is a typed error, never a crash."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from inference.image import (
    MAX_BYTES,
    EmptyImage,
    ImageError,
    ImageTooLarge,
    UnsupportedImage,
    decode_image,
)
from inference.pipeline import FacePipeline


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    """A genuine 20000×20000 RGB PNG of zeros: ~1 MB on the wire, 1.2 GB once decoded."""
    side = 20000
    row = b"\x00" * (side * 3 + 1)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def test_empty_file_is_refused() -> None:
    with pytest.raises(EmptyImage):
        decode_image(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01garbage" * 100,
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
        "안녕하세요, 사진이 아니에요".encode(),
        b"\xff\xd8\xff\xe0" + b"\x00" * 64,  # a JPEG signature with nothing behind it
    ],
    ids=["random-bytes", "pdf", "text", "jpeg-header-only"],
)
def test_non_images_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImage):
        decode_image(data)


def test_truncated_jpeg_is_unsupported(face_photos: dict[str, bytes]) -> None:
    jpeg = face_photos["grace_hopper"]
    with pytest.raises(UnsupportedImage):
        decode_image(jpeg[: len(jpeg) // 3])


def test_png_bomb_is_refused_from_its_header(png_bomb: bytes) -> None:
    assert len(png_bomb) < 5_000_000
    with pytest.raises(ImageTooLarge):
        decode_image(png_bomb)


def test_oversized_upload_is_refused_before_decoding() -> None:
    with pytest.raises(ImageTooLarge):
        decode_image(b"\xff" * (MAX_BYTES + 1))


def test_errors_share_one_base_with_a_code() -> None:
    codes = {cls.code for cls in (EmptyImage, ImageTooLarge, UnsupportedImage)}
    assert len(codes) == 3
    assert all(issubclass(cls, ImageError) for cls in (EmptyImage, ImageTooLarge, UnsupportedImage))


def test_exif_orientation_is_applied(face_photos: dict[str, bytes]) -> None:
    upright = Image.open(io.BytesIO(face_photos["grace_hopper"])).convert("RGB")
    # Store the pixels turned 90° counter-clockwise and tag them "rotate 90° CW to view" (6),
    # as phones held in portrait do.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    decoded = decode_image(_encode(stored, "JPEG", exif=exif.tobytes(), quality=95))
    assert decoded.rgb.shape[:2] == (upright.height, upright.width)
    difference = np.abs(decoded.rgb.astype(int) - np.asarray(upright, dtype=int)).mean()
    assert difference < 8  # same picture up to JPEG noise


@pytest.mark.parametrize("mode", ["L", "CMYK", "RGBA", "P"])
def test_other_colour_modes_become_rgb(face_photos: dict[str, bytes], mode: str) -> None:
    image = Image.open(io.BytesIO(face_photos["astronaut"])).convert(mode)
    fmt = "PNG" if mode in {"RGBA", "P"} else "JPEG"
    decoded = decode_image(_encode(image, fmt))
    assert decoded.rgb.dtype == np.uint8
    assert decoded.rgb.shape == (512, 512, 3)


def test_big_photos_are_reduced_for_work(face_photos: dict[str, bytes]) -> None:
    image = Image.open(io.BytesIO(face_photos["astronaut"])).convert("RGB").resize((4000, 3000))
    decoded = decode_image(_encode(image, "JPEG"))
    assert max(decoded.rgb.shape[:2]) <= 2048
    assert decoded.original_size == (4000, 3000)


def test_faces_survive_every_input_format(
    pipeline: FacePipeline, face_photos: dict[str, bytes]
) -> None:
    """Grayscale and CMYK JPEGs, WebP, an animated GIF (first frame): the face is still read."""
    face = Image.open(io.BytesIO(face_photos["astronaut"])).convert("RGB")
    blank = Image.new("RGB", face.size, (40, 40, 40))
    variants = {
        "gray-jpeg": _encode(face.convert("L"), "JPEG"),
        "cmyk-jpeg": _encode(face.convert("CMYK"), "JPEG"),
        "webp": _encode(face, "WEBP", quality=90),
        "animated-gif": _encode(face, "GIF", save_all=True, append_images=[blank], duration=100),
    }
    for name, data in variants.items():
        analysis = pipeline.analyze_sync(data)
        assert analysis.face is not None, name
        assert analysis.faces >= 1, name
    assert decode_image(variants["animated-gif"]).animated
