from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Claims")

    def ready(self) -> None:
        # Claim decisions under four-eyes (approvals.registry).
        from claims.services.approvals import register_four_eyes

        register_four_eyes()

        # The merchant's statement names a claim's reason in the reader's language.
        from claims.models import Reason
        from deposits.domain.entry_reasons import claim_reason_labels_register

        claim_reason_labels_register({code: label for code, label in Reason.choices})
        # And so does a claim's computation (claims.domain.computation_texts).
        from claims.domain.computation_texts import reason_labels_register

        reason_labels_register({code: label for code, label in Reason.choices})

        # The shop page names a claim's postings and holds by the claim's order reference.
        from claims.selectors import claim_order_refs
        from deposits.selectors import claim_ref_reader_register

        claim_ref_reader_register(claim_order_refs)
