-- Installed by migration deposits 0009_coverage_function. Never edit this file once released; a
-- change is coverage_v2.sql with a new function name, installed by a new migration, and the
-- callers (posting function, shortfall scan) move to it in the same migration.
--
-- The coverage rule in SQL: the twin of deposits.domain.coverage.shortfall_minor, which
-- tests/deposits/test_coverage.py checks against this function with drawn balances.
--
--     shortfall = max(0, required − (posted − held) − guaranteed + debt)
--
-- LANGUAGE sql, IMMUTABLE and a single expression, so that PostgreSQL inlines it into the
-- calling query: the shortfall scan over a million accounts pays nothing for the call.
CREATE OR REPLACE FUNCTION deposits_shortfall_v1(
    p_required bigint, p_posted bigint, p_held bigint, p_guaranteed bigint, p_debt bigint
) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT greatest(0, p_required - (p_posted - p_held) - p_guaranteed + p_debt)
$$;
