"""Checks of ``reply_markup`` as Telegram makes them, so a keyboard it would refuse fails here.

Only sends and edits that carry markup are checked; a missing or empty ``reply_markup`` means
"no keyboard" and passes untouched.
"""

from __future__ import annotations

import re
from typing import Any, Final

from tests.fakebotapi.wire import JSONDict, as_json, bad

# A button of an inline keyboard must do something: one of these fields says what.
_INLINE_ACTIONS: Final = frozenset(
    {
        "callback_data", "url", "login_url", "switch_inline_query", "web_app", "pay",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
        "callback_game", "copy_text",
    }
)  # fmt: skip


def parse_markup(params: dict[str, Any]) -> JSONDict | None:
    """The decoded markup of a request, or ``None`` when it carries none; 400 when invalid."""
    if params.get("reply_markup") in (None, ""):
        return None
    markup = as_json(params["reply_markup"], "reply_markup")
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    elif not {"remove_keyboard", "force_reply"} & markup.keys():
        raise bad('can\'t find field "inline_keyboard"')
    return markup


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad("can't parse inline keyboard button: Text must be a string")
    if not _INLINE_ACTIONS & button.keys():
        raise bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= 64:
        raise bad("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not re.match(r"(https?|tg)://\S+$", str(url)):
        raise bad(f"inline keyboard button URL '{url}' is invalid")
