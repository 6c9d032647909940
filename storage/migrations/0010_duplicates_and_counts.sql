-- Likely duplicates, stored when they become known (issue 12): the queue's "possible
-- duplicate" marks and filter read them with one indexed query instead of running the
-- similar-concern lookup for every open concern of the meeting (5.4 s at 2,000).
--
-- A row says: the lookup, run for concern_id, found other_id among the open concerns of its
-- meeting (bot.domain.similar_lookup.find_similar, the measure of the dialogue's offer and of
-- the concern page). The measure is symmetric, so a concern is a possible duplicate when a
-- row joins it, either way, to another concern that is open and not merged. Whether the two
-- are still open is read from `concerns` at every query: a merge, unmerge, rejection or
-- withdrawal needs no row written for the marks to stay right (bot/services/duplicates.py
-- looks again only where a concern could have lost or gained a partner).
CREATE TABLE concern_duplicates (
    concern_id INTEGER NOT NULL REFERENCES concerns(id) ON DELETE CASCADE,
    other_id   INTEGER NOT NULL REFERENCES concerns(id) ON DELETE CASCADE,
    score      REAL NOT NULL,
    PRIMARY KEY (concern_id, other_id)
) WITHOUT ROWID;
CREATE INDEX concern_duplicates_by_other ON concern_duplicates (other_id, concern_id);

-- Meetings whose open concerns were stored before this table existed: their pairs are worked
-- out once, lazily, the first time their queue asks for marks (one lookup per open concern of
-- that meeting, as the queue used to do on every change), then the meeting leaves this list.
-- Meetings created from now on never enter it: their pairs are stored as concerns arrive.
CREATE TABLE duplicate_backlog (
    meeting_id INTEGER PRIMARY KEY REFERENCES meetings(id) ON DELETE CASCADE
);
INSERT INTO duplicate_backlog (meeting_id)
    SELECT DISTINCT meeting_id FROM concerns WHERE status = 'open' AND merged_into IS NULL;

-- The statistics (storage/statistics.py) count concerns by meeting, status, topic and area in
-- this index's order: SQLite streams the groups from it instead of sorting 100,000 rows, and
-- never reads the concerns' texts to count them. Ratings are counted from their own index.
CREATE INDEX concerns_counted ON concerns (unit_id, meeting_id, status, topic_id, area_id, merged_into);
CREATE INDEX satisfaction_counted ON satisfaction (concern_id, satisfied);
-- Forwarded answers by due date and final answer's time, read from the index alone.
CREATE INDEX answers_forwarded ON answers (disposition, due_date, final_at);
