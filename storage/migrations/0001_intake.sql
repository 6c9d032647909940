-- Residents, meetings, concerns and the conversations that produce them.
-- All times are UTC ISO-8601 strings ("2026-12-05T01:30:00+00:00").

CREATE TABLE residents (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    channel_user_id TEXT NOT NULL,
    language        TEXT NOT NULL DEFAULT 'vi',
    created_at      TEXT NOT NULL,
    UNIQUE (channel, channel_user_id)
);

-- Consent is a history, not a flag: the law asks that it can be shown later.
CREATE TABLE consents (
    id           INTEGER PRIMARY KEY,
    resident_id  INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL,
    text_version TEXT NOT NULL,
    text_shown   TEXT NOT NULL,
    given        INTEGER NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX consents_by_resident ON consents (resident_id, purpose, id);

CREATE TABLE meetings (
    id               INTEGER PRIMARY KEY,
    title            TEXT NOT NULL,
    area_id          TEXT NOT NULL,
    starts_at        TEXT NOT NULL,
    place            TEXT NOT NULL,
    format           TEXT NOT NULL CHECK (format IN ('in_person', 'online', 'hybrid')),
    intake_opens_at  TEXT NOT NULL,
    intake_closes_at TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'announced',
    created_at       TEXT NOT NULL,
    CHECK (intake_opens_at < intake_closes_at)
);

CREATE TABLE concerns (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id),
    area_id       TEXT NOT NULL,
    topic_id      TEXT NOT NULL,
    text          TEXT NOT NULL,
    author_id     INTEGER NOT NULL REFERENCES residents(id),
    contact_name  TEXT,
    contact_phone TEXT,
    phone_verified INTEGER NOT NULL DEFAULT 0,
    latitude      REAL,
    longitude     REAL,
    status        TEXT NOT NULL DEFAULT 'open',
    language      TEXT NOT NULL,
    submitted_at  TEXT NOT NULL,
    withdrawn_at  TEXT,
    -- One draft becomes at most one concern, however often the confirm arrives.
    draft_key     TEXT NOT NULL UNIQUE
);
CREATE INDEX concerns_by_meeting ON concerns (meeting_id, area_id, status);
CREATE INDEX concerns_by_author ON concerns (author_id);

CREATE TABLE concern_photos (
    concern_id INTEGER NOT NULL REFERENCES concerns(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    file_ref   TEXT NOT NULL,
    PRIMARY KEY (concern_id, position)
);

CREATE TABLE followers (
    concern_id  INTEGER NOT NULL REFERENCES concerns(id) ON DELETE CASCADE,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    role        TEXT NOT NULL CHECK (role IN ('author', 'supporter')),
    since       TEXT NOT NULL,
    PRIMARY KEY (concern_id, resident_id)
);
CREATE INDEX followers_by_resident ON followers (resident_id);

CREATE TABLE conversations (
    resident_id INTEGER PRIMARY KEY REFERENCES residents(id) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A channel may deliver the same event twice (polling offset not yet confirmed at a crash).
CREATE TABLE processed_events (
    channel  TEXT NOT NULL,
    event_id TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (channel, event_id)
);
