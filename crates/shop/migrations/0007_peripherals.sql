-- Receipts and the devices of the registers (docs/peripherals.md).

-- The legal identity a French receipt carries: set locally by a standalone shop.
CREATE TABLE shop_identity (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    legal_name  TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    siret       TEXT NOT NULL DEFAULT '',
    vat_number  TEXT NOT NULL DEFAULT '',
    footer      TEXT NOT NULL DEFAULT ''
);
INSERT INTO shop_identity (id) VALUES (1);

-- Each register's receipt printer, card terminal and receipt choice (ask, print, qr, email, none).
CREATE TABLE register_devices (
    register         TEXT PRIMARY KEY REFERENCES registers(code),
    receipt_printer  TEXT,
    terminal         TEXT,
    receipt_mode     TEXT NOT NULL DEFAULT 'ask' CHECK (receipt_mode IN ('ask', 'print', 'qr', 'email', 'none'))
);

-- Every print of a ticket's receipt: copy 0 is the original, copy N the "DUPLICATA n° N".
-- Append-only, so the count of reprints is never reset.
CREATE TABLE ticket_prints (
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    copy       INTEGER NOT NULL CHECK (copy >= 0),
    at         TEXT NOT NULL,
    actor      TEXT,
    printer    TEXT,
    PRIMARY KEY (ticket_id, copy)
) WITHOUT ROWID;
CREATE TRIGGER ticket_prints_no_update BEFORE UPDATE ON ticket_prints BEGIN SELECT RAISE(ABORT, 'ticket prints are append-only'); END;
CREATE TRIGGER ticket_prints_no_delete BEFORE DELETE ON ticket_prints BEGIN SELECT RAISE(ABORT, 'ticket prints are append-only'); END;

-- What waits to go to a printer (receipts, drawer pulses), sent in order, retried until done.
CREATE TABLE print_jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    printer     TEXT NOT NULL,
    what        TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    done_at     TEXT
);
CREATE INDEX print_jobs_waiting ON print_jobs(printer, id) WHERE done_at IS NULL;

-- Card terminals.
CREATE TABLE terminals (
    code             TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('caisse-ap-ip')),
    address          TEXT NOT NULL,
    timeout_seconds  INTEGER NOT NULL,
    active           INTEGER NOT NULL DEFAULT 1
);

-- Every payment asked of a terminal, with its answer; only an accepted one may pay a ticket,
-- once (ticket_id, set in the ticket's own transaction).
CREATE TABLE terminal_payments (
    id             TEXT PRIMARY KEY,
    terminal       TEXT NOT NULL,
    register       TEXT,
    amount         INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('accepted', 'refused', 'timeout')),
    authorisation  TEXT,
    card_type      TEXT,
    card_number    TEXT,
    reason         TEXT,
    at             TEXT NOT NULL,
    ticket_id      TEXT REFERENCES tickets(id)
);
CREATE INDEX terminal_payments_by_ticket ON terminal_payments(ticket_id) WHERE ticket_id IS NOT NULL;

-- The unguessable links of receipts shown as a QR code (the token's SHA-256 only).
CREATE TABLE receipt_links (
    token_hash  TEXT PRIMARY KEY,
    ticket_id   TEXT NOT NULL REFERENCES tickets(id),
    created_at  TEXT NOT NULL
);
