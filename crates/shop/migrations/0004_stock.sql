-- Stock and people (crates/shop/src/stock.rs, people.rs). Self-contained: only adds tables.

-- The shop's stock ledger: append-only, a level is the sum of an article's movements.
CREATE TABLE stock_movements (
    id             TEXT PRIMARY KEY,
    article_id     TEXT NOT NULL,
    sku            TEXT NOT NULL,
    kind           TEXT NOT NULL,
    qty_milli      INTEGER NOT NULL,
    reference      TEXT,
    counted_milli  INTEGER,
    at             TEXT NOT NULL
);
CREATE INDEX stock_movements_by_article ON stock_movements(article_id);
CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only'); END;
CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only'); END;

-- The chain's shops, from HQ's feed (a transfer names one of them).
CREATE TABLE chain_shops (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    active  INTEGER NOT NULL DEFAULT 1
);

-- Transfer slips sent or to receive, purchase orders delivered here, receptions: the
-- current state as JSON (the wire type), written here and by HQ's feed.
CREATE TABLE transfers (
    id          TEXT PRIMARY KEY,
    from_shop   TEXT NOT NULL,
    to_shop     TEXT NOT NULL,
    state       TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE purchase_orders (
    id          TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE receptions (
    id        TEXT PRIMARY KEY,
    order_id  TEXT NOT NULL,
    body      TEXT NOT NULL,
    at        TEXT NOT NULL
);

CREATE TABLE punches (
    id         TEXT PRIMARY KEY,
    user_code  TEXT NOT NULL,
    register   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL
);

-- Keyboards and printers from HQ, as sent.
CREATE TABLE keyboards (
    code  TEXT PRIMARY KEY,
    body  TEXT NOT NULL
);
CREATE TABLE printers (
    code  TEXT PRIMARY KEY,
    body  TEXT NOT NULL
);

-- HQ's prices of each article: the chain's and this shop's own (NULL: none). The article's
-- price is the shop's own, else the chain's, unless HQ price updates are refused.
CREATE TABLE hq_prices (
    article_id   TEXT PRIMARY KEY,
    chain_price  INTEGER,
    shop_price   INTEGER
);

-- Seed 002: "accept HQ price updates" (and the same for printers), on by default.
CREATE TABLE hq_settings (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    accept_prices    INTEGER NOT NULL DEFAULT 1,
    accept_printers  INTEGER NOT NULL DEFAULT 1
);
INSERT INTO hq_settings (id) VALUES (1);
