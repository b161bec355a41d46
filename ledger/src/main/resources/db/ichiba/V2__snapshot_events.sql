-- The sequence of the newest event published up to a snapshot's batch: after every member stopped, the event log
-- starts empty and numbering goes on above it (with each later batch's own bound, ichiba_batch's body).
ALTER TABLE ichiba_snapshot ADD COLUMN events_newest BIGINT NOT NULL DEFAULT -1;
