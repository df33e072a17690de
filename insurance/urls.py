from django.urls import path

from insurance import views, views_what_if

urlpatterns = [
    path("shops/<uuid:shop_id>/insurance/", views.shop_insurance, name="shop_insurance"),
    path(
        "shops/<uuid:shop_id>/insurance/apply/",
        views.shop_insurance_apply,
        name="shop_insurance_apply",
    ),
    path(
        "shops/<uuid:shop_id>/insurance/policies/<uuid:policy_id>/pay/",
        views.policy_pay_sandbox,
        name="policy_pay_sandbox",
    ),
    path(
        "shops/<uuid:shop_id>/insurance/policies/<uuid:policy_id>/surrender/",
        views.policy_surrender,
        name="policy_surrender",
    ),
    path(
        "shops/<uuid:shop_id>/insurance/policies/<uuid:policy_id>/renew/",
        views.policy_renew,
        name="policy_renew",
    ),
    path(
        "shops/<uuid:shop_id>/insurance/policies/<uuid:policy_id>/e-policy.pdf",
        views.policy_document,
        name="policy_document",
    ),
    path(
        "shops/<uuid:shop_id>/insurance/recoveries/<uuid:recovery_id>/repay/",
        views.recovery_repay_sandbox,
        name="recovery_repay_sandbox",
    ),
]

urlpatterns += [
    path("shops/<uuid:shop_id>/what-if/", views_what_if.what_if, name="what_if"),
]
