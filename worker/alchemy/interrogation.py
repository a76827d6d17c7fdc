"""The CLIP forms: ``interrogation`` (ranked tags with confidences) and ``nsfw`` (yes or no).

Both score the image's CLIP embedding against texts by cosine similarity. ``interrogation`` returns, per category of
:mod:`horde.worker.alchemy.concepts`, the best matches as ``{"text", "confidence"}`` (the similarity, 4 decimals),
best first. ``nsfw`` is the same check as the censor: any sexual concept of the guard's thresholds over its limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

from horde.worker.alchemy import concepts
from horde.worker.alchemy.clip import ClipEncoder
from horde.worker.safety import csam
from horde.worker.safety.thresholds import GuardThresholds

Tag = dict[str, str | float]


def rank(image: np.ndarray, texts: Sequence[str], embeddings: np.ndarray, top: int) -> list[Tag]:
    """The ``top`` texts most similar to ``image`` (unit vectors), best first."""
    scores = embeddings @ image
    order = np.argsort(-scores, kind="stable")[:top]
    return [{"text": texts[i], "confidence": round(float(scores[i]), 4)} for i in order]


def interrogation(
    image: np.ndarray,
    categories: Mapping[str, Sequence[str]],
    embeddings: Mapping[str, np.ndarray],
    top: Mapping[str, int],
) -> dict[str, list[Tag]]:
    """The interrogation result from an image embedding and each category's text embeddings."""
    return {name: rank(image, texts, embeddings[name], top.get(name, 5)) for name, texts in categories.items()}


class ClipForms:
    """Runs ``interrogation`` and ``nsfw`` with one CLIP model."""

    def __init__(self, clip: ClipEncoder, thresholds: GuardThresholds) -> None:
        self.clip = clip
        self.thresholds = thresholds
        self.lewd = clip.concepts(list(thresholds.lewd))
        self._categories: dict[str, np.ndarray] | None = None

    def interrogate(self, image: Image.Image) -> dict[str, list[Tag]]:
        """The ``interrogation`` form's result."""
        if self._categories is None:  # encoded on first use: a few hundred texts
            self._categories = {name: self.clip.encode_texts(texts) for name, texts in concepts.CATEGORIES.items()}
        [embedding] = self.clip.encode_images([image])
        return interrogation(embedding, concepts.CATEGORIES, self._categories, concepts.TOP)

    def is_nsfw(self, image: Image.Image) -> bool:
        """The ``nsfw`` form's result."""
        [embedding] = self.clip.encode_images([image])
        return csam.is_nsfw(csam.similarities(embedding, self.lewd), self.thresholds)
