"""The Telegram channel as the composition root sees it: its entry in the registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.channels import ChannelContext, RunningChannel
from bot.config import Secrets, Settings
from bot.outbox.delivery import Sender
from handlers.telegram.channel import CHANNEL, TelegramChannel


class TelegramDeclaration:
    name = CHANNEL

    def enabled(self, settings: Settings) -> bool:
        return settings.telegram.enabled

    def missing_secrets(self, secrets: Secrets) -> list[str]:
        return [] if secrets.telegram_token else ["TELEGRAM_BOT_TOKEN"]

    def build(self, context: ChannelContext) -> RunningChannel:
        return TelegramChannel(
            context.settings, context.secrets, context.handle, context.catalog,
            database=context.database, clock=context.clock,
        )

    @asynccontextmanager
    async def open_sender(self, context: ChannelContext) -> AsyncIterator[Sender]:
        channel = TelegramChannel(context.settings, context.secrets, context.handle, context.catalog)
        await channel.open_for_sending()
        try:
            yield channel.sender()
        finally:
            await channel.close_for_sending()


TELEGRAM = TelegramDeclaration()
