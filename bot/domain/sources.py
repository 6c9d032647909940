"""Where a concern came from when it was not typed into a chat: another system, through Open311."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The channel of the residents behind concerns an Open311 client fed in. Nothing is pushed to
# them: the client reads the answer back with GET requests (see PULL_ONLY_CHANNELS).
OPEN311_CHANNEL = "open311"
# Channels that are read, never written to: the outbox queues nothing for their residents.
PULL_ONLY_CHANNELS = frozenset({OPEN311_CHANNEL})


@dataclass(frozen=True)
class ConcernSource:
    """A concern fed in by another system: which one (its name in the config), and what it sent
    besides the concern itself."""

    source: str  # "open311"
    client: str
    received_at: datetime
    address: str | None = None
    media_url: str | None = None
