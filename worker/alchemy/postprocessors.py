"""Upscalers and face fixers loaded by spandrel from ``.pth`` / ``.safetensors`` files, and the post-processor set.

spandrel reads the architecture and its size from the weights, so any file of an architecture it knows loads
(ESRGAN and Real-ESRGAN, SwinIR, HAT, ... for upscalers; GFPGAN and RestoreFormer for faces). A file is served under
a name only when it fits the name: an upscaler must be a super-resolution model of the scale its name promises (the
server checks the result's size), a face fixer a face model of scale 1 of an architecture that name stands for
(:data:`horde.worker.alchemy.forms.FACE_FIXERS`). Anything else is not advertised, and the reason is logged.

Upscalers run tile by tile (:mod:`horde.worker.alchemy.tiling`), so memory stays bounded for any image. Face fixers
see the whole image as one face: it is padded to a square, resized to the 512x512 the models are trained on, fixed,
resized back and blended with the original by ``facefixer_strength``. There is no face detector: portraits and face
crops work well; small faces in a large scene are not found, unlike AI Horde workers that crop faces with facexlib.
An alpha channel is kept (resized along for upscalers).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from PIL import Image

from horde.worker.alchemy import forms
from horde.worker.alchemy.tiling import run_tiled
from horde.worker.pipelines.loader import Runtime

logger = logging.getLogger(__name__)

MODEL_SUFFIXES = (".pth", ".safetensors")
FACE_SIZE = 512  #: the input size GFPGAN and RestoreFormer are trained on (GFPGAN needs it)


class UnusableModelError(Exception):
    """A model file cannot serve the name it was given; the message says why."""


class PostProcessor(Protocol):
    """One named post-processor: an image in, an image out."""

    name: str

    def __call__(self, image: Image.Image, *, strength: float = 1.0) -> Image.Image: ...


def to_tensor(image: Image.Image) -> torch.Tensor:
    """RGB pixels as a (1, 3, H, W) float tensor in [0, 1]."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0)


def to_image(tensor: torch.Tensor) -> Image.Image:
    """A (1, 3, H, W) tensor in [0, 1] as an RGB image."""
    array = tensor.squeeze(0).permute(1, 2, 0).clamp(0, 1).mul(255).round().to(torch.uint8).cpu().numpy()
    return Image.fromarray(array)


def with_alpha_of(result: Image.Image, source: Image.Image) -> Image.Image:
    """``result`` with ``source``'s alpha channel (resized to fit) when it has one."""
    if "A" not in source.getbands():
        return result
    alpha = source.getchannel("A")
    if alpha.size != result.size:
        alpha = alpha.resize(result.size, Image.Resampling.BICUBIC)
    combined = result.convert("RGBA")
    combined.putalpha(alpha)
    return combined


def model_dtype(descriptor: Any, runtime: Runtime) -> torch.dtype:
    """The runtime's half precision when the architecture supports it; fp16 on a bf16 runtime when only fp16 is
    supported (every CUDA device has fp16, not every one bf16); else float32."""
    if runtime.device == "cpu":
        return torch.float32
    if (runtime.dtype, True) in (
        (torch.float16, descriptor.supports_half),
        (torch.bfloat16, descriptor.supports_bfloat16),
    ):
        return runtime.dtype
    if runtime.dtype == torch.bfloat16 and descriptor.supports_half:
        return torch.float16
    return torch.float32


class _SpandrelModel:
    """A loaded spandrel descriptor on the runtime's device, called on float32 tensors."""

    def __init__(self, name: str, descriptor: Any, runtime: Runtime) -> None:
        self.name = name
        self.descriptor = descriptor
        self.architecture = str(descriptor.architecture.id)
        self.dtype = model_dtype(descriptor, runtime)
        self.device = runtime.device
        descriptor.to(self.device)
        descriptor.to(self.dtype)
        descriptor.eval()

    def run(self, tensor: torch.Tensor) -> torch.Tensor:
        """The model's output for ``tensor``, as float32 on the CPU (tiles gather there, not on the device)."""
        with torch.inference_mode():
            result: torch.Tensor = self.descriptor(tensor.to(self.device, self.dtype))
        return result.float().cpu()


class Upscaler(_SpandrelModel):
    """A super-resolution model, run tile by tile."""

    def __init__(self, name: str, descriptor: Any, runtime: Runtime, *, tile: int = 512, overlap: int = 32) -> None:
        super().__init__(name, descriptor, runtime)
        self.scale = int(descriptor.scale)
        self.tile = tile
        self.overlap = min(overlap, tile // 4)  # half of every tile stays its own
        self.multiple_of = int(descriptor.size_requirements.multiple_of)

    def __call__(self, image: Image.Image, *, strength: float = 1.0) -> Image.Image:
        tensor = to_tensor(image)
        output = run_tiled(
            self.run, tensor, self.scale, tile=self.tile, overlap=self.overlap, multiple_of=self.multiple_of
        )
        return with_alpha_of(to_image(output), image)


class FaceFixer(_SpandrelModel):
    """A face restoration model applied to the whole image as one face."""

    def __init__(self, name: str, descriptor: Any, runtime: Runtime, *, size: int = FACE_SIZE) -> None:
        super().__init__(name, descriptor, runtime)
        self.size = size

    def __call__(self, image: Image.Image, *, strength: float = 1.0) -> Image.Image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        side = max(width, height)
        square = np.pad(np.asarray(rgb), ((0, side - height), (0, side - width), (0, 0)), mode="edge")
        face = Image.fromarray(square).resize((self.size, self.size), Image.Resampling.LANCZOS)
        fixed = to_image(self.run(to_tensor(face)))
        restored = fixed.resize((side, side), Image.Resampling.LANCZOS).crop((0, 0, width, height))
        blended = Image.blend(rgb, restored, strength) if strength < 1 else restored
        return with_alpha_of(blended, image)


def read_descriptor(path: Path) -> Any:
    """Load a model file with spandrel (architecture detected from its weights); raise UnusableModelError."""
    spandrel = importlib.import_module("spandrel")
    try:
        descriptor = spandrel.ModelLoader().load_from_file(path)
    except spandrel.UnsupportedModelError as exc:
        raise UnusableModelError(f"{path}: spandrel knows no architecture with these weights") from exc
    except Exception as exc:  # a broken or foreign file: any error means this file cannot be served
        raise UnusableModelError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from exc
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        raise UnusableModelError(f"{path}: not an image-to-image model ({descriptor.architecture.id})")
    return descriptor


def check_fits(name: str, descriptor: Any) -> None:
    """Raise UnusableModelError unless ``descriptor`` can serve the post-processor ``name``."""
    arch, purpose, scale = descriptor.architecture.id, descriptor.purpose, int(descriptor.scale)
    if name in forms.UPSCALERS:
        wanted = forms.UPSCALERS[name]
        if purpose != "SR" or scale != wanted:
            raise UnusableModelError(f"{name} must upscale x{wanted}; this {arch} model is {purpose} x{scale}")
    elif name in forms.FACE_FIXERS:
        allowed = forms.FACE_FIXERS[name]
        if purpose != "FaceSR" or scale != 1 or arch not in allowed:
            raise UnusableModelError(
                f"{name} needs a face model ({', '.join(sorted(allowed))}, x1); this is {arch} {purpose} x{scale}"
            )
    else:
        raise UnusableModelError(f"{name} is not an upscaler or a face fixer")


def load_model_file(name: str, path: Path, runtime: Runtime, *, tile: int = 512) -> Upscaler | FaceFixer:
    """The post-processor ``name`` from ``path``, or UnusableModelError saying why not."""
    if not path.is_file():
        raise UnusableModelError(f"{path} does not exist")
    descriptor = read_descriptor(path)
    check_fits(name, descriptor)
    if name in forms.UPSCALERS:
        return Upscaler(name, descriptor, runtime, tile=tile)
    return FaceFixer(name, descriptor, runtime)


def find_files(entries: Iterable[str], alchemy_dir: Path | None) -> dict[str, Path]:
    """Where each post-processor's file is: ``NAME=PATH`` entries first, then ``ALCHEMY_DIR/NAME.pth|.safetensors``
    (``strip_background.onnx`` for strip_background)."""
    found: dict[str, Path] = {}
    if alchemy_dir is not None:
        for name in forms.POST_PROCESSORS:
            suffixes = (".onnx",) if name == forms.STRIP_BACKGROUND else MODEL_SUFFIXES
            for suffix in suffixes:
                if (alchemy_dir / f"{name}{suffix}").is_file():
                    found[name] = alchemy_dir / f"{name}{suffix}"
                    break
    for entry in entries:
        name, _, path = entry.partition("=")
        found[name.strip()] = Path(path.strip()).expanduser()
    return found


@dataclass
class PostProcessors:
    """The post-processors this worker runs, and why each of the others is not offered."""

    processors: dict[str, PostProcessor]
    unavailable: dict[str, str]

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        """The names to advertise, in the canonical order."""
        return [name for name in forms.POST_PROCESSORS if name in self.processors]

    def run(self, name: str, image: Image.Image, *, strength: float = 1.0) -> Image.Image:
        """Apply one post-processor (serialised: one model on the device at a time)."""
        processor = self.processors.get(name)
        if processor is None:
            raise KeyError(f"post-processor {name!r} is not served here: {self.unavailable.get(name, 'unknown')}")
        with self._lock:
            return processor(image, strength=strength)

    def apply(self, image: Image.Image, names: Iterable[str], *, facefixer_strength: float = 1.0) -> Image.Image:
        """Apply ``names`` in order (an image job's ``post_processing``)."""
        for name in names:
            strength = facefixer_strength if name in forms.FACE_FIXERS else 1.0
            image = self.run(name, image, strength=strength)
        return image


Loader = Callable[[str, Path], PostProcessor]


def build(files: Mapping[str, Path], load: Loader) -> PostProcessors:
    """Load each file with ``load``; every post-processor that does not load is listed with its reason."""
    processors: dict[str, PostProcessor] = {}
    unavailable: dict[str, str] = {}
    for name in forms.POST_PROCESSORS:
        path = files.get(name)
        if path is None:
            unavailable[name] = "no model file configured"
            continue
        try:
            processors[name] = load(name, path)
        except UnusableModelError as exc:
            unavailable[name] = str(exc)
    return PostProcessors(processors, unavailable)
