"""Whether a worker's result is what was asked for: a result that is not an image of the asked size is a fault,
never a payment (16 random bytes once earned a worker's owner thousands of kudos)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from typing import Any

from PIL import Image

from horde.queue.domain import alchemy, params as params_mod

FORMATS = frozenset({"WEBP", "PNG", "JPEG"})


def sizes_allowed(params: Mapping[str, Any]) -> set[tuple[int, int]]:
    """The asked width × height, and that times the scale of an upscaler the request asked for."""
    width, height = int(params.get("width", 512)), int(params.get("height", 512))
    scales = {1} | {
        alchemy.scale_of(name) for name in params.get("post_processing") or () if name in params_mod.UPSCALERS
    }
    return {(width * k, height * k) for k in scales}


def is_image_of(data: bytes, params: Mapping[str, Any]) -> bool:
    """Whether ``data`` opens as a WebP, PNG or JPEG image of an allowed size (read from its header: cheap)."""
    return is_image_sized(data, sizes_allowed(params))


def is_image_sized(data: bytes, sizes: set[tuple[int, int]]) -> bool:
    """Whether ``data`` opens as a WebP, PNG or JPEG image of one of ``sizes`` (read from its header: cheap)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.format in FORMATS and image.size in sizes
    except Exception:  # noqa: BLE001 - any failure to read it means it is not an image
        return False
