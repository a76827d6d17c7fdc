"""What a worker says about itself when it pops, checked once per distinct ask, and what follows from it."""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import matching, params as params_mod
from horde.queue.domain.jobs import GenerationKind
from horde.queue.store.rows import Popper, WorkerRow

MAX_WORKER_MODELS = 300
_BAD_NAME = re.compile(r"colab|tpu|google", re.IGNORECASE)

Worker = Popper | WorkerRow  #: a popping worker's row: as a batch reads it, or whole after its first pop


@dataclasses.dataclass(frozen=True)
class PopAsk:
    """What a worker says about itself when it asks for work."""

    name: str
    kind: GenerationKind = GenerationKind.IMAGE
    models: tuple[str, ...] = ()
    max_pixels: int = 262_144
    nsfw: bool = True
    threads: int = 1
    amount: int = 1
    bridge_agent: str = ""
    allow_img2img: bool = True
    allow_painting: bool = True
    allow_lora: bool = False
    allow_post_processing: bool = True
    post_processors: tuple[str, ...] | None = None  #: None: all of them (when allow_post_processing)
    csam_guard: bool = True
    limit_max_steps: bool = False
    require_upfront_kudos: bool = False
    blacklist: tuple[str, ...] = ()
    priority_user_ids: tuple[int, ...] = ()
    max_length: int = 512
    max_context_length: int = 2048


@dataclasses.dataclass(frozen=True)
class Pop:
    """One pop of a batch: who asks, what they said, and the checked name and models."""

    actor: dto.Actor
    ask: PopAsk
    name: str  #: with its spaces normalised
    models: list[str]  #: cleaned


@functools.lru_cache(maxsize=4096)
def checked(ask: PopAsk) -> tuple[str, tuple[str, ...]]:
    """The worker's name (spaces normalised) and its cleaned model list, or a ``ValidationError``. A worker asks
    the same every time it pops, so valid answers are kept (a pop ask is immutable and hashable)."""
    params_mod.reject_nul_bytes([ask.name, *ask.models, ask.bridge_agent, *ask.blacklist], "pop")
    name = " ".join(ask.name.split())
    if not 1 <= len(name) <= 100 or _BAD_NAME.search(name):
        raise errors.InvalidWorkerNameError("A worker name has 1 to 100 characters and is not a cloud notebook.")
    models = tuple(dict.fromkeys(m.strip() for m in ask.models if m.strip()))[:MAX_WORKER_MODELS]
    if any(not 1 <= len(m) <= 255 for m in models):
        raise errors.ValidationError("A model name has 1 to 255 characters.", {"models": "1-255 characters"})
    if not 1 <= ask.amount <= 20 or not 1 <= ask.threads <= 50 or ask.max_pixels < 64 * 64:
        raise errors.ValidationError("amount is 1-20, threads 1-50, max_pixels at least 4096.")
    return name, models


def capabilities(ask: PopAsk) -> dict[str, Any]:
    """What a worker's row records of what it can do beyond its models."""
    return {
        "img2img": ask.allow_img2img,
        "painting": ask.allow_painting,
        "lora": ask.allow_lora,
        "post_processing": ask.allow_post_processing,
        "post_processors": list(ask.post_processors) if ask.post_processors is not None else None,
        "csam_guard": ask.csam_guard,
        "max_length": ask.max_length,
        "max_context_length": ask.max_context_length,
    }


def profile(pop: Pop, worker_id: str) -> matching.WorkerProfile:
    """The worker as the matching rules see it."""
    ask = pop.ask
    return matching.WorkerProfile(
        worker_id=worker_id,
        owner_id=pop.actor.user_id,
        models=frozenset(pop.models),
        max_pixels=ask.max_pixels,
        nsfw=ask.nsfw,
        trusted=pop.actor.is_trusted,
        allow_img2img=ask.allow_img2img,
        allow_painting=ask.allow_painting,
        allow_lora=ask.allow_lora,
        allow_post_processing=ask.allow_post_processing,
        post_processors=frozenset(ask.post_processors) if ask.post_processors is not None else None,
        csam_guard=ask.csam_guard,
        limit_max_steps=ask.limit_max_steps,
        require_upfront_kudos=ask.require_upfront_kudos,
        blacklist=frozenset(word.lower() for word in ask.blacklist[:200]),
        max_length=ask.max_length,
        max_context_length=ask.max_context_length,
    )
