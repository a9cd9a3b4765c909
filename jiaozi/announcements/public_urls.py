"""URLs of announcements: the portal's announcement pages, mounted at /announcements/."""

from django.urls import URLPattern, URLResolver

app_name = "announcements_public"
urlpatterns: list[URLPattern | URLResolver] = []
