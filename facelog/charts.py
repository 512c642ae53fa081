"""Emotion charts as PNG bytes (for /stats and the monthly summary), drawn with matplotlib.

Korean labels need a Hangul font: NanumGothic (SIL Open Font Licence) ships inside the
``koreanize-matplotlib`` wheel and is registered by path, so charts render the same offline on
every machine.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from datetime import date
from importlib import metadata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

from inference.labels import EMOTIONS, Emotion

COLOURS: dict[Emotion, str] = {
    Emotion.ANGER: "#e4572e",
    Emotion.HAPPY: "#f3a712",
    Emotion.PANIC: "#7768ae",
    Emotion.SADNESS: "#2e86ab",
}


@functools.cache
def _font_family() -> str:
    """Register NanumGothic once per process; fall back to matplotlib's default font."""
    try:
        dist = metadata.distribution("koreanize-matplotlib")
        path = Path(str(dist.locate_file("koreanize_matplotlib/fonts/NanumGothic.ttf")))
        font_manager.fontManager.addfont(str(path))
        return str(font_manager.FontProperties(fname=str(path)).get_name())
    except (metadata.PackageNotFoundError, OSError, RuntimeError):
        return "DejaVu Sans"


def emotion_chart(
    counts: Mapping[Emotion, int],
    days: Sequence[tuple[date, Emotion]],
    labels: Mapping[Emotion, str],
    counts_title: str,
    days_title: str,
) -> bytes:
    """Two panels: entries per emotion, and the emotion of each day across one month."""
    family = _font_family()
    figure = Figure(figsize=(8, 6.4), dpi=100, layout="constrained")
    bars, strip = figure.subplots(2, 1, height_ratios=(1, 1.1))
    names = [labels[e] for e in EMOTIONS]
    values = [counts.get(e, 0) for e in EMOTIONS]
    drawn = bars.bar(names, values, color=[COLOURS[e] for e in EMOTIONS])
    bars.bar_label(drawn, fontfamily=family)
    bars.set_title(counts_title, fontfamily=family)
    bars.set_ylim(0, max([*values, 1]) * 1.2)
    bars.yaxis.get_major_locator().set_params(integer=True)
    for tick in bars.get_xticklabels():
        tick.set_fontfamily(family)

    strip.set_title(days_title, fontfamily=family)
    if days:
        xs = [d.day for d, _ in days]
        ys = [EMOTIONS.index(e) for _, e in days]
        strip.scatter(xs, ys, s=120, c=[COLOURS[e] for _, e in days], zorder=3)
    strip.set_yticks(range(len(EMOTIONS)), names, fontfamily=family)
    strip.set_ylim(-0.6, len(EMOTIONS) - 0.4)
    strip.set_xlim(0.5, 31.5)
    strip.set_xticks([1, 5, 10, 15, 20, 25, 31])
    strip.grid(axis="x", alpha=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
