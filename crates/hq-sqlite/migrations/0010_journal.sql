-- Fiscal integrity at HQ (docs/fiscal.md): the shops' public keys, their technical journals
-- and their archives. IF NOT EXISTS: reruns are harmless.
CREATE TABLE IF NOT EXISTS shop_keys (
    shop          TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    -- Set when a signed rotation named the key after it: records signed before stay valid.
    retired_at    TEXT,
    PRIMARY KEY (shop, key_id)
);
CREATE TABLE IF NOT EXISTS journal_entries (
    id          TEXT PRIMARY KEY,
    shop        TEXT NOT NULL,
    sequence    INTEGER NOT NULL,
    code        TEXT NOT NULL,
    at          TEXT NOT NULL,
    user_code   TEXT,
    register    TEXT,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    signature   TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_entries_shop ON journal_entries (shop, sequence);
CREATE INDEX IF NOT EXISTS journal_entries_shop_at ON journal_entries (shop, at);
CREATE TABLE IF NOT EXISTS archives (
    name        TEXT PRIMARY KEY,
    shop        TEXT NOT NULL,
    period      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    verified    INTEGER NOT NULL,
    detail      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body        BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS archives_shop ON archives (shop, received_at);
