"""What every CLI command shares: its --config option, the services it opens, who it acts as.

A command parses its arguments, calls a service and prints; `with_services` opens the
database and builds the services around it, so each command is one small async function.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING

from bot.clock import Clock, parse_local
from bot.config import Settings, load_settings
from bot.domain.textnorm import cut_at_word
from bot.services.meetings import MeetingError
from storage.db import Database

if TYPE_CHECKING:
    from bot.app import Services

DEFAULT_CONFIG = "config.toml"

Action = Callable[[argparse.Namespace, Clock], int]
Work = Callable[[argparse.Namespace, "Services", Settings, Clock], Awaitable[int | None]]
Group = argparse._SubParsersAction  # type: ignore[type-arg]


def config_path(default: str | None = None) -> str:
    return os.environ.get("DOITHOAI_CONFIG") or default or DEFAULT_CONFIG


def command(group: Group, name: str, action: Action, help: str, config_default: str | None = None) -> argparse.ArgumentParser:
    """A subcommand that reads the config named by --config and runs `action`."""
    sub = group.add_parser(name, help=help, description=help)
    sub.add_argument(
        "--config",
        default=config_path(config_default),
        help="TOML config file (default: $DOITHOAI_CONFIG or %(default)s)",
    )
    sub.set_defaults(action=action)
    return sub


def nouns(commands: Group, name: str, help: str) -> Group:
    """A command that takes an action: `doithoai meeting create`, `doithoai agenda show` …"""
    return commands.add_parser(name, help=help).add_subparsers(required=True, metavar="ACTION")


def with_services(work: Work) -> Action:
    """An action that runs `work` with the services of the config's unit over its database."""

    @wraps(work)
    def action(args: argparse.Namespace, clock: Clock) -> int:
        settings = load_settings(args.config)

        async def go() -> int:
            from bot.app import build_services

            database = await Database.open(settings.database_path)
            try:
                return int(await work(args, build_services(settings, database, clock), settings, clock) or 0)
            finally:
                await database.close()

        return asyncio.run(go())

    return action


def actor() -> str:
    """Who the audit log names for what is done from this terminal."""
    return f"cli:{getpass.getuser()}"


def local_time(value: str | None, settings: Settings) -> datetime | None:
    """dd/mm/yyyy HH:MM in the unit's zone, or None when not given."""
    try:
        return None if value is None else parse_local(value, settings.zone)
    except ValueError:
        raise MeetingError("refusal.bad_time", value=(value or "").strip()) from None


def shorten(text: str, limit: int) -> str:
    return cut_at_word(text, limit)
