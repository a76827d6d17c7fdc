"""Builds a running worker from its settings: models, generators, HTTP client, signal handlers, loop."""

from __future__ import annotations

import asyncio
import logging

import httpx

from horde.worker import capabilities
from horde.worker.censor import DiffusersSafetyChecker, SafetyChecker
from horde.worker.client import HordeClient
from horde.worker.generate import ImageGenerator
from horde.worker.loop import Summary, WorkerLoop, install_signal_handlers
from horde.worker.loras import LoraLibrary
from horde.worker.pipelines.loader import ModelCache, Runtime
from horde.worker.settings import WorkerSettings
from horde.worker.text import TextGenerator

logger = logging.getLogger(__name__)


def build_generators(settings: WorkerSettings, runtime: Runtime) -> tuple[ImageGenerator, TextGenerator]:
    """The image and text generators the settings describe (models load lazily)."""
    checker: SafetyChecker | None = None
    if settings.safety_checker is not None:
        checker = DiffusersSafetyChecker(settings.safety_checker, runtime.device)
    else:
        logger.warning(
            "no safety checker configured: jobs asking for NSFW censoring get black images marked censored",
            extra={"action": "censor_unavailable"},
        )
    loras = LoraLibrary(settings.lora_dir) if capabilities.can_use_loras(settings) and settings.lora_dir else None
    images = ImageGenerator(
        ModelCache(settings.models, runtime, model_dir=settings.model_dir),
        max_batch=settings.max_batch,
        loras=loras,
        safety_checker=checker,
    )
    texts = TextGenerator(ModelCache(settings.text_models, runtime, model_dir=settings.model_dir, text=True))
    return images, texts


async def run_worker(
    settings: WorkerSettings,
    *,
    show_progress: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    stop: asyncio.Event | None = None,
) -> Summary:
    """Load the models, then pop and work until a signal (or ``stop``) asks to drain."""
    runtime = Runtime.detect(compile=settings.compile)
    logger.info(
        "worker %s on %s (%s)", settings.name, runtime.device, runtime.dtype, extra={"action": "worker_started"}
    )
    images, texts = build_generators(settings, runtime)
    await asyncio.to_thread(images.models.preload)
    await asyncio.to_thread(texts.models.preload)
    stop = stop or asyncio.Event()
    remove_handlers = install_signal_handlers(stop)
    try:
        async with HordeClient(settings.api_url, settings.api_key, transport=transport) as client:
            loop = WorkerLoop(settings, client, images, texts, stop=stop, show_progress=show_progress)
            return await loop.run()
    finally:
        remove_handlers()
