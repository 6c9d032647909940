"""The Zalo channel as the composition root sees it: its entry in the registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.channels import ChannelContext, RunningChannel
from bot.config import Secrets, Settings
from bot.outbox.delivery import Sender
from handlers.zalo.channel import ZaloChannel
from handlers.zalo.events import CHANNEL


class ZaloDeclaration:
    name = CHANNEL

    def enabled(self, settings: Settings) -> bool:
        return settings.zalo.enabled

    def missing_secrets(self, secrets: Secrets) -> list[str]:
        return secrets.zalo_missing()

    def build(self, context: ChannelContext) -> RunningChannel:
        channel = self._channel(context)
        # A resident who writes again gets the answers Zalo's window held back.
        channel.on_release.append(context.wake_outbox)
        return channel

    @asynccontextmanager
    async def open_sender(self, context: ChannelContext) -> AsyncIterator[Sender]:
        channel = self._channel(context)
        await channel.open_for_sending()
        try:
            yield channel.sender()
        finally:
            await channel.close_for_sending()

    def _channel(self, context: ChannelContext) -> ZaloChannel:
        return ZaloChannel(context.settings, context.secrets, context.database, context.clock, context.handle, context.catalog)


ZALO = ZaloDeclaration()
