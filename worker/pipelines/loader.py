"""Resolve advertised model names to pipelines, load them once and keep them loaded between jobs.

A model entry is ``NAME`` or ``NAME=SOURCE``. The source is, in order: the built-in ``tiny`` model; a diffusers
(or transformers) folder on disk, loaded with ``local_files_only=True``; a single ``.safetensors`` checkpoint,
optionally followed by ``@CONFIG_DIR`` (a local diffusers folder supplying configs and tokenizer, so nothing is
fetched); otherwise a Hugging Face hub repo id, which needs a network connection. A bare ``NAME`` is first looked
up as ``MODEL_DIR/NAME``. On CUDA, models run in bf16 (fp16 where bf16 is missing) with channels-last UNet and VAE,
PyTorch SDPA attention (diffusers' default under torch 2) and, if asked, a ``torch.compile``d UNet; on a CPU they
run in float32.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from horde.worker.pipelines import tiny

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSource:
    """Where an advertised model name comes from."""

    name: str  #: the name advertised to the server
    kind: str  #: "builtin", "folder", "single_file" or "hub"
    location: str  #: "tiny", a path, or a repo id
    config: Path | None = None  #: configs folder for a single file


@dataclass(frozen=True)
class Runtime:
    """The device and precision models run with."""

    device: str
    dtype: torch.dtype
    compile: bool = False

    @classmethod
    def detect(cls, *, compile: bool = False, dtype: str = "auto") -> Runtime:
        """CUDA with bf16 (or fp16) when there is a GPU, else the CPU in float32."""
        if not torch.cuda.is_available():
            return cls("cpu", torch.float32, compile=False)
        if dtype != "auto":
            return cls("cuda", getattr(torch, dtype), compile=compile)
        chosen = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return cls("cuda", chosen, compile=compile)


def parse_source(entry: str, model_dir: Path | None = None) -> ModelSource:
    """Turn ``NAME`` or ``NAME=SOURCE`` into a :class:`ModelSource`."""
    name, _, source = entry.partition("=")
    name, source = name.strip(), source.strip()
    if not source:
        source = name
        if model_dir is not None and (model_dir / name).exists():
            source = str(model_dir / name)
    if source == tiny.TINY:
        return ModelSource(name, "builtin", tiny.TINY)
    location, _, config = source.partition("@")
    path = Path(location).expanduser()
    if path.suffix == ".safetensors":
        return ModelSource(name, "single_file", str(path), Path(config).expanduser() if config else None)
    if path.is_dir():
        return ModelSource(name, "folder", str(path))
    return ModelSource(name, "hub", source)


def load_image_pipeline(source: ModelSource, runtime: Runtime) -> Any:
    """Load a text-to-image pipeline and prepare it for ``runtime``."""
    diffusers = importlib.import_module("diffusers")
    if source.kind == "builtin":
        pipe = tiny.sd_pipeline()
        if runtime.dtype != torch.float32:
            pipe = pipe.to(dtype=runtime.dtype)
    elif source.kind == "single_file":
        config = str(source.config) if source.config else None
        pipe = diffusers.StableDiffusionPipeline.from_single_file(
            source.location, config=config, torch_dtype=runtime.dtype, local_files_only=config is not None
        )
    else:
        pipe = diffusers.AutoPipelineForText2Image.from_pretrained(
            source.location, torch_dtype=runtime.dtype, local_files_only=source.kind == "folder"
        )
    pipe.set_progress_bar_config(disable=True)
    return prepare_pipeline(pipe, runtime)


def prepare_pipeline(pipe: Any, runtime: Runtime) -> Any:
    """Move to the device (weights already have their dtype); on CUDA: channels-last, optional compiled UNet."""
    pipe = pipe.to(runtime.device)
    if runtime.device == "cuda":
        pipe.unet.to(memory_format=torch.channels_last)
        pipe.vae.to(memory_format=torch.channels_last)
        if runtime.compile:
            pipe.unet = torch.compile(pipe.unet)
    return pipe


def load_text_model(source: ModelSource, runtime: Runtime) -> tuple[Any, Any]:
    """Load a causal language model and its tokenizer."""
    model: Any
    tokenizer: Any
    if source.kind == "builtin":
        model, tokenizer = tiny.text_model()
    else:
        transformers = importlib.import_module("transformers")
        local = source.kind == "folder"
        tokenizer = transformers.AutoTokenizer.from_pretrained(source.location, local_files_only=local)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            source.location, dtype=runtime.dtype, local_files_only=local
        )
    model.to(runtime.device)
    model.eval()
    return model, tokenizer


class ModelCache:
    """Named models, loaded on first use (or by :meth:`preload`) and kept for later jobs."""

    def __init__(self, entries: list[str], runtime: Runtime, *, model_dir: Path | None = None, text: bool = False):
        self.runtime = runtime
        self.sources = {source.name: source for source in (parse_source(e, model_dir) for e in entries)}
        self._text = text
        self._loaded: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        """The advertised model names."""
        return list(self.sources)

    def get(self, name: str) -> Any:
        """The loaded model (a pipeline, or a ``(model, tokenizer)`` pair for text) for ``name``."""
        with self._lock:
            if name not in self._loaded:
                source = self.sources.get(name)
                if source is None:
                    raise KeyError(f"model {name!r} is not served by this worker")
                logger.info(
                    "loading %s from %s %s", name, source.kind, source.location, extra={"action": "model_loaded"}
                )
                load = load_text_model if self._text else load_image_pipeline
                self._loaded[name] = load(source, self.runtime)
            return self._loaded[name]

    def preload(self) -> None:
        """Load every model now, so the first job does not pay for it."""
        for name in self.sources:
            self.get(name)
