"""Zalo channel: a Zalo Official Account (OA Open API v3) serving the same dialogue.

`channel` receives the webhook and sends replies, `api` talks to Zalo (messages, tokens),
`events` and `render` translate between Zalo's JSON and the channel-neutral messages;
`declaration` is its entry in the composition root's registry.
"""

from handlers.zalo.channel import ZaloChannel
from handlers.zalo.declaration import ZALO
from handlers.zalo.sender import ZaloSender

__all__ = ["ZALO", "ZaloChannel", "ZaloSender"]
