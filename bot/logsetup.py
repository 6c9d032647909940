"""Logging for the process: readable lines, and secrets never written."""

from __future__ import annotations

import logging
import re
import sys


class RedactSecrets(logging.Filter):
    """Replace secrets in every record, wherever a library put them (URLs, reprs, tracebacks)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._patterns = [re.compile(re.escape(s)) for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._patterns:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for pattern in self._patterns:
            message = pattern.sub("[REDACTED]", message)
            if record.exc_text:
                record.exc_text = pattern.sub("[REDACTED]", record.exc_text)
        record.msg, record.args = message, None
        return True


def configure_logging(secrets: list[str], level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Telegram's URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # aiosqlite's debug log prints every SQL parameter: chat ids, names, phone numbers.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
