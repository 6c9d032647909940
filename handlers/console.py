"""The sandbox channel: the same dialogue in a terminal, buttons as numbered choices.

Typing a number presses that button. A few sandbox-only commands stand in for what a
phone would send: /photo, /location LAT LON, /contact PHONE NAME, /sticker, /quit.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.domain.messages import Button, Contact, Inbound, InboundKind, Location, Reply
from bot.text import Catalog

CHANNEL = "console"

Handle = Callable[[Inbound], Awaitable[list[Reply]]]


class ConsoleChannel:
    def __init__(
        self,
        handle: Handle,
        user_id: str = "sandbox-resident",
        catalog: Catalog | None = None,
        out: TextIO = sys.stdout,
        language: str = "vi",
        files: Path = Path("sandbox-data"),
    ) -> None:
        self._files = files
        self._handle = handle
        self._user_id = user_id
        self._catalog = catalog or Catalog.load()
        self._out = out
        self._language = language
        self._buttons: list[Button] = []
        self._events = itertools.count(1)
        self._photos = itertools.count(1)

    async def run(self, lines: asyncio.Queue[str | None] | None = None) -> None:
        """Read lines until end of input or /quit; `lines` lets tests feed input."""
        self._print(self._catalog.t(self._language, "sandbox.intro"))
        await self._deliver(self._inbound(InboundKind.COMMAND, command="start", text="/start"))
        while True:
            line = await (lines.get() if lines is not None else asyncio.to_thread(_read_line))
            if line is None or line.strip() == "/quit":
                return
            inbound = self.parse(line.rstrip("\n"))
            if inbound is not None:
                await self._deliver(inbound)

    def parse(self, line: str) -> Inbound | None:
        text = line.strip()
        if text.isdecimal() and 1 <= int(text) <= len(self._buttons):
            return self._inbound(InboundKind.BUTTON, payload=self._buttons[int(text) - 1].payload)
        head, _, rest = text.partition(" ")
        if head == "/photo":
            return self._inbound(InboundKind.PHOTO, photos=(f"sandbox-photo-{next(self._photos)}",), text=rest or None)
        if head == "/location":
            try:
                latitude, longitude = (float(part) for part in rest.replace(",", " ").split())
            except ValueError:
                self._print(self._catalog.t(self._language, "sandbox.location_usage"))
                return None
            return self._inbound(InboundKind.LOCATION, location=Location(latitude, longitude))
        if head == "/contact":
            phone, _, name = rest.partition(" ")
            return self._inbound(
                InboundKind.CONTACT, contact=Contact(phone, name or "Cư dân", None, self._user_id)
            )
        if head == "/sticker":
            return self._inbound(InboundKind.UNSUPPORTED, unsupported="sticker")
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            return self._inbound(InboundKind.COMMAND, command=command, args=args, text=text)
        return self._inbound(InboundKind.TEXT, text=line)

    def _inbound(self, kind: InboundKind, **fields: object) -> Inbound:
        return Inbound(
            channel=CHANNEL, user_id=self._user_id, kind=kind, event_id=str(next(self._events)), **fields  # type: ignore[arg-type]
        )

    async def _deliver(self, inbound: Inbound) -> None:
        replies = await self._handle(inbound)
        shown: list[Button] = []
        for reply in replies:
            shown = self._show(reply) or shown
        if shown:
            self._buttons = shown

    def _show(self, reply: Reply) -> list[Button]:
        self._print("")
        self._print(reply.text)
        if reply.document is not None:
            # A terminal cannot show an attachment: the file goes next to the sandbox database.
            target = self._files / reply.document.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(reply.document.content)
            self._print(self._catalog.t(self._language, "sandbox.file_saved", path=str(target)))
        buttons = reply.all_buttons()
        if reply.ask == "location":
            self._print(f"   {reply.ask_label}: {self._catalog.t(self._language, 'sandbox.location_hint')}")
        if reply.ask == "contact":
            self._print(f"   {reply.ask_label}: {self._catalog.t(self._language, 'sandbox.contact_hint')}")
        for number, button in enumerate(buttons, start=1):
            self._print(f"  [{number}] {button.label}")
        return buttons

    def _print(self, text: str) -> None:
        print(text, file=self._out, flush=True)


def _read_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None
