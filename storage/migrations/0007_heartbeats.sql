-- The running bot's outbox says it is alive: one row per channel it sends on, touched every
-- few seconds while it runs. `doithoai publish`, which only queues and then watches, reads it
-- to tell an officer that no bot is sending instead of waiting at 0 % for ever.
CREATE TABLE heartbeats (
    name    TEXT PRIMARY KEY,
    beat_at TEXT NOT NULL
);
