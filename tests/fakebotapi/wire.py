"""The Bot API on the wire: request parameters in, Telegram-shaped error answers out.

Every answer of the real Bot API is ``{"ok": true, "result": ...}`` or ``{"ok": false,
"error_code": N, "description": "...", "parameters": {...}}`` with the matching HTTP status;
bots break on exactly these details, so the fake copies them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web

from tests.fakebotapi.records import FileUpload

JSONDict = dict[str, Any]

# A Bot API method: the request's parameters and uploaded files in, its result out (or awaited).
Handler = Callable[[dict[str, Any], dict[str, FileUpload]], Any]

CONFLICT_POLL: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class ApiError(Exception):
    """Raised by method handlers; becomes a Telegram-shaped error answer."""

    def __init__(
        self, status: int, description: str | None = None, retry_after: int | None = None
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.description = description or default_description(status, retry_after)
        super().__init__(self.description)

    def body(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after if retry_after is not None else 1}"
    known = {
        400: "Bad Request: chat not found",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: CONFLICT_POLL,
    }
    if status in known:
        return known[status]
    if status >= 500:
        return "Internal Server Error"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def bad(description: str) -> ApiError:
    return ApiError(400, "Bad Request: " + description)


def u16(text: str) -> int:
    """Telegram measures offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# Parameters whose form value is a plain string; every other form value is JSON-encoded by PTB
# (numbers, booleans, reply_markup, allowed_updates, ...). Decoding "123" in a text would be wrong.
_STRING_PARAMS: Final = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "url", "action", "description",
        "short_description", "name", "first_name", "last_name", "phone_number", "vcard", "title",
        "address", "foursquare_id", "foursquare_type", "google_place_id", "google_place_type",
        "file_id", "message_effect_id", "business_connection_id", "secret_token", "ip_address",
        "inline_message_id", "language_code", "emoji", "question", "explanation",
        "explanation_parse_mode", "question_parse_mode", "photo", "document", "video", "audio",
        "voice", "animation", "video_note", "sticker", "thumbnail", "certificate", "performer",
        "file_name", "payload", "currency", "provider_token", "start_parameter",
        "game_short_name", "custom_title", "invite_link",
    }
)  # fmt: skip


def decode_form_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise bad(f"invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise bad(f"invalid {name} specified")


def as_float(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise bad(f"invalid {name} specified")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise bad(f"invalid {name} specified")


def as_json(value: Any, name: str) -> Any:
    """Values inside a JSON body may still arrive as JSON strings (some clients double-encode)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad(f"can't parse {name} JSON object") from None
    return value


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in {"true", "1"}
    return bool(value)


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, FileUpload]]:
    """Accepts query, urlencoded, multipart and JSON bodies like the real Bot API."""
    params: dict[str, Any] = {
        key: decode_form_value(key, value) for key, value in request.query.items()
    }
    files: dict[str, FileUpload] = {}
    if not request.body_exists:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad("JSON object expected")
        params.update(body)
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = FileUpload(
                filename=value.filename,
                content=value.file.read(),
                mime_type=value.content_type,
                uploaded=True,
            )
        elif isinstance(value, str):
            params[key] = decode_form_value(key, value)
        else:
            params[key] = decode_form_value(key, bytes(value).decode("utf-8", "replace"))
    return params, files
