-- The epoch of the engine that writes (issue 15): a takeover raises it and drops the batches past the replicated
-- journal's last (a fenced engine's), and a batch is written only by an engine of that epoch or later, so the database
-- write may run while the replicated append is under way without a stale engine's batch standing in the journal.
CREATE TABLE ichiba_fence (
    id    INT    PRIMARY KEY,
    epoch BIGINT NOT NULL
);
INSERT INTO ichiba_fence (id, epoch) VALUES (1, 0);
