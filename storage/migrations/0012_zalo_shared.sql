-- Zalo shared by several processes on one database (the bot and `doithoai publish --send`).

-- The token pair's version: a refresh claims the pair it read (compare-and-swap on the
-- version, inside BEGIN IMMEDIATE); a process that loses reads the pair the winner stored.
ALTER TABLE zalo_tokens ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- Template messages counted against `[zalo.templates] daily_cap`, per unit and local day
-- (the unit's time zone), incremented in the same statement that checks the cap: two
-- processes together never send more than it. (Counting starts with this migration.)
CREATE TABLE zalo_template_days (
    unit_id TEXT NOT NULL,
    day     TEXT NOT NULL,
    used    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, day)
);

-- A push held because today's templates are used up (the cap, or Zalo's quota) is tried
-- again from this time (the next local day), routed afresh; NULL: held until the resident writes.
ALTER TABLE outbox ADD COLUMN held_until TEXT;
CREATE INDEX outbox_held_until ON outbox (held_until) WHERE status = 'held' AND held_until IS NOT NULL;
