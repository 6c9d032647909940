"""A `Reply` as an outbox row's body (and as a conversation's remembered replies): JSON text."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.evidence import EvidenceFile, EvidenceKind
from bot.domain.messages import Button, Push, Reply


def encode_body(reply: Reply) -> str:
    data: dict[str, Any] = {
        "text": reply.text,
        "buttons": [[{"label": b.label, "payload": b.payload} for b in row] for row in reply.buttons],
        "ask": reply.ask,
        "ask_label": reply.ask_label,
        "remove_keyboard": reply.remove_keyboard,
    }
    if reply.push is not None:
        # Only when there is one: bodies without it are the same as before.
        data["push"] = {"kind": reply.push.kind, "fields": dict(reply.push.fields)}
    if reply.evidence is not None:
        file = reply.evidence
        data["evidence"] = {"kind": file.kind, "filename": file.filename, "content_type": file.content_type,
                            "digest": file.digest, "size": file.size}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _push(data: Any) -> Push | None:
    """The optional structured part; bodies written before it existed have none."""
    if data is None:
        return None
    kind, fields = data["kind"], data.get("fields", {})
    if not isinstance(kind, str) or not isinstance(fields, dict):
        raise ValueError("outbox body has a bad push")
    return Push(kind, tuple((str(name), str(value)) for name, value in fields.items()))


def _evidence(data: Any) -> EvidenceFile | None:
    if data is None:
        return None
    return EvidenceFile(EvidenceKind(data["kind"]), str(data["filename"]), str(data["content_type"]),
                        str(data["digest"]), int(data["size"]))


def decode_body(body: str) -> Reply:
    """The `Reply` a body was made from; ValueError when the body is not one."""
    try:
        data: Any = json.loads(body)
        text = data["text"]
        ask = data.get("ask")
        ask_label = data.get("ask_label")
        if not isinstance(text, str) or ask not in (None, "contact", "location"):
            raise ValueError("outbox body has a bad text or ask")
        if ask_label is not None and not isinstance(ask_label, str):
            raise ValueError("outbox body has a bad ask_label")
        buttons = tuple(
            tuple(Button(label=str(button["label"]), payload=str(button["payload"])) for button in row)
            for row in data.get("buttons", ())
        )
        return Reply(
            text=text,
            buttons=buttons,
            ask=ask,
            ask_label=ask_label,
            remove_keyboard=bool(data.get("remove_keyboard", False)),
            push=_push(data.get("push")),
            evidence=_evidence(data.get("evidence")),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError("not an outbox body") from error
