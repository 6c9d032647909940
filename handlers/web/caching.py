"""Cache headers of what the public reads: anyone may keep a copy, but must ask again before
showing it (a result or a final answer can be published at any moment), and asking again costs
a 304 when nothing changed."""

from __future__ import annotations

import hashlib

from aiohttp import web

PUBLIC_CACHE = "public, no-cache"


def revalidated(request: web.Request, response: web.Response) -> web.Response:
    """`response` with an ETag of its body, or an empty 304 when the browser has that version."""
    body = response.body if isinstance(response.body, bytes) else response.text.encode()
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    response.headers["ETag"] = tag
    response.headers.setdefault("Cache-Control", PUBLIC_CACHE)
    if response.status == 200 and tag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers={"ETag": tag, "Cache-Control": response.headers["Cache-Control"]})
    return response
