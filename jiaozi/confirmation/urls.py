"""URLs of confirmation: staff pages, mounted under the staff prefix at confirmation/.
No URL carries a resident ID (the lookup by ID is a POST)."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "confirmation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.point_list, name="point_list"),
    path("new/", views.point_create, name="point_create"),
    path("<int:pk>/", views.point_detail, name="point_detail"),
    path("<int:pk>/edit/", views.point_edit, name="point_edit"),
    path("<int:pk>/days/", views.day_add, name="day_add"),
    path("days/<int:pk>/delete/", views.day_remove, name="day_remove"),
    path("days/<int:pk>/slots/", views.slot_add, name="slot_add"),
    path("slots/<int:pk>/capacity/", views.slot_capacity, name="slot_capacity"),
    path("slots/<int:pk>/delete/", views.slot_remove, name="slot_remove"),
    path("today/", views.day_list, name="day_list"),
    path("check-in/", views.check_in_code, name="check_in_code"),
    path("check-in/<str:code>/", views.check_in_scan, name="check_in_scan"),
    path("find/", views.find_by_resident_id, name="find_by_resident_id"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking_detail"),
    path("bookings/<int:pk>/check-in/", views.booking_check_in, name="booking_check_in"),
    path("bookings/<int:pk>/no-show/", views.booking_no_show, name="booking_no_show"),
]
