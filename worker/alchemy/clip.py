"""A CLIP model from a local folder: image and text embeddings for the NSFW check, interrogation and the CSAM guard.

Two folder layouts load, with nothing downloaded:
- a transformers ``CLIPModel`` folder (``config.json``, weights, processor and tokenizer files), for example
  ``openai/clip-vit-large-patch14`` as ``huggingface-cli download`` or ``save_pretrained`` leaves it;
- an open_clip folder (``open_clip_config.json`` with ``model_cfg``, and ``open_clip_model.safetensors`` or
  ``open_clip_pytorch_model.bin``), as the LAION repositories on the hub hold them.

Embeddings are L2-normalised float32 numpy arrays, so a dot product is the cosine similarity. Text embeddings are
cached: concept lists are encoded once. A ``config.json`` with ``"horde_random_weights": true`` (what
:mod:`horde.worker.pipelines.tiny_alchemy` writes) marks a random-weight test model, whose scores mean nothing.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from horde.worker.pipelines.loader import Runtime

logger = logging.getLogger(__name__)

RANDOM_WEIGHTS_MARK = "horde_random_weights"


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    result: np.ndarray = (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)
    return result


def _features(output: Any) -> torch.Tensor:
    """transformers 5 returns a model output whose ``pooler_output`` is the projected embedding; 4.x a tensor."""
    return output if isinstance(output, torch.Tensor) else output.pooler_output


class ClipEncoder:
    """Encodes images and texts with one CLIP model; calls are serialised."""

    def __init__(self, folder: Path, runtime: Runtime) -> None:
        self.folder = folder
        self.device = runtime.device
        self.dtype = runtime.dtype
        self._texts: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        if (folder / "open_clip_config.json").is_file():
            self.backend = "open_clip"
            open_clip = importlib.import_module("open_clip")
            self.model, self.preprocess = open_clip.create_model_from_pretrained(
                f"local-dir:{folder}", device=self.device
            )
            self.tokenizer = open_clip.get_tokenizer(f"local-dir:{folder}")
            config = json.loads((folder / "open_clip_config.json").read_text(encoding="utf-8"))
        else:
            self.backend = "transformers"
            transformers = importlib.import_module("transformers")
            self.model = transformers.CLIPModel.from_pretrained(folder, local_files_only=True, dtype=self.dtype)
            self.processor = transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
            self.model.to(self.device)
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.model.eval()
        self.random_weights = bool(config.get(RANDOM_WEIGHTS_MARK, False))

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """One unit-length embedding per image."""
        rgb = [image.convert("RGB") for image in images]
        with self._lock, torch.inference_mode():
            if self.backend == "open_clip":
                pixels = torch.stack([self.preprocess(image) for image in rgb]).to(self.device)
                features = self.model.encode_image(pixels)
            else:
                inputs = self.processor(images=rgb, return_tensors="pt").to(self.device)
                features = _features(self.model.get_image_features(pixel_values=inputs.pixel_values.to(self.dtype)))
        return normalised(features.float().cpu().numpy())

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length embedding per text (cached)."""
        missing = [text for text in dict.fromkeys(texts) if text not in self._texts]
        if missing:
            with self._lock, torch.inference_mode():
                if self.backend == "open_clip":
                    features = self.model.encode_text(self.tokenizer(missing).to(self.device))
                else:
                    inputs = self.processor(text=missing, return_tensors="pt", padding=True, truncation=True)
                    features = _features(self.model.get_text_features(**inputs.to(self.device)))
            for text, vector in zip(missing, normalised(features.float().cpu().numpy()), strict=True):
                self._texts[text] = vector
        return np.stack([self._texts[text] for text in texts])

    def concepts(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Each text with its embedding."""
        return dict(zip(texts, self.encode_texts(texts), strict=True))
