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
    path("api-keys/<str:prefix>/rotate/", views.ApiKeyRotateView.as_view(), name="api-key-rotate"),
    path("webhook-deliveries/", views.WebhookDeliveryListView.as_view(), name="webhook-deliveries"),
    path(
        "webhook-deliveries/<uuid:delivery_id>/",
        views.WebhookDeliveryDetailView.as_view(),
        name="webhook-delivery-detail",
    ),
    path(
        "webhook-deliveries/<uuid:delivery_id>/redeliver/",
        views.WebhookDeliveryRedeliverView.as_view(),
        name="webhook-delivery-redeliver",
    ),
]
