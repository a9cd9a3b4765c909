"""URLs of announcements: staff pages, mounted under the staff prefix at announcements/."""

from django.urls import URLPattern, URLResolver

app_name = "announcements"
urlpatterns: list[URLPattern | URLResolver] = []
