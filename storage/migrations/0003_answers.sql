-- Answers after the meeting, follow-up of forwarded concerns, satisfaction, carry-over.

CREATE TABLE answers (
    concern_id   INTEGER PRIMARY KEY REFERENCES concerns(id),
    disposition  TEXT NOT NULL CHECK (disposition IN ('answered', 'explained', 'forwarded', 'not_accepted')),
    answer       TEXT NOT NULL,
    answered_by  TEXT NOT NULL,
    agency       TEXT,
    due_date     TEXT,
    recorded_at  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    final_answer TEXT,
    final_at     TEXT,
    final_by     TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    CHECK (disposition != 'forwarded' OR (agency IS NOT NULL AND due_date IS NOT NULL))
);
CREATE INDEX answers_open_forwarded ON answers (disposition, final_at);

CREATE TABLE satisfaction (
    concern_id  INTEGER NOT NULL REFERENCES concerns(id),
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    satisfied   INTEGER NOT NULL,
    comment     TEXT,
    at          TEXT NOT NULL,
    PRIMARY KEY (concern_id, resident_id)
);

-- A concern carried over to a later meeting keeps a link to where it came from.
ALTER TABLE concerns ADD COLUMN carried_from INTEGER REFERENCES concerns(id);
ALTER TABLE meetings ADD COLUMN published_at TEXT;
ALTER TABLE meetings ADD COLUMN results_exported_at TEXT;
