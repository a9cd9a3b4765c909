"""URLs of directory: staff pages, mounted under the staff prefix at directory/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "directory"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.setup, name="setup"),
    path("plan/", views.plan, name="plan"),
    path("overview/", views.overview, name="overview"),
    path("overview/remind/", views.remind, name="remind"),
]
