"""Zalo OA Open API v3 over httpx: sending consultation messages, and the token pair.

Zalo's access token lives about 25 hours; its refresh token lives about three months and is
single-use: every refresh returns a new pair and the old refresh token is dead. So:

- one refresh at a time, in this process (an asyncio.Lock) and across processes sharing the
  database (the bot and `publish --send`): the refresh token is claimed by a compare-and-swap
  on the stored pair's version; a send whose token another send or process has refreshed
  meanwhile just retries with the new pair, read from the database;
- a refresh token is marked spent in the database *before* it is sent, and never sent
  again, even when no answer came back; the new pair is written in one statement;
- the access token is refreshed an hour before it expires, and on errors -216/-220.

When the chain breaks (refused, or the answer to a refresh was lost), sends fail until an
operator gives a new pair in ZALO_ACCESS_TOKEN / ZALO_REFRESH_TOKEN and restarts the bot.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx

from bot.channels import ChannelStartFailed
from bot.clock import Clock
from bot.config import Secrets, ZaloSettings
from storage.db import Database
from storage.zalo import TokenPair, ZaloTokenRepository

log = logging.getLogger(__name__)

MESSAGE_PATH = "/v3.0/oa/message/cs"
TEMPLATE_PATH = "/message/template"
TOKEN_PATH = "/v4/oa/access_token"
# Access token invalid (-216) or expired (-220), and the template API's invalid token
# (-124): refresh and try once more.
TOKEN_ERRORS = frozenset({-216, -220, -124})
REFRESH_MARGIN = timedelta(hours=1)
# What Zalo documents for an access token when its answer does not say (25 h).
DEFAULT_EXPIRES_SECONDS = 90_000
# A refresh token claimed by another process is waited for this long (more than a refresh
# takes, TIMEOUT included), looking every CLAIM_POLL_SECONDS for the pair it stores.
CLAIM_WAIT_SECONDS = 20.0
CLAIM_POLL_SECONDS = 0.1
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class ZaloApiError(Exception):
    """Zalo answered with a non-zero `error` (`status` 200), or with an HTTP error (`code` 0)."""

    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(f"Zalo error {code}: {message}" if status == 200 else f"HTTP {status}: {message}")
        self.code = code
        self.status = status


class TokenError(Exception):
    """No usable token pair. `final`: only a new pair from the operator helps."""

    def __init__(self, message: str, *, final: bool) -> None:
        super().__init__(message)
        self.final = final


def seed_hash(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TemplateSent:
    """Zalo's answer to a template message: its id and, when it says, the quota left today."""

    msg_id: str
    quota_left: int | None = None
    daily_quota: int | None = None
    quota_type: str | None = None


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


class ZaloTokens:
    def __init__(
        self, settings: ZaloSettings, secrets: Secrets, database: Database, clock: Clock, http: httpx.AsyncClient
    ) -> None:
        self._settings = settings
        self._secrets = secrets
        self._database = database
        self._clock = clock
        self._http = http
        self._lock = asyncio.Lock()
        self._pair: TokenPair | None = None
        self.refreshes = 0

    async def load(self) -> TokenPair:
        """The stored pair, or the environment's when it is a new one (the operator re-authorised)."""
        seed = self._secrets.zalo_refresh_token
        async with self._database.transaction() as connection:
            tokens = ZaloTokenRepository(connection)
            stored = await tokens.get()
            if seed and (stored is None or stored.seed_hash != seed_hash(seed)):
                # No expiry known for a pair typed in by hand: it is refreshed at once.
                stored = TokenPair(self._secrets.zalo_access_token or "", seed, None, seed_hash(seed))
                await tokens.save(stored, self._clock.now())
                stored = await tokens.get()
                log.info("zalo: took the new token pair from the environment")
        if stored is None:
            raise TokenError("no Zalo token pair: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN", final=True)
        self._pair = stored
        return stored

    @property
    def current(self) -> str:
        return self._pair.access_token if self._pair is not None else ""

    async def access_token(self) -> str:
        """A token to call with, refreshed first when it expires within the hour (or nobody knows when)."""
        pair = self._pair or await self.load()
        if not pair.refresh_spent and (
            pair.access_expires_at is None or self._clock.now() >= pair.access_expires_at - REFRESH_MARGIN
        ):
            try:
                await self.refresh(pair.access_token)
            except TokenError:
                if not self._usable(pair):
                    raise
                log.warning("zalo: refreshing the access token failed; using the current one while it lasts")
        return self.current

    def _usable(self, pair: TokenPair) -> bool:
        expires = pair.access_expires_at
        return bool(pair.access_token) and (expires is None or self._clock.now() < expires)

    async def refresh(self, stale: str) -> None:
        """Get a new pair, unless the pair that `stale` belongs to was already replaced (by
        another send of this process, or by another process on the same database)."""
        async with self._lock:
            claimed = await self._claim(stale)
            if claimed is not None:
                self._pair = await self._exchange(claimed)

    async def _claim(self, stale: str) -> TokenPair | None:
        """The stored pair, claimed for one refresh; None when a newer pair is stored (now `_pair`).

        The claim is a compare-and-swap on the pair's version inside BEGIN IMMEDIATE, so one
        process at a time claims a refresh token, once. A pair another process claimed a moment
        ago is being refreshed there: this one waits for the pair it will store.
        """
        waited = 0.0
        while True:
            async with self._database.transaction() as connection:
                tokens = ZaloTokenRepository(connection)
                stored = await tokens.get()
                if stored is None:
                    raise TokenError("no Zalo token pair is stored", final=True)
                if not stored.refresh_spent:
                    if stored.access_token != stale:
                        self._pair = stored
                        return None
                    if await tokens.mark_spent(stored, self._clock.now()):
                        self._pair = replace(stored, refresh_spent=True)
                        return stored
            if not self._refreshing_elsewhere(stored, waited):
                self._pair = stored
                raise TokenError(
                    "the Zalo refresh token was already used and no new pair was stored: "
                    "set a new ZALO_ACCESS_TOKEN / ZALO_REFRESH_TOKEN and restart",
                    final=True,
                )
            await asyncio.sleep(CLAIM_POLL_SECONDS)
            waited += CLAIM_POLL_SECONDS

    def _refreshing_elsewhere(self, stored: TokenPair, waited: float) -> bool:
        """Whether a claimed refresh token is another process's refresh under way (worth waiting
        for), rather than a refresh whose answer was lost (this process's, or long ago)."""
        if waited >= CLAIM_WAIT_SECONDS or (self._pair is not None and self._pair.refresh_spent
                                            and self._pair.refresh_token == stored.refresh_token):
            return False
        began = stored.updated_at
        return began is not None and self._clock.now() - began < timedelta(seconds=CLAIM_WAIT_SECONDS)

    async def _exchange(self, pair: TokenPair) -> TokenPair:
        try:
            response = await self._http.post(
                self._settings.oauth_base_url.rstrip("/") + TOKEN_PATH,
                data={"refresh_token": pair.refresh_token, "app_id": self._settings.app_id,
                      "grant_type": "refresh_token"},
                headers={"secret_key": self._secrets.zalo_app_secret or ""},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            # The request never reached Zalo: the refresh token is still unused.
            async with self._database.transaction() as connection:
                await ZaloTokenRepository(connection).unspend(pair.refresh_token)
            self._pair = pair
            raise TokenError(f"could not reach Zalo to refresh the token ({type(error).__name__})", final=False) from None
        except httpx.HTTPError as error:
            log.error("zalo: no answer to the token refresh (%s); the refresh token is not used again: "
                      "set a new pair in ZALO_ACCESS_TOKEN / ZALO_REFRESH_TOKEN if sends keep failing",
                      type(error).__name__)
            raise TokenError("the token refresh got no answer", final=True) from None
        data = _json(response)
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if response.status_code != 200 or not isinstance(access, str) or not isinstance(refresh, str) or not access:
            reason = data.get("error_description") or data.get("error_name") or data.get("message") or response.status_code
            log.error("zalo: the token refresh was refused (%s, %s); set a new pair in ZALO_ACCESS_TOKEN / "
                      "ZALO_REFRESH_TOKEN and restart", data.get("error"), reason)
            raise TokenError(f"Zalo refused the token refresh: {reason}", final=True)
        try:
            seconds = int(data.get("expires_in") or DEFAULT_EXPIRES_SECONDS)
        except (TypeError, ValueError):
            seconds = DEFAULT_EXPIRES_SECONDS
        now = self._clock.now()
        fresh = TokenPair(access, refresh, now + timedelta(seconds=seconds), pair.seed_hash)
        async with self._database.transaction() as connection:
            tokens = ZaloTokenRepository(connection)
            await tokens.save(fresh, now)
            fresh = await tokens.get() or fresh  # with the version the save gave it
        self.refreshes += 1
        log.info("zalo: access token refreshed, valid for %d s", seconds)
        return fresh


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class ZaloApi:
    def __init__(
        self,
        settings: ZaloSettings,
        secrets: Secrets,
        database: Database,
        clock: Clock,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._settings = settings
        self._http = http or httpx.AsyncClient(timeout=TIMEOUT)
        self._own_http = http is None
        self.tokens = ZaloTokens(settings, secrets, database, clock, self._http)

    async def start(self) -> None:
        """Load the pair; one typed in by hand is exchanged for one whose expiry is known."""
        try:
            await self.tokens.load()
        except TokenError as error:
            raise ChannelStartFailed(f"zalo: {error}") from None
        try:
            await self.tokens.access_token()
        except TokenError as error:
            log.error("zalo: %s", error)

    async def close(self) -> None:
        if self._own_http:
            await self._http.aclose()

    @property
    def settings(self) -> ZaloSettings:
        return self._settings

    @property
    def http(self) -> httpx.AsyncClient:
        return self._http

    async def send_message(self, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """POST /v3.0/oa/message/cs; Zalo's `data`, or ZaloApiError / TokenError / httpx.HTTPError."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        return await self._call(self._settings.api_base_url.rstrip("/") + MESSAGE_PATH, body)

    async def send_template(
        self, template_id: str, data: dict[str, str], tracking_id: str, *, user_id: str | None = None,
        phone: str | None = None,
    ) -> TemplateSent:
        """A template message (ZBS), to the OA's user id or to a phone number; same errors as send_message."""
        body: dict[str, Any] = {"template_id": template_id, "template_data": data, "tracking_id": tracking_id}
        if user_id is not None:
            body["user_id"] = user_id
        else:
            body["phone"] = phone
        result = await self._call(self._settings.templates.base_url.rstrip("/") + TEMPLATE_PATH, body)
        quota = result.get("quota")
        quota = quota if isinstance(quota, dict) else {}
        kind = result.get("quota_type")
        return TemplateSent(
            str(result.get("msg_id", "")), _int(quota.get("remainingQuota")), _int(quota.get("dailyQuota")),
            str(kind) if kind else None,
        )

    async def _call(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        token = await self.tokens.access_token()
        try:
            return await self._post(url, body, token)
        except ZaloApiError as error:
            if error.code not in TOKEN_ERRORS:
                raise
        await self.tokens.refresh(token)
        return await self._post(url, body, self.tokens.current)

    async def _post(self, url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        response = await self._http.post(url, json=body, headers={"access_token": token})
        return _data_of(response)


class ZaloUploads:
    """The OA's file uploads (multipart, field `file`): Zalo answers with what a message then
    names the file by (an image's `attachment_id`, a document's `token`). Used for the evidence
    sent with answers (handlers/zalo/evidence.py); kept apart from the messages' calls above."""

    def __init__(self, api: ZaloApi) -> None:
        self._api = api

    async def upload(self, path: str, filename: str, content: bytes, content_type: str) -> dict[str, Any]:
        """POST one file to `path`; Zalo's `data`, or ZaloApiError / TokenError / httpx.HTTPError."""
        tokens = self._api.tokens
        token = await tokens.access_token()
        try:
            return await self._post(path, filename, content, content_type, token)
        except ZaloApiError as error:
            if error.code not in TOKEN_ERRORS:
                raise
        await tokens.refresh(token)
        return await self._post(path, filename, content, content_type, tokens.current)

    async def _post(self, path: str, filename: str, content: bytes, content_type: str, token: str) -> dict[str, Any]:
        url = self._api.settings.api_base_url.rstrip("/") + path
        response = await self._api.http.post(url, files={"file": (filename, content, content_type)},
                                             headers={"access_token": token})
        return _data_of(response)


def _data_of(response: httpx.Response) -> dict[str, Any]:
    """Zalo's `data` from an OA call's answer; ZaloApiError when the HTTP status or Zalo's own
    `error` says it failed (Zalo answers most refusals with HTTP 200)."""
    if response.status_code != 200:
        raise ZaloApiError(0, response.reason_phrase or "", status=response.status_code)
    data = _json(response)
    try:
        code = int(data.get("error", 0) or 0)
    except (TypeError, ValueError):
        code = -1
    if code != 0:
        raise ZaloApiError(code, str(data.get("message", ""))[:200])
    result = data.get("data")
    return result if isinstance(result, dict) else {}
