from __future__ import annotations

from pathlib import Path

import pytest

from horde.worker.settings import WorkerSettings, load_settings


def test_defaults() -> None:
    settings = WorkerSettings()
    assert settings.models == ["tiny"]
    assert settings.max_pixels == 262144
    assert settings.api_url == "http://127.0.0.1:7001/api/v2"
    assert "0000" not in repr(settings)  # the key is a SecretStr


def test_environment_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORDE_WORKER_MODELS", "tiny, sd15=/m/sd15")
    monkeypatch.setenv("HORDE_WORKER_MAX_PIXELS", "4096")
    settings = WorkerSettings()
    assert settings.models == ["tiny", "sd15=/m/sd15"]
    assert settings.max_pixels == 4096


def test_command_line_beats_environment_beats_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "worker.toml"
    config.write_text('[worker]\nname = "from-file"\nthreads = 3\nmax_pixels = 8192\nurl = "http://file:1"\n')
    monkeypatch.setenv("HORDE_WORKER_THREADS", "2")
    monkeypatch.setenv("HORDE_WORKER_URL", "http://env:2")
    settings = load_settings(config, url="http://cli:3", name=None)
    assert (settings.name, settings.threads, settings.max_pixels, settings.url) == (
        "from-file",
        2,
        8192,
        "http://cli:3",
    )


def test_settings_are_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        WorkerSettings().name = "x"  # type: ignore[misc]


def test_the_api_key_comes_from_the_environment_or_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14, defect 12: a key on the command line is visible to every user in ``ps``."""
    from horde.worker.cli import build_parser, settings_from_args

    key_file = tmp_path / "key"
    key_file.write_text("file-key-123\n")
    settings = settings_from_args(build_parser().parse_args(["--api-key-file", str(key_file)]))
    assert settings.api_key.get_secret_value() == "file-key-123"
    monkeypatch.setenv("HORDE_WORKER_API_KEY_FILE", str(key_file))
    assert WorkerSettings().api_key.get_secret_value() == "file-key-123"
    monkeypatch.delenv("HORDE_WORKER_API_KEY_FILE")
    monkeypatch.setenv("HORDE_WORKER_API_KEY", "env-key-456")
    assert settings_from_args(build_parser().parse_args([])).api_key.get_secret_value() == "env-key-456"
    with pytest.raises(ValueError, match="not both"):
        settings_from_args(build_parser().parse_args(["--api-key-file", str(key_file)]))
    help_text = " ".join(build_parser().format_help().split())
    assert "HORDE_WORKER_API_KEY" in help_text and "--api-key-file" in help_text and "ps" in help_text
