"""URLs of certification: the applicant's pages, mounted at /me/certification/."""

from django.urls import URLPattern, URLResolver, path

from . import applicant_views as views

app_name = "certification_applicant"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.detail, name="detail"),
]
