"""The outbox's Zalo sender: which way each push goes, decided when it is sent.

Zalo takes a consultation message only within its window (7 days) after the user last wrote
to the OA (free for 48 hours, charged after: Zalo's `quota_type` says which). After that the
one way left is a template the ward had approved in advance, filled from the push's fields
(`Reply.push`) and sent by the user's Zalo id (or number); an answer sent so keeps its full
text for the resident's return to the OA. A push with neither is held until its resident
writes again, as before. The way taken is kept on the outbox row. Template messages count
against a daily cap kept in the database (per unit and local day, shared by every process);
pushes held by it, by Zalo's quota or by an unfunded billing account are tried again the next
local day (bot/services/schedule.py).

Logs carry routes and error kinds only, never a Zalo id, a phone number or a message.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bot.clock import Clock
from bot.domain.messages import Push, Reply
from bot.domain.records import DEFAULT_UNIT_ID
from bot.domain.textnorm import cut_at_word
from bot.outbox.codec import encode_body
from bot.outbox.delivery import (
    Delivered,
    DeliveryError,
    Held,
    RetryAfter,
    TransientError,
    Undeliverable,
)
from bot.push_templates import ZaloTemplate, ZaloTemplates
from bot.resident.turn import PHONE_NOTICES_PURPOSE
from handlers.zalo.api import TokenError, ZaloApi, ZaloApiError
from handlers.zalo.evidence import send_evidence
from handlers.zalo.render import Outgoing, render
from storage.db import Database
from storage.outbox import OutboxRepository
from storage.zalo import TemplateDayRepository, ZaloUserRepository

log = logging.getLogger(__name__)

RATE_LIMITED = -32
# The user has not written to the OA recently enough, or their quota of consultation
# messages is used up: only a template message reaches them now.
WINDOW_CODES = frozenset({-230, -232})
# The OA has no funded billing account (Zalo Cloud Account): none linked (-320), or its money
# is spent (-321). A charged message waits for the next day, when it is tried again.
BILLING_CODES = frozenset({-320, -321})
# Trying again cannot help: invalid or too long a message, a user who does not follow the OA
# or cannot receive this kind of message.
FINAL_CODES = frozenset({-201, -210, -213, -233})
# Errors that may be about a template (its shape, or this OA or user not taking it): worth
# trying the message as plain text.
TEMPLATE_REFUSED = frozenset({-201, -210, -233})
RATE_LIMIT_PAUSE_SECONDS = 60.0
CHANNEL = "zalo"
# A consultation message's `quota_type` when it was paid for (the OA's purchased quota); the
# others ("reply": within the free 48 hours, "sub_quota": the OA package's allowance,
# "reward_quota": a redeemed code) cost nothing more.
CHARGED_QUOTA = "purchase_quota"
# The unit's time zone when none is given (the config's default).
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class TemplateCode:
    """The template API's errors this sender tells apart (README, "What was checked": all but
    -131 are in Zalo's or integrators' lists; -115 is the ZNS balance or quota spent)."""

    PHONE_INVALID = -108
    UNKNOWN_TEMPLATE = -109
    BAD_PARAMETER = -112
    QUOTA_EXHAUSTED = -115
    NO_ZALO_ACCOUNT = -118
    NOT_APPROVED = -131


# A template message refused for these waits for the resident (held): the ward's template
# is not usable (a config matter, logged), today's quota is spent, or this user cannot get one.
TEMPLATE_HOLD = frozenset({
    TemplateCode.UNKNOWN_TEMPLATE, TemplateCode.BAD_PARAMETER, TemplateCode.QUOTA_EXHAUSTED,
    TemplateCode.NO_ZALO_ACCOUNT, TemplateCode.NOT_APPROVED, TemplateCode.PHONE_INVALID,
})


class Route(StrEnum):
    """How a push went to a Zalo resident, as kept in the outbox row's `route`."""

    CONSULTATION = "consultation"
    # A consultation message Zalo charged for (between 48 hours and the window's end).
    CONSULTATION_CHARGED = "consultation_charged"
    TEMPLATE = "template"
    # A template message by phone number (ZNS price), for a resident who agreed to it.
    TEMPLATE_PHONE = "template_phone"
    HELD = "held"



def fill(template: ZaloTemplate, push: Push) -> dict[str, str]:
    """The template's parameters from the push's fields, each within its approved length."""
    return {name: cut_at_word(push.get(param.field) or "", param.max_length) for name, param in template.params.items()}


def tracking_id(address: str, template_id: str, data: dict[str, str]) -> str:
    # Ours, echoed in Zalo's delivery reports; derived, so the same push gets the same id.
    raw = json.dumps([address, template_id, data], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


async def deliver(api: ZaloApi, user_id: str, outgoing: Outgoing) -> dict[str, Any]:
    """Send one message; if Zalo refuses its template, send its plain-text fallback instead.
    Returns Zalo's `data` (its `quota_type` says which allowance paid for the message)."""
    try:
        return await api.send_message(user_id, outgoing.message)
    except ZaloApiError as error:
        if outgoing.fallback is None or error.status != 200 or error.code not in TEMPLATE_REFUSED:
            raise
        log.warning("zalo: a template was refused (%s); sent as plain text", kind(error))
        return await api.send_message(user_id, outgoing.fallback)


class _WindowShut(Exception):
    """Zalo refused the first consultation message for its window: try the template route."""


class ZaloSender:
    """Delivers outbox messages, says which way each went, and what Zalo's refusals mean."""

    def __init__(
        self, api: ZaloApi, database: Database, clock: Clock, window: timedelta, image_url: str = "",
        templates: ZaloTemplates | None = None, *, unit_id: str = DEFAULT_UNIT_ID,
        zone: ZoneInfo = VIETNAM,
    ) -> None:
        self._api = api
        self._database = database
        self._clock = clock
        self._window = window
        self._image_url = image_url
        self._templates = templates or ZaloTemplates()
        # `daily_cap` counts per unit and local day, in the database: every process sending
        # for the unit (the bot, `publish --send`) counts against the same number.
        self._unit_id = unit_id
        self._zone = zone

    async def send(self, address: str, reply: Reply) -> Delivered:
        async with self._database.transaction() as connection:
            last = await ZaloUserRepository(connection).last_interaction(address)
        now = self._clock.now()
        if reply.evidence is not None:
            return await self._evidence(address, reply, last is None or now - last <= self._window)
        if last is None or now - last <= self._window:
            try:
                quota_type = await self._consult(address, reply)
            except _WindowShut as error:
                reason = str(error)
            else:
                route = Route.CONSULTATION_CHARGED if quota_type == CHARGED_QUOTA else Route.CONSULTATION
                return Delivered(route, quota_type)
        else:
            reason = f"outside Zalo's window: the resident last wrote {(now - last).total_seconds() / 3600:.0f} h ago"
        return await self._by_template(address, reply, reason)

    async def _evidence(self, address: str, reply: Reply, inside_window: bool) -> Delivered:
        """A photo or document with an answer: a consultation message only (handlers/zalo/evidence.py),
        so after the window it waits for the resident to write again."""
        if not inside_window:
            raise Held("outside Zalo's window: a file goes only as a consultation message", route=Route.HELD)
        try:
            await send_evidence(self._api, address, reply)
        except (ZaloApiError, TokenError, httpx.HTTPError) as error:
            raise classify(error) from None
        return Delivered(Route.CONSULTATION)

    async def _consult(self, address: str, reply: Reply) -> str | None:
        """Send the push's messages; Zalo's `quota_type` for the first (which allowance paid for it)."""
        quota_type: str | None = None
        for index, outgoing in enumerate(render(reply, numbered=False, image_url=self._image_url)):
            try:
                answer = await deliver(self._api, address, outgoing)
                if index == 0 and answer.get("quota_type"):
                    quota_type = str(answer["quota_type"])
            except ZaloApiError as error:
                if error.code in WINDOW_CODES and error.status == 200 and index == 0:
                    raise _WindowShut(str(error)) from None
                if error.code in BILLING_CODES and error.status == 200 and index == 0:
                    log.error("zalo: a charged message was refused (%s): link and fund the Zalo Cloud Account", kind(error))
                    today = self._clock.now().astimezone(self._zone).date()
                    raise Held(f"no funded Zalo Cloud Account: {error}", route=Route.HELD,
                               until=self._next_day(today)) from None
                raise classify(error) from None
            except (TokenError, httpx.HTTPError) as error:
                raise classify(error) from None
        return quota_type

    async def _by_template(self, address: str, reply: Reply, reason: str) -> Delivered:
        template = self._templates.for_notice(reply.push.kind) if reply.push is not None else None
        if template is None or reply.push is None:
            raise Held(f"{reason}; no template message for it", route=Route.HELD)
        data = fill(template, reply.push)
        day = self._clock.now().astimezone(self._zone).date()
        if not await self._reserve(day):
            raise Held(f"{reason}; today's {self._templates.daily_cap} template messages are used",
                       route=Route.HELD, until=self._next_day(day))
        tracking = tracking_id(address, template.template_id, data)
        try:
            try:
                route = Route.TEMPLATE
                sent = await self._api.send_template(template.template_id, data, tracking, user_id=address)
            except ZaloApiError as error:
                # Zalo cannot reach this user by id: their number, if they agreed to that.
                phone = await self._notice_phone(address) if error.code == TemplateCode.NO_ZALO_ACCOUNT else None
                if phone is None:
                    raise
                route = Route.TEMPLATE_PHONE
                sent = await self._api.send_template(template.template_id, data, tracking, phone=phone)
        except ZaloApiError as error:
            await self._unreserve(day)
            raise classify_template(error, reason, self._next_day(day)) from None
        except (TokenError, httpx.HTTPError) as error:
            await self._unreserve(day)
            raise classify(error) from None
        log.info("zalo: a push went as a template message, %s (quota left today: %s)", route, sent.quota_left)
        if self._templates.full_text_follows(reply.push.kind):
            await self._keep_full_text(address, reply, tracking)
        return Delivered(route, None, sent.quota_left)

    async def _keep_full_text(self, address: str, reply: Reply, tracking: str) -> None:
        """The whole message, kept for when the resident comes back to the OA (the template's
        button): then inside the window, it goes as an ordinary message. Without its push it can
        never go as a template again."""
        body = encode_body(replace(reply, push=None))
        async with self._database.transaction() as connection:
            await OutboxRepository(connection).enqueue_held(
                f"zalo-full:{tracking}", CHANNEL, address, body, self._clock.now(),
                "the full text of a template message: sent when the resident writes to the OA",
            )

    async def _notice_phone(self, address: str) -> str | None:
        """The resident's verified number in Zalo's form (84…), if by_phone is on and they agreed."""
        if not self._templates.by_phone:
            return None
        async with self._database.transaction() as connection:
            phone = await ZaloUserRepository(connection).notice_phone(address, PHONE_NOTICES_PURPOSE)
        return phone.removeprefix("+") if phone else None

    async def _reserve(self, day: date) -> bool:
        """Count one template message against `day`'s cap; False when the cap is reached."""
        cap = self._templates.daily_cap
        if cap is None:
            return True
        async with self._database.transaction() as connection:
            return await TemplateDayRepository(connection).reserve(self._unit_id, day.isoformat(), cap)

    async def _unreserve(self, day: date) -> None:
        if self._templates.daily_cap is not None:
            async with self._database.transaction() as connection:
                await TemplateDayRepository(connection).unreserve(self._unit_id, day.isoformat())

    def _next_day(self, day: date) -> datetime:
        """When the unit's next local day begins: today's template messages are counted afresh."""
        return datetime.combine(day + timedelta(days=1), time(0), self._zone)


def classify(error: Exception) -> DeliveryError:
    """Zalo's answer in the dispatcher's terms: wait (rate limit), hold (window), give up, or retry."""
    if isinstance(error, ZaloApiError):
        if error.code == RATE_LIMITED or error.status == 429:
            return RetryAfter(RATE_LIMIT_PAUSE_SECONDS)
        if error.code in WINDOW_CODES:
            return Held(str(error), route=Route.HELD)
        if error.code in FINAL_CODES:
            return Undeliverable(str(error))
        return TransientError(str(error))
    if isinstance(error, TokenError):
        return TransientError(str(error))
    return TransientError(kind(error))


def classify_template(error: ZaloApiError, reason: str, tomorrow: datetime | None = None) -> DeliveryError:
    """A refused template message: held for the resident to write (a retry would not help), or
    retried; when Zalo's quota is spent, also tried again `tomorrow`."""
    if error.status == 200 and error.code in TEMPLATE_HOLD:
        if error.code != TemplateCode.QUOTA_EXHAUSTED:
            # The ward's template or its config needs a look: said once per push, without the address.
            log.error("zalo: a template message was refused (%s); check [zalo.templates]", kind(error))
            return Held(f"{reason}; template message refused: {error}", route=Route.HELD)
        return Held(f"{reason}; template message refused: {error}", route=Route.HELD, until=tomorrow)
    return classify(error)


def kind(error: Exception) -> str:
    if isinstance(error, ZaloApiError):
        return f"error {error.code}" if error.status == 200 else f"HTTP {error.status}"
    return type(error).__name__
