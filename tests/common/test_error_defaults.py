"""A bare `raise ShopFrozen()` speaks the language active when it is raised: every DomainError in
common.errors marks its default sentence for translation, so the partner who asks for Chinese,
the admin and the dashboard read it in theirs, and a partner who asks for nothing reads English."""

from __future__ import annotations

import inspect

import pytest
from django.utils import translation
from django.utils.functional import Promise

from common import errors
from common.errors import DomainError, ShopFrozen

CLASSES = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, DomainError) and cls.__module__ == errors.__name__
]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_default_sentence_is_marked_for_translation(cls):
    assert isinstance(cls.default_detail, Promise)


class TestBareRaise:
    def test_says_the_default_in_chinese_when_chinese_is_active(self):
        with translation.override("zh-hans"):
            error = ShopFrozen()

        assert error.detail == "该店铺已被平台冻结，其保证金不能提现。"
        assert str(error) == error.detail

    def test_says_it_in_english_when_english_is_active(self):
        with translation.override("en"):
            error = ShopFrozen()

        assert (
            error.detail == "The shop is frozen by the platform; its deposit cannot be withdrawn."
        )

    def test_keeps_the_language_it_was_raised_in(self):
        with translation.override("zh-hans"):
            error = ShopFrozen()

        with translation.override("en"):
            assert error.detail == "该店铺已被平台冻结，其保证金不能提现。"
