"""Captions with a transformers image-to-text model (BLIP) from a local folder.

The folder is what ``save_pretrained`` (or ``huggingface-cli download``) leaves for, say,
``Salesforce/blip-image-captioning-large``: ``config.json``, the weights, and the processor and tokenizer files.
Nothing is downloaded. Captions are generated with beam search (3 beams, at most 40 new tokens).
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

import torch
from PIL import Image

from horde.worker.pipelines.loader import Runtime

MAX_NEW_TOKENS = 40
BEAMS = 3


class Captioner:
    """Describes an image in one sentence."""

    def __init__(self, folder: Path, runtime: Runtime) -> None:
        transformers = importlib.import_module("transformers")
        self.device = runtime.device
        self.dtype = runtime.dtype
        self.processor = transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
        self.model = transformers.AutoModelForImageTextToText.from_pretrained(
            folder, local_files_only=True, dtype=runtime.dtype
        )
        self.model.to(self.device)
        self.model.eval()
        self._lock = threading.Lock()

    def caption(self, image: Image.Image) -> str:
        """The caption of ``image``."""
        inputs = self.processor(images=image.convert("RGB"), return_tensors="pt").to(self.device)
        inputs["pixel_values"] = inputs["pixel_values"].to(self.dtype)
        with self._lock, torch.inference_mode():
            tokens = self.model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, num_beams=BEAMS)
        text: str = self.processor.decode(tokens[0], skip_special_tokens=True)
        return " ".join(text.split())
