-- SKUs and shop codes are unique whatever their letters' case: `A1` and `a1`, `PARIS1`
-- and `paris1` would be two records a person reads as one (codes are ASCII). A database
-- that already holds such a pair stops here, naming the index; rename one of the pair,
-- then start again.
CREATE UNIQUE INDEX IF NOT EXISTS articles_sku_without_case ON articles (lower(sku));
CREATE UNIQUE INDEX IF NOT EXISTS shops_code_without_case ON shops (lower(code));
