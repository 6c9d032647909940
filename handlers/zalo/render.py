"""`Reply` -> the `message` objects of Zalo's /v3.0/oa/message/cs.

Buttons become a template of `oa.query.hide` buttons and, as a fallback that works in any
Zalo app, numbered choices at the end of the text: the dialogue takes a typed number or label
for the last prompt it showed. Asking for a contact becomes Zalo's `request_user_info` form;
asking for a location has no Zalo equivalent, so it is just the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.messages import Button, Reply
from bot.domain.textnorm import cut_at_word, split_text
from handlers.zalo.events import BUTTON_MARK

TEXT_LIMIT = 2000
MAX_BUTTONS = 5
TITLE_LIMIT = 100
SUBTITLE_LIMIT = 500


@dataclass(frozen=True)
class Outgoing:
    message: dict[str, Any]
    # Sent instead when Zalo refuses `message` (a template this OA may not send): plain text.
    fallback: dict[str, Any] | None = None


def render(reply: Reply, *, numbered: bool, image_url: str = "") -> list[Outgoing]:
    """`numbered`: this reply is the prompt whose choices the dialogue will take by number."""
    buttons = reply.all_buttons()
    choices = _choices(buttons, numbered)
    template = _buttons_template(buttons) if 0 < len(buttons) <= MAX_BUTTONS else None
    if reply.ask == "contact":
        element: dict[str, Any] = {
            "title": cut_at_word(reply.ask_label or reply.text, TITLE_LIMIT),
            "subtitle": cut_at_word(reply.text, SUBTITLE_LIMIT),
        }
        if image_url:
            element["image_url"] = image_url
        form = {"attachment": {"type": "template",
                               "payload": {"template_type": "request_user_info", "elements": [element]}}}
        out = [Outgoing(form, fallback={"text": cut_at_word(reply.text, TEXT_LIMIT)})]
        if buttons:
            out.extend(_texts(choices, template))
        return out
    text = reply.text if not choices else f"{reply.text}\n\n{choices}"
    return _texts(text, template)


def _choices(buttons: list[Button], numbered: bool) -> str:
    if not buttons:
        return ""
    if numbered:
        return "\n".join(f"{index}. {button.label}" for index, button in enumerate(buttons, 1))
    return ""


def _buttons_template(buttons: list[Button]) -> dict[str, Any]:
    return {
        "type": "template",
        "payload": {
            "buttons": [
                {"title": cut_at_word(button.label, TITLE_LIMIT), "type": "oa.query.hide",
                 "payload": BUTTON_MARK + button.payload}
                for button in buttons
            ]
        },
    }


def _texts(text: str, template: dict[str, Any] | None) -> list[Outgoing]:
    if not text.strip():
        if template is None:
            return []
        # Buttons need some text to stand under: their labels.
        text = "\n".join(str(b["title"]) for b in template["payload"]["buttons"])
    chunks = split_text(text, TEXT_LIMIT)
    out = [Outgoing({"text": chunk}) for chunk in chunks[:-1]]
    last: dict[str, Any] = {"text": chunks[-1]}
    if template is not None:
        out.append(Outgoing({**last, "attachment": template}, fallback=last))
    else:
        out.append(Outgoing(last))
    return out


