-- The journal's durable step (issue 15): each batch the engine journals, and now and then a snapshot of its whole
-- state; the state is the latest snapshot and the batches after it. The same migration for SQLite and PostgreSQL.
CREATE TABLE ichiba_batch (
    seq        BIGINT PRIMARY KEY,
    epoch      BIGINT NOT NULL,
    written_at BIGINT NOT NULL,
    body       BYTEA  NOT NULL
);

CREATE TABLE ichiba_snapshot (
    seq         BIGINT PRIMARY KEY,
    epoch       BIGINT NOT NULL,
    engine_time BIGINT NOT NULL,
    taken_at    BIGINT NOT NULL,
    body        BYTEA  NOT NULL
);
