from django.urls import path

from deposits.api import views

urlpatterns = [
    path("shops/", views.ShopsView.as_view(), name="shops"),
    path("shops/<uuid:shop_id>/", views.ShopDetailView.as_view(), name="shop-detail"),
    path("shops/<uuid:shop_id>/ledger/", views.LedgerView.as_view(), name="shop-ledger"),
    path("shops/<uuid:shop_id>/top-ups/", views.TopUpView.as_view(), name="shop-top-ups"),
    path("shops/<uuid:shop_id>/deductions/", views.DeductionView.as_view(), name="shop-deductions"),
    path(
        "shops/<uuid:shop_id>/withdrawals/", views.WithdrawalView.as_view(), name="shop-withdrawals"
    ),
    path(
        "withdrawals/<str:reference>/",
        views.WithdrawalDetailView.as_view(),
        name="withdrawal-detail",
    ),
    path(
        "withdrawals/<str:reference>/payout/",
        views.WithdrawalPayoutView.as_view(),
        name="withdrawal-payout",
    ),
    path("shops/<uuid:shop_id>/holds/", views.ShopHoldsView.as_view(), name="shop-holds"),
    path("holds/<uuid:hold_id>/", views.HoldDetailView.as_view(), name="hold-detail"),
    path("holds/<uuid:hold_id>/capture/", views.HoldCaptureView.as_view(), name="hold-capture"),
    path("holds/<uuid:hold_id>/release/", views.HoldReleaseView.as_view(), name="hold-release"),
]
