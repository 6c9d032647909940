"""A local stand-in for Zalo, for end-to-end tests of the Zalo channel.

- The OA Open API: `POST /v3.0/oa/message/cs` checks the `access_token` header, the window
  after each user's last interaction (-230 outside it), the message's shape, and records
  what each user received; its answer's `quota_type` is "reply" (free) within 48 hours of the
  user's last interaction and "purchase_quota" (charged) after.
- OAuth: `POST /v4/oa/access_token` with rotating single-use refresh tokens: each refresh
  gives a new pair and kills the refresh token it used; using one twice is recorded in
  `reused` and refused.
- Error injection: `fail_next(code)` (a Zalo error in a 200 answer), `fail_http(status)`,
  `revoke_access()` (every access token so far answers -216), `refresh_delay`,
  `refused_templates` (template types answered -201, as for an OA not allowed to send them).
- Template messages (ZBS): `POST /message/template` by `user_id` or `phone`, against the
  templates in `templates` (approved or not, each parameter's length limit), a quota
  (`template_quota`, -115 when spent: Zalo's "out of quota", the ZNS balance), `phones_on_zalo` (-118 for another number) and
  `fail_template_next(code)`; what was sent is in `templated`.
- Residents: `user(id)` posts signed webhook events to the bot's receiver (`webhook_url`)
  and reads what the bot sent them.

Time is the test's clock: timestamps, token expiry and the window all follow it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.clock import Clock
from handlers.zalo.events import expected_mac
from tests.fakezalo_media import FakeZaloMedia

APP_ID = "3141592653589793238"
OA_SECRET_KEY = "oa-secret-key-for-tests-0123456789"
APP_SECRET = "app-secret-for-tests-9876543210"
OA_ID = "4052871263048271634"


@dataclass
class SentZalo:
    user_id: str
    message: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.message.get("text") or "")

    @property
    def template(self) -> dict[str, Any] | None:
        attachment = self.message.get("attachment")
        return attachment.get("payload") if isinstance(attachment, dict) else None

    @property
    def template_type(self) -> str | None:
        template = self.template
        if template is None:
            return None
        return str(template.get("template_type") or "buttons")

    def buttons(self) -> list[tuple[str, str]]:
        template = self.template or {}
        return [(str(b["title"]), str(b["payload"])) for b in template.get("buttons", [])]


@dataclass(frozen=True)
class FakeTemplate:
    """A template as the OA registered it: its parameters' length limits, approved or not."""

    params: dict[str, int]
    approved: bool = True


@dataclass(frozen=True)
class SentTemplate:
    template_id: str
    data: dict[str, str]
    tracking_id: str
    user_id: str | None = None
    phone: str | None = None


@dataclass
class ApiCall:
    path: str
    user_id: str | None
    token: str | None
    error: int
    status: int = 200


@dataclass
class FakeZalo:
    clock: Clock
    window: timedelta = timedelta(days=7)
    free_window: timedelta = timedelta(hours=48)
    access_lifetime: timedelta = timedelta(hours=25)
    refresh_delay: float = 0.0
    webhook_url: str = ""
    sent: list[SentZalo] = field(default_factory=list)
    calls: list[ApiCall] = field(default_factory=list)
    refresh_calls: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    last_interaction: dict[str, datetime] = field(default_factory=dict)
    refused_templates: set[str] = field(default_factory=set)
    templates: dict[str, FakeTemplate] = field(default_factory=dict)
    templated: list[SentTemplate] = field(default_factory=list)
    template_quota: int = 500
    daily_template_quota: int = 500
    phones_on_zalo: set[str] = field(default_factory=set)
    # Uploads of the OA's files, and residents' images served (tests/fakezalo_media.py).
    media: FakeZaloMedia = field(default_factory=FakeZaloMedia)

    def __post_init__(self) -> None:
        self._access: dict[str, datetime] = {}
        self._revoked: set[str] = set()
        self._live_refresh: set[str] = set()
        self._spent_refresh: set[str] = set()
        self._pairs = itertools.count(1)
        self._errors: deque[tuple[int, str | None]] = deque()
        self._http_errors: deque[int] = deque()
        self._template_errors: deque[int] = deque()
        self._msg_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.access_token, self.refresh_token = self._issue()

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> FakeZalo:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._message)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        app.router.add_post("/message/template", self._template)
        app.add_routes(self.media.routes(self.token_error))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        self.media.base_url = self.base_url
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- tokens ---------------------------------------------------------------------------

    def _issue(self) -> tuple[str, str]:
        number = next(self._pairs)
        access, refresh = f"access-{number}-{'a' * 20}", f"refresh-{number}-{'r' * 20}"
        self._access[access] = self.clock.now() + self.access_lifetime
        self._live_refresh.add(refresh)
        self.access_token, self.refresh_token = access, refresh
        return access, refresh

    def revoke_access(self) -> None:
        """Every access token issued so far is now invalid (-216)."""
        self._revoked.update(self._access)

    # --- injection ------------------------------------------------------------------------

    def fail_next(self, code: int, *, user: str | None = None, times: int = 1) -> None:
        for _ in range(times):
            self._errors.append((code, user))

    def fail_http(self, status: int, times: int = 1) -> None:
        self._http_errors.extend([status] * times)

    def fail_template_next(self, code: int, times: int = 1) -> None:
        self._template_errors.extend([code] * times)

    def _injected(self, user: str) -> int | None:
        for index, (code, target) in enumerate(self._errors):
            if target is None or target == user:
                del self._errors[index]
                return code
        return None

    # --- the API --------------------------------------------------------------------------

    async def _message(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token")
        body = await request.json()
        user = str(body.get("recipient", {}).get("user_id", ""))
        message = body.get("message", {})
        if self._http_errors:
            status = self._http_errors.popleft()
            self.calls.append(ApiCall("message/cs", user, token, 0, status))
            return web.Response(status=status, text="injected")
        error = self._check(token, user, message)
        self.calls.append(ApiCall("message/cs", user, token, error))
        if error:
            return web.json_response({"error": error, "message": f"injected or refused ({error})"})
        self.sent.append(SentZalo(user, message))
        # Which allowance paid for it: free within 48 hours of the user's last interaction, the
        # OA's purchased quota after that (Zalo's rule since 2026).
        free = self.clock.now() - self.last_interaction[user] <= self.free_window
        return web.json_response({"error": 0, "message": "Success", "data": {
            "message_id": f"m{len(self.sent)}", "user_id": user, "quota_type": "reply" if free else "purchase_quota",
        }})

    def token_error(self, token: str | None) -> int:
        """-216 for an unknown or revoked access token, -220 for an expired one, else 0."""
        if token is None or token not in self._access or token in self._revoked:
            return -216
        return -220 if self.clock.now() >= self._access[token] else 0

    def _check(self, token: str | None, user: str, message: dict[str, Any]) -> int:
        if self.token_error(token):
            return self.token_error(token)
        injected = self._injected(user)
        if injected is not None:
            return injected
        last = self.last_interaction.get(user)
        if last is None or self.clock.now() - last > self.window:
            return -230
        text = message.get("text")
        attachment = message.get("attachment")
        if text is None and attachment is None:
            return -201
        if text is not None and (not isinstance(text, str) or not text or len(text) > 2000):
            return -201
        if attachment is not None:
            payload = attachment.get("payload", {})
            buttons = payload.get("buttons", [])
            if (payload.get("template_type") or "buttons") in self.refused_templates:
                return -201
            if len(buttons) > 5 or any(b.get("type") != "oa.query.hide" or len(b.get("payload", "")) > 1000 for b in buttons):
                return -201
            if payload.get("template_type") == "request_user_info":
                element = payload["elements"][0]
                if not element.get("title") or len(element["title"]) > 100 or len(element.get("subtitle", "")) > 500:
                    return -201
        return 0

    async def _template(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token")
        body = await request.json()
        user = body.get("user_id")
        error = self._check_template(token, body)
        self.calls.append(ApiCall("message/template", str(user) if user else None, token, error))
        if error:
            return web.json_response({"error": error, "message": f"injected or refused ({error})"})
        self.template_quota -= 1
        self.templated.append(SentTemplate(
            str(body["template_id"]), dict(body["template_data"]), str(body.get("tracking_id", "")),
            str(user) if user else None, str(body["phone"]) if body.get("phone") else None,
        ))
        quota = {"dailyQuota": str(self.daily_template_quota), "remainingQuota": str(self.template_quota)}
        return web.json_response({"error": 0, "message": "Success", "data": {
            "msg_id": f"t{len(self.templated)}", "sent_time": self.timestamp(), "quota": quota,
        }})

    def _check_template(self, token: str | None, body: dict[str, Any]) -> int:
        if token is None or token not in self._access or token in self._revoked or self.clock.now() >= self._access[token]:
            return -124
        if self._template_errors:
            return self._template_errors.popleft()
        template = self.templates.get(str(body.get("template_id")))
        if template is None:
            return -109
        if not template.approved:
            return -131
        data = body.get("template_data")
        if not isinstance(data, dict) or set(data) != set(template.params):
            return -112
        if any(not isinstance(v, str) or len(v) > template.params[k] for k, v in data.items()):
            return -112
        if self.template_quota <= 0:
            return -115
        phone, user = body.get("phone"), body.get("user_id")
        if user is not None:
            return 0 if str(user) in self.last_interaction else -118
        return 0 if phone in self.phones_on_zalo else -118

    async def _refresh(self, request: web.Request) -> web.Response:
        form = await request.post()
        refresh = str(form.get("refresh_token", ""))
        self.refresh_calls.append(refresh)
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return web.json_response({"error": -14002, "error_name": "invalid_app", "error_description": "Invalid app"})
        if form.get("grant_type") != "refresh_token":
            return web.json_response({"error": -14003, "error_description": "Invalid grant type"})
        if refresh in self._spent_refresh:
            self.reused.append(refresh)
            return web.json_response({"error": -14014, "error_description": "Invalid refresh token"})
        if refresh not in self._live_refresh:
            return web.json_response({"error": -14014, "error_description": "Invalid refresh token"})
        self._live_refresh.discard(refresh)
        self._spent_refresh.add(refresh)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        access, new_refresh = self._issue()
        seconds = int(self.access_lifetime.total_seconds())
        return web.json_response({"access_token": access, "refresh_token": new_refresh, "expires_in": str(seconds)})

    # --- residents --------------------------------------------------------------------------

    def user(self, user_id: str, name: str = "Cư dân") -> FakeZaloUser:
        return FakeZaloUser(self, user_id, name)

    def inbox(self, user_id: str) -> list[SentZalo]:
        return [m for m in self.sent if m.user_id == user_id]

    def timestamp(self) -> str:
        return str(int(self.clock.now().timestamp() * 1000))

    def next_msg_id(self) -> str:
        return f"{next(self._msg_ids):020d}"

    def sign(self, raw: bytes, timestamp: str, secret: str = OA_SECRET_KEY) -> str:
        return "mac=" + expected_mac(APP_ID, raw, timestamp, secret)

    async def post(self, event: dict[str, Any], *, signature: str | None = "good") -> int:
        """POST an event to the bot's webhook; `signature`: "good", None (no header), or a header value."""
        name = str(event.get("event_name", ""))
        who = event.get("follower") if name == "follow" else event.get("sender")
        if name.startswith(("user_send_", "user_submit_info", "follow")) and isinstance(who, dict):
            # Writing to the OA opens Zalo's window for this user, whatever the bot does with it.
            self.last_interaction[str(who.get("id"))] = self.clock.now()
        raw = json.dumps(event, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if signature == "good":
            headers["X-ZEvent-Signature"] = self.sign(raw, str(event.get("timestamp", "")))
        elif signature is not None:
            headers["X-ZEvent-Signature"] = signature
        async with self._session.post(self.webhook_url, data=raw, headers=headers) as response:
            await response.read()
            return response.status


class FakeZaloUser:
    def __init__(self, zalo: FakeZalo, user_id: str, name: str) -> None:
        self.zalo = zalo
        self.user_id = user_id
        self.name = name

    @property
    def inbox(self) -> list[SentZalo]:
        return self.zalo.inbox(self.user_id)

    def event(self, name: str, message: dict[str, Any] | None = None, msg_id: str | None = None, **extra: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "app_id": APP_ID,
            "user_id_by_app": f"app-{self.user_id}",
            "event_name": name,
            "timestamp": self.zalo.timestamp(),
            **extra,
        }
        if name in ("follow", "unfollow"):
            event["oa_id"] = OA_ID
            event["follower"] = {"id": self.user_id}
            event["source"] = "testing"
        else:
            event["sender"] = {"id": self.user_id}
            event["recipient"] = {"id": OA_ID}
        if message is not None:
            event["message"] = {"msg_id": msg_id or self.zalo.next_msg_id(), **message}
        return event

    async def send(self, event: dict[str, Any], *, signature: str | None = "good") -> int:
        return await self.zalo.post(event, signature=signature)

    async def send_text(self, text: str, *, msg_id: str | None = None) -> int:
        return await self.send(self.event("user_send_text", {"text": text}, msg_id))

    async def press(self, label: str) -> int:
        """Press the newest `oa.query.hide` button whose title contains `label`."""
        for message in reversed(self.inbox):
            for title, payload in message.buttons():
                if label in title:
                    return await self.send_text(payload)
        recent = [title for m in self.inbox[-3:] for title, _ in m.buttons()]
        raise AssertionError(f"no button {label!r}; recent buttons: {recent}")

    async def send_image(self, url: str, caption: str | None = None) -> int:
        message: dict[str, Any] = {"attachments": [{"type": "image", "payload": {"thumbnail": url + "?thumb", "url": url}}]}
        if caption is not None:
            message["text"] = caption
        return await self.send(self.event("user_send_image", message))

    async def send_location(self, latitude: float, longitude: float, *, short_names: bool = False) -> int:
        coordinates = (
            {"lat": str(latitude), "long": str(longitude)} if short_names
            else {"latitude": str(latitude), "longitude": str(longitude)}
        )
        message = {"attachments": [{"type": "location", "payload": {"coordinates": coordinates}}]}
        return await self.send(self.event("user_send_location", message))

    async def send_sticker(self) -> int:
        message = {"attachments": [{"type": "sticker", "payload": {"id": "abc", "url": "https://zalo.example/sticker"}}]}
        return await self.send(self.event("user_send_sticker", message))

    async def send_file(self) -> int:
        message = {"attachments": [{"type": "file", "payload": {"name": "don.pdf", "size": "1024", "url": "https://zalo.example/f"}}]}
        return await self.send(self.event("user_send_file", message))

    async def submit_info(self, name: str, phone: str) -> int:
        info = {"name": name, "phone": phone, "address": "", "city": "", "district": "", "ward": ""}
        return await self.send(self.event("user_submit_info", info=info))

    async def follow(self) -> int:
        return await self.send(self.event("follow"))
