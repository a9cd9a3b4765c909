"""URLs of confirmation: the applicant's bookings, mounted at /me/bookings/."""

from django.urls import URLPattern, URLResolver

app_name = "confirmation_applicant"
urlpatterns: list[URLPattern | URLResolver] = []
