from django.urls import path

from insurance.api import views

urlpatterns = [
    path("insurance/products/", views.ProductsView.as_view(), name="insurance-products"),
    path(
        "shops/<uuid:shop_id>/insurance-quotes/",
        views.QuotesView.as_view(),
        name="shop-insurance-quotes",
    ),
    path(
        "shops/<uuid:shop_id>/insurance-applications/",
        views.ShopApplicationsView.as_view(),
        name="shop-insurance-applications",
    ),
    path(
        "insurance-applications/",
        views.ApplicationsView.as_view(),
        name="insurance-applications",
    ),
    path(
        "insurance-applications/<uuid:application_id>/accept/",
        views.ApplicationAcceptView.as_view(),
        name="insurance-application-accept",
    ),
    path(
        "insurance-applications/<uuid:application_id>/decline/",
        views.ApplicationDeclineView.as_view(),
        name="insurance-application-decline",
    ),
    path("policies/<uuid:policy_id>/", views.PolicyDetailView.as_view(), name="policy-detail"),
    path("shops/<uuid:shop_id>/policies/", views.ShopPoliciesView.as_view(), name="shop-policies"),
    path(
        "policies/<uuid:policy_id>/premium-payments/",
        views.PremiumPaymentsView.as_view(),
        name="policy-premium-payments",
    ),
    path(
        "policies/<uuid:policy_id>/document/",
        views.PolicyDocumentView.as_view(),
        name="policy-document",
    ),
    path(
        "policies/<uuid:policy_id>/surrender-quote/",
        views.SurrenderQuoteView.as_view(),
        name="policy-surrender-quote",
    ),
    path(
        "policies/<uuid:policy_id>/surrender/",
        views.SurrenderView.as_view(),
        name="policy-surrender",
    ),
    path(
        "policies/<uuid:policy_id>/advances/",
        views.PolicyAdvancesView.as_view(),
        name="policy-advances",
    ),
    path(
        "recoveries/<uuid:recovery_id>/repayments/",
        views.RecoveryRepaymentsView.as_view(),
        name="recovery-repayments",
    ),
]
