"""What this worker's alchemy can do, loaded at start, and running one form on one image.

Everything is loaded before the first pop, so that the worker advertises exactly the forms whose models loaded
and says at start why each other form is not served.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from horde.worker.alchemy import forms
from horde.worker.alchemy.background import BackgroundRemover
from horde.worker.alchemy.captions import Captioner
from horde.worker.alchemy.clip import ClipEncoder
from horde.worker.alchemy.interrogation import ClipForms
from horde.worker.alchemy.postprocessors import (
    PostProcessor,
    PostProcessors,
    Upscaler,
    build,
    find_files,
    load_model_file,
)
from horde.worker.pipelines.loader import Runtime
from horde.worker.safety.thresholds import GuardThresholds
from horde.worker.settings import WorkerSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FormResult:
    """A form's outcome: ``data`` for caption, interrogation and nsfw; ``image`` for a post-processor."""

    data: dict[str, object] = field(default_factory=dict)
    image: Image.Image | None = None


class Alchemist:
    """Runs the forms whose models loaded."""

    def __init__(
        self,
        post_processors: PostProcessors,
        clip_forms: ClipForms | None = None,
        captioner: Captioner | None = None,
        problems: dict[str, str] | None = None,
    ) -> None:
        self.post_processors = post_processors
        self.clip_forms = clip_forms
        self.captioner = captioner
        self.unavailable = {**(problems or {}), **post_processors.unavailable}
        served = set(post_processors.names)
        if clip_forms is not None:
            served |= {forms.INTERROGATION, forms.NSFW}
        if captioner is not None:
            served.add(forms.CAPTION)
        self.forms = [name for name in forms.ALL_FORMS if name in served]
        for name in self.forms:
            self.unavailable.pop(name, None)

    def run(self, form: str, image: Image.Image) -> FormResult:
        """Do ``form`` to ``image``; KeyError when it is not served."""
        if form == forms.CAPTION and self.captioner is not None:
            return FormResult({"caption": self.captioner.caption(image)})
        if form == forms.INTERROGATION and self.clip_forms is not None:
            return FormResult({"interrogation": self.clip_forms.interrogate(image)})
        if form == forms.NSFW and self.clip_forms is not None:
            return FormResult({"nsfw": self.clip_forms.is_nsfw(image)})
        if form in self.post_processors.processors:
            return FormResult(image=self.post_processors.run(form, image))
        raise KeyError(f"form {form!r} is not served here: {self.unavailable.get(form, 'unknown form')}")

    def describe(self) -> list[str]:
        """Lines for the start-up log: what is served, and why not the rest."""
        lines = [f"alchemy serves: {', '.join(self.forms) or 'nothing'}"]
        lines += [f"  not {name}: {self.unavailable[name]}" for name in forms.ALL_FORMS if name in self.unavailable]
        return lines


def load_post_processor(name: str, path: Path, runtime: Runtime, *, tile: int = 512) -> PostProcessor:
    """One post-processor from its file (UnusableModelError when it cannot serve ``name``)."""
    if name == forms.STRIP_BACKGROUND:
        return BackgroundRemover(path)
    processor = load_model_file(name, path, runtime, tile=tile)
    kind = f"x{processor.scale}" if isinstance(processor, Upscaler) else "face fixer"
    logger.info("post-processor %s: %s %s from %s", name, processor.architecture, kind, path)
    return processor


def load_post_processors(settings: WorkerSettings, runtime: Runtime) -> PostProcessors:
    """Every configured post-processor that loads and fits its name."""
    files = find_files(settings.post_processors, settings.alchemy_dir)
    return build(files, lambda name, path: load_post_processor(name, path, runtime, tile=settings.upscale_tile))


def load_alchemist(
    settings: WorkerSettings,
    runtime: Runtime,
    post_processors: PostProcessors,
    clip: ClipEncoder | None,
    thresholds: GuardThresholds,
) -> Alchemist:
    """The alchemist: the caption model, the CLIP forms and the post-processors."""
    problems: dict[str, str] = {}
    captioner = None
    folder = settings.caption_folder
    if folder is None:
        problems[forms.CAPTION] = "no captioning model configured (--caption-model DIR or ALCHEMY_DIR/caption)"
    else:
        try:
            captioner = Captioner(folder, runtime)
        except Exception as exc:  # noqa: BLE001 - a broken folder: the form is not served, the log says why
            problems[forms.CAPTION] = f"{folder}: cannot load ({type(exc).__name__}: {exc})"
    clip_forms = ClipForms(clip, thresholds) if clip is not None else None
    if clip is None:
        for name in (forms.INTERROGATION, forms.NSFW):
            problems[name] = "no CLIP model configured (--clip-model DIR or ALCHEMY_DIR/clip)"
    return Alchemist(post_processors, clip_forms, captioner, problems)
