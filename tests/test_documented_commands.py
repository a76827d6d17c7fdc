"""Every ``horde …`` command line shown in README.md and docs/ works, run as a person would run it.

Each documented subcommand answers ``--help``, and every option a documented line uses is one that subcommand
takes. The README's tiny worker line runs for real against a ``horde serve`` process until it has submitted a job.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from horde.webapp.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
HORDE = shutil.which("horde", path=str(Path(sys.executable).parent)) or "horde"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(r"^```(\w*)\s*$")
_INLINE = re.compile(r"`((?:\S*/)?horde [^`]+)`")


def _strip_prompt(line: str) -> str:
    line = line.strip()
    return line[2:] if line.startswith("$ ") else line


def _horde_words(text: str) -> list[str] | None:
    """The words after ``horde`` in a command line (``horde``, ``.venv/bin/horde``, ``ENV=x horde``), else None."""
    text = text.split(" # ")[0].strip()
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words.pop(0)
    if not words or Path(words[0]).name != "horde":
        return None
    return words[1:]


def documented_lines() -> list[tuple[str, list[str]]]:
    """(where, words after ``horde``) for each ``horde`` line in a code block and each inline ``horde …`` span."""
    found: list[tuple[str, list[str]]] = []
    for path in DOCS:
        in_block = False
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if _FENCE.match(line.strip()):
                in_block = not in_block
                continue
            candidates = [_strip_prompt(line)] if in_block else [m.group(1) for m in _INLINE.finditer(line)]
            for text in candidates:
                words = _horde_words(text)
                if words:
                    found.append((where, words))
    return found


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subcommands here, with no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_path(words: list[str]) -> list[str]:
    """The subcommand words at the start of ``words`` (``users create``), by walking the real parser."""
    path: list[str] = []
    parser = build_parser()
    for word in words:
        children = _subparsers(parser)
        if word not in children:
            break
        path.append(word)
        parser = children[word]
    return path


def run_horde(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HORDE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def clean_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORDE_")}
    return {**env, "HORDE_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}


LINES = documented_lines()


def test_the_docs_show_horde_commands() -> None:
    paths = {" ".join(command_path(words)) for _, words in LINES}
    assert {"run", "serve", "worker", "db upgrade", "users create"} <= paths, paths


@pytest.mark.parametrize(("where", "words"), LINES, ids=[where for where, _ in LINES])
def test_documented_line_parses(where: str, words: list[str], tmp_path: Path) -> None:
    path = command_path(words)
    assert path, f"{where}: `horde {' '.join(words)}` names no horde subcommand"
    result = run_horde(*path, "--help", env=clean_env(tmp_path))
    assert result.returncode == 0, f"{where}: horde {' '.join(path)} --help failed: {result.stderr}"
    assert "usage:" in result.stdout
    options = {word.split("=")[0] for word in words if re.fullmatch(r"--[a-z][a-z0-9-]*(=.*)?", word)}
    unknown = sorted(option for option in options if not re.search(rf"{re.escape(option)}\b", result.stdout))
    assert not unknown, f"{where}: horde {' '.join(path)} takes no {unknown}"


# --- the README's worker line, for real --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _http(url: str, *, data: dict[str, object] | None = None, key: str | None = None) -> dict[str, object]:
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, method="GET" if data is None else "POST")  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("apikey", key)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our loopback server
        result: dict[str, object] = json.loads(response.read())
        return result


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``horde serve`` as its own process on a free loopback port, with its data in ``tmp_path``."""
    env = clean_env(tmp_path)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([HORDE, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _http(f"{url}/api/v2/status/heartbeat")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "serve.log").read_text()) from None
                time.sleep(0.2)
        yield url, env
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _readme_tiny_worker_line() -> list[str]:
    for where, words in LINES:
        if where.startswith("README.md") and words[:1] == ["worker"] and words[-2:] == ["--model", "tiny"]:
            return words
    raise AssertionError("the README shows no `horde worker … --model tiny` line")


def _filled(words: list[str], url: str, key: str) -> list[str]:
    """The documented line with its placeholders (``--url https://your.horde``, ``--api-key YOUR_KEY``) filled."""
    values = {"--url": url, "--api-key": key}
    filled = list(words)
    for i, word in enumerate(filled[:-1]):
        if word in values:
            filled[i + 1] = values[word]
    return filled


def test_readme_worker_line_serves_a_job(served: tuple[str, dict[str, str]]) -> None:
    url, env = served
    created = run_horde("users", "create", "gpu-owner", "--role", "trusted", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    ask: dict[str, object] = {
        "prompt": "a lighthouse",
        "params": {"width": 64, "height": 64, "steps": 2},
        "models": ["tiny"],
    }
    request_id = str(_http(f"{url}/api/v2/generate/async", data=ask, key="0000000000")["id"])

    words = [*_filled(_readme_tiny_worker_line(), url, key), "--once", "--no-progress"]
    worker = run_horde(*words, env=env, timeout=300)
    assert worker.returncode == 0, worker.stderr[-3000:]

    status = _http(f"{url}/api/v2/generate/status/{request_id}")
    assert status["done"] is True, status
    generations = status["generations"]
    assert isinstance(generations, list) and len(generations) == 1
    assert generations[0]["model"] == "tiny"
