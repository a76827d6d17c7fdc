"""What this worker tells the server it can do: the bodies of its image and text pop requests.

It only advertises what it really does: ``allow_img2img`` and ``allow_painting`` as configured (both are
implemented), ``allow_lora`` only with a LoRA folder and the ``peft`` package, and never post-processing or
ControlNet, which it does not implement.
"""

from __future__ import annotations

from horde.worker import api_models
from horde.worker.client import CLIENT_AGENT
from horde.worker.loras import peft_available
from horde.worker.settings import WorkerSettings


def can_use_loras(settings: WorkerSettings) -> bool:
    """LoRAs need the setting, a folder that exists and peft."""
    return bool(settings.allow_lora and settings.lora_dir and settings.lora_dir.is_dir() and peft_available())


def model_names(entries: list[str]) -> list[str]:
    """The advertised names of ``NAME`` / ``NAME=SOURCE`` entries."""
    return [entry.partition("=")[0].strip() for entry in entries]


def image_pop_request(settings: WorkerSettings, bridge_agent: str = CLIENT_AGENT) -> api_models.ImagePopRequest:
    """The body of every image pop."""
    return api_models.ImagePopRequest(
        name=settings.name,
        models=model_names(settings.models),
        bridge_agent=bridge_agent,
        nsfw=settings.nsfw,
        threads=settings.threads,
        amount=settings.amount,
        max_pixels=settings.max_pixels,
        allow_img2img=settings.allow_img2img,
        allow_painting=settings.allow_painting,
        allow_lora=can_use_loras(settings),
        allow_post_processing=False,
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
        nsfw=settings.nsfw,
        threads=settings.threads,
        amount=1,
        max_length=settings.max_length,
        max_context_length=settings.max_context_length,
    )
