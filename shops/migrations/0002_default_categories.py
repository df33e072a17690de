"""Reference data: the category codes of api-v1.md, so a production install has them."""

from django.db import migrations

CATEGORIES = [
    # code, English, Chinese, insurance eligible (the seven top-level categories, domain.md §5)
    ("apparel", "Apparel", "服饰", True),
    ("jewelry", "Jewellery and accessories", "珠宝配饰", True),
    ("shoes_bags", "Shoes and bags", "鞋类箱包", True),
    ("home_furnishing", "Home and furniture", "家装家具家纺", True),
    ("digital_3c", "3C digital", "3C数码", True),
    ("home_appliances", "Home appliances", "家用电器", True),
    ("food", "Food", "食品", True),
    ("books_media", "Books and media", "图书音像", False),
    ("services", "Services, tickets and top-up cards", "生活服务", False),
    ("education", "Education", "教育培训", False),
    ("medical_services", "Medical services", "医疗服务", False),
    ("health_supplements", "Health supplements", "保健食品", False),
]


def install(apps, schema_editor):
    Category = apps.get_model("shops", "Category")
    for code, en, zh, eligible in CATEGORIES:
        Category.objects.update_or_create(
            code=code, defaults={"name_en": en, "name_zh": zh, "insurance_eligible": eligible}
        )


class Migration(migrations.Migration):
    dependencies = [("shops", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
