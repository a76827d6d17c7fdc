"""What people type into the bot's modals and options: bad numbers are refused with ValueError (answered as a
clear ephemeral message), never a crash."""

from __future__ import annotations

import pytest

from horde.bots.discord.cogs._choices import parse_size
from horde.bots.discord.cogs.advanced import parse_loras, parse_numbers
from horde.bots.discord.cogs.guild import parse_rate_limit

NOT_A_NUMBER = "could not convert|not a finite number"


def test_numbers_and_loras_as_typed() -> None:
    assert parse_numbers("30, 7.5, , 0.75", ("steps", "cfg_scale", "clip_skip", "denoising_strength")) == {
        "steps": 30,
        "cfg_scale": 7.5,
        "denoising_strength": 0.75,
    }
    assert parse_loras("detail:0.8, style") == [{"name": "detail", "model": 0.8}, {"name": "style", "model": 1.0}]


@pytest.mark.parametrize("typed", ["inf", "-inf", "nan", "1e999", "²", "x"])
def test_numbers_that_are_not_finite_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match=NOT_A_NUMBER):
        parse_numbers(typed, ("cfg_scale",))
    with pytest.raises(ValueError, match=NOT_A_NUMBER):
        parse_loras(f"name:{typed}")


def test_sizes_and_rate_limits_refuse_nonsense() -> None:
    assert parse_size("512x768") == (512, 768)
    with pytest.raises(ValueError, match="invalid literal"):
        parse_size("²x512")
    assert parse_rate_limit("5/60") == (5, 60) and parse_rate_limit("off") == (0, 60)
    assert parse_rate_limit("lots") is None and parse_rate_limit("²/60") is None
