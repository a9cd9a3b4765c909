"""URLs of controlled exports: staff pages, mounted under the staff prefix at exports/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "exports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.request_list, name="request_list"),
    path("approvals/", views.approval_queue, name="approval_queue"),
    path("<int:pk>/download/", views.download, name="download"),
]
