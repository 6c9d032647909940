"""`[public]` and `[open311]` of the config: what the public pages and the Open311 API show, and
the systems allowed to feed concerns in. Read by bot/config.py, which says how errors are named."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    # A misspelt key must be an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


class PublicSettings(_Strict):
    """What the public pages and the Open311 API show of a meeting and its concerns (no login)."""

    # The bot's Telegram username (without @) and the Zalo Official Account's id: the public
    # pages and the poster link to https://t.me/<username> and https://zalo.me/<oa id>.
    telegram_username: str = Field(default="", pattern=r"^$|^[A-Za-z][A-Za-z0-9_]{3,31}$")
    zalo_oa_id: str = Field(default="", pattern=r"^$|^[0-9]{5,25}$")
    # A withdrawn or rejected concern: only its code and status ("code_only"), also the reason
    # it was not taken ("reason"), or nothing at all ("hidden").
    show_rejected: Literal["code_only", "reason", "hidden"] = "code_only"
    # A resident's shared location is a place near their home: published only if the ward says so.
    show_location: bool = False
    # A poster font with Vietnamese letters (TTF); empty: DejaVu Sans where Debian puts it.
    poster_font: str = ""


class Open311Client(_Strict):
    """`[[open311.clients]]`: a system that feeds concerns in (a city hotline, another portal)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    # The SHA-256 of the client's api_key, in hex: the key itself stays out of the file
    # (`printf %s "$KEY" | sha256sum` gives it).
    api_key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Open311Settings(_Strict):
    """Open311 GeoReport v2 under /open311/v2/ (reading needs no key; posting needs a client's)."""

    enabled: bool = True
    clients: list[Open311Client] = []
    # How a client's developers reach the ward, as the discovery document tells them.
    contact: str = ""

    @model_validator(mode="after")
    def _names_unique(self) -> Open311Settings:
        names = [client.name for client in self.clients]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"clients[{index}].name: duplicate name {name!r}")
        return self


__all__ = ["Open311Client", "Open311Settings", "PublicSettings"]
