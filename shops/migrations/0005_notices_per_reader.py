"""Notices are read per user and shown in the reader's language.

The merchant-wide `read_at` becomes one NotificationRead per member of the merchant (every
member had seen it as read: nobody's page changes), and each existing notice keeps its one
language in `texts`, so it stays readable (in the language it was written in) until it ages out.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def carry_over(apps, schema_editor):
    Notification = apps.get_model("shops", "Notification")
    NotificationRead = apps.get_model("shops", "NotificationRead")
    MerchantUser = apps.get_model("shops", "MerchantUser")
    members: dict[int, list[int]] = {}
    for merchant_id, user_id in MerchantUser.objects.values_list("merchant_id", "user_id"):
        members.setdefault(merchant_id, []).append(user_id)
    reads = []
    for notice in Notification.objects.only(
        "pk", "merchant_id", "language", "title", "body", "read_at", "texts"
    ).iterator(chunk_size=2000):
        notice.texts = {notice.language: [notice.title, notice.body]}
        notice.save(update_fields=["texts"])
        if notice.read_at is not None:
            reads += [
                NotificationRead(notification_id=notice.pk, user_id=user, read_at=notice.read_at)
                for user in members.get(notice.merchant_id, [])
            ]
        if len(reads) >= 2000:
            NotificationRead.objects.bulk_create(reads, ignore_conflicts=True)
            reads = []
    NotificationRead.objects.bulk_create(reads, ignore_conflicts=True)


def carry_back(apps, schema_editor):
    Notification = apps.get_model("shops", "Notification")
    NotificationRead = apps.get_model("shops", "NotificationRead")
    for notification_id, read_at in NotificationRead.objects.values_list(
        "notification_id", "read_at"
    ):
        Notification.objects.filter(pk=notification_id, read_at__isnull=True).update(
            read_at=read_at
        )


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0004_shop_type_english_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="NotificationRead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("read_at", models.DateTimeField(verbose_name="read at")),
                (
                    "notification",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reads",
                        to="shops.notification",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notification_reads",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "notice read", "verbose_name_plural": "notices read"},
        ),
        migrations.AddIndex(
            model_name="notificationread",
            index=models.Index(fields=["user", "notification"], name="notification_read_user_idx"),
        ),
        migrations.AddConstraint(
            model_name="notificationread",
            constraint=models.UniqueConstraint(
                fields=("notification", "user"), name="notification_read_once_per_user"
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="texts",
            field=models.JSONField(blank=True, default=dict, verbose_name="texts by language"),
        ),
        migrations.RunPython(carry_over, carry_back, elidable=False),
        migrations.RemoveIndex(model_name="notification", name="notification_unread_idx"),
        migrations.RemoveField(model_name="notification", name="read_at"),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["merchant", "-created_at"], name="notification_merchant_idx"),
        ),
    ]
