-- Fiscal integrity (NF525, docs/fiscal.md): the shop's signing keys, signatures on tickets
-- and closures, the perpetual absolute totals, and the chained, signed technical journal.

-- The shop's Ed25519 keys, oldest first. The current key is the one not retired; a
-- rotation retires it (and forgets its secret) in the transaction that adds the next,
-- and is itself a journal entry signed by the old key. Public keys are never removed:
-- old records stay verifiable with the key they were signed with.
CREATE TABLE signing_keys (
    key_id      TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL UNIQUE,
    secret_key  TEXT,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys((retired_at IS NULL)) WHERE retired_at IS NULL;
CREATE TRIGGER signing_keys_no_delete BEFORE DELETE ON signing_keys
BEGIN SELECT RAISE(ABORT, 'signing keys are kept forever: old records are verified with them'); END;
CREATE TRIGGER signing_keys_no_rewrite BEFORE UPDATE OF key_id, public_key, created_at ON signing_keys
BEGIN SELECT RAISE(ABORT, 'signing keys are kept forever: old records are verified with them'); END;

-- `KEY_ID:HEX` (crates/core/src/fiscal.rs); NULL on records made before shops signed.
ALTER TABLE tickets ADD COLUMN signature TEXT;
ALTER TABLE closures ADD COLUMN signature TEXT;
-- The period's Σ |ticket total| and its perpetual sum per register and kind; NULL before.
ALTER TABLE closures ADD COLUMN absolute_total INTEGER;
ALTER TABLE closures ADD COLUMN grand_absolute_total INTEGER;

-- The technical event journal (JET): one chain per shop, each entry hashed and signed
-- over `comptoir-journal/1` (crates/core/src/chain.rs). Append-only.
CREATE TABLE journal (
    sequence   INTEGER PRIMARY KEY CHECK (sequence >= 1),
    shop       TEXT NOT NULL,
    code       TEXT NOT NULL,
    at         TEXT NOT NULL,
    user       TEXT,
    register   TEXT,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    signature  TEXT NOT NULL
);
CREATE INDEX journal_by_code ON journal(code, sequence);
CREATE INDEX journal_by_at ON journal(at);
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the technical journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the technical journal is append-only'); END;

-- When each period was archived (crates/shop/src/archive.rs), so the monthly archive runs once.
CREATE TABLE archives (
    period      TEXT PRIMARY KEY,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- The fiscal year's first month (`fiscal.year_start_month`, copied here at each open so the
-- closures' rules read it with the data; a change is journaled).
CREATE TABLE fiscal_settings (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    year_start_month  INTEGER NOT NULL DEFAULT 1 CHECK (year_start_month BETWEEN 1 AND 12),
    auto_closures     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO fiscal_settings (id) VALUES (1);
