"""`doithoai db backup|restore`: a copy of the database while the bot runs, and putting one back."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli.common import Group, command, nouns
from bot.clock import Clock
from bot.config import load_settings
from storage.db import Database, restore as restore_file


def register(commands: Group) -> None:
    db = nouns(commands, "db", "back up and restore the database")
    command(db, "backup", backup, "copy the database while the bot runs (SQLite online backup)").add_argument("path")
    command(db, "restore", restore, "replace the database with a backup (stop the bot first)").add_argument("path")


def backup(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)

    async def go() -> int:
        database = await Database.open(settings.database_path)
        try:
            await database.backup(Path(args.path))
        except FileExistsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        finally:
            await database.close()
        print(f"backed up {settings.database_path} to {args.path}")
        return 0

    return asyncio.run(go())


def restore(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)
    try:
        restore_file(Path(args.path), settings.database_path)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"restored {settings.database_path} from {args.path} (the previous file is kept as *.before-restore)")
    return 0
