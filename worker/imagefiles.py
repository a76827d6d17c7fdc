"""Image bytes in and out: webp encoding of results, decoding of base64 source images and masks."""

from __future__ import annotations

import base64
import binascii
import io

from PIL import Image

WEBP_QUALITY = 95
WEBP_MAX_SIDE = 16383  #: WebP's limit; larger results go as PNG


def encode_webp(image: Image.Image, quality: int = WEBP_QUALITY) -> bytes:
    """The image as webp bytes (what AI Horde stores and serves)."""
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=quality, method=4)
    return buffer.getvalue()


def encode_result(image: Image.Image) -> bytes:
    """A post-processed image: webp (alpha kept), or PNG when a side is beyond WebP's limit."""
    if max(image.size) <= WEBP_MAX_SIDE:
        return encode_webp(image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def to_base64(data: bytes) -> str:
    """Bytes as a base64 string, for a submit without an upload URL."""
    return base64.b64encode(data).decode("ascii")


def is_url(value: str) -> bool:
    """Whether a source field is a URL (to download) rather than base64 data."""
    return value.startswith(("http://", "https://"))


def decode_image(data: bytes | str) -> Image.Image:
    """Open image bytes, or a base64 string of them (a ``data:`` prefix is allowed), fully loaded."""
    if isinstance(data, str):
        _, _, payload = data.rpartition(",") if data.startswith("data:") else ("", "", data)
        try:
            data = base64.b64decode(payload, validate=False)
        except binascii.Error as exc:
            raise ValueError("source image is neither a URL nor valid base64") from exc
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
