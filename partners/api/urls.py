from django.urls import path

from partners.api import views

urlpatterns = [
    path("webhook-endpoints/", views.WebhookEndpointsView.as_view(), name="webhook-endpoints"),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/",
        views.WebhookEndpointDetailView.as_view(),
        name="webhook-endpoint-detail",
    ),
    path("events/", views.EventListView.as_view(), name="events"),
]
