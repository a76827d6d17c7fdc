"""``Signer``: everything a frontend signs with the server's secret, so that no frontend ever holds the secret.

Two kinds of signature:

- expiring links (``sign`` / ``verify``): an HMAC of purpose, object and expiry, checked without storing anything;
  a link signed for one purpose (``upload``) never passes for another (``download``);
- tokens (``dumps`` / ``loads``): a JSON value, signed and timestamped (itsdangerous), under a salt per use, such as
  the web session cookie and the CSRF cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_EXPIRES_DIGITS = 12  #: a Unix time in seconds, good for the next 30,000 years; longer is not ours


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def __repr__(self) -> str:
        return "Signer(secret=**********)"

    # --- expiring links ----------------------------------------------------------------------------------------

    def signature(self, purpose: str, object_id: str, expires: int) -> str:
        message = f"{purpose}\n{object_id}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:40]

    def sign(self, purpose: str, object_id: str, *, ttl: int, now: float | None = None) -> tuple[int, str]:
        """``(expires, signature)`` for ``object_id``, valid for ``purpose`` during ``ttl`` seconds."""
        expires = int((time.time() if now is None else now) + ttl)
        return expires, self.signature(purpose, object_id, expires)

    def verify(
        self, purpose: str, object_id: str, expires: str | None, signature: str | None, *, now: float | None = None
    ) -> bool:
        """Whether the signature is ours for this purpose and object, and has not expired."""
        if (
            not expires
            or not signature
            or not (expires.isascii() and expires.isdigit())
            or len(expires) > MAX_EXPIRES_DIGITS
        ):
            return False
        if int(expires) < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self.signature(purpose, object_id, int(expires)), signature)

    # --- tokens ------------------------------------------------------------------------------------------------

    def dumps(self, value: object, *, salt: str) -> str:
        """A URL-safe token carrying ``value`` (JSON), signed and timestamped under ``salt``."""
        return URLSafeTimedSerializer(self._secret, salt=salt).dumps(value)

    def loads(self, token: str, *, salt: str, max_age: int | None = None) -> object | None:
        """The value in ``token``, or None when it is not ours (tampered, another salt) or older than ``max_age``."""
        try:
            value: object = URLSafeTimedSerializer(self._secret, salt=salt).loads(token, max_age=max_age)
        except BadSignature:  # SignatureExpired is one
            return None
        return value
