"""What the audit trail records: one event table per tracked model, filled by PostgreSQL triggers.

Every tracked model is a proxy declared here, so that the triggers (and their migrations) belong
to this app: the apps that own the tables are not edited, and this one list is the whole answer to
"what is audited". A proxy has the same table, so the triggers fire whatever writes the row — a
service, the admin, a partner API call, a task or raw SQL.

Columns that move on every ledger posting or every API call (balances, `last_used_at`,
`last_login`) are left out of the snapshot, and an update that changes nothing else records no
event (the trigger's WHEN clause compares only the snapshotted columns): the ledger entries are
the history of balances, and the posting path stays as fast as before (docs/architecture.md).
"""

from __future__ import annotations

from typing import Any

import pghistory
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.models import FourEyesRequest
from claims.models import (
    AgentLimit,
    Claim,
    ClaimDecisionRequest,
    CompensationRule,
    QueuedClaim,
)
from deposits.models import (
    Account,
    AdjustmentRequest,
    BaseRequirementRule,
    CategoryRequirementRule,
    GmvRequirementSchedule,
    Guarantee,
    ShopRequirementOverride,
)
from insurance.models import InsuranceProduct, Policy
from partners.models import ApiKey
from shops.models import MerchantUser, Shop, ShopRestriction


def _trackers() -> tuple[pghistory.RowEvent, ...]:
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


def _proxy(model: type[models.Model], name: str) -> type[models.Model]:
    meta = type("Meta", (), {"proxy": True, "app_label": "audit", "auto_created": False})
    return type(name, (model,), {"__module__": __name__, "Meta": meta})


def _events(
    tracked: type[models.Model], name: str, exclude: list[str] | None = None
) -> type[models.Model]:
    meta: dict[str, Any] = {
        "verbose_name": _("history event"),
        "verbose_name_plural": _("history events"),
    }
    return pghistory.create_event_model(
        tracked,
        *_trackers(),
        exclude=exclude or [],
        # Not `events`: Claim already has a timeline under that name.
        obj_field=pghistory.ObjForeignKey(related_name="audit_events"),
        model_name=name,
        app_label="audit",
        abstract=False,
        meta=meta,
    )


TrackedShop = _proxy(Shop, "TrackedShop")
TrackedShopRestriction = _proxy(ShopRestriction, "TrackedShopRestriction")
TrackedAccount = _proxy(Account, "TrackedAccount")
TrackedBaseRequirementRule = _proxy(BaseRequirementRule, "TrackedBaseRequirementRule")
TrackedCategoryRequirementRule = _proxy(CategoryRequirementRule, "TrackedCategoryRequirementRule")
TrackedGmvRequirementSchedule = _proxy(GmvRequirementSchedule, "TrackedGmvRequirementSchedule")
TrackedShopRequirementOverride = _proxy(ShopRequirementOverride, "TrackedShopRequirementOverride")
TrackedGuarantee = _proxy(Guarantee, "TrackedGuarantee")
TrackedInsuranceProduct = _proxy(InsuranceProduct, "TrackedInsuranceProduct")
TrackedPolicy = _proxy(Policy, "TrackedPolicy")
TrackedClaim = _proxy(Claim, "TrackedClaim")
# Every four-eyes request of every kind (claim decisions, adjustments, ...) is one table.
TrackedFourEyesRequest = _proxy(FourEyesRequest, "TrackedFourEyesRequest")
TrackedAgentLimit = _proxy(AgentLimit, "TrackedAgentLimit")
TrackedCompensationRule = _proxy(CompensationRule, "TrackedCompensationRule")
TrackedApiKey = _proxy(ApiKey, "TrackedApiKey")
TrackedUser = _proxy(User, "TrackedUser")
# A merchant's members and their roles (issue 15): who may move the deposit or answer claims.
# The team page writes its own TeamChange rows; this catches every other path (the admin, SQL).
TrackedMerchantUser = _proxy(MerchantUser, "TrackedMerchantUser")

ShopEvent = _events(TrackedShop, "ShopEvent")
ShopRestrictionEvent = _events(TrackedShopRestriction, "ShopRestrictionEvent")
AccountEvent = _events(
    TrackedAccount,
    "AccountEvent",
    exclude=[
        "posted_minor",
        "held_minor",
        "debt_minor",
        "required_minor",
        "requirement_basis",
        "guaranteed_minor",
        "recent_gmv_minor",
    ],
)
BaseRequirementRuleEvent = _events(TrackedBaseRequirementRule, "BaseRequirementRuleEvent")
CategoryRequirementRuleEvent = _events(
    TrackedCategoryRequirementRule, "CategoryRequirementRuleEvent"
)
GmvRequirementScheduleEvent = _events(TrackedGmvRequirementSchedule, "GmvRequirementScheduleEvent")
ShopRequirementOverrideEvent = _events(
    TrackedShopRequirementOverride, "ShopRequirementOverrideEvent"
)
GuaranteeEvent = _events(TrackedGuarantee, "GuaranteeEvent")
InsuranceProductEvent = _events(TrackedInsuranceProduct, "InsuranceProductEvent")
PolicyEvent = _events(TrackedPolicy, "PolicyEvent")
ClaimEvent = _events(TrackedClaim, "ClaimHistoryEvent")
FourEyesRequestEvent = _events(TrackedFourEyesRequest, "FourEyesRequestEvent")
AgentLimitEvent = _events(TrackedAgentLimit, "AgentLimitEvent")
CompensationRuleEvent = _events(TrackedCompensationRule, "CompensationRuleEvent")
ApiKeyEvent = _events(TrackedApiKey, "ApiKeyEvent", exclude=["last_used_at"])
# The password hash is never copied into the trail; last_login moves at every sign-in.
UserEvent = _events(TrackedUser, "UserEvent", exclude=["password", "last_login"])
MerchantUserEvent = _events(TrackedMerchantUser, "MerchantUserEvent")

# Group and permission membership: the many-to-many tables of User, as their own event tables.
TrackedUserGroup = _proxy(User.groups.through, "TrackedUserGroup")
TrackedUserPermission = _proxy(User.user_permissions.through, "TrackedUserPermission")
UserGroupEvent = _events(TrackedUserGroup, "UserGroupEvent")
UserPermissionEvent = _events(TrackedUserPermission, "UserPermissionEvent")


class AuditEvent(pghistory.models.Events):
    """Every event of every tracked table in one list, with the actor lifted out of the context."""

    user = pghistory.ProxyField(
        "pgh_context__user",
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            on_delete=models.DO_NOTHING,
            null=True,
            verbose_name=_("user"),
        ),
    )
    request_id = pghistory.ProxyField(
        "pgh_context__request_id", models.TextField(_("request id"), null=True)
    )
    partner_key = pghistory.ProxyField(
        "pgh_context__partner_key", models.TextField(_("partner key"), null=True)
    )
    task = pghistory.ProxyField("pgh_context__task", models.TextField(_("task"), null=True))

    class Meta:
        proxy = True
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")


# Tracked model (as the apps know it) -> its event table; the admin's history tabs read this.
EVENT_MODELS: dict[type[models.Model], type[models.Model]] = {
    Shop: ShopEvent,
    ShopRestriction: ShopRestrictionEvent,
    Account: AccountEvent,
    BaseRequirementRule: BaseRequirementRuleEvent,
    CategoryRequirementRule: CategoryRequirementRuleEvent,
    GmvRequirementSchedule: GmvRequirementScheduleEvent,
    ShopRequirementOverride: ShopRequirementOverrideEvent,
    Guarantee: GuaranteeEvent,
    InsuranceProduct: InsuranceProductEvent,
    Policy: PolicyEvent,
    Claim: ClaimEvent,
    QueuedClaim: ClaimEvent,
    FourEyesRequest: FourEyesRequestEvent,
    ClaimDecisionRequest: FourEyesRequestEvent,
    AdjustmentRequest: FourEyesRequestEvent,
    AgentLimit: AgentLimitEvent,
    CompensationRule: CompensationRuleEvent,
    ApiKey: ApiKeyEvent,
    User: UserEvent,
    MerchantUser: MerchantUserEvent,
}
