"""The `doithoai` command line: run the bot, the sandbox, check a config, manage meetings."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.clock import Clock, SystemClock, format_local, parse_local
from bot.config import ConfigError, Secrets, Settings, load_settings
from bot.logsetup import configure_logging
from bot.meetings import MeetingDraft, MeetingError, MeetingService
from storage.db import Database
from storage.records import Meeting

DEFAULT_CONFIG = "config.toml"
SANDBOX_CONFIG = "config.example.toml"
SANDBOX_DATABASE = "sandbox-data/sandbox.db"


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.action(args, clock or SystemClock()) or 0)
    except ConfigError as error:
        _fail_config(error)
        return 2
    except MeetingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="doithoai", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def config_option(sub: argparse.ArgumentParser, default: str | None = None) -> None:
        sub.add_argument(
            "--config",
            default=os.environ.get("DOITHOAI_CONFIG") or default or DEFAULT_CONFIG,
            help="TOML config file (default: $DOITHOAI_CONFIG or %(default)s)",
        )

    run = commands.add_parser("run", help="run the bot on the channels the config enables")
    config_option(run)
    run.set_defaults(action=_run)

    sandbox = commands.add_parser("sandbox", help="the resident dialogue in this terminal: no token, no network")
    config_option(sandbox, SANDBOX_CONFIG)
    sandbox.add_argument("--db", default=SANDBOX_DATABASE, help="sandbox database file (default: %(default)s)")
    sandbox.add_argument("--language", choices=("vi", "en"), default="vi")
    sandbox.set_defaults(action=_sandbox)

    check = commands.add_parser("check-config", help="validate a config file and name every problem")
    check.add_argument("file", nargs="?", default=os.environ.get("DOITHOAI_CONFIG") or DEFAULT_CONFIG)
    check.set_defaults(action=_check_config)

    meeting = commands.add_parser("meeting", help="create, list and show dialogue meetings")
    meeting_commands = meeting.add_subparsers(required=True, metavar="ACTION")
    create = meeting_commands.add_parser("create", help="create a meeting")
    config_option(create)
    create.add_argument("--title", required=True)
    create.add_argument("--starts", required=True, help="dd/mm/yyyy HH:MM in the unit's time zone")
    create.add_argument("--place", required=True)
    create.add_argument("--format", default="in_person", choices=("in_person", "online", "hybrid"))
    create.add_argument("--area", help="area id the meeting is for (default: the whole unit)")
    create.add_argument("--intake-opens", help="dd/mm/yyyy HH:MM (default: now)")
    create.add_argument("--intake-closes", help="dd/mm/yyyy HH:MM (default: 2 days before the meeting)")
    create.set_defaults(action=_meeting_create)
    listing = meeting_commands.add_parser("list", help="list meetings")
    config_option(listing)
    listing.set_defaults(action=_meeting_list)
    show = meeting_commands.add_parser("show", help="show one meeting with its concern counts")
    config_option(show)
    show.add_argument("id", type=int)
    show.set_defaults(action=_meeting_show)
    return parser


def _run(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)
    secrets = Secrets.from_environment()
    configure_logging([s for s in (secrets.telegram_token, secrets.webhook_secret) if s])
    if settings.telegram.enabled and not secrets.telegram_token:
        print("error: set TELEGRAM_BOT_TOKEN to the token BotFather gave you", file=sys.stderr)
        return 2
    if settings.telegram.mode == "webhook" and not secrets.webhook_secret:
        print("error: webhook mode needs TELEGRAM_WEBHOOK_SECRET, so that only Telegram can call the bot", file=sys.stderr)
        return 2
    from bot.app import run_bot

    asyncio.run(run_bot(settings, secrets, clock))
    return 0


def _sandbox(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)
    configure_logging([], level=logging.WARNING)
    from bot.app import run_sandbox

    asyncio.run(run_sandbox(settings, Path(args.db), args.language, clock))
    return 0


def _check_config(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.file)
    print(
        f"{args.file}: OK — {settings.unit.name}, {len(settings.areas)} areas, "
        f"{len(settings.topics)} topics, database {settings.database.path}"
    )
    if settings.telegram.enabled and not os.environ.get("TELEGRAM_BOT_TOKEN"):
        print("note: TELEGRAM_BOT_TOKEN is not set in this environment; `doithoai run` will need it")
    return 0


def _meeting_create(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)
    zone = settings.zone

    def when(value: str | None) -> object:
        try:
            return None if value is None else parse_local(value, zone)
        except ValueError as error:
            raise MeetingError(str(error)) from None

    draft = MeetingDraft(
        title=args.title,
        starts_at=when(args.starts),  # type: ignore[arg-type]
        place=args.place,
        format=args.format,
        area_id=args.area,
        intake_opens_at=when(args.intake_opens),  # type: ignore[arg-type]
        intake_closes_at=when(args.intake_closes),  # type: ignore[arg-type]
    )

    async def create() -> None:
        async with _service(settings, clock) as service:
            created = await service.create(draft)
        for warning in created.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"created meeting {created.meeting.id}")
        _print_meeting(created.meeting, settings)

    asyncio.run(create())
    return 0


def _meeting_list(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)

    async def listing() -> None:
        async with _service(settings, clock) as service:
            meetings = await service.list()
        if not meetings:
            print("no meetings yet: create one with `doithoai meeting create`")
        for meeting in meetings:
            state = "intake open" if meeting.accepts_concerns_at(clock.now()) else meeting.status
            print(f"{meeting.id:>4}  {format_local(meeting.starts_at, settings.zone)}  {state:<12}  {meeting.title}")

    asyncio.run(listing())
    return 0


def _meeting_show(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)

    async def show() -> int:
        async with _service(settings, clock) as service:
            meeting = await service.get(args.id)
            if meeting is None:
                print(f"error: no meeting {args.id}", file=sys.stderr)
                return 1
            counts = await service.count_concerns(meeting.id)
        _print_meeting(meeting, settings)
        summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "none yet"
        print(f"concerns:      {summary}")
        return 0

    return asyncio.run(show())


def _print_meeting(meeting: Meeting, settings: Settings) -> None:
    zone = settings.zone
    print(f"title:         {meeting.title}")
    print(f"area:          {meeting.area_id}")
    print(f"starts:        {format_local(meeting.starts_at, zone)}")
    print(f"place:         {meeting.place}")
    print(f"format:        {meeting.format}")
    print(f"intake:        {format_local(meeting.intake_opens_at, zone)} → {format_local(meeting.intake_closes_at, zone)}")
    print(f"status:        {meeting.status}")


class _service:
    """Open the database for one CLI command and close it after."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock

    async def __aenter__(self) -> MeetingService:
        self._database = await Database.open(self._settings.database_path)
        return MeetingService(self._settings, self._database, self._clock)

    async def __aexit__(self, *exc: object) -> None:
        await self._database.close()


def _fail_config(error: ConfigError) -> None:
    print(f"{error.path}: the configuration has {len(error.problems)} problem(s):", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
