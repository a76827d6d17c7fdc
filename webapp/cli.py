"""The ``horde`` command: the composition root. Each subcommand imports what it needs inside its own function,
so ``horde worker`` never loads the server and ``horde serve`` never loads torch."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROLES = ("user", "trusted", "moderator", "admin")  #: "user": no role; moderator brings trusted, admin both
FLAGS = ("trusted", "flagged", "customizer", "vpn", "service", "education", "special", "moderator", "admin")


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def check_environment(environ: dict[str, str] | None = None) -> None:
    """Stop on a ``HORDE_*`` variable that no settings class knows: a typo must fail loudly."""
    from horde.webapp.settings import WebSettings

    environ = dict(os.environ if environ is None else environ)
    env_file = Path(".env")
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            name = line.split("=", 1)[0].strip()
            if name.startswith("HORDE_"):
                environ.setdefault(name, "")
    known = {f"HORDE_{name.upper()}" for name in WebSettings.model_fields}
    unknown = sorted(
        name
        for name in environ
        if name.startswith("HORDE_")
        and name not in known
        and not name.startswith(("HORDE_WORKER_", "HORDE_DISCORD_", "HORDE_MASTODON_", "HORDE_TEST_"))
    )
    if unknown:
        raise SystemExit(f"horde: unknown setting(s) {', '.join(unknown)}; see docs/reference/settings.md")


def _settings(args: argparse.Namespace) -> Any:
    from horde.webapp.settings import WebSettings

    overrides = {
        key: value
        for key, value in (("host", getattr(args, "host", None)), ("port", getattr(args, "port", None)))
        if value is not None
    }
    return WebSettings(**overrides)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from horde.queue.store import migrate

    settings = _settings(args)
    migrate.upgrade(settings.resolved_database_url(), args.revision)
    _out(f"database at revision {args.revision}")
    return 0


def cmd_users_create(args: argparse.Namespace) -> int:
    from horde.queue.domain.roles import Role
    from horde.queue.service import SYSTEM, HordeService, keys
    from horde.queue.store import migrate

    settings = _settings(args)
    keys.server_secret(settings)  # refuse before touching the database
    migrate.upgrade(settings.resolved_database_url())

    async def create() -> str:
        service = HordeService.open(settings)
        try:
            await service.users.bootstrap()
            created = await service.users.create_user(
                SYSTEM,
                args.name,
                role=None if args.role == "user" else Role(args.role),
                roles=[Role(flag) for flag in args.flag],
                kudos=args.kudos,
                concurrency=args.concurrency,
            )
        finally:
            await service.close()
        held = ", ".join(sorted(created.user.roles)) or "no role"
        _out(f"created {created.user.display_name} ({held}, {created.user.kudos:g} kudos)")
        return created.api_key

    _out(asyncio.run(create()))
    return 0


def _prepare_server(settings: Any) -> str | None:
    """Migrate, then create the anonymous and admin users; returns the admin's key on first start."""
    from horde.queue.service import HordeService, keys
    from horde.queue.store import migrate

    keys.server_secret(settings)  # refuse before touching the database
    migrate.upgrade(settings.resolved_database_url())

    async def bootstrap() -> str | None:
        service = HordeService.open(settings)
        try:
            return await service.users.bootstrap()
        finally:
            await service.close()

    return asyncio.run(bootstrap())


def _start_discord_bot(settings: Any) -> Any:
    """``horde run`` starts the Discord bot, on its own thread and event loop, when its token is set."""
    from horde.bots.discord.settings import DiscordSettings

    discord_settings = DiscordSettings()
    if discord_settings.token is None:
        return None
    from horde.bots.discord.runner import BotThread

    thread = BotThread(settings, discord_settings)
    thread.start()
    _out("The Discord bot is starting.")
    return thread


def _start_mastodon_bot(settings: Any) -> Any:
    """``horde run`` starts the Mastodon bot, on its own thread and event loop, when its instance and token are set."""
    from horde.bots.mastodon.settings import MastodonSettings

    mastodon_settings = MastodonSettings()
    if not mastodon_settings.base_url or mastodon_settings.token is None:
        return None
    from horde.bots.mastodon.runner import BotThread

    thread = BotThread(settings, mastodon_settings)
    thread.start()
    _out(f"The Mastodon bot is starting on {mastodon_settings.base_url}.")
    return thread


def cmd_bot_mastodon(args: argparse.Namespace) -> int:
    """``horde bot mastodon``: the Mastodon bot alone, against the same database as the server."""
    from horde.bots.mastodon.settings import MastodonSettings

    mastodon_settings = MastodonSettings()
    if not mastodon_settings.base_url or mastodon_settings.token is None:
        raise SystemExit("horde: set HORDE_MASTODON_BASE_URL and HORDE_MASTODON_TOKEN (see docs/reference/settings.md)")
    from horde.bots.mastodon.runner import BotThread
    from horde.queue import logs

    logs.configure()
    settings = _settings(args)
    _prepare_server(settings)
    thread = BotThread(settings, mastodon_settings)
    thread.start()
    _out(f"The Mastodon bot answers mentions on {mastodon_settings.base_url}; Ctrl-C stops it.")
    try:
        while thread.is_alive():
            thread.join(1.0)
    except KeyboardInterrupt:
        thread.stop()
    return 1 if thread.error else 0


def cmd_bot_discord(args: argparse.Namespace) -> int:
    """``horde bot discord``: the Discord bot alone, against the same database as the server."""
    import json

    from horde.bots.discord.settings import DiscordSettings

    discord_settings = DiscordSettings()
    if args.print_commands:
        from horde.bots.discord.payload import command_payload

        _out(json.dumps(command_payload(discord_settings), indent=2, ensure_ascii=False))
        return 0
    if discord_settings.token is None:
        raise SystemExit("horde: set HORDE_DISCORD_TOKEN (see docs/reference/settings.md)")
    from horde.bots.discord.runner import BotThread
    from horde.queue import logs

    logs.configure()
    settings = _settings(args)
    _prepare_server(settings)
    thread = BotThread(settings, discord_settings)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(1.0)
    except KeyboardInterrupt:
        thread.stop()
    return 1 if thread.error else 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def app_from_environment() -> Any:
    """The app as each of uvicorn's processes builds it (``horde serve --workers N``): settings from ``HORDE_*``.
    Also usable alone: ``uvicorn --factory horde.webapp.cli:app_from_environment --workers 4``."""
    from horde.queue import logs
    from horde.webapp.app import create_app
    from horde.webapp.settings import WebSettings

    logs.configure()
    return create_app(WebSettings())


def _serve_processes(settings: Any, workers: int) -> int:
    """``horde serve --workers N``: uvicorn's N processes, each building the app from the environment. The
    counters of ``/metrics`` add up across them through a folder of their own (``PROMETHEUS_MULTIPROC_DIR``)."""
    import shutil
    import tempfile

    import uvicorn

    os.environ["HORDE_HOST"], os.environ["HORDE_PORT"] = settings.host, str(settings.port)  # what the children read
    made = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="horde-metrics-")
    try:
        uvicorn.run(
            "horde.webapp.cli:app_from_environment",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            timeout_keep_alive=settings.keep_alive_seconds,
            log_level="warning",
        )
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)
    return 0


def _serve(settings: Any, *, local_worker: str | None = None, bots: bool = False, workers: int = 1) -> int:
    import uvicorn

    from horde.queue import logs
    from horde.webapp.app import create_app

    logs.configure()
    admin_key = _prepare_server(settings)
    url = f"http://{settings.host}:{settings.port}"
    _out(f"Horde is running at {url}/" + (f" ({workers} processes)" if workers > 1 else ""))
    if admin_key:
        _out(f"First start: the admin's API key is {admin_key}  (shown once; keep it safe)")
    if workers > 1:
        return _serve_processes(settings, workers)
    app = create_app(settings)
    worker_process = None
    if local_worker:
        from horde.webapp import local_worker as local

        worker_process = local.start(settings, local_worker, url)
        _out(f"A local worker serving '{local_worker}' is starting; open {url}/generate to make an image.")
    chat_bots = [b for b in (_start_discord_bot(settings), _start_mastodon_bot(settings)) if b] if bots else []
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the handler it found: make that
    # an exit that runs the ``finally`` below, so the local worker is stopped, not left behind
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            timeout_keep_alive=settings.keep_alive_seconds,
            log_level="warning",
        )
    finally:
        for chat_bot in chat_bots:
            chat_bot.stop()
        if worker_process is not None:
            local.stop(worker_process)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    return _serve(_settings(args), local_worker=args.worker, bots=True)


def cmd_serve(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise SystemExit("horde: --workers must be 1 or more")
    return _serve(_settings(args), workers=args.workers)


def run_worker_command(worker_args: Sequence[str]) -> int:
    """``horde worker …``: the worker's own parser takes every argument after ``worker``, options first included
    (an ``argparse.REMAINDER`` positional would not capture ``--url …`` when it comes first)."""
    from horde.worker.cli import main as worker_main

    return worker_main(list(worker_args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="horde", description="Horde: a crowdsourced generative-AI service.")
    sub = parser.add_subparsers(dest="command", required=True)

    for name, func, text in (
        ("run", cmd_run, "all-in-one: web, API, sweeps (and a local worker)"),
        ("serve", cmd_serve, "one web/API node"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--host", help="address to listen on (default 127.0.0.1)")
        cmd.add_argument("--port", type=int, help="port to listen on (default 7001)")
        if name == "run":
            cmd.add_argument("--worker", metavar="MODEL", help="also run a local worker serving MODEL (e.g. tiny)")
        else:
            cmd.add_argument(
                "--workers", type=int, default=1, metavar="N", help="serve with N processes (uvicorn's; default 1)"
            )
        cmd.set_defaults(func=func)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    upgrade = db.add_parser("upgrade", help="apply the Alembic migrations")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(func=cmd_db_upgrade)

    users = sub.add_parser("users", help="manage accounts").add_subparsers(dest="users_command", required=True)
    create = users.add_parser("create", help="create an account and print its API key on the last line")
    create.add_argument("name")
    create.add_argument("--role", choices=ROLES, default="user", help="a role: moderator brings trusted, admin both")
    create.add_argument(
        "--flag", choices=FLAGS, action="append", default=[], help="also set this role flag (repeatable)"
    )
    create.add_argument("--kudos", type=float, default=0.0)
    create.add_argument("--concurrency", type=int, default=None)
    create.set_defaults(func=cmd_users_create)

    bot = sub.add_parser("bot", help="run one chat bot alone").add_subparsers(dest="bot_command", required=True)
    discord_bot = bot.add_parser("discord", help="the Discord bot (HORDE_DISCORD_TOKEN)")
    discord_bot.add_argument(
        "--print-commands", action="store_true", help="print the application commands as JSON, without connecting"
    )
    discord_bot.set_defaults(func=cmd_bot_discord)
    mastodon_bot = bot.add_parser("mastodon", help="the Mastodon bot (HORDE_MASTODON_BASE_URL, HORDE_MASTODON_TOKEN)")
    mastodon_bot.set_defaults(func=cmd_bot_mastodon)

    # listed for ``horde --help``; ``main`` hands everything after ``worker`` to the worker's own parser
    sub.add_parser("worker", help="run a worker against a Horde (see horde worker --help)", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from horde.queue.errors import HordeError
    from horde.queue.service.keys import MissingSecretError

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        return run_worker_command(argv[1:])
    args = build_parser().parse_args(argv)
    check_environment()
    try:
        result: int = args.func(args)
    except HordeError as exc:
        sys.stderr.write(f"horde: {exc.message} ({exc.rc})\n")
        return 2
    except MissingSecretError as exc:
        sys.stderr.write(f"horde: {exc}\n")
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
