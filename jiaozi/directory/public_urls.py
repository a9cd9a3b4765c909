"""URLs of directory: the public directory, mounted at /directory/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "directory_public"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.public_directory, name="list"),
]
