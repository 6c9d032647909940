"""Settings: one TOML file -> typed, validated settings.

Secrets never live in the file: the bot token comes from TELEGRAM_BOT_TOKEN and the
webhook secret from TELEGRAM_WEBHOOK_SECRET; Zalo's from ZALO_OA_SECRET_KEY, ZALO_APP_SECRET
and ZALO_ACCESS_TOKEN / ZALO_REFRESH_TOKEN. Validation errors name the exact key.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config_refs import named, reference_problems, tables_of
from bot.domain.identity import ChatAddress, GroupHead, Identity, StaffMember
from bot.domain.records import DEFAULT_UNIT_ID
from bot.domain.vocabulary import Role
from bot.public_settings import Open311Settings, PublicSettings
from bot.push_templates import ZaloTemplates

LANGUAGES = ("vi", "en")


class _Strict(BaseModel):
    # A misspelt key must be an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitSettings(_Strict):
    # A short slug naming the unit in the database; every meeting, concern and consent carries
    # it. Optional, so a config written before units existed keeps finding its rows.
    id: str = Field(default=DEFAULT_UNIT_ID, pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    name: str = Field(min_length=1)
    name_en: str | None = None
    chair_title: str = Field(min_length=1)
    chair_title_en: str | None = None
    # Printed under the chair's signature on the notices; without it the space is left to sign and stamp.
    chair_name: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    levels: list[str] = Field(min_length=1)
    levels_en: list[str] | None = None
    code_prefix: str = Field(default="TT", pattern=r"^[A-Z]{1,5}$")
    default_language: Literal["vi", "en"] = "vi"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class AreaSettings(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    name: str = Field(min_length=1)
    name_en: str | None = None
    parent: str | None = None


class TopicSettings(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    name: str = Field(min_length=1)
    name_en: str | None = None
    agency: str = ""


# The channels a person can be known on, each by a key named after the channel: a new
# channel adds its key here (tests/test_channels.py checks every registered channel has one).
IDENTITY_KEYS = ("telegram", "zalo")
# The channel of the ids in the older keys, written before staff could use other channels:
# `[staff] admins`, `members` and `chat_id`, and `telegram_id` of a group head.
OLDER_KEYS_CHANNEL = "telegram"


class ChannelIdentities(_Strict):
    """A person's ids on the channels they use, each under the channel's name."""

    # The numeric Telegram user id (a user can see theirs with @userinfobot).
    telegram: int | None = None
    # The user id Zalo sends with the OA's events: digits, but written as a string.
    zalo: str | None = Field(default=None, min_length=1)

    def identities(self) -> frozenset[Identity]:
        values = {key: getattr(self, key) for key in IDENTITY_KEYS}
        return frozenset(Identity(key, str(value)) for key, value in values.items() if value is not None)

    @model_validator(mode="after")
    def _known_somewhere(self) -> ChannelIdentities:
        if not self.identities():
            raise ValueError(f"needs at least one channel identity ({' or '.join(IDENTITY_KEYS)})")
        return self


class PersonSettings(ChannelIdentities):
    """`[[staff.people]]`: a member of staff with their identities on one or more channels."""

    name: str = Field(min_length=1)
    role: Literal["admin", "staff"] = "staff"

    def member(self) -> StaffMember:
        return StaffMember(self.name, Role(self.role), self.identities())


class GroupHeadSettings(ChannelIdentities):
    # The older spelling of `telegram`, kept so that existing configs keep working.
    telegram_id: int | None = None
    name: str = Field(min_length=1)
    areas: list[str] = Field(min_length=1)

    def identities(self) -> frozenset[Identity]:
        older = {Identity(OLDER_KEYS_CHANNEL, str(self.telegram_id))} if self.telegram_id is not None else set()
        return super().identities() | older

    @model_validator(mode="after")
    def _one_telegram_key(self) -> GroupHeadSettings:
        if self.telegram_id is not None and self.telegram is not None:
            raise ValueError("give telegram or telegram_id (its older name), not both")
        return self

    def head(self) -> GroupHead:
        return GroupHead(self.name, tuple(self.areas), self.identities())


class StaffSettings(_Strict):
    # The older form, still read: lists of Telegram user ids.
    admins: list[int] = []
    members: list[int] = []
    people: list[PersonSettings] = []
    # The staff group chat: the (negative) id of a Telegram group.
    chat_id: int | None = None
    group_heads: list[GroupHeadSettings] = []

    def everyone(self) -> tuple[StaffMember, ...]:
        """Every member of staff, whichever form the config uses."""
        older = [StaffMember(None, Role.ADMIN, frozenset({Identity(OLDER_KEYS_CHANNEL, str(i))})) for i in self.admins]
        older += [StaffMember(None, Role.STAFF, frozenset({Identity(OLDER_KEYS_CHANNEL, str(i))})) for i in self.members]
        return (*older, *(person.member() for person in self.people))

    def heads(self) -> tuple[GroupHead, ...]:
        return tuple(head.head() for head in self.group_heads)

    def chat(self) -> ChatAddress | None:
        return ChatAddress(OLDER_KEYS_CHANNEL, str(self.chat_id)) if self.chat_id is not None else None


class LimitSettings(_Strict):
    text_min_chars: int = Field(default=10, ge=1)
    text_max_chars: int = Field(default=2000, ge=20, le=4000)
    photos_max: int = Field(default=5, ge=0, le=10)
    name_max_chars: int = Field(default=80, ge=10)
    messages_per_minute: int = Field(default=30, ge=5)
    # Updates handled at once, of different chats, on each channel (one chat's are always
    # one at a time, in order).
    concurrent_updates: int = Field(default=32, ge=1, le=1024)

    @model_validator(mode="after")
    def _min_below_max(self) -> LimitSettings:
        if self.text_min_chars >= self.text_max_chars:
            raise ValueError("text_min_chars must be smaller than text_max_chars")
        return self


class AgendaSettings(_Strict):
    # Time budget of an agenda item: a base, one more minute per extra concern, a ceiling.
    minutes_per_item: int = Field(default=5, ge=1, le=60)
    max_item_minutes: int = Field(default=15, ge=1, le=120)
    # The meeting's time for residents' concerns: the agenda's total is shown against it.
    time_budget_minutes: int = Field(default=120, ge=10, le=600)


class SimilaritySettings(_Strict):
    # A ward's own words for comparing concerns, in the form of bot/domain/synonyms.toml
    # (added to those shipped); a path, relative to the directory the bot is started in.
    synonyms: str = ""

    @model_validator(mode="after")
    def _synonyms_exist(self) -> SimilaritySettings:
        if self.synonyms and not Path(self.synonyms).is_file():
            raise ValueError(f"similarity.synonyms: no such file '{self.synonyms}'")
        return self


class NotifySettings(_Strict):
    # Telegram's bulk limit; with allow_paid_broadcast, up to 1,000 (paid in Telegram Stars).
    per_second: float = Field(default=30, gt=0, le=1000)
    per_chat_per_second: float = Field(default=1, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    # A push whose answer has not come back by then counts as a network error and is retried.
    send_timeout: float = Field(default=10, gt=0, le=120)
    # Telegram's paid broadcasts: pushes beyond 30/s, each paid from the bot's Stars balance.
    allow_paid_broadcast: bool = False


class WebhookSettings(_Strict):
    listen: str = "0.0.0.0"
    port: int = Field(default=8443, ge=1, le=65535)
    path: str = "telegram"
    url: str = ""


class TelegramSettings(_Strict):
    enabled: bool = True
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    poll_timeout: int = Field(default=30, ge=0, le=50)
    webhook: WebhookSettings = WebhookSettings()
    # Each chat's own limits on replies (handlers/telegram/limits.py); pushes pace themselves.
    rate_limiter: bool = True

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> TelegramSettings:
        if self.mode == "webhook" and not self.webhook.url.startswith("https://"):
            raise ValueError("webhook mode needs telegram.webhook.url starting with https://")
        return self


class ZaloWebhookSettings(_Strict):
    # Zalo calls the public https address set in the OA's app; it must reach listen:port/path.
    listen: str = "0.0.0.0"
    port: int = Field(default=8445, ge=0, le=65535)  # 0: any free port (tests)
    path: str = "zalo"


class ZaloSettings(_Strict):
    """A Zalo Official Account (OA Open API v3). Its secrets come from the environment only."""

    enabled: bool = False
    app_id: str = ""
    api_base_url: str = "https://openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    webhook: ZaloWebhookSettings = ZaloWebhookSettings()
    # Zalo delivers a consultation message only to users who wrote to the OA within this
    # many hours; an answer to anyone else is held until they write again.
    window_hours: float = Field(default=168, gt=0)
    # Optional banner of the "share your name and phone number" card.
    request_info_image_url: str = ""
    templates: ZaloTemplates = ZaloTemplates()

    def asks_phone_notices(self, channel: str) -> bool:
        """Whether a resident on `channel` is asked about answers by phone number: only Zalo can
        reach one who stopped writing that way (a template message), and only with by_phone."""
        return channel == "zalo" and self.templates.by_phone

    @model_validator(mode="after")
    def _enabled_needs_app_id(self) -> ZaloSettings:
        if self.enabled and not self.app_id.strip():
            raise ValueError("zalo.enabled needs zalo.app_id (the app id of the OA's Zalo app)")
        return self


class WebSettings(_Strict):
    """The staff console in a browser, served by the bot's own process (`doithoai run`)."""

    enabled: bool = False
    # Behind a reverse proxy that holds the TLS certificate, listen on 127.0.0.1 only.
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # The address staff open, as login links carry it; empty: http://listen:port.
    public_url: str = ""
    # A session nobody used for this long is over: the next click asks for a new link.
    session_idle_minutes: int = Field(default=30, ge=1, le=720)
    # Reverse proxies (addresses or CIDR blocks) whose X-Forwarded-For names the visitor; the
    # address failed logins are counted against. Empty: the connection's own address.
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an address or a CIDR block like 10.0.0.0/8") from None
        return value

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError("must be an address like https://console.phuong.example.vn")
        return value.rstrip("/")

    @property
    def base_url(self) -> str:
        """Where staff reach the console: the public address, or the one it listens on."""
        return self.public_url or f"http://{self.listen}:{self.port}"

    @property
    def secure(self) -> bool:
        """Behind https: cookies are then sent over https only."""
        return self.base_url.startswith("https://")


class PrivacySettings(_Strict):
    consent_version: str = "1"
    controller: str = Field(min_length=1)
    contact: str = Field(min_length=1)


class DatabaseSettings(_Strict):
    path: str = "data/doithoai.db"


class Settings(_Strict):
    unit: UnitSettings
    areas: list[AreaSettings] = Field(min_length=1)
    topics: list[TopicSettings] = Field(min_length=1)
    staff: StaffSettings = StaffSettings()
    limits: LimitSettings = LimitSettings()
    agenda: AgendaSettings = AgendaSettings()
    similarity: SimilaritySettings = SimilaritySettings()
    notify: NotifySettings = NotifySettings()
    telegram: TelegramSettings = TelegramSettings()
    zalo: ZaloSettings = ZaloSettings()
    web: WebSettings = WebSettings()
    public: PublicSettings = PublicSettings()
    open311: Open311Settings = Open311Settings()
    privacy: PrivacySettings
    database: DatabaseSettings = DatabaseSettings()

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        problems = reference_problems(self.model_dump()) + _people_problems(self.staff.people)
        if problems:
            # Every problem at once, one a line: check-config lists them all in one run.
            raise ValueError("\n".join(problems))
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.unit.timezone)

    @property
    def database_path(self) -> Path:
        return Path(self.database.path)


def _people_problems(people: list[PersonSettings]) -> list[str]:
    # One identity on two people would make whoever uses it both, or either: refused.
    owner: dict[Identity, int] = {}
    problems = []
    for index, person in enumerate(people):
        for identity in sorted(person.identities(), key=lambda i: i.channel):
            if identity in owner:
                problems.append(
                    f"staff.people[{index}].{identity.channel}: {identity.user_id} is already staff.people[{owner[identity]}]"
                )
            else:
                owner[identity] = index
    return problems


class ConfigError(Exception):
    """The config cannot be used; each line of `problems` names a key and what is wrong."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def load_settings(path: str | os.PathLike[str]) -> Settings:
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(file, ["file not found"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(file, [f"not valid TOML: {error}"]) from None
    try:
        return Settings.model_validate(raw)
    except ValidationError as error:
        problems = [line for e in error.errors() for line in _describe(e, raw)]
        if all(e["loc"] for e in error.errors()):
            # The checks across tables run only once every key is right: run them here too,
            # so that one run names every problem.
            problems += [p for p in reference_problems(raw) if p not in problems]
        raise ConfigError(file, problems) from None


def _describe(error: dict, raw: dict[str, Any]) -> list[str]:  # type: ignore[type-arg]
    key = _dotted(error["loc"], raw)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return [f"{key}: unknown key (misspelt?)"]
    if error["type"] == "missing":
        return [f"{key}: required key is missing"]
    # Cross-reference errors are raised on the whole model (empty loc), one a line, and name their key.
    return [f"{key}: {message}"] if key else message.splitlines()


def _dotted(loc: tuple[object, ...], raw: dict[str, Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    # An area or a topic is named by its id as well as its place in the list.
    if len(loc) >= 2 and loc[0] in ("areas", "topics") and isinstance(loc[1], int):
        tables = tables_of(raw.get(str(loc[0])))
        if loc[1] < len(tables):
            out += named("area" if loc[0] == "areas" else "topic", tables[loc[1]])
    return out


@dataclass(frozen=True)
class Secrets:
    telegram_token: str | None
    webhook_secret: str | None
    # Zalo: the OA secret key signs webhook events, the app secret refreshes tokens, and the
    # first access/refresh pair seeds the chain of pairs kept in the database.
    zalo_oa_secret_key: str | None = None
    zalo_app_secret: str | None = None
    zalo_access_token: str | None = None
    zalo_refresh_token: str | None = None

    @classmethod
    def from_environment(cls) -> Secrets:
        return cls(
            telegram_token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
            webhook_secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET") or None,
            zalo_oa_secret_key=os.environ.get("ZALO_OA_SECRET_KEY") or None,
            zalo_app_secret=os.environ.get("ZALO_APP_SECRET") or None,
            zalo_access_token=os.environ.get("ZALO_ACCESS_TOKEN") or None,
            zalo_refresh_token=os.environ.get("ZALO_REFRESH_TOKEN") or None,
        )

    def zalo_missing(self) -> list[str]:
        """Environment variables a Zalo channel needs and does not have.

        The token pair is needed only until the first refresh has stored one in the database."""
        needed = {"ZALO_OA_SECRET_KEY": self.zalo_oa_secret_key, "ZALO_APP_SECRET": self.zalo_app_secret}
        return [name for name, value in needed.items() if not value]
