"""URLs of oversight: staff pages, mounted under the staff prefix at oversight/."""

from django.urls import URLPattern, URLResolver

app_name = "oversight"
urlpatterns: list[URLPattern | URLResolver] = []
