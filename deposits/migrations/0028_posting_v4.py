"""`deposits_post` stores the partner API's idempotency record itself, and reads the account and
the shop once each (deposits/sql/posting_v4.sql says what changed and why; docs/benchmarks.md
"One posting function, no wrapper" measures it). The wrapper `deposits_post_recorded` goes: the
one function that writes the ledger is again the only one the API calls. PostgreSQL only.

The new function takes nine more parameters (defaulted), so it is a new signature: the old one
is dropped first, or a 28-argument call would be ambiguous between the two.
"""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

POSTING_ARGS = (
    "bigint, bigint[], boolean[], bigint, uuid, text, text, text, text, text, bigint, text, text, "
    "text, text, bigint, bigint, bigint, timestamptz, timestamptz, text[], text[], bigint[], "
    "bigint, uuid, jsonb, int[], timestamptz"
)
RECORD_ARGS = "bigint, text, text, text, text, int, text, text, int"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP FUNCTION deposits_post_recorded({RECORD_ARGS}, {POSTING_ARGS})")
    schema_editor.execute(f"DROP FUNCTION deposits_post({POSTING_ARGS})")
    schema_editor.execute((SQL_DIR / "posting_v4.sql").read_text(), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP FUNCTION deposits_post({POSTING_ARGS}, {RECORD_ARGS})")
    schema_editor.execute((SQL_DIR / "posting_v3.sql").read_text(), params=None)
    schema_editor.execute((SQL_DIR / "posting_recorded_v2.sql").read_text(), params=None)


class Migration(migrations.Migration):
    dependencies = [("deposits", "0027_posting_recorded_v2")]

    operations = [migrations.RunPython(forward, backward)]
