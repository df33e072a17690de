from django.urls import path

from deposits import views, views_statement, views_withdraw
from shops import views_notices

urlpatterns = [
    path("shops/<uuid:shop_id>/", views.shop_detail, name="shop_detail"),
    path("notices/", views_notices.notice_centre, name="notices"),
    path("shops/<uuid:shop_id>/statement/", views_statement.statement, name="statement"),
    path(
        "shops/<uuid:shop_id>/statement/csv/",
        views_statement.statement_download,
        {"fmt": "csv"},
        name="statement_csv",
    ),
    path(
        "shops/<uuid:shop_id>/statement/xlsx/",
        views_statement.statement_download,
        {"fmt": "xlsx"},
        name="statement_xlsx",
    ),
    path(
        "shops/<uuid:shop_id>/statement/pdf/", views_statement.statement_pdf, name="statement_pdf"
    ),
    path("shops/<uuid:shop_id>/coverage/", views_statement.coverage, name="coverage"),
    path("shops/<uuid:shop_id>/withdraw/", views_withdraw.withdraw, name="withdraw"),
    path("shops/<uuid:shop_id>/top-up/", views.sandbox_top_up, name="sandbox_top_up"),
    path(
        "shops/<uuid:shop_id>/top-up/<uuid:payment_id>/",
        views.sandbox_top_up_confirm,
        name="sandbox_top_up_confirm",
    ),
]
