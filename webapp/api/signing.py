"""Signed, expiring URLs for results: workers PUT an image to ``r2_upload``; requesters GET it from ``img``.

A URL carries its expiry and an HMAC (under the server's secret) of purpose, object and expiry, so Horde checks it
without storing anything, and an upload URL can never be used to download, or the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import time

UPLOAD = "upload"
DOWNLOAD = "download"
UPLOAD_TTL = 1800  #: seconds, as AI Horde's presigned PUT URLs
DOWNLOAD_TTL = 1800


def signature(secret: bytes, purpose: str, object_id: str, expires: int) -> str:
    message = f"{purpose}\n{object_id}\n{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]


def signed_url(
    base_url: str, secret: bytes, purpose: str, object_id: str, *, ttl: int, now: float | None = None
) -> str:
    expires = int((time.time() if now is None else now) + ttl)
    sig = signature(secret, purpose, object_id, expires)
    return f"{base_url.rstrip('/')}/api/v2/r2/{purpose}/{object_id}?expires={expires}&signature={sig}"


def verify(
    secret: bytes, purpose: str, object_id: str, expires: str | None, sig: str | None, *, now: float | None = None
) -> bool:
    """Whether the signature is ours and the URL has not expired."""
    if not expires or not sig or not expires.isdigit():
        return False
    if int(expires) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(signature(secret, purpose, object_id, int(expires)), sig)
