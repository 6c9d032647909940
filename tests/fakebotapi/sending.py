"""The Bot API methods that put a new message in a chat: texts, files, albums, locations,
forwards and copies; plus the chat action ("typing…") a bot shows before it answers."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Final

from tests.fakebotapi.files import FileStore, StoredFile
from tests.fakebotapi.formatting import caption, message_text
from tests.fakebotapi.markup import parse_markup
from tests.fakebotapi.records import FileUpload
from tests.fakebotapi.state import ChatState, RecordBotMessage
from tests.fakebotapi.wire import Handler, JSONDict, as_float, as_int, as_json, bad

MEDIA: Final = {
    # method: (parameter / message field, file_path folder, default mime type)
    "sendPhoto": ("photo", "photos", "image/jpeg"),
    "sendDocument": ("document", "documents", "application/octet-stream"),
    "sendVideo": ("video", "videos", "video/mp4"),
    "sendAudio": ("audio", "music", "audio/mpeg"),
    "sendVoice": ("voice", "voice", "audio/ogg"),
    "sendAnimation": ("animation", "animations", "video/mp4"),
    "sendSticker": ("sticker", "stickers", "image/webp"),
}

# The kinds an album (sendMediaGroup) may hold: file_path folder and default mime type.
_ALBUM_KINDS: Final = {
    "photo": ("photos", "image/jpeg"),
    "document": ("documents", "application/octet-stream"),
    "video": ("videos", "video/mp4"),
    "audio": ("music", "audio/mpeg"),
}

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip

_COPYABLE: Final[tuple[str, ...]] = (
    "text", "entities", "caption", "caption_entities", "photo", "document", "video", "audio",
    "voice", "animation", "sticker", "location", "contact", "venue",
)  # fmt: skip


def _file_extra(kind: str, upload: FileUpload) -> dict[str, Any]:
    """SentMessage.file for every file; .photo / .document too for those two kinds."""
    extra: dict[str, Any] = {"file": upload}
    if kind in {"photo", "document"}:
        extra[kind] = upload
    return extra


@dataclass
class _AlbumItem:
    kind: str
    stored: StoredFile
    upload: FileUpload
    caption_fields: JSONDict
    raw_caption: str | None
    params: JSONDict  # the item's InputMedia as sent


class SendingMethods:
    def __init__(self, state: ChatState, files: FileStore, record: RecordBotMessage) -> None:
        self.state = state
        self.files = files
        self.record = record
        self.chat_actions: list[tuple[int, str]] = []
        self._media_group_counter = 0

    def handlers(self) -> dict[str, Handler]:
        handlers: dict[str, Handler] = {
            "sendMessage": self.send_message,
            "sendChatAction": self.send_chat_action,
            "sendLocation": self.send_location,
            "sendMediaGroup": self.send_media_group,
            "forwardMessage": self.forward_message,
            "copyMessage": self.copy_message,
        }
        for method in MEDIA:
            handlers[method] = self._media_handler(method)
        return handlers

    def send_message(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        chat = self.state.target_chat(params)
        fields, raw = message_text(params)
        markup = parse_markup(params)
        reply_to = self.state.reply_to(chat["id"], params)
        return self.record(
            chat, "sendMessage", params, fields, markup=markup, raw_text=raw, reply_to=reply_to
        )

    def _media_handler(self, method: str) -> Handler:
        kind, folder, default_mime = MEDIA[method]

        def handler(params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
            chat = self.state.target_chat(params)
            value = files.get(kind, params.get(kind))
            if isinstance(value, str) and value.startswith("attach://"):
                value = files.get(value.removeprefix("attach://"))
            stored, upload = self.files.input_file(value, kind, folder, default_mime)
            caption_fields, raw = caption(params) if kind != "sticker" else ({}, None)
            markup = parse_markup(params)
            reply_to = self.state.reply_to(chat["id"], params)
            fields = {kind: self.files.media_object(kind, stored), **caption_fields}
            return self.record(
                chat, method, params, fields, markup=markup, raw_text=raw, reply_to=reply_to,
                **_file_extra(kind, upload),
            )  # fmt: skip

        return handler

    def send_media_group(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> list[JSONDict]:
        """Every item is checked before any is sent: a bad album sends nothing."""
        chat = self.state.target_chat(params)
        media = as_json(params.get("media"), "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad("wrong number of media in the album: 2-10 items expected")
        reply_to = self.state.reply_to(chat["id"], params)
        self._media_group_counter += 1
        group_id = str(13_000_000_000_000_000 + self._media_group_counter)
        prepared = [self._album_item(item, files) for item in media]
        messages: list[JSONDict] = []
        for item in prepared:
            fields = {
                item.kind: self.files.media_object(item.kind, item.stored),
                "media_group_id": group_id,
                **item.caption_fields,
            }
            messages.append(
                self.record(
                    chat, "sendMediaGroup", {**params, "media": item.params}, fields,
                    markup=None, raw_text=item.raw_caption, reply_to=reply_to,
                    **_file_extra(item.kind, item.upload),
                )
            )  # fmt: skip
        return messages

    def _album_item(self, item: Any, files: dict[str, FileUpload]) -> _AlbumItem:
        if not isinstance(item, dict) or item.get("type") not in _ALBUM_KINDS:
            raise bad("can't parse InputMedia JSON object")
        kind = item["type"]
        value: Any = item.get("media")
        if isinstance(value, str) and value.startswith("attach://"):
            value = files.get(value.removeprefix("attach://"))
        folder, mime = _ALBUM_KINDS[kind]
        stored, upload = self.files.input_file(value, kind, folder, mime)
        caption_fields, raw = caption(item)
        return _AlbumItem(kind, stored, upload, caption_fields, raw, item)

    def send_location(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        chat = self.state.target_chat(params)
        latitude = as_float(params.get("latitude"), "latitude")
        longitude = as_float(params.get("longitude"), "longitude")
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise bad("wrong location")
        markup = parse_markup(params)
        reply_to = self.state.reply_to(chat["id"], params)
        fields = {"location": {"latitude": latitude, "longitude": longitude}}
        return self.record(
            chat, "sendLocation", params, fields, markup=markup, reply_to=reply_to,
            location=(latitude, longitude),
        )  # fmt: skip

    def _source_message(self, params: dict[str, Any], what: str) -> JSONDict:
        source_chat = self.state.resolve_chat(params.get("from_chat_id"))
        message_id = as_int(params.get("message_id"), "message_id")
        source = self.state.messages.get((source_chat["id"], message_id))
        if source is None:
            raise bad(f"message to {what} not found")
        return source

    def forward_message(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        chat = self.state.target_chat(params)
        source = self._source_message(params, "forward")
        fields = {key: copy.deepcopy(source[key]) for key in _COPYABLE if key in source}
        sender = source.get("from", self.state.bot_user())
        fields["forward_origin"] = {"type": "user", "sender_user": sender, "date": source["date"]}
        extra = self._copied_files(source)
        return self.record(chat, "forwardMessage", params, fields, markup=None, **extra)

    def copy_message(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        chat = self.state.target_chat(params)
        source = self._source_message(params, "copy")
        fields = {key: copy.deepcopy(source[key]) for key in _COPYABLE if key in source}
        raw: str | None = None
        if "caption" in params:
            fields.pop("caption", None)
            fields.pop("caption_entities", None)
            caption_fields, raw = caption(params)
            fields.update(caption_fields)
        markup = parse_markup(params)
        reply_to = self.state.reply_to(chat["id"], params)
        extra = self._copied_files(source)
        message = self.record(
            chat, "copyMessage", params, fields, markup=markup, raw_text=raw, reply_to=reply_to,
            **extra,
        )  # fmt: skip
        return {"message_id": message["message_id"]}

    def _copied_files(self, source: JSONDict) -> dict[str, Any]:
        """What a forward or copy carries over into SentMessage: the file, or the location."""
        for kind in ("photo", "document", "video", "audio", "voice", "animation", "sticker"):
            if kind not in source:
                continue
            obj = source[kind][-1] if kind == "photo" else source[kind]
            stored = self.files.by_id.get(obj["file_id"])
            if stored is None:
                return {}
            upload = FileUpload(stored.file_name, stored.content, stored.mime_type, stored.file_id)
            return _file_extra(kind, upload)
        if "location" in source:
            return {"location": (source["location"]["latitude"], source["location"]["longitude"])}
        return {}

    def send_chat_action(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        chat = self.state.target_chat(params)
        action = str(params.get("action", ""))
        if action not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self.chat_actions.append((chat["id"], action))
        return True
