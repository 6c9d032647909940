"""What a channel is to the application, whichever platform it speaks to.

A channel (Telegram, Zalo; a web chat next) lives in its own folder of `handlers/` and
exposes one `ChannelDeclaration`. The composition root (`bot/app.py`) lists the declarations
in its registry, and builds, starts and stops every one whose settings enable it; the outbox
gets each one's sender. Nothing here knows a platform.

A channel's `name` is the string its `Inbound`s, residents and outbox rows carry, and the
key under which the config gives a person's id on it (`[[staff.people]] telegram = …`):
staff are recognised by the `Inbound.user_id` the channel reports, matched against that id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.clock import Clock
from bot.config import Secrets, Settings
from bot.domain.messages import Inbound, Reply
from bot.outbox.delivery import Sender
from bot.text import Catalog
from storage.db import Database

Handle = Callable[[Inbound], Awaitable[list[Reply]]]


class ChannelStartFailed(Exception):
    """A channel could not start for a reason the operator can fix; the message says which, with no secret."""


@dataclass(frozen=True)
class ChannelContext:
    """What a channel is built with."""

    settings: Settings
    secrets: Secrets
    database: Database
    clock: Clock
    # The application's answer to one inbound message.
    handle: Handle
    catalog: Catalog
    # Asks the outbox to look again now, for a channel that can tell when messages it held
    # back became deliverable (on Zalo: the resident wrote again).
    wake_outbox: Callable[[], None]


class RunningChannel(Protocol):
    """A built channel: receives events between start and stop, and delivers the outbox's pushes."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def sender(self) -> Sender: ...


@runtime_checkable
class Watched(Protocol):
    """A running channel that can stop receiving while the process runs on (Telegram's polling)."""

    async def failed(self) -> str:
        """Waits until it has; why, in a sentence for the operator."""
        ...


@runtime_checkable
class PhotoSource(Protocol):
    """A running channel that can fetch a photo residents sent on it, by the reference a concern keeps."""

    async def photo(self, ref: str) -> bytes | None:
        """The photo's bytes, or None when the platform no longer has it."""
        ...


class ChannelDeclaration(Protocol):
    """Everything the composition root needs to know about one channel."""

    @property
    def name(self) -> str: ...

    def enabled(self, settings: Settings) -> bool: ...

    def missing_secrets(self, secrets: Secrets) -> list[str]:
        """The environment variables it needs and does not have, by name."""
        ...

    def build(self, context: ChannelContext) -> RunningChannel: ...

    def open_sender(self, context: ChannelContext) -> AbstractAsyncContextManager[Sender]:
        """Only its sender, for delivering the outbox while the bot itself is not running."""
        ...
