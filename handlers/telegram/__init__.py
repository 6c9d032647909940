"""The Telegram channel: python-telegram-bot's Application, polling or webhook."""

from handlers.telegram.channel import TelegramChannel

__all__ = ["TelegramChannel"]
