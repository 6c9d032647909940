"""A local fake of the Telegram Bot API for end-to-end tests.

Why it exists: the bot has to be exercised through the *real* python-telegram-bot stack
(HTTP, form/multipart encoding, ``Update.de_json``, error mapping, polling offsets) without
ever touching api.telegram.org, and without mocking PTB internals that would hide wire-level
bugs. The server speaks the Bot API over real TCP on 127.0.0.1, so the bot may run inside the
test (``ApplicationBuilder().base_url(api.base_url).base_file_url(api.base_file_url)``) or as a
separate process pointed at the same URLs.

The server lives in the test's event loop. A test that runs the bot as a subprocess must
therefore wait with ``asyncio.create_subprocess_exec`` / ``await user.wait_for_messages(...)``,
never with blocking calls (``subprocess.run``, ``time.sleep``), or the server cannot answer.

Behaviour copied from Telegram because bots break on exactly these details:

* every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
  "description": "...", "parameters": {...}}`` with the matching HTTP status;
* ``getUpdates`` only forgets updates when a later call confirms them with ``offset`` - a bot that
  crashes before confirming gets them again after a restart; a newer ``getUpdates`` ends an older
  waiting one with 409 Conflict;
* message text goes through ``parse_mode`` parsing (HTML, MarkdownV2, Markdown): malformed markup
  answers 400 "can't parse entities", and :attr:`SentMessage.text` is what the user *sees*
  (tags removed, entities decoded, surrounding whitespace trimmed) - the markup as sent is kept
  in :attr:`SentMessage.raw_text`;
* ``editMessageText`` without ``reply_markup`` removes the inline keyboard; an edit that changes
  nothing answers 400 "message is not modified"; a second ``answerCallbackQuery`` for the same
  query answers 400;
* sending to a chat the server has never seen answers 400 "chat not found": create users with
  :meth:`FakeBotApi.user` and group chats with :meth:`FakeBotApi.group` first.

Not modelled: webhooks are accepted and reported but updates are never pushed to them;
``allowed_updates`` is recorded (:attr:`FakeBotApi.allowed_updates`) but does not filter, so
hostile/unknown updates pushed with :meth:`FakeBotApi.push_update` always reach the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import enum
import inspect
import json
import mimetypes
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "OWN_ID",
    "ApiCall",
    "FakeBotApi",
    "FakeGroup",
    "FakeUser",
    "FileUpload",
    "SentMessage",
]

JSONDict = dict[str, Any]

DEFAULT_TOKEN: Final = "123456:TEST-TOKEN"

_CONFLICT_POLL: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_CONFLICT_WEBHOOK: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class _Own(enum.Enum):
    """Sentinel type so that ``send_contact(user_id=None)`` can mean "no Telegram account"."""

    OWN = "own"


OWN_ID: Final = _Own.OWN


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass
class FileUpload:
    """A file as the bot handed it over: bytes for uploads, the reference for re-sends.

    ``content`` is also filled for a re-send by file_id when the server knows that file, so a
    test can check the bytes no matter how the bot chose to send them.
    """

    filename: str | None
    content: bytes | None
    mime_type: str | None = None
    file_id: str | None = None  # server-assigned id for uploads; the given id/URL otherwise
    uploaded: bool = False  # True when the bytes travelled in this request (multipart)


@dataclass
class ApiCall:
    """One HTTP request to the Bot API; ``status`` stays 0 while the answer is still pending."""

    method: str
    params: dict[str, Any]
    status: int
    time: float
    answered_at: float | None = None
    description: str | None = None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass
class SentMessage:
    """A message the bot produced, kept up to date with later edits and deletion."""

    message_id: int
    chat_id: int
    text: str | None  # what the user sees: text or caption after parse_mode parsing
    reply_markup: dict[str, Any] | None  # decoded JSON as sent (inline, reply or remove keyboard)
    method: str
    document: FileUpload | None = None  # sendDocument (and document items of sendMediaGroup)
    edits: list[dict[str, Any]] = field(default_factory=list)
    photo: FileUpload | None = None  # sendPhoto (and photo items of sendMediaGroup)
    file: FileUpload | None = None  # the file of any media method, photo/document included
    location: tuple[float, float] | None = None
    raw_text: str | None = None  # text/caption exactly as sent, markup included
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    date: int = 0
    reply_to_message_id: int | None = None
    deleted: bool = False

    def buttons(self) -> list[tuple[str, str | None]]:
        """Flattened keyboard so tests can assert on labels without walking nested rows."""
        markup = self.reply_markup or {}
        if "inline_keyboard" in markup:
            return [
                (str(button.get("text", "")), button.get("callback_data"))
                for row in markup["inline_keyboard"]
                for button in row
            ]
        if "keyboard" in markup:
            return [
                (button if isinstance(button, str) else str(button.get("text", "")), None)
                for row in markup["keyboard"]
                for button in row
            ]
        return []

    @property
    def inline_buttons(self) -> list[tuple[str, str | None]]:
        """Only buttons that can be pressed (callback buttons); URL buttons give ``None``."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.buttons()
        return []

    def __str__(self) -> str:
        text = (self.text or "").replace("\n", " / ")
        if len(text) > 120:
            text = text[:117] + "..."
        extra = f" buttons={[b[0] for b in self.buttons()]}" if self.buttons() else ""
        gone = " [deleted]" if self.deleted else ""
        return f"#{self.message_id} {self.method}: {text!r}{extra}{gone}"


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """Raised by method handlers; becomes a Telegram-shaped error answer."""

    def __init__(
        self, status: int, description: str | None = None, retry_after: int | None = None
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.description = description or _default_description(status, retry_after)
        super().__init__(self.description)

    def body(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after if retry_after is not None else 1}"
    known = {
        400: "Bad Request: chat not found",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: _CONFLICT_POLL,
    }
    if status in known:
        return known[status]
    if status >= 500:
        return "Internal Server Error"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


@dataclass
class _Failure:
    method: str
    status: int
    retry_after: int | None
    description: str | None
    remaining: int
    chat_id: int | None


@dataclass
class _Delay:
    method: str
    seconds: float
    remaining: int


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str


@dataclass
class _Callback:
    user_id: int
    update_id: int
    answered: bool = False


def _bad(description: str) -> _ApiError:
    return _ApiError(400, "Bad Request: " + description)


def _u16(text: str) -> int:
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


def _decode_form_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _bad(f"invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _bad(f"invalid {name} specified")


def _as_float(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise _bad(f"invalid {name} specified")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _bad(f"invalid {name} specified")


def _as_json(value: Any, name: str) -> Any:
    """Values inside a JSON body may still arrive as JSON strings (some clients double-encode)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {name} JSON object") from None
    return value


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in {"true", "1"}
    return bool(value)


# --------------------------------------------------------------------------------------------
# Text formatting (parse_mode) - a faithful-enough subset of tdlib's parsers
# --------------------------------------------------------------------------------------------


def _entity_error(message: str) -> _ApiError:
    return _bad("can't parse entities: " + message)


_HTML_TAGS: Final = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_HTML_ENTITY: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7}));")
_HTML_NAMED: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_START: Final = re.compile(r"<([a-zA-Z0-9-]*)")
_HTML_END: Final = re.compile(r"</([a-zA-Z0-9-]*)\s*>")
_HTML_ATTR: Final = re.compile(
    r"""([a-zA-Z0-9_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"""
)


def _html_unescape(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        if match[1]:
            return _HTML_NAMED[match[1]]
        code = int(match[2]) if match[2] else int(match[3], 16)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
        return "\ufffd"

    return _HTML_ENTITY.sub(repl, text)


def _parse_html(src: str) -> tuple[str, list[JSONDict]]:
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[JSONDict] = []
    i, n = 0, len(src)

    def byte_offset(k: int) -> int:
        return len(src[:k].encode())

    while i < n:
        char = src[i]
        if char == "&":
            match = _HTML_ENTITY.match(src, i)
            piece = _html_unescape(match[0]) if match else "&"
            out.append(piece)
            pos += _u16(piece)
            i = match.end() if match else i + 1
            continue
        if char != "<":
            out.append(char)
            pos += _u16(char)
            i += 1
            continue
        offset = byte_offset(i)
        if src.startswith("</", i):
            end = _HTML_END.match(src, i)
            if end is None:
                raise _entity_error(f"Unclosed end tag at byte offset {offset}")
            if not stack:
                raise _entity_error(f"Unexpected end tag at byte offset {offset}")
            tag, start, tag_attrs = stack.pop()
            name = end[1].lower()
            if name and name != tag:
                raise _entity_error(
                    f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            inside_pre = any(entry[0] == "pre" for entry in stack)
            entity = _html_entity(tag, tag_attrs, start, pos - start, inside_pre, stack)
            if entity is not None:
                entities.append(entity)
            i = end.end()
            continue
        start_match = _HTML_START.match(src, i)
        assert start_match is not None  # the pattern accepts an empty name
        name = start_match[1].lower()
        if name not in _HTML_TAGS:
            raise _entity_error(f'Unsupported start tag "{name}" at byte offset {offset}')
        j = start_match.end()
        attrs: dict[str, str] = {}
        while True:
            while j < n and src[j].isspace():
                j += 1
            if j >= n:
                raise _entity_error(f"Unclosed start tag at byte offset {offset}")
            if src[j] == ">":
                j += 1
                break
            attr = _HTML_ATTR.match(src, j)
            if attr is None:
                raise _entity_error(
                    f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(j)}'
                )
            value = attr[2] if attr[2] is not None else attr[3] if attr[3] is not None else attr[4]
            attrs[attr[1].lower()] = _html_unescape(value or "")
            j = attr.end()
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _entity_error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append((name, pos, attrs))
        i = j
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(
    tag: str,
    attrs: dict[str, str],
    offset: int,
    length: int,
    inside_pre: bool,
    stack: list[tuple[str, int, dict[str, str]]],
) -> JSONDict | None:
    if length <= 0:
        return None
    kind = _HTML_TAGS[tag]
    entity: JSONDict = {"type": kind, "offset": offset, "length": length}
    if kind == "code" and inside_pre:
        language = attrs.get("class", "")
        if language.startswith("language-"):
            for entry in reversed(stack):
                if entry[0] == "pre":
                    entry[2]["_language"] = language.removeprefix("language-")
                    break
        return None
    if kind == "pre" and attrs.get("_language"):
        entity["language"] = attrs["_language"]
    if kind == "text_link":
        url = attrs.get("href", "")
        if not url:
            return None
        match = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if match:
            entity = {
                "type": "text_mention",
                "offset": offset,
                "length": length,
                "user": {"id": int(match[1]), "is_bot": False, "first_name": "User"},
            }
        else:
            entity["url"] = url
    if kind == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    if kind == "custom_emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


_MDV2_RESERVED: Final = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES: Final = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline",
    "strikethrough": "Strikethrough", "spoiler": "Spoiler", "text_link": "TextUrl",
    "code": "Code", "pre": "Pre",
}  # fmt: skip
_MDV2_CLOSERS: Final = {
    "bold": "*", "italic": "_", "underline": "__", "strikethrough": "~", "spoiler": "||",
}  # fmt: skip


def _parse_markdown_v2(src: str) -> tuple[str, list[JSONDict]]:
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, int, int, JSONDict]] = []  # kind, start, byte offset, extra
    entities: list[JSONDict] = []
    i, n = 0, len(src)

    def emit(piece: str) -> None:
        nonlocal pos
        out.append(piece)
        pos += _u16(piece)

    def close(extra: JSONDict | None = None) -> None:
        kind, start, _offset, data = stack.pop()
        if pos > start:
            entity: JSONDict = {"type": kind, "offset": start, "length": pos - start}
            entity.update(data)
            entity.update(extra or {})
            if kind != "text_link" or entity.get("url"):
                entities.append(entity)

    while i < n:
        char = src[i]
        top = stack[-1][0] if stack else None
        if char == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            emit(src[i + 1])
            i += 2
            continue
        if top == "code":
            if char == "`":
                close()
            else:
                emit(char)
            i += 1
            continue
        if top == "pre":
            if src.startswith("```", i):
                close()
                i += 3
            else:
                emit(char)
                i += 1
            continue
        if char not in _MDV2_RESERVED:
            emit(char)
            i += 1
            continue
        if top == "text_link" and char == "]":
            i += 1
            url = ""
            if i < n and src[i] == "(":
                j = i + 1
                chars: list[str] = []
                while j < n and src[j] != ")":
                    if src[j] == "\\" and j + 1 < n:
                        j += 1
                    chars.append(src[j])
                    j += 1
                if j >= n:
                    raise _entity_error(
                        f"Can't find end of a URL at byte offset {len(src[:i].encode())}"
                    )
                url = "".join(chars)
                i = j + 1
            close({"url": url} if url else None)
            continue
        closer = _MDV2_CLOSERS.get(top or "")
        closes = closer is not None and src.startswith(closer, i)
        if closes and not (top == "italic" and src.startswith("__", i)):
            assert closer is not None
            close()
            i += len(closer)
            continue
        offset = len(src[:i].encode())
        if char == "*":
            stack.append(("bold", pos, offset, {}))
            i += 1
        elif char == "_":
            if src.startswith("__", i):
                stack.append(("underline", pos, offset, {}))
                i += 2
            else:
                stack.append(("italic", pos, offset, {}))
                i += 1
        elif char == "~":
            stack.append(("strikethrough", pos, offset, {}))
            i += 1
        elif char == "|" and src.startswith("||", i):
            stack.append(("spoiler", pos, offset, {}))
            i += 2
        elif char == "[":
            stack.append(("text_link", pos, offset, {}))
            i += 1
        elif char == "`":
            if src.startswith("```", i):
                i += 3
                newline = src.find("\n", i)
                first_line = src[i:newline] if newline >= 0 else ""
                extra: JSONDict = {}
                if newline >= 0 and first_line and not any(c.isspace() for c in first_line):
                    extra["language"] = first_line
                    i = newline + 1
                stack.append(("pre", pos, offset, extra))
            else:
                stack.append(("code", pos, offset, {}))
                i += 1
        elif char == ">" and (i == 0 or src[i - 1] == "\n"):
            i += 1  # block quotes: the marker disappears; the quote entity is not modelled
        else:
            raise _entity_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        kind, _start, offset, _data = stack[-1]
        raise _entity_error(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {offset}")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _parse_markdown_legacy(src: str) -> tuple[str, list[JSONDict]]:
    out: list[str] = []
    pos = 0
    entities: list[JSONDict] = []
    i, n = 0, len(src)
    kinds = {"*": "bold", "_": "italic", "`": "code"}

    def emit(piece: str) -> None:
        nonlocal pos
        out.append(piece)
        pos += _u16(piece)

    while i < n:
        char = src[i]
        if char == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            emit(src[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            emit(char)
            i += 1
            continue
        offset = len(src[:i].encode())
        start = pos
        if src.startswith("```", i):
            end = src.find("```", i + 3)
            if end < 0:
                raise _entity_error(
                    f"Can't find end of the entity starting at byte offset {offset}"
                )
            emit(src[i + 3 : end])
            if pos > start:
                entities.append({"type": "pre", "offset": start, "length": pos - start})
            i = end + 3
            continue
        if char == "[":
            end = src.find("]", i + 1)
            if end < 0:
                raise _entity_error(
                    f"Can't find end of the entity starting at byte offset {offset}"
                )
            emit(src[i + 1 : end])
            i = end + 1
            if i < n and src[i] == "(":
                url_end = src.find(")", i + 1)
                if url_end >= 0:
                    url = src[i + 1 : url_end]
                    if url and pos > start:
                        entities.append(
                            {
                                "type": "text_link",
                                "offset": start,
                                "length": pos - start,
                                "url": url,
                            }
                        )
                    i = url_end + 1
            continue
        end = src.find(char, i + 1)
        if end < 0:
            raise _entity_error(f"Can't find end of the entity starting at byte offset {offset}")
        emit(src[i + 1 : end])
        if pos > start:
            entities.append({"type": kinds[char], "offset": start, "length": pos - start})
        i = end + 1
    return "".join(out), entities


def _strip_with_entities(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram trims surrounding whitespace; entity offsets must follow the trimmed text."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _u16(text[: len(text) - len(text.lstrip())])
    total = _u16(stripped)
    result: list[JSONDict] = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def _format_text(raw: str, parse_mode: Any, explicit_entities: Any) -> tuple[str, list[JSONDict]]:
    mode = str(parse_mode).lower() if parse_mode else ""
    if mode == "html":
        text, entities = _parse_html(raw)
    elif mode == "markdownv2":
        text, entities = _parse_markdown_v2(raw)
    elif mode == "markdown":
        text, entities = _parse_markdown_legacy(raw)
    elif mode:
        raise _bad(f"unsupported parse_mode {parse_mode!r}")
    else:
        text = raw
        entities = list(_as_json(explicit_entities, "entities") or [])
    return _strip_with_entities(text, entities)


# --------------------------------------------------------------------------------------------
# Chats as seen from the test
# --------------------------------------------------------------------------------------------


def _find_button(records: Iterable[SentMessage], label: str, where: str) -> tuple[SentMessage, str]:
    seen: list[str] = []
    for record in records:
        if record.deleted:
            continue
        for text, data in record.inline_buttons:
            if data is not None and (text == label or data == label):
                return record, data
        if record.buttons():
            seen.append(f"  #{record.message_id}: {record.buttons()}")
    hint = "\n".join(seen[-8:]) or "  (no message with a keyboard)"
    raise AssertionError(f"no inline button {label!r} in {where}; keyboards seen:\n{hint}")


class _ChatView:
    """What one chat shows: shared by private chats (FakeUser) and groups (FakeGroup)."""

    def __init__(self, api: FakeBotApi, chat_id: int) -> None:
        self.api = api
        self.chat_id = chat_id
        self._mark = 0

    @property
    def inbox(self) -> list[SentMessage]:
        """Every message the bot sent to this chat, deleted ones included (flagged)."""
        return [record for record in self.api.sent if record.chat_id == self.chat_id]

    def last(self) -> SentMessage:
        inbox = self.inbox
        if not inbox:
            raise AssertionError(
                f"the bot has sent nothing to chat {self.chat_id}\n{self.api.describe()}"
            )
        return inbox[-1]

    @property
    def current_keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard the user currently sees (latest keyboard/remove_keyboard wins)."""
        for record in reversed(self.inbox):
            markup = record.reply_markup or {}
            if "keyboard" in markup:
                return markup
            if "remove_keyboard" in markup:
                return None
        return None

    def _mark_now(self) -> None:
        self._mark = len(self.inbox)

    async def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Waits for exactly ``count`` messages after the mark and moves the mark past them.

        Returning exactly ``count`` (not "everything so far") keeps tests deterministic when the
        bot sends several messages in a burst; later messages are returned by the next wait.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            inbox = self.inbox
            if len(inbox) - self._mark >= count:
                new = inbox[self._mark : self._mark + count]
                self._mark += count
                return new
            if loop.time() >= deadline:
                got = inbox[self._mark :]
                shown = "\n".join(f"  {record}" for record in got) or "  (none)"
                raise AssertionError(
                    f"chat {self.chat_id}: expected {count} new message(s) within {timeout}s, "
                    f"got {len(got)}:\n{shown}\n{self.api.describe()}"
                )
            await asyncio.sleep(0.01)

    async def reply_after(
        self, send: Callable[[], int], count: int = 1, timeout: float = 10.0
    ) -> list[SentMessage]:
        self._mark_now()
        send()
        return await self.wait_for_messages(count, timeout)

    async def assert_no_new_messages(self, within: float = 0.3) -> None:
        """Silence can only be checked by waiting; keep ``within`` short."""
        await asyncio.sleep(within)
        new = self.inbox[self._mark :]
        if new:
            shown = "\n".join(f"  {record}" for record in new)
            raise AssertionError(f"chat {self.chat_id}: unexpected new message(s):\n{shown}")


class FakeUser(_ChatView):
    """A Telegram user in a private chat with the bot (chat_id == user_id)."""

    def __init__(
        self,
        api: FakeBotApi,
        user_id: int,
        first_name: str,
        last_name: str | None,
        language_code: str | None,
        username: str | None,
    ) -> None:
        super().__init__(api, user_id)
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.language_code = language_code
        self.username = username
        self.callback_answers: list[dict[str, Any]] = []
        self._answers_by_update: dict[int, dict[str, Any]] = {}

    @property
    def user_dict(self) -> JSONDict:
        user: JSONDict = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat_dict(self) -> JSONDict:
        chat: JSONDict = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    # -- what the user sends ------------------------------------------------------------------

    def _send(self, fields: JSONDict) -> int:
        self._mark_now()
        return self.api._user_message(self, self.chat_id, fields)

    def send_text(self, text: str) -> int:
        return self._send(_text_fields(text))

    def send_photo(self, caption: str | None = None, content: bytes | None = None) -> int:
        fields: JSONDict = {"photo": self.api._photo_sizes(content)}
        if caption:
            fields["caption"] = caption
        return self._send(fields)

    def send_sticker(self, emoji: str = "👍") -> int:
        stored = self.api._store_file(
            b"RIFF\x00\x00\x00\x00WEBPVP8 fake", "sticker.webp", "image/webp", "stickers"
        )
        return self._send(
            {
                "sticker": {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": emoji,
                    "file_size": len(stored.content),
                }
            }
        )

    def send_voice(self, duration: int = 3, content: bytes | None = None) -> int:
        data = content if content is not None else b"OggS\x00fake-voice" + bytes(64)
        stored = self.api._store_file(data, None, "audio/ogg", "voice")
        return self._send(
            {
                "voice": {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "duration": duration,
                    "mime_type": "audio/ogg",
                    "file_size": len(data),
                }
            }
        )

    def send_document(
        self,
        file_name: str = "giay-to.pdf",
        content: bytes | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> int:
        data = content if content is not None else b"%PDF-1.4\n% fake document\n" + bytes(32)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self.api._store_file(data, file_name, mime, "documents")
        fields: JSONDict = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime,
                "file_size": len(data),
            }
        }
        if caption:
            fields["caption"] = caption
        return self._send(fields)

    def send_location(self, latitude: float, longitude: float) -> int:
        return self._send({"location": {"latitude": latitude, "longitude": longitude}})

    def send_contact(
        self,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | _Own | None = OWN_ID,
    ) -> int:
        """``user_id`` defaults to the sender: that is how Telegram marks a verified own number."""
        contact: JSONDict = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if user_id is OWN_ID:
            contact["user_id"] = self.user_id
        elif isinstance(user_id, int):
            contact["user_id"] = user_id
        return self._send({"contact": contact})

    def press(self, label_or_data: str, message: SentMessage | None = None) -> int:
        records = [message] if message is not None else list(reversed(self.inbox))
        where = f"message #{message.message_id}" if message else f"chat {self.chat_id}"
        record, data = _find_button(records, label_or_data, where)
        self._mark_now()
        return self.api._press(self, record.chat_id, record.message_id, data)

    def press_raw(self, data: str, message_id: int | None = None) -> int:
        """Stale or forged callbacks: any data, any (even deleted or never existing) message."""
        if not 1 <= len(data.encode()) <= 64:
            raise ValueError("Telegram only delivers callback data of 1-64 bytes")
        if message_id is None:
            alive = [record for record in self.inbox if not record.deleted]
            message_id = alive[-1].message_id if alive else None
        self._mark_now()
        return self.api._press(self, self.chat_id, message_id, data)

    def answer_for(self, update_id: int) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters for the press that produced ``update_id``."""
        return self._answers_by_update.get(update_id)

    def block(self, notify: bool = False) -> None:
        self.api.block(self.user_id, notify=notify)

    def unblock(self, notify: bool = False) -> None:
        self.api.unblock(self.user_id, notify=notify)


class FakeGroup(_ChatView):
    """A group/supergroup the bot is in, e.g. the staff chat; members are FakeUsers."""

    def __init__(self, api: FakeBotApi, chat_id: int, title: str, chat_type: str) -> None:
        super().__init__(api, chat_id)
        self.title = title
        self.chat_type = chat_type

    @property
    def chat_dict(self) -> JSONDict:
        return {"id": self.chat_id, "type": self.chat_type, "title": self.title}

    def send_text(self, user: FakeUser, text: str) -> int:
        self._mark_now()
        return self.api._user_message(user, self.chat_id, _text_fields(text))

    def press(self, user: FakeUser, label_or_data: str, message: SentMessage | None = None) -> int:
        records = [message] if message is not None else list(reversed(self.inbox))
        where = f"message #{message.message_id}" if message else f"chat {self.chat_id}"
        record, data = _find_button(records, label_or_data, where)
        self._mark_now()
        return self.api._press(user, record.chat_id, record.message_id, data)


_COMMAND: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")


def _text_fields(text: str) -> JSONDict:
    if not text.strip():
        raise ValueError("Telegram clients cannot send an empty message; use push_update")
    if _u16(text) > 4096:
        raise ValueError("Telegram clients split texts over 4096 characters; use push_update")
    fields: JSONDict = {"text": text}
    match = _COMMAND.match(text)
    if match:
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": _u16(match[0])}]
    return fields


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

_Handler = Callable[[dict[str, Any], dict[str, FileUpload]], Any]

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip

_MEDIA: Final = {
    # method: (parameter / message field, file_path folder, default mime type)
    "sendPhoto": ("photo", "photos", "image/jpeg"),
    "sendDocument": ("document", "documents", "application/octet-stream"),
    "sendVideo": ("video", "videos", "video/mp4"),
    "sendAudio": ("audio", "music", "audio/mpeg"),
    "sendVoice": ("voice", "voice", "audio/ogg"),
    "sendAnimation": ("animation", "animations", "video/mp4"),
    "sendSticker": ("sticker", "stickers", "image/webp"),
}

_COPYABLE: Final[tuple[str, ...]] = (
    "text", "entities", "caption", "caption_entities", "photo", "document", "video", "audio",
    "voice", "animation", "sticker", "location", "contact", "venue",
)  # fmt: skip


class FakeBotApi:
    """The fake server plus the whole Telegram-side state tests assert on."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_id: int = 123456,
        bot_username: str = "doithoai_test_bot",
        bot_first_name: str = "Doithoai Test Bot",
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name

        self.sent: list[SentMessage] = []
        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []
        self.server_errors: list[Exception] = []  # crashes inside the fake itself
        self.chat_actions: list[tuple[int, str]] = []
        self.updates_confirmed_up_to = 0
        self.allowed_updates: list[str] | None = None
        self.webhook: JSONDict = {}
        self.bot_settings: dict[str, Any] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}

        self._queue: list[JSONDict] = []
        self._next_update_id = 1
        self._chats: dict[int, JSONDict] = {}
        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self._blocked: set[int] = set()
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._records: dict[tuple[int, int], SentMessage] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_counter = 0
        self._callbacks: dict[str, _Callback] = {}
        self._callback_counter = 0
        self._media_group_counter = 0
        self._failures: list[_Failure] = []
        self._delays: list[_Delay] = []
        self._poll_waiter: asyncio.Future[str] | None = None
        self._last_poll: float | None = None
        self._closing: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        self._methods: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": lambda p, f: True,
            "close": lambda p, f: True,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": lambda p, f: self._setting("description", p),
            "setMyShortDescription": lambda p, f: self._setting("short_description", p),
            "setMyName": lambda p, f: self._setting("name", p),
            "setChatMenuButton": lambda p, f: self._setting("menu_button", p),
            "getMyDescription": lambda p, f: {
                "description": self.bot_settings.get("description", "")
            },
            "getMyShortDescription": lambda p, f: {
                "short_description": self.bot_settings.get("short_description", "")
            },
            "getMyName": lambda p, f: {"name": self.bot_settings.get("name", bot_first_name)},
            "getChatMenuButton": lambda p, f: self.bot_settings.get(
                "menu_button", {"type": "default"}
            ),
            "getChat": self._get_chat,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "sendLocation": self._send_location,
            "sendMediaGroup": self._send_media_group,
            "forwardMessage": self._forward_message,
            "copyMessage": self._copy_message,
        }
        for media_method in _MEDIA:
            self._methods[media_method] = self._media_handler(media_method)
        self._method_names = {name.lower(): name for name in self._methods}

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Binds an ephemeral port so parallel test runs never collide.

        A restart after :meth:`stop` reuses the same port, so a bot that kept running sees a
        Telegram outage and recovery rather than a server that moved away. All state (queued
        updates, messages, users) survives the restart.
        """
        if self._runner is not None:
            raise RuntimeError("FakeBotApi is already running")
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self._port or 0)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Wakes long polls and delayed answers first so shutdown never waits for them."""
        if self._runner is None:
            return
        assert self._closing is not None
        self._closing.set()
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("closing")
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """Stays valid after stop() so the URLs can be handed out before a restart."""
        if self._port is None:
            raise RuntimeError("FakeBotApi was never started; call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- test-side setup ----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Lan",
        last_name: str | None = None,
        language_code: str = "vi",
        username: str | None = None,
    ) -> FakeUser:
        """Idempotent so helpers can ask for "user 42" without tracking who created it."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(self, user_id, first_name, last_name, language_code, username)
        self._users[user_id] = user
        self._chats[user_id] = user.chat_dict
        return user

    def group(
        self, chat_id: int, title: str = "Tổ công tác", chat_type: str = "supergroup"
    ) -> FakeGroup:
        """A group the bot is a member of; without it, sends to that chat answer 400."""
        existing = self._groups.get(chat_id)
        if existing is not None:
            return existing
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        group = FakeGroup(self, chat_id, title, chat_type)
        self._groups[chat_id] = group
        self._chats[chat_id] = group.chat_dict
        return group

    def push_update(self, update: dict[str, Any]) -> int:
        """Queues any raw update; a copy is stored so later edits do not rewrite history."""
        stored = copy.deepcopy(update)
        if "update_id" not in stored:
            stored["update_id"] = self._next_update_id
        update_id = stored["update_id"]
        if isinstance(update_id, int) and not isinstance(update_id, bool):
            self._next_update_id = max(self._next_update_id, update_id + 1)
            self._queue.append(stored)
            self._queue.sort(key=lambda u: u["update_id"] if isinstance(u["update_id"], int) else 0)
        else:
            self._queue.append(stored)  # hostile: a non-integer id; delivered in arrival order
        self._wake_poller("update")
        return update_id  # type: ignore[no-any-return]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (delivered or not)."""
        return list(self._queue)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: int | None = None,
        description: str | None = None,
        count: int = 1,
        chat_id: int | None = None,
    ) -> None:
        if status == 429 and retry_after is None:
            retry_after = 1
        self._failures.append(
            _Failure(self._canonical(method), status, retry_after, description, count, chat_id)
        )

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        self._delays.append(_Delay(self._canonical(method), seconds, count))

    def block(self, user_id: int, notify: bool = False) -> None:
        """``notify`` also queues the my_chat_member update Telegram sends when a user blocks."""
        self._blocked.add(user_id)
        if notify:
            self._push_member_change(user_id, "member", "kicked")

    def unblock(self, user_id: int, notify: bool = False) -> None:
        self._blocked.discard(user_id)
        if notify:
            self._push_member_change(user_id, "kicked", "member")

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        return list(self.commands.get(self._commands_key(scope, language_code), []))

    def calls_of(self, method: str) -> list[ApiCall]:
        name = self._canonical(method)
        return [call for call in self.calls if call.method == name]

    def file_content(self, file_id: str) -> bytes:
        return self._files[file_id].content

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                try:
                    source = inspect.getsource(predicate).strip()
                except (OSError, TypeError):
                    source = getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(
                    f"condition not met within {timeout}s: {source}\n{self.describe()}"
                )
            await asyncio.sleep(0.01)

    def describe(self) -> str:
        """A debugging summary for timeout messages: is the bot polling, what did it get wrong."""
        lines = [
            f"[fakebotapi] pending updates: {len(self._queue)} "
            f"(confirmed up to {self.updates_confirmed_up_to}, "
            f"next update_id {self._next_update_id})"
        ]
        if self._last_poll is None:
            lines.append("[fakebotapi] the bot never called getUpdates")
        else:
            ago = time.monotonic() - self._last_poll
            lines.append(f"[fakebotapi] last getUpdates call {ago:.2f}s ago")
        for error in self.server_errors[-3:]:
            lines.append(f"[fakebotapi] BUG in the fake server: {error!r}")
        recent = [call for call in self.calls if call.method != "getUpdates"][-15:]
        if recent:
            lines.append("[fakebotapi] recent calls:")
            for call in recent:
                detail = f" {call.description}" if call.description else ""
                chat = f" chat={call.chat_id}" if call.chat_id is not None else ""
                lines.append(f"  {call.method}{chat} -> {call.status or 'pending'}{detail}")
        return "\n".join(lines)

    # -- HTTP layer ---------------------------------------------------------------------------

    def _canonical(self, method: str) -> str:
        name = self._method_names.get(method.lower())
        if name is None:
            raise ValueError(f"the fake server does not implement {method!r}")
        return name

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        raw_method = request.match_info["method"]
        method = self._method_names.get(raw_method.lower())
        call = ApiCall(method=method or raw_method, params={}, status=0, time=arrived)
        self.calls.append(call)
        try:
            params, files = await self._read_params(request)
            call.params = {**params, **files}
            if request.match_info["token"] != self.token:
                raise _ApiError(401)
            if method is None:
                raise _ApiError(404)
            await self._apply_delay(method)
            if request.transport is None or request.transport.is_closing():
                # The caller died while its request was held back: to Telegram, a request
                # that never arrived. Handling it would confirm updates nobody received.
                raise _ApiError(499, "client disconnected before the request was handled")
            self._apply_failure(method, params)
            result = self._methods[method](params, files)
            if inspect.isawaitable(result):
                result = await result
            body: JSONDict = {"ok": True, "result": result}
            status = 200
        except _ApiError as exc:
            body = exc.body()
            status = exc.status
            call.description = exc.description
        except Exception as exc:  # a bug in the fake must not look like a Telegram answer
            self.server_errors.append(exc)
            status = 500
            call.description = f"fakebotapi bug: {exc!r}"
            body = {"ok": False, "error_code": 500, "description": call.description}
        if request.transport is None or request.transport.is_closing():
            # e.g. the long poll of a killed bot process, ended by its successor's getUpdates
            call.description = f"{call.description or ''} [client had disconnected]".strip()
        call.status = status
        call.answered_at = time.monotonic()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["file_path"]
        self.downloads.append(path)
        stored = self._files_by_path.get(path)
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(_ApiError(404).body(), status=404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return web.json_response(_ApiError(404).body(), status=404)

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, FileUpload]]:
        """Accepts query, urlencoded, multipart and JSON bodies like the real Bot API."""
        params: dict[str, Any] = {
            key: _decode_form_value(key, value) for key, value in request.query.items()
        }
        files: dict[str, FileUpload] = {}
        if not request.body_exists:
            return params, files
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise _bad("JSON object expected")
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
                params[key] = _decode_form_value(key, value)
            else:
                params[key] = _decode_form_value(key, bytes(value).decode("utf-8", "replace"))
        return params, files

    async def _apply_delay(self, method: str) -> None:
        for delay in self._delays:
            if delay.method == method and delay.remaining > 0:
                delay.remaining -= 1
                assert self._closing is not None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), delay.seconds)
                return

    def _apply_failure(self, method: str, params: dict[str, Any]) -> None:
        for failure in self._failures:
            if failure.method != method or failure.remaining <= 0:
                continue
            if failure.chat_id is not None:
                try:
                    if _as_int(params.get("chat_id"), "chat_id") != failure.chat_id:
                        continue
                except _ApiError:
                    continue
            failure.remaining -= 1
            raise _ApiError(failure.status, failure.description, failure.retry_after)

    def _wake_poller(self, reason: str) -> None:
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result(reason)

    # -- shared helpers -----------------------------------------------------------------------

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _resolve_chat(self, chat_id: Any) -> JSONDict:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for known in self._chats.values():
                if known.get("username", "").lower() == chat_id[1:].lower():
                    return known
            raise _bad("chat not found")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        try:
            key = _as_int(chat_id, "chat_id")
        except _ApiError:
            raise _bad("chat not found") from None
        chat = self._chats.get(key)
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _target_chat(self, params: dict[str, Any]) -> JSONDict:
        """Resolves the chat of a send/edit; a blocked chat answers 403 like Telegram."""
        chat = self._resolve_chat(params.get("chat_id"))
        if chat["id"] in self._blocked:
            if chat["type"] == "private":
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            raise _ApiError(403, f"Forbidden: bot was kicked from the {chat['type']} chat")
        return chat

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if params.get("reply_markup") in (None, ""):
            return None
        markup = _as_json(params["reply_markup"], "reply_markup")
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                )
            actions = {
                "callback_data", "url", "login_url", "switch_inline_query", "web_app", "pay",
                "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                "callback_game", "copy_text",
            }  # fmt: skip
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                        raise _bad("can't parse inline keyboard button: Text must be a string")
                    if not actions & button.keys():
                        raise _bad(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= 64:
                        raise _bad("BUTTON_DATA_INVALID")
                    url = button.get("url")
                    if url is not None and not re.match(r"(https?|tg)://\S+$", str(url)):
                        raise _bad(f"inline keyboard button URL '{url}' is invalid")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
        elif not {"remove_keyboard", "force_reply"} & markup.keys():
            raise _bad('can\'t find field "inline_keyboard"')
        return markup

    def _reply_to(self, chat_id: int, params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        allow = _truthy(params.get("allow_sending_without_reply"))
        if reply not in (None, ""):
            reply = _as_json(reply, "reply_parameters")
            if not isinstance(reply, dict):
                raise _bad("can't parse reply parameters JSON object")
            message_id = reply.get("message_id")
            allow = allow or _truthy(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.get("reply_to_message_id")
        if message_id in (None, ""):
            return None
        mid = _as_int(message_id, "message_id")
        if (chat_id, mid) not in self._messages:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return mid

    def _record(
        self,
        chat: JSONDict,
        method: str,
        params: dict[str, Any],
        fields: JSONDict,
        *,
        markup: dict[str, Any] | None,
        raw_text: str | None = None,
        reply_to: int | None = None,
        **extra: Any,
    ) -> JSONDict:
        """Creates the Telegram Message for a bot send and the SentMessage tests look at."""
        chat_id = chat["id"]
        message_id = self._new_message_id(chat_id)
        now = int(time.time())
        message: JSONDict = {
            "message_id": message_id,
            "from": self._bot_user(),
            "chat": dict(chat),
            "date": now,
        }
        if reply_to is not None:
            message["reply_to_message"] = copy.deepcopy(self._messages[(chat_id, reply_to)])
            message["reply_to_message"].pop("reply_to_message", None)
        message.update(fields)
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._messages[(chat_id, message_id)] = message
        text = fields.get("text", fields.get("caption"))
        entities = fields.get("entities", fields.get("caption_entities", []))
        record = SentMessage(
            message_id=message_id,
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            method=method,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
            entities=list(entities or []),
            params=dict(params),
            date=now,
            reply_to_message_id=reply_to,
            **extra,
        )
        self.sent.append(record)
        self._records[(chat_id, message_id)] = record
        return message

    def _store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> _StoredFile:
        self._file_counter += 1
        number = self._file_counter
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif mime_type:
            suffix = mimetypes.guess_extension(mime_type) or ""
        stored = _StoredFile(
            file_id=f"FAKEFILE{number:06d}{folder[:3].upper()}",
            file_unique_id=f"U{number:06d}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{number}{suffix}",
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _photo_sizes(
        self, content: bytes | None, stored: _StoredFile | None = None
    ) -> list[JSONDict]:
        """Telegram answers one upload with several sizes; the biggest holds the real bytes."""
        data = content if content is not None else b"\xff\xd8\xff\xe0fake-jpeg" + bytes(64)
        sizes: list[JSONDict] = []
        for index, (width, height) in enumerate(((90, 67), (320, 240), (1280, 960))):
            if index == 2 and stored is not None:
                size_file = stored
            else:
                size_file = self._store_file(data, None, "image/jpeg", "photos")
            sizes.append(
                {
                    "file_id": size_file.file_id,
                    "file_unique_id": size_file.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(size_file.content),
                }
            )
        return sizes

    def _input_file(
        self, value: Any, kind: str, folder: str, default_mime: str
    ) -> tuple[_StoredFile, FileUpload]:
        if isinstance(value, FileUpload):
            content = value.content or b""
            mime = value.mime_type or default_mime
            stored = self._store_file(content, value.filename, mime, folder)
            upload = FileUpload(value.filename, content, mime, stored.file_id, uploaded=True)
            return stored, upload
        if isinstance(value, str) and value in self._files:
            stored = self._files[value]
            return stored, FileUpload(stored.file_name, stored.content, stored.mime_type, value)
        if isinstance(value, str) and re.match(r"https?://\S+$", value):
            name = value.rsplit("/", 1)[-1].split("?", 1)[0] or None
            stored = self._store_file(b"", name, default_mime, folder)
            return stored, FileUpload(name, None, default_mime, value)
        if value in (None, ""):
            raise _bad(f"there is no {kind} in the request")
        raise _bad("wrong file identifier/HTTP URL specified")

    def _media_object(self, kind: str, stored: _StoredFile) -> Any:
        base: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }
        if kind == "photo":
            return self._photo_sizes(stored.content, stored)
        if kind in {"document", "audio", "video", "animation"}:
            if stored.file_name:
                base["file_name"] = stored.file_name
            if stored.mime_type:
                base["mime_type"] = stored.mime_type
        if kind in {"video", "animation"}:
            base.update(width=640, height=480, duration=1)
        if kind in {"audio", "voice"}:
            base["duration"] = 1
        if kind == "voice":
            base["mime_type"] = "audio/ogg"
        if kind == "sticker":
            base.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
        return base

    def _caption(self, params: dict[str, Any]) -> tuple[JSONDict, str | None]:
        raw = params.get("caption")
        if raw in (None, ""):
            return {}, None
        raw = str(raw)
        text, entities = _format_text(raw, params.get("parse_mode"), params.get("caption_entities"))
        if _u16(text) > 1024:
            raise _bad("message caption is too long")
        fields: JSONDict = {"caption": text} if text else {}
        if entities and text:
            fields["caption_entities"] = entities
        return fields, raw

    def _commands_key(self, scope: Any, language_code: Any) -> tuple[str, str]:
        scope = _as_json(scope, "scope") if scope not in (None, "") else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _setting(self, name: str, params: dict[str, Any]) -> bool:
        self.bot_settings[name] = params.get(name)
        return True

    def _push_member_change(self, user_id: int, old: str, new: str) -> None:
        user = self._users.get(user_id)
        if user is None:
            return
        bot = self._bot_user()
        self.push_update(
            {
                "my_chat_member": {
                    "chat": user.chat_dict,
                    "from": user.user_dict,
                    "date": int(time.time()),
                    "old_chat_member": {"status": old, "user": bot}
                    | ({"until_date": 0} if old == "kicked" else {}),
                    "new_chat_member": {"status": new, "user": bot}
                    | ({"until_date": 0} if new == "kicked" else {}),
                }
            }
        )

    # -- user-side events ---------------------------------------------------------------------

    def _user_message(self, user: FakeUser, chat_id: int, fields: JSONDict) -> int:
        chat = self._chats[chat_id]
        message: JSONDict = {
            "message_id": self._new_message_id(chat_id),
            "from": user.user_dict,
            "chat": dict(chat),
            "date": int(time.time()),
            **fields,
        }
        self._messages[(chat_id, message["message_id"])] = message
        return self.push_update({"message": message})

    def _press(self, user: FakeUser, chat_id: int, message_id: int | None, data: str) -> int:
        self._callback_counter += 1
        callback_id = str(4_200_000_000_000_000_000 + self._callback_counter * 7919)
        chat = self._chats[chat_id]
        message = self._messages.get((chat_id, message_id)) if message_id is not None else None
        if message is None:
            # Telegram's InaccessibleMessage: date 0 tells PTB the message is gone.
            message = {"message_id": message_id or 0, "chat": dict(chat), "date": 0}
        query = {
            "id": callback_id,
            "from": user.user_dict,
            "chat_instance": str(-(abs(chat_id) * 1_000_003 + 17)),
            "data": data,
            "message": message,
        }
        update_id = self.push_update({"callback_query": query})
        self._callbacks[callback_id] = _Callback(user.user_id, update_id)
        return update_id

    # -- Bot API methods ----------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> list[JSONDict]:
        """Long poll; unconfirmed updates survive any number of deliveries and restarts."""
        self._last_poll = time.monotonic()
        if self.webhook.get("url"):
            raise _ApiError(409, _CONFLICT_WEBHOOK)
        self._wake_poller("conflict")  # the newer request wins, like Telegram
        offset = _as_int(params.get("offset") or 0, "offset")
        limit = min(100, max(1, _as_int(params.get("limit") or 100, "limit")))
        timeout = max(0.0, _as_float(params.get("timeout") or 0, "timeout"))
        if "allowed_updates" in params:
            allowed = _as_json(params["allowed_updates"], "allowed_updates")
            self.allowed_updates = list(allowed) if allowed else None
        self._confirm(offset)
        batch = self._queue[:limit]
        assert self._closing is not None
        if batch or timeout == 0 or self._closing.is_set():
            return batch
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._poll_waiter = waiter
        try:
            reason = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            reason = "timeout"
        finally:
            if self._poll_waiter is waiter:
                self._poll_waiter = None
        if reason == "conflict":
            raise _ApiError(409, _CONFLICT_POLL)
        self._last_poll = time.monotonic()
        return self._queue[:limit]

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._queue = [
                u
                for u in self._queue
                if not isinstance(u["update_id"], int) or u["update_id"] >= offset
            ]
            self.updates_confirmed_up_to = max(self.updates_confirmed_up_to, offset - 1)
        elif offset < 0:
            keep = -offset
            dropped, self._queue = self._queue[:-keep], self._queue[-keep:]
            for update in dropped:
                if isinstance(update["update_id"], int):
                    self.updates_confirmed_up_to = max(
                        self.updates_confirmed_up_to, update["update_id"]
                    )

    def _drop_pending(self) -> None:
        self._confirm(self._next_update_id)
        self._queue.clear()

    def _delete_webhook(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        self.webhook = {}
        if _truthy(params.get("drop_pending_updates")):
            self._drop_pending()
        return True

    def _set_webhook(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = (
            {k: v for k, v in params.items() if k != "drop_pending_updates"} if url else {}
        )
        if _truthy(params.get("drop_pending_updates")):
            self._drop_pending()
        self._wake_poller("conflict")
        return True

    def _get_webhook_info(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = _as_json(self.webhook["allowed_updates"], "allowed_updates")
        return info

    def _set_my_commands(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        commands = _as_json(params.get("commands"), "commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = [dict(c) for c in commands]
        return True

    def _get_my_commands(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> list[JSONDict]:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        return list(self.commands.get(key, []))

    def _delete_my_commands(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        self.commands.pop(
            self._commands_key(params.get("scope"), params.get("language_code")), None
        )
        return True

    def _get_chat(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _send_message(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        chat = self._target_chat(params)
        raw = params.get("text")
        if raw in (None, ""):
            raise _bad("message text is empty")
        raw = str(raw)
        text, entities = _format_text(raw, params.get("parse_mode"), params.get("entities"))
        if not text:
            raise _bad("message text is empty")
        if _u16(text) > 4096:
            raise _bad("message is too long")
        markup = self._markup(params)
        reply_to = self._reply_to(chat["id"], params)
        fields: JSONDict = {"text": text}
        if entities:
            fields["entities"] = entities
        return self._record(
            chat, "sendMessage", params, fields, markup=markup, raw_text=raw, reply_to=reply_to
        )

    def _media_handler(self, method: str) -> _Handler:
        kind, folder, default_mime = _MEDIA[method]

        def handler(params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
            chat = self._target_chat(params)
            value = files.get(kind, params.get(kind))
            if isinstance(value, str) and value.startswith("attach://"):
                value = files.get(value.removeprefix("attach://"))
            stored, upload = self._input_file(value, kind, folder, default_mime)
            caption_fields, raw = self._caption(params) if kind != "sticker" else ({}, None)
            markup = self._markup(params)
            reply_to = self._reply_to(chat["id"], params)
            fields = {kind: self._media_object(kind, stored), **caption_fields}
            extra: dict[str, Any] = {"file": upload}
            if kind in {"photo", "document"}:
                extra[kind] = upload
            return self._record(
                chat,
                method,
                params,
                fields,
                markup=markup,
                raw_text=raw,
                reply_to=reply_to,
                **extra,
            )

        return handler

    def _send_media_group(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> list[JSONDict]:
        chat = self._target_chat(params)
        media = _as_json(params.get("media"), "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("wrong number of media in the album: 2-10 items expected")
        reply_to = self._reply_to(chat["id"], params)
        self._media_group_counter += 1
        group_id = str(13_000_000_000_000_000 + self._media_group_counter)
        messages: list[JSONDict] = []
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in {
                "photo",
                "document",
                "video",
                "audio",
            }:
                raise _bad("can't parse InputMedia JSON object")
            kind = item["type"]
            value: Any = item.get("media")
            if isinstance(value, str) and value.startswith("attach://"):
                value = files.get(value.removeprefix("attach://"))
            folder = {
                "photo": "photos",
                "document": "documents",
                "video": "videos",
                "audio": "music",
            }[kind]
            mime = {"photo": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg"}.get(
                kind, "application/octet-stream"
            )
            stored, upload = self._input_file(value, kind, folder, mime)
            caption_fields, raw = self._caption(item)
            prepared.append((kind, stored, upload, caption_fields, raw, item))
        for kind, stored, upload, caption_fields, raw, item in prepared:
            fields = {
                kind: self._media_object(kind, stored),
                "media_group_id": group_id,
                **caption_fields,
            }
            extra: dict[str, Any] = {"file": upload}
            if kind in {"photo", "document"}:
                extra[kind] = upload
            messages.append(
                self._record(
                    chat,
                    "sendMediaGroup",
                    {**params, "media": item},
                    fields,
                    markup=None,
                    raw_text=raw,
                    reply_to=reply_to,
                    **extra,
                )
            )
        return messages

    def _send_location(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        chat = self._target_chat(params)
        latitude = _as_float(params.get("latitude"), "latitude")
        longitude = _as_float(params.get("longitude"), "longitude")
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise _bad("wrong location")
        markup = self._markup(params)
        reply_to = self._reply_to(chat["id"], params)
        fields = {"location": {"latitude": latitude, "longitude": longitude}}
        return self._record(
            chat, "sendLocation", params, fields, markup=markup, reply_to=reply_to,
            location=(latitude, longitude),
        )  # fmt: skip

    def _source_message(self, params: dict[str, Any], what: str) -> JSONDict:
        source_chat = self._resolve_chat(params.get("from_chat_id"))
        message_id = _as_int(params.get("message_id"), "message_id")
        source = self._messages.get((source_chat["id"], message_id))
        if source is None:
            raise _bad(f"message to {what} not found")
        return source

    def _forward_message(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        chat = self._target_chat(params)
        source = self._source_message(params, "forward")
        fields = {key: copy.deepcopy(source[key]) for key in _COPYABLE if key in source}
        sender = source.get("from", self._bot_user())
        fields["forward_origin"] = {"type": "user", "sender_user": sender, "date": source["date"]}
        extra = self._copied_files(source)
        return self._record(chat, "forwardMessage", params, fields, markup=None, **extra)

    def _copy_message(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        chat = self._target_chat(params)
        source = self._source_message(params, "copy")
        fields = {key: copy.deepcopy(source[key]) for key in _COPYABLE if key in source}
        raw: str | None = None
        if "caption" in params:
            fields.pop("caption", None)
            fields.pop("caption_entities", None)
            caption_fields, raw = self._caption(params)
            fields.update(caption_fields)
        markup = self._markup(params)
        reply_to = self._reply_to(chat["id"], params)
        extra = self._copied_files(source)
        message = self._record(
            chat,
            "copyMessage",
            params,
            fields,
            markup=markup,
            raw_text=raw,
            reply_to=reply_to,
            **extra,
        )
        return {"message_id": message["message_id"]}

    def _copied_files(self, source: JSONDict) -> dict[str, Any]:
        for kind in ("photo", "document", "video", "audio", "voice", "animation", "sticker"):
            if kind not in source:
                continue
            obj = source[kind][-1] if kind == "photo" else source[kind]
            stored = self._files.get(obj["file_id"])
            if stored is None:
                return {}
            upload = FileUpload(stored.file_name, stored.content, stored.mime_type, stored.file_id)
            extra: dict[str, Any] = {"file": upload}
            if kind in {"photo", "document"}:
                extra[kind] = upload
            return extra
        if "location" in source:
            return {"location": (source["location"]["latitude"], source["location"]["longitude"])}
        return {}

    def _editable(self, params: dict[str, Any]) -> tuple[JSONDict, SentMessage]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._target_chat(params)
        if params.get("message_id") in (None, ""):
            raise _bad("message identifier is not specified")
        message_id = _as_int(params.get("message_id"), "message_id")
        message = self._messages.get((chat["id"], message_id))
        if message is None:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return message, self._records[(chat["id"], message_id)]

    def _apply_edit(
        self,
        method: str,
        params: dict[str, Any],
        message: JSONDict,
        record: SentMessage,
        fields: JSONDict,
        markup: dict[str, Any] | None,
        raw_text: str | None,
    ) -> JSONDict:
        """Telegram drops the inline keyboard unless the edit repeats it; reply keyboards stay.

        ``fields`` replaces text/caption together with their entities; a ``None`` value removes
        the key (an emptied caption).
        """
        edited = dict(message)
        for key in ("text", "caption"):
            if key in fields:
                edited.pop("entities" if key == "text" else "caption_entities", None)
        for key, value in fields.items():
            if value is None:
                edited.pop(key, None)
            else:
                edited[key] = value
        new_inline = markup if markup is not None and "inline_keyboard" in markup else None
        if new_inline is None:
            edited.pop("reply_markup", None)
        else:
            edited["reply_markup"] = new_inline
        content = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(edited.get(key) == message.get(key) for key in content):
            raise _ApiError(400, _NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        message.clear()
        message.update(edited)
        if "text" in fields or "caption" in fields:
            record.text = message.get("text", message.get("caption"))
            record.raw_text = raw_text
            record.parse_mode = params.get("parse_mode")
            record.entities = list(message.get("entities") or message.get("caption_entities") or [])
        if record.reply_markup is None or "inline_keyboard" in record.reply_markup:
            record.reply_markup = new_inline
        record.edits.append({"method": method, **params})
        return message

    def _edit_message_text(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        message, record = self._editable(params)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        raw = params.get("text")
        if raw in (None, ""):
            raise _bad("message text is empty")
        raw = str(raw)
        text, entities = _format_text(raw, params.get("parse_mode"), params.get("entities"))
        if not text:
            raise _bad("message text is empty")
        if _u16(text) > 4096:
            raise _bad("message is too long")
        fields: JSONDict = {"text": text}
        if entities:
            fields["entities"] = entities
        markup = self._markup(params)
        return self._apply_edit("editMessageText", params, message, record, fields, markup, raw)

    def _edit_message_caption(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> JSONDict:
        message, record = self._editable(params)
        if "text" in message or "location" in message:
            raise _bad("there is no caption in the message to edit")
        caption_fields, raw = self._caption(params)
        fields: JSONDict = {
            "caption": caption_fields.get("caption"),
            "caption_entities": caption_fields.get("caption_entities"),
        }
        markup = self._markup(params)
        return self._apply_edit("editMessageCaption", params, message, record, fields, markup, raw)

    def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> JSONDict:
        message, record = self._editable(params)
        markup = self._markup(params)
        return self._apply_edit(
            "editMessageReplyMarkup", params, message, record, {}, markup, record.raw_text
        )

    def _delete_message(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = _as_int(params.get("message_id"), "message_id")
        if self._messages.pop((chat["id"], message_id), None) is None:
            raise _bad("message to delete not found")
        record = self._records.get((chat["id"], message_id))
        if record is not None:
            record.deleted = True
        return True

    def _answer_callback_query(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        callback = self._callbacks.get(str(params.get("callback_query_id", "")))
        if callback is None or callback.answered:
            raise _ApiError(400, _QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        callback.answered = True
        user = self._users.get(callback.user_id)
        if user is not None:
            answer = dict(params)
            user.callback_answers.append(answer)
            user._answers_by_update[callback.update_id] = answer
        return True

    def _send_chat_action(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        chat = self._target_chat(params)
        action = str(params.get("action", ""))
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self.chat_actions.append((chat["id"], action))
        return True

    def _get_file(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }
