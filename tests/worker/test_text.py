from __future__ import annotations

from typing import Any

from horde.worker import api_models
from horde.worker.text import TextGenerator, cut_at_stop


def text_job(**payload: Any) -> api_models.TextPopResponse:
    body = {"prompt": "Once upon a time", "max_length": 12, "temperature": 0.8, "top_p": 0.9, "top_k": 40}
    body.update(payload)
    return api_models.TextPopResponse.model_validate({"id": "t1", "ids": ["t1"], "model": "tiny", "payload": body})


def test_text_generation_returns_a_string(text_generator: TextGenerator) -> None:
    result = text_generator.generate(text_job(seed=3))
    assert isinstance(result.text, str)
    assert result.seed == 3


def test_same_seed_same_text(text_generator: TextGenerator) -> None:
    first = text_generator.generate(text_job(seed=11, rep_pen=1.1))
    again = text_generator.generate(text_job(seed=11, rep_pen=1.1))
    assert first.text == again.text


def test_greedy_when_temperature_is_zero(text_generator: TextGenerator) -> None:
    one = text_generator.generate(text_job(temperature=0, seed=1))
    two = text_generator.generate(text_job(temperature=0, seed=2))
    assert one.text == two.text


def test_cut_at_stop() -> None:
    assert cut_at_stop("hello\nYou: hi", ["You:", "\n"]) == "hello"
    assert cut_at_stop("hello", ["zzz", ""]) == "hello"
