"""Telegram channel: python-telegram-bot updates -> `Inbound`, `Reply` -> Bot API calls.

Only translation lives here; what to answer is decided in `bot/`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import replace
from typing import Any

# Opt in to python-telegram-bot's coming timedelta durations now (RetryAfter.retry_after),
# so that every 429 does not warn; the code below reads both forms.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    Bot,
    BotCommand,
    Message,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import (
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    ExtBot,
    TypeHandler,
)

from bot.channels import ChannelStartFailed, Handle
from bot.clock import Clock, SystemClock
from bot.config import LANGUAGES, Secrets, Settings
from bot.domain.identity import ChatAddress
from bot.domain.messages import Contact, Document, Inbound, InboundKind, Location, Reply
from bot.text import Catalog
from handlers.telegram.journal import JournallingQueue, TelegramJournal
from handlers.telegram.limits import ChatLimits
from handlers.telegram.pushes import TelegramPushes
from handlers.telegram.render import as_messages, send_reply
from handlers.telegram.transport import AiohttpRequest
from handlers.telegram.updates import PerChatUpdates
from handlers.telegram.watch import PollingWatch
from storage.db import Database

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "callback_query"]
COMMANDS = ("new", "my", "status", "withdraw", "privacy", "mydata", "delete", "unsubscribe", "language", "cancel", "help")
_UNSUPPORTED = ("sticker", "voice", "audio", "video", "video_note", "animation", "document", "poll", "dice", "game")



class TelegramChannel:
    """Owns the python-telegram-bot Application and its lifecycle."""

    def __init__(
        self,
        settings: Settings,
        secrets: Secrets,
        handle: Handle,
        catalog: Catalog | None = None,
        *,
        database: Database | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not secrets.telegram_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self._settings = settings
        self._secrets = secrets
        self._handle = handle
        self._catalog = catalog or Catalog.load()
        # Without a database (a test of translation alone) updates are not journalled.
        self._journal = None if database is None else TelegramJournal(database, clock or SystemClock(), CHANNEL)
        self.application = self._build(secrets.telegram_token)
        self._polling = PollingWatch()

    def _build(self, token: str) -> Application:  # type: ignore[type-arg]
        config = self._settings.telegram
        bot = _TolerantBot(
            token=token,
            base_url=config.base_url,
            base_file_url=config.base_file_url,
            request=AiohttpRequest(),
            get_updates_request=AiohttpRequest(read_timeout=config.poll_timeout + 10, connections=1),
            rate_limiter=ChatLimits(max_retries=3) if config.rate_limiter else None,
            journal=self._journal if config.mode == "polling" else None,
        )
        builder = ApplicationBuilder().bot(bot).concurrent_updates(PerChatUpdates(self._settings.limits.concurrent_updates))
        if self._journal is not None and config.mode == "webhook":
            builder = builder.update_queue(JournallingQueue(self._journal))
        application = builder.build()
        # Pushes go through the outbox, which paces itself and must see every 429: a bot
        # without PTB's rate limiter (whose retries would hide them) sends those.
        timeout = self._settings.notify.send_timeout
        self._outbox_bot = Bot(
            token,
            base_url=config.base_url,
            base_file_url=config.base_file_url,
            request=AiohttpRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, connections=16),
        )
        self._pushes = TelegramPushes(
            self._outbox_bot, config.base_url, token, timeout, paid_broadcast=self._settings.notify.allow_paid_broadcast
        )
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        return application

    def sender(self) -> TelegramPushes:
        return self._pushes

    async def photo(self, ref: str) -> bytes | None:
        """A photo a resident sent, by its file_id, for the staff console; None when Telegram has
        it no more or it is too big. The download's address holds the token: it stays here."""
        try:
            file = await self.application.bot.get_file(ref)
            if file.file_size is not None and file.file_size > MAX_ATTACHMENT:
                return None
            return bytes(await file.download_as_bytearray())
        except TelegramError as error:
            log.info("a photo could not be fetched from Telegram: %s", type(error).__name__)
            return None

    async def open_for_sending(self) -> None:
        """Only the outbox's sending, for a command-line publish while the bot itself is not running."""
        await self._outbox_bot.initialize()
        await self._pushes.open()

    async def close_for_sending(self) -> None:
        await self._pushes.close()
        await self._outbox_bot.shutdown()

    async def start(self) -> None:
        """Connect and start receiving updates; returns once running.

        A start the operator can fix is a ChannelStartFailed naming what to fix, in one line:
        PTB's InvalidToken and its traceback would show the token, and a connection error
        names no address."""
        token = self._secrets.telegram_token
        try:
            await self._connect_and_receive()
        except InvalidToken:
            raise ChannelStartFailed(
                "Telegram rejected the token: check TELEGRAM_BOT_TOKEN against what BotFather gave you"
            ) from None
        except NetworkError as error:
            complaint = error.message.replace(token, "…") if token else error.message
            # The base URL is ours, without the token (PTB appends it); the error's own text is
            # only the transport's complaint, e.g. "httpx.ConnectError: All connection attempts failed".
            raise ChannelStartFailed(
                f"cannot reach the Telegram Bot API at {self._settings.telegram.base_url} ({complaint}); "
                "check the network, or telegram.base_url in the config"
            ) from None

    async def _connect_and_receive(self) -> None:
        app = self.application
        await app.initialize()
        await self.open_for_sending()
        await self._publish_commands()
        await app.start()
        # Before receiving anything new, so that an update is never both left over and fetched anew.
        await self._replay()
        config = self._settings.telegram
        assert app.updater is not None
        if config.mode == "webhook":
            await app.updater.start_webhook(
                listen=config.webhook.listen,
                port=config.webhook.port,
                url_path=config.webhook.path,
                webhook_url=config.webhook.url,
                allowed_updates=ALLOWED_UPDATES,
                secret_token=self._secrets.webhook_secret,
                drop_pending_updates=False,
                bootstrap_retries=-1,
            )
        else:
            await app.updater.start_polling(
                timeout=config.poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                bootstrap_retries=-1,
            )
            self._polling.watch(app.updater)
        log.info("telegram channel started (%s)", config.mode)

    async def failed(self) -> str:
        """Waits until the channel has stopped receiving on its own (see `PollingWatch`); why."""
        return await self._polling.failed()

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            try:
                await app.updater.stop()
            except Exception:  # its polling task's own error, already reported by the watch
                log.debug("the updater stopped with its polling task's error", exc_info=True)
        if app.running:
            await app.stop()
        await app.shutdown()
        await self.close_for_sending()

    async def _publish_commands(self) -> None:
        try:
            for language in LANGUAGES:
                commands = [BotCommand(c, self._catalog.t(language, f"commands.{c}")) for c in COMMANDS]
                await self.application.bot.set_my_commands(commands, language_code=None if language == "vi" else language)
        except TelegramError as error:
            # The menu of commands is a convenience; the bot works without it.
            log.warning("could not publish the command menu: %s", error)

    async def _replay(self) -> None:
        """Handle, in order, the updates journalled but not handled before the last stop."""
        if self._journal is None:
            return
        await self._journal.forget_old()
        left = await self._journal.unhandled()
        if left:
            log.warning("telegram: %d update(s) received before the last stop were not handled; handling them now", len(left))
        for stored in left:
            try:
                update = Update.de_json(json.loads(stored.body), self.application.bot)
            except Exception:  # any parse failure, as in _TolerantBot: logged, never retried forever
                log.warning("telegram: journalled update %s could not be parsed; skipped", stored.update_id)
                await self._journal.done(stored.update_id)
                continue
            self._journal.replayed.add(stored.update_id)
            # Errors go to _on_error, as for any update; the replay goes on.
            await self.application.process_update(update)

    # --- updates ------------------------------------------------------------------------

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # A press is settled beside the handling and the reply, not before them: the reply
        # must not wait two round trips to Telegram for the spinner to stop and the old
        # keyboard to go.
        settling = asyncio.ensure_future(_settle_callback(update)) if update.callback_query is not None else None
        try:
            await self._answer(update)
        finally:
            if settling is not None:
                await settling

    async def _answer(self, update: Update) -> None:
        try:
            replies, inbound = await self._handled(update)
        except Exception:
            # Apologised for by _on_error, and not handled again at every start.
            await self._done(update)
            raise
        # The dialogue marked it in its own transaction; everything else is marked here,
        # before the replies go out: a crash while sending loses replies, never repeats effects.
        await self._done(update)
        if inbound is None:
            return
        for reply in as_messages(replies):
            await send_reply(self.application.bot, int(inbound.reply_to), reply)

    async def _handled(self, update: Update) -> tuple[list[Reply], Inbound | None]:
        inbound = to_inbound(update)
        if inbound is None:
            return [], None
        if self._journal is not None:
            inbound = replace(inbound, journal_id=update.update_id)
        # Files are downloaded only in the staff chat, where staff send filled answer sheets.
        in_staff_chat = self._settings.staff.chat() == ChatAddress(CHANNEL, inbound.chat_id)
        if inbound.group and in_staff_chat and update.message is not None and update.message.document is not None:
            inbound = await _with_attachment(inbound, update.message)
        return await self._handle(inbound), inbound

    async def _done(self, update: Update) -> None:
        if self._journal is not None:
            await self._journal.done(update.update_id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("error while handling update %s", update_id, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_chat.type != ChatType.PRIVATE:
            return
        language = _language_of(update)
        try:
            await context.bot.send_message(update.effective_chat.id, self._catalog.t(language, "apology"))
        except (Forbidden, TelegramError) as error:
            log.warning("could not send the apology for update %s: %s", update_id, error)


class _TolerantBot(ExtBot):  # type: ignore[type-arg]
    """An update this library version cannot parse must not stop polling for everyone.

    python-telegram-bot parses a whole getUpdates batch at once and, on failure, fetches
    the same batch again forever. Each unparseable update is replaced by a bare one with
    its id, so the offset moves past it; it is logged and otherwise ignored.

    With a journal, a batch is journalled before the library sees it: the next getUpdates,
    whose offset tells Telegram the batch arrived, is sent only after that. An update
    that is still waiting, or was replayed at start, and that Telegram delivers again becomes a
    bare one too, so it moves the offset and is not handled twice.
    """

    def __init__(self, *args: Any, journal: TelegramJournal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():
            self._journal = journal

    async def _post(self, endpoint: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            result = [self._parseable(raw) for raw in result if _has_update_id(raw)]
            if self._journal is not None:
                wanted = await self._journal.record(result)
                result = [raw if raw["update_id"] in wanted else {"update_id": raw["update_id"]} for raw in result]
        return result

    def _parseable(self, raw: dict[str, Any]) -> dict[str, Any]:
        try:
            Update.de_json(dict(raw), self)
        except Exception:  # any parse failure: the library raises TypeError, KeyError, ValueError …
            update_id = raw.get("update_id")
            log.warning("skipping update %s that could not be parsed (kinds: %s)", update_id, sorted(raw))
            return {"update_id": update_id}
        return raw


def _has_update_id(raw: object) -> bool:
    """Whether a getUpdates item has an id the library can add 1 to, to confirm it.

    One without (not an object, its id no integer) would end the polling task with a TypeError
    and leave the bot deaf. It cannot be confirmed either: dropped, and the next good update's
    id moves the offset past it."""
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    if isinstance(update_id, int) and not isinstance(update_id, bool):
        return True
    log.warning("skipping a getUpdates item without an integer update_id (%s)", type(update_id).__name__)
    return False


async def _settle_callback(update: Update) -> None:
    """Stop the spinner and take the keyboard off the pressed message so it is not pressed
    twice: both at once, neither waiting for the other."""
    query = update.callback_query
    assert query is not None
    calls = [query.answer()]
    if isinstance(query.message, Message):
        calls.append(query.message.edit_reply_markup(reply_markup=None))
    for outcome in await asyncio.gather(*calls, return_exceptions=True):
        # Too old to edit, already edited, or Telegram briefly unwell: the press itself still counts.
        if isinstance(outcome, TelegramError):
            log.debug("could not settle callback %s: %s", query.id, outcome)
        elif isinstance(outcome, BaseException):
            raise outcome


MAX_ATTACHMENT = 5 * 1024 * 1024


async def _with_attachment(inbound: Inbound, message: Message) -> Inbound:
    document = message.document
    assert document is not None
    if document.file_size is not None and document.file_size > MAX_ATTACHMENT:
        return inbound
    file = await document.get_file()
    content = bytes(await file.download_as_bytearray())
    return replace(inbound, attachment=Document(document.file_name or "file", content))


def to_inbound(update: Update) -> Inbound | None:
    """Translate one update; None for what residents' chats never need (groups, edits, channels)."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or user.is_bot or chat.type == ChatType.CHANNEL:
        return None
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "user_id": str(user.id),
        "event_id": str(update.update_id),
        "chat_id": str(chat.id),
        "group": chat.type != ChatType.PRIVATE,
    }
    query = update.callback_query
    if query is not None:
        return Inbound(kind=InboundKind.BUTTON, payload=(query.data or "")[:64], **base)
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        text = message.text[: MessageLimit.MAX_TEXT_LENGTH]
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            command = head.split("@", 1)[0]
            if command:
                return Inbound(kind=InboundKind.COMMAND, command=command, args=args, text=text, **base)
        return Inbound(kind=InboundKind.TEXT, text=text, **base)
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return Inbound(kind=InboundKind.PHOTO, photos=(largest.file_id,), text=message.caption, **base)
    if message.contact is not None:
        contact = message.contact
        owner = str(contact.user_id) if contact.user_id is not None else None
        return Inbound(
            kind=InboundKind.CONTACT,
            contact=Contact(contact.phone_number, contact.first_name, contact.last_name, owner),
            **base,
        )
    if message.location is not None:
        return Inbound(
            kind=InboundKind.LOCATION,
            location=Location(message.location.latitude, message.location.longitude),
            **base,
        )
    kind = next((name for name in _UNSUPPORTED if getattr(message, name, None)), "other")
    return Inbound(kind=InboundKind.UNSUPPORTED, unsupported=kind, text=message.caption, **base)


def _language_of(update: Update) -> str:
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return "en" if code.startswith("en") else "vi"


async def run_until(stop: asyncio.Event, channel: TelegramChannel) -> None:
    await channel.start()
    try:
        await stop.wait()
    finally:
        await channel.stop()
