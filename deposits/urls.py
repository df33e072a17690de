from django.urls import path

from deposits import views

urlpatterns = [
    path("", views.home, name="home"),
    path("shops/<uuid:shop_id>/", views.shop_detail, name="shop_detail"),
]
