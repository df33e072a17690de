"""Merchant dashboard URLs of the claims app (namespace `claims`)."""

from django.urls import path

from claims import views_evidence

app_name = "claims"

urlpatterns = [
    path(
        "claims/<uuid:claim_id>/evidence/",
        views_evidence.claim_evidence,
        name="evidence",
    ),
    path(
        "claims/<uuid:claim_id>/evidence/upload/",
        views_evidence.evidence_upload,
        name="evidence_upload",
    ),
    path(
        "claims/<uuid:claim_id>/evidence/<uuid:evidence_id>/",
        views_evidence.evidence_download,
        name="evidence_download",
    ),
]
