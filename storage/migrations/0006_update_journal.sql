-- The update journal: every update a channel fetches is written here before the platform is
-- told it was received (Telegram: before the next getUpdates offset moves past it; before a
-- webhook call gets its 200). It is marked handled in the same transaction as its effects
-- where the dialogue handles it, right after elsewhere; a row not yet handled when the
-- process stopped is handled at the next start, in update order. The body (a resident's
-- words) is cleared once handled; the row stays a while so that a redelivery is recognised.
CREATE TABLE update_journal (
    channel     TEXT NOT NULL,
    update_id   INTEGER NOT NULL,
    body        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    handled_at  TEXT,
    PRIMARY KEY (channel, update_id)
);
CREATE INDEX update_journal_unhandled ON update_journal (channel, update_id) WHERE handled_at IS NULL;
CREATE INDEX update_journal_received ON update_journal (received_at);
