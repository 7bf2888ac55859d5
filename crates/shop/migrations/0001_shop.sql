-- The shop's local database. Tickets, their lines, payments and VAT, and closures are
-- append-only: triggers refuse any UPDATE or DELETE, so a committed sale stays as it was.

CREATE TABLE shop (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE tax_rates (
    bp      INTEGER PRIMARY KEY CHECK (bp BETWEEN 0 AND 10000),
    name    TEXT NOT NULL,
    active  INTEGER NOT NULL DEFAULT 1
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

CREATE TABLE registers (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT NOT NULL
);

CREATE TABLE users (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('cashier', 'manager', 'admin')),
    pin_hash       TEXT,
    password_hash  TEXT,
    active         INTEGER NOT NULL DEFAULT 1,
    updated_at     TEXT NOT NULL
);

CREATE TABLE tickets (
    id             TEXT PRIMARY KEY,
    number         TEXT NOT NULL UNIQUE,
    shop           TEXT NOT NULL,
    register       TEXT NOT NULL REFERENCES registers(code),
    sequence       INTEGER NOT NULL CHECK (sequence >= 1),
    kind           TEXT NOT NULL CHECK (kind IN ('sale', 'return')),
    created_at     TEXT NOT NULL,
    business_date  TEXT NOT NULL,
    cashier        TEXT NOT NULL,
    customer       TEXT,
    return_of      TEXT REFERENCES tickets(id),
    discount       INTEGER NOT NULL,
    total          INTEGER NOT NULL,
    change         INTEGER NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    UNIQUE (register, sequence)
);
CREATE INDEX tickets_by_return_of ON tickets(return_of) WHERE return_of IS NOT NULL;

CREATE TABLE ticket_lines (
    ticket_id    TEXT NOT NULL REFERENCES tickets(id),
    idx          INTEGER NOT NULL,
    article_id   TEXT NOT NULL,
    sku          TEXT NOT NULL,
    name         TEXT NOT NULL,
    qty_milli    INTEGER NOT NULL,
    unit_price   INTEGER NOT NULL,
    tax_rate_bp  INTEGER NOT NULL,
    discount     INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, idx)
) WITHOUT ROWID;

CREATE TABLE ticket_payments (
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    idx        INTEGER NOT NULL,
    method     TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, idx)
) WITHOUT ROWID;

CREATE TABLE ticket_vat (
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    rate_bp    INTEGER NOT NULL,
    gross      INTEGER NOT NULL,
    net        INTEGER NOT NULL,
    vat        INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, rate_bp)
) WITHOUT ROWID;

CREATE TABLE closures (
    id              TEXT PRIMARY KEY,
    shop            TEXT NOT NULL,
    register        TEXT NOT NULL REFERENCES registers(code),
    sequence        INTEGER NOT NULL CHECK (sequence >= 1),
    kind            TEXT NOT NULL CHECK (kind IN ('day', 'month', 'year')),
    period          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    ticket_count    INTEGER NOT NULL,
    first_number    TEXT,
    last_number     TEXT,
    -- Tickets of the register covered, by sequence (day closures only; not hashed, derived).
    last_sequence   INTEGER,
    total           INTEGER NOT NULL,
    grand_total     INTEGER NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    UNIQUE (register, sequence),
    UNIQUE (register, kind, period)
);

CREATE TABLE closure_payments (
    closure_id  TEXT NOT NULL REFERENCES closures(id),
    method      TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    PRIMARY KEY (closure_id, method)
) WITHOUT ROWID;

CREATE TABLE closure_vat (
    closure_id  TEXT NOT NULL REFERENCES closures(id),
    rate_bp     INTEGER NOT NULL,
    gross       INTEGER NOT NULL,
    net         INTEGER NOT NULL,
    vat         INTEGER NOT NULL,
    PRIMARY KEY (closure_id, rate_bp)
) WITHOUT ROWID;

-- Technical event journal: sensitive events (initialisation, closures, imports), append-only.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    actor   TEXT,
    detail  TEXT NOT NULL
);

CREATE TRIGGER tickets_no_update BEFORE UPDATE ON tickets
BEGIN SELECT RAISE(ABORT, 'tickets are immutable: make a return ticket instead'); END;
CREATE TRIGGER tickets_no_delete BEFORE DELETE ON tickets
BEGIN SELECT RAISE(ABORT, 'tickets are immutable: make a return ticket instead'); END;
CREATE TRIGGER ticket_lines_no_update BEFORE UPDATE ON ticket_lines
BEGIN SELECT RAISE(ABORT, 'tickets are immutable: make a return ticket instead'); END;
CREATE TRIGGER ticket_lines_no_delete BEFORE DELETE ON ticket_lines
BEGIN SELECT RAISE(ABORT, 'tickets are immutable: make a return ticket instead'); END;
CREATE TRIGGER ticket_payments_no_update BEFORE UPDATE ON ticket_payments
BEGIN SELECT RAISE(ABORT, 'tickets are immutable: make a return ticket instead'); END;
CREATE TRIGGER ticket_payments_no_delete BEFORE DELETE ON ticket_payments
BEGIN SELECT RAISE(ABORT, 'tickets are immutable: make a return ticket instead'); END;
CREATE TRIGGER ticket_vat_no_update BEFORE UPDATE ON ticket_vat
BEGIN SELECT RAISE(ABORT, 'tickets are immutable: make a return ticket instead'); END;
CREATE TRIGGER ticket_vat_no_delete BEFORE DELETE ON ticket_vat
BEGIN SELECT RAISE(ABORT, 'tickets are immutable: make a return ticket instead'); END;
CREATE TRIGGER closures_no_update BEFORE UPDATE ON closures
BEGIN SELECT RAISE(ABORT, 'closures are immutable'); END;
CREATE TRIGGER closures_no_delete BEFORE DELETE ON closures
BEGIN SELECT RAISE(ABORT, 'closures are immutable'); END;
CREATE TRIGGER closure_payments_no_update BEFORE UPDATE ON closure_payments
BEGIN SELECT RAISE(ABORT, 'closures are immutable'); END;
CREATE TRIGGER closure_payments_no_delete BEFORE DELETE ON closure_payments
BEGIN SELECT RAISE(ABORT, 'closures are immutable'); END;
CREATE TRIGGER closure_vat_no_update BEFORE UPDATE ON closure_vat
BEGIN SELECT RAISE(ABORT, 'closures are immutable'); END;
CREATE TRIGGER closure_vat_no_delete BEFORE DELETE ON closure_vat
BEGIN SELECT RAISE(ABORT, 'closures are immutable'); END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event journal is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event journal is append-only'); END;
