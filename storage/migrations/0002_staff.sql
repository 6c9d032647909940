-- Staff side: meeting lifecycle, triage, merges, agenda, audit, outbox, subscriptions.

ALTER TABLE meetings ADD COLUMN announced_at TEXT;
ALTER TABLE meetings ADD COLUMN cancelled_reason TEXT;
ALTER TABLE meetings ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Optimistic locking: two staff editing one concern must not silently overwrite each other.
ALTER TABLE concerns ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE concerns ADD COLUMN merged_into INTEGER REFERENCES concerns(id);
ALTER TABLE concerns ADD COLUMN reject_reason TEXT;
-- The text folded (no accents, lower case) once, for similarity and search.
ALTER TABLE concerns ADD COLUMN text_folded TEXT NOT NULL DEFAULT '';
-- A head of a residential group who submitted on a resident's behalf (the author row is the head).
ALTER TABLE concerns ADD COLUMN proxy INTEGER NOT NULL DEFAULT 0;
CREATE INDEX concerns_merged_into ON concerns (merged_into);

CREATE TABLE agenda_items (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    topic_id   TEXT NOT NULL,
    minutes    INTEGER NOT NULL,
    included   INTEGER NOT NULL DEFAULT 1,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX agenda_items_by_meeting ON agenda_items (meeting_id, position);

CREATE TABLE agenda_item_concerns (
    item_id    INTEGER NOT NULL REFERENCES agenda_items(id) ON DELETE CASCADE,
    concern_id INTEGER NOT NULL UNIQUE REFERENCES concerns(id),
    PRIMARY KEY (item_id, concern_id)
);

-- Who did what to what, when, with the state before and after.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    outcome    TEXT NOT NULL DEFAULT 'done'
);
CREATE INDEX audit_by_subject ON audit_log (subject, id);

-- Every push that is not a direct reply: answers, reminders, announcements, notices.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL,
    address         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'undeliverable')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Residents who asked to hear about meetings of an area.
CREATE TABLE subscriptions (
    resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    area_id     TEXT NOT NULL,
    since       TEXT NOT NULL,
    PRIMARY KEY (resident_id, area_id)
);

-- Scheduled actions already carried out (announce, remind, close), so restarts never repeat them.
CREATE TABLE schedule_marks (
    key TEXT PRIMARY KEY,
    at  TEXT NOT NULL
);
