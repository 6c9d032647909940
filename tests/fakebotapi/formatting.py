"""Text formatting (``parse_mode``): a faithful-enough subset of tdlib's parsers.

Why: the bot's texts go through HTML/Markdown parsing on Telegram's side, and malformed markup
answers 400 "can't parse entities". Tests look at what the user *sees* (tags removed, entities
decoded, surrounding whitespace trimmed), so the fake parses like Telegram does.
"""

from __future__ import annotations

import re
from typing import Any, Final

from tests.fakebotapi.wire import ApiError, JSONDict, as_json, bad, u16


def _entity_error(message: str) -> ApiError:
    return bad("can't parse entities: " + message)


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
            pos += u16(piece)
            i = match.end() if match else i + 1
            continue
        if char != "<":
            out.append(char)
            pos += u16(char)
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
    return _MarkdownV2Parser(src).parse()


class _MarkdownV2Parser:
    """One pass over the source; open entities on a stack, closed ones collected in order.

    A class rather than one long function so that each rule (escapes, code, pre, links,
    openers) reads on its own while sharing the cursor and the output.
    """

    def __init__(self, src: str) -> None:
        self.src = src
        self.out: list[str] = []
        self.pos = 0  # UTF-16 offset in the output
        self.stack: list[tuple[str, int, int, JSONDict]] = []  # kind, start, byte offset, extra
        self.entities: list[JSONDict] = []
        self.i = 0

    def parse(self) -> tuple[str, list[JSONDict]]:
        src, n = self.src, len(self.src)
        while self.i < n:
            char = src[self.i]
            top = self.stack[-1][0] if self.stack else None
            if char == "\\" and self.i + 1 < n and 0 < ord(src[self.i + 1]) <= 126:
                self.emit(src[self.i + 1])
                self.i += 2
            elif top == "code":
                self._inside_code(char)
            elif top == "pre":
                self._inside_pre(char)
            elif char not in _MDV2_RESERVED:
                self.emit(char)
                self.i += 1
            elif top == "text_link" and char == "]":
                self._end_link()
            elif not self._closes(top):
                self._open(char)
        if self.stack:
            kind, _start, offset, _data = self.stack[-1]
            raise _entity_error(
                f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {offset}"
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def emit(self, piece: str) -> None:
        self.out.append(piece)
        self.pos += u16(piece)

    def close(self, extra: JSONDict | None = None) -> None:
        kind, start, _offset, data = self.stack.pop()
        if self.pos > start:
            entity: JSONDict = {"type": kind, "offset": start, "length": self.pos - start}
            entity.update(data)
            entity.update(extra or {})
            if kind != "text_link" or entity.get("url"):
                self.entities.append(entity)

    def _inside_code(self, char: str) -> None:
        if char == "`":
            self.close()
        else:
            self.emit(char)
        self.i += 1

    def _inside_pre(self, char: str) -> None:
        if self.src.startswith("```", self.i):
            self.close()
            self.i += 3
        else:
            self.emit(char)
            self.i += 1

    def _end_link(self) -> None:
        src, n = self.src, len(self.src)
        self.i += 1
        url = ""
        if self.i < n and src[self.i] == "(":
            j = self.i + 1
            chars: list[str] = []
            while j < n and src[j] != ")":
                if src[j] == "\\" and j + 1 < n:
                    j += 1
                chars.append(src[j])
                j += 1
            if j >= n:
                raise _entity_error(
                    f"Can't find end of a URL at byte offset {len(src[: self.i].encode())}"
                )
            url = "".join(chars)
            self.i = j + 1
        self.close({"url": url} if url else None)

    def _closes(self, top: str | None) -> bool:
        """Closes the innermost entity if its closer is here ("__" never closes italic)."""
        closer = _MDV2_CLOSERS.get(top or "")
        if closer is None or not self.src.startswith(closer, self.i):
            return False
        if top == "italic" and self.src.startswith("__", self.i):
            return False
        self.close()
        self.i += len(closer)
        return True

    def _open(self, char: str) -> None:
        src, i = self.src, self.i
        offset = len(src[:i].encode())
        if char == "*":
            self._push("bold", offset, 1)
        elif char == "_":
            if src.startswith("__", i):
                self._push("underline", offset, 2)
            else:
                self._push("italic", offset, 1)
        elif char == "~":
            self._push("strikethrough", offset, 1)
        elif char == "|" and src.startswith("||", i):
            self._push("spoiler", offset, 2)
        elif char == "[":
            self._push("text_link", offset, 1)
        elif char == "`":
            if src.startswith("```", i):
                self._open_pre(offset)
            else:
                self._push("code", offset, 1)
        elif char == ">" and (i == 0 or src[i - 1] == "\n"):
            self.i += 1  # block quotes: the marker disappears; the quote entity is not modelled
        else:
            raise _entity_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )

    def _push(self, kind: str, offset: int, width: int, extra: JSONDict | None = None) -> None:
        self.stack.append((kind, self.pos, offset, extra or {}))
        self.i += width

    def _open_pre(self, offset: int) -> None:
        """A language name may follow the opening ``` on its own line."""
        src = self.src
        self.i += 3
        newline = src.find("\n", self.i)
        first_line = src[self.i : newline] if newline >= 0 else ""
        extra: JSONDict = {}
        if newline >= 0 and first_line and not any(c.isspace() for c in first_line):
            extra["language"] = first_line
            self.i = newline + 1
        self.stack.append(("pre", self.pos, offset, extra))


def _parse_markdown_legacy(src: str) -> tuple[str, list[JSONDict]]:
    out: list[str] = []
    pos = 0
    entities: list[JSONDict] = []
    i, n = 0, len(src)
    kinds = {"*": "bold", "_": "italic", "`": "code"}

    def emit(piece: str) -> None:
        nonlocal pos
        out.append(piece)
        pos += u16(piece)

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
    lead = u16(text[: len(text) - len(text.lstrip())])
    total = u16(stripped)
    result: list[JSONDict] = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def format_text(raw: str, parse_mode: Any, explicit_entities: Any) -> tuple[str, list[JSONDict]]:
    mode = str(parse_mode).lower() if parse_mode else ""
    if mode == "html":
        text, entities = _parse_html(raw)
    elif mode == "markdownv2":
        text, entities = _parse_markdown_v2(raw)
    elif mode == "markdown":
        text, entities = _parse_markdown_legacy(raw)
    elif mode:
        raise bad(f"unsupported parse_mode {parse_mode!r}")
    else:
        text = raw
        entities = list(as_json(explicit_entities, "entities") or [])
    return _strip_with_entities(text, entities)


# --------------------------------------------------------------------------------------------
# Chats as seen from the test
# --------------------------------------------------------------------------------------------


def message_text(params: dict[str, Any]) -> tuple[JSONDict, str]:
    """The text fields of a sendMessage / editMessageText and the raw text as sent."""
    raw = params.get("text")
    if raw in (None, ""):
        raise bad("message text is empty")
    raw = str(raw)
    text, entities = format_text(raw, params.get("parse_mode"), params.get("entities"))
    if not text:
        raise bad("message text is empty")
    if u16(text) > 4096:
        raise bad("message is too long")
    fields: JSONDict = {"text": text}
    if entities:
        fields["entities"] = entities
    return fields, raw


def caption(params: dict[str, Any]) -> tuple[JSONDict, str | None]:
    """The caption fields of a media send or edit and the raw caption as sent (None: none)."""
    raw = params.get("caption")
    if raw in (None, ""):
        return {}, None
    raw = str(raw)
    text, entities = format_text(raw, params.get("parse_mode"), params.get("caption_entities"))
    if u16(text) > 1024:
        raise bad("message caption is too long")
    fields: JSONDict = {"caption": text} if text else {}
    if entities and text:
        fields["caption_entities"] = entities
    return fields, raw
