from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from common.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("accounts/", include("shops.auth_urls")),
    path("", include("shops.urls")),
    path("", include(("insurance.urls", "insurance"), namespace="insurance")),
    path("", include("claims.urls", namespace="claims")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
