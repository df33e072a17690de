"""Who may buy performance insurance (domain.md §5.1): every failed condition, each a reason.

A shop is eligible when ALL of these hold, and ineligible with one reason per failure:

- `shop_closed`: the shop has not exited.
- `no_requirement`: it has a deposit requirement above zero (nothing to cover otherwise).
- `category_not_eligible`: it has categories, and every one is among the product's.
- `not_new_or_trend_or_stable`: it is (a) a new merchant: registered fewer than
  `new_merchant_days` days ago, or applying inside an ops benefit window (submit from/to, both
  days included); or (b) on a trend track (an ops flag with a reason); or (c) stably operating:
  live for at least `stable_min_days` days with no overdue recovery, no debt and no open
  shortfall case.
- `counterfeit_award_recent`: no counterfeit award against it in the last
  `counterfeit_lookback_days` days.

Pure: plain values in (dates in Asia/Shanghai), a list of reasons out, in a fixed order. Every
threshold is the product's data; the defaults are domain.md's (90, 180, 365 days).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class ReasonCode(StrEnum):
    SHOP_CLOSED = "shop_closed"
    NO_REQUIREMENT = "no_requirement"
    CATEGORY_NOT_ELIGIBLE = "category_not_eligible"
    NOT_NEW_OR_TREND_OR_STABLE = "not_new_or_trend_or_stable"
    COUNTERFEIT_AWARD_RECENT = "counterfeit_award_recent"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    detail_en: str
    detail_zh: str

    def as_dict(self) -> dict[str, str]:
        return {"code": str(self.code), "detail_en": self.detail_en, "detail_zh": self.detail_zh}


@dataclass(frozen=True)
class Window:
    """An ops benefit window for new merchants: applications submitted from `submit_from`
    through `submit_to` (both included) qualify; the policy must be active by `activate_by`."""

    submit_from: date
    submit_to: date
    activate_by: date

    def open_on(self, day: date) -> bool:
        return self.submit_from <= day <= self.submit_to


@dataclass(frozen=True)
class Rules:
    category_codes: frozenset[str]
    new_merchant_days: int = 90
    stable_min_days: int = 180
    counterfeit_lookback_days: int = 365


@dataclass(frozen=True)
class ShopFacts:
    today: date
    registered_on: date
    category_codes: frozenset[str]
    requirement_minor: int
    closed: bool = False
    live_since: date | None = None
    on_trend_track: bool = False
    benefit_windows: Sequence[Window] = field(default_factory=tuple)
    debt_minor: int = 0
    open_shortfall_case: bool = False
    overdue_recoveries: int = 0
    # Counterfeit awards in the lookback period (claims will supply it; domain.md §6).
    counterfeit_awards_recent: int = 0
    # The reader's names of the shop's categories, code → (English, Chinese): a reason names
    # categories as merchants know them, not by the codes partners send. A code missing here
    # is shown as itself.
    category_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    reasons: tuple[Reason, ...]
    # The benefit window the shop qualified through, if that was the route (it sets activate_by).
    window: Window | None

    @property
    def eligible(self) -> bool:
        return not self.reasons


def eligibility_check(*, facts: ShopFacts, rules: Rules) -> Verdict:
    reasons: list[Reason] = []
    if facts.closed:
        reasons.append(
            Reason(
                ReasonCode.SHOP_CLOSED,
                "The shop has exited the marketplace; a closed shop cannot be insured.",
                "店铺已退出平台，已关闭的店铺不能投保。",
            )
        )
    if facts.requirement_minor <= 0:
        reasons.append(
            Reason(
                ReasonCode.NO_REQUIREMENT,
                "The shop has no deposit requirement, so there is nothing to insure.",
                "店铺当前无保证金要求，无需投保。",
            )
        )
    outside = sorted(facts.category_codes - rules.category_codes)
    if not facts.category_codes:
        reasons.append(
            Reason(
                ReasonCode.CATEGORY_NOT_ELIGIBLE,
                "The shop has no category; every category must be one the product covers.",
                "店铺没有经营类目；所有类目都须在本险种承保范围内。",
            )
        )
    elif outside:
        listed_en = ", ".join(facts.category_names.get(c, (c, c))[0] for c in outside)
        listed_zh = "、".join(facts.category_names.get(c, (c, c))[1] for c in outside)
        reasons.append(
            Reason(
                ReasonCode.CATEGORY_NOT_ELIGIBLE,
                f"Categories not covered by this product: {listed_en}. Every category of the "
                "shop must be one of the product's.",
                f"以下类目不在本险种承保范围内：{listed_zh}。店铺的所有类目都须在承保范围内。",
            )
        )
    window = next((w for w in facts.benefit_windows if w.open_on(facts.today)), None)
    age_days = (facts.today - facts.registered_on).days
    new_merchant = age_days < rules.new_merchant_days or window is not None
    live_days = (facts.today - facts.live_since).days if facts.live_since else None
    stable = (
        live_days is not None
        and live_days >= rules.stable_min_days
        and facts.overdue_recoveries == 0
        and facts.debt_minor == 0
        and not facts.open_shortfall_case
    )
    if not (new_merchant or facts.on_trend_track or stable):
        en, zh = _not_stable_because(facts, rules, live_days)
        reasons.append(
            Reason(
                ReasonCode.NOT_NEW_OR_TREND_OR_STABLE,
                f"Not a new merchant (registered {age_days} days ago, needs fewer than "
                f"{rules.new_merchant_days}; no benefit window open today), not on a trend "
                f"track, and not stably operating: {en}.",
                f"不属于新商家（注册已 {age_days} 天，须少于 {rules.new_merchant_days} 天；"
                f"今日无开放的新商家权益期），不在趋势赛道，也不属于稳定经营商家：{zh}。",
            )
        )
    if facts.counterfeit_awards_recent > 0:
        reasons.append(
            Reason(
                ReasonCode.COUNTERFEIT_AWARD_RECENT,
                f"{facts.counterfeit_awards_recent} counterfeit award(s) against the shop in the "
                f"last {rules.counterfeit_lookback_days} days.",
                f"近 {rules.counterfeit_lookback_days} 天内店铺有 "
                f"{facts.counterfeit_awards_recent} 起售假判定。",
            )
        )
    return Verdict(reasons=tuple(reasons), window=window if not reasons else None)


def _not_stable_because(facts: ShopFacts, rules: Rules, live_days: int | None) -> tuple[str, str]:
    en: list[str] = []
    zh: list[str] = []
    if live_days is None:
        en.append("the shop has not gone live yet")
        zh.append("店铺尚未开业")
    elif live_days < rules.stable_min_days:
        en.append(f"live for {live_days} days, needs at least {rules.stable_min_days}")
        zh.append(f"开业 {live_days} 天，须至少 {rules.stable_min_days} 天")
    if facts.overdue_recoveries:
        en.append(f"{facts.overdue_recoveries} overdue recovery(ies)")
        zh.append(f"{facts.overdue_recoveries} 笔追偿逾期未还")
    if facts.debt_minor:
        en.append("a debt is owed on the deposit")
        zh.append("保证金有欠款")
    if facts.open_shortfall_case:
        en.append("an open deposit shortfall case")
        zh.append("有未结的保证金不足案件")
    return "; ".join(en), "；".join(zh)
