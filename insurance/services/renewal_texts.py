"""What the merchant reads as a policy nears its end and when it ends, in English and Chinese
(the merchant's language picks one; written here like advance_texts, so a notice is never half
translated). The reminder says how much cash the deposit will need and from when if the policy
is not renewed; the expiry notice says what the deposit needs now."""

from __future__ import annotations

from common.templatetags.money import money
from insurance.models import Policy
from insurance.selectors import CashWithoutPolicy
from insurance.services.advance_texts import Text, _zh, when_text


def _facts(policy: Policy, cash: CashWithoutPolicy) -> dict[str, str]:
    assert policy.ends_on is not None
    return {
        "policy": policy.policy_number,
        "insurer": policy.insurer.name,
        "shop": policy.shop.name,
        "coverage": money(policy.coverage_minor, policy.currency),
        "ends_on": policy.ends_on.isoformat(),
        "from": when_text(cash.from_at),
        "cash_needed": money(cash.cash_needed_minor, cash.currency),
        "top_up": money(cash.top_up_minor, cash.currency),
    }


def renewal_reminder(*, language: str, policy: Policy, cash: CashWithoutPolicy, days: int) -> Text:
    f = _facts(policy, cash)
    if _zh(language):
        gap = (
            f"按目前的现金余额，届时还需补缴 {f['top_up']}，否则将按保证金不足处理。"
            if cash.top_up_minor
            else "目前的现金余额已足够。"
        )
        return Text(
            title=f"续保提醒：保单 {f['policy']} 将于 {f['ends_on']} 到期（还剩 {days} 天）",
            body=(
                f"店铺「{f['shop']}」的保证金履约险（{f['insurer']}，保单号 {f['policy']}，"
                f"保额 {f['coverage']}）将于 {f['ends_on']} 到期。"
                f"如不续保，自 {f['from']} 起保证金须以现金缴足 {f['cash_needed']}。{gap}"
                "可在商家后台的保险页面续保：续保保单自到期次日起生效，保障不中断。"
            ),
        )
    gap = (
        f"With the cash there now, {f['top_up']} more will be needed then, or the deposit "
        "will be short."
        if cash.top_up_minor
        else "The cash there now already covers it."
    )
    return Text(
        title=f"Renewal: policy {f['policy']} ends on {f['ends_on']} ({days} day(s) left)",
        body=(
            f"The performance insurance of {f['shop']} ({f['insurer']}, policy {f['policy']}, "
            f"coverage {f['coverage']}) ends on {f['ends_on']}. If it is not renewed, the deposit "
            f"must be {f['cash_needed']} in cash from {f['from']}. {gap} Renew on the dashboard's "
            "insurance page: the renewal starts the day after this term ends, without a gap."
        ),
    )


def expired(*, language: str, policy: Policy, cash: CashWithoutPolicy) -> Text:
    f = _facts(policy, cash)
    if _zh(language):
        gap = (
            f"现金尚缺 {f['top_up']}，请尽快补缴，否则将按保证金不足处理。"
            if cash.top_up_minor
            else "目前的现金余额已足够。"
        )
        return Text(
            title=f"保单 {f['policy']} 已于 {f['ends_on']} 到期",
            body=(
                f"店铺「{f['shop']}」的保证金履约险（{f['insurer']}，保单号 {f['policy']}）"
                f"已于 {f['ends_on']} 到期，保额 {f['coverage']} 不再计入保证金。"
                f"自 {f['from']} 起保证金须以现金缴足 {f['cash_needed']}。{gap}"
            ),
        )
    gap = (
        f"{f['top_up']} of cash is missing: top it up, or the deposit is short."
        if cash.top_up_minor
        else "The cash there now covers it."
    )
    return Text(
        title=f"Policy {f['policy']} ended on {f['ends_on']}",
        body=(
            f"The performance insurance of {f['shop']} ({f['insurer']}, policy {f['policy']}) "
            f"ended on {f['ends_on']}; its coverage of {f['coverage']} no longer counts towards "
            f"the deposit. From {f['from']} the deposit must be {f['cash_needed']} in cash. {gap}"
        ),
    )


def renewed_handover(*, language: str, policy: Policy, renewal: Policy) -> Text:
    """The old term ended and the paid renewal took over at the same moment: nothing to do."""
    assert policy.ends_on is not None and renewal.starts_on is not None
    f = {
        "policy": policy.policy_number,
        "renewal": renewal.policy_number,
        "shop": policy.shop.name,
        "ends_on": policy.ends_on.isoformat(),
        "starts_on": renewal.starts_on.isoformat(),
        "until": renewal.ends_on.isoformat() if renewal.ends_on else "",
        "coverage": money(renewal.coverage_minor, renewal.currency),
    }
    if _zh(language):
        return Text(
            title=f"已续保：保单 {f['renewal']} 自 {f['starts_on']} 起生效",
            body=(
                f"店铺「{f['shop']}」的保单 {f['policy']} 已于 {f['ends_on']} 到期，"
                f"续保保单 {f['renewal']}（保额 {f['coverage']}）自 {f['starts_on']} 起无缝接续，"
                f"保障至 {f['until']}。保证金无需补缴现金。"
            ),
        )
    return Text(
        title=f"Renewed: policy {f['renewal']} in force from {f['starts_on']}",
        body=(
            f"Policy {f['policy']} of {f['shop']} ended on {f['ends_on']}; its renewal "
            f"{f['renewal']} (coverage {f['coverage']}) took over from {f['starts_on']} without a "
            f"gap and covers the deposit until {f['until']}. No cash top-up is needed."
        ),
    )
