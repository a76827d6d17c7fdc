"""The CSAM guard's decision, as pure functions of embeddings, the prompt and the thresholds (no model, no I/O).

The approach is AI Horde's (``horde-safety``): an image is scored against short concept texts by CLIP similarity;
it is flagged only when underage concepts **and** sexual concepts both score high on the same image. Either alone
is common and harmless (a family photo; adult nudity on a worker that allows NSFW).

1. ``similarities``: cosine similarity of the image embedding with each concept's embedding.
2. ``assess``: control concepts CLIP confuses with children (pregnant, anime, ...) that score high shift the
   underage scores they are confused with; words of the prompt shift them too (what was asked for is evidence),
   and so do words of the negative prompt. Each underage concept over its threshold is one piece of evidence, and
   ``critical_weight`` pieces over its critical threshold. Flagged when the evidence reaches ``evidence_needed``
   and at least one sexual concept is over its threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from horde.worker.safety.thresholds import NEGATIVE_CUES, PROMPT_CUES, GuardThresholds


@dataclass(frozen=True)
class CsamVerdict:
    """What the guard found on one image."""

    flagged: bool
    evidence: int  #: underage evidence, critical concepts weighted
    underage: tuple[str, ...]  #: underage concepts over their threshold (after the shifts)
    critical: tuple[str, ...]  #: those also over their critical threshold
    lewd: tuple[str, ...]  #: sexual concepts over their threshold
    scores: Mapping[str, float]  #: every concept's score after the shifts


def similarities(image: np.ndarray, concepts: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Cosine similarity of ``image`` with each concept embedding (any scale; they are normalised here)."""
    image_unit = image / (np.linalg.norm(image) or 1.0)
    result = {}
    for text, vector in concepts.items():
        result[text] = float(np.dot(image_unit, vector / (np.linalg.norm(vector) or 1.0)))
    return result


def split_prompt(prompt: str) -> tuple[str, str]:
    """AI Horde's ``prompt ### negative prompt``."""
    positive, _, negative = prompt.partition("###")
    return positive, negative


def _shift(scores: dict[str, float], deltas: Mapping[str, float]) -> None:
    for concept, delta in deltas.items():
        if concept in scores:
            scores[concept] += delta


def shifted_scores(scores: Mapping[str, float], prompt: str, thresholds: GuardThresholds) -> dict[str, float]:
    """The underage scores after the control concepts' and the prompt's shifts (others unchanged)."""
    result = dict(scores)
    for control, (limit, deltas) in thresholds.controls.items():
        if scores.get(control, float("-inf")) > limit:
            _shift(result, deltas)
    positive, negative = split_prompt(prompt)
    for pattern, deltas in PROMPT_CUES:
        if pattern.search(positive):
            _shift(result, deltas)
    for pattern, delta in NEGATIVE_CUES:
        if pattern.search(negative):
            _shift(result, dict.fromkeys(thresholds.underage, delta))
    return result


def assess(scores: Mapping[str, float], prompt: str, thresholds: GuardThresholds) -> CsamVerdict:
    """The verdict for one image from its concept scores (``similarities``) and its prompt."""
    shifted = shifted_scores(scores, prompt, thresholds)
    over = tuple(c for c, limit in thresholds.underage.items() if shifted.get(c, float("-inf")) > limit)
    critical = tuple(c for c, limit in thresholds.underage_critical.items() if shifted.get(c, float("-inf")) > limit)
    lewd = tuple(c for c, limit in thresholds.lewd.items() if shifted.get(c, float("-inf")) > limit)
    evidence = len(over) + (thresholds.critical_weight - 1) * len(critical)
    flagged = evidence >= thresholds.evidence_needed and bool(lewd)
    return CsamVerdict(flagged, evidence, over, critical, lewd, shifted)


def score(
    image: np.ndarray, concepts: Mapping[str, np.ndarray], prompt: str, thresholds: GuardThresholds
) -> CsamVerdict:
    """``assess`` of ``similarities``: the whole decision from embeddings."""
    return assess(similarities(image, concepts), prompt, thresholds)


def is_nsfw(scores: Mapping[str, float], thresholds: GuardThresholds) -> bool:
    """Whether any sexual concept is over its threshold (the ``nsfw`` form and the CLIP censor)."""
    return any(scores.get(concept, float("-inf")) > limit for concept, limit in thresholds.lewd.items())
