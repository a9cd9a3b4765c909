"""URLs of certification: staff pages, mounted under the staff prefix at certification/."""

from django.urls import URLPattern, URLResolver

app_name = "certification"
urlpatterns: list[URLPattern | URLResolver] = []
