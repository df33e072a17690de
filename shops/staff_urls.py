"""The admin's two-factor pages, mounted under the admin's prefix (config/urls.py)."""

from django.urls import path

from shops import staff_views

urlpatterns = [
    path("enrol/", staff_views.enrol, name="staff_2fa_enrol"),
    path("verify/", staff_views.verify, name="staff_2fa_verify"),
]
