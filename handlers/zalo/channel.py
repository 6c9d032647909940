"""The Zalo channel: a webhook receiver (aiohttp) feeding the dialogue, replies sent at once,
and the outbox's sender.

A webhook call is checked (signature), written to the `zalo_events` inbox and answered 200
straight away (after 1 s at most: a busy database is written after the answer, Zalo wanting
one within 2 s); the event is handled after, in order per resident. A delivery whose
message.msg_id was seen before is dropped; events not yet handled when the process stopped
are handled at the next start.

Only translation lives here; what to answer is decided in `bot/`. Logs carry event row ids
and error kinds, never a resident's words or Zalo id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from aiohttp import web

from bot.channels import ChannelStartFailed, Handle
from bot.chat_turns import ChatTurns
from bot.clock import Clock
from bot.config import Secrets, Settings
from bot.domain.messages import Reply
from bot.services.roles import Roles
from bot.text import Catalog
from handlers.zalo.api import TokenError, ZaloApi, ZaloApiError
from handlers.zalo.events import (
    CHANNEL,
    SIGNATURE_HEADER,
    ZaloEvent,
    identify,
    signature_ok,
    to_inbound,
)
from handlers.zalo.photos import fetch_photo
from handlers.zalo.render import render
from handlers.zalo.sender import ZaloSender, deliver, kind
from storage.db import Database
from storage.outbox import OutboxRepository
from storage.zalo import StoredEvent, ZaloEventRepository, ZaloUserRepository

log = logging.getLogger(__name__)


# Handled events are forgotten after this long; older deliveries are not handled at all.
EVENT_MEMORY = timedelta(days=30)
KEEPER_SECONDS = 300.0
STOP_GRACE_SECONDS = 10.0
# The webhook answers within this long even when storing the event takes longer (Zalo's limit is 2 s).
STORE_WITHIN_SECONDS = 1.0
# Each waits SQLite's busy_timeout (5 s) for another process's write to end.
STORE_ATTEMPTS = 6
MAX_BODY = 256 * 1024


class ZaloChannel:
    def __init__(
        self,
        settings: Settings,
        secrets: Secrets,
        database: Database,
        clock: Clock,
        handle: Handle,
        catalog: Catalog | None = None,
        *,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if not secrets.zalo_oa_secret_key:
            raise ValueError("ZALO_OA_SECRET_KEY is not set")
        self._settings = settings
        self._config = settings.zalo
        self._secret = secrets.zalo_oa_secret_key
        self._database = database
        self._clock = clock
        self._handle = handle
        self._catalog = catalog or Catalog.load()
        self._roles = Roles(settings)
        self.api = ZaloApi(settings.zalo, secrets, database, clock, http)
        # Called when a resident's held pushes became due again: the dispatcher's notify.
        self.on_release: list[Callable[[], object]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # The same bound as Telegram's updates: one resident's events in order, others at once.
        self._turns = ChatTurns(settings.limits.concurrent_updates)
        self._runner: web.AppRunner | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.port: int | None = None

    def sender(self) -> ZaloSender:
        return ZaloSender(self.api, self._database, self._clock, timedelta(hours=self._config.window_hours),
                          self._config.request_info_image_url, self._config.templates,
                          unit_id=self._settings.unit.id, zone=self._settings.zone)

    async def photo(self, ref: str) -> bytes | None:
        """A photo a resident sent, by the address its event gave, for the staff console."""
        return await fetch_photo(self.api.http, ref)

    async def open_for_sending(self) -> None:
        """Only the API and its token pair, for a command-line publish while the bot itself is not running."""
        await self.api.start()

    async def close_for_sending(self) -> None:
        await self.api.close()

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        await self.api.start()
        await self._forget_old_events()
        # Before the webhook opens, so that an event is never both left over and received anew.
        async with self._database.transaction() as connection:
            left = await ZaloEventRepository(connection).unhandled()
        if left:
            log.warning("zalo: %d event(s) received before the last stop were not handled; handling them now", len(left))
        for stored in left:
            self._spawn(stored)
        app = web.Application(client_max_size=MAX_BODY)
        path = "/" + self._config.webhook.path.strip("/")
        app.router.add_post(path, self._on_webhook)
        app.router.add_get(path, self._on_probe)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._config.webhook.listen, self._config.webhook.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            webhook = self._config.webhook
            raise ChannelStartFailed(
                f"cannot listen for Zalo's webhook on {webhook.listen}:{webhook.port} ({error.strerror or error}); "
                "check zalo.webhook.port in the config, or what else uses that port"
            ) from None
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._config.webhook.port
        self._keeper = asyncio.create_task(self._keep(), name="zalo-keeper")
        log.info("zalo channel started, webhook on %s:%s%s", self._config.webhook.listen, self.port, path)

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            done, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()  # handled again at the next start: the event is not marked handled
            await asyncio.gather(*pending, return_exceptions=True)
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        await self.api.close()

    async def settled(self) -> None:
        """Wait until every event received so far is handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*set(self._tasks), return_exceptions=True)

    async def _keep(self) -> None:
        """Refresh the token pair before it expires even when nothing is sent; forget old events."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=KEEPER_SECONDS)
            if self._stopping.is_set():
                return
            try:
                await self.api.tokens.access_token()
                await self._forget_old_events()
            except TokenError as error:
                log.error("zalo: %s", error)
            except Exception:
                log.exception("zalo: keeping the tokens fresh failed")

    async def _forget_old_events(self) -> None:
        before = self._clock.now() - EVENT_MEMORY
        async with self._database.transaction() as connection:
            await ZaloEventRepository(connection).prune(before)

    # --- the webhook ----------------------------------------------------------------------

    async def _on_probe(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _on_webhook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            event = json.loads(raw) if raw.strip() else {}
        except (ValueError, RecursionError):
            # RecursionError: a body nested deeper than the parser recurses (a few thousand
            # brackets) is no event either; UnicodeDecodeError is a ValueError.
            return web.json_response({"error": "not JSON"}, status=400)
        if not isinstance(event, dict):
            return web.json_response({"error": "not an event"}, status=400)
        if not event:
            return web.json_response({"ok": True})  # Zalo's probe when the webhook URL is registered
        if not signature_ok(request.headers.get(SIGNATURE_HEADER), self._config.app_id, raw, event, self._secret):
            log.warning("zalo: webhook call with a missing or wrong signature refused")
            return web.json_response({"error": "bad signature"}, status=401)
        identified = identify(event)
        if identified is None:
            return web.json_response({"ok": True})
        if self._stale(event):
            log.warning("zalo: an event older than %d days was ignored", EVENT_MEMORY.days)
            return web.json_response({"ok": True})
        storing = asyncio.ensure_future(self._store(identified, raw.decode("utf-8", "replace")))
        self._tasks.add(storing)
        storing.add_done_callback(self._tasks.discard)
        try:
            # Zalo wants its answer within 2 seconds: a database busy longer (another process's
            # write, a long transaction here) finishes storing after the answer.
            await asyncio.wait_for(asyncio.shield(storing), timeout=STORE_WITHIN_SECONDS)
        except TimeoutError:
            log.warning("zalo: the database is busy; an event was answered first and is stored when it frees")
        return web.json_response({"ok": True})

    async def _store(self, identified: ZaloEvent, body: str) -> None:
        """Write the event to the inbox, then handle it; a database locked by another process is waited for."""
        for attempt in range(STORE_ATTEMPTS):
            try:
                async with self._database.transaction() as connection:
                    stored = await ZaloEventRepository(connection).add(
                        identified.key, identified.user_id, body, self._clock.now()
                    )
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == STORE_ATTEMPTS - 1:
                    log.error("zalo: an event could not be stored (%s); Zalo will not send it again", error)
                    return
        if stored is not None:
            self._spawn(stored)

    def _stale(self, event: dict[str, Any]) -> bool:
        """A delivery older than the memory of handled events could be handled twice: refused."""
        try:
            stamp = int(str(event.get("timestamp")))
        except ValueError:
            return False
        milliseconds = stamp * 1000 if stamp < 100_000_000_000 else stamp  # seconds, should Zalo send those
        return milliseconds < (self._clock.now() - EVENT_MEMORY).timestamp() * 1000

    # --- handling -----------------------------------------------------------------------

    def _spawn(self, stored: StoredEvent) -> None:
        # Tasks start in creation order and their first step takes the resident's turn,
        # which hands over first come, first served: one resident's events stay in order.
        task = asyncio.create_task(self._process(stored), name=f"zalo-event-{stored.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, stored: StoredEvent) -> None:
        async with self._turns.turn(stored.user_id):
            await self._handle_stored(stored)

    async def _handle_stored(self, stored: StoredEvent) -> None:
        try:
            event = json.loads(stored.body)
            identified = identify(event)
            if identified is not None:
                await self._handle_event(event, identified)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("zalo: event %d could not be handled", stored.id)
            await self._apologise(stored.user_id)
        async with self._database.transaction() as connection:
            await ZaloEventRepository(connection).mark_handled(stored.id, self._clock.now())

    async def _handle_event(self, event: dict[str, Any], identified: ZaloEvent) -> None:
        now = self._clock.now()
        async with self._database.transaction() as connection:
            first = await ZaloUserRepository(connection).touch(identified.user_id, now)
            released = await OutboxRepository(connection).release_held(CHANNEL, identified.user_id, now)
        if released:
            log.info("zalo: %d held message(s) released: their resident wrote again", released)
            for wake in self.on_release:
                result = wake()
                if asyncio.iscoroutine(result):
                    await result
        # A new resident's first message greets them; a member of staff's (/web) is what they typed.
        greet = first and not self._roles.is_staff(CHANNEL, identified.user_id)
        replies = await self._handle(to_inbound(event, identified, greet))
        await self.send_replies(identified.user_id, replies)

    async def send_replies(self, user_id: str, replies: list[Reply]) -> None:
        """One turn's replies, at once. Only the last prompt's choices are numbered: that is
        the prompt whose number the dialogue takes."""
        prompts = [index for index, reply in enumerate(replies) if reply.buttons]
        last_prompt = prompts[-1] if prompts else -1
        for index, reply in enumerate(replies):
            for outgoing in render(reply, numbered=index == last_prompt, image_url=self._config.request_info_image_url):
                try:
                    await deliver(self.api, user_id, outgoing)
                except (ZaloApiError, TokenError, httpx.HTTPError) as error:
                    log.warning("zalo: a reply could not be sent (%s)", kind(error))

    async def _apologise(self, user_id: str) -> None:
        text = self._catalog.t(self._settings.unit.default_language, "apology")
        try:
            await self.api.send_message(user_id, {"text": text})
        except (ZaloApiError, TokenError, httpx.HTTPError) as error:
            log.warning("zalo: could not send the apology (%s)", kind(error))
