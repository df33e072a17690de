from django.urls import path

from claims.api import views

urlpatterns = [
    path("claims/", views.ClaimsView.as_view(), name="claims"),
    path("claims/<uuid:claim_id>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    path(
        "claims/<uuid:claim_id>/escalate/",
        views.ClaimEscalateView.as_view(),
        name="claim-escalate",
    ),
    path(
        "claims/<uuid:claim_id>/withdraw/",
        views.ClaimWithdrawView.as_view(),
        name="claim-withdraw",
    ),
    path(
        "claims/<uuid:claim_id>/decision/",
        views.ClaimDecisionView.as_view(),
        name="claim-decision",
    ),
    path("claims/<uuid:claim_id>/appeal/", views.ClaimAppealView.as_view(), name="claim-appeal"),
    path(
        "claims/<uuid:claim_id>/appeal-decision/",
        views.ClaimAppealDecisionView.as_view(),
        name="claim-appeal-decision",
    ),
    path(
        "claims/<uuid:claim_id>/evidence/",
        views.ClaimEvidenceView.as_view(),
        name="claim-evidence",
    ),
    path(
        "claims/<uuid:claim_id>/evidence/<uuid:evidence_id>/",
        views.ClaimEvidenceDownloadView.as_view(),
        name="claim-evidence-download",
    ),
]
