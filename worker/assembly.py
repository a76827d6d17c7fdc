"""Builds a running worker from its settings: models, generators, alchemy, HTTP client, signal handlers, loop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx

from horde.worker import capabilities
from horde.worker.alchemy.alchemist import Alchemist, load_alchemist, load_post_processors
from horde.worker.alchemy.clip import ClipEncoder
from horde.worker.alchemy.postprocessors import PostProcessors
from horde.worker.censor import DiffusersSafetyChecker, SafetyChecker
from horde.worker.client import HordeClient
from horde.worker.generate import ImageGenerator
from horde.worker.loop import Summary, WorkerLoop, install_signal_handlers
from horde.worker.loras import LoraLibrary
from horde.worker.pipelines.loader import ModelCache, Runtime
from horde.worker.safety.guard import ClipNsfwChecker, CsamGuard
from horde.worker.safety.policy import GuardPlan, plan
from horde.worker.safety.thresholds import GuardThresholds, load_thresholds
from horde.worker.settings import WorkerSettings
from horde.worker.text import TextGenerator

logger = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The worker cannot start as configured; the message says why (``horde worker`` exits with 2)."""


class NothingToServeError(StartupError):
    """The worker was asked for alchemy and can run none of its forms."""


@dataclass
class Safety:
    """The guard policy and the models it uses."""

    plan: GuardPlan
    thresholds: GuardThresholds
    clip: ClipEncoder | None


def load_safety(settings: WorkerSettings, runtime: Runtime) -> Safety:
    """The guard policy (GuardPolicyError when the settings contradict it), the thresholds and the CLIP model."""
    guard_plan = plan(settings)
    thresholds = load_thresholds(settings.csam_thresholds)
    clip = None
    folder = settings.clip_folder
    if folder is not None:
        try:
            clip = ClipEncoder(folder, runtime)
        except Exception as exc:  # whatever breaks, the guard cannot run: refuse to start, saying why
            raise StartupError(
                f"the CLIP model in {folder} cannot be loaded ({type(exc).__name__}: {exc}); the CSAM guard and the "
                "CLIP forms need it: fix the folder or leave out --clip-model"
            ) from exc
        logger.info("CLIP model (%s) from %s", clip.backend, folder, extra={"action": "model_loaded"})
        if clip.random_weights:
            logger.warning(
                "the CLIP model in %s has random weights (a test model): its NSFW, interrogation and CSAM scores "
                "mean nothing",
                folder,
                extra={"action": "random_clip"},
            )
    return Safety(guard_plan, thresholds, clip)


def build_generators(
    settings: WorkerSettings,
    runtime: Runtime,
    *,
    safety: Safety | None = None,
    post_processors: PostProcessors | None = None,
) -> tuple[ImageGenerator, TextGenerator]:
    """The image and text generators the settings describe (models load lazily)."""
    safety = safety or Safety(plan(settings), GuardThresholds(), None)
    checker: SafetyChecker | None = None
    if settings.safety_checker is not None:
        checker = DiffusersSafetyChecker(settings.safety_checker, runtime.device)
    elif safety.clip is not None:
        checker = ClipNsfwChecker(safety.clip, safety.thresholds)
        logger.info("NSFW censor: the CLIP model", extra={"action": "censor_clip"})
    else:
        logger.warning(
            "no safety checker or CLIP model configured: images that must be censored are replaced by black ones",
            extra={"action": "censor_unavailable"},
        )
    guard = CsamGuard(safety.clip, safety.thresholds) if safety.plan.runs and safety.clip is not None else None
    loras = LoraLibrary(settings.lora_dir) if capabilities.can_use_loras(settings) and settings.lora_dir else None
    images = ImageGenerator(
        ModelCache(settings.models, runtime, model_dir=settings.model_dir),
        max_batch=settings.max_batch,
        loras=loras,
        safety_checker=checker,
        post_processors=post_processors,
        guard=guard,
        always_censor=not safety.plan.advertised,
    )
    texts = TextGenerator(ModelCache(settings.text_models, runtime, model_dir=settings.model_dir, text=True))
    return images, texts


def build_alchemist(
    settings: WorkerSettings, runtime: Runtime, safety: Safety, post_processors: PostProcessors
) -> Alchemist | None:
    """The alchemist when alchemy is asked for; NothingToServeError when none of its forms can run."""
    if not settings.serves_alchemy:
        return None
    alchemist = load_alchemist(settings, runtime, post_processors, safety.clip, safety.thresholds)
    for line in alchemist.describe():
        logger.info("%s", line, extra={"action": "alchemy_offer"})
    if not alchemist.forms:
        raise NothingToServeError(
            "alchemy asked for, but no alchemy model loaded: " + "; ".join(alchemist.describe()[1:]).strip()
        )
    return alchemist


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
    safety = await asyncio.to_thread(load_safety, settings, runtime)
    post_processors = await asyncio.to_thread(load_post_processors, settings, runtime)
    images, texts = build_generators(settings, runtime, safety=safety, post_processors=post_processors)
    alchemist = await asyncio.to_thread(build_alchemist, settings, runtime, safety, post_processors)
    if not settings.alchemy_only:
        logger.info("%s", safety.plan.message, extra={"action": "csam_guard"})
        if post_processors.names:
            logger.info("image jobs may ask for: %s", ", ".join(post_processors.names), extra={"action": "offer"})
        await asyncio.to_thread(images.models.preload)
        await asyncio.to_thread(texts.models.preload)
    stop = stop or asyncio.Event()
    remove_handlers = install_signal_handlers(stop)
    try:
        async with HordeClient(settings.api_url, settings.api_key, transport=transport) as client:
            loop = WorkerLoop(
                settings,
                client,
                images,
                texts,
                alchemist=alchemist,
                post_processors=post_processors.names,
                guard=safety.plan,
                stop=stop,
                show_progress=show_progress,
            )
            return await loop.run()
    finally:
        remove_handlers()
