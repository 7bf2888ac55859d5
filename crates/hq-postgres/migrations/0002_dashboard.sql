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
    tickets  BIGINT NOT NULL,
    revenue  BIGINT NOT NULL,
    PRIMARY KEY (day, shop)
);

CREATE TABLE sales_day_payments (
    day     TEXT NOT NULL,
    shop    TEXT NOT NULL,
    method  TEXT NOT NULL,
    amount  BIGINT NOT NULL,
    PRIMARY KEY (day, shop, method)
);

CREATE TABLE sales_day_vat (
    day      TEXT NOT NULL,
    shop     TEXT NOT NULL,
    rate_bp  BIGINT NOT NULL,
    gross    BIGINT NOT NULL,
    net      BIGINT NOT NULL,
    vat      BIGINT NOT NULL,
    PRIMARY KEY (day, shop, rate_bp)
);

CREATE TABLE sales_day_articles (
    day        TEXT NOT NULL,
    shop       TEXT NOT NULL,
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    qty_milli  BIGINT NOT NULL,
    revenue    BIGINT NOT NULL,
    PRIMARY KEY (day, shop, sku)
);

-- The same per month (YYYY-MM): a year's top articles read 12 months, not 365 days.
-- Both article tables also hold chain-wide rows under the shop code '' (no shop has it).
CREATE TABLE sales_month_articles (
    month      TEXT NOT NULL,
    shop       TEXT NOT NULL,
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    qty_milli  BIGINT NOT NULL,
    revenue    BIGINT NOT NULL,
    PRIMARY KEY (month, shop, sku)
);

INSERT INTO sales_days (day, shop, tickets, revenue)
    SELECT business_date, shop, COUNT(*), SUM(total) FROM tickets GROUP BY business_date, shop;
INSERT INTO sales_day_payments (day, shop, method, amount)
    SELECT t.business_date, t.shop, p->>'method', SUM((p->>'amount')::BIGINT)
    FROM tickets t, jsonb_array_elements(t.body::jsonb->'payments') p GROUP BY 1, 2, 3;
-- The change is given back in cash.
INSERT INTO sales_day_payments (day, shop, method, amount)
    SELECT business_date, shop, 'cash', -SUM((body::jsonb->>'change')::BIGINT) FROM tickets
    WHERE (body::jsonb->>'change')::BIGINT <> 0 GROUP BY 1, 2
    ON CONFLICT (day, shop, method) DO UPDATE SET amount = sales_day_payments.amount + excluded.amount;
INSERT INTO sales_day_vat (day, shop, rate_bp, gross, net, vat)
    SELECT t.business_date, t.shop, (v->>'rate_bp')::BIGINT, SUM((v->>'gross')::BIGINT),
           SUM((v->>'net')::BIGINT), SUM((v->>'vat')::BIGINT)
    FROM tickets t, jsonb_array_elements(t.body::jsonb->'vat') v GROUP BY 1, 2, 3;
INSERT INTO sales_day_articles (day, shop, sku, name, qty_milli, revenue)
    SELECT t.business_date, t.shop, l->>'sku', MAX(l->>'name'),
           SUM(ROUND((l->>'qty')::NUMERIC * 1000)::BIGINT), SUM((l->>'total')::BIGINT)
    FROM tickets t, jsonb_array_elements(t.body::jsonb->'lines') l GROUP BY 1, 2, 3;
-- The chain-wide rows (shop ''): every shop's sales of an article added up.
INSERT INTO sales_day_articles (day, shop, sku, name, qty_milli, revenue)
    SELECT day, '', sku, MAX(name), SUM(qty_milli), SUM(revenue) FROM sales_day_articles GROUP BY day, sku;
INSERT INTO sales_month_articles (month, shop, sku, name, qty_milli, revenue)
    SELECT substr(day, 1, 7), shop, sku, MAX(name), SUM(qty_milli), SUM(revenue) FROM sales_day_articles GROUP BY 1, 2, 3;
