"""A bot under benchmark, as its own process (started by bench/intake.py; not meant to be run by hand).

    botproc.py ours --base-url URL --file-url URL --db PATH [--[no-]rate-limiter] --pid-file PATH
    botproc.py echo --base-url URL --file-url URL [--rate-limiter] [--concurrency N] --pid-file PATH

``ours`` is the production path: the example config pointed at the fake server, then
``bot.app.run_bot`` (Runtime: the python-telegram-bot Application polling, the schedule and
the outbox), with the production logging setup; SIGTERM stops it as it stops in production.
``echo`` is the floor: a minimal python-telegram-bot Application, same polling, handling
``--concurrency`` updates at once (PTB's own concurrent_updates), that answers every message
with one message and every button press with one message, settling the press the way the bot
does (answerCallbackQuery, keyboard removed) beside the reply. ``echo-aiohttp`` is the same echo
bot on the HTTP transport ours uses (handlers/telegram/transport.py) instead of PTB's default
httpx: the stricter floor, since the transport alone makes a large difference.
All take the token from TELEGRAM_BOT_TOKEN.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ECHO_BUTTON = "↩"


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from bot.config import load_settings

    settings = load_settings(Path(__file__).resolve().parent.parent / "config.example.toml")
    changes: dict[str, object] = {"base_url": args.base_url, "base_file_url": args.file_url, "poll_timeout": args.poll_timeout}
    if args.rate_limiter is not None:  # otherwise the example config's own setting
        changes["rate_limiter"] = args.rate_limiter
    telegram = settings.telegram.model_copy(update=changes)
    database = settings.database.model_copy(update={"path": str(args.db)})
    return settings.model_copy(update={"telegram": telegram, "database": database})


async def _ours(args: argparse.Namespace) -> None:
    from bot.app import run_bot
    from bot.config import Secrets
    from bot.logsetup import configure_logging

    secrets = Secrets.from_environment()
    configure_logging([s for s in (secrets.telegram_token, secrets.webhook_secret) if s])
    await run_bot(_settings(args), secrets)


async def _echo(args: argparse.Namespace) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
    from telegram.ext import (
        AIORateLimiter,
        ApplicationBuilder,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(ECHO_BUTTON, callback_data="e")]])

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.message is not None
        await context.bot.send_message(update.effective_chat.id, update.message.text or "…", reply_markup=keyboard)

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and update.effective_chat is not None
        settle = [query.answer()]
        if isinstance(query.message, Message):
            settle.append(query.message.edit_reply_markup(reply_markup=None))
        settling = asyncio.gather(*settle, return_exceptions=True)
        await context.bot.send_message(update.effective_chat.id, query.data or "…", reply_markup=keyboard)
        await settling

    builder = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(args.base_url)
    builder = builder.base_file_url(args.file_url).concurrent_updates(args.concurrency)
    if args.kind == "echo-aiohttp":
        from handlers.telegram.transport import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(read_timeout=args.poll_timeout + 10))
    if args.rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    app.add_handler(MessageHandler(filters.ALL, on_message))
    app.add_handler(CallbackQueryHandler(on_press))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=args.poll_timeout, allowed_updates=["message", "callback_query"])
        await stop.wait()
        await app.updater.stop()
        await app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=("ours", "echo", "echo-aiohttp"))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--file-url", required=True)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--poll-timeout", type=int, default=1)
    parser.add_argument("--rate-limiter", action=argparse.BooleanOptionalAction, default=None,
                        help="ours: the config's setting unless given; echo: PTB's AIORateLimiter, off unless given")
    parser.add_argument("--concurrency", type=int, default=32, help="echo: updates handled at once")
    parser.add_argument("--pid-file", type=Path, required=True)
    args = parser.parse_args()
    args.pid_file.write_text(str(os.getpid()))
    asyncio.run(_ours(args) if args.kind == "ours" else _echo(args))


if __name__ == "__main__":
    main()
