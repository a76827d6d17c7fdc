from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from horde.worker.assembly import run_worker
from horde.worker.cli import build_parser, main, settings_from_args
from horde.worker.settings import WorkerSettings
from tests.worker.fakes import DIFFUSERS_NUMPY2_WARNINGS, FakeHorde, image_job

pytestmark = DIFFUSERS_NUMPY2_WARNINGS


def test_parser_reads_the_documented_options() -> None:
    args = build_parser().parse_args(
        ["--url", "http://h:1", "--api-key", "k" * 22, "--model", "tiny", "--model", "b=/m/b", "--name", "w",
         "--max-pixels", "4096", "--threads", "2", "--no-nsfw", "--text-model", "tiny", "--once"]
    )  # fmt: skip
    settings = settings_from_args(args)
    assert settings.models == ["tiny", "b=/m/b"]
    assert settings.text_models == ["tiny"]
    assert (settings.url, settings.name, settings.max_pixels, settings.threads) == ("http://h:1", "w", 4096, 2)
    assert settings.nsfw is False
    assert settings.once is True
    assert settings.api_key.get_secret_value() == "k" * 22


def test_bad_settings_exit_with_2(tmp_path: Path) -> None:
    assert main(["--threads", "0"]) == 2
    assert main(["--config", str(tmp_path / "missing.toml")]) == 2


def test_help_exits_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    assert "--max-pixels" in capsys.readouterr().out


async def test_run_worker_serves_a_job_end_to_end() -> None:
    server = FakeHorde(jobs=[image_job("e2e")])
    settings = WorkerSettings(url="http://horde.test", api_key=SecretStr("k" * 22), once=True)
    summary = await asyncio.wait_for(run_worker(settings, show_progress=False, transport=server.transport()), 60)
    assert [s["id"] for s in server.submits] == ["e2e"]
    assert summary.kudos == 10.0
