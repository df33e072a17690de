-- Ledger entries partitioned by month vs one table: a month's statement for one deposit.
-- A model of deposits_entry's statement path (entry_statement_idx: account, occurred_at, id,
-- amount included), not the real table: N rows over 24 months and 1,000 accounts.
--   psql -h 127.0.0.1 -U postgres -d dd_scale -f bench/partition_bench.sql
\timing off
SET client_min_messages = warning;
DROP TABLE IF EXISTS pb_plain, pb_part CASCADE;
CREATE TABLE pb_plain (id bigserial, account_id bigint NOT NULL, occurred_at timestamptz NOT NULL,
                       amount_minor bigint NOT NULL, reason text NOT NULL);
CREATE TABLE pb_part (id bigint NOT NULL, account_id bigint NOT NULL, occurred_at timestamptz NOT NULL,
                      amount_minor bigint NOT NULL, reason text NOT NULL,
                      -- a unique key must include the partition key: (id) alone is refused
                      PRIMARY KEY (id, occurred_at)) PARTITION BY RANGE (occurred_at);
SELECT format('CREATE TABLE pb_part_%s PARTITION OF pb_part FOR VALUES FROM (%L) TO (%L)',
              to_char(m, 'YYYYMM'), m, m + interval '1 month')
FROM generate_series(timestamptz '2025-01-01', timestamptz '2026-12-01', interval '1 month') m \gexec
INSERT INTO pb_plain (account_id, occurred_at, amount_minor, reason)
SELECT 1 + (g % 1000), timestamptz '2025-01-01' + (g::float / :rows) * interval '729 days',
       (g % 997) - 400, 'top-up or deduction'
FROM generate_series(1, :rows) g;
ALTER TABLE pb_plain ADD PRIMARY KEY (id);
INSERT INTO pb_part SELECT * FROM pb_plain;
CREATE INDEX ON pb_plain (account_id, occurred_at, id) INCLUDE (amount_minor);
CREATE INDEX ON pb_part (account_id, occurred_at, id) INCLUDE (amount_minor);
VACUUM ANALYZE pb_plain; VACUUM ANALYZE pb_part;
\timing on
\echo '--- plain: rows of a month'
SELECT count(*), sum(amount_minor) FROM pb_plain WHERE account_id = 42
  AND occurred_at >= '2026-06-01' AND occurred_at < '2026-07-01';
SELECT count(*), sum(amount_minor) FROM pb_plain WHERE account_id = 42
  AND occurred_at >= '2026-06-01' AND occurred_at < '2026-07-01';
\echo '--- partitioned: rows of a month'
SELECT count(*), sum(amount_minor) FROM pb_part WHERE account_id = 42
  AND occurred_at >= '2026-06-01' AND occurred_at < '2026-07-01';
SELECT count(*), sum(amount_minor) FROM pb_part WHERE account_id = 42
  AND occurred_at >= '2026-06-01' AND occurred_at < '2026-07-01';
\echo '--- plain: opening balance (everything before the month)'
SELECT sum(amount_minor) FROM pb_plain WHERE account_id = 42 AND occurred_at < '2026-06-01';
SELECT sum(amount_minor) FROM pb_plain WHERE account_id = 42 AND occurred_at < '2026-06-01';
\echo '--- partitioned: opening balance (every earlier partition)'
SELECT sum(amount_minor) FROM pb_part WHERE account_id = 42 AND occurred_at < '2026-06-01';
SELECT sum(amount_minor) FROM pb_part WHERE account_id = 42 AND occurred_at < '2026-06-01';
\timing off
EXPLAIN (COSTS OFF) SELECT sum(amount_minor) FROM pb_part WHERE account_id = 42
  AND occurred_at >= '2026-06-01' AND occurred_at < '2026-07-01';
SELECT pg_size_pretty(pg_total_relation_size('pb_plain')) AS plain,
       (SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits
        WHERE inhparent = 'pb_part'::regclass) AS partitioned;
DROP TABLE pb_plain, pb_part CASCADE;
