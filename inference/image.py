"""Decoding untrusted photos into RGB arrays, with bounded time and memory.

Everything a chat user can send ends up here: truncated uploads, documents that claim to be
images, decompression bombs, animated GIFs, CMYK scans. Each either decodes to a sensible RGB
picture or raises one of the typed errors below, so callers can answer the user precisely.

Pillow reads every header (format, size, EXIF orientation), so every limit is checked before a
pixel is decompressed. Ordinary JPEGs (RGB or grayscale, complete) are then decoded by OpenCV's
libjpeg straight into a NumPy array, at the reduced scale the caller asks for: on the
1280×960 benchmark selfie that took ~4 ms where Pillow's decode plus its copies into NumPy took
~20 ms (two shared cores; ``python -m inference.benchmarks.speed``). Everything else (PNG,
WebP, GIF, BMP, CMYK JPEGs, anything OpenCV declines) goes through Pillow as before.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import cv2
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
#: What the pipeline decodes a selfie to first (``min_side``): detection works on ≤ 640 px
#: copies, and alignment wants the eyes ≥ 67 px apart (the 224 px frame's spacing). A face big
#: enough for the detector's coarse pass (≥ ~13 % of the long side, box ≥ 133 px at 1024) has
#: its eyes about that far apart here, so only big photos with small faces need a second,
#: fuller decode. Photos up to 2047 px are decoded whole.
DETECT_DECODE_SIDE = 1024
#: libjpeg can decode at 1/2, 1/4 or 1/8 scale for a fraction of the cost (it skips most of
#: the inverse DCT); OpenCV's flags for each.
_REDUCED_FLAGS = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}
#: EXIF orientation tag.
_ORIENTATION = 0x0112


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
    #: A JPEG decoded at a reduced scale because the caller asked for less (``min_side``):
    #: decoding again with a larger ``min_side`` gives more pixels (up to ``work_side``).
    reduced: bool = False


def decode_image(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    work_side: int = WORK_SIDE,
    min_side: int | None = None,
) -> Decoded:
    """Decode JPEG/PNG/WebP (and GIF/BMP) bytes to an upright RGB array ≤ ``work_side`` per side.

    EXIF orientation is applied (phones store selfies sideways); animated images give their
    first frame; grayscale, palette, CMYK and alpha images become plain RGB.

    ``min_side`` lets a caller that needs less than ``work_side`` say so: a JPEG is then decoded
    at the largest libjpeg reduction (1/2, 1/4, 1/8) whose long side stays ≥ ``min_side``, which
    is much cheaper than decoding every pixel and shrinking afterwards. Other formats ignore it.
    ``Decoded.reduced`` tells whether a fuller decode would give more pixels.
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
            denominator = _jpeg_denominator((width, height), min(min_side or work_side, work_side))
            array = None
            if fmt in {"JPEG", "MPO"} and image.mode in {"RGB", "L"}:
                array = _decode_jpeg_opencv(data, (width, height), denominator)
                if array is not None:
                    array = _orient(array, image.getexif().get(_ORIENTATION, 1))
            if array is None:
                array = _decode_pillow(image, fmt, animated, denominator)
            if max(array.shape[:2]) > work_side:
                array = resized(array, work_side / max(array.shape[:2]))
            reduced = max(array.shape[:2]) < min(max(width, height), work_side)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnsupportedImage(f"cannot decode the image: {type(exc).__name__}") from exc
    except MemoryError as exc:
        raise ImageTooLarge("the image is too large to decode") from exc
    return Decoded(
        rgb=array, format=fmt, original_size=(width, height), animated=animated, reduced=reduced
    )


def _jpeg_denominator(size: tuple[int, int], min_side: int) -> int:
    """The largest libjpeg reduction (1, 2, 4, 8) that keeps the long side ≥ ``min_side``."""
    long_side = max(size)
    for denominator in (8, 4, 2):
        if math.ceil(long_side / denominator) >= min_side:
            return denominator
    return 1


def _decode_jpeg_opencv(data: bytes, size: tuple[int, int], denominator: int) -> RGB | None:
    """A complete JPEG decoded by OpenCV at 1/``denominator`` scale, or ``None`` to let Pillow try.

    OpenCV, unlike Pillow, hands back a half-grey picture for a truncated upload instead of
    failing, so only files whose first image ends with its EOI marker are given to it.
    Orientation is left to the caller (``_orient``), from the EXIF Pillow read.
    """
    if not _jpeg_is_complete(data):
        return None
    flags = _REDUCED_FLAGS[denominator] | cv2.IMREAD_IGNORE_ORIENTATION
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    width, height = size
    expected = (math.ceil(height / denominator), math.ceil(width / denominator), 3)
    if bgr is None or bgr.shape != expected:
        return None
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def _jpeg_is_complete(data: bytes) -> bool:
    """Whether the JPEG's first image reaches its end-of-image marker.

    Walks the marker segments up to the first start-of-scan (skipping the EXIF block, which may
    hold a whole thumbnail JPEG with its own markers), then looks for EOI after it: inside
    entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so the bytes
    FF D9 can only be the real end.
    """
    if not data.startswith(b"\xff\xd8"):
        return False
    pos, size = 2, len(data)
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if marker == 0xD9:  # EOI before any scan
            return False
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return False
        if marker == 0xDA:
            return data.find(b"\xff\xd9", pos + 2 + length) != -1
        pos += 2 + length
    return False


def _orient(rgb: RGB, orientation: object) -> RGB:
    """Apply an EXIF orientation (2–8) as ``ImageOps.exif_transpose`` would."""
    if orientation == 2:
        rgb = rgb[:, ::-1]
    elif orientation == 3:
        rgb = rgb[::-1, ::-1]
    elif orientation == 4:
        rgb = rgb[::-1]
    elif orientation == 5:
        rgb = rgb.transpose(1, 0, 2)
    elif orientation == 6:
        rgb = rgb[::-1].transpose(1, 0, 2)
    elif orientation == 7:
        rgb = rgb[::-1, ::-1].transpose(1, 0, 2)
    elif orientation == 8:
        rgb = rgb[:, ::-1].transpose(1, 0, 2)
    else:
        return rgb
    return np.ascontiguousarray(rgb)


def _decode_pillow(image: Image.Image, fmt: str, animated: bool, denominator: int) -> RGB:
    """Pillow's decode, for every format and JPEG flavour OpenCV is not given."""
    if animated:
        image.seek(0)
    if fmt in {"JPEG", "MPO"} and denominator > 1:
        # Pillow's draft picks the same libjpeg reduction when asked for the reduced size.
        width, height = image.size
        image.draft("RGB", (math.ceil(width / denominator), math.ceil(height / denominator)))
    image.load()
    if image.getexif().get(_ORIENTATION, 1) in range(2, 9):
        image = ImageOps.exif_transpose(image) or image
    rgb = _to_rgb(image)
    return np.asarray(rgb, dtype=np.uint8)


def resized(image: npt.NDArray[np.uint8], scale: float) -> npt.NDArray[np.uint8]:
    """``image`` scaled by ``scale``: area averaging to shrink (no aliasing on big reductions),
    bilinear to enlarge. Decoding and every detector pass size their copies with it."""
    if scale == 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Flatten any mode to RGB; transparent areas become white, as a chat client shows them."""
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in {"I;16", "I;16B", "I;16L", "I"}:
        return image.point(lambda v: v / 256).convert("L").convert("RGB")
    if image.mode == "RGB":
        return image  # converting would only copy it
    return image.convert("RGB")
