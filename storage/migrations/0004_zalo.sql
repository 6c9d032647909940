-- The Zalo Official Account channel: its token pair, when each Zalo user last wrote (Zalo
-- delivers pushes only inside a window after that), the webhook's inbox, and the outbox's
-- 'held' status for pushes waiting for their resident to write again.

-- The one current token pair. Zalo's refresh token is single-use: `refresh_spent` is set
-- before it is sent to Zalo, so that even after a crash it is never sent twice.
CREATE TABLE zalo_tokens (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    access_token      TEXT NOT NULL,
    refresh_token     TEXT NOT NULL,
    -- NULL: not known (a pair given by hand in the environment); it is refreshed at once.
    access_expires_at TEXT,
    refresh_spent     INTEGER NOT NULL DEFAULT 0,
    -- SHA-256 of the ZALO_REFRESH_TOKEN this chain of pairs started from: a different one in
    -- the environment is a new pair from the operator, the same one was used long ago.
    seed_hash         TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

-- The last time each Zalo user wrote to the OA (any message, a form, a follow).
CREATE TABLE zalo_users (
    user_id             TEXT PRIMARY KEY,
    first_seen_at       TEXT NOT NULL,
    last_interaction_at TEXT NOT NULL
);

-- Webhook events, written before Zalo gets its 200 and handled after: the unique key
-- (message.msg_id) drops a delivery seen before; a row not yet handled when the process
-- stopped is handled at the next start. The body is cleared once handled.
CREATE TABLE zalo_events (
    id          INTEGER PRIMARY KEY,
    event_key   TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    handled_at  TEXT
);
CREATE INDEX zalo_events_unhandled ON zalo_events (id) WHERE handled_at IS NULL;
CREATE INDEX zalo_events_received ON zalo_events (received_at);

-- The outbox gains 'held'. SQLite cannot change a CHECK constraint: the table is rebuilt
-- with the same columns, rows (ids included) and indexes. Nothing references it.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL,
    address         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'undeliverable', 'held')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
INSERT INTO outbox_new (id, dedupe_key, channel, address, body, status, attempts, next_attempt_at,
                        last_error, created_at, sent_at)
    SELECT id, dedupe_key, channel, address, body, status, attempts, next_attempt_at,
           last_error, created_at, sent_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_held ON outbox (channel, address) WHERE status = 'held';
