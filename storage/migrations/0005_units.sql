-- Units: every meeting, concern and consent belongs to a unit (a commune or ward), so that
-- one deployment can serve many. Rows stored before units existed belong to 'unit', the
-- unit of a config that names no [unit] id. The repositories always write the column; its
-- default is only there for those older rows (SQLite cannot drop a default without
-- rebuilding the table).

ALTER TABLE meetings ADD COLUMN unit_id TEXT NOT NULL DEFAULT 'unit';
ALTER TABLE concerns ADD COLUMN unit_id TEXT NOT NULL DEFAULT 'unit';
ALTER TABLE consents ADD COLUMN unit_id TEXT NOT NULL DEFAULT 'unit';

-- Every list of meetings and every lookup of concerns and consents is of one unit.
CREATE INDEX meetings_by_unit ON meetings (unit_id, status, starts_at);
CREATE INDEX concerns_by_unit ON concerns (unit_id, meeting_id, status);
DROP INDEX consents_by_resident;
CREATE INDEX consents_by_resident ON consents (resident_id, unit_id, purpose, id);

-- The daily follow-up digest is now one per unit: its mark and its message are named after
-- the unit, and the ones already done keep counting as done (nothing is sent twice).
UPDATE schedule_marks SET key = 'followup:unit:' || substr(key, length('followup:') + 1)
    WHERE key LIKE 'followup:%';
UPDATE outbox SET dedupe_key = 'followup:unit:' || substr(dedupe_key, length('followup:') + 1)
    WHERE dedupe_key LIKE 'followup:%';
