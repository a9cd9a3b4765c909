"""URLs of certservices: staff pages, mounted under the staff prefix at certificates/."""

from django.urls import URLPattern, URLResolver, path

from . import check_views, views

app_name = "certservices"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.certificate_list, name="certificate_list"),
    path("search/", views.certificate_id_search, name="certificate_id_search"),
    path("<int:pk>/", views.certificate_detail, name="certificate_detail"),
    path("requests/", views.request_queue, name="request_queue"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/act/", views.request_act, name="request_act"),
    path("requests/<int:pk>/paper.pdf", views.request_paper, name="request_paper"),
    path("materials/<int:pk>/", views.material_download, name="material_download"),
    path("settings/", views.settings_edit, name="settings"),
    path("checks/", check_views.check_list, name="check_list"),
    path("<int:pk>/check/", check_views.check_open, name="check_open"),
    path("checks/<int:pk>/", check_views.check_detail, name="check_detail"),
    path("checks/<int:pk>/act/", check_views.check_act, name="check_act"),
]
