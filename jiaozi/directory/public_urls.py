"""URLs of directory: the public directory, mounted at /directory/."""

from django.urls import URLPattern, URLResolver

app_name = "directory_public"
urlpatterns: list[URLPattern | URLResolver] = []
