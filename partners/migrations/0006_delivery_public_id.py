"""Deliveries get a public id, so a partner can read its delivery log and ask for a redelivery
(issue 16, 2). Existing rows are filled first, then the column becomes unique and NOT NULL.

On PostgreSQL the column also gets `gen_random_uuid()` as its database default, after the
AlterField (which would otherwise drop it): the outbox's SQL function
(partners/sql/event_publish_v1.sql) inserts deliveries without naming the column.
"""

import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE partners_delivery SET public_id = gen_random_uuid() WHERE public_id IS NULL"
        )
        return
    Delivery = apps.get_model("partners", "Delivery")
    for pk in Delivery.objects.filter(public_id__isnull=True).values_list("pk", flat=True):
        Delivery.objects.filter(pk=pk).update(public_id=uuid.uuid4())


def database_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE partners_delivery ALTER COLUMN public_id SET DEFAULT gen_random_uuid()"
        )


def drop_database_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE partners_delivery ALTER COLUMN public_id DROP DEFAULT")


class Migration(migrations.Migration):
    dependencies = [("partners", "0005_event_publish_function")]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="delivery",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.RunPython(database_default, drop_database_default),
    ]
