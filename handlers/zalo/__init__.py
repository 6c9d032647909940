"""Zalo channel: a Zalo Official Account (OA Open API v3) serving the same dialogue.

`channel` receives the webhook and sends replies, `api` talks to Zalo (messages, tokens),
`events` and `render` translate between Zalo's JSON and the channel-neutral messages.
"""

from handlers.zalo.channel import ZaloChannel, ZaloSender

__all__ = ["ZaloChannel", "ZaloSender"]
