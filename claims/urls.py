"""The merchant dashboard's claims pages (namespace `claims`, mounted in config/urls.py)."""

from django.urls import path

from claims import views, views_evidence

urlpatterns = [
    path("claims/", views.claim_list, name="list"),
    path("claims/<uuid:claim_id>/", views.claim_detail, name="detail"),
    path("claims/<uuid:claim_id>/settle/", views.claim_settle, name="settle"),
    path("claims/<uuid:claim_id>/contest/", views.claim_contest, name="contest"),
    path("claims/<uuid:claim_id>/appeal/", views.claim_appeal, name="appeal"),
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
