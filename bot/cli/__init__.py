"""The `doithoai` command line: run the bot, the sandbox, check a config; staff work on meetings,
the queue of concerns and the agenda.

Each module registers the commands of one noun; every command parses its arguments, calls a
service and prints. Refusals of the services are printed as one line and exit with 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.cli import agenda, answers, audit, concerns, db, meetings, run, web
from bot.clock import Clock, SystemClock
from bot.config import ConfigError
from bot.domain.refusal import Refusal
from bot.text import plural

# In the order `doithoai --help` lists them.
NOUNS = (run, meetings, concerns, agenda, answers, db, audit, web)


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        try:
            return int(args.action(args, clock or SystemClock()) or 0)
        except ConfigError as error:
            _fail_config(error)
            return 2
        except Refusal as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The output was piped into a reader that stopped (`| head`): no traceback, just stop.

    Python's own advice: point stdout at /dev/null so that the flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # what a shell reports for a command killed by SIGPIPE (128 + 13)


def parser() -> argparse.ArgumentParser:
    built = argparse.ArgumentParser(prog="doithoai", description=(__doc__ or "").split("\n\n")[0])
    commands = built.add_subparsers(required=True, metavar="COMMAND")
    for noun in NOUNS:
        noun.register(commands)
    return built


def _fail_config(error: ConfigError) -> None:
    print(f"{error.path}: the configuration has {plural(len(error.problems), 'problem', 'problems')}:", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)
