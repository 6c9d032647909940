-- The staff console in a browser. Staff log in with a one-time link the bot gives them in a
-- private chat (or the CLI prints): valid a few minutes, good for one login. A login starts a
-- session, carried by a cookie. Only a SHA-256 of each link's and each session's secret is
-- kept, so a copy of the database opens no console. Who a session belongs to is a channel
-- identity (channel, user id); what they may do is read from the config on every request.
CREATE TABLE web_login_links (
    secret_hash TEXT PRIMARY KEY,
    channel     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX web_login_links_expiry ON web_login_links (expires_at);

CREATE TABLE web_sessions (
    secret_hash  TEXT PRIMARY KEY,
    channel      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    -- Sent back with every form: a page of another site cannot know it.
    csrf_token   TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at     TEXT
);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_at);
