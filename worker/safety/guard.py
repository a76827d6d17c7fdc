"""Running the CSAM guard (and the CLIP NSFW censor) on finished images; the policy is in
:mod:`horde.worker.safety.policy`, the decision in :mod:`horde.worker.safety.csam`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PIL import Image

from horde.worker.alchemy.clip import ClipEncoder
from horde.worker.safety import csam
from horde.worker.safety.thresholds import GuardThresholds

logger = logging.getLogger(__name__)


class CsamGuard:
    """Checks finished images with a CLIP model against the guard's concepts."""

    def __init__(self, clip: ClipEncoder, thresholds: GuardThresholds) -> None:
        self.clip = clip
        self.thresholds = thresholds
        self.concepts = clip.concepts(thresholds.concepts)  # encoded once

    def check(self, images: Sequence[Image.Image], prompt: str) -> list[csam.CsamVerdict]:
        """One verdict per image."""
        embeddings = self.clip.encode_images(images)
        return [csam.score(embedding, self.concepts, prompt, self.thresholds) for embedding in embeddings]


class ClipNsfwChecker:
    """The NSFW censor with the CLIP model (when no diffusers safety checker is configured)."""

    def __init__(self, clip: ClipEncoder, thresholds: GuardThresholds) -> None:
        self.clip = clip
        self.thresholds = thresholds
        self.concepts = clip.concepts(list(thresholds.lewd))

    def __call__(self, images: list[Image.Image]) -> list[bool]:
        embeddings = self.clip.encode_images(images)
        return [csam.is_nsfw(csam.similarities(e, self.concepts), self.thresholds) for e in embeddings]
