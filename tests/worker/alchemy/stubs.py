"""Hand-built embeddings: every concept its own axis, so an image's similarity to each concept is chosen exactly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


class StubSpace:
    """One orthonormal axis per concept, plus a spare axis that keeps image vectors at unit length."""

    def __init__(self, concepts: Sequence[str]) -> None:
        self.names = list(concepts)
        self.size = len(self.names) + 1
        self.concepts = {name: np.eye(self.size, dtype=np.float32)[i] for i, name in enumerate(self.names)}

    def image(self, scores: Mapping[str, float] | None = None, *, rest: float = 0.1) -> np.ndarray:
        """A unit vector whose cosine with each named concept is the given score (``rest`` for the others)."""
        vector = np.full(self.size, rest, dtype=np.float64)
        vector[-1] = 0.0
        for name, value in (scores or {}).items():
            vector[self.names.index(name)] = value
        spare = 1.0 - float(np.sum(vector**2))
        if spare < 0:
            raise ValueError("scores too large for a unit vector")
        vector[-1] = np.sqrt(spare)
        return vector.astype(np.float32)
