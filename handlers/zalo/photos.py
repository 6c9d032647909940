"""Residents' photos sent on Zalo, for the staff console: a Zalo `user_send_image` event carries
the image's address on Zalo's servers, which the concern keeps. The bot fetches it here, on the
server, so the browser never learns Zalo's address (the console caches the bytes privately,
bot/services/web_photos.py, and serves them under its own address)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)

# As large as the console takes a Telegram photo: a phone's photo is a few MB at most.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


async def fetch_photo(http: httpx.AsyncClient, ref: str) -> bytes | None:
    """The image at `ref` (an http(s) address from a signed event); None when it cannot be had.
    What it holds is checked by the caller: only images are served."""
    if urlsplit(ref).scheme not in ("https", "http"):
        return None
    try:
        async with http.stream("GET", ref, timeout=TIMEOUT, follow_redirects=True) as response:
            if response.status_code != 200:
                log.info("zalo: a resident's photo could not be fetched (HTTP %d)", response.status_code)
                return None
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > MAX_PHOTO_BYTES:
                    log.info("zalo: a resident's photo is larger than %d bytes; not fetched", MAX_PHOTO_BYTES)
                    return None
            return bytes(content)
    except httpx.HTTPError as error:
        # The type only: the exception's text holds the address.
        log.info("zalo: a resident's photo could not be fetched: %s", type(error).__name__)
        return None
