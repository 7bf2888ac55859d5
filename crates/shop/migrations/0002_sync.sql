-- The link to HQ and the sync state of the shop.

-- Records waiting to go up to HQ, written in the same transaction as the ticket or closure
-- they carry. A row is acknowledged once HQ answered for it (accepted, duplicate or
-- quarantined) and purged after the retention.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    acked_at    TEXT,
    outcome     TEXT
);
CREATE INDEX outbox_unacked ON outbox(seq) WHERE acked_at IS NULL;

-- Set once by `comptoir shop enroll`.
CREATE TABLE hq_link (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    url          TEXT NOT NULL,
    hq_id        TEXT NOT NULL,
    hq_name      TEXT NOT NULL,
    credential   TEXT NOT NULL,
    enrolled_at  TEXT NOT NULL
);

CREATE TABLE sync_state (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    cursor            INTEGER NOT NULL DEFAULT 0,
    -- A snapshot in progress: the cursor of its first `begin`, and the last item applied.
    snapshot_needed   INTEGER NOT NULL DEFAULT 0,
    snapshot_cursor   INTEGER,
    snapshot_after    TEXT,
    last_push_at      TEXT,
    last_pull_at      TEXT,
    last_error        TEXT,
    last_error_at     TEXT
);
INSERT INTO sync_state (id) VALUES (1);

-- Jobs HQ asked for, so each runs once even when the feed brings it again.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    since       TEXT,
    state       TEXT NOT NULL,
    detail      TEXT,
    reported    INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);
