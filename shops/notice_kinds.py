"""Which group a notice's kind belongs to, and which kinds are urgent (always e-mailed).

A notice's `kind` is named by the app that writes it ("shortfall.restrict",
"insurance_recovery_overdue", "MANUAL_FREEZE"); shops may not import those apps, so the kinds
are matched here by name. The four groups are the ones a member can switch e-mails off for
(issue 15, part 6). Urgent kinds are those where not reading the e-mail costs the merchant the
shop's sales or a claim: they are e-mailed whatever the preference says, and the preferences form
shows them locked with the reason below. A kind matched by no group is urgent too: a new kind
nobody classified is sent rather than silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NoticeGroup:
    code: str
    label: Promise
    prefixes: tuple[str, ...]  # kinds starting with one of these belong to the group
    urgent_prefixes: tuple[str, ...]  # … and these of them are always e-mailed
    urgent_label: Promise | None  # what the locked line says is always sent
    urgent_reason: Promise | None  # and why it cannot be switched off

    def matches(self, kind: str) -> bool:
        return kind.startswith(self.prefixes)

    def q(self) -> Q:
        query = Q(pk__in=[])
        for prefix in self.prefixes:
            query |= Q(kind__startswith=prefix)
        return query


GROUPS: tuple[NoticeGroup, ...] = (
    NoticeGroup(
        code="shortfall",
        label=_("Deposit shortfall and restrictions"),
        prefixes=("shortfall.", "MANUAL_FREEZE", "MANUAL_UNFREEZE"),
        urgent_prefixes=("shortfall.restrict", "shortfall.ops_review", "MANUAL_FREEZE"),
        urgent_label=_("A shop being restricted, frozen or put up for closure"),
        urgent_reason=_("The shop may stop selling: you must hear of it whatever you choose."),
    ),
    NoticeGroup(
        code="claims",
        label=_("Consumer claims"),
        prefixes=("claim",),
        urgent_prefixes=("claim.deadline", "claim_deadline"),
        urgent_label=_("A claim's answer deadline"),
        urgent_reason=_("A claim left unanswered past its deadline is decided without you."),
    ),
    NoticeGroup(
        code="insurance",
        label=_("Performance insurance"),
        prefixes=("insurance",),
        urgent_prefixes=("insurance_recovery_overdue",),
        urgent_label=_("An overdue repayment of the insurer's advance"),
        urgent_reason=_("The shop is supervised until the advance is repaid."),
    ),
    NoticeGroup(
        code="payouts",
        label=_("Withdrawals and payouts"),
        prefixes=("payout", "withdrawal"),
        urgent_prefixes=(),
        urgent_label=None,
        urgent_reason=None,
    ),
)
BY_CODE = {group.code: group for group in GROUPS}


def group_of(kind: str) -> NoticeGroup | None:
    return next((group for group in GROUPS if group.matches(kind)), None)


def is_urgent(kind: str) -> bool:
    """E-mailed whatever the reader chose: urgent in its group, or in no group at all."""
    group = group_of(kind)
    return group is None or kind.startswith(group.urgent_prefixes)
