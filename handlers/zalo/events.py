"""Zalo webhook events: the signature, which events matter, and their `Inbound`.

Pure functions: no I/O, so each rule is easy to test.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from typing import Any

from bot.domain.messages import Contact, Inbound, InboundKind, Location

CHANNEL = "zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
# A button is an `oa.query.hide` button: pressing it sends its payload as a text message the
# resident does not see. The mark tells such a text from one typed by hand (payloads are
# never trusted anyway: the dialogue checks each one).
BUTTON_MARK = "#dt:"
PAYLOAD_LIMIT = 64
TEXT_LIMIT = 4096

# Events that are neither the dialogue's nor worth storing: Zalo also reports the OA's own
# messages (oa_send_*), deliveries, reads, reactions, anonymous chats, ZNS statuses…
_USER_EVENTS = ("user_send_", "user_submit_info", "follow")
_UNSUPPORTED = {
    "user_send_sticker": "sticker",
    "user_send_file": "document",
    "user_send_gif": "animation",
    "user_send_audio": "voice",
    "user_send_video": "video",
    "user_send_link": "link",
    "user_send_business_card": "contact_card",
}


def expected_mac(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """hex(SHA-256(app_id + body + timestamp + OA secret key)), as Zalo signs its events."""
    digest = hashlib.sha256()
    digest.update(app_id.encode("utf-8"))
    digest.update(raw_body)
    digest.update(timestamp.encode("utf-8"))
    digest.update(oa_secret_key.encode("utf-8"))
    return digest.hexdigest()


def signature_ok(header: str | None, app_id: str, raw_body: bytes, event: dict[str, Any], oa_secret_key: str) -> bool:
    if not header or not oa_secret_key:
        return False
    value = header.strip()
    if value[:4].lower() == "mac=":
        value = value[4:].strip()
    timestamp = timestamp_text(event.get("timestamp"))
    if timestamp is None:
        return False
    expected = expected_mac(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(value.lower().encode("ascii", "replace"), expected.encode("ascii"))


def timestamp_text(value: object) -> str | None:
    """The event's `timestamp` as it is signed: the digits Zalo sent (a string or a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return None


@dataclass(frozen=True)
class ZaloEvent:
    key: str  # what makes a delivery the same event: message.msg_id when there is one
    name: str
    user_id: str


def identify(event: dict[str, Any]) -> ZaloEvent | None:
    """The events the bot acts on, with who sent them; None for the rest (the OA's own echoes…)."""
    name = event.get("event_name")
    if not isinstance(name, str) or name.startswith("oa_send_") or not name.startswith(_USER_EVENTS):
        return None
    if name == "follow":
        who = event.get("follower")
    elif name.startswith("user_send_") or name == "user_submit_info":
        who = event.get("sender")
    else:
        return None
    user_id = who.get("id") if isinstance(who, dict) else None
    if not isinstance(user_id, (str, int)) or isinstance(user_id, bool) or not str(user_id):
        return None
    message = event.get("message")
    msg_id = message.get("msg_id") if isinstance(message, dict) else None
    if isinstance(msg_id, (str, int)) and str(msg_id):
        key = f"msg:{msg_id}"
    else:
        key = f"{name}:{user_id}:{timestamp_text(event.get('timestamp')) or ''}"
    return ZaloEvent(key=key[:200], name=name, user_id=str(user_id))


def to_inbound(event: dict[str, Any], identified: ZaloEvent, first_contact: bool) -> Inbound:
    """The channel-neutral event. A new resident's first message, whatever it says, starts the
    dialogue as /start would: nobody on Zalo knows to type /start."""
    user = identified.user_id
    base: dict[str, Any] = {"channel": CHANNEL, "user_id": user, "event_id": identified.key, "chat_id": user}
    name = identified.name
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    assert isinstance(message, dict)
    text = message.get("text") if isinstance(message.get("text"), str) else None
    if name == "user_send_text" and text is not None and text.startswith(BUTTON_MARK):
        return Inbound(kind=InboundKind.BUTTON, payload=text[len(BUTTON_MARK):][:PAYLOAD_LIMIT], **base)
    if name == "follow" or (first_contact and name.startswith("user_send_")):
        return Inbound(kind=InboundKind.COMMAND, command="start", text="/start", **base)
    if name == "user_submit_info":
        return _submitted_info(event, base)
    if name == "user_send_text" and text is not None:
        text = text[:TEXT_LIMIT]
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            if head:
                return Inbound(kind=InboundKind.COMMAND, command=head, args=args, text=text, **base)
        return Inbound(kind=InboundKind.TEXT, text=text, **base)
    if name == "user_send_image":
        urls = tuple(url for url in _attachment_payloads(message, "image", "url") if isinstance(url, str) and url)
        if urls:
            return Inbound(kind=InboundKind.PHOTO, photos=urls, text=(text or None), **base)
    if name == "user_send_location":
        location = _location(message)
        if location is not None:
            return Inbound(kind=InboundKind.LOCATION, location=location, **base)
    kind = _UNSUPPORTED.get(name, "other")
    return Inbound(kind=InboundKind.UNSUPPORTED, unsupported=kind, **base)


def _submitted_info(event: dict[str, Any], base: dict[str, Any]) -> Inbound:
    """The `request_user_info` form: the name and phone number of the resident's Zalo account."""
    info = event.get("info") if isinstance(event.get("info"), dict) else {}
    assert isinstance(info, dict)
    phone = str(info.get("phone") or "").strip()
    if not phone:
        return Inbound(kind=InboundKind.UNSUPPORTED, unsupported="contact", **base)
    name = str(info.get("name") or "").strip()
    # Sent by the resident's own Zalo account through Zalo's form: theirs, like Telegram's
    # "share my number" button.
    contact = Contact(phone=phone, first_name=name, last_name=None, owner_id=base["user_id"])
    return Inbound(kind=InboundKind.CONTACT, contact=contact, **base)


def _attachment_payloads(message: dict[str, Any], kind: str, field: str) -> list[object]:
    found: list[object] = []
    attachments = message.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict) and attachment.get("type") == kind and isinstance(attachment.get("payload"), dict):
            found.append(attachment["payload"].get(field))
    return found


def _location(message: dict[str, Any]) -> Location | None:
    """Coordinates come as latitude/longitude or as lat/long, as numbers or strings."""
    attachments = message.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, dict) or not isinstance(attachment.get("payload"), dict):
            continue
        payload = attachment["payload"]
        points = payload.get("coordinates") if isinstance(payload.get("coordinates"), dict) else payload
        latitude = _number(points.get("latitude", points.get("lat")))
        longitude = _number(points.get("longitude", points.get("long", points.get("lng"))))
        if latitude is not None and longitude is not None:
            return Location(latitude, longitude)
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
