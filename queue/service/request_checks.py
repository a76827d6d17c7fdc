"""A request as checked before it is queued, and the rows that queue it: pure functions, no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import secrets
import uuid
import warnings
from typing import Any

from PIL import Image, UnidentifiedImageError

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, params as params_mod
from horde.queue.domain.jobs import GenerationKind, JobState, RequestState
from horde.queue.service.asks import GenerationAsk

MAX_MODELS = 100
MAX_SOURCE_BYTES = 10 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Checked:
    """A request's checked prompt, models and parameters."""

    kind: GenerationKind
    prompt: str
    models: list[str]
    image: params_mod.ImageParams | None
    text: params_mod.TextParams | None

    @property
    def n(self) -> int:
        return self.image.n if self.image else self.text.n if self.text else 1

    @property
    def pixels(self) -> int:
        return self.image.pixels if self.image else 0

    @property
    def things(self) -> float:
        """Work per job: megapixelsteps for an image, tokens for a text."""
        if self.image:
            return self.image.pixels * self.image.accurate_steps / 1_000_000
        return float(self.text.max_length) if self.text else 0.0

    def payload(self) -> dict[str, Any]:
        if self.image:
            return self.image.to_payload()
        return self.text.to_payload() if self.text else {}


@dataclasses.dataclass(frozen=True)
class Priced:
    """What a request costs and where it stands in the queue, as decided when it is admitted."""

    estimate: float
    upfront: float
    priority: float
    rank: float
    tax: float
    style_owner: int | None
    multiplier: float  #: the request's model multiplier (``ModelReference.price_multiplier``)
    payable_milli: int  #: what the requester can pay now (above their floor): the style owner is paid only that


def check_image_bytes(data: bytes, field: str) -> None:
    """An uploaded source image or mask: at most 10 MB and 3072×3072, and an image."""
    if len(data) > MAX_SOURCE_BYTES:
        raise errors.ValidationError(f"{field} is larger than 10 MB.", {field: "too large"})
    too_large = errors.ValidationError(f"{field} is larger than 3072×3072.", {field: "too large"})
    try:
        with warnings.catch_warnings():
            # a header declaring more pixels than Pillow's bomb limit: refused before any pixel is decoded
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width > params_mod.MAX_SIDE or img.height > params_mod.MAX_SIDE:
                    raise too_large
                img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise errors.ValidationError(f"{field} is not an image.", {field: "not an image"}) from exc


def check_models(models: tuple[str, ...]) -> list[str]:
    params_mod.reject_nul_bytes(list(models), "models")
    if len(models) > MAX_MODELS:
        raise errors.ValidationError(f"At most {MAX_MODELS} models.", {"models": "too many"})
    cleaned = list(dict.fromkeys(m.strip() for m in models if m.strip()))
    if any(len(m) > 255 for m in cleaned):
        raise errors.ValidationError("A model name has at most 255 characters.", {"models": "name too long"})
    return cleaned


def check(kind: GenerationKind, ask: GenerationAsk) -> Checked:
    """The request's input checked, or a ``ValidationError`` naming the field."""
    prompt = params_mod.check_prompt(ask.prompt)
    models = check_models(ask.models)
    params_mod.reject_nul_bytes(list(ask.workers), "workers")
    if kind is GenerationKind.TEXT:
        return Checked(kind, prompt, models, None, params_mod.parse_text_params(ask.params))
    image = params_mod.parse_image_params(ask.params)
    if ask.source_mask is not None and ask.source_image is None:
        raise errors.SourceMaskUnnecessaryError
    if ask.source_image is not None:
        if ask.source_processing not in params_mod.SOURCE_PROCESSING:
            raise errors.ValidationError(
                "source_processing must be img2img, inpainting or outpainting.", {"source_processing": "unknown"}
            )
        check_image_bytes(ask.source_image, "source_image")
    if ask.source_mask is not None:
        check_image_bytes(ask.source_mask, "source_mask")
    return Checked(kind, prompt, models, image, None)


def estimate_of(checked: Checked, ask: GenerationAsk, multiplier: float) -> float:
    """The kudos a request costs when all of it is made; ``multiplier``: its models' (``price_multiplier``)."""
    if checked.image:
        return kudos_rules.image_estimate(
            checked.image,
            multiplier,
            has_source=ask.source_image is not None,
            slow_workers=ask.slow_workers,
            worker_blacklist=ask.worker_blacklist and bool(ask.workers),
        )
    return kudos_rules.text_estimate(checked.text or params_mod.TextParams(), checked.models)


def source_keys(request_id: str, ask: GenerationAsk) -> list[tuple[str, bytes]]:
    """The result-store keys and bytes of a request's uploaded source image and mask."""
    keys = []
    if ask.source_image is not None:
        keys.append((f"src-{request_id}.img", ask.source_image))
    if ask.source_mask is not None:
        keys.append((f"mask-{request_id}.img", ask.source_mask))
    return keys


def request_row(
    request_id: str, actor: dto.Actor, checked: Checked, ask: GenerationAsk, prompt: str, priced: Priced,
    expiry_seconds: float, now: dt.datetime,
) -> dict[str, Any]:  # fmt: skip
    """The ``generation_requests`` row that queues a request. Its ``base_cost_milli`` is what one image earns its
    worker, priced now with the request's model multiplier, so the charge is the estimate."""
    image = checked.image
    base = (
        kudos_rules.image_worker_reward(
            kudos_rules.image_base_cost(image, has_source=ask.source_image is not None), priced.multiplier
        )
        if image
        else 0.0
    )
    sources = dict(source_keys(request_id, ask))
    return {
        "id": request_id, "kind": checked.kind.value, "user_id": actor.user_id,
        "shared_key_id": actor.shared_key_id, "prompt": prompt, "params": checked.payload(),
        "models": checked.models, "n": checked.n, "nsfw": ask.nsfw, "censor_nsfw": ask.censor_nsfw,
        "trusted_workers": ask.trusted_workers, "slow_workers": ask.slow_workers,
        "worker_ids": list(dict.fromkeys(ask.workers))[:5], "worker_blacklist": ask.worker_blacklist,
        "r2": ask.r2, "shared": ask.shared,
        "source_processing": ask.source_processing if ask.source_image is not None else None,
        "source_image_key": f"src-{request_id}.img" if f"src-{request_id}.img" in sources else None,
        "source_mask_key": f"mask-{request_id}.img" if f"mask-{request_id}.img" in sources else None,
        "style_id": ask.style_id if priced.style_owner is not None else None,
        "state": RequestState.WAITING.value, "priority": priced.priority, "rank": priced.rank,
        "things": checked.things, "base_cost_milli": kudos_rules.to_milli(base),
        "estimate_milli": kudos_rules.to_milli(priced.estimate), "upfront_milli": kudos_rules.to_milli(priced.upfront),
        "charged_milli": kudos_rules.to_milli(priced.tax), "faults": 0, "kept": not actor.is_anonymous,
        "ip": actor.ip, "client_agent": (actor.client_agent or "")[:200] or None,
        "created_at": now, "updated_at": now, "expires_at": now + dt.timedelta(seconds=expiry_seconds),
    }  # fmt: skip


def job_row(request_id: str, position: int, checked: Checked) -> dict[str, Any]:
    """The ``jobs`` row of one image or text of a request, with its seed."""
    if checked.image:
        seed = params_mod.seed_for_job(checked.image, position, secrets.randbelow(2**32))
    else:
        seed = checked.text.seed if checked.text and checked.text.seed is not None else secrets.randbelow(2**32)
    return {
        "id": str(uuid.uuid4()),
        "request_id": request_id,
        "position": position,
        "state": JobState.QUEUED.value,
        "seed": seed,
        "attempts": 0,
        "reward_milli": 0,
        "charge_milli": 0,
        "favourite": False,
        "public": False,
    }
