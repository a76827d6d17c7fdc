"""The settings reference (docs/reference/settings.md), made from the settings classes' field descriptions.

    python -m horde.webapp.settings_doc > docs/reference/settings.md

``tests/test_docs.py`` fails when the committed file differs from what this prints.
"""

from __future__ import annotations

import sys

from pydantic_settings import BaseSettings

from horde.webapp.settings import WebSettings

SHOWN_DEFAULTS = {
    "secret_key": "generated into the data dir (SQLite only)",
    "database_url": "SQLite in the data dir",
    "api_key": "0000000000",
}


def _table(settings: type[BaseSettings], prefix: str) -> list[str]:
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, field in settings.model_fields.items():
        default = SHOWN_DEFAULTS.get(name, field.default)
        rows.append(f"| `{prefix}{name.upper()}` | `{default}` | {field.description or ''} |")
    return rows


def render() -> str:
    from horde.bots.discord.settings import DiscordSettings
    from horde.bots.mastodon.settings import MastodonSettings
    from horde.worker.settings import WorkerSettings  # the worker's own settings; read here for the docs only

    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable (or a line in `.env` in the working directory). The `horde`",
        "command stops on a `HORDE_*` name it does not know, so a typo fails loudly.",
        "",
        "## Server (`horde run`, `horde serve`, `horde users`, `horde db`)",
        "",
        *_table(WebSettings, "HORDE_"),
        "",
        "## Worker (`horde worker`)",
        "",
        "Options on the command line win over these variables, which win over the `--config` TOML file.",
        "",
        *_table(WorkerSettings, "HORDE_WORKER_"),
        "",
        "## Discord bot (`horde bot discord`; `horde run` starts it when the token is set)",
        "",
        *_table(DiscordSettings, "HORDE_DISCORD_"),
        "",
        "## Mastodon bot (`horde bot mastodon`; `horde run` starts it when the instance and the token are set)",
        "",
        *_table(MastodonSettings, "HORDE_MASTODON_"),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
