"""URLs of certification: the applicant's pages, mounted at /me/certification/."""

from django.urls import URLPattern, URLResolver

app_name = "certification_applicant"
urlpatterns: list[URLPattern | URLResolver] = []
