"""The Telegram channel: python-telegram-bot's Application, polling or webhook;
`declaration` is its entry in the composition root's registry."""

from handlers.telegram.channel import TelegramChannel
from handlers.telegram.declaration import TELEGRAM

__all__ = ["TELEGRAM", "TelegramChannel"]
