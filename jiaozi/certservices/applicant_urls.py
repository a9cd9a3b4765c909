"""URLs of certservices: the holder's pages, mounted at /me/certificates/."""

from django.urls import URLPattern, URLResolver

app_name = "certservices_applicant"
urlpatterns: list[URLPattern | URLResolver] = []
