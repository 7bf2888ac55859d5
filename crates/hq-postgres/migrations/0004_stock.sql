-- Stock and people (comptoir_hq::stock), PostgreSQL. Self-contained: only adds tables.

-- Every stock record a shop pushed (movement, transfer, receipt, order, reception, punch),
-- by id: a record sent twice is a duplicate.
CREATE TABLE stock_records (
    id           TEXT PRIMARY KEY,
    shop         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    received_at  TEXT NOT NULL
);

-- The stock ledger of every shop; a level is the sum of its movements.
CREATE TABLE stock_movements (
    id          TEXT PRIMARY KEY,
    shop        TEXT COLLATE "C" NOT NULL,
    article_id  TEXT NOT NULL,
    sku         TEXT COLLATE "C" NOT NULL,
    kind        TEXT NOT NULL,
    qty_milli   BIGINT NOT NULL,
    reference   TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX stock_movements_by_sku ON stock_movements(sku, shop);

CREATE TABLE punches (
    id        TEXT PRIMARY KEY,
    shop      TEXT NOT NULL,
    register  TEXT NOT NULL,
    user_code TEXT COLLATE "C" NOT NULL,
    kind      TEXT NOT NULL,
    at        TEXT NOT NULL,
    date      TEXT NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX punches_by_date ON punches(date);

-- The current state of documents: HQ's own copy (audience '*'), what every shop gets
-- (audience '') and what one shop gets (audience = its code). Snapshots read it.
CREATE TABLE documents (
    entity      TEXT COLLATE "C" NOT NULL,
    key         TEXT COLLATE "C" NOT NULL,
    audience    TEXT COLLATE "C" NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (entity, audience, key)
);

-- The chain's shops, known to every shop (to name a transfer's destination).
INSERT INTO documents (entity, key, audience, body, updated_at)
    SELECT 'shop', code, '', json_build_object('code', code, 'name', name, 'active', NOT revoked)::text, created_at
    FROM shops;
