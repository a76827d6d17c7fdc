"""Alchemy ("interrogation"): the forms a requester may ask of an image, what each costs and pays, and what a
worker's result for each must look like (AI Horde's ``/v2/interrogate/*``)."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from typing import Any

from horde.queue import errors
from horde.queue.domain import params as params_mod

CAPTION = "caption"
INTERROGATION = "interrogation"
NSFW = "nsfw"
#: the forms that describe an image (their result is data); the post-processors make a new image
DESCRIBING = frozenset({CAPTION, INTERROGATION, NSFW})
POST_PROCESSORS = params_mod.POST_PROCESSORS
FORMS = DESCRIBING | POST_PROCESSORS

TILE = 512  #: the side of a tile, for limits and the price of post-processing
MAX_TILES = 255  #: the largest source image, in tiles (upstream's ``SourceImageResolutionExceeded``)
FORMS_PER_CONCURRENCY = 10  #: forms a user may have waiting or in work, per unit of their concurrency
MAX_CAPTION = 2000  #: characters of a caption a worker may return
MAX_TAGS = 100  #: tags per interrogation category
INTERROGATION_CATEGORIES = frozenset({"tags", "sites", "artists", "flavors", "mediums", "movements", "techniques"})
R2 = "R2"  #: a post-processor's result was uploaded to the form's upload URL

FORM_KUDOS = 1.0  #: most forms
INTERROGATION_KUDOS = 3.0
POST_PROCESSOR_KUDOS_PER_TILE = 3.0
HORDE_TAX = 1.0  #: the requester pays this on top of each form's kudos
FAST_WORKERS_COST = 1.0  #: and this when they refuse slow workers


class FormState(enum.StrEnum):
    """Where one form stands, in AI Horde's words."""

    WAITING = "waiting"
    PROCESSING = "processing"
    DONE = "done"
    FAULTED = "faulted"
    CANCELLED = "cancelled"


FINAL_FORM_STATES = frozenset({FormState.DONE, FormState.FAULTED, FormState.CANCELLED})


def tiles(width: int, height: int) -> int:
    """How many 512×512 tiles cover an image."""
    return math.ceil(width / TILE) * math.ceil(height / TILE)


def scale_of(form: str) -> int:
    """How much a form enlarges the image: 2 or 4 for an upscaler, 1 for anything else."""
    if form not in params_mod.UPSCALERS:
        return 1
    return 2 if form == "RealESRGAN_x2plus" else 4


def form_kudos(form: str, tile_count: int) -> float:
    """What a worker earns for a form (AI Horde: 1, 3 for interrogation, 3 per tile for a post-processor)."""
    if form in POST_PROCESSORS:
        return POST_PROCESSOR_KUDOS_PER_TILE * tile_count
    return INTERROGATION_KUDOS if form == INTERROGATION else FORM_KUDOS


def requester_charge(worker_kudos: float, *, slow_workers: bool) -> float:
    """What the requester pays for a finished form: its kudos, the horde tax, and one more when they refused slow
    workers (upstream's documented rule; its code charges the extra the other way round)."""
    return worker_kudos + HORDE_TAX + (0.0 if slow_workers else FAST_WORKERS_COST)


def checked_forms(forms: Sequence[Mapping[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The asked forms as (name, payload), each name once, in the order asked; an unknown or repeated name, or a
    payload that is not an object, is refused with a message that names it."""
    if not forms:
        raise errors.ValidationError("Ask for at least one form.", {"forms": "empty"})
    if len(forms) > len(FORMS):
        raise errors.ValidationError(f"Ask for at most {len(FORMS)} forms.", {"forms": "too many"})
    out: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for form in forms:
        name = form.get("name")
        if not isinstance(name, str) or name not in FORMS:
            known = ", ".join(sorted(FORMS))
            raise errors.ValidationError(f"Unknown form {name!r}; the forms are {known}.", {"forms": "unknown name"})
        if name in seen:
            raise errors.ValidationError(f"The form {name!r} is asked twice.", {"forms": "repeated"})
        payload = form.get("payload") or {}
        if not isinstance(payload, dict):
            raise errors.ValidationError(f"The payload of {name!r} must be an object.", {"forms": "bad payload"})
        seen.add(name)
        out.append((name, dict(payload)))
    if sum(name in params_mod.UPSCALERS for name, _ in out) > 1:
        raise errors.TooManyUpscalersError("Ask for at most one upscaler.")
    return out


def checked_result(form: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """A worker's result for a form, kept as the status shows it; anything else is refused (the worker's fault).
    A post-processor's result is ``{form: "R2"}`` (uploaded) or ``{form: base64}``: the caller checks the image."""
    if form == CAPTION:
        caption = result.get(CAPTION)
        if not isinstance(caption, str) or not 0 < len(caption) <= MAX_CAPTION:
            raise errors.ValidationError(
                f"A caption is a text of 1 to {MAX_CAPTION} characters.", {"result": "caption"}
            )
        return {CAPTION: caption}
    if form == NSFW:
        flag = result.get(NSFW)
        if not isinstance(flag, bool):
            raise errors.ValidationError("An nsfw result is true or false.", {"result": "nsfw"})
        return {NSFW: flag}
    if form == INTERROGATION:
        return {INTERROGATION: _interrogation(result.get(INTERROGATION))}
    value = result.get(form)
    if not isinstance(value, str) or not value:
        raise errors.ValidationError(f'A {form} result is {{"{form}": "R2"}} after the upload.', {"result": form})
    return {form: value}


def _interrogation(details: object) -> dict[str, list[dict[str, Any]]]:
    bad = errors.ValidationError(
        "An interrogation result maps categories (tags, artists, …) to lists of {text, confidence}.",
        {"result": "interrogation"},
    )
    if not isinstance(details, dict) or not details or not set(details) <= INTERROGATION_CATEGORIES:
        raise bad
    out: dict[str, list[dict[str, Any]]] = {}
    for category, items in details.items():
        if not isinstance(items, list) or len(items) > MAX_TAGS:
            raise bad
        kept = []
        for item in items:
            text, confidence = (item.get("text"), item.get("confidence")) if isinstance(item, dict) else (None, None)
            if not isinstance(text, str) or not 0 < len(text) <= 200:
                raise bad
            if not isinstance(confidence, int | float) or isinstance(confidence, bool) or not math.isfinite(confidence):
                raise bad
            kept.append({"text": text, "confidence": float(confidence)})
        out[category] = kept
    return out
