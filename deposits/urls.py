from django.urls import path

from deposits import views, views_withdraw

urlpatterns = [
    path("shops/<uuid:shop_id>/", views.shop_detail, name="shop_detail"),
    path("notices/", views.notices, name="notices"),
    path("shops/<uuid:shop_id>/withdraw/", views_withdraw.withdraw, name="withdraw"),
    path("shops/<uuid:shop_id>/top-up/", views.sandbox_top_up, name="sandbox_top_up"),
    path(
        "shops/<uuid:shop_id>/top-up/<uuid:payment_id>/",
        views.sandbox_top_up_confirm,
        name="sandbox_top_up_confirm",
    ),
]
