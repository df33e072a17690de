from django.urls import path

from insurance import views

urlpatterns = [
    path("shops/<uuid:shop_id>/insurance/", views.shop_insurance, name="shop_insurance"),
    path(
        "shops/<uuid:shop_id>/insurance/apply/",
        views.shop_insurance_apply,
        name="shop_insurance_apply",
    ),
]
