-- Customers and their loyalty points (docs/customers.md). Self-contained: it only adds.

-- Each editable field keeps the stamp of its last edit (`*_hlc`: fixed-width text whose
-- byte order is the stamps' order); a merge keeps, per field, the greater stamp.
CREATE TABLE customers (
    id           TEXT PRIMARY KEY,
    card         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    name_hlc     TEXT NOT NULL DEFAULT '',
    email        TEXT,
    email_hlc    TEXT NOT NULL DEFAULT '',
    phone        TEXT,
    phone_hlc    TEXT NOT NULL DEFAULT '',
    grp          TEXT,
    grp_hlc      TEXT NOT NULL DEFAULT '',
    origin       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    merged_into  TEXT,
    merged_at    TEXT,
    erased       INTEGER NOT NULL DEFAULT 0,
    erased_at    TEXT
);
CREATE INDEX customers_by_merge ON customers(merged_into) WHERE merged_into IS NOT NULL;

-- The loyalty ledger of the whole chain; entries are never changed.
CREATE TABLE loyalty_entries (
    id           TEXT PRIMARY KEY,
    customer     TEXT NOT NULL,
    shop         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'adjust', 'expire')),
    points       INTEGER NOT NULL,
    ticket       TEXT,
    at           TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    received_at  TEXT NOT NULL
);
CREATE INDEX loyalty_by_customer ON loyalty_entries(customer);
CREATE TRIGGER loyalty_no_update BEFORE UPDATE ON loyalty_entries BEGIN SELECT RAISE(ABORT, 'loyalty entries are append-only'); END;
CREATE TRIGGER loyalty_no_delete BEFORE DELETE ON loyalty_entries BEGIN SELECT RAISE(ABORT, 'loyalty entries are append-only'); END;

-- The chain's loyalty rule and HQ's card counter.
CREATE TABLE loyalty_settings (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    points_per_euro  INTEGER NOT NULL DEFAULT 1,
    cents_per_point  INTEGER NOT NULL DEFAULT 1,
    card_seq         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO loyalty_settings (id) VALUES (1);

-- Offers (for every shop) and messages (for one shop or one of its registers) defined at
-- HQ, and the registers' acknowledgements of the messages.
CREATE TABLE offers (
    id          TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    shop        TEXT NOT NULL REFERENCES shops(code),
    register    TEXT,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE TABLE message_acks (
    id           TEXT PRIMARY KEY,
    message      TEXT NOT NULL,
    shop         TEXT NOT NULL,
    register     TEXT NOT NULL,
    "user"       TEXT NOT NULL,
    at           TEXT NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE INDEX message_acks_by_message ON message_acks(message);
