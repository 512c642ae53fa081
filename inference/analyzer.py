"""What the diary needs from face analysis, whoever runs it.

The in-process :class:`~inference.pipeline.FacePipeline` and the remote
:class:`~inference.service.InferenceClient` both fit, so a bot replica can run the models itself
or hand photos to GPU workers without the diary knowing the difference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from inference.pipeline import Analysis


class FaceAnalyzer(Protocol):
    async def analyze(self, data: bytes) -> Analysis:
        """The largest face's reading; raises ``inference.image.ImageError`` for a bad photo."""
        ...
