"""What a frontend hands the service when someone asks for images or texts."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class GenerationAsk:
    """One request as a frontend collected it. Defaults follow AI Horde's documented API."""

    prompt: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    models: tuple[str, ...] = ()
    nsfw: bool = False
    censor_nsfw: bool = False
    trusted_workers: bool = False
    slow_workers: bool = True
    workers: tuple[str, ...] = ()
    worker_blacklist: bool = False
    r2: bool = True
    shared: bool = False
    source_image: bytes | None = None
    source_mask: bytes | None = None
    source_processing: str = "img2img"
    allow_downgrade: bool = False
    style: str | None = None  #: a style's id or name; the service applies it
    style_id: str | None = None  #: set when the style is applied: the style this request was made with
