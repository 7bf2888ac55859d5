-- The register screen (crates/shop/src/till.rs, parked.rs, scale.rs, api/app.rs).
-- Self-contained: only adds tables.

-- Register sessions: opened with a counted cash float, closed with the counted cash.
-- At most one open session per register (closed_at IS NULL).
CREATE TABLE register_sessions (
    id              TEXT PRIMARY KEY,
    register        TEXT NOT NULL,
    opened_by       TEXT NOT NULL,
    opened_at       TEXT NOT NULL,
    business_date   TEXT NOT NULL,
    float_cents     INTEGER NOT NULL,
    -- The register's last ticket sequence at opening: the session's tickets come after it.
    after_sequence  INTEGER NOT NULL,
    closed_by       TEXT,
    closed_at       TEXT,
    counted_cents   INTEGER,
    -- {"5000": 2, "200": 3, ...}: count per denomination in cents, as counted.
    counted_detail  TEXT,
    expected_cents  INTEGER
);
CREATE UNIQUE INDEX register_sessions_one_open ON register_sessions(register) WHERE closed_at IS NULL;

-- Tickets set aside before payment, resumable from any device of the shop. Taking one
-- back deletes it: a parked ticket is a cart, not a sale.
CREATE TABLE parked_tickets (
    id          TEXT PRIMARY KEY,
    register    TEXT NOT NULL,
    cashier     TEXT NOT NULL,
    parked_at   TEXT NOT NULL,
    label       TEXT NOT NULL,
    body        TEXT NOT NULL
);

-- EAN-13 barcodes of weighed or priced goods (prefixes 20-29): PP AAAAA VVVVV C, the
-- article is the one with barcode PPAAAAA, VVVVV is a weight or a price.
CREATE TABLE scale_rules (
    prefix    TEXT PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('weight', 'price')),
    -- Decimals of the value: 3 for grams of a kilogram, 2 for cents of a euro.
    decimals  INTEGER NOT NULL CHECK (decimals BETWEEN 0 AND 3)
);
INSERT INTO scale_rules (prefix, kind, decimals) VALUES ('21', 'weight', 3), ('22', 'weight', 3), ('26', 'price', 2), ('27', 'price', 2);

-- The registers HQ attached a user to (UserBody.registers, this shop's only); a user
-- with none may use every register of the shop.
CREATE TABLE user_registers (
    user_code  TEXT NOT NULL,
    register   TEXT NOT NULL,
    PRIMARY KEY (user_code, register)
);

-- Browser sessions of the register screen: the cookie's SHA-256, never the cookie.
CREATE TABLE screen_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_code   TEXT NOT NULL,
    register    TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- The register's discount rule: a cashier's discounts (line and ticket, offers excluded)
-- above this share of the ticket need a manager's PIN. NULL: no limit.
CREATE TABLE discount_rule (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    cashier_limit_bp   INTEGER CHECK (cashier_limit_bp BETWEEN 0 AND 10000)
);
INSERT INTO discount_rule (id, cashier_limit_bp) VALUES (1, NULL);
