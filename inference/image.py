"""Decoding untrusted photos into RGB arrays, with bounded time and memory.

Everything a chat user can send ends up here: truncated uploads, documents that claim to be
images, decompression bombs, animated GIFs, CMYK scans. Each either decodes to a sensible RGB
picture or raises one of the typed errors below, so callers can answer the user precisely.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

RGB = npt.NDArray[np.uint8]

#: Telegram lets bots download files up to 20 MB; a little headroom for other callers.
MAX_BYTES = 25 * 1024 * 1024
#: 50 megapixels covers every phone camera; a 20000×20000 PNG bomb (400 MP) is refused from its
#: header alone, before a single pixel is decompressed.
MAX_PIXELS = 50_000_000
#: Faces are aligned from at most this many pixels per side; more detail buys nothing at 224×224.
WORK_SIDE = 2048
FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP"})


class ImageError(ValueError):
    """Base of every way a byte string can fail to be a usable photo."""

    code = "invalid_image"


class EmptyImage(ImageError):
    code = "empty"


class ImageTooLarge(ImageError):
    code = "too_large"


class UnsupportedImage(ImageError):
    """Not an image, a format Facelog does not read, or damaged beyond decoding."""

    code = "unsupported"


@dataclass(frozen=True)
class Decoded:
    """An upright RGB picture plus what the caller may want to tell the user about it."""

    rgb: RGB
    format: str
    original_size: tuple[int, int]
    animated: bool


def decode_image(data: bytes, *, max_bytes: int = MAX_BYTES, work_side: int = WORK_SIDE) -> Decoded:
    """Decode JPEG/PNG/WebP (and GIF/BMP) bytes to an upright RGB array ≤ ``work_side`` per side.

    EXIF orientation is applied (phones store selfies sideways); animated images give their
    first frame; grayscale, palette, CMYK and alpha images become plain RGB.
    """
    if not data:
        raise EmptyImage("the file is empty")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"{len(data)} bytes is more than {max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format or ""
            if fmt not in FORMATS:
                raise UnsupportedImage(f"{fmt or 'unknown'} images are not supported")
            width, height = image.size
            if width <= 0 or height <= 0:
                raise UnsupportedImage("the image has no pixels")
            if width * height > MAX_PIXELS:
                raise ImageTooLarge(f"{width}×{height} is more than {MAX_PIXELS} pixels")
            animated = bool(getattr(image, "is_animated", False))
            if animated:
                image.seek(0)
            if fmt in {"JPEG", "MPO"}:
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: a 12 MP selfie costs a fraction.
                image.draft("RGB", (work_side, work_side))
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            rgb = _to_rgb(upright)
            if max(rgb.size) > work_side:
                rgb.thumbnail((work_side, work_side), Image.Resampling.BILINEAR)
            array = np.asarray(rgb, dtype=np.uint8)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnsupportedImage(f"cannot decode the image: {type(exc).__name__}") from exc
    except MemoryError as exc:
        raise ImageTooLarge("the image is too large to decode") from exc
    return Decoded(rgb=array, format=fmt, original_size=(width, height), animated=animated)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Flatten any mode to RGB; transparent areas become white, as a chat client shows them."""
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in {"I;16", "I;16B", "I;16L", "I"}:
        return image.point(lambda v: v / 256).convert("L").convert("RGB")
    return image.convert("RGB")
