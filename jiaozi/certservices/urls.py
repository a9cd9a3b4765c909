"""URLs of certservices: staff pages, mounted under the staff prefix at certificates/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "certservices"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.certificate_list, name="certificate_list"),
    path("search/", views.certificate_id_search, name="certificate_id_search"),
    path("<int:pk>/", views.certificate_detail, name="certificate_detail"),
]
