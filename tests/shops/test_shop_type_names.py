"""The names merchants read for shop types and categories, in both languages (domain.md §2):
专卖店 is a brand-authorised store, 专营店 a multi-brand specialty store; the API codes stay."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from shops.models import Category, ShopType

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("code", "english", "chinese"),
    [
        ("FLAGSHIP", "Flagship store (旗舰店)", "旗舰店"),
        ("SPECIALTY", "Brand-authorised store (专卖店)", "专卖店"),
        ("FRANCHISE", "Multi-brand specialty store (专营店)", "专营店"),
    ],
)
def test_each_shop_type_code_keeps_its_code_and_reads_right_in_both_languages(
    code, english, chinese
):
    with translation.override("en"):
        assert str(ShopType(code).label) == english
    with translation.override("zh-hans"):
        assert str(ShopType(code).label) == chinese


def test_every_category_has_an_english_and_a_chinese_name_that_say_the_same_thing():
    names = {c.code: (c.name_en, c.name_zh) for c in Category.objects.all()}

    assert len(names) == 12
    for code, (english, chinese) in names.items():
        assert english and not CJK.search(english), code
        assert CJK.search(chinese), code
    # The virtual goods and services tier (tickets, top-up cards), not "local services".
    assert names["services"] == ("Services, tickets and top-up cards", "服务、票务及充值卡")
    assert names["home_furnishing"] == ("Home and furniture", "家装家具家纺")
