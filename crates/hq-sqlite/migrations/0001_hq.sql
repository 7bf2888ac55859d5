-- HQ's database. Tickets and closures are append-only (triggers refuse UPDATE and DELETE).
-- Instants are RFC 3339 UTC text with microseconds, so text order is time order.

CREATE TABLE hq (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    hq_id       TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    -- Changes up to this sequence were purged from the feed.
    feed_floor  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE admins (
    user           TEXT PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    hash        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE tax_rates (
    bp          INTEGER PRIMARY KEY CHECK (bp BETWEEN 0 AND 10000),
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT NOT NULL
);

CREATE TABLE categories (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT NOT NULL
);

CREATE TABLE articles (
    id           TEXT PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    category     TEXT REFERENCES categories(code),
    tax_rate_bp  INTEGER NOT NULL REFERENCES tax_rates(bp),
    price        INTEGER NOT NULL CHECK (price >= 0),
    web          INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1,
    updated_at   TEXT NOT NULL
);

CREATE TABLE barcodes (
    code        TEXT PRIMARY KEY,
    article_id  TEXT NOT NULL REFERENCES articles(id)
);
CREATE INDEX barcodes_by_article ON barcodes(article_id);

-- The change feed. AUTOINCREMENT: a sequence is never reused, even after a purge; the one
-- writer connection makes sequence order commit order.
CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    entity      TEXT NOT NULL,
    key         TEXT NOT NULL,
    body        TEXT NOT NULL,
    -- NULL: for every shop; else the one shop that sees it (jobs).
    shop        TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX changes_by_time ON changes(created_at);

CREATE TABLE shops (
    code                   TEXT PRIMARY KEY,
    name                   TEXT NOT NULL,
    postal_code            TEXT NOT NULL,
    created_at             TEXT NOT NULL,
    enrolled_at            TEXT,
    revoked                INTEGER NOT NULL DEFAULT 0,
    last_contact           TEXT,
    version                TEXT,
    unsent                 INTEGER,
    oldest_unsent_seconds  INTEGER,
    health_at              TEXT,
    cursor                 INTEGER,
    chain_ok               INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE enrolment_tokens (
    hash        TEXT PRIMARY KEY,
    shop        TEXT NOT NULL REFERENCES shops(code),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    voided      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE credentials (
    id          TEXT PRIMARY KEY,
    shop        TEXT NOT NULL REFERENCES shops(code),
    hash        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE tickets (
    arrival        INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    shop           TEXT NOT NULL REFERENCES shops(code),
    register       TEXT NOT NULL,
    sequence       INTEGER NOT NULL,
    number         TEXT NOT NULL,
    business_date  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    total          INTEGER NOT NULL,
    hash           TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    body           TEXT NOT NULL,
    received_at    TEXT NOT NULL
);
CREATE INDEX tickets_by_shop ON tickets(shop, arrival);
CREATE INDEX tickets_by_day ON tickets(business_date, shop);

CREATE TABLE closures (
    arrival      INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    shop         TEXT NOT NULL REFERENCES shops(code),
    register     TEXT NOT NULL,
    sequence     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    period       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    total        INTEGER NOT NULL,
    grand_total  INTEGER NOT NULL,
    hash         TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  TEXT NOT NULL
);

CREATE TRIGGER tickets_no_update BEFORE UPDATE ON tickets BEGIN SELECT RAISE(ABORT, 'tickets are append-only'); END;
CREATE TRIGGER tickets_no_delete BEFORE DELETE ON tickets BEGIN SELECT RAISE(ABORT, 'tickets are append-only'); END;
CREATE TRIGGER closures_no_update BEFORE UPDATE ON closures BEGIN SELECT RAISE(ABORT, 'closures are append-only'); END;
CREATE TRIGGER closures_no_delete BEFORE DELETE ON closures BEGIN SELECT RAISE(ABORT, 'closures are append-only'); END;

CREATE TABLE quarantine (
    id           TEXT PRIMARY KEY,
    shop         TEXT NOT NULL REFERENCES shops(code),
    kind         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    body         TEXT NOT NULL
);

CREATE TABLE chain_heads (
    shop      TEXT NOT NULL,
    register  TEXT NOT NULL,
    chain     TEXT NOT NULL,
    sequence  INTEGER NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (shop, register, chain)
);

CREATE TABLE chain_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    shop      TEXT NOT NULL,
    register  TEXT NOT NULL,
    chain     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    sequence  INTEGER NOT NULL,
    detail    TEXT NOT NULL,
    at        TEXT NOT NULL
);

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    since       TEXT,
    created_at  TEXT NOT NULL,
    body        TEXT NOT NULL
);

CREATE TABLE job_targets (
    job         TEXT NOT NULL REFERENCES jobs(id),
    shop        TEXT NOT NULL REFERENCES shops(code),
    state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    detail      TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (job, shop)
);
