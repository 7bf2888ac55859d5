-- SKUs are unique whatever their letters' case: `A1` and `a1` would be two articles a
-- cashier reads as one. SKUs are ASCII, so NOCASE compares them fully; the index also
-- serves the lookups by SKU, which ignore case.
CREATE UNIQUE INDEX IF NOT EXISTS articles_sku_without_case ON articles(sku COLLATE NOCASE);
