"""URLs of confirmation: the applicant's bookings, mounted at /me/bookings/."""

from django.urls import URLPattern, URLResolver, path

from . import applicant_views as views

app_name = "confirmation_applicant"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.booking_list, name="booking_list"),
    path("new/<slug:kind>/<int:reference_id>/", views.booking_new, name="booking_new"),
    path("<int:pk>/", views.booking_detail, name="booking_detail"),
    path("<int:pk>/qr.svg", views.booking_qr, name="booking_qr"),
    path("<int:pk>/move/", views.booking_move, name="booking_move"),
    path("<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
]
