-- The web dashboard (docs/dashboard.md): its sessions, and sales summaries per shop and
-- business day that apply_push keeps up to date in the transaction inserting each ticket,
-- so that a page never scans a year of tickets. The tickets already held are summed here.

CREATE TABLE dashboard_sessions (
    token_hash  TEXT PRIMARY KEY,
    admin       TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions(expires_at);

CREATE TABLE sales_days (
    day      TEXT NOT NULL,
    shop     TEXT NOT NULL,
    tickets  INTEGER NOT NULL,
    revenue  INTEGER NOT NULL,
    PRIMARY KEY (day, shop)
) WITHOUT ROWID;

CREATE TABLE sales_day_payments (
    day     TEXT NOT NULL,
    shop    TEXT NOT NULL,
    method  TEXT NOT NULL,
    amount  INTEGER NOT NULL,
    PRIMARY KEY (day, shop, method)
) WITHOUT ROWID;

CREATE TABLE sales_day_vat (
    day      TEXT NOT NULL,
    shop     TEXT NOT NULL,
    rate_bp  INTEGER NOT NULL,
    gross    INTEGER NOT NULL,
    net      INTEGER NOT NULL,
    vat      INTEGER NOT NULL,
    PRIMARY KEY (day, shop, rate_bp)
) WITHOUT ROWID;

CREATE TABLE sales_day_articles (
    day        TEXT NOT NULL,
    shop       TEXT NOT NULL,
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    qty_milli  INTEGER NOT NULL,
    revenue    INTEGER NOT NULL,
    PRIMARY KEY (day, shop, sku)
) WITHOUT ROWID;

-- The same per month (YYYY-MM): a year's top articles read 12 months, not 365 days.
-- Both article tables also hold chain-wide rows under the shop code '' (no shop has it).
CREATE TABLE sales_month_articles (
    month      TEXT NOT NULL,
    shop       TEXT NOT NULL,
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    qty_milli  INTEGER NOT NULL,
    revenue    INTEGER NOT NULL,
    PRIMARY KEY (month, shop, sku)
) WITHOUT ROWID;

INSERT INTO sales_days (day, shop, tickets, revenue)
    SELECT business_date, shop, COUNT(*), SUM(total) FROM tickets GROUP BY business_date, shop;
INSERT INTO sales_day_payments (day, shop, method, amount)
    SELECT t.business_date, t.shop, json_extract(p.value, '$.method'), SUM(json_extract(p.value, '$.amount'))
    FROM tickets t, json_each(t.body, '$.payments') p GROUP BY 1, 2, 3;
-- The change is given back in cash.
INSERT INTO sales_day_payments (day, shop, method, amount)
    SELECT business_date, shop, 'cash', -SUM(json_extract(body, '$.change')) FROM tickets
    WHERE json_extract(body, '$.change') <> 0 GROUP BY 1, 2
    ON CONFLICT (day, shop, method) DO UPDATE SET amount = amount + excluded.amount;
INSERT INTO sales_day_vat (day, shop, rate_bp, gross, net, vat)
    SELECT t.business_date, t.shop, json_extract(v.value, '$.rate_bp'), SUM(json_extract(v.value, '$.gross')),
           SUM(json_extract(v.value, '$.net')), SUM(json_extract(v.value, '$.vat'))
    FROM tickets t, json_each(t.body, '$.vat') v GROUP BY 1, 2, 3;
INSERT INTO sales_day_articles (day, shop, sku, name, qty_milli, revenue)
    SELECT t.business_date, t.shop, json_extract(l.value, '$.sku'), MAX(json_extract(l.value, '$.name')),
           SUM(CAST(ROUND(json_extract(l.value, '$.qty') * 1000) AS INTEGER)), SUM(json_extract(l.value, '$.total'))
    FROM tickets t, json_each(t.body, '$.lines') l GROUP BY 1, 2, 3;
-- The chain-wide rows (shop ''): every shop's sales of an article added up.
INSERT INTO sales_day_articles (day, shop, sku, name, qty_milli, revenue)
    SELECT day, '', sku, MAX(name), SUM(qty_milli), SUM(revenue) FROM sales_day_articles GROUP BY day, sku;
INSERT INTO sales_month_articles (month, shop, sku, name, qty_milli, revenue)
    SELECT substr(day, 1, 7), shop, sku, MAX(name), SUM(qty_milli), SUM(revenue) FROM sales_day_articles GROUP BY 1, 2, 3;
