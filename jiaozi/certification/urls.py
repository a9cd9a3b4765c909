"""URLs of certification: staff pages, mounted under the staff prefix at certification/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "certification"
urlpatterns: list[URLPattern | URLResolver] = [
    path("confirm/", views.confirm_queue, name="confirm_queue"),
    path("confirm/<int:pk>/", views.confirm_detail, name="confirm_detail"),
    path("queue/", views.officer_queue, name="queue"),
    path("queue/batch/", views.officer_batch, name="batch_decide"),
    path("overdue/", views.officer_overdue, name="overdue"),
    path("<int:pk>/", views.officer_detail, name="detail"),
    path("<int:pk>/health/", views.officer_health, name="health"),
    path("<int:pk>/decide/", views.officer_decide, name="decide"),
    path("<int:pk>/photo/", views.staff_photo, name="photo"),
]
