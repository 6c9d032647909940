-- Concerns another system fed in (Open311 clients such as a city hotline): which client, when,
-- and the address text and media link it sent. A concern typed into a chat has no row here.
CREATE TABLE concern_sources (
    concern_id  INTEGER PRIMARY KEY REFERENCES concerns(id) ON DELETE CASCADE,
    source      TEXT NOT NULL,
    client      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    address     TEXT,
    media_url   TEXT
);
