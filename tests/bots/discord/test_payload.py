"""The application commands are valid for Discord: what ``horde bot discord --print-commands`` prints."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from horde.bots.discord.payload import command_payload
from horde.webapp.cli import main

NAME = re.compile(r"^[-_\w]{1,32}$")


def check_options(options: list[dict[str, Any]]) -> None:
    assert len(options) <= 25
    required = [o.get("required", False) for o in options]
    assert required == sorted(required, reverse=True), "required options come first"
    for option in options:
        assert NAME.match(option["name"]) and option["name"] == option["name"].lower()
        assert 1 <= len(option["description"]) <= 100
        choices = option.get("choices", [])
        assert len(choices) <= 25
        assert not (choices and option.get("autocomplete"))
        for choice in choices:
            assert 1 <= len(choice["name"]) <= 100 and len(str(choice["value"])) <= 100
        check_options(option.get("options", []))


def test_the_payload_is_valid_for_discord() -> None:
    payload = command_payload()
    names = [c["name"] for c in payload]
    assert len(names) == len(set(names)) <= 100
    assert {
        "generate",
        "advanced",
        "login",
        "logout",
        "balance",
        "transfer",
        "models",
        "status",
        "settings",
        "rate",
    } <= set(names)
    for command in payload:
        assert NAME.match(command["name"]) and command["name"] == command["name"].lower()
        assert 1 <= len(command["description"]) <= 100
        check_options(command.get("options", []))
    assert len(json.dumps(payload)) < 8000 * len(payload)


def test_print_commands_prints_it_without_connecting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bot", "discord", "--print-commands"]) == 0
    assert json.loads(capsys.readouterr().out) == command_payload()
