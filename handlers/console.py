"""The sandbox channel: the same dialogue in a terminal, buttons as numbered choices.

Typing a number presses that button. A few sandbox-only commands stand in for what a
phone would send: /photo, /location LAT LON, /contact PHONE NAME, /sticker; /as NAME speaks
as another resident, /quit leaves. The channel is also the outbox's sender for its residents:
answers, notices and rejections queued for them (by the staff CLI in another terminal, too)
are printed under a heading naming the resident they are for.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.domain.messages import Button, Contact, Inbound, InboundKind, Location, Reply
from bot.text import Catalog

CHANNEL = "console"
# A resident's id on the console channel is this prefix and the name they were given with /as,
# so that a push read back from the outbox after a restart still names its resident.
ADDRESS_PREFIX = "sandbox-"
FIRST_RESIDENT = "1"

Handle = Callable[[Inbound], Awaitable[list[Reply]]]


def address_of(name: str) -> str:
    return ADDRESS_PREFIX + name


def name_of(address: str) -> str:
    return address.removeprefix(ADDRESS_PREFIX)


class ConsoleChannel:
    def __init__(
        self,
        handle: Handle,
        resident: str = FIRST_RESIDENT,
        catalog: Catalog | None = None,
        out: TextIO = sys.stdout,
        language: str = "vi",
        files: Path = Path("sandbox-data"),
        run_id: str | None = None,
    ) -> None:
        self._files = files
        self._handle = handle
        self._resident = resident
        self._catalog = catalog or Catalog.load()
        self._out = out
        self._language = language
        # Each resident's latest buttons: a push to Lan while Minh speaks is still answerable
        # once the sandbox speaks as Lan again.
        self._buttons: dict[str, list[Button]] = {}
        # The dialogue ignores an event id it has seen before, and the database outlives this
        # process: a fresh prefix per run keeps a restarted sandbox's "1" from being a replay.
        self._run_id = run_id or uuid.uuid4().hex[:12]
        self._events = itertools.count(1)
        self._photos = itertools.count(1)

    @property
    def resident(self) -> str:
        """Who is speaking now."""
        return self._resident

    def sender(self) -> ConsoleChannel:
        """The outbox's sender for the console channel: this terminal."""
        return self

    async def run(self, lines: asyncio.Queue[str | None] | None = None) -> None:
        """Read lines until end of input or /quit; `lines` lets tests feed input."""
        self._print(self._t("sandbox.intro", name=self._resident))
        await self._deliver(self._inbound(InboundKind.COMMAND, command="start", text="/start"))
        source = lines if lines is not None else _stdin_lines()
        while True:
            self._prompt()
            line = await source.get()
            if line is None or line.strip() == "/quit":
                return
            inbound = self.parse(line.rstrip("\n"))
            if inbound is not None:
                await self._deliver(inbound)

    async def send(self, address: str, reply: Reply) -> None:
        """Deliver one push: printed at once, between whatever the resident is typing."""
        name = name_of(address)
        self._print("")
        self._print(self._t("sandbox.push_heading", name=name))
        buttons = self._show(reply)
        if buttons:
            self._buttons[name] = buttons
        self._prompt()

    def parse(self, line: str) -> Inbound | None:
        text = line.strip()
        buttons = self._buttons.get(self._resident, [])
        if text.isdecimal() and 1 <= int(text) <= len(buttons):
            return self._inbound(InboundKind.BUTTON, payload=buttons[int(text) - 1].payload)
        head, _, rest = text.partition(" ")
        if head == "/as":
            self._speak_as(rest)
            return None
        if head == "/photo":
            return self._inbound(InboundKind.PHOTO, photos=(f"sandbox-photo-{next(self._photos)}",), text=rest or None)
        if head == "/location":
            try:
                latitude, longitude = (float(part) for part in rest.replace(",", " ").split())
            except ValueError:
                self._print(self._t("sandbox.location_usage"))
                return None
            return self._inbound(InboundKind.LOCATION, location=Location(latitude, longitude))
        if head == "/contact":
            phone, _, name = rest.partition(" ")
            user_id = address_of(self._resident)
            return self._inbound(
                InboundKind.CONTACT, contact=Contact(phone, name or self._t("sandbox.contact_name"), None, user_id)
            )
        if head == "/sticker":
            return self._inbound(InboundKind.UNSUPPORTED, unsupported="sticker")
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            return self._inbound(InboundKind.COMMAND, command=command, args=args, text=text)
        return self._inbound(InboundKind.TEXT, text=line)

    def _speak_as(self, wanted: str) -> None:
        name = " ".join(wanted.split())
        if not name:
            self._print(self._t("sandbox.as_usage", name=self._resident))
            return
        self._resident = name
        self._print(self._t("sandbox.speaking_as", name=name))

    def _inbound(self, kind: InboundKind, **fields: object) -> Inbound:
        return Inbound(
            channel=CHANNEL, user_id=address_of(self._resident), kind=kind,
            event_id=f"{self._run_id}-{next(self._events)}", **fields,  # type: ignore[arg-type]
        )

    async def _deliver(self, inbound: Inbound) -> None:
        speaker = self._resident
        replies = await self._handle(inbound)
        shown: list[Button] = []
        for reply in replies:
            shown = self._show(reply) or shown
        if shown:
            self._buttons[speaker] = shown

    def _show(self, reply: Reply) -> list[Button]:
        self._print("")
        self._print(reply.text)
        if reply.document is not None:
            # A terminal cannot show an attachment: the file goes next to the sandbox database.
            target = self._files / reply.document.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(reply.document.content)
            self._print(self._t("sandbox.file_saved", path=str(target)))
        buttons = reply.all_buttons()
        if reply.ask == "location":
            self._print(f"   {reply.ask_label}: {self._t('sandbox.location_hint')}")
        if reply.ask == "contact":
            self._print(f"   {reply.ask_label}: {self._t('sandbox.contact_hint')}")
        for number, button in enumerate(buttons, start=1):
            self._print(f"  [{number}] {button.label}")
        return buttons

    def _prompt(self) -> None:
        # The prompt names the speaker, so that a push printed meanwhile leaves no doubt about
        # whose turn the next line is.
        print(self._t("sandbox.prompt", name=self._resident), end="", file=self._out, flush=True)

    def _t(self, key: str, **values: object) -> str:
        return self._catalog.t(self._language, key, **values)

    def _print(self, text: str) -> None:
        print(text, file=self._out, flush=True)


def _stdin_lines() -> asyncio.Queue[str | None]:
    """Lines typed in the terminal, read on a daemon thread so that pushes print meanwhile and
    Ctrl-C does not wait for a line that never comes; None at end of input."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        while True:
            line = sys.stdin.readline()
            try:
                loop.call_soon_threadsafe(lines.put_nowait, line or None)
            except RuntimeError:  # the sandbox has already ended: nobody reads this line
                return
            if not line:
                return

    threading.Thread(target=read, name="sandbox-input", daemon=True).start()
    return lines
