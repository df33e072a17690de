"""Partner API v1 routes. Endpoints are added by each app's api/ package."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from config.api import api_not_found
from partners.api.views import RedocView, SwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("deposits.api.urls")),
    path("", include("insurance.api.urls")),
    path("", include("claims.api.urls")),
    path("", include("partners.api.urls")),
    # Anything else under /api/v1/ is a JSON 404 in the contract's shape, not an HTML page.
    re_path(r"^.*$", api_not_found),
]
