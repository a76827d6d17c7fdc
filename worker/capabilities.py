"""What this worker tells the server it can do: the bodies of its image, text and alchemy pop requests.

It only advertises what it really does: ``allow_img2img`` and ``allow_painting`` as configured (both are
implemented), ``allow_lora`` only with a LoRA folder and the ``peft`` package, ``allow_post_processing`` with the
names of the post-processors whose models loaded (Horde's ``post_processors`` extension), ``csam_guard`` and
``nsfw`` as the guard policy decides (:mod:`horde.worker.safety.policy`), never ControlNet; and for alchemy, only
the forms whose models loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

from horde.worker import api_models
from horde.worker.client import CLIENT_AGENT
from horde.worker.loras import peft_available
from horde.worker.safety.policy import GuardPlan, plan
from horde.worker.settings import WorkerSettings


def can_use_loras(settings: WorkerSettings) -> bool:
    """LoRAs need the setting, a folder that exists and peft."""
    return bool(settings.allow_lora and settings.lora_dir and settings.lora_dir.is_dir() and peft_available())


def model_names(entries: list[str]) -> list[str]:
    """The advertised names of ``NAME`` / ``NAME=SOURCE`` entries."""
    return [entry.partition("=")[0].strip() for entry in entries]


def image_pop_request(
    settings: WorkerSettings,
    bridge_agent: str = CLIENT_AGENT,
    *,
    post_processors: Sequence[str] = (),
    guard: GuardPlan | None = None,
) -> api_models.ImagePopRequest:
    """The body of every image pop; ``guard`` defaults to the policy for ``settings``."""
    guard = guard or plan(settings)
    return api_models.ImagePopRequest(
        name=settings.name,
        models=model_names(settings.models),
        bridge_agent=bridge_agent,
        nsfw=guard.nsfw,
        threads=settings.threads,
        amount=settings.amount,
        max_pixels=settings.max_pixels,
        allow_img2img=settings.allow_img2img,
        allow_painting=settings.allow_painting,
        allow_lora=can_use_loras(settings),
        allow_post_processing=bool(post_processors),
        post_processors=list(post_processors) if post_processors else None,
        csam_guard=guard.advertised,
        allow_controlnet=False,
        allow_sdxl_controlnet=False,
    )


def text_worker_name(settings: WorkerSettings) -> str:
    return f"{settings.name} (text)" if settings.models else settings.name


def text_pop_request(settings: WorkerSettings, bridge_agent: str = CLIENT_AGENT) -> api_models.TextPopRequest:
    """The body of every text pop. Worker names are unique across kinds (as on AI Horde), so a worker that also
    serves text registers its text side as ``NAME (text)``."""
    return api_models.TextPopRequest(
        name=text_worker_name(settings),
        models=model_names(settings.text_models),
        bridge_agent=bridge_agent,
        nsfw=settings.nsfw is not False,
        threads=settings.threads,
        amount=1,
        max_length=settings.max_length,
        max_context_length=settings.max_context_length,
    )


def alchemy_worker_name(settings: WorkerSettings) -> str:
    """``NAME (alchemy)`` when the worker also serves images or text (names are unique across kinds)."""
    alone = settings.alchemy_only or not (settings.models or settings.text_models)
    return settings.name if alone else f"{settings.name} (alchemy)"


def alchemy_pop_request(
    settings: WorkerSettings, forms: Sequence[str], bridge_agent: str = CLIENT_AGENT
) -> api_models.AlchemyPopRequest:
    """The body of every alchemy pop: the forms whose models loaded."""
    return api_models.AlchemyPopRequest(
        name=alchemy_worker_name(settings),
        forms=list(forms),
        bridge_agent=bridge_agent,
        threads=settings.threads,
        amount=settings.amount,
        max_tiles=settings.alchemy_max_tiles,
    )
