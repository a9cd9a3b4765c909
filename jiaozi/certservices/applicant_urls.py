"""URLs of certservices: the holder's pages, mounted at /me/certificates/."""

from django.urls import URLPattern, URLResolver, path

from . import holder_views

app_name = "certservices_applicant"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", holder_views.my_certificates, name="my_certificates"),
    path("<int:pk>/", holder_views.my_certificate_detail, name="my_certificate_detail"),
]
