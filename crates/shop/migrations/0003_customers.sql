-- Customers and their loyalty points, shared with the chain (docs/customers.md).

-- Each editable field keeps the hybrid logical clock stamp of its last edit (`*_hlc`,
-- fixed-width text whose order is the stamps' order): an edit from elsewhere replaces a
-- field only when its stamp is greater.
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
    -- Set by HQ: this record was merged into that one.
    merged_into  TEXT,
    erased       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customers_by_merge ON customers(merged_into) WHERE merged_into IS NOT NULL;

-- The words a register searches by (name words, email, phone digits, card), folded to
-- lower case without accents: a prefix search is a range scan of this index.
CREATE TABLE customer_terms (
    term      TEXT NOT NULL,
    customer  TEXT NOT NULL,
    PRIMARY KEY (term, customer)
) WITHOUT ROWID;
CREATE INDEX customer_terms_by_customer ON customer_terms(customer);

-- The loyalty ledger: this shop's entries and those HQ sent down. Balance = Σ points.
CREATE TABLE loyalty_entries (
    id        TEXT PRIMARY KEY,
    customer  TEXT NOT NULL,
    shop      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'adjust', 'expire')),
    points    INTEGER NOT NULL,
    ticket    TEXT,
    at        TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX loyalty_by_customer ON loyalty_entries(customer);

CREATE TRIGGER loyalty_no_update BEFORE UPDATE ON loyalty_entries BEGIN SELECT RAISE(ABORT, 'loyalty entries are append-only'); END;

-- The clock of customer edits, the card counter and the chain's loyalty rule.
CREATE TABLE customer_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    hlc_last         TEXT,
    card_seq         INTEGER NOT NULL DEFAULT 0,
    points_per_euro  INTEGER NOT NULL DEFAULT 1,
    cents_per_point  INTEGER NOT NULL DEFAULT 1
);
INSERT INTO customer_state (id) VALUES (1);

-- Offers HQ defined (docs/customers.md, "Offers"), as sent down; and those a ticket got.
CREATE TABLE offers (
    id        TEXT PRIMARY KEY,
    active    INTEGER NOT NULL,
    first_day TEXT NOT NULL,
    last_day  TEXT NOT NULL,
    body      TEXT NOT NULL
);
CREATE TABLE ticket_offers (
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    idx        INTEGER NOT NULL,
    line       INTEGER NOT NULL,
    offer      TEXT NOT NULL,
    name       TEXT NOT NULL,
    discount   INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, idx)
);
CREATE TRIGGER ticket_offers_no_update BEFORE UPDATE ON ticket_offers BEGIN SELECT RAISE(ABORT, 'tickets are append-only'); END;
CREATE TRIGGER ticket_offers_no_delete BEFORE DELETE ON ticket_offers BEGIN SELECT RAISE(ABORT, 'tickets are append-only'); END;

-- Messages from HQ for this shop or one register, and the registers' acknowledgements.
CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    register    TEXT,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE message_acks (
    id        TEXT PRIMARY KEY,
    message   TEXT NOT NULL,
    register  TEXT NOT NULL,
    user      TEXT NOT NULL,
    at        TEXT NOT NULL,
    UNIQUE (message, register)
);
