"""The Zalo adapter's pure parts: the signature, which events matter, their `Inbound`, and how a
`Reply` becomes Zalo messages."""

from __future__ import annotations

import hashlib
import json

import pytest

from bot.domain.messages import Button, InboundKind, Reply
from handlers.zalo.events import BUTTON_MARK, identify, signature_ok, to_inbound
from handlers.zalo.render import MAX_BUTTONS, TEXT_LIMIT, render

APP = "3141592653589793238"
SECRET = "oa-secret"


def signed(event: dict[str, object]) -> tuple[bytes, str]:
    raw = json.dumps(event).encode()
    mac = hashlib.sha256(APP.encode() + raw + str(event["timestamp"]).encode() + SECRET.encode()).hexdigest()
    return raw, f"mac={mac}"


def text_event(text: str, **extra: object) -> dict[str, object]:
    return {"app_id": APP, "event_name": "user_send_text", "timestamp": "1772416800000",
            "sender": {"id": "u1"}, "recipient": {"id": "oa"}, "message": {"msg_id": "m1", "text": text}, **extra}


def test_signature_is_sha256_of_app_id_body_timestamp_and_secret() -> None:
    event = text_event("xin chào")
    raw, header = signed(event)
    assert signature_ok(header, APP, raw, event, SECRET)
    assert signature_ok(header.upper().replace("MAC=", "mac="), APP, raw, event, SECRET)  # hex case is not meaning
    assert signature_ok(header[4:], APP, raw, event, SECRET)  # with or without "mac="
    assert not signature_ok(None, APP, raw, event, SECRET)
    assert not signature_ok("", APP, raw, event, SECRET)
    assert not signature_ok(header, APP, raw + b" ", event, SECRET)
    assert not signature_ok(header, APP, raw, event, "other")
    assert not signature_ok(header, APP, raw, {**event, "timestamp": None}, SECRET)
    assert not signature_ok("mac=ñ", APP, raw, event, SECRET)
    numeric = {**event, "timestamp": 1772416800000}
    raw, header = signed(numeric)
    assert signature_ok(header, APP, raw, numeric, SECRET)


def test_which_events_matter() -> None:
    assert identify(text_event("a")).key == "msg:m1"  # type: ignore[union-attr]
    assert identify({**text_event("a"), "event_name": "oa_send_text"}) is None
    assert identify({**text_event("a"), "event_name": "user_seen_message"}) is None
    assert identify({**text_event("a"), "event_name": "anonymous_send_text"}) is None
    assert identify({**text_event("a"), "sender": {}}) is None
    assert identify({**text_event("a"), "sender": "u1"}) is None
    assert identify({"event_name": "unfollow", "follower": {"id": "u1"}, "timestamp": "1"}) is None
    follow = identify({"event_name": "follow", "follower": {"id": "u1"}, "timestamp": "7"})
    assert follow is not None and (follow.key, follow.user_id) == ("follow:u1:7", "u1")


@pytest.mark.parametrize(
    ("event", "kind", "check"),
    [
        (text_event("Đèn hẻm bị hư"), InboundKind.TEXT, lambda i: i.text == "Đèn hẻm bị hư"),
        (text_event("/status TT-0001"), InboundKind.COMMAND, lambda i: (i.command, i.args) == ("status", "TT-0001")),
        (text_event(BUTTON_MARK + "3:a:kp1"), InboundKind.BUTTON, lambda i: i.payload == "3:a:kp1"),
        (text_event(BUTTON_MARK + "x" * 500), InboundKind.BUTTON, lambda i: len(i.payload) == 64),
        (text_event("ư" * 5000), InboundKind.TEXT, lambda i: len(i.text) == 4096),
        ({**text_event(""), "event_name": "user_send_image",
          "message": {"msg_id": "m2", "text": "Cống ngập", "attachments": [
              {"type": "image", "payload": {"url": "https://a/1.jpg"}}, {"type": "image", "payload": {"url": "https://a/2.jpg"}}]}},
         InboundKind.PHOTO, lambda i: i.photos == ("https://a/1.jpg", "https://a/2.jpg") and i.text == "Cống ngập"),
        ({**text_event(""), "event_name": "user_send_image", "message": {"msg_id": "m3", "attachments": [{"type": "image", "payload": {}}]}},
         InboundKind.UNSUPPORTED, lambda i: True),
        ({**text_event(""), "event_name": "user_send_location",
          "message": {"msg_id": "m4", "attachments": [{"type": "location", "payload": {"coordinates": {"latitude": 10.5, "longitude": "106.7"}}}]}},
         InboundKind.LOCATION, lambda i: (i.location.latitude, i.location.longitude) == (10.5, 106.7)),
        ({**text_event(""), "event_name": "user_send_location",
          "message": {"msg_id": "m5", "attachments": [{"type": "location", "payload": {"coordinates": {"lat": "10.1", "long": "106.2"}}}]}},
         InboundKind.LOCATION, lambda i: (i.location.latitude, i.location.longitude) == (10.1, 106.2)),
        ({**text_event(""), "event_name": "user_send_location",
          "message": {"msg_id": "m6", "attachments": [{"type": "location", "payload": {"lat": 10.2, "long": 106.3}}]}},
         InboundKind.LOCATION, lambda i: (i.location.latitude, i.location.longitude) == (10.2, 106.3)),
        ({**text_event(""), "event_name": "user_send_location",
          "message": {"msg_id": "m7", "attachments": [{"type": "location", "payload": {"coordinates": {"lat": "nan", "long": "x"}}}]}},
         InboundKind.UNSUPPORTED, lambda i: True),
        ({**text_event(""), "event_name": "user_send_sticker"}, InboundKind.UNSUPPORTED, lambda i: i.unsupported == "sticker"),
        ({**text_event(""), "event_name": "user_send_file"}, InboundKind.UNSUPPORTED, lambda i: i.unsupported == "document"),
        ({**text_event(""), "event_name": "user_send_something_new"}, InboundKind.UNSUPPORTED, lambda i: i.unsupported == "other"),
        ({**text_event(""), "event_name": "user_submit_info", "info": {"name": "Lan", "phone": "84903123456"}},
         InboundKind.CONTACT, lambda i: (i.contact.phone, i.contact.first_name, i.contact.owner_id) == ("84903123456", "Lan", "u1")),
        ({**text_event(""), "event_name": "user_submit_info", "info": {"name": "Lan"}}, InboundKind.UNSUPPORTED, lambda i: True),
    ],
)
def test_events_become_inbounds(event: dict[str, object], kind: InboundKind, check) -> None:  # type: ignore[no-untyped-def]
    identified = identify(event)
    assert identified is not None
    inbound = to_inbound(event, identified, first_contact=False)
    assert inbound.kind is kind and inbound.channel == "zalo" and inbound.user_id == "u1" and inbound.reply_to == "u1"
    assert check(inbound)


def test_a_first_message_starts_but_a_button_stays_a_button() -> None:
    for event in (text_event("Cho hỏi"), {**text_event(""), "event_name": "user_send_sticker"}):
        inbound = to_inbound(event, identify(event), first_contact=True)  # type: ignore[arg-type]
        assert (inbound.kind, inbound.command) == (InboundKind.COMMAND, "start")
    event = text_event(BUTTON_MARK + "g:new:")
    assert to_inbound(event, identify(event), first_contact=True).kind is InboundKind.BUTTON  # type: ignore[arg-type]


def test_replies_become_zalo_messages() -> None:
    prompt = Reply("Chọn khu phố", buttons=((Button("Khu phố 1", "3:a:kp1"), Button("Khu phố 2", "3:a:kp2")),))
    (message,) = render(prompt, numbered=True)
    assert message.message["text"] == "Chọn khu phố\n\n1. Khu phố 1\n2. Khu phố 2"
    buttons = message.message["attachment"]["payload"]["buttons"]
    assert buttons[0] == {"title": "Khu phố 1", "type": "oa.query.hide", "payload": BUTTON_MARK + "3:a:kp1"}
    assert message.fallback == {"text": message.message["text"]}
    (push,) = render(prompt, numbered=False)
    assert push.message["text"] == "Chọn khu phố" and push.message["attachment"]
    many = Reply("Lĩnh vực?", buttons=tuple((Button(f"Chủ đề {i}", f"t:{i}"),) for i in range(MAX_BUTTONS + 1)))
    (message,) = render(many, numbered=True)
    assert "attachment" not in message.message and message.message["text"].endswith(f"{MAX_BUTTONS + 1}. Chủ đề {MAX_BUTTONS}")
    long = render(Reply(("Một dòng khá dài về vấn đề của khu phố.\n" * 120).strip()), numbered=False)
    assert len(long) > 1 and all(len(m.message["text"]) <= TEXT_LIMIT for m in long)
    assert "\n".join(m.message["text"] for m in long) == ("Một dòng khá dài về vấn đề của khu phố.\n" * 120).strip()
    contact = Reply("Để lại số điện thoại?", ask="contact", ask_label="📱 Chia sẻ số điện thoại",
                    buttons=((Button("Gửi ẩn danh", "9:k:anon"),),))
    form, choices = render(contact, numbered=True, image_url="https://phuong.example/banner.png")
    payload = form.message["attachment"]["payload"]
    assert payload["template_type"] == "request_user_info"
    assert payload["elements"] == [{"title": "📱 Chia sẻ số điện thoại", "subtitle": "Để lại số điện thoại?",
                                    "image_url": "https://phuong.example/banner.png"}]
    assert form.fallback == {"text": "Để lại số điện thoại?"}
    assert choices.message["text"] == "1. Gửi ẩn danh"
    location = Reply("Gửi vị trí?", ask="location", ask_label="📍 Gửi vị trí", buttons=((Button("Bỏ qua vị trí", "9:l:skip"),),))
    (message,) = render(location, numbered=True)
    assert message.message["text"] == "Gửi vị trí?\n\n1. Bỏ qua vị trí"
