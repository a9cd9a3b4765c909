"""URLs of announcements: the portal's announcement pages, mounted at /announcements/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "announcements_public"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.public_list, name="list"),
    path("<int:pk>/", views.public_detail, name="detail"),
    path("<int:announcement_pk>/files/<int:pk>/", views.public_attachment, name="attachment"),
]
