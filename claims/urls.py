"""The merchant dashboard's claims pages (namespace `claims`, mounted in config/urls.py)."""

from django.urls import path

from claims import views

urlpatterns = [
    path("claims/", views.claim_list, name="list"),
    path("claims/<uuid:claim_id>/", views.claim_detail, name="detail"),
    path("claims/<uuid:claim_id>/settle/", views.claim_settle, name="settle"),
    path("claims/<uuid:claim_id>/contest/", views.claim_contest, name="contest"),
]
