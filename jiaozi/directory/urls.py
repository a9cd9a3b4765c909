"""URLs of directory: staff pages, mounted under the staff prefix at directory/."""

from django.urls import URLPattern, URLResolver

app_name = "directory"
urlpatterns: list[URLPattern | URLResolver] = []
