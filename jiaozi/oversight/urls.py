"""URLs of oversight: staff pages, mounted under the staff prefix at oversight/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "oversight"
urlpatterns: list[URLPattern | URLResolver] = [
    path("spot-checks/", views.spot_check_list, name="spot_check_list"),
    path("spot-checks/<int:pk>/", views.spot_check_detail, name="spot_check_detail"),
    path("spot-checks/items/<int:pk>/", views.item_detail, name="item_detail"),
    path("data-audit/", views.data_audit, name="data_audit"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics/download/", views.statistics_download, name="statistics_download"),
]
