from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from common.views import healthz
from config.dashboard_home import home as merchant_home
from deposits import urls as dashboard_urls

# The merchant dashboard (namespace "dashboard"): the home, whose columns span apps, is config's;
# the shop pages are deposits'.
dashboard = ([path("", merchant_home, name="home"), *dashboard_urls.urlpatterns], "dashboard")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin itself: the two-factor pages live under its prefix (shops/middleware.py).
    path("admin/2fa/", include("shops.staff_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("accounts/", include("shops.auth_urls")),
    path("", include(dashboard, namespace="dashboard")),
    path("", include("shops.urls")),
    path("", include(("insurance.urls", "insurance"), namespace="insurance")),
    path("", include(("claims.urls", "claims"), namespace="claims")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
