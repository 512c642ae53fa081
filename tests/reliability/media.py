"""Bad media for the bad-input suite, made on the spot from real photos (nothing downloaded)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bomb(side: int = 20_000) -> bytes:
    """A 1-bit PNG of ``side``² pixels (400 megapixels by default) that weighs ~60 KB: a
    decompression bomb. Every byte is valid PNG; decoding it would take gigabytes."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def animated(photo: bytes, fmt: str) -> bytes:
    """A two-frame animation (GIF or WebP) whose first frame is ``photo``, the second noise."""
    first = Image.open(io.BytesIO(photo)).convert("RGB")
    noise = Image.fromarray(
        np.random.default_rng(7).integers(0, 255, (first.height, first.width, 3), dtype=np.uint8)
    )
    buffer = io.BytesIO()
    first.save(buffer, format=fmt, save_all=True, append_images=[noise], duration=200, loop=0)
    return buffer.getvalue()


def truncated(photo: bytes) -> bytes:
    """The first third of a real photo: what an interrupted upload looks like."""
    return photo[: len(photo) // 3]
