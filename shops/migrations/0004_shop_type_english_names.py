"""The English names of 专卖店 and 专营店 were swapped (the codes stay: api-v1.md), and the
Chinese name of `services` said "local services" (生活服务) where the category is the virtual goods
and services tier of domain.md §2 (tickets, top-up cards)."""

from django.db import migrations, models


def install(apps, schema_editor):
    # Named `install` like 0002's, so the browser tests' reference-data replay runs it after 0002.
    Category = apps.get_model("shops", "Category")
    Category.objects.filter(code="services").update(
        name_en="Services, tickets and top-up cards", name_zh="服务、票务及充值卡"
    )


def uninstall(apps, schema_editor):
    Category = apps.get_model("shops", "Category")
    Category.objects.filter(code="services").update(name_zh="生活服务")


class Migration(migrations.Migration):
    dependencies = [("shops", "0003_notification")]

    operations = [
        migrations.AlterField(
            model_name="shop",
            name="shop_type",
            field=models.CharField(
                choices=[
                    ("FLAGSHIP", "Flagship store (旗舰店)"),
                    ("SPECIALTY", "Brand-authorised store (专卖店)"),
                    ("FRANCHISE", "Multi-brand specialty store (专营店)"),
                ],
                max_length=20,
                verbose_name="shop type",
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
