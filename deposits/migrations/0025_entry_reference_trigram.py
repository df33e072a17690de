"""A trigram index for the statement's reference search (a substring, `icontains`).

Django's icontains on PostgreSQL is `UPPER(reference::text) LIKE UPPER('%…%')`, so the index is on
that expression with pg_trgm's operator class: the search becomes a bitmap index scan instead of
reading every entry of the period (1.6 s at the median for 100,000 entries, docs/benchmarks.md).
Not in the model's Meta: the index needs the extension and a GIN operator class that SQLite does
not have, and on SQLite (the suite also runs there) this migration does nothing.

In production, build it by hand first, without blocking postings for the build's duration, and
this migration then finds it (IF NOT EXISTS):
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX CONCURRENTLY IF NOT EXISTS entry_reference_trgm_idx
        ON deposits_entry USING gin (upper((reference)::text) gin_trgm_ops);
What it costs each posting: one more index to insert into per entry (GIN's pending list,
`fastupdate`, batches that work); see docs/benchmarks.md.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS entry_reference_trgm_idx ON deposits_entry "
    "USING gin (upper((reference)::text) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS entry_reference_trgm_idx"]  # the extension may serve others


def _run(statements):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("deposits", "0024_entry_day_rollup")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
