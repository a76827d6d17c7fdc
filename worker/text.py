"""Text generation for one popped text job, with a transformers causal language model.

The prompt is cut to its last ``max_context_length`` tokens; up to ``max_length`` new tokens are sampled with
``temperature``, ``top_p``, ``top_k`` (0 = off) and ``rep_pen`` as the repetition penalty, from the payload's
``seed`` (or a random one, reported back); greedy decoding when ``temperature`` is 0. The text stops at the first
``stop_sequence``.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import torch

from horde.worker import api_models
from horde.worker.pipelines.loader import ModelCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeneratedText:
    """One finished text."""

    text: str
    seed: int


def cut_at_stop(text: str, stops: list[str]) -> str:
    """``text`` up to (not including) the earliest stop sequence."""
    ends = [text.find(stop) for stop in stops if stop and stop in text]
    return text[: min(ends)] if ends else text


class TextGenerator:
    """Runs text jobs on the models of a :class:`ModelCache`, one at a time."""

    def __init__(self, models: ModelCache) -> None:
        self.models = models
        self._lock = threading.Lock()

    def generate(self, job: api_models.TextPopResponse) -> GeneratedText:
        """Generate the text of ``job``."""
        if job.model is None:
            raise ValueError("the pop response carries no job")
        payload = job.payload
        seed = payload.seed if payload.seed is not None else secrets.randbelow(2**31)
        with self._lock:
            model, tokenizer = self.models.get(job.model)
            ids = tokenizer(payload.prompt, return_tensors="pt").input_ids[:, -payload.max_context_length :]
            ids = ids.to(model.device)
            torch.manual_seed(seed)
            with torch.no_grad():
                output = model.generate(
                    input_ids=ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=payload.max_length,
                    pad_token_id=tokenizer.pad_token_id
                    if tokenizer.pad_token_id is not None
                    else tokenizer.eos_token_id,
                    **sampling_options(payload),
                )
        text = tokenizer.decode(output[0, ids.shape[1] :], skip_special_tokens=True)
        return GeneratedText(cut_at_stop(str(text), payload.stop_sequence), seed)


def sampling_options(payload: api_models.TextPayload) -> dict[str, Any]:
    """transformers ``generate`` options for AI Horde's sampler knobs."""
    if payload.temperature <= 0:
        return {"do_sample": False, "repetition_penalty": payload.rep_pen}
    return {
        "do_sample": True,
        "temperature": payload.temperature,
        "top_p": payload.top_p,
        "top_k": payload.top_k,
        "repetition_penalty": payload.rep_pen,
    }
