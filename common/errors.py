"""Domain errors: every refusal a service can make, each with a stable `code`.

Views, API views and admin actions catch DomainError and map it to their channel (a form error,
an HTTP status with a JSON body, an admin message); `http_status` is the API's mapping.

A class's `default_detail` is marked for translation (gettext_lazy) and looked up when the error
is made, so a bare `raise ShopFrozen()` is said in the language active then: the partner's
(English unless it asks), the admin's, the dashboard's. `detail` itself is a plain `str`.
"""

from __future__ import annotations

from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    http_status: ClassVar[int] = 409
    default_detail: ClassVar[str | Promise] = _("The request conflicts with the current state.")

    def __init__(self, detail: str | None = None, *, fields: dict[str, list[str]] | None = None):
        self.detail: str = str(detail or self.default_detail)
        self.fields = fields
        super().__init__(self.detail)


class InvalidInput(DomainError):
    code = "validation_error"
    http_status = 400
    default_detail = _("The request is not valid.")


class InvalidAmount(InvalidInput):
    """An amount typed by a person (`common.money.Money.parse`) that is not a plain number.

    The codes below tell the dashboard and the admin which sentence to show in the page's
    language; the partner API never parses typed amounts (it takes integer `*_minor` fields), so
    they do not reach its error bodies."""

    code = "amount_not_a_number"
    default_detail = _("Not an amount.")


class AmountTooPrecise(InvalidAmount):
    code = "amount_too_precise"
    default_detail = _("The amount has more decimal places than the currency has minor units.")


class AmountTooLarge(InvalidAmount):
    code = "amount_too_large"
    default_detail = _("The amount is too large.")


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_detail = _("No such object.")


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    default_detail = _("The available deposit is less than the amount.")


class WouldCauseShortfall(DomainError):
    code = "would_cause_shortfall"
    default_detail = _("The withdrawal would leave the deposit below the requirement.")


class HoldNotActive(DomainError):
    code = "hold_not_active"
    default_detail = _("The hold is no longer active.")


class CurrencyMismatch(DomainError):
    code = "validation_error"
    http_status = 400
    default_detail = _("The amount's currency differs from the deposit's currency.")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    http_status = 422
    default_detail = _("This idempotency key was already used for a different request.")


class DuplicateReference(DomainError):
    code = "duplicate_reference"
    default_detail = _("This reference was already used for another operation.")


class RefundBlocked(DomainError):
    code = "refund_blocked"
    default_detail = _("The deposit cannot be refunded yet.")


class ApprovalRequired(DomainError):
    code = "approval_required"
    default_detail = _("This adjustment needs a second person's approval.")


class FourEyesRequestExpired(DomainError):
    """Four-eyes (approvals): the request passed its 72 hours; the maker must act again."""

    code = "four_eyes_request_expired"
    default_detail = _("The request expired without a second person; make it again.")


class FourEyesAwaiting(DomainError):
    """Four-eyes: the same action on the same subject already waits for a second person."""

    code = "four_eyes_request_pending"
    default_detail = _("The same action already waits for a second person.")


class InvalidTransition(DomainError):
    code = "invalid_state"
    default_detail = _("The object is not in a state that allows this.")


class ApiKeyAlreadyRotated(InvalidTransition):
    """A partner key that already has a successor (partners.services.keys.api_key_rotate)."""

    code = "key_already_rotated"
    default_detail = _("This key was already rotated; use its successor.")


class ShopFrozen(DomainError):
    code = "shop_frozen"
    default_detail = _("The shop is frozen by the platform; its deposit cannot be withdrawn.")


class ShopClosed(DomainError):
    code = "shop_closed"
    default_detail = _(
        "The shop has exited: its deposit takes no new money movement, only the final refund "
        "(or forfeiture) and the resolution of holds for claims still open."
    )


# --- Performance insurance (api-v1.md "Performance insurance") ---------------------------------


class NotEligible(DomainError):
    code = "not_eligible"
    default_detail = _(
        "The shop is not eligible for this insurance product; see the quote's reasons."
    )


class QuoteExpired(DomainError):
    code = "quote_expired"
    default_detail = _("The quote is no longer valid; ask for a new one.")


class QuoteUsed(DomainError):
    code = "quote_used"
    default_detail = _("An application was already made with this quote; ask for a new one.")


class ApplicationOpen(DomainError):
    code = "application_open"
    default_detail = _(
        "The shop already has an application under review or a policy awaiting premium or in force."
    )


class RecoveriesOutstanding(DomainError):
    code = "recoveries_outstanding"
    default_detail = _("The merchant still owes the insurer for an advance; repay it first.")


class PermissionDenied(DomainError):
    """The caller may see the object but not do this to it (e.g. accept an application as the
    shop's partner, not the insurer)."""

    code = "permission_denied"
    http_status = 403
    default_detail = _("You may not do this.")


# --- Claims (api-v1.md "Claims") ---------------------------------------------------------------


class ClaimAlreadyDecided(DomainError):
    code = "claim_already_decided"
    default_detail = _("The claim was already decided.")


class InvalidClaimStatus(DomainError):
    code = "invalid_claim_status"
    default_detail = _("The claim's status does not allow this.")


class EvidenceWindowClosed(InvalidClaimStatus):
    """A party's evidence window has ended (the claim is in review). The contract's error codes
    are fixed, so this is `invalid_claim_status` to the API; the type lets a page say why."""

    default_detail = _("This side's evidence window has closed; the platform may ask for more.")


class DecisionAwaitingApproval(DomainError):
    """Four-eyes: a decision of this claim already waits for a second person."""

    code = "decision_awaiting_approval"
    default_detail = _("A decision of this claim is already waiting for a second person.")


class DecisionRequestExpired(DomainError):
    code = "decision_request_expired"
    default_detail = _("The decision request expired; make the decision again.")


class AppealNotAllowed(DomainError):
    code = "appeal_not_allowed"
    default_detail = _("The claim cannot be appealed: once only, within the appeal window.")


# --- Merchant team (shops.team) -----------------------------------------------------------------


class InvitationNotUsable(DomainError):
    """The invitation link is not one we issued, or its invitation was revoked or replaced by a
    newer link (a resend)."""

    code = "invitation_invalid"
    http_status = 404
    default_detail = _("This invitation link is not valid.")


class InvitationExpired(InvitationNotUsable):
    code = "invitation_expired"
    http_status = 410
    default_detail = _("This invitation has expired.")


class InvitationUsed(InvitationNotUsable):
    code = "invitation_used"
    http_status = 410
    default_detail = _("This invitation has already been used.")


class InvitationEmailTaken(DomainError):
    """The invited address already has a login elsewhere (another merchant, or ops). Said only
    to the person holding the link, never to the owner who invited."""

    code = "invitation_email_taken"
    default_detail = _("This e-mail address cannot join this team.")


class TooManyInvitations(DomainError):
    code = "invitation_rate_limited"
    http_status = 429
    default_detail = _("Too many invitations sent in the last hour.")


def error_text(exc: DomainError) -> str:
    """A refusal as one plain sentence for a terminal or a log line: the detail, then each
    field's messages ("name: Already used."), never a Python dict."""
    parts = [str(exc.detail).strip()]
    for field, field_messages in (exc.fields or {}).items():
        text = " ".join(str(m) for m in field_messages)
        parts.append(f"{field.replace('_', ' ')}: {text}")
    return " ".join(p for p in parts if p)


# --- What-if refusals (the dashboard's "what if I add a category…"): each names its field -------


class CategoryNotOpen(InvalidInput):
    """The category is closed to shops (Category.is_active false): field `category`."""

    code = "category_not_open"
    default_detail = _("This category is not open to shops.")


class CategoryAlreadyHeld(InvalidInput):
    """The shop already sells in this category: field `category`."""

    code = "category_already_held"
    default_detail = _("The shop already has this category.")


class NoRequirementRule(InvalidInput):
    """No standard-table row for the shop type and trademark status asked for: field
    `shop_type` (or `brand_trademark` when the brand changed the trademark status)."""

    code = "no_requirement_rule"
    default_detail = _("No requirement rule covers this shop type and trademark status.")


class NothingChanged(InvalidInput):
    """A what-if that changes nothing about the shop: no field, the form as a whole."""

    code = "nothing_changed"
    default_detail = _("Choose a category, a brand or a shop type to try.")
