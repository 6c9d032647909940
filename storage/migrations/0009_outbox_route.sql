-- How each push went out, decided when it is sent (Zalo: a consultation message inside the
-- window, an approved template after it, or held). NULL on channels with one way only.
-- `routed_at`: when that was decided (counts a day's template messages against a cap).
-- `quota_type` and `template_quota_left` are what Zalo said of a template message's quota:
-- which one it was counted against, and how many it has left today.
ALTER TABLE outbox ADD COLUMN route TEXT;
ALTER TABLE outbox ADD COLUMN routed_at TEXT;
ALTER TABLE outbox ADD COLUMN quota_type TEXT;
ALTER TABLE outbox ADD COLUMN template_quota_left INTEGER;
