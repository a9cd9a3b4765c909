"""URLs of certservices: staff pages, mounted under the staff prefix at certificates/."""

from django.urls import URLPattern, URLResolver

app_name = "certservices"
urlpatterns: list[URLPattern | URLResolver] = []
