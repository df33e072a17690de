"""What the merchant reads about an advance and its recovery, in English and Chinese (the
merchant's language picks one; like insurance.domain.eligibility, both are written here rather
than left to a catalogue, so a notice is never half translated). Every sentence says what is
owed, to whom, by when (an absolute local time) and what happens otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from common.templatetags.money import money
from insurance.models import Advance, Policy, Recovery

MARKET_TZ = ZoneInfo("Asia/Shanghai")


def when_text(moment: datetime) -> str:
    """The moment in the marketplace's zone with its offset: "2026-11-17 23:59 (UTC+8)"."""
    local = timezone.localtime(moment, MARKET_TZ)
    offset = local.utcoffset() or timedelta(0)
    return f"{local:%Y-%m-%d %H:%M} (UTC{int(offset.total_seconds()) // 3600:+d})"


def deadline_text(recovery: Recovery) -> str:
    """The last minute to repay: one minute before `due_at` (00:00 the day after `due_on`)."""
    return when_text(recovery.due_at - timedelta(minutes=1))


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def _zh(language: str) -> bool:
    return (language or "").lower().startswith("zh")


def _facts(policy: Policy, advance: Advance, recovery: Recovery) -> dict[str, str]:
    return {
        "amount": money(recovery.amount_minor, recovery.currency),
        "outstanding": money(recovery.outstanding_minor, recovery.currency),
        "claim": advance.claim_ref,
        "insurer": policy.insurer.name,
        "policy": policy.policy_number,
        "shop": policy.shop.name,
        "deadline": deadline_text(recovery),
        "due_on": recovery.due_on.isoformat(),
    }


def advance_made(
    *, language: str, policy: Policy, advance: Advance, recovery: Recovery, limit_after: int
) -> Text:
    f = _facts(policy, advance, recovery)
    f["limit"] = money(limit_after, recovery.currency)
    f["coverage"] = money(policy.coverage_minor, recovery.currency)
    if _zh(language):
        return Text(
            title=(
                f"保险公司已为索赔 {f['claim']} 先行垫付 {f['amount']}，请于 {f['deadline']} 前还款"
            ),
            body=(
                f"店铺「{f['shop']}」的索赔 {f['claim']} 成立，保单 {f['policy']} 的保险公司"
                f"{f['insurer']}已代您向消费者先行垫付 {f['amount']}。"
                f"您需向{f['insurer']}偿还这笔款项，截止时间 {f['deadline']}。"
                f"还清之前，保单剩余额度为 {f['limit']}（保额 {f['coverage']}），"
                f"保证金的保障额度相应减少。逾期未还清，店铺将被监管（店铺及商品无法被搜索到），"
                f"直至还清为止，保险公司还可能依法追偿。"
            ),
        )
    return Text(
        title=(
            f"The insurer advanced {f['amount']} for claim {f['claim']}: "
            f"repay it by {f['deadline']}"
        ),
        body=(
            f"Claim {f['claim']} against {f['shop']} was upheld, and {f['insurer']}, the insurer "
            f"of policy {f['policy']}, paid {f['amount']} to the consumer on your behalf. You owe "
            f"this amount to {f['insurer']}: repay it by {f['deadline']}. Until you do, the "
            f"policy's remaining limit is {f['limit']} of {f['coverage']}, and your deposit's "
            f"coverage is reduced by the same amount. If it is not repaid in full by then, the "
            f"shop will be supervised (the shop and its items cannot be found) until it is, and "
            f"the insurer may take legal action."
        ),
    )


def reminder(
    *, language: str, policy: Policy, advance: Advance, recovery: Recovery, days: int
) -> Text:
    f = _facts(policy, advance, recovery)
    if _zh(language):
        return Text(
            title=f"还款提醒：{f['outstanding']} 须于 {f['deadline']} 前还给{f['insurer']}",
            body=(
                f"保险公司{f['insurer']}为索赔 {f['claim']} 先行垫付的 {f['amount']}，"
                f"尚有 {f['outstanding']} 未还，截止时间 {f['deadline']}（还剩 {days} 天）。"
                f"逾期未还清，店铺「{f['shop']}」将被监管（店铺及商品无法被搜索到），直至还清为止。"
            ),
        )
    return Text(
        title=f"Reminder: repay {f['outstanding']} to {f['insurer']} by {f['deadline']}",
        body=(
            f"Of the {f['amount']} that {f['insurer']} advanced for claim {f['claim']}, "
            f"{f['outstanding']} is still owed, due by {f['deadline']} ({days} day(s) left). "
            f"If it is not repaid in full by then, {f['shop']} will be supervised (the shop and "
            f"its items cannot be found) until it is."
        ),
    )


def overdue_reason(*, language: str, policy: Policy, advance: Advance, recovery: Recovery) -> str:
    f = _facts(policy, advance, recovery)
    if _zh(language):
        return (
            f"保险公司{f['insurer']}为索赔 {f['claim']} 先行垫付的 {f['amount']} 已于 "
            f"{f['deadline']} 到期，尚有 {f['outstanding']} 未还（保单 {f['policy']}）。"
        )
    return (
        f"The {f['amount']} that {f['insurer']} advanced for claim {f['claim']} was due by "
        f"{f['deadline']}, and {f['outstanding']} is still owed (policy {f['policy']})."
    )


def overdue_lifts_when(
    *, language: str, policy: Policy, advance: Advance, recovery: Recovery
) -> str:
    f = _facts(policy, advance, recovery)
    if _zh(language):
        return f"还清保险公司{f['insurer']}的垫付款 {f['outstanding']}（原定 {f['due_on']} 到期）"
    return (
        f"Repay the insurer's advance of {f['amount']} due on {f['due_on']} "
        f"({f['outstanding']} outstanding) to {f['insurer']}."
    )


def overdue(*, language: str, policy: Policy, advance: Advance, recovery: Recovery) -> Text:
    f = _facts(policy, advance, recovery)
    reason = overdue_reason(language=language, policy=policy, advance=advance, recovery=recovery)
    if _zh(language):
        return Text(
            title=f"垫付款逾期：店铺「{f['shop']}」已被监管",
            body=(
                f"{reason}自 {when_text(recovery.due_at)} 起店铺被监管（店铺及商品无法被搜索到）。"
                f"还清 {f['outstanding']} 后立即解除。保险公司还可能依法追偿。"
            ),
        )
    return Text(
        title=f"Advance overdue: {f['shop']} is supervised",
        body=(
            f"{reason} Since {when_text(recovery.due_at)} the shop is supervised (the shop and "
            f"its items cannot be found). Repaying the {f['outstanding']} lifts it at once. "
            f"The insurer may also take legal action."
        ),
    )


def repaid(*, language: str, policy: Policy, advance: Advance, recovery: Recovery) -> Text:
    f = _facts(policy, advance, recovery)
    if _zh(language):
        return Text(
            title=f"已还清{f['insurer']}的垫付款 {f['amount']}",
            body=(
                f"索赔 {f['claim']} 的垫付款 {f['amount']} 已还清，"
                f"保单 {f['policy']} 的额度已恢复；"
                f"因此项逾期而实施的监管（如有）已解除。"
            ),
        )
    return Text(
        title=f"Advance of {f['amount']} repaid to {f['insurer']}",
        body=(
            f"The {f['amount']} advanced for claim {f['claim']} is repaid in full; the limit of "
            f"policy {f['policy']} is restored, and any supervision for it being overdue is "
            f"lifted."
        ),
    )
