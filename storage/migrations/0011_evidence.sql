-- Evidence staff attach to an answer: photos of the work done, a letter, a decision. The
-- files themselves are in the folder `evidence/` beside the database, each named by the
-- SHA-256 of its content (so one file attached to a whole agenda item is stored once); this
-- table says which concern's answer each goes with, in order. `stage`: the answer given
-- after the meeting, or the agency's final answer to a forwarded concern.
CREATE TABLE answer_evidence (
    id           INTEGER PRIMARY KEY,
    concern_id   INTEGER NOT NULL REFERENCES concerns(id),
    stage        TEXT NOT NULL CHECK (stage IN ('answer', 'final')),
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    digest       TEXT NOT NULL CHECK (length(digest) = 64),
    size         INTEGER NOT NULL,
    added_at     TEXT NOT NULL,
    added_by     TEXT NOT NULL,
    UNIQUE (concern_id, stage, position)
);
