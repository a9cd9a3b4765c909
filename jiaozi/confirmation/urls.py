"""URLs of confirmation: staff pages, mounted under the staff prefix at confirmation/."""

from django.urls import URLPattern, URLResolver

app_name = "confirmation"
urlpatterns: list[URLPattern | URLResolver] = []
