"""Running the bot, the sandbox, and checking a config before either."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from bot.cli.common import Group, command, config_path
from bot.clock import Clock
from bot.config import Secrets, Settings, load_settings
from bot.logsetup import configure_logging

SANDBOX_CONFIG = "config.example.toml"
# The repository's example, for a sandbox started from another folder.
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / SANDBOX_CONFIG
SANDBOX_DATABASE = "sandbox-data/sandbox.db"


def register(commands: Group) -> None:
    command(commands, "run", run, "run the bot on the channels the config enables")
    sandbox_command = command(
        commands, "sandbox", sandbox, "the resident dialogue in this terminal: no token, no network", SANDBOX_CONFIG
    )
    sandbox_command.add_argument("--db", default=SANDBOX_DATABASE, help="sandbox database file (default: %(default)s)")
    sandbox_command.add_argument("--language", choices=("vi", "en"), default="vi")
    sandbox_command.add_argument("--no-console", action="store_true", help="do not serve the staff console")
    check = commands.add_parser("check-config", help="validate a config file and name every problem")
    check.add_argument("file", nargs="?", default=config_path())
    check.set_defaults(action=check_config)


def run(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)
    secrets = Secrets.from_environment()
    configure_logging([s for s in (secrets.telegram_token, secrets.webhook_secret, secrets.zalo_oa_secret_key,
                                   secrets.zalo_app_secret, secrets.zalo_access_token, secrets.zalo_refresh_token) if s])
    problem = _missing_secret(settings, secrets)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from bot.app import BotFailed, run_bot

    try:
        asyncio.run(run_bot(settings, secrets, clock))
    except BotFailed as failure:
        # One line, no traceback: the log (redacted) has the details.
        print(f"error: {failure}", file=sys.stderr)
        return 1
    return 0


def _missing_secret(settings: Settings, secrets: Secrets) -> str | None:
    """What `run` cannot start without, said the way an operator fixes it."""
    if settings.telegram.enabled and not secrets.telegram_token:
        return "set TELEGRAM_BOT_TOKEN to the token BotFather gave you"
    if settings.zalo.enabled and secrets.zalo_missing():
        return f"the Zalo channel needs {', '.join(secrets.zalo_missing())} (see the README)"
    if settings.telegram.enabled and settings.telegram.mode == "webhook" and not secrets.webhook_secret:
        return "webhook mode needs TELEGRAM_WEBHOOK_SECRET, so that only Telegram can call the bot"
    return None


def sandbox(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(sandbox_config(args.config))
    configure_logging([], level=logging.WARNING)
    from bot.app import run_sandbox

    asyncio.run(run_sandbox(settings, Path(args.db), args.language, clock, console=not args.no_console))
    return 0


def sandbox_config(given: str) -> Path:
    """The config the sandbox runs on: the one named, else the example here or, from any other
    folder, the repository's own example."""
    path = Path(given)
    if given == SANDBOX_CONFIG and not path.exists() and EXAMPLE_CONFIG.exists():
        return EXAMPLE_CONFIG
    return path


def check_config(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.file)
    print(
        f"{args.file}: OK — {settings.unit.name}, {len(settings.areas)} areas, "
        f"{len(settings.topics)} topics, database {settings.database.path}"
    )
    if settings.telegram.enabled and not os.environ.get("TELEGRAM_BOT_TOKEN"):
        print("note: TELEGRAM_BOT_TOKEN is not set in this environment; `doithoai run` will need it")
    if settings.web.enabled:
        web = settings.web
        print(f"console: {web.base_url} (served on {web.listen}:{web.port} by `doithoai run`)")
        if not web.secure:
            print("note: web.public_url is not https: session cookies then travel unencrypted; "
                  "put the console behind an https reverse proxy unless it is reached on this machine only")
        print(f"public pages: {web.base_url}/public/" + (
            f"; Open311: {web.base_url}/open311/v2/ ({len(settings.open311.clients)} client(s) may post)"
            if settings.open311.enabled else ""))
        if not settings.public.telegram_username and not settings.public.zalo_oa_id:
            print("note: [public] telegram_username and zalo_oa_id are empty: "
                  "the public pages and the poster cannot link to the bot")
    if settings.zalo.enabled:
        missing = Secrets.from_environment().zalo_missing()
        if missing:
            print(f"note: {', '.join(missing)} not set in this environment; `doithoai run` will need them")
    return 0
