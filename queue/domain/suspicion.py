"""Suspicion, as upstream's countermeasures have it: reasons a worker or account looks dishonest, counted; at the
threshold an untrusted worker is paused. Trusted owners' workers are exempt."""

from __future__ import annotations

import enum


class Reason(enum.StrEnum):
    UNREASONABLY_FAST = "unreasonably_fast"  #: results came back faster than any real worker makes them
    JOBS_DROPPED = "jobs_dropped"  #: too many jobs popped and never finished
    CORRUPT_PROMPT = "corrupt_prompt"  #: asked for a prompt the filters block
    CSAM_RESULTS = "csam_results"  #: workers' CSAM guards blocked many of this account's (or address's) images


THRESHOLD = 5  #: suspicion from which an untrusted worker is paused
#: the fastest a single thread plausibly works: megapixel-steps per second for images, tokens per second for text
MAX_SPEED = {"image": 60.0, "text": 500.0}
MIN_SECONDS = 0.05  #: a job answered sooner than this is too fast whatever its size (clock resolution aside)


def too_fast(kind: str, things: float, seconds: float, threads: int = 1) -> bool:
    """Whether ``things`` (megapixel-steps or tokens) in ``seconds`` beats every real worker of ``threads``.

    ``things`` of an image are its pixels × steps / 1,000,000, so a 64×64, 4-step test image (0.016) is never too
    fast, while a 512×512, 30-step one (7.9) in 0.05 s is."""
    limit = MAX_SPEED.get(kind, MAX_SPEED["image"]) * max(threads, 1)
    return things / max(seconds, MIN_SECONDS) > limit


def must_pause(suspicion: int) -> bool:
    return suspicion >= THRESHOLD
