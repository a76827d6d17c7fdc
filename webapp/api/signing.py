"""Signed, expiring URLs for results: workers PUT an image to ``r2_upload``; requesters GET it from ``img``.

A URL carries its expiry and the service signer's signature of purpose, object and expiry, so Horde checks it
without storing anything, and an upload URL can never be used to download, or the other way round.
"""

from __future__ import annotations

from horde.queue.service import Signer

UPLOAD = "upload"
DOWNLOAD = "download"
UPLOAD_TTL = 1800  #: seconds, as AI Horde's presigned PUT URLs
DOWNLOAD_TTL = 1800


def signed_url(
    base_url: str, signer: Signer, purpose: str, object_id: str, *, ttl: int, now: float | None = None
) -> str:
    expires, sig = signer.sign(purpose, object_id, ttl=ttl, now=now)
    return f"{base_url.rstrip('/')}/api/v2/r2/{purpose}/{object_id}?expires={expires}&signature={sig}"


def handout_id(job_id: str, handout: int) -> str:
    """What an upload URL is signed for: one hand-out of a job, so a worker the job was taken from cannot upload."""
    return f"{job_id}.{handout}"


def parse_handout_id(value: str) -> tuple[str, int]:
    """``(job id, hand-out)`` of a signed ``handout_id``; an id without a hand-out (not signed by us) is 0."""
    job_id, _, handout = value.rpartition(".")
    return (job_id, int(handout)) if job_id and handout.isdigit() and len(handout) < 6 else (value, 0)
